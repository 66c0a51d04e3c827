"""Treatment effects applied to any baseline curve, through its cumulative hazard.

- `HazardRatio`: h_trt(t) = HR h_base(t), so H_trt = HR H_base and S_trt = S_base^HR (exact).
- `AccelerationFactor`: S_trt(t) = S_base(t / AF); AF > 1 stretches time (longer survival).
- `WaningHazardRatio`: the log hazard ratio fades linearly from log(HR) at `start` to 0 at
  `end` (HR(t) = HR^w(t), w = 1 before `start`, (end - t)/(end - start) between, 0 after);
  with start == end the effect stops abruptly at that time. H_trt(t) = integral of
  HR(u) dH_base(u), computed on a grid of width `step` (midpoint HR times the exact baseline
  increment on each grid interval; exact before `start`, after `end` and for a stop).

HR and AF may be arrays of shape (n,) (e.g. PSA draws) and broadcast with the baseline's
samples.
"""

from __future__ import annotations

import numpy as np

from hecon.errors import InputError
from hecon.survival._utils import (
    ArrayLike,
    as_param,
    as_times,
    column,
    common_n,
    cumhaz_diff,
    finish,
    integrate_increments,
    row_times,
)
from hecon.survival.curves import SurvivalCurve


class HazardRatio(SurvivalCurve):
    """Proportional hazards: h(t) = hr h_base(t) for all t."""

    def __init__(self, base: SurvivalCurve, hr: ArrayLike) -> None:
        self.base = base
        self.hr = as_param(hr, "hr", positive=True)
        self._n = common_n(base.n, self.hr.size)
        self.supports_sample_times = base.supports_sample_times

    @property
    def n(self) -> int:
        return self._n

    def cumhaz(self, t: ArrayLike) -> np.ndarray:
        tt = self._times(t)
        return finish(column(self.hr) * self.base.cumhaz(tt), self._n, tt)

    def hazard(self, t: ArrayLike) -> np.ndarray:
        tt = self._times(t)
        return finish(column(self.hr) * self.base.hazard(tt), self._n, tt)


class AccelerationFactor(SurvivalCurve):
    """Accelerated failure time: S(t) = S_base(t / af), h(t) = h_base(t / af) / af.

    With a per-sample `af` and a baseline that only takes shared times, the baseline's
    cumulative hazard is tabulated on a grid of width `step` and interpolated linearly (exact for
    piecewise-constant baselines with breaks on the grid; hazard: the value at the grid point
    below).
    """

    def __init__(self, base: SurvivalCurve, af: ArrayLike, step: float = 1 / 52) -> None:
        self.base = base
        self.af = as_param(af, "af", positive=True)
        self._n = common_n(base.n, self.af.size)
        self.step = float(step)

    @property
    def n(self) -> int:
        return self._n

    def _scaled(self, t: np.ndarray) -> np.ndarray:
        return row_times(t) / column(self.af)  # (n_af, T)

    def _eval(self, t: np.ndarray, which: str) -> np.ndarray:
        u = self._scaled(t)
        fn = getattr(self.base, which)
        if u.shape[0] == 1:
            return fn(u[0])
        if self.base.supports_sample_times:
            return fn(u)
        grid = np.arange(0.0, u.max() + 2 * self.step, self.step)
        table = fn(grid)  # (n_base, G)
        table = np.broadcast_to(table, (u.shape[0], grid.size))
        j = np.clip(np.searchsorted(grid, u, side="right") - 1, 0, grid.size - 2)
        rows = np.arange(u.shape[0])[:, None]
        lo = table[rows, j]
        if which == "hazard":
            return lo
        hi = table[rows, j + 1]
        return lo + cumhaz_diff(hi, lo) * (u - grid[j]) / self.step

    def cumhaz(self, t: ArrayLike) -> np.ndarray:
        tt = as_times(t)
        return finish(self._eval(tt, "cumhaz"), self._n, tt)

    def hazard(self, t: ArrayLike) -> np.ndarray:
        tt = as_times(t)
        return finish(self._eval(tt, "hazard") / column(self.af), self._n, tt)


class WaningHazardRatio(SurvivalCurve):
    """Hazard ratio whose log fades linearly to 0 between `start` and `end` (years).

    HR(t) = hr for t <= start, hr^((end - t)/(end - start)) for start < t < end, 1 after end.
    `start == end` stops the effect at that time (treatment stopping rule).
    """

    def __init__(self, base: SurvivalCurve, hr: ArrayLike, start: float, end: float,
                 step: float = 1 / 52) -> None:
        self.base = base
        self.hr = as_param(hr, "hr", positive=True)
        self.start = float(start)
        self.end = float(end)
        if not 0 <= self.start <= self.end:
            raise InputError(f"need 0 <= start <= end, got start={start}, end={end}",
                             parameter="waning")
        self.step = float(step)
        self._n = common_n(base.n, self.hr.size)

    @property
    def n(self) -> int:
        return self._n

    def weight(self, t: ArrayLike) -> np.ndarray:
        """Share of the log hazard ratio still in force at t, shape (T,)."""
        tt = np.asarray(t, dtype=float)
        if self.end == self.start:
            return np.where(tt < self.start, 1.0, 0.0)
        return np.clip((self.end - tt) / (self.end - self.start), 0.0, 1.0)

    def hazard_ratio(self, t: ArrayLike) -> np.ndarray:
        """HR(t), shape (n_hr, T)."""
        return np.exp(column(np.log(self.hr)) * self.weight(t)[None, :])

    def cumhaz(self, t: ArrayLike) -> np.ndarray:
        tt = as_times(t)
        s, e = self.start, self.end
        before = column(self.hr) * self.base.cumhaz(np.minimum(tt, s))
        during: np.ndarray | float = 0.0
        if e > s:  # grid anchored at the start of the waning window
            # HR at each interval's midpoint times the exact baseline increment
            during = integrate_increments(
                np.clip(tt, s, e) - s,
                lambda x: [self.base.cumhaz(x + s)],
                lambda d, a, b: self.hazard_ratio(s + (a + b) / 2) * d[0],
                self.step,
            )
        after = cumhaz_diff(self.base.cumhaz(np.maximum(tt, e)), self.base.cumhaz(np.array([e])))
        return finish(before + during + after, self._n, tt)

    def hazard(self, t: ArrayLike) -> np.ndarray:
        tt = as_times(t)
        return finish(self.hazard_ratio(tt) * self.base.hazard(tt), self._n, tt)


def stop_effect(base: SurvivalCurve, hr: ArrayLike, at: float) -> WaningHazardRatio:
    """Hazard ratio `hr` until time `at`, none afterwards (exact)."""
    return WaningHazardRatio(base, hr, at, at)
