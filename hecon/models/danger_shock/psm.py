"""Alternative structure: partitioned survival with parametric overall survival per arm.

Overall survival of each arm is a Weibull curve through two anchors of the trial, 180-day
survival and crude survival at the long-term follow-up (``followup_years_longterm``), with
general-population mortality (times ``smr_after_year1``) as a floor. The treatment-effect
assumption after 180 days (``effect_duration``) decides the Impella arm's hazard: its own curve
for life (``lifetime``), the standard-care hazard from 180 days (``trial``), or a log-linear
move from its own to the standard-care hazard (``waning``). Two states
(alive, dead); costs and QALYs of the acute phase (device, hospital stay, safety events, acute
RRT) come from the same acute tree as the hybrid structure and are counted at time 0; alive
patients have the post-shock utility and follow-up costs, and a share equal to the arm's
dialysis-dependent share at 180 days carries dialysis costs and utility for life (an
approximation stated in docs/model.md).
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
from hecon.models.danger_shock.structure import ACUTE_YEARS, ARMS, MAX_AGE, acute_tree
from hecon.survival import Weibull

Hazard = Callable[[np.ndarray, np.ndarray], np.ndarray]


def weibull_through(s1: np.ndarray, t1: float, s2: np.ndarray, t2: np.ndarray):
    """Weibull (shape a, scale b) with S(t1) = s1 and S(t2) = s2: ln(-ln S) = a ln t - a ln b."""
    y1, y2 = np.log(-np.log(s1)), np.log(-np.log(s2))
    a = (y2 - y1) / (np.log(t2) - np.log(t1))
    b = np.exp(np.log(t1) - y1 / a)
    return a, b


def _increments(p: ParamView, times: np.ndarray, arm: str, gp_hazard: Hazard) -> np.ndarray:
    """Cumulative-hazard increments (n, T) of one arm's Weibull through its 180-day and
    long-term anchors, floored by the general population (x ``smr_after_year1``)."""
    a, b = weibull_through(1 - p[f"p_death_180_{arm}"], ACUTE_YEARS,
                           1 - p[f"p_death_10y_{arm}"], p.followup_years_longterm)
    t = times[None, :]
    dH = np.diff(Weibull(shape=a, scale=b).cumhaz(times), axis=1)
    mid = 0.5 * (t[:, :-1] + t[:, 1:])
    age = p.age[:, None] + mid
    male = np.broadcast_to(p.male[:, None], age.shape)
    h_gp = gp_hazard(age.ravel(), male.ravel()).reshape(age.shape) * p.smr_after_year1[:, None]
    return np.maximum(dH, h_gp * np.diff(t, axis=1))


def os_curves(p: ParamView, times: np.ndarray, arm: str, cfg: ModelConfig,
              gp_hazard: Hazard) -> np.ndarray:
    """Overall survival (n, T+1) on the time grid for one arm (and one sex via ``p.male``).

    Each arm has its own Weibull. For the Impella arm the effect-duration setting decides what
    happens after 180 days: ``lifetime`` keeps its own curve; ``trial`` switches to the
    standard-care hazard; ``waning`` moves from its own to the standard-care hazard on the log
    scale, linearly between the waning start and end times.
    """
    dH = _increments(p, times, arm, gp_hazard)
    if arm == "impella" and cfg.effect_duration != "lifetime":
        soc = _increments(p, times, "soc", gp_hazard)
        mid = 0.5 * (times[:-1] + times[1:])[None, :]
        if cfg.effect_duration == "trial":
            w = np.where(mid < ACUTE_YEARS, 0.0, 1.0)
        else:
            w = np.clip((mid - cfg.waning_start_years) /
                        (cfg.waning_end_years - cfg.waning_start_years), 0, 1)
            w = np.where(mid < ACUTE_YEARS, 0.0, w)
        with np.errstate(divide="ignore"):
            dH = np.exp((1 - w) * np.log(dH) + w * np.log(soc))
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
            fu = np.where(since < 1.0, p.c_followup_year1, p.c_followup_annual) * dt
            return {"follow_up": {"alive": fu},
                    "dialysis": {"alive": dial_share(p) * p.c_dialysis_annual * dt}}

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


__all__ = ["Hybrid", "os_curves", "strategies", "weibull_through"]
