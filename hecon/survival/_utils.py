"""Small shared helpers: argument checking, broadcasting over samples, quadrature and grids.

Conventions used throughout `hecon.survival`:

- A parameter is a float array of shape (n,) (n >= 1 samples; a scalar becomes shape (1,)).
- Times are an array of shape (T,) shared by all samples, or (n, T) (one row per sample, only
  where a class says it accepts them). Results are always (n, T).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from hecon.errors import InputError

ArrayLike = float | int | np.ndarray | list[float]


def as_param(value: ArrayLike, name: str, *, positive: bool = False) -> np.ndarray:
    """Return `value` as a 1-D float array (a scalar becomes shape (1,)), checked finite.

    `positive=True` additionally requires every value to be > 0.
    """
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if arr.ndim != 1:
        raise InputError(f"must be a scalar or a 1-D array over samples, got shape {arr.shape}",
                         parameter=name)
    if arr.size == 0:
        raise InputError("is empty", parameter=name)
    if not np.all(np.isfinite(arr)):
        raise InputError("must be finite", parameter=name)
    if positive and np.any(arr <= 0):
        raise InputError(f"must be > 0 (smallest value {arr.min():g})", parameter=name)
    return arr


def broadcast_params(**params: np.ndarray) -> dict[str, np.ndarray]:
    """Broadcast 1-D parameter arrays to a common length n (each of length n or 1)."""
    sizes = {p.size for p in params.values()}
    n = max(sizes)
    if not sizes <= {1, n}:
        detail = ", ".join(f"{k}: {v.size}" for k, v in params.items())
        raise InputError(f"parameter arrays have incompatible numbers of samples ({detail})")
    return {k: np.broadcast_to(v, (n,)).copy() for k, v in params.items()}


def common_n(*sizes: int) -> int:
    """Common number of samples of objects with `sizes` samples (each equal to n or 1)."""
    n = max(sizes)
    if not set(sizes) <= {1, n}:
        raise InputError(f"incompatible numbers of samples: {sorted(set(sizes))}")
    return n


def as_times(t: ArrayLike, name: str = "t", *, allow_2d: bool = False) -> np.ndarray:
    """Return times as a float array of shape (T,) (or (n, T) if `allow_2d`), checked >= 0."""
    arr = np.asarray(t, dtype=float)
    if arr.ndim == 0:
        arr = arr[None]
    if arr.ndim > (2 if allow_2d else 1):
        raise InputError(f"must be 1-D{' or 2-D' if allow_2d else ''}, got shape {arr.shape}",
                         parameter=name)
    if np.any(np.isnan(arr)) or np.any(arr < 0):
        raise InputError("times must be non-negative numbers", parameter=name)
    return arr


def column(p: np.ndarray) -> np.ndarray:
    """Parameter of shape (n,) as a column (n, 1) for broadcasting against times (1, T)."""
    return p[:, None]


def row_times(t: np.ndarray) -> np.ndarray:
    """Times (T,) -> (1, T); (n, T) unchanged."""
    return t[None, :] if t.ndim == 1 else t


def finish(values: np.ndarray, n: int, t: np.ndarray) -> np.ndarray:
    """Broadcast a result to exactly (n, T)."""
    T = t.shape[-1]
    rows = max(n, t.shape[0] if t.ndim == 2 else 1)
    return np.ascontiguousarray(np.broadcast_to(values, (rows, T)))


_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(16)


def integrate_survival(
    survival: Callable[[np.ndarray], np.ndarray],
    t_min: float,
    t_max: float,
    panels: int = 64,
) -> np.ndarray:
    """Integral of survival(t) over [t_min, t_max] by composite 16-point Gauss-Legendre.

    `survival` maps times (T,) to (n, T); returns (n,). Accurate to ~1e-10 relative for the
    smooth parametric families over spans of a few hundred years.
    """
    if t_max < t_min:
        raise InputError(f"t_max ({t_max}) must be >= t_min ({t_min})")
    if t_max == t_min:
        return np.zeros(np.asarray(survival(np.array([t_min]))).shape[0])
    edges = np.linspace(t_min, t_max, panels + 1)
    half = np.diff(edges)[:, None] / 2
    mid = (edges[:-1] + edges[1:])[:, None] / 2
    nodes = (mid + half * _GL_NODES[None, :]).ravel()
    weights = (half * _GL_WEIGHTS[None, :]).ravel()
    return np.asarray(survival(nodes)) @ weights


def cumhaz_diff(upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """H(b) - H(a), with inf where H(b) is inf (everyone has died; avoids inf - inf = nan)."""
    with np.errstate(invalid="ignore"):
        return np.where(np.isposinf(upper), np.inf, upper - lower)


def integrate_increments(
    t: np.ndarray,
    cumulative: Callable[[np.ndarray], list[np.ndarray]],
    combine: Callable[[list[np.ndarray], np.ndarray, np.ndarray], np.ndarray],
    step: float,
    breaks: tuple[float, ...] = (),
) -> np.ndarray:
    """Integrate a combination of cumulative hazards over a fine grid from 0 to each time in t.

    The grid is {0, step, 2*step, ...} plus `breaks`. `cumulative(x)` returns a list of
    cumulative hazards evaluated at the points x (each (n_i, len(x))), evaluated once on the
    union of grid points and `t`. `combine(deltas, a, b)` turns their increments over
    intervals [a_j, b_j] into the (n, m) increments of the result (e.g. their maximum). The
    value at t is the sum over the whole grid intervals below t plus the increment from the
    last grid point to t, so it does not depend on which other times are asked for.
    Returns (n, T).
    """
    if not step > 0:
        raise InputError(f"step must be > 0, got {step}")
    t_max = float(t.max()) if t.size else 0.0
    grid = np.arange(0.0, t_max + step, step)
    extra = [b for b in breaks if 0 < b < t_max]
    grid = np.unique(np.concatenate([grid, np.asarray(extra, dtype=float)]))
    points = np.unique(np.concatenate([grid, t]))
    values = cumulative(points)
    gi = np.searchsorted(points, grid)
    j = np.clip(np.searchsorted(grid, t, side="right") - 1, 0, grid.size - 1)
    ti = np.searchsorted(points, t)
    inc = combine([cumhaz_diff(v[:, gi[1:]], v[:, gi[:-1]]) for v in values],
                  grid[:-1], grid[1:])
    cum = np.concatenate([np.zeros((inc.shape[0], 1)), np.cumsum(inc, axis=1)], axis=1)
    partial = combine([cumhaz_diff(v[:, ti], v[:, gi[j]]) for v in values], grid[j], t)
    return cum[:, j] + partial
