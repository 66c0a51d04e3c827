"""The DanGer Shock base structure written out in plain numpy, without the hecon engine.

Two uses: the baseline kernel the benchmarks compare hecon's throughput against (the same
arithmetic with no validation, no generic machinery), and an independent re-implementation the
test suite compares the engine's results with (tests/danger_shock/test_numpy_reference.py).

:func:`flagship` (the benchmarks' kernel) covers the default configuration: hybrid structure,
lifetime horizon, Weibull acute hazard, ICU days scaled in the pump arm, device system cost,
age-adjusted long-term utilities, landmark hazard ratio after 180 days within the observed
follow-up and, beyond it, the effect-duration structure of each draw (stops / wanes from 10 to
20 years / persists, chosen by the uniform structure draw and the weights), payer perspective,
life-table counting, discount factor at the start of each cycle, country discounting.

:func:`reference` covers every option the scenario files use (hybrid and partitioned-survival
structures, every effect duration, fixed and lifetime horizons, any discount segments,
utility sources; parameter overrides and subgroups arrive in the parameters) and returns every
reported outcome (costs by category, QALYs, life-years, discounted and undiscounted, alive at
180 days, traces). Written from docs/model.md, not from the engine code; nothing of the
hecon package is imported.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.special import gamma, gammainc

T_ACUTE = 180 / 365.25
DT = 30.4375 / 365.25
MAX_AGE = 100.0
WANING = (10.0, 20.0)  # default waning_start_years, waning_end_years


def discount(t: np.ndarray, segments: list[tuple[float, float]]) -> np.ndarray:
    """Step-wise discount factor at times t: prod (1 + r_i) ^ -(time spent in segment i)."""
    t = np.asarray(t, dtype=float)
    out = np.ones_like(t)
    bounds = [s for s, _ in segments[1:]] + [np.inf]
    for (start, rate), end in zip(segments, bounds, strict=True):
        span = np.clip(t, start, end) - start
        out *= (1 + rate) ** -span
    return out


def cumhaz(ages: np.ndarray, rates: np.ndarray, first_age: float) -> np.ndarray:
    """Cumulative hazard of a single-year piecewise-constant life table from ``first_age``."""
    a = np.asarray(ages, dtype=float) - first_age
    k = np.clip(np.floor(a).astype(int), 0, rates.size - 1)
    cum = np.concatenate([[0.0], np.cumsum(rates)])
    return cum[k] + rates[k] * (a - k)


def hazard_ratio(p: Mapping[str, np.ndarray], a: str, t: float) -> np.ndarray | float:
    """HR(t) on post-shock mortality at t years since randomisation (cycle start): 1 for
    standard care; for the pump the landmark HR up to the end of the observed follow-up, then
    by the draw's structure: u < w_stops: 1; u < w_stops + w_wanes: the log HR falling
    linearly to 0 between the waning years; else the landmark HR."""
    if a != "impella":
        return 1.0
    hr = p["hr_death_longterm"]
    u, ws, ww = p["effect_structure_draw"], p["weight_effect_stops"], p["weight_effect_wanes"]
    frac = min(max((t - WANING[0]) / (WANING[1] - WANING[0]), 0.0), 1.0)
    beyond = np.where(u < ws, 1.0, np.where(u < ws + ww, hr ** (1 - frac), hr))
    return np.where(t < p["followup_max_years"], hr, beyond)


def norm_factor(p: Mapping[str, np.ndarray], ages: np.ndarray, age0: float, male: float
                ) -> np.ndarray:
    """Age adjustment of long-term utilities, (n_cycles, n): the general-population EQ-5D at
    each cycle's starting age over its value at 180 days (docs/model.md)."""
    def norm(a):
        a = np.asarray(a, dtype=float)[:, None]
        return (p["u_norm_intercept"] + p["u_norm_male"] * male + p["u_norm_age"] * a
                + p["u_norm_age2"] * a ** 2)
    return norm(ages) / norm(np.array([age0 + T_ACUTE]))


