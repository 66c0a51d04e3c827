"""One-way and two-way sensitivity curves from the PSA draws, without re-running the model.

As dampack's ``owsa``/``twsa`` on a PSA object: an outcome (e.g. INMB, or each strategy's net
benefit) is regressed on a polynomial in one parameter (or two) over the PSA draws, so the
fitted curve estimates E[outcome | parameter] -- the expected outcome at each value of the
parameter, *averaged over the uncertainty in all the others* (a deterministic one-way analysis
instead holds the others at their base values; the two agree when the outcome is linear in
the others and the parameters are independent).

Model: ordinary least squares on the standardised parameter(s) s, with every monomial of
total degree <= ``degree`` (default 2, dampack's ``poly.order``; for two parameters this
includes their product, so interactions enter). Curves are evaluated on ``points`` values
from the 2.5th to the 97.5th percentile of the draws (or given ``values``), with a
``level`` confidence interval of the conditional mean: estimate +- t_{n-p} sqrt(x0'(X'X)^-1
x0 sigma^2), sigma^2 = RSS / (n - p). The interval covers the regression error only; the
polynomial's lack of fit is reported as ``r2`` per curve.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations_with_replacement

import numpy as np
import pandas as pd
from scipy import stats

from hecon.errors import InputError


def _powers(m: int, degree: int) -> list[tuple[int, ...]]:
    """Exponent tuples of all monomials of total degree <= degree in m variables."""
    out: list[tuple[int, ...]] = [(0,) * m]
    for d in range(1, degree + 1):
        for combo in combinations_with_replacement(range(m), d):
            out.append(tuple(combo.count(j) for j in range(m)))
    return out


def _basis(s: np.ndarray, powers: list[tuple[int, ...]]) -> np.ndarray:
    return np.column_stack([np.prod(s ** np.array(p), axis=1) for p in powers])


def _fit(x: np.ndarray, y: np.ndarray, grid: np.ndarray, degree: int, level: float,
         name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimate and (lower, upper) of E[y | x] at the grid rows; x (n, m), grid (g, m), y
    (n, c). Returns arrays (g, c) and r2 (c,)."""
    mu, sd = x.mean(axis=0), x.std(axis=0)
    if np.any(sd == 0):
        raise InputError("the parameter does not vary in the PSA draws", parameter=name)
    pw = _powers(x.shape[1], degree)
    b = _basis((x - mu) / sd, pw)
    n, p = b.shape
    if n <= p + 1:
        raise InputError(f"a degree-{degree} metamodel needs more than {p + 1} draws, got {n}",
                         parameter=name)
    q, r = np.linalg.qr(b)
    coef = np.linalg.solve(r, q.T @ y)
    resid = y - b @ coef
    sigma2 = (resid**2).sum(axis=0) / (n - p)
    b0 = _basis((grid - mu) / sd, pw)
    est = b0 @ coef
    v = np.linalg.solve(r.T, b0.T)  # R^-T x0: x0'(X'X)^-1 x0 = |R^-T x0|^2
    lev = (v**2).sum(axis=0)
    half = stats.t.ppf(0.5 + level / 2, n - p) * np.sqrt(lev[:, None] * sigma2[None, :])
    tss = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    r2 = np.where(tss > 0, 1 - (resid**2).sum(axis=0) / np.where(tss > 0, tss, 1), np.nan)
    return est, half, r2


def _outcome(outcome: np.ndarray | pd.Series | pd.DataFrame, n: int,
             names: Sequence[str] | None) -> tuple[np.ndarray, list[str]]:
    if isinstance(outcome, pd.DataFrame):
        names = [str(c) for c in outcome.columns] if names is None else list(names)
    y = np.asarray(outcome, dtype=float)
    y = y[:, None] if y.ndim == 1 else y
    if y.ndim != 2 or y.shape[0] != n:
        raise InputError(f"the outcome has shape {np.shape(outcome)}; one value (or one per "
                         f"strategy) per PSA draw ({n}) is needed", parameter="outcome")
    if not np.isfinite(y).all():
        raise InputError("the outcome is not finite in some draws", parameter="outcome")
    names = list(names) if names is not None else (
        ["outcome"] if y.shape[1] == 1 else [f"y{j}" for j in range(y.shape[1])])
    if len(names) != y.shape[1]:
        raise InputError(f"{len(names)} outcome names for {y.shape[1]} columns",
                         parameter="outcome")
    return y, names


