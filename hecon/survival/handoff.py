"""Hand-off to the cohort engine: curves on the model's time grid and per-cycle probabilities.

The engine's time points are t_k = k * cycle_length (years), k = 0..T. A survival curve on
that grid is an array S of shape (n_samples, T + 1); a cohort (Markov) model needs per-cycle
transition probabilities p_k = 1 - S(t_k) / S(t_{k-1}), shape (n_samples, T).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from hecon.errors import InputError
from hecon.survival._utils import ArrayLike
from hecon.survival.curves import SurvivalCurve

HazardInput = SurvivalCurve | Callable[[np.ndarray], np.ndarray] | np.ndarray


def model_times(n_cycles: int, cycle_length: float) -> np.ndarray:
    """The model's time points k * cycle_length for k = 0..n_cycles, shape (n_cycles + 1,)."""
    if int(n_cycles) != n_cycles or n_cycles < 1:
        raise InputError(f"n_cycles must be a whole number >= 1, got {n_cycles}")
    if not cycle_length > 0:
        raise InputError(f"cycle_length must be > 0, got {cycle_length}")
    return np.arange(int(n_cycles) + 1) * float(cycle_length)


def _check_grid(times: ArrayLike) -> np.ndarray:
    t = np.asarray(times, dtype=float).ravel()
    if t.size < 2 or np.any(np.diff(t) <= 0) or t[0] < 0 or not np.all(np.isfinite(t)):
        raise InputError("times must be at least two increasing, finite values >= 0",
                         parameter="times")
    return t


def survival_from_hazard(hazard: Callable[[np.ndarray], np.ndarray] | ArrayLike,
                         times: ArrayLike, substeps: int = 1) -> np.ndarray:
    """Survival on a grid from a hazard by cumulative-hazard integration, shape (n, T + 1).

    `hazard` is either an array of rates per interval [t_{k-1}, t_k), shape (T,) or (n, T)
    (exact: piecewise-constant hazard), or a function h(t) -> (T',) or (n, T'), evaluated at
    the midpoints of `substeps` equal sub-intervals of each interval (exact for hazards that
    are constant between grid points; midpoint rule otherwise). S(times[0]) = 1.
    """
    t = _check_grid(times)
    widths = np.diff(t)
    if callable(hazard):
        m = int(substeps)
        if m < 1:
            raise InputError("substeps must be >= 1")
        frac = (np.arange(m) + 0.5) / m
        mids = (t[:-1, None] + widths[:, None] * frac[None, :]).ravel()
        h = np.atleast_2d(np.asarray(hazard(mids), dtype=float))
        if h.shape[-1] != mids.size:
            raise InputError(f"hazard function returned {h.shape[-1]} values for {mids.size} "
                             "times")
        inc = (h.reshape(h.shape[0], t.size - 1, m) * (widths[:, None] / m)).sum(axis=2)
    else:
        h = np.atleast_2d(np.asarray(hazard, dtype=float))
        if h.shape[-1] != t.size - 1:
            raise InputError(f"need one hazard per interval ({t.size - 1}), got {h.shape[-1]}",
                             parameter="hazard")
        inc = h * widths[None, :]
    if np.any(np.isnan(inc)) or np.any(inc < 0):
        raise InputError("hazards must be >= 0 and not NaN", parameter="hazard")
    cum = np.concatenate([np.zeros((inc.shape[0], 1)), np.cumsum(inc, axis=1)], axis=1)
    return np.exp(-cum)


def on_grid(curve_or_hazard: HazardInput, times: ArrayLike) -> np.ndarray:
    """Survival at the model's time points, shape (n, T + 1).

    A `SurvivalCurve` (family, effect, life-table combination...) is evaluated directly;
    a hazard function or an array of per-interval hazards goes through `survival_from_hazard`.
    """
    t = _check_grid(times)
    if isinstance(curve_or_hazard, SurvivalCurve):
        return curve_or_hazard.survival(t)
    return survival_from_hazard(curve_or_hazard, t)


def per_cycle_probability(S: ArrayLike) -> np.ndarray:  # noqa: N803
    """Per-cycle event probabilities p_k = 1 - S(t_k)/S(t_{k-1}), shape (n, T) from (n, T + 1).

    Convention: where S(t_{k-1}) == 0 (everyone has already died) the probability is 1.
    S must lie in [0, 1] and must not increase (differences up to 1e-12 are treated as
    rounding and give probability 0); anything else raises InputError naming sample and cycle.
    """
    s = np.atleast_2d(np.asarray(S, dtype=float))
    if s.ndim != 2 or s.shape[1] < 2:
        raise InputError(f"S must have shape (n, T + 1) with T >= 1, got {s.shape}")
    bad = np.isnan(s) | (s < 0) | (s > 1 + 1e-12)
    if np.any(bad):
        i, k = np.argwhere(bad)[0]
        raise InputError(f"survival must lie in [0, 1]: S = {s[i, k]!r} at sample {i}, "
                         f"time point {k}", parameter="S")
    prev, cur = s[:, :-1], s[:, 1:]
    rising = cur - prev > 1e-12
    if np.any(rising):
        i, k = np.argwhere(rising)[0]
        raise InputError(f"survival increases in cycle {k + 1} of sample {i} "
                         f"({prev[i, k]!r} -> {cur[i, k]!r})", parameter="S")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(prev > 0, 1 - cur / np.where(prev > 0, prev, 1.0), 1.0)
    return np.clip(p, 0.0, 1.0)
