"""Kaplan-Meier estimator and a Cox proportional-hazards fit for one binary covariate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hecon.errors import InputError
from hecon.survival._utils import ArrayLike


def check_survival_data(times: ArrayLike, events: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validate right-censored data (times finite >= 0, events 0/1); returns float, int arrays."""
    t = np.asarray(times, dtype=float).ravel()
    e = np.asarray(events).ravel()
    if t.size == 0:
        raise InputError("no observations", parameter="times")
    if t.size != e.size:
        raise InputError(f"{t.size} times but {e.size} event indicators", parameter="events")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise InputError("times must be finite and >= 0", parameter="times")
    if not np.all(np.isin(e, [0, 1])):
        raise InputError("event indicators must be 0 (censored) or 1 (event)", parameter="events")
    return t, e.astype(int)


@dataclass(frozen=True)
class KaplanMeier:
    """Kaplan-Meier estimate at each distinct observed time.

    `survival[j]` is S just after `time[j]` (right-continuous step function); `n_risk[j]` the
    number at risk just before `time[j]`; `std_err` the Greenwood standard error of S.
    """

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    survival: np.ndarray
    std_err: np.ndarray

    def at(self, t: ArrayLike) -> np.ndarray:
        """S(t) for times t (the step function; S = 1 before the first time)."""
        tt = np.atleast_1d(np.asarray(t, dtype=float))
        j = np.searchsorted(self.time, tt, side="right") - 1
        return np.where(j >= 0, self.survival[np.maximum(j, 0)], 1.0)

    def at_risk(self, t: ArrayLike) -> np.ndarray:
        """Number at risk at times t (those with observed time >= t)."""
        tt = np.atleast_1d(np.asarray(t, dtype=float))
        total = self.n_risk[0] if self.n_risk.size else 0
        leaving = np.concatenate([[0], np.cumsum(self.n_event + self.n_censor)])
        j = np.searchsorted(self.time, tt, side="left")
        return total - leaving[j]

    def median(self) -> float:
        """First time at which S <= 0.5 (nan if never reached)."""
        hit = np.nonzero(self.survival <= 0.5)[0]
        return float(self.time[hit[0]]) if hit.size else float("nan")

    def steps(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) for drawing the step function from (0, 1)."""
        x = np.concatenate([[0.0], self.time])
        y = np.concatenate([[1.0], self.survival])
        return x, y


def kaplan_meier(times: ArrayLike, events: ArrayLike) -> KaplanMeier:
    """Kaplan-Meier estimate of right-censored data (ties: events before censorings)."""
    t, e = check_survival_data(times, events)
    uniq, inv = np.unique(t, return_inverse=True)
    n_event = np.bincount(inv, weights=e, minlength=uniq.size).astype(int)
    n_total = np.bincount(inv, minlength=uniq.size)
    n_censor = n_total - n_event
    n_risk = t.size - np.concatenate([[0], np.cumsum(n_total)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = 1 - n_event / n_risk
        surv = np.cumprod(factor)
        g = np.where(n_risk > n_event, n_event / (n_risk * (n_risk - n_event)), 0.0)
        se = surv * np.sqrt(np.cumsum(g))
    return KaplanMeier(uniq, n_risk, n_event, n_censor, surv, se)


@dataclass(frozen=True)
class CoxResult:
    """Cox PH fit for one binary covariate (group 1 versus group 0), Breslow ties."""

    log_hr: float
    se: float
    loglik: float
    n: int
    n_events: int

    @property
    def hr(self) -> float:
        """Hazard ratio exp(beta)."""
        return float(np.exp(self.log_hr))

    def ci(self, level: float = 0.95) -> tuple[float, float]:
        """Wald confidence interval of the hazard ratio."""
        from scipy import stats  # here: scipy.stats takes ~0.5 s to import (the model's
        # module reaches this one through hecon.survival, in every worker process)

        z = stats.norm.ppf(0.5 + level / 2)
        return float(np.exp(self.log_hr - z * self.se)), float(np.exp(self.log_hr + z * self.se))


def cox_binary(times: ArrayLike, events: ArrayLike, group: ArrayLike) -> CoxResult:
    """Cox partial-likelihood hazard ratio of group 1 vs group 0 (Breslow ties), Newton-Raphson.

    At each distinct event time u with n0, n1 at risk and d1 of d events in group 1,
    loglik = sum d1 beta - d log(n0 + n1 e^beta); information = sum d p (1 - p) with
    p = n1 e^beta / (n0 + n1 e^beta).
    """
    t, e = check_survival_data(times, events)
    g = np.asarray(group).ravel()
    if g.size != t.size or not np.all(np.isin(g, [0, 1])):
        raise InputError("group must be 0/1 with one entry per observation", parameter="group")
    ev_times = np.unique(t[e == 1])
    if ev_times.size == 0:
        raise InputError("no events: the hazard ratio is not estimable")
    t0, t1 = np.sort(t[g == 0]), np.sort(t[g == 1])
    n0 = t0.size - np.searchsorted(t0, ev_times, side="left")
    n1 = t1.size - np.searchsorted(t1, ev_times, side="left")
    idx = np.searchsorted(ev_times, t[e == 1])
    d = np.bincount(idx, minlength=ev_times.size)
    d1 = np.bincount(idx, weights=g[e == 1], minlength=ev_times.size)
    if d1.sum() in (0, d.sum()):
        raise InputError("all events fall in one group: the hazard ratio is not estimable")

    def parts(beta: float) -> tuple[float, float, float]:
        r = n1 * np.exp(beta)
        denom = n0 + r
        p = r / denom
        ll = float(np.sum(d1 * beta - d * np.log(denom)))
        return ll, float(np.sum(d1 - d * p)), float(np.sum(d * p * (1 - p)))

    beta = 0.0
    for _ in range(100):
        _, score, info = parts(beta)
        step = score / info
        step = float(np.clip(step, -1.0, 1.0))
        beta += step
        if abs(step) < 1e-12:
            break
    ll, _, info = parts(beta)
    return CoxResult(beta, float(1 / np.sqrt(info)), ll, int(t.size), int(e.sum()))
