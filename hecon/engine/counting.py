"""Counting (within-cycle) conventions and discount timing.

A cohort model produces state membership at time points t_0, t_1, ..., t_T (``T`` cycles of
length ``dt`` years). A reward r_k (per cycle, e.g. a cost per cycle, or utility x dt) belongs to
cycle k = 1..T, which spans [t_{k-1}, t_k]. Every convention here attributes membership to
cycle k as

    M_k = a_k * delta^a_k * m_{k-1}  +  b_k * delta^b_k * m_k

and the discounted total is sum_k r_k . M_k. The weights ``a``, ``b`` and where the discount
factor ``delta`` is taken are, by convention:

============  ==============================================  ==============================
name          weights                                         discount factor taken at
============  ==============================================  ==============================
start         a_k = 1, b_k = 0 (membership at cycle start)    the cycle (``timing``)
end           a_k = 0, b_k = 1 (membership at cycle end)      the cycle (``timing``)
half-cycle    end counting, plus 1/2 m_0 in cycle 1, minus    the cycle (``timing``)
              1/2 m_T in cycle T (Sonnenberg & Beck 1993)
life-table    a_k = b_k = 1/2 (average of consecutive)        the cycle (``timing``)
trapezoid     a_k = b_k = 1/2                                 each time point: d(t_{k-1}), d(t_k)
simpson       composite Simpson 1/3 on the points, split       each time point
              per cycle: odd cycles (1/3, 2/3), even cycles
              (2/3, 1/3); an odd last cycle uses (1/2, 1/2)
custom        point weights w_0..w_T: w_0 on m_0 in cycle 1,  each time point (default) or the
              w_k on m_k in cycle k                           cycle
============  ==============================================  ==============================

Without discounting and with constant rewards, half-cycle, life-table and trapezoid give the
same total; they differ when rewards vary by cycle or when discounting is applied (Elbasha &
Chhatwal, Med Decis Making 2016;36:115-22, discuss why).

Discount timing for cycle-attached factors (cycle k spans [s + (k-1) dt, s + k dt], ``s`` the
model's start time in years, e.g. 0.5 for a phase that starts after 180 days):

* ``start``: d(s + (k-1) dt)   (with annual cycles: exponent t-1, first year undiscounted)
* ``middle``: d(s + (k-1/2) dt)
* ``end``: d(s + k dt)          (with annual cycles: exponent t)
* ``calendar``: d(floor(s + (k-1) dt)), whole years elapsed at the cycle's start, so every cycle
  in model year y is discounted by (1 + r)^-(y-1) (a monthly model discounted by year)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hecon.errors import InputError

COUNTING = ("start", "end", "half-cycle", "life-table", "trapezoid", "simpson", "custom")
TIMINGS = ("start", "middle", "end", "calendar")
TRANSITION_REWARDS = ("cycle", "within-cycle")


@dataclass(frozen=True)
class Counting:
    """A within-cycle counting convention. Use a name from ``COUNTING`` or :meth:`custom`."""

    name: str = "life-table"
    weights: tuple[float, ...] | None = None
    discount_at: str | None = None

    def __post_init__(self) -> None:
        if self.name not in COUNTING:
            raise InputError(f"unknown counting convention {self.name!r}; choose from {COUNTING}")
        if self.name == "custom" and self.weights is None:
            raise InputError("custom counting needs a weight vector")
        if self.discount_at not in (None, "cycle", "point"):
            raise InputError("discount_at must be 'cycle' or 'point'")

    @classmethod
    def custom(cls, weights: Sequence[float], discount_at: str = "point") -> Counting:
        """User-supplied weights on the T + 1 time points (w_0 .. w_T)."""
        return cls("custom", tuple(float(w) for w in weights), discount_at)

    @property
    def point_discounting(self) -> bool:
        """True when the discount factor is taken at each time point, not per cycle."""
        if self.discount_at is not None:
            return self.discount_at == "point"
        return self.name in ("trapezoid", "simpson", "custom")

    def ab(self, n_cycles: int) -> tuple[np.ndarray, np.ndarray]:
        """Weights (a, b) of shape (T,) on m_{k-1} and m_k for cycles k = 1..T."""
        t = n_cycles
        a = np.zeros(t)
        b = np.zeros(t)
        if self.name == "start":
            a[:] = 1
        elif self.name == "end":
            b[:] = 1
        elif self.name == "half-cycle":
            b[:] = 1
            a[0] += 0.5
            b[-1] -= 0.5
        elif self.name in ("life-table", "trapezoid"):
            a[:] = 0.5
            b[:] = 0.5
        elif self.name == "simpson":
            odd = np.arange(1, t + 1) % 2 == 1
            a[:] = np.where(odd, 1 / 3, 2 / 3)
            b[:] = np.where(odd, 2 / 3, 1 / 3)
            if t % 2 == 1:
                a[-1] = b[-1] = 0.5
        else:
            w = np.asarray(self.weights, dtype=float)
            if w.shape != (t + 1,):
                raise InputError(
                    f"custom counting weights need {t + 1} values (T + 1 time points), got {w.size}"
                )
            a[0] = w[0]
            b[:] = w[1:]
        return a, b


def cycle_discount_times(n_cycles: int, dt: float, start: float, timing: str) -> np.ndarray:
    """Times (years) at which each cycle's discount factor is taken, shape (T,)."""
    if timing not in TIMINGS:
        raise InputError(f"unknown discount timing {timing!r}; choose from {TIMINGS}")
    k = np.arange(1, n_cycles + 1, dtype=float)
    if timing == "start":
        return start + (k - 1) * dt
    if timing == "middle":
        return start + (k - 0.5) * dt
    if timing == "end":
        return start + k * dt
    return np.floor(start + (k - 1) * dt + 1e-9)
