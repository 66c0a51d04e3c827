"""The survival-curve interface shared by parametric families, effects and life-table combinations.

Every curve is vectorised over a leading sample axis: `curve.n` samples, times of shape (T,),
results of shape (n, T). Time is in years unless a caller says otherwise.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from hecon.errors import InputError
from hecon.survival._utils import (
    ArrayLike,
    as_param,
    as_times,
    common_n,
    cumhaz_diff,
    finish,
    integrate_survival,
)


class SurvivalCurve(ABC):
    """A survival curve S(t) for n samples (e.g. PSA draws), evaluated on shared times.

    Subclasses implement `cumhaz` and `hazard`; `survival` defaults to exp(-H).
    `supports_sample_times` says whether times may be given per sample, shape (n, T).
    """

    supports_sample_times: bool = False

    @property
    @abstractmethod
    def n(self) -> int:
        """Number of samples."""

    @abstractmethod
    def cumhaz(self, t: ArrayLike) -> np.ndarray:
        """Cumulative hazard H(t), shape (n, T)."""

    @abstractmethod
    def hazard(self, t: ArrayLike) -> np.ndarray:
        """Hazard h(t), shape (n, T)."""

    def survival(self, t: ArrayLike) -> np.ndarray:
        """Survival S(t) = exp(-H(t)), shape (n, T)."""
        return np.exp(-self.cumhaz(t))

    def rmst(self, t_max: float, t_min: float = 0.0) -> np.ndarray:
        """Restricted mean survival time: the integral of S(t) over [t_min, t_max], shape (n,)."""
        return integrate_survival(self.survival, float(t_min), float(t_max))

    def _times(self, t: ArrayLike) -> np.ndarray:
        return as_times(t, allow_2d=self.supports_sample_times)


class PiecewiseHazard(SurvivalCurve):
    """Piecewise-constant hazard: `rates[:, k]` applies on [starts[k], starts[k+1]).

    `starts` (K,) must begin at 0 and increase; the last rate applies for ever after.
    `rates` has shape (K,) or (n, K), in events per unit time. Survival is exact.
    """

    def __init__(self, starts: ArrayLike, rates: ArrayLike) -> None:
        s = np.asarray(starts, dtype=float)
        r = np.atleast_2d(np.asarray(rates, dtype=float))
        if s.ndim != 1 or s.size == 0 or s[0] != 0 or np.any(np.diff(s) <= 0):
            raise InputError("starts must be a 1-D increasing array beginning at 0",
                             parameter="starts")
        if r.shape[1] != s.size:
            raise InputError(f"rates have {r.shape[1]} columns for {s.size} intervals",
                             parameter="rates")
        if not np.all(np.isfinite(r)) or np.any(r < 0):
            raise InputError("hazard rates must be finite and >= 0", parameter="rates")
        self.starts = s
        self.rates = r
        widths = np.diff(s)
        self._cum = np.concatenate(
            [np.zeros((r.shape[0], 1)), np.cumsum(r[:, :-1] * widths, axis=1)], axis=1
        )

    @property
    def n(self) -> int:
        return self.rates.shape[0]

    def _index(self, t: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.starts, t, side="right") - 1

    def cumhaz(self, t: ArrayLike) -> np.ndarray:
        tt = self._times(t)
        k = self._index(tt)
        return self._cum[:, k] + self.rates[:, k] * (tt - self.starts[k])

    def hazard(self, t: ArrayLike) -> np.ndarray:
        tt = self._times(t)
        return self.rates[:, self._index(tt)]


class Spliced(SurvivalCurve):
    """`first` up to time `at`, then the hazard of `then` (conditional on surviving to `at`).

    H(t) = H1(t) for t <= at; H1(at) + H2(t) - H2(at) afterwards. Use it e.g. for "after the
    first year survivors die at SMR x general-population rates".
    """

    def __init__(self, first: SurvivalCurve, then: SurvivalCurve, at: float) -> None:
        self.first = first
        self.then = then
        self.at = float(as_param(at, "at")[0])
        if self.at < 0:
            raise InputError("must be >= 0", parameter="at")
        self._n = common_n(first.n, then.n)

    @property
    def n(self) -> int:
        return self._n

    def cumhaz(self, t: ArrayLike) -> np.ndarray:
        tt = as_times(t)
        before = np.minimum(tt, self.at)
        after = np.maximum(tt, self.at)
        a = np.array([self.at])
        h = self.first.cumhaz(before) + cumhaz_diff(self.then.cumhaz(after), self.then.cumhaz(a))
        return finish(h, self._n, tt)

    def hazard(self, t: ArrayLike) -> np.ndarray:
        tt = as_times(t)
        h = np.where(tt < self.at, self.first.hazard(tt), self.then.hazard(tt))
        return finish(h, self._n, tt)
