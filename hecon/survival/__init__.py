"""Survival analysis for hecon: parametric families, fitting, Guyot reconstruction, life tables,
treatment effects and the hand-off to the cohort engine.

Every curve is vectorised over samples: parameters of shape (n,), times (T,), results (n, T).
Time is in years. See docs/survival.md for a worked example. Plotting lives in
`hecon.survival.plots` (imported on demand, it needs matplotlib).
"""

from hecon.survival.curves import PiecewiseHazard, Spliced, SurvivalCurve
from hecon.survival.effects import (
    AccelerationFactor,
    HazardRatio,
    WaningHazardRatio,
    stop_effect,
)
from hecon.survival.families import (
    FAMILIES,
    Distribution,
    Exponential,
    GenGamma,
    Gompertz,
    LogLogistic,
    LogNormal,
    Weibull,
    get_family,
)
from hecon.survival.fit import FitResult, fit_all, fit_parametric, fit_table, log_likelihood
from hecon.survival.guyot import reconstruct_ipd
from hecon.survival.handoff import (
    model_times,
    on_grid,
    per_cycle_probability,
    survival_from_hazard,
)
from hecon.survival.km import CoxResult, KaplanMeier, cox_binary, kaplan_meier
from hecon.survival.lifetable import (
    BackgroundMortality,
    LifeTable,
    lifetable_from_denmark_csv,
    lifetable_from_usa_mx_csv,
    with_background_mortality,
)

__all__ = [
    "FAMILIES",
    "AccelerationFactor",
    "BackgroundMortality",
    "CoxResult",
    "Distribution",
    "Exponential",
    "FitResult",
    "GenGamma",
    "Gompertz",
    "HazardRatio",
    "KaplanMeier",
    "LifeTable",
    "LogLogistic",
    "LogNormal",
    "PiecewiseHazard",
    "Spliced",
    "SurvivalCurve",
    "WaningHazardRatio",
    "Weibull",
    "cox_binary",
    "fit_all",
    "fit_parametric",
    "fit_table",
    "get_family",
    "kaplan_meier",
    "lifetable_from_denmark_csv",
    "lifetable_from_usa_mx_csv",
    "log_likelihood",
    "model_times",
    "on_grid",
    "per_cycle_probability",
    "reconstruct_ipd",
    "stop_effect",
    "survival_from_hazard",
    "with_background_mortality",
]