def arm(p: Mapping[str, np.ndarray], a: str, life: Mapping[str, np.ndarray], first_age: float,
        segments: list[tuple[float, float]], long_term: bool = True
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Discounted cost, QALYs and life-years per patient of one arm ('impella' or 'soc');
    ``long_term=False`` returns the acute phase only."""
    pd_, ps, pr = p[f"p_death_180_{a}"], p[f"p_safety_{a}"], p[f"p_rrt_{a}"]
    # ---- acute phase (decision tree), counted at time 0
    # Weibull S(t) = exp(-c (t/T)^k), c = -ln(1 - p); decedents' mean time alive
    # = (int_0^T S dt - T (1 - p)) / p, int_0^T S dt = T Gamma(1/k) P(1/k, c) / (k c^(1/k))
    k_ = p["shape_acute_death"]
    c_ = -np.log1p(-pd_)
    area = T_ACUTE * gamma(1 / k_) * gammainc(1 / k_, c_) / (k_ * c_ ** (1 / k_))
    dec_years = (area - T_ACUTE * (1 - pd_)) / pd_  # mean time alive of those who die
    icu_x = p["icu_days_ratio_impella"] if a == "impella" else 1.0
    cost = (ps * p["c_safety_event"] + pr * p["c_rrt_acute"]
            + pd_ * (icu_x * p["icu_days_decedent"] * p["c_icu_day"]
                     + p["ward_days_decedent"] * p["c_ward_day"])
            + (1 - pd_) * (icu_x * p["icu_days_survivor"] * p["c_icu_day"]
                           + p["ward_days_survivor"] * p["c_ward_day"]))
    if a == "impella":
        cost = cost + p["c_device"] + p["c_implant"] + p["c_device_system"]
    ly = pd_ * dec_years + (1 - pd_) * T_ACUTE
    qaly = ly * p["u_acute"] - ps * p["du_safety_event"]
    dial0 = (1 - pd_) * pr * p["p_dialysis_dependent"]
    post0 = (1 - pd_) - dial0
    if not long_term:
        return cost, qaly, ly
    # ---- long-term Markov from 180 days, monthly, men and women separately
    age0 = float(np.asarray(p["age"]).ravel()[0])
    n = int(round((MAX_AGE - age0 - T_ACUTE) / DT))
    k = np.arange(1, n + 1)
    since = T_ACUTE + (k - 1) * DT
    d = discount(since, segments)
    for sex, w in (("male", p["male_share"]), ("female", 1 - p["male_share"])):
        ages = age0 + since
        h_gp = (cumhaz(ages + DT, life[sex], first_age) - cumhaz(ages, life[sex], first_age)) / DT
        uf = norm_factor(p, ages, age0, 1.0 if sex == "male" else 0.0)
        post, dial = post0.copy(), dial0.copy()
        c_l = np.zeros_like(post)
        q_l = np.zeros_like(post)
        y_l = np.zeros_like(post)
        for j in range(n):
            smr = p["smr_year1"] if since[j] < 1 else p["smr_after_year1"]
            h_post = h_gp[j] * smr * hazard_ratio(p, a, since[j])
            h_dial = np.maximum(p["rate_death_dialysis"], h_post)
            post_n = post * np.exp(-h_post * DT)
            dial_n = dial * np.exp(-h_dial * DT)
            mp, md = 0.5 * (post + post_n), 0.5 * (dial + dial_n)
            fu = (p["c_followup_year1"] if since[j] < 1 else p["c_followup_annual"]) * DT
            c_l += d[j] * ((mp + md) * fu + md * p["c_dialysis_annual"] * DT)
            q_l += d[j] * (mp * p["u_post_shock_base"] + md * p["u_dialysis"]) * uf[j] * DT
            y_l += d[j] * (mp + md) * DT
            post, dial = post_n, dial_n
        cost = cost + w * c_l
        qaly = qaly + w * q_l
        ly = ly + w * y_l
    return cost, qaly, ly


def arm_matrix(p: Mapping[str, np.ndarray], a: str, life: Mapping[str, np.ndarray],
               first_age: float, segments: list[tuple[float, float]]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`arm` in the generic matrix form of a cohort model: per cycle a transition matrix
    (n, 3, 3) over post-shock, dialysis, dead, the state vector times the matrix (einsum) and
    reward vectors per state. The same numbers; the arithmetic a general engine does."""
    cost, qaly, ly = arm(p, a, life, first_age, segments, long_term=False)
    pd_, pr = p[f"p_death_180_{a}"], p[f"p_rrt_{a}"]
    dial0 = (1 - pd_) * pr * p["p_dialysis_dependent"]
    start = np.stack([(1 - pd_) - dial0, dial0, pd_], axis=1)
    age0 = float(np.asarray(p["age"]).ravel()[0])
    n_cyc = int(round((MAX_AGE - age0 - T_ACUTE) / DT))
    since = T_ACUTE + np.arange(n_cyc) * DT
    d = discount(since, segments)
    n = start.shape[0]
    for sex, w in (("male", p["male_share"]), ("female", 1 - p["male_share"])):
        ages = age0 + since
        h_gp = (cumhaz(ages + DT, life[sex], first_age) - cumhaz(ages, life[sex], first_age)) / DT
        uf = norm_factor(p, ages, age0, 1.0 if sex == "male" else 0.0)
        m = start.copy()
        P = np.zeros((n, 3, 3))
        P[:, 2, 2] = 1.0
        c_l, q_l, y_l = np.zeros(n), np.zeros(n), np.zeros(n)
        u = np.stack([p["u_post_shock_base"], p["u_dialysis"], np.zeros(n)], axis=1)
        alive = np.array([1.0, 1.0, 0.0])
        for j in range(n_cyc):
            smr = p["smr_year1"] if since[j] < 1 else p["smr_after_year1"]
            h_post = h_gp[j] * smr * hazard_ratio(p, a, since[j])
            h_dial = np.maximum(p["rate_death_dialysis"], h_post)
            P[:, 0, 2] = -np.expm1(-h_post * DT)
            P[:, 0, 0] = 1 - P[:, 0, 2]
            P[:, 1, 2] = -np.expm1(-h_dial * DT)
            P[:, 1, 1] = 1 - P[:, 1, 2]
            m_next = np.einsum("ns,nst->nt", m, P)
            mm = 0.5 * (m + m_next)
            fu = (p["c_followup_year1"] if since[j] < 1 else p["c_followup_annual"]) * DT
            c = np.stack([fu + 0 * h_post, fu + p["c_dialysis_annual"] * DT, 0 * h_post], axis=1)
            c_l += d[j] * np.einsum("ns,ns->n", mm, c)
            q_l += d[j] * np.einsum("ns,ns->n", mm, u) * uf[j] * DT
            y_l += d[j] * (mm @ alive) * DT
            m = m_next
        cost, qaly, ly = cost + w * c_l, qaly + w * q_l, ly + w * y_l
    return cost, qaly, ly


def flagship(p: Mapping[str, np.ndarray], life: Mapping[str, np.ndarray], first_age: float,
             segments: list[tuple[float, float]], matrix: bool = False) -> dict[str, np.ndarray]:
    """Both arms: cost, qalys and life_years per arm, shape (n,) each (``matrix``: the generic
    matrix form, :func:`arm_matrix`)."""
    out = {}
    for a in ("impella", "soc"):
        c, q, y = (arm_matrix if matrix else arm)(p, a, life, first_age, segments)
        out[f"cost_{a}"], out[f"qalys_{a}"], out[f"life_years_{a}"] = c, q, y
    return out


# ---------------------------------------------------------------------------------------------
# Every option the scenarios use, and every reported outcome (tests/danger_shock/
# test_numpy_reference.py runs every scenario file through this and through the engine).
# Options: structure hybrid / psm; effect_duration averaged / followup / waning / lifetime /
# trial (waning years); horizon_years (None = lifetime, to age 100); discount segments;
# utility_source; parameter overrides (scenarios, subgroups) arrive in ``p``.
# Outcomes per arm: cost, cost_<category>, qalys, life_years (each also _undisc), alive_180d,
# trace (n, cycles + 1, states); hybrid also safety_event, acute_rrt and p_end_<state> (the
# acute tree's terminal shares: membership at 180 days).

ACUTE_CATEGORIES = ("device", "adverse_events", "acute_rrt", "index_hospitalisation")
LONG_TERM_CATEGORIES = ("follow_up", "dialysis")


def effect(p: Mapping[str, np.ndarray], a: str, t: np.ndarray | float, mode: str,
           waning: tuple[float, float], hr: np.ndarray | None = None) -> np.ndarray | float:
    """Hazard ratio after 180 days at time t (years since randomisation) for arm ``a`` under
    an effect-duration option (docs/model.md): landmark HR to the end of follow-up, then
    stops / wanes (log HR linear from full at waning[0] to none at waning[1]) / persists, or
    the draw's structure for ``averaged``; ``waning`` and ``lifetime`` hold from 180 days;
    ``trial``: 1. ``hr`` replaces the landmark HR (the PSM's ratio of follow-up hazards)."""
    if a != "impella" or mode == "trial":
        return 1.0
    hr = p["hr_death_longterm"] if hr is None else hr
    frac = np.clip((np.asarray(t, dtype=float) - waning[0]) / (waning[1] - waning[0]), 0, 1)
    wanes = hr ** (1 - frac)
    if mode == "lifetime":
        return hr
    if mode == "waning":
        return wanes
    if mode == "followup":
        beyond = 1.0
    else:
        u = p["effect_structure_draw"]
        ws, ww = p["weight_effect_stops"], p["weight_effect_wanes"]
        beyond = np.where(u < ws, 1.0, np.where(u < ws + ww, wanes, hr))
    return np.where(t < p["followup_max_years"], hr, beyond)


def acute_phase(p: Mapping[str, np.ndarray], a: str) -> dict[str, np.ndarray]:
    """The decision tree to 180 days for arm ``a``: cost by category, QALYs and life-years (all
    at time 0), and the shares entering the long-term phase."""
    pd_, ps, pr = p[f"p_death_180_{a}"], p[f"p_safety_{a}"], p[f"p_rrt_{a}"]
    k_ = p["shape_acute_death"]
    c_ = -np.log1p(-pd_)
    area = T_ACUTE * gamma(1 / k_) * gammainc(1 / k_, c_) / (k_ * c_ ** (1 / k_))
    dec_years = (area - T_ACUTE * (1 - pd_)) / pd_
    icu_x = p["icu_days_ratio_impella"] if a == "impella" else 1.0
    zero = np.zeros_like(pd_)
    out = {
        "device": (p["c_device"] + p["c_implant"] + p["c_device_system"] + zero
                   if a == "impella" else zero),
        "adverse_events": ps * p["c_safety_event"],
        "acute_rrt": pr * p["c_rrt_acute"],
        "index_hospitalisation": (
            pd_ * (icu_x * p["icu_days_decedent"] * p["c_icu_day"]
                   + p["ward_days_decedent"] * p["c_ward_day"])
            + (1 - pd_) * (icu_x * p["icu_days_survivor"] * p["c_icu_day"]
                           + p["ward_days_survivor"] * p["c_ward_day"])),
    }
    ly = pd_ * dec_years + (1 - pd_) * T_ACUTE
    out["life_years"] = ly
    out["qalys"] = ly * p["u_acute"] - ps * p["du_safety_event"]
    out["dialysis0"] = (1 - pd_) * pr * p["p_dialysis_dependent"]
    out["post0"] = (1 - pd_) - out["dialysis0"]
    out["dead0"] = pd_
    return out


def _age0(p: Mapping[str, np.ndarray]) -> float:
    ages = np.unique(np.asarray(p["age"], dtype=float))
    if ages.size != 1:
        raise ValueError("the reference needs one age at randomisation per call")
    return float(ages[0])


def _empty(n: int, categories: tuple[str, ...]) -> dict[str, np.ndarray]:
    out = {}
    for suffix in ("", "_undisc"):
        for c in categories:
            out[f"cost_{c}{suffix}"] = np.zeros(n)
        out[f"qalys{suffix}"] = np.zeros(n)
        out[f"life_years{suffix}"] = np.zeros(n)
    return out


def hybrid_arm(p: Mapping[str, np.ndarray], a: str, life: Mapping[str, np.ndarray],
               first_age: float, segments: list[tuple[float, float]], effect_duration: str,
               horizon_years: float | None, utility_source: str,
               waning: tuple[float, float] = WANING) -> dict[str, np.ndarray]:
    """Every outcome of one arm of the hybrid structure (acute tree, then the monthly Markov
    model from 180 days, men and women weighted by ``male_share``)."""
    ac = acute_phase(p, a)
    n = ac["post0"].size
    out = _empty(n, ACUTE_CATEGORIES + LONG_TERM_CATEGORIES)
    for suffix in ("", "_undisc"):
        for c in ACUTE_CATEGORIES:
            out[f"cost_{c}{suffix}"] += ac[c]
        out[f"qalys{suffix}"] += ac["qalys"]
        out[f"life_years{suffix}"] += ac["life_years"]
    age0 = _age0(p)
    years = (MAX_AGE - age0 - T_ACUTE) if horizon_years is None else horizon_years - T_ACUTE
    n_cyc = max(0, int(round(years / DT)))
    start = np.stack([ac["post0"], ac["dialysis0"], ac["dead0"]], axis=1)
    trace = np.zeros((n, n_cyc + 1, 3))
    since = T_ACUTE + np.arange(n_cyc) * DT  # cycle starts, years since randomisation
    d = discount(since, segments)
    u_post = p[f"u_post_shock_{utility_source}"]
    for sex, w in (("male", p["male_share"]), ("female", 1 - p["male_share"])):
        w = np.asarray(w, dtype=float) + np.zeros(n)
        ages = age0 + since
        h_gp = (cumhaz(ages + DT, life[sex], first_age) - cumhaz(ages, life[sex], first_age)) / DT
        uf = norm_factor(p, ages, age0, 1.0 if sex == "male" else 0.0)
        m = start.copy()
        tr = [m]
        for j in range(n_cyc):
            smr = p["smr_year1"] if since[j] < 1 else p["smr_after_year1"]
            h_post = h_gp[j] * smr * effect(p, a, since[j], effect_duration, waning)
            h_dial = np.maximum(p["rate_death_dialysis"], h_post)
            q_post, q_dial = -np.expm1(-h_post * DT), -np.expm1(-h_dial * DT)
            nxt = np.stack([m[:, 0] * (1 - q_post), m[:, 1] * (1 - q_dial),
                            m[:, 2] + m[:, 0] * q_post + m[:, 1] * q_dial], axis=1)
            mp, md = 0.5 * (m[:, 0] + nxt[:, 0]), 0.5 * (m[:, 1] + nxt[:, 1])
            fu = (p["c_followup_year1"] if since[j] < 1 else p["c_followup_annual"]) * DT
            vals = {"cost_follow_up": (mp + md) * fu,
                    "cost_dialysis": md * p["c_dialysis_annual"] * DT,
                    "qalys": (mp * u_post + md * p["u_dialysis"]) * uf[j] * DT,
                    "life_years": (mp + md) * DT}
            for key, v in vals.items():
                out[key] += w * d[j] * v
                out[f"{key}_undisc"] += w * v
            m = nxt
            tr.append(m)
        trace += w[:, None, None] * np.stack(tr, axis=1)
    return _finish(out, ACUTE_CATEGORIES + LONG_TERM_CATEGORIES, trace, {
        "alive_180d": 1 - ac["dead0"],
        "safety_event": p[f"p_safety_{a}"] + np.zeros(n),
        "acute_rrt": p[f"p_rrt_{a}"] + np.zeros(n),
        # shares at the end of the acute tree (its terminal nodes), not of the horizon
        "p_end_post_shock": ac["post0"],
        "p_end_dialysis": ac["dialysis0"],
        "p_end_dead": ac["dead0"],
    })


def _finish(out: dict[str, np.ndarray], categories: tuple[str, ...], trace: np.ndarray,
            extras: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    for suffix in ("", "_undisc"):
        out[f"cost{suffix}"] = sum(out[f"cost_{c}{suffix}"] for c in categories)
    out["trace"] = trace
    out.update(extras)
    return out


def crude_alive(rate: np.ndarray, start: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Mean of exp(-rate (f - start)) over f uniform on [lo, hi]."""
    x0, x1 = rate * (lo - start), rate * (hi - start)
    return (np.exp(-x0) - np.exp(-x1)) / (x1 - x0)


def followup_hazard(q: np.ndarray, start: float, lo: np.ndarray, hi: np.ndarray
                    ) -> np.ndarray:
    """Constant hazard from ``start`` with expected crude proportion dead q at a follow-up
    uniform on [lo, hi]: Newton's method on the closed form (the proportion dead is concave
    and increasing in the hazard, so the iterates rise monotonically to the root)."""
    q, lo, hi = (np.asarray(x, dtype=float) for x in (q, lo, hi))
    x0, x1 = lo - start, hi - start
    lam = -np.log1p(-q) / x1  # below the root: every patient followed to hi
    for _ in range(60):
        e0, e1 = np.exp(-lam * x0), np.exp(-lam * x1)
        g = 1 - (e0 - e1) / (lam * (x1 - x0)) - q
        dg = ((e0 - e1) - lam * (-x0 * e0 + x1 * e1)) / (lam ** 2 * (x1 - x0))
        step = g / dg
        lam = lam - step
    return lam


def psm_arm(p: Mapping[str, np.ndarray], a: str, life: Mapping[str, np.ndarray],
            first_age: float, segments: list[tuple[float, float]], effect_duration: str,
            horizon_years: float | None, utility_source: str,
            waning: tuple[float, float] = WANING) -> dict[str, np.ndarray]:
    """Every outcome of one arm of the partitioned-survival structure (docs/model.md,
    'Alternative structure'): overall survival from randomisation on the monthly grid, the
    acute tree's costs and safety QALY loss at time 0."""
    ac = acute_phase(p, a)
    n = ac["post0"].size
    out = _empty(n, ACUTE_CATEGORIES + LONG_TERM_CATEGORIES)
    for suffix in ("", "_undisc"):
        for c in ACUTE_CATEGORIES:
            out[f"cost_{c}{suffix}"] += ac[c]
        out[f"qalys{suffix}"] -= p[f"p_safety_{a}"] * p["du_safety_event"]
    age0 = _age0(p)
    years = (MAX_AGE - age0) if horizon_years is None else horizon_years
    n_cyc = max(1, int(round(years / DT)))
    t = np.arange(n_cyc + 1) * DT
    t0, t1 = t[:-1], t[1:]
    mid = 0.5 * (t0 + t1)
    fmax = np.asarray(p["followup_max_years"], dtype=float)[:, None]
    lam = {w: followup_hazard(p[f"p_death_fu_given180_{w}"], T_ACUTE, p["followup_min_years"],
                              p["followup_max_years"]) for w in ("impella", "soc")}
    own = "soc" if effect_duration == "trial" else a
    c_ = -np.log1p(-p[f"p_death_180_{a}"])[:, None]
    k_ = np.asarray(p["shape_acute_death"], dtype=float)[:, None]
    H = (c_ * (np.minimum(t, T_ACUTE)[None, :] / T_ACUTE) ** k_
         + lam[own][:, None] * (np.clip(t[None, :], T_ACUTE, fmax) - T_ACUTE))
    beyond_len = np.maximum(t1[None, :], fmax) - np.maximum(t0[None, :], fmax)
    if a == "impella" and effect_duration != "trial":
        ratio = (lam["impella"] / lam["soc"])[:, None]
        mult = effect(p_col(p), a, np.maximum(mid[None, :], fmax), effect_duration, waning,
                      hr=ratio)
    else:
        mult = 1.0
    s_dial = p[f"p_rrt_{a}"] * p["p_dialysis_dependent"]
    u_alive = np.where(t0[None, :] < T_ACUTE, p["u_acute"][:, None],
                       ((1 - s_dial) * p[f"u_post_shock_{utility_source}"]
                        + s_dial * p["u_dialysis"])[:, None])
    late = (t0 >= T_ACUTE)[None, :]  # follow-up and dialysis costs start at 180 days
    fu = late * np.where(t0 < 1, p["c_followup_year1"][:, None],
                         p["c_followup_annual"][:, None]) * DT
    d = discount(t0, segments)[None, :]
    trace = np.zeros((n, n_cyc + 1, 2))
    for sex, w in (("male", p["male_share"]), ("female", 1 - p["male_share"])):
        w = np.asarray(w, dtype=float) + np.zeros(n)
        rates = life[sex]
        idx = np.clip(np.floor(age0 + mid).astype(int) - int(first_age), 0, rates.size - 1)
        h_bg = rates[idx][None, :] * p["smr_after_year1"][:, None] * mult
        H_sex = H + np.concatenate([np.zeros((n, 1)), np.cumsum(h_bg * beyond_len, axis=1)],
                                   axis=1)
        S = np.exp(-H_sex)
        mm = 0.5 * (S[:, :-1] + S[:, 1:])
        vals = {"cost_follow_up": mm * fu,
                "cost_dialysis": late * mm * (s_dial * p["c_dialysis_annual"])[:, None] * DT,
                "qalys": mm * u_alive * DT,
                "life_years": mm * DT}
        for key, v in vals.items():
            out[key] += w * (d * v).sum(axis=1)
            out[f"{key}_undisc"] += w * v.sum(axis=1)
        trace += w[:, None, None] * np.stack([S, 1 - S], axis=2)
    return _finish(out, ACUTE_CATEGORIES + LONG_TERM_CATEGORIES, trace,
                   {"alive_180d": 1 - p[f"p_death_180_{a}"]})


def p_col(p: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Parameters as column vectors (n, 1), to broadcast against a time axis."""
    return {k: np.asarray(v, dtype=float).reshape(-1, 1) if np.ndim(v) else v
            for k, v in p.items()}


def reference(p: Mapping[str, np.ndarray], life: Mapping[str, np.ndarray], first_age: float,
              segments: list[tuple[float, float]], structure: str = "hybrid",
              effect_duration: str = "averaged", horizon_years: float | None = None,
              utility_source: str = "base", waning: tuple[float, float] = WANING
              ) -> dict[str, dict[str, np.ndarray]]:
    """Every outcome of both arms ('impella', 'soc') under the given options."""
    fn = {"hybrid": hybrid_arm, "psm": psm_arm}[structure]
    return {a: fn(p, a, life, first_age, segments, effect_duration, horizon_years,
                  utility_source, waning) for a in ("impella", "soc")}
