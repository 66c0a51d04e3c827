"""The DanGer Shock model: configuration + inputs -> strategies -> one vectorised evaluation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hecon.design import Design
from hecon.engine import DiscountSchedule, Results, Settings, evaluate
from hecon.engine.accumulate import Totals
from hecon.engine.markov import ModelOutput
from hecon.errors import InputError, UnknownParameterError
from hecon.limits import check_outcomes, check_values, row_words
from hecon.models.danger_shock import psm, structure
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.inputs import Country, load_country, load_parameters
from hecon.models.danger_shock.structure import ACUTE_YEARS, MAX_AGE
from hecon.parameters import ParameterTable
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
        table's base age) sizes a lifetime horizon."""
        age = self.start_age if start_age is None else float(start_age)
        if self.config.structure == "psm":
            return psm.strategies(self.config, self.country.gp_hazard, age)
        return structure.strategies(self.config, self.country.gp_cumhaz, age)

    def horizon_cycles(self, age: np.ndarray) -> np.ndarray:
        """Cycles of each row's lifetime horizon (to age 100), as the strategies count them."""
        dt = self.config.cycle_days / 365.25
        if self.config.structure == "psm":
            return np.maximum(1, np.round((MAX_AGE - age) / dt)).astype(int)
        return np.maximum(0, np.round((MAX_AGE - age - ACUTE_YEARS) / dt)).astype(int)

    def _check_ages(self, params: dict[str, np.ndarray], labels: list[str]) -> None:
        """Every row's age must leave time before the model's maximum age (the acute phase
        and at least one cycle), and the life table must cover every age the model visits
        (from the youngest start to age 100, or to the end of a shorter horizon); nothing is
        extrapolated silently."""
        if "age" not in params:
            return
        age = np.broadcast_to(np.asarray(params["age"], dtype=float), (len(labels),))
        dt = self.config.cycle_days / 365.25
        top = MAX_AGE - dt - (0.0 if self.config.structure == "psm" else ACUTE_YEARS)
        sc = self.scenario
        p = self.table["age"] if "age" in self.table else None
        if sc is not None and "age" in sc.parameters:
            where = {"file": sc.file}
        else:
            where = {"file": p.file if p else None, "row": p.row if p else None}
        bad = np.flatnonzero(age > top)
        if bad.size:
            i = int(bad[0])
            raise InputError(f"in {row_words(labels[i])}: age {age[i]:g} leaves no time before "
                             f"the model's maximum age {MAX_AGE:g} (the acute phase and one "
                             f"cycle must fit: at most {top:.2f})", parameter="age", **where)
        lt = self.country.life_table
        file = str(self.country.life_table_file)
        first, last = int(lt.ages[0]), int(lt.ages[-1])
        young = int(np.argmin(age))
        if age[young] < first:
            raise InputError(f"the life table starts at age {first}, but "
                             f"{row_words(labels[young])} starts at age {age[young]:g}; the "
                             "table must cover every age the model visits (nothing is "
                             "extrapolated)", file=file)
        h = self.config.horizon_years
        end = MAX_AGE if h is None else min(float(np.max(age)) + float(h), MAX_AGE)
        need = int(np.ceil(end)) - 1
        if last < need:
            raise InputError(f"the life table ends at age {last}, but the model visits ages up "
                             f"to {end:g}; the table must cover every age up to {need} (its "
                             "last row holds for older ages; nothing is extrapolated)",
                             file=file)

    def prepare(self, design: Design) -> dict[str, np.ndarray]:
        """Parameter samples of a design with the scenario's overrides applied. An override
        that takes a parameter outside what its unit allows (a probability above 1, a negative
        cost, a utility above 1) is an :class:`InputError` naming the scenario file and the
        design row, not a value the model would silently use."""
        params = dict(design.params().items())
        sc = self.scenario
        if sc is not None:
            params = sc.apply(params)
        check_values(params, self.table, design.labels,
                    {} if sc is None else {k: v.describe() for k, v in sc.parameters.items()},
                    None if sc is None else sc.file)
        self._check_ages(params, design.labels)
        return params

    def evaluate(self, design: Design, **kw: Any) -> Results:
        """Evaluate both strategies on every row of a design (one vectorised pass). A parameter
        the model needs but the table lacks is an :class:`InputError` naming it."""
        try:
            params = self.prepare(design)
            if self.config.horizon_years is not None or "age" not in params:
                return check_outcomes(evaluate(self.strategies(), params, self.settings(),
                                               labels=design.labels, **kw))
            return check_outcomes(self._evaluate_by_horizon(params, design.labels, **kw))
        except UnknownParameterError as exc:
            files = sorted({Path(p.file).name for p in self.table})
            raise InputError(f"the model needs this parameter, but the parameter table "
                             f"({', '.join(files)}) does not define it",
                             parameter=exc.parameter) from None

    def _evaluate_by_horizon(self, params: dict[str, np.ndarray], labels: list[str],
                             **kw: Any) -> Results:
        """A lifetime horizon follows each row's age: rows are evaluated in groups of equal
        horizon (one group, one pass, when every row has the same age, as in the base case)
        and put back in order. Traces are kept only for a single group (horizons differ)."""
        n = len(labels)
        age = np.broadcast_to(np.asarray(params["age"], dtype=float), (n,))
        cycles = self.horizon_cycles(age)
        keys = np.unique(cycles)
        if keys.size == 1:
            return evaluate(self.strategies(float(age[0])), params, self.settings(),
                            labels=labels, **kw)
        kw = {**kw, "keep_trace": False}
        parts = []
        for k in keys:
            rows = np.flatnonzero(cycles == k)
            sub = {name: (np.asarray(v)[rows] if np.ndim(v) else v)
                   for name, v in params.items()}
            parts.append((rows, evaluate(self.strategies(float(age[rows[0]])), sub,
                                         self.settings(), labels=[labels[i] for i in rows],
                                         **kw)))
        return merge_rows(parts, labels)

    def base_design(self) -> Design:
        """The base-case design (one row)."""
        return Design.base(self.table)

    def base_case(self) -> Results:
        """Evaluate the base case."""
        return self.evaluate(self.base_design())


