"""Reconstruction of pseudo individual patient data from a digitised Kaplan-Meier curve.

Guyot P, Ades AE, Ouwens MJ, Welton NJ. Enhanced secondary analysis of survival data:
reconstructing the data from published Kaplan-Meier survival curves. BMC Med Res Methodol
2012;12:9. This is a line-by-line port of the authors' published R code:

- The digitised points (T_k, S_k) are split into intervals by the times of the published
  numbers-at-risk table; `lower[i]`/`upper[i]` are the first/last points in interval i. By
  default each risk-table time is added as a point with the survival just before it (carried
  forward from the previous point), so each interval starts at its risk-table time and none is
  empty.
- In each interval but the last, a first guess of the number censored is
  round(n_risk[i] S[lower[i+1]] / S[lower[i]] - n_risk[i+1]); censorings are spread evenly over
  the interval (uniform censoring), events at each point are round(n_hat (1 - S_k / KM_last)),
  and the number censored is adjusted until the estimated number at risk at the start of the
  next interval equals the published one.
- The last interval gets the average censoring rate of the earlier intervals, or, if the total
  number of events is given, the number censored is adjusted until the events add up to it.
- Events are placed at the digitised times; censorings at the midpoint between the two
  digitised points around them; patients still at risk at the end are censored at the last
  digitised time.

Deviations from the R code, all guards against impossible states that the R code lets through:
the number of events at a point is never negative (a digitised point above the running KM gives
0 events), an interval with a survival of 0 at its start or nobody at risk gives no events, and
the adjustment loops stop after `max_iter` iterations with a warning instead of running forever.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from hecon.errors import InputError
from hecon.survival._utils import ArrayLike


def _censor_counts(n_cens: int, t_lo: float, t_hi: float, breaks: np.ndarray) -> np.ndarray:
    """R's hist(cen.t, breaks)$counts for n_cens times evenly spaced strictly inside (t_lo, t_hi).

    Bins are right-closed (a, b], the first one closed [a, b], as in R's hist().
    """
    nbins = breaks.size - 1
    if nbins <= 0:
        return np.zeros(0, dtype=int)
    ct = t_lo + np.arange(1, n_cens + 1) * (t_hi - t_lo) / (n_cens + 1)
    idx = np.clip(np.searchsorted(breaks, ct, side="left") - 1, 0, nbins - 1)
    return np.bincount(idx, minlength=nbins).astype(int)


def prepare_digitised(km_times: ArrayLike, km_surv: ArrayLike,
                      tolerance: float = 0.02) -> tuple[np.ndarray, np.ndarray]:
    """Clean digitised KM points: sort by time, start at (0, 1), make survival non-increasing.

    Survival may be given as proportions in [0, 1] (values up to 1 + `tolerance` are read as
    digitising error and set to 1); each value is then replaced by the running minimum, so
    small upward wiggles of a digitiser are removed. Negative times or survival outside
    [0, 1 + tolerance] raise InputError.
    """
    t = np.asarray(km_times, dtype=float).ravel()
    s = np.asarray(km_surv, dtype=float).ravel()
    if t.size != s.size or t.size == 0:
        raise InputError("km_times and km_surv must be non-empty and of equal length")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(s))):
        raise InputError("digitised points must be finite numbers")
    if np.any(t < 0):
        raise InputError("digitised times must be >= 0", parameter="km_times")
    if np.any(s < 0) or np.any(s > 1 + tolerance):
        raise InputError(f"digitised survival must lie in [0, 1] (max {s.max():g}); "
                         "give proportions, not percentages", parameter="km_surv")
    order = np.lexsort((-s, t))
    t, s = t[order], np.minimum(s[order], 1.0)
    if t[0] > 0 or s[0] < 1:
        t, s = np.concatenate([[0.0], t]), np.concatenate([[1.0], s])
    s = np.minimum.accumulate(s)
    return t, s


def _add_risk_time_points(t_s: np.ndarray, surv: np.ndarray,
                          risk_times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Give each risk-table time t_r within the curve a point (t_r, S(t_r-)), the survival of the
    last point strictly before it (the KM is flat between steps). The number at risk at t_r
    counts those who die at t_r, so the interval must start just before any step at t_r."""
    rt = risk_times[(risk_times > 0) & (risk_times <= t_s[-1])]
    s_before = surv[np.searchsorted(t_s, rt, side="left") - 1]
    exists = np.array([np.any((t_s == a) & (surv == b)) for a, b in zip(rt, s_before,
                                                                        strict=True)],
                      dtype=bool)
    new, s_new = rt[~exists], s_before[~exists]
    if new.size == 0:
        return t_s, surv
    t = np.concatenate([t_s, new])
    s = np.concatenate([surv, s_new])
    order = np.lexsort((-s, t))
    return t[order], s[order]