def _checks(values: pd.DataFrame, degree: int, level: float, points: int) -> None:
    if not isinstance(values, pd.DataFrame):
        raise InputError("the PSA parameter draws must be a DataFrame (one column each)",
                         parameter="values")
    if isinstance(degree, bool) or not isinstance(degree, int) or not 1 <= degree <= 6:
        raise InputError(f"degree must be a whole number 1-6, got {degree!r}",
                         parameter="degree")
    if not 0 < level < 1:
        raise InputError(f"level must lie strictly between 0 and 1, got {level!r}",
                         parameter="level")
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise InputError(f"points must be a whole number >= 2, got {points!r}",
                         parameter="points")


def _column(values: pd.DataFrame, name: str) -> np.ndarray:
    if name not in values.columns:
        raise InputError("no PSA draws for this parameter", parameter=name)
    x = values[name].to_numpy(dtype=float)
    if not np.isfinite(x).all():
        raise InputError("parameter draws are not finite", parameter=name)
    return x


def one_way(values: pd.DataFrame, outcome: np.ndarray | pd.DataFrame,
            parameters: Sequence[str] | None = None, *, outcome_names: Sequence[str] | None
            = None, degree: int = 2, points: int = 25, level: float = 0.95) -> pd.DataFrame:
    """One-way curves from the PSA: for each parameter (default every column of ``values``,
    the PSA draws in the row order of ``outcome``), E[outcome | parameter] on ``points``
    values from its 2.5th to 97.5th percentile, with a ``level`` confidence band.
    ``outcome`` (n,) or (n, c) (e.g. net benefit per strategy; names from a DataFrame's
    columns or ``outcome_names``). Columns: parameter, value, outcome, estimate, lower,
    upper, r2 (of that parameter's fit)."""
    _checks(values, degree, level, points)
    y, names = _outcome(outcome, len(values), outcome_names)
    frames = []
    for p in list(values.columns if parameters is None else parameters):
        x = _column(values, str(p))
        grid = np.linspace(*np.percentile(x, [2.5, 97.5]), points)
        est, half, r2 = _fit(x[:, None], y, grid[:, None], degree, level, str(p))
        for j, o in enumerate(names):
            frames.append(pd.DataFrame({"parameter": p, "value": grid, "outcome": o,
                                        "estimate": est[:, j], "lower": est[:, j] - half[:, j],
                                        "upper": est[:, j] + half[:, j], "r2": r2[j]}))
    return pd.concat(frames, ignore_index=True)


def two_way(values: pd.DataFrame, outcome: np.ndarray | pd.DataFrame, first: str,
            second: str, *, outcome_names: Sequence[str] | None = None, degree: int = 2,
            points: int = 9, level: float = 0.95) -> pd.DataFrame:
    """Two-way surface from the PSA: E[outcome | first, second] on a ``points`` x ``points``
    grid over the 2.5th-97.5th percentiles of both (polynomial with their interaction).
    Columns: first, second (named by the parameters), outcome, estimate, lower, upper, r2."""
    _checks(values, degree, level, points)
    if first == second:
        raise InputError("a two-way analysis needs two different parameters", parameter=first)
    y, names = _outcome(outcome, len(values), outcome_names)
    x = np.column_stack([_column(values, first), _column(values, second)])
    ga = np.linspace(*np.percentile(x[:, 0], [2.5, 97.5]), points)
    gb = np.linspace(*np.percentile(x[:, 1], [2.5, 97.5]), points)
    aa, bb = np.meshgrid(ga, gb, indexing="ij")
    grid = np.column_stack([aa.ravel(), bb.ravel()])
    est, half, r2 = _fit(x, y, grid, degree, level, f"{first}, {second}")
    frames = [pd.DataFrame({first: grid[:, 0], second: grid[:, 1], "outcome": o,
                            "estimate": est[:, j], "lower": est[:, j] - half[:, j],
                            "upper": est[:, j] + half[:, j], "r2": r2[j]})
              for j, o in enumerate(names)]
    return pd.concat(frames, ignore_index=True)


def tornado(curves: pd.DataFrame) -> pd.DataFrame:
    """Tornado data from :func:`one_way` curves: the estimate at each parameter's low
    (2.5th percentile) and high (97.5th) end and the swing, largest first, per outcome."""
    rows = []
    for (p, o), t in curves.groupby(["parameter", "outcome"], sort=False):
        t = t.sort_values("value")
        lo, hi = t.iloc[0], t.iloc[-1]
        rows.append({"parameter": p, "outcome": o, "low_value": lo["value"],
                     "high_value": hi["value"], "estimate_low": lo["estimate"],
                     "estimate_high": hi["estimate"],
                     "swing": abs(hi["estimate"] - lo["estimate"])})
    out = pd.DataFrame(rows)
    return out.sort_values(["outcome", "swing"], ascending=[True, False],
                           kind="stable").reset_index(drop=True)
