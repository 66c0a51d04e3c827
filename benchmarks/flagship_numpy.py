"""The DanGer Shock base structure written out in plain numpy, without the hecon engine.

Two uses: the baseline kernel the benchmarks compare hecon's throughput against (the same
arithmetic with no validation, no generic machinery), and an independent re-implementation the
test suite compares the engine's results with (tests/danger_shock/test_numpy_reference.py).

Covers the default configuration: hybrid structure, lifetime horizon, Weibull acute hazard,
ICU days scaled in the pump arm, device system cost, age-adjusted long-term utilities,
landmark hazard ratio after 180 days within the observed follow-up and, beyond it, the
effect-duration structure of each draw (stops / wanes from 10 to 20 years / persists, chosen by
the uniform structure draw and the weights), payer perspective, life-table counting, discount
factor at the start of each cycle, country discounting. Written from docs/model.md, not from
the engine code.
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