def _intervals(t_s: np.ndarray, risk_times: np.ndarray, n_risk: np.ndarray):
    """Drop unusable risk-table rows and index the digitised points of each interval."""
    if risk_times.size == 0 or risk_times[0] != 0:
        raise InputError("the numbers-at-risk table must start at time 0", parameter="risk_times")
    if np.any(np.diff(risk_times) <= 0):
        raise InputError("risk-table times must increase", parameter="risk_times")
    if np.any(np.diff(n_risk) > 0) or np.any(n_risk < 0):
        raise InputError("numbers at risk must be >= 0 and non-increasing", parameter="n_risk")
    keep = risk_times <= t_s[-1]
    if not np.all(keep):
        warnings.warn(f"{int((~keep).sum())} risk-table time(s) after the last digitised point "
                      "were dropped", stacklevel=3)
    risk_times, n_risk = risk_times[keep], n_risk[keep]
    lower = np.searchsorted(t_s, risk_times, side="left")
    # an interval must contain at least one digitised point; drop the risk row that starts an
    # empty interval (the next row covers its points)
    nxt = np.concatenate([lower[1:], [t_s.size]])
    nonempty = nxt > lower
    if not np.all(nonempty):
        warnings.warn(f"{int((~nonempty).sum())} risk-table row(s) with no digitised point in "
                      "their interval were dropped", stacklevel=3)
    risk_times, n_risk, lower = risk_times[nonempty], n_risk[nonempty], lower[nonempty]
    upper = np.concatenate([lower[1:] - 1, [t_s.size - 1]])
    return risk_times, n_risk.astype(int), lower, upper


