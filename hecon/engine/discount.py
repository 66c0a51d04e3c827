"""Discounting: flat or step-wise rate schedules, discrete or continuous.

A schedule is a list of segments ``(start_year, rate)``; the first starts at 0. The discount
factor at time ``t`` (years since the start of the evaluation) is

* discrete:   d(t) = prod_i (1 + r_i) ** -(time spent in segment i before t)
* continuous: d(t) = exp(-sum_i r_i * time spent in segment i before t)

With one segment this is the familiar (1 + r)^-t or exp(-r t). The Danish Ministry of Finance
schedule (3.5% in years 0-35, 2.5% in years 36-70, 1.5% thereafter) is
``DiscountSchedule.stepwise([(0, 0.035), (35, 0.025), (70, 0.015)])``: for whole years n it equals
prod_{j=1..n} 1/(1 + r_j) with r_j the rate of year j.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from hecon.errors import InputError, ModelError

METHODS = ("discrete", "continuous")


@dataclass(frozen=True)
class DiscountSchedule:
    """Piecewise-constant discount rates. Build with :meth:`flat` or :meth:`stepwise`."""

    starts: tuple[float, ...]
    rates: tuple[float, ...]
    method: str = "discrete"

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise InputError(f"discount method must be one of {METHODS}, got {self.method!r}")
        if len(self.starts) != len(self.rates) or not self.starts:
            raise InputError("discount schedule needs one rate per segment start")
        if self.starts[0] != 0:
            raise InputError("the first discount segment must start at year 0")
        if any(b <= a for a, b in zip(self.starts, self.starts[1:], strict=False)):
            raise InputError("discount segment starts must increase strictly")
        for r in self.rates:
            if not np.isfinite(r) or r < 0 or (self.method == "discrete" and r >= 1):
                raise InputError(f"discount rate {r!r} must be in [0, 1)")

    @classmethod
    def flat(cls, rate: float, method: str = "discrete") -> DiscountSchedule:
        """One rate for all years."""
        return cls((0.0,), (float(rate),), method)

    @classmethod
    def stepwise(
        cls, segments: Sequence[tuple[float, float]], method: str = "discrete"
    ) -> DiscountSchedule:
        """Segments ``[(start_year, rate), ...]``, e.g. the Danish 3.5% / 2.5% / 1.5% schedule."""
        starts = tuple(float(s) for s, _ in segments)
        rates = tuple(float(r) for _, r in segments)
        return cls(starts, rates, method)

    def factor(self, t: ArrayLike) -> np.ndarray:
        """Discount factor at time(s) ``t`` in years (t >= 0)."""
        t = np.asarray(t, dtype=float)
        if np.any(t < 0):
            raise InputError("discounting time must be >= 0")
        ends = self.starts[1:] + (np.inf,)
        log_d = np.zeros_like(t)
        for start, end, rate in zip(self.starts, ends, self.rates, strict=True):
            spent = np.clip(t - start, 0.0, end - start)
            step = np.log1p(rate) if self.method == "discrete" else rate
            log_d -= spent * step
        d = np.exp(log_d)
        if not ((d > 0) & (d <= 1)).all():
            bad = float(np.asarray(t).ravel()[np.flatnonzero(~((d > 0) & (d <= 1)).ravel())[0]])
            raise ModelError(f"discount factor at year {bad:g} is outside (0, 1] "
                             "(it underflows at this horizon and rate)")
        return d

    def describe(self) -> str:
        """Readable one-line description, e.g. '3.5% (years 0-35), 2.5% (35-70), ...'."""
        if len(self.rates) == 1:
            return f"{self.rates[0]:.1%} ({self.method})"
        ends = [f"{e:g}" for e in self.starts[1:]] + ["end"]
        parts = [
            f"{r:.1%} (years {s:g}-{e})"
            for s, e, r in zip(self.starts, ends, self.rates, strict=True)
        ]
        return ", ".join(parts) + f" ({self.method})"


NO_DISCOUNT = DiscountSchedule.flat(0.0)
