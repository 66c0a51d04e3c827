"""The DanGer Shock model: configuration + inputs -> strategies -> one vectorised evaluation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hecon.design import Design
from hecon.engine import DiscountSchedule, Results, Settings, evaluate
from hecon.errors import InputError
from hecon.models.danger_shock import psm, structure
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.inputs import Country, load_country, load_parameters
from hecon.parameters import ParameterTable
from hecon.scenarios import Scenario

STRATEGY_NAMES = list(structure.ARMS.values())


def _unit_kind(unit: str) -> str:
    """The kind of a unit: its first word, lower case ('dkk 2024' -> 'dkk')."""
    parts = unit.strip().lower().split()
    return parts[0] if parts else ""


def check_units(table: ParameterTable, default: ParameterTable, currency: str) -> None:
    """A user's table must state each parameter in the unit the model expects (the unit of
    the default inputs, ignoring price years): a cost in GBP in the Danish model, or a
    probability given as a percentage, is an error, not a silent misreading."""
    for p in table:
        if p.name not in default:
            continue
        want, got = _unit_kind(default[p.name].unit), _unit_kind(p.unit)
        if want != got:
            raise InputError(f"unit {p.unit!r} is not what the model expects "
                             f"({default[p.name].unit!r}; country set currency {currency})",
                             file=p.file, row=p.row, parameter=p.name)


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
            cfg = cfg.updated(dict(scenario.settings))
        country = load_country(cfg.country, inputs_dir)
        table = load_parameters(country, inputs_dir, parameters)
        if parameters is not None:
            check_units(table, load_parameters(country, inputs_dir), country.currency)
        if scenario is not None:
            for name in scenario.parameters:
                table[name]  # unknown names are errors with a suggestion
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

    def strategies(self) -> list[Any]:
        """The two strategies for this configuration's structure."""
        if self.config.structure == "psm":
            return psm.strategies(self.config, self.country.gp_hazard, self.start_age)
        return structure.strategies(self.config, self.country.gp_cumhaz, self.start_age)

    def prepare(self, design: Design) -> dict[str, np.ndarray]:
        """Parameter samples of a design with the scenario's overrides applied."""
        params = dict(design.params().items())
        if self.scenario is not None:
            params = self.scenario.apply(params)
        return params

    def evaluate(self, design: Design, **kw: Any) -> Results:
        """Evaluate both strategies on every row of a design (one vectorised pass). A parameter
        the model needs but the table lacks is an :class:`InputError` naming it."""
        try:
            return evaluate(self.strategies(), self.prepare(design), self.settings(),
                            labels=design.labels, **kw)
        except (KeyError, AttributeError) as exc:
            m = re.match(r"unknown parameter '(\w+)'", str(exc.args[0]) if exc.args else "")
            if not m:
                raise
            files = sorted({Path(p.file).name for p in self.table})
            raise InputError(f"the model needs this parameter, but the parameter table "
                             f"({', '.join(files)}) does not define it",
                             parameter=m.group(1)) from None

    def base_design(self) -> Design:
        """The base-case design (one row)."""
        return Design.base(self.table)

    def base_case(self) -> Results:
        """Evaluate the base case."""
        return self.evaluate(self.base_design())