def reconstruct_ipd(
    km_times: ArrayLike,
    km_surv: ArrayLike,
    risk_times: ArrayLike,
    n_risk: ArrayLike,
    total_events: int | None = None,
    *,
    add_risk_time_points: bool = True,
    max_iter: int = 10_000,
) -> pd.DataFrame:
    """Pseudo individual patient data from digitised KM points (Guyot et al. 2012).

    km_times, km_surv: digitised points (survival as a proportion); risk_times, n_risk: the
    published numbers at risk (first time 0); total_events: total number of events, if reported.
    add_risk_time_points: give every risk-table time a digitised point (the survival of the last
    point before it), so that no interval between risk-table times is empty (a flat stretch of
    the curve); without it, rows starting an empty interval are dropped with a warning.
    Returns a DataFrame with columns `time` and `event` (1 = event, 0 = censored), one row per
    patient; `df.attrs["intervals"]` (a dict of lists: start, n_risk_published,
    n_risk_reconstructed, events, censored) summarises each risk-table interval.
    """
    t_s, surv = prepare_digitised(km_times, km_surv)
    rt = np.asarray(risk_times, dtype=float).ravel()
    nr = np.asarray(n_risk, dtype=float).ravel()
    if rt.size != nr.size:
        raise InputError("risk_times and n_risk must have equal length")
    if np.any(nr != np.round(nr)):
        raise InputError("numbers at risk must be whole numbers", parameter="n_risk")
    if add_risk_time_points:
        t_s, surv = _add_risk_time_points(t_s, surv, rt)
    rt, nr, lower, upper = _intervals(t_s, rt, nr)
    n_total = int(nr[0])
    n_t, n_int = t_s.size, nr.size
    n_risk_adj = nr.copy()
    n_censor = np.zeros(n_int, dtype=int)
    n_hat = np.full(n_t + 1, n_total + 1, dtype=int)
    cen = np.zeros(n_t, dtype=int)
    d = np.zeros(n_t, dtype=int)
    km_hat = np.ones(n_t)
    last_i = np.zeros(n_int, dtype=int)

    def events_at(k: int, last: int) -> int:
        if km_hat[last] <= 0 or n_hat[k] <= 0:
            return 0
        return max(int(np.round(n_hat[k] * (1 - surv[k] / km_hat[last]))), 0)

    def km_step(k: int, last: int) -> float:
        return km_hat[last] * (1 - d[k] / n_hat[k]) if n_hat[k] > 0 else km_hat[last]

    # intervals 1 .. n_int - 1
    for i in range(n_int - 1):
        lo, lo_next, up = lower[i], lower[i + 1], upper[i]
        ratio = surv[lo_next] / surv[lo] if surv[lo] > 0 else 0.0
        n_censor[i] = int(np.round(n_risk_adj[i] * ratio - n_risk_adj[i + 1]))
        last = last_i[i]
        it = 0
        while (n_hat[lo_next] > n_risk_adj[i + 1]) or (
            n_hat[lo_next] < n_risk_adj[i + 1] and n_censor[i] > 0
        ):
            it += 1
            if it > max_iter:
                warnings.warn(f"interval {i + 1}: censoring did not converge in {max_iter} "
                              "iterations", stacklevel=2)
                break
            if n_censor[i] <= 0:
                cen[lo:up + 1] = 0
                n_censor[i] = 0
            else:
                cen[lo:up + 1] = _censor_counts(n_censor[i], t_s[lo], t_s[lo_next],
                                                t_s[lo:lo_next + 1])
            n_hat[lo] = n_risk_adj[i]
            last = last_i[i]
            for k in range(lo, up + 1):
                if i == 0 and k == lo:
                    d[k] = 0
                    km_hat[k] = 1.0
                else:
                    d[k] = events_at(k, last)
                    km_hat[k] = km_step(k, last)
                n_hat[k + 1] = n_hat[k] - d[k] - cen[k]
                if d[k] != 0:
                    last = k
            n_censor[i] += n_hat[lo_next] - n_risk_adj[i + 1]
        if n_hat[lo_next] < n_risk_adj[i + 1]:
            n_risk_adj[i + 1] = n_hat[lo_next]
        last_i[i + 1] = last

    # last interval
    i = n_int - 1
    lo, up = lower[i], upper[i]
    if n_int > 1:
        span = t_s[upper[n_int - 2]] - t_s[lower[0]]
        rate = n_censor[: n_int - 1].sum() * (t_s[up] - t_s[lo]) / span if span > 0 else 0.0
        n_censor[i] = min(int(np.round(rate)), int(n_risk_adj[i]))
    else:
        n_censor[i] = 0

    def place_last_censorings() -> None:
        if n_censor[i] <= 0:
            cen[lo:up] = 0
            n_censor[i] = 0
        else:
            cen[lo:up] = _censor_counts(n_censor[i], t_s[lo], t_s[up], t_s[lo:up + 1])

    def run_last(guard_last_point: bool) -> None:
        n_hat[lo] = n_risk_adj[i]
        last = last_i[i]
        for k in range(lo, up + 1):
            d[k] = events_at(k, last)
            km_hat[k] = km_step(k, last)
            if not guard_last_point or k != up:
                n_hat[k + 1] = n_hat[k] - d[k] - cen[k]
                if n_hat[k + 1] < 0:
                    n_hat[k + 1] = 0
                    cen[k] = n_hat[k] - d[k]
            if d[k] != 0:
                last = k

    place_last_censorings()
    run_last(guard_last_point=False)

    if total_events is not None:
        total_events = int(total_events)
        sum_before = 0
        if n_int > 1:
            sum_before = int(d[: upper[n_int - 2] + 1].sum())
            if sum_before >= total_events:
                d[lo:up + 1] = 0
                cen[lo:up] = 0
                n_hat[lo + 1:up + 2] = n_risk_adj[i]
        if sum_before < total_events or n_int == 1:
            sumd = int(d[: up + 1].sum())
            it = 0
            while sumd > total_events or (sumd < total_events and n_censor[i] > 0):
                it += 1
                if it > max_iter:
                    warnings.warn("total events could not be matched in "
                                  f"{max_iter} iterations", stacklevel=2)
                    break
                n_censor[i] += sumd - total_events
                place_last_censorings()
                run_last(guard_last_point=True)
                sumd = int(d[: up + 1].sum())

    # write the pseudo-IPD
    times: list[np.ndarray] = []
    evs: list[np.ndarray] = []
    for j in range(n_t):
        if d[j] > 0:
            times.append(np.full(d[j], t_s[j]))
            evs.append(np.ones(d[j], dtype=int))
    for j in range(n_t - 1):
        if cen[j] > 0:
            times.append(np.full(cen[j], (t_s[j] + t_s[j + 1]) / 2))
            evs.append(np.zeros(cen[j], dtype=int))
    t_ipd = np.concatenate(times) if times else np.zeros(0)
    e_ipd = np.concatenate(evs) if evs else np.zeros(0, dtype=int)
    remaining = n_total - t_ipd.size
    if remaining < 0:
        warnings.warn(f"reconstruction assigned {-remaining} more patients than the {n_total} at "
                      "risk at time 0 (inconsistent digitised curve and risk table)", stacklevel=2)
    else:
        t_ipd = np.concatenate([t_ipd, np.full(remaining, t_s[-1])])
        e_ipd = np.concatenate([e_ipd, np.zeros(remaining, dtype=int)])
    out = pd.DataFrame({"time": t_ipd, "event": e_ipd})
    out.attrs["intervals"] = {  # plain lists, so the frame still concatenates
        "start": rt.tolist(),
        "n_risk_published": nr.tolist(),
        "n_risk_reconstructed": [int((t_ipd >= r).sum()) for r in rt],
        "events": [int(d[a:b + 1].sum()) for a, b in zip(lower, upper, strict=True)],
        "censored": [int(cen[a:b + 1].sum()) for a, b in zip(lower, upper, strict=True)],
    }
    return out
