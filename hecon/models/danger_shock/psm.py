"""Alternative structure: partitioned survival with overall survival per arm in three pieces.

Overall survival of each arm passes through the trial's figures it is calibrated to:

* randomisation to 180 days: the acute Weibull of the hybrid structure (shape
  ``shape_acute_death``, the same in both arms) through the arm's 180-day mortality;
* 180 days to the end of the observed follow-up (``followup_max_years``): a constant hazard
  calibrated so that the expected crude proportion of 180-day survivors dead at each patient's
  own follow-up time (uniform between ``followup_min_years`` and ``followup_max_years``)
  equals the published crude figure (``p_death_fu_given180_<arm>``);
* beyond the observed follow-up: general-population mortality x ``smr_after_year1``; in the
  Impella arm times the ratio of the two arms' follow-up hazards as the effect-duration
  setting says (stops, wanes, persists, or one of them per draw).

Two states (alive, dead); costs and QALYs of the acute phase (device, hospital stay, safety
events, acute RRT) come from the same acute tree as the hybrid structure and are counted at
time 0; alive patients have the post-shock utility and follow-up costs, and a share equal to
the arm's dialysis-dependent share at 180 days carries dialysis costs and utility for life (an
approximation stated in docs/model.md). The ``trial`` setting gives the Impella arm the
standard-care hazard from 180 days.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from hecon.engine import (
    Hybrid,
    Mixture,
    ParamView,
    PartitionedSurvivalModel,
    State,
    rollback,
)
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.structure import (
    ACUTE_YEARS,
    ARMS,
    MAX_AGE,
    acute_tree,
    effect_multiplier,
)

Hazard = Callable[[np.ndarray, np.ndarray], np.ndarray]


def crude_survival_uniform(rate: np.ndarray, start: float, lo: np.ndarray, hi: np.ndarray
                           ) -> np.ndarray:
    """Mean of exp(-rate (f - start)) over follow-up f uniform on [lo, hi] (lo >= start): the
    expected crude proportion alive at each patient's own follow-up time under a constant
    hazard from ``start``."""
    rate, lo, hi = (np.asarray(x, dtype=float) for x in (rate, lo, hi))
    x0, x1 = rate * (lo - start), rate * (hi - start)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = (np.exp(-x0) - np.exp(-x1)) / (x1 - x0)
    return np.where(x1 - x0 < 1e-12, np.exp(-x0), mean)


def followup_rate(q: np.ndarray, start: float, lo: np.ndarray, hi: np.ndarray,
                  iterations: int = 100) -> np.ndarray:
    """The constant hazard from ``start`` under which the expected crude proportion dead at a
    follow-up uniform on [lo, hi] is ``q`` (vectorised bisection; the crude proportion alive
    falls strictly with the hazard, from 1 at hazard 0)."""
    q = np.asarray(q, dtype=float)
    lo_r = np.zeros(np.broadcast(q, lo, hi).shape)
    hi_r = np.full(lo_r.shape, 200.0)
    for _ in range(iterations):
        mid = 0.5 * (lo_r + hi_r)
        dead = 1.0 - crude_survival_uniform(mid, start, lo, hi)
        too_low = dead < q
        lo_r = np.where(too_low, mid, lo_r)
        hi_r = np.where(too_low, hi_r, mid)
    return 0.5 * (lo_r + hi_r)


def os_curves(p: ParamView, times: np.ndarray, arm: str, cfg: ModelConfig,
              gp_hazard: Hazard) -> np.ndarray:
    """Overall survival (n, T+1) on the time grid for one arm (and one sex via ``p.male``).

    Cumulative hazard: the acute Weibull to 180 days (exact), the arm's calibrated constant
    hazard to the end of follow-up (exact), then general-population hazard at the interval's
    mid-age x ``smr_after_year1`` (x the effect multiplier in the Impella arm).
    """
    T = ACUTE_YEARS
    t = np.asarray(times, dtype=float)[None, :]
    t0, t1 = t[:, :-1], t[:, 1:]
    hi = p.followup_max_years[:, None]
    k = p.shape_acute_death[:, None]

    def acute_H(x: np.ndarray, who: str) -> np.ndarray:
        return -np.log1p(-p[f"p_death_180_{who}"][:, None]) * (np.minimum(x, T) / T) ** k

    rate = {who: followup_rate(p[f"p_death_fu_given180_{who}"], T, p.followup_min_years,
                               p.followup_max_years)[:, None] for who in ("impella", "soc")}
    fu_len = np.clip(t1, T, hi) - np.clip(t0, T, hi)
    bg_len = np.maximum(t1, hi) - np.maximum(t0, hi)
    mid = 0.5 * (t0 + t1)
    age = p.age[:, None] + mid
    male = np.broadcast_to(p.male[:, None], age.shape)
    h_bg = gp_hazard(age.ravel(), male.ravel()).reshape(age.shape) * p.smr_after_year1[:, None]
    dH = acute_H(t1, arm) - acute_H(t0, arm)
    if arm == "soc" or cfg.effect_duration == "trial":
        return _survival(dH + rate["soc"] * fu_len + h_bg * bg_len)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(rate["soc"][:, 0] > 0, rate["impella"][:, 0] / rate["soc"][:, 0], 1.0)
    # beyond follow-up: the effect multiplier at a time after the end of follow-up
    mult = np.stack([np.broadcast_to(effect_multiplier(
        p, arm, np.maximum(mid[0, j], p.followup_max_years), cfg, hr=ratio), ratio.shape)
        for j in range(mid.shape[1])], axis=1)
    return _survival(dH + rate["impella"] * fu_len + h_bg * bg_len * mult)


def _survival(dH: np.ndarray) -> np.ndarray:
    H = np.concatenate([np.zeros((dH.shape[0], 1)), np.cumsum(dH, axis=1)], axis=1)
    return np.exp(-H)


def strategies(cfg: ModelConfig, gp_hazard: Hazard, start_age: float) -> list:
    """Both arms as partitioned-survival models with the acute tree's costs at time 0."""
    dt = cfg.cycle_days / 365.25
    years = (MAX_AGE - start_age) if cfg.horizon_years is None else cfg.horizon_years
    n_cycles = max(1, int(round(years / dt)))
    out = []
    for arm, label in ARMS.items():
        tree = acute_tree(arm, cfg)

        def acute_costs(p: ParamView, tree=tree) -> dict:
            return rollback(tree, p).costs

        def dial_share(p: ParamView, arm=arm) -> np.ndarray:
            return p[f"p_rrt_{arm}"] * p.p_dialysis_dependent

        def costs(p, t, dial_share=dial_share):
            if cfg.perspective == "hospital":
                return {}
            since = t.time
            # the first 180 days are the index admission, costed by the acute tree (as in the
            # hybrid): follow-up (its year-1 rate is the months 6-12 cost) and chronic
            # dialysis start at 180 days
            late = np.where(since < ACUTE_YEARS, 0.0, 1.0)
            fu = late * np.where(since < 1.0, p.c_followup_year1, p.c_followup_annual) * dt
            return {"follow_up": {"alive": fu},
                    "dialysis": {"alive": late * dial_share(p) * p.c_dialysis_annual * dt}}

        def utilities(p, t, dial_share=dial_share):
            u_post = p[f"u_post_shock_{cfg.utility_source}"]
            acute = t.time < ACUTE_YEARS
            s = dial_share(p)
            return {"alive": np.where(acute, p.u_acute, (1 - s) * u_post + s * p.u_dialysis)}

        def safety_qalys(p: ParamView, arm=arm) -> np.ndarray:
            return -p[f"p_safety_{arm}"] * p.du_safety_event

        model = PartitionedSurvivalModel(
            name=label, states=["alive", State("dead", dead=True)],
            curves=lambda p, times, arm=arm: [os_curves(p, times, arm, cfg, gp_hazard)],
            n_cycles=n_cycles, cycle_length=dt, costs=costs, utilities=utilities,
            start_costs=acute_costs, start_qalys=safety_qalys, start_age="age",
            vectorised=True,
        )
        # the 180-day survival of the curve is reported like the hybrid's
        extras_model = _WithAlive180(model, arm, cfg, gp_hazard)
        out.append(Mixture(label, [(lambda p: p.male_share, extras_model, {"male": 1.0}),
                                   (lambda p: 1.0 - p.male_share, extras_model, {"male": 0.0})]))
    return out


class _WithAlive180:
    """Adds ``alive_180d`` (overall survival at 180 days) to a PSM's outputs."""

    def __init__(self, model: PartitionedSurvivalModel, arm: str, cfg: ModelConfig,
                 gp_hazard: Hazard) -> None:
        self.model, self.arm, self.cfg, self.gp = model, arm, cfg, gp_hazard
        self.name = model.name

    def run(self, p, settings=None, keep_trace=True):
        out = self.model.run(p, settings, keep_trace)
        s = os_curves(p, np.array([0.0, ACUTE_YEARS]), self.arm, self.cfg, self.gp)
        out.extras["alive_180d"] = s[:, 1]
        return out


__all__ = ["Hybrid", "crude_survival_uniform", "followup_rate", "os_curves", "strategies"]
