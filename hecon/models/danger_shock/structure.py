"""The DanGer Shock model's structure: an acute decision tree, then a long-term Markov model.

::

    randomisation --(Impella CP: device + implantation)--> safety event? --> acute RRT?
        --> dead by 180 days                                    -> [dead]
        --> alive at 180 days --(after RRT) dialysis-dependent? -> [dialysis] / [post-shock]
                              --(no RRT)                        -> [post-shock]

    long-term Markov from 180 days, monthly cycles, men and women run separately and weighted:
        post-shock --(general-population hazard x SMR x landmark HR(t) in the pump arm)--> dead
        dialysis   --(dialysis mortality, never below post-shock mortality)---------> dead

Assumptions (docs/model.md lists them all): safety events, acute RRT and 180-day death are
independent within an arm; deaths within 180 days follow a Weibull hazard (same shape in both
arms, calibrated to the standard-care median survival of 61 days) that reproduces each arm's
180-day mortality; after 180 days the pump arm's hazard is multiplied by the landmark hazard
ratio within the observed follow-up, and beyond it as the effect-duration setting says;
dialysis dependence is decided at 180 days and is permanent; no late onset of dialysis.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import gamma as gamma_fn
from scipy.special import gammainc

from hecon.engine import (
    Branch,
    C,
    Chance,
    Hybrid,
    MarkovModel,
    Mixture,
    ParamView,
    State,
    Terminal,
)
from hecon.models.danger_shock.config import ModelConfig

ACUTE_YEARS = 180 / 365.25  # the trial's primary end point, 180 days
ARMS = {"impella": "Impella CP + standard care", "soc": "Standard care"}
STATES = ["post_shock", "dialysis", "dead"]
# the treatment effect beyond the observed follow-up, in the order of the structure weights
EFFECT_STRUCTURES = ("stops", "wanes", "persists")
MAX_AGE = 100.0

Hazard = Callable[[np.ndarray, np.ndarray], np.ndarray]
CumHazard = Callable[[np.ndarray, np.ndarray], np.ndarray]


def acute_survival(t: np.ndarray, p_death: np.ndarray, shape: np.ndarray | float = 1.0
                   ) -> np.ndarray:
    """Survival at times ``t`` (years, 0 <= t <= 180 days) in the acute phase: a Weibull with
    the given shape through the arm's 180-day mortality, S(t) = (1 - p) ** ((t / T) ** shape).
    Broadcasts ``t`` against the parameters."""
    T = ACUTE_YEARS
    return np.exp(np.log1p(-np.asarray(p_death, dtype=float)) * (np.asarray(t) / T) ** shape)


def acute_decedent_years(p_death: np.ndarray, shape: np.ndarray | float = 1.0) -> np.ndarray:
    """Mean years alive in the acute phase among those who die by 180 days.

    Weibull S(t) = exp(-c (t/T)^k), c = -ln(1 - p), reproducing the 180-day mortality p; the
    mean time to death given death before T is (int_0^T S dt - T S(T)) / p, with
    int_0^T S dt = T Gamma(1/k) P(1/k, c) / (k c^(1/k)) (P: regularised lower incomplete gamma).
    Shape 1 is the constant hazard (1/lam - T (1 - p) / p); as p -> 0 the mean is T k / (k + 1).
    """
    p = np.asarray(p_death, dtype=float)
    k = np.asarray(shape, dtype=float)
    T = ACUTE_YEARS
    with np.errstate(divide="ignore", invalid="ignore"):
        c = -np.log1p(-p)
        area = T * gamma_fn(1 / k) * gammainc(1 / k, c) / (k * c ** (1 / k))
        mean = (area - T * (1.0 - p)) / p
    mean = np.where(p < 1e-9, T * k / (k + 1), mean)
    return np.where(p >= 1.0, 0.0, mean)


def acute_tree(arm: str, cfg: ModelConfig) -> Chance:
    """The acute phase (randomisation to 180 days) for one arm."""
    a = arm

    def death_node(after_rrt: bool) -> Chance:
        survive_then: Chance | Terminal = Terminal("post_shock")
        if after_rrt:
            survive_then = Chance("dialysis dependence", [
                Branch("dialysis-dependent", p=lambda p: p.p_dialysis_dependent,
                       then=Terminal("dialysis")),
                Branch("renal recovery", p=C, then=Terminal("post_shock")),
            ])
        return Chance("180-day survival", [
            Branch(
                "dies by 180 days",
                p=lambda p: p[f"p_death_180_{a}"],
                costs={"index_hospitalisation": lambda p: index_cost(p, a, survived=False)},
                life_years=lambda p: acute_decedent_years(p[f"p_death_180_{a}"],
                                                          p.shape_acute_death),
                qalys=lambda p: acute_decedent_years(p[f"p_death_180_{a}"],
                                                     p.shape_acute_death) * p.u_acute,
                then=Terminal("dead"),
            ),
            Branch(
                "alive at 180 days",
                p=C,
                costs={"index_hospitalisation": lambda p: index_cost(p, a, survived=True)},
                life_years=ACUTE_YEARS,
                qalys=lambda p: ACUTE_YEARS * p.u_acute,
                then=survive_then,
            ),
        ])

    rrt = Chance("acute renal-replacement therapy", [
        Branch("RRT", p=lambda p: p[f"p_rrt_{a}"], costs={"acute_rrt": lambda p: p.c_rrt_acute},
               then=death_node(True)),
        Branch("no RRT", p=C, then=death_node(False)),
    ])
    safety = Chance("safety composite event", [
        Branch("safety event", p=lambda p: p[f"p_safety_{a}"],
               costs={"adverse_events": lambda p: p.c_safety_event},
               qalys=lambda p: -p.du_safety_event, then=rrt),
        Branch("no safety event", p=C, then=rrt),
    ])
    device = ({"device": lambda p: p.c_device + p.c_implant + p.c_device_system}
              if a == "impella" else {})
    return Chance("randomised", [Branch(ARMS[a], p=1.0, costs=device, then=safety)])


def branch_share(rb, label: str) -> np.ndarray:
    """Proportion of the cohort whose path passes through a branch with this exact label."""
    # a path reads "root node: branch > branch > ... > branch"
    return sum(w for path, w in rb.paths.items() if label in path.split(": ", 1)[1].split(" > "))


def index_cost(p: ParamView, arm: str, survived: bool) -> np.ndarray:
    """Index hospitalisation: ICU and ward days times their daily costs; ICU days of the
    Impella arm are scaled by ``icu_days_ratio_impella`` (the trial's post hoc CICU data)."""
    who = "survivor" if survived else "decedent"
    icu = p[f"icu_days_{who}"] * (p.icu_days_ratio_impella if arm == "impella" else 1.0)
    return icu * p.c_icu_day + p[f"ward_days_{who}"] * p.c_ward_day


def utility_norm(p: ParamView, age: np.ndarray) -> np.ndarray:
    """General-population EQ-5D at ``age`` for the cohort's sex (``p.male``): the country's
    age(-sex) model, intercept + male + age + age squared."""
    return (p.u_norm_intercept + p.u_norm_male * p.male + p.u_norm_age * age
            + p.u_norm_age2 * age ** 2)


def age_utility_factor(p: ParamView, age: np.ndarray) -> np.ndarray:
    """Age adjustment of long-term utilities: norm(age) / norm(age at 180 days), so a state's
    utility is its source value at the start of the long-term phase and falls as the
    general population's does (1 throughout when the age coefficients are 0)."""
    return utility_norm(p, age) / utility_norm(p, p.age + ACUTE_YEARS)


def effect_structure(p) -> np.ndarray:
    """Index into :data:`EFFECT_STRUCTURES` (0 stops, 1 wanes, 2 persists) of each draw: the
    uniform ``effect_structure_draw`` cut at the cumulative structure weights."""
    draw = np.asarray(p["effect_structure_draw"], dtype=float)
    stops = np.asarray(p["weight_effect_stops"], dtype=float)
    wanes = stops + np.asarray(p["weight_effect_wanes"], dtype=float)
    return np.where(draw < stops, 0, np.where(draw < wanes, 1, 2))


def effect_multiplier(p: ParamView, arm: str, years_since_index, cfg: ModelConfig,
                      hr=None):
    """Hazard ratio applied to mortality after 180 days in the Impella arm (1 for standard care).

    The landmark hazard ratio ``hr_death_longterm`` applies up to the end of the observed
    follow-up (``followup_max_years``); beyond it the effect stops (``followup``), wanes
    (log-HR linear from full at ``waning_start_years`` to none at ``waning_end_years``),
    persists (``lifetime``), or, for ``averaged``, whichever of the three the draw's
    structure is. ``waning`` and ``lifetime`` describe the whole time after 180 days;
    ``trial`` has no effect after 180 days. ``years_since_index`` is a number or one per
    draw; ``hr`` replaces ``hr_death_longterm`` (the partitioned-survival structure passes its
    own calibrated ratio).
    """
    mode = cfg.effect_duration
    if arm != "impella" or mode == "trial":
        return 1.0
    hr = p.hr_death_longterm if hr is None else hr
    if mode == "lifetime":
        return hr
    t0, t1 = cfg.waning_start_years, cfg.waning_end_years
    w = np.clip((np.asarray(years_since_index, dtype=float) - t0) / (t1 - t0), 0.0, 1.0)
    wanes = np.exp((1.0 - w) * np.log(hr))  # log-HR fades linearly from full to none
    if mode == "waning":
        return wanes
    if mode == "followup":
        beyond = 1.0
    else:
        k = effect_structure(p)
        beyond = np.where(k == 0, 1.0, np.where(k == 1, wanes, hr))
    return np.where(years_since_index < p.followup_max_years, hr, beyond)


def long_term_model(arm: str, cfg: ModelConfig, gp_cumhaz: CumHazard,
                    n_cycles: int) -> MarkovModel:
    """The long-term Markov model from 180 days (one sex at a time, via parameter ``male``).

    The general-population hazard of a cycle is its exact average over the cycle's ages
    (cumulative hazard difference / cycle length), so cycles that straddle a birthday are
    exact for the life table's piecewise-constant hazard.
    """
    dt = cfg.cycle_days / 365.25

    def transitions(p: ParamView, t) -> dict:
        since_index = ACUTE_YEARS + t.time
        h_gp = (gp_cumhaz(t.age + dt, p.male) - gp_cumhaz(t.age, p.male)) / dt
        smr = np.where(since_index < 1.0, p.smr_year1, p.smr_after_year1)
        h_post = h_gp * smr * effect_multiplier(p, arm, since_index, cfg)
        h_dial = np.maximum(p.rate_death_dialysis, h_post)
        return {
            ("post_shock", "dead"): -np.expm1(-h_post * dt),
            ("post_shock", "post_shock"): C,
            ("dialysis", "dead"): -np.expm1(-h_dial * dt),
            ("dialysis", "dialysis"): C,
        }

    def costs(p: ParamView, t) -> dict:
        if cfg.perspective == "hospital":
            return {}
        since_index = ACUTE_YEARS + t.time
        fu = np.where(since_index < 1.0, p.c_followup_year1, p.c_followup_annual) * dt
        return {"follow_up": {"post_shock": fu, "dialysis": fu},
                "dialysis": {"dialysis": p.c_dialysis_annual * dt}}

    return MarkovModel(
        name=f"{arm} long-term",
        states=["post_shock", "dialysis", State("dead", dead=True)],
        transitions=transitions,
        start={"post_shock": 1.0},
        n_cycles=n_cycles,
        cycle_length=dt,
        costs=costs,
        utilities=lambda p, t: {
            "post_shock": p[f"u_post_shock_{cfg.utility_source}"] * age_utility_factor(p, t.age),
            "dialysis": p.u_dialysis * age_utility_factor(p, t.age)},
        start_age=lambda p: p.age + ACUTE_YEARS,
        start_time=ACUTE_YEARS,
        cost_categories=("follow_up", "dialysis"),
        vectorised=True,
    )


def n_long_term_cycles(cfg: ModelConfig, start_age: float) -> int:
    """Cycles of the long-term phase to the horizon (nearest whole cycle), or to age 100 for a
    lifetime horizon; 0 for a horizon of 180 days (the trial period only)."""
    dt = cfg.cycle_days / 365.25
    years = (MAX_AGE - start_age - ACUTE_YEARS) if cfg.horizon_years is None else (
        cfg.horizon_years - ACUTE_YEARS)
    return max(0, int(round(years / dt)))


def strategies(cfg: ModelConfig, gp_cumhaz: CumHazard, start_age: float) -> list:
    """The two strategies (Impella CP + standard care, standard care) for a configuration."""
    n_cycles = n_long_term_cycles(cfg, start_age)
    out = []
    for arm, label in ARMS.items():
        tree = acute_tree(arm, cfg)
        extras = {
            "alive_180d": lambda rb, p: 1.0 - rb.terminal.get("dead", 0.0),
            "safety_event": lambda rb, p: branch_share(rb, "safety event"),
            "acute_rrt": lambda rb, p: branch_share(rb, "RRT"),
        }
        if n_cycles <= 0:
            out.append(Hybrid(label, tree, None, extras=extras))
            continue
        hybrid = Hybrid(label, tree, long_term_model(arm, cfg, gp_cumhaz, n_cycles),
                        extras=extras)
        out.append(Mixture(label, [(lambda p: p.male_share, hybrid, {"male": 1.0}),
                                   (lambda p: 1.0 - p.male_share, hybrid, {"male": 0.0})]))
    return out
