"""Settings of the DanGer Shock model: everything a scenario may change besides parameters."""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from hecon.errors import InputError
from hecon.scenarios import did_you_mean

CHOICES: dict[str, tuple[str, ...]] = {
    "country": ("dk", "uk"),
    "structure": ("hybrid", "psm"),
    "effect_duration": ("averaged", "followup", "waning", "lifetime", "trial"),
    "discounting": ("country", "flat3.5", "none"),
    "perspective": ("payer", "hospital"),
    "utility_source": ("base", "acs", "cardiac_arrest"),
    "counting": ("start", "end", "half-cycle", "life-table", "trapezoid", "simpson"),
    "timing": ("start", "middle", "end", "calendar"),
}

NUMBERS = ("horizon_years", "cycle_days", "waning_start_years", "waning_end_years")


@dataclass(frozen=True)
class ModelConfig:
    """Model settings (the base case is the default of every field).

    * ``country``: country set of costs, life table, discounting and thresholds (dk, uk).
    * ``horizon_years``: time horizon from randomisation; ``None`` is lifetime (to age 100).
    * ``cycle_days``: cycle length of the long-term phase in days (30.4375 = one month).
    * ``structure``: ``hybrid`` (acute tree -> long-term Markov) or ``psm`` (partitioned
      survival with parametric overall survival per arm).
    * ``effect_duration``: treatment effect on mortality after 180 days. The landmark hazard
      ratio ``hr_death_longterm`` applies from 180 days to the end of the observed follow-up
      (``followup_max_years``); beyond it: ``followup`` (the effect stops), ``waning`` (the
      log hazard ratio fades linearly from full at ``waning_start_years`` to none at
      ``waning_end_years``), ``lifetime`` (persists for life), ``averaged`` (the base case: one
      of these three per draw, chosen by ``effect_structure_draw`` and the structure weights;
      the base-case value of the draw picks ``followup``). ``trial`` ignores the long-term
      follow-up (no effect after 180 days).
    * ``discounting``: ``country`` rule (Denmark step-wise, UK 3.5%), ``flat3.5`` or ``none``.
    * ``perspective``: ``payer`` (all health-care costs) or ``hospital`` (index admission costs
      only: device, implantation, hospital stay, adverse events, acute RRT).
    * ``utility_source``: which utility set for survivors (see inputs/danger_shock/README).
    * ``counting``, ``timing``: counting convention and discount timing (see docs).
    """

    country: str = "dk"
    horizon_years: float | None = None
    cycle_days: float = 30.4375
    structure: str = "hybrid"
    effect_duration: str = "averaged"
    waning_start_years: float = 10.0
    waning_end_years: float = 20.0
    discounting: str = "country"
    perspective: str = "payer"
    utility_source: str = "base"
    counting: str = "life-table"
    timing: str = "start"

    def __post_init__(self) -> None:
        for key, options in CHOICES.items():
            value = getattr(self, key)
            if not isinstance(value, str) or value not in options:
                raise InputError(
                    f"setting {key!r} is {value!r}{did_you_mean(str(value), options)}; "
                    f"choose from {options}"
                )
        for key in NUMBERS:
            value = getattr(self, key)
            if key == "horizon_years" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
                math.isfinite(value)
            ):
                raise InputError(f"setting {key!r} is {value!r}; it must be a finite number"
                                 + (" of years, or empty for lifetime"
                                    if key == "horizon_years" else ""))
        if self.horizon_years is not None and not (0.5 <= float(self.horizon_years) <= 100):
            raise InputError(
                f"setting 'horizon_years' is {self.horizon_years!r}; it must be between 0.5 "
                "(the 180-day trial period) and 100 years, or empty for lifetime"
            )
        if not 1 <= self.cycle_days <= 366:
            raise InputError("setting 'cycle_days' must be between 1 and 366 days")
        if not 0 <= self.waning_start_years < self.waning_end_years:
            raise InputError("waning must start at or after 0 and end after it starts")

    @classmethod
    def keys(cls) -> list[str]:
        """Names of all settings."""
        return [f.name for f in fields(cls)]

    def updated(self, changes: dict[str, Any]) -> ModelConfig:
        """A copy with some settings changed (unknown keys are errors)."""
        for key in changes:
            if key not in self.keys():
                raise InputError(f"unknown setting {key!r}{did_you_mean(key, self.keys())}")
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (for manifests and reports)."""
        return asdict(self)