def merge_rows(parts: list[tuple[np.ndarray, Results]], labels: list[str]) -> Results:
    """Results of groups of rows (row indices, results) put back into one Results in the
    order of ``labels``. Per-sample totals, extras and diagnostics are placed row by row;
    traces are dropped (groups may have different horizons)."""
    n = len(labels)
    first = parts[0][1]

    def put(get: Any, strategy: str) -> np.ndarray:
        out = None
        for rows, res in parts:
            v = np.asarray(get(res.outputs[strategy]))
            if out is None:
                out = np.empty((n, *v.shape[1:]), dtype=v.dtype)
            out[rows] = v
        return out

    outputs = {}
    for s in first.strategies:
        o = first.outputs[s]
        t = o.totals
        totals = Totals(
            costs={c: put(lambda q, c=c: q.totals.costs[c], s) for c in t.costs},
            costs_undisc={c: put(lambda q, c=c: q.totals.costs_undisc[c], s)
                          for c in t.costs_undisc},
            **{f: put(lambda q, f=f: getattr(q.totals, f), s)
               for f in ("qalys", "qalys_undisc", "life_years", "life_years_undisc")})
        extras = {k: put(lambda q, k=k: q.extras[k], s) if np.ndim(v) == 1 else v
                  for k, v in o.extras.items()}
        diagnostics = {k: put(lambda q, k=k: q.diagnostics[k], s) for k in o.diagnostics}
        longest = max((res.outputs[s] for _, res in parts), key=lambda q: len(q.times))
        outputs[s] = ModelOutput(totals, None, o.states, longest.times, o.start_time, extras,
                                 diagnostics, None)
    return Results(list(first.strategies), list(labels), outputs)
