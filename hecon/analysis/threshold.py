"""Threshold analysis: the value of a parameter at which the decision changes.

The decision at a willingness to pay (WTP) changes where the incremental net monetary benefit
(INMB) crosses zero. :func:`find_thresholds` takes a *vectorised* function from parameter
values to INMB (one model evaluation over a design of many rows), scans a grid in one pass to
bracket every sign change, then refines each bracket by Brent's method. :func:`headroom` gives
the maximum justified price of a one-off cost paid only in the intervention arm (INMB falls one
for one with it) against WTP.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from hecon.errors import InputError


@dataclass
class Threshold:
    """Result of a threshold search on one parameter.

    ``values`` are every root found in [lo, hi] (sorted); ``value`` the first, or None when
    INMB keeps one sign over the whole range (then ``sign`` says which: +1 the intervention is
    cost-effective everywhere, -1 nowhere).
    """

    parameter: str
    values: list[float]
    lo: float
    hi: float
    sign: int

    @property
    def value(self) -> float | None:
        """The first threshold in range, or None."""
        return self.values[0] if self.values else None

    def describe(self) -> str:
        """One sentence for a reader."""
        if self.values:
            v = ", ".join(f"{x:,.6g}" for x in self.values)
            return f"the decision changes at {self.parameter} = {v}"
        side = "cost-effective" if self.sign > 0 else "not cost-effective"
        return (f"the intervention stays {side} for every {self.parameter} in "
                f"[{self.lo:,.6g}, {self.hi:,.6g}]")


def find_thresholds(
    inmb_of: Callable[[np.ndarray], np.ndarray],
    lo: float,
    hi: float,
    parameter: str = "parameter",
    grid: int = 65,
    xtol: float = 1e-10,
) -> Threshold:
    """Every value in [lo, hi] where ``inmb_of`` crosses zero.

    ``inmb_of`` maps an array of parameter values to INMB (same shape) in one vectorised
    evaluation. A root between two grid points is refined by :func:`scipy.optimize.brentq`
    (each step a one-value evaluation); grid points exactly at zero are roots themselves. Roots
    closer together than the grid spacing can be missed; a finer ``grid`` finds them.
    """
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo >= hi:
        raise InputError(f"threshold range needs lo < hi, got [{lo}, {hi}]", parameter=parameter)
    if grid < 2:
        raise InputError("threshold grid needs at least 2 points", parameter=parameter)
    x = np.linspace(lo, hi, int(grid))
    y = np.asarray(inmb_of(x), dtype=float)
    if y.shape != x.shape or not np.isfinite(y).all():
        raise InputError("INMB must be finite at every grid value", parameter=parameter)

    def f(v: float) -> float:
        return float(np.asarray(inmb_of(np.array([v])), dtype=float)[0])

    roots: list[float] = [float(v) for v in x[y == 0]]
    s = np.sign(y)
    for i in np.flatnonzero(s[:-1] * s[1:] < 0):
        roots.append(float(brentq(f, x[i], x[i + 1], xtol=xtol, rtol=4 * np.finfo(float).eps)))
    sign = int(np.sign(y[np.argmax(np.abs(y))])) if not roots else 0
    return Threshold(parameter, sorted(roots), float(lo), float(hi), sign)


def headroom(
    inc_cost: float,
    inc_effect: float,
    price: float,
    wtp: Sequence[float] | np.ndarray,
) -> pd.DataFrame:
    """Maximum justified price of a one-off cost in the intervention arm, against WTP.

    With INMB = wtp x dE - dC and dC rising one for one with the price, INMB = 0 at
    price* = price + wtp x dE - dC. Returns wtp, max_price and headroom (= price* - price).
    Valid only for a cost that enters the intervention arm's total once and undiscounted
    (e.g. a device bought at time 0); check with :func:`find_thresholds` otherwise.
    """
    w = np.atleast_1d(np.asarray(wtp, dtype=float))
    if w.ndim != 1 or not np.isfinite(w).all():
        raise InputError("willingness-to-pay values must be finite numbers")
    for name, v in (("incremental cost", inc_cost), ("incremental effect", inc_effect),
                    ("price", price)):
        if not np.isfinite(v):
            raise InputError(f"{name} must be finite, got {v}")
    inmb = w * inc_effect - inc_cost
    return pd.DataFrame({"wtp": w, "max_price": price + inmb, "headroom": inmb})
