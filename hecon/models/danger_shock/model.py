"""The DanGer Shock model: configuration + inputs -> strategies -> one vectorised evaluation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hecon.design import Design
from hecon.engine import DiscountSchedule, Results, Settings, evaluate
from hecon.errors import InputError, UnknownParameterError
from hecon.models.danger_shock import psm, structure
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.inputs import Country, load_country, load_parameters
from hecon.parameters import ParameterTable, unit_bounds, value_problem
from hecon.scenarios import Scenario, did_you_mean

STRATEGY_NAMES = list(structure.ARMS.values())


PRICE_YEAR = re.compile(r"^\(?\d{4}(?:[-/]\d{2,4})?\)?$")


def _unit_kind(unit: str) -> str:
    """A unit without its price year, lower case and singular: 'DKK 2024' -> 'dkk',
    'GBP 2012-13' -> 'gbp', 'days' -> 'day', 'rate per year' stays 'rate per year'."""
    words = []
    for w in unit.strip().lower().replace(",", " ").split():
        if PRICE_YEAR.match(w):
            continue
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        words.append(w)
    return " ".join(words)


def check_units(table: ParameterTable, default: ParameterTable, currency: str) -> None:
    """A user's table must state each parameter in the unit the model expects (the unit of
    the default inputs, ignoring price years, case and plural): a cost in GBP in the Danish
    model, a probability given as a percentage or a rate per month instead of per year is an
    error, not a silent misreading."""
    for p in table:
        if p.name not in default:
            continue
        want, got = _unit_kind(default[p.name].unit), _unit_kind(p.unit)
        if want != got:
            raise InputError(f"unit {p.unit!r} is not what the model expects "
                             f"({default[p.name].unit!r}; country set currency {currency})",
                             file=p.file, row=p.row, parameter=p.name)


def check_names(table: ParameterTable, default: ParameterTable, source: Path) -> None:
    """A user's table must define exactly the model's parameters (those of the default
    inputs): a name the model does not know is most likely a misspelling that would otherwise
    be ignored, and a missing name would stop the model later."""
    missing = [n for n in default.names if n not in table]
    for p in table:
        if p.name not in default:
            raise InputError(f"the model has no parameter of this name"
                             f"{did_you_mean(p.name, missing or default.names)}",
                             file=p.file, row=p.row, parameter=p.name)
    if missing:
        more = f" (nor {len(missing) - 1} more: {', '.join(missing[1:])})" if missing[1:] else ""
        raise InputError(f"the model needs this parameter, but the parameter table does not "
                         f"define it{more}", file=str(source), parameter=missing[0])


def _in_file(exc: InputError, file: str | None) -> InputError:
    """The same error, naming ``file`` if it named none."""
    if exc.file is not None or file is None:
        return exc
    return InputError(exc.reason, file=file, row=exc.row, parameter=exc.parameter)


def _merge_rows(parts: list[tuple[np.ndarray, Results]], n: int, labels: list[str]) -> Results:
    """Results of row subsets (``(row indices, results)``) put back into one ``Results`` in
    the original row order (no traces: the subsets' horizons differ)."""
    from hecon.engine.accumulate import Totals
    from hecon.engine.markov import ModelOutput

    first = parts[0][1]
    outputs = {}
    for name in first.strategies:
        o0 = first.outputs[name]

        def fill(get: Any, o0: Any = o0, name: str = name) -> np.ndarray:
            out = np.empty(n)
            for idx, r in parts:
                out[idx] = np.broadcast_to(get(r.outputs[name]), (idx.size,))
            return out

        cats = list(dict.fromkeys(c for _, r in parts for c in r.outputs[name].totals.costs))
        t = Totals(
            costs={c: fill(lambda o, c=c: o.totals.costs.get(c, 0.0)) for c in cats},
            costs_undisc={c: fill(lambda o, c=c: o.totals.costs_undisc.get(c, 0.0))
                          for c in cats},
            qalys=fill(lambda o: o.totals.qalys),
            qalys_undisc=fill(lambda o: o.totals.qalys_undisc),
            life_years=fill(lambda o: o.totals.life_years),
            life_years_undisc=fill(lambda o: o.totals.life_years_undisc),
        )
        extras = {k: fill(lambda o, k=k: o.extras[k]) for k in o0.extras}
        outputs[name] = ModelOutput(t, None, o0.states, o0.times, o0.start_time, extras)
    return Results(list(first.strategies), labels, outputs)


@dataclass
class DangerShockModel:
    """A configured model: settings, country set and parameter table."""

    config: ModelConfig
    country: Country
    table: ParameterTable
    scenario: Scenario | None = None

    @classmethod
    def build(
        cls,
        config: ModelConfig | None = None,
        scenario: Scenario | None = None,
        inputs_dir: Path | None = None,
        parameters: Path | None = None,
    ) -> DangerShockModel:
        """Build from defaults, an optional scenario and optional user parameter table."""
        cfg = config or ModelConfig()
        if scenario is not None:
            try:
                cfg = cfg.updated(dict(scenario.settings))
            except InputError as exc:
                raise _in_file(exc, scenario.file) from None
        country = load_country(cfg.country, inputs_dir)
        table = load_parameters(country, inputs_dir, parameters)
        if parameters is not None:
            default = load_parameters(country, inputs_dir)
            check_names(table, default, Path(parameters))
            check_units(table, default, country.currency)
        if scenario is not None:
            for name in scenario.parameters:
                if name not in table:
                    raise InputError(f"scenario overrides unknown parameter"
                                     f"{did_you_mean(name, table.names)}",
                                     file=scenario.file, parameter=name)
                if table[name].group:
                    raise InputError(f"scenario overrides a member of dirichlet group "
                                     f"{table[name].group!r} alone; the group would no longer "
                                     "sum to 1", file=scenario.file, parameter=name)
        return cls(cfg, country, table, scenario)

    @property
    def start_age(self) -> float:
        """Age at randomisation (base case; fixed parameter)."""
        return float(self.table["age"].value)

    def settings(self) -> Settings:
        """Counting and discounting for this configuration."""
        if self.config.discounting == "none":
            d = DiscountSchedule.flat(0.0)
        elif self.config.discounting == "flat3.5":
            d = DiscountSchedule.flat(0.035)
        else:
            d = self.country.discount
        return Settings(counting=self.config.counting, discount_costs=d, discount_effects=d,
                        timing=self.config.timing)

    def strategies(self, start_age: float | None = None) -> list[Any]:
        """The two strategies for this configuration's structure; ``start_age`` (default: the
        base-case age) sets the number of cycles of a lifetime horizon (to age 100)."""
        age = self.start_age if start_age is None else float(start_age)
        if self.config.structure == "psm":
            return psm.strategies(self.config, self.country.gp_hazard, age)
        return structure.strategies(self.config, self.country.gp_cumhaz, age)

    def horizon_cycles(self, age: np.ndarray) -> np.ndarray:
        """Cycles of the model for each sample's age at randomisation: a lifetime horizon runs
        to age 100, so an older cohort has fewer cycles (a fixed horizon does not depend on
        age). Same rounding as the structures."""
        cfg = self.config
        dt = cfg.cycle_days / 365.25
        age = np.asarray(age, dtype=float)
        if cfg.horizon_years is not None:
            return np.zeros(age.shape, dtype=int)
        if cfg.structure == "psm":
            return np.maximum(1, np.rint((structure.MAX_AGE - age) / dt)).astype(int)
        return np.maximum(0, np.rint((structure.MAX_AGE - age - structure.ACUTE_YEARS) / dt)
                          ).astype(int)

    def prepare(self, design: Design) -> dict[str, np.ndarray]:
        """Parameter samples of a design with the scenario's overrides applied. An override
        that takes a parameter outside what its unit allows (a probability above 1, a negative
        cost, a utility above 1) is an :class:`InputError` naming the scenario file and the
        design row, not a value the model would silently use."""
        params = dict(design.params().items())
        if self.scenario is not None:
            params = self.scenario.apply(params)
            for name, ov in self.scenario.parameters.items():
                if name not in self.table:
                    continue
                x = np.asarray(params[name], dtype=float)
                b = unit_bounds(self.table[name].unit)
                lo, hi = (-np.inf, np.inf) if b is None else b[1:]
                bad = np.flatnonzero(~(np.isfinite(x) & (x >= lo) & (x <= hi)))
                if bad.size:
                    i = int(bad[0])
                    why = value_problem(self.table[name].unit, float(x[i]))
                    raise InputError(f"after the scenario's override ({ov.describe()}) in "
                                     f"design row {i} ({design.labels[i]!r}): {why}",
                                     file=self.scenario.file, parameter=name)
        return params

    def evaluate(self, design: Design, **kw: Any) -> Results:
        """Evaluate both strategies on every row of a design (one vectorised pass). A parameter
        the model needs but the table lacks is an :class:`InputError` naming it."""
        try:
            params = self.prepare(design)
            if "age" not in params:
                return evaluate(self.strategies(), params, self.settings(),
                                labels=design.labels, **kw)
            return self._evaluate_by_horizon(params, design.labels, **kw)
        except UnknownParameterError as exc:
            files = sorted({Path(p.file).name for p in self.table})
            raise InputError(f"the model needs this parameter, but the parameter table "
                             f"({', '.join(files)}) does not define it",
                             parameter=exc.parameter) from None

    def _evaluate_by_horizon(self, params: dict[str, np.ndarray], labels: list[str],
                             **kw: Any) -> Results:
        """One vectorised pass per distinct horizon (rows whose age gives the same number of
        cycles to age 100); usually one pass (age is fixed in the PSA); a one-way row on age
        gets the horizon of its own age. Results are put back in the design's row order;
        traces are kept only when every row has the same horizon."""
        age = np.asarray(params["age"], dtype=float)
        cycles = self.horizon_cycles(age)
        keys = np.unique(cycles)
        if keys.size == 1:
            return evaluate(self.strategies(float(age.min())), params, self.settings(),
                            labels=labels, **kw)
        kw = {**kw, "keep_trace": False}
        n = age.size
        parts = []
        for key in keys:
            idx = np.flatnonzero(cycles == key)
            sub = {k: np.asarray(v)[idx] for k, v in params.items()}
            r = evaluate(self.strategies(float(age[idx].min())), sub, self.settings(),
                         labels=[labels[i] for i in idx], **kw)
            parts.append((idx, r))
        return _merge_rows(parts, n, list(labels))

    def base_design(self) -> Design:
        """The base-case design (one row)."""
        return Design.base(self.table)

    def base_case(self) -> Results:
        """Evaluate the base case."""
        return self.evaluate(self.base_design())
