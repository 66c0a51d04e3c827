"""Value of information from PSA draws: EVPI, population EVPI and EVPPI by regression.

``nb`` is always net benefit (money or health) of shape (draws, strategies).

EVPI = E[max_k NB_k] - max_k E[NB_k], estimated as the mean opportunity loss of the strategy
with the highest mean; its Monte Carlo standard error is the SD of the per-draw loss / sqrt(n).

EVPPI of a parameter (or group) phi uses the regression metamodel of Strong, Oakley & Brennan
(Med Decis Making 2014;34:311-26): the incremental net benefit of each strategy over the first
is regressed on phi, the fitted values g estimate E[INB | phi], and
EVPPI = mean_i max_k g_ik - max_k mean_i g_ik (the reference strategy's g is 0). The regression
is a GAM-like least-squares fit: a natural cubic regression spline on quantile knots for each
parameter (additive for a group, plus pairwise products of the linear terms for interactions).
Its standard error comes from redrawing the coefficients from their sampling distribution
(normal, covariance sigma^2 (B'B)^-1) and recomputing EVPPI. The fit is checked by r2 and by
the largest standardised mean residual over deciles of the fitted values (``max_decile_z``,
which should be small, say < 3, when the metamodel has no systematic lack of fit).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hecon.errors import InputError

KNOTS = 7
SE_DRAWS = 200


def _nb(nb: np.ndarray) -> np.ndarray:
    a = np.asarray(nb, dtype=float)
    if a.ndim != 2 or a.shape[0] < 1 or a.shape[1] < 1:
        raise InputError(f"net benefit must be (draws, strategies), got shape {a.shape}")
    if not np.isfinite(a).all():
        raise InputError(f"net benefit is not finite in draw "
                         f"{int(np.flatnonzero(~np.isfinite(a).all(axis=1))[0])}")
    return a


def opportunity_loss(nb: np.ndarray) -> np.ndarray:
    """Per-draw loss of choosing the strategy with the highest mean net benefit."""
    a = _nb(nb)
    best = int(np.argmax(a.mean(axis=0)))
    return a.max(axis=1) - a[:, best]


def evpi(nb: np.ndarray) -> float:
    """Expected value of perfect information per person."""
    return float(opportunity_loss(nb).mean())


def evpi_se(nb: np.ndarray) -> float:
    """Monte Carlo standard error of :func:`evpi` (0 with one draw)."""
    loss = opportunity_loss(nb)
    return float(loss.std(ddof=1) / np.sqrt(loss.size)) if loss.size > 1 else 0.0


def evpi_curve(costs: np.ndarray, effects: np.ndarray,
               wtp: Sequence[float] | np.ndarray) -> pd.DataFrame:
    """EVPI per person (and its MCSE) at each willingness to pay."""
    c, e = np.asarray(costs, dtype=float), np.asarray(effects, dtype=float)
    if c.shape != e.shape:
        raise InputError(f"costs {c.shape} and effects {e.shape} differ in shape")
    rows = [{"wtp": float(w), "evpi": evpi(w * e - c), "se": evpi_se(w * e - c)}
            for w in np.atleast_1d(wtp)]
    return pd.DataFrame(rows)


def population_factor(incidence_per_year: float, years: int, discount_rate: float) -> float:
    """Discounted number of people affected: sum_{t=0}^{years-1} incidence / (1 + r)^t
    (annual cohorts, the first year undiscounted)."""
    if not np.isfinite(incidence_per_year) or incidence_per_year < 0:
        raise InputError(f"incidence must be a number >= 0, got {incidence_per_year!r}")
    if int(years) != years or years < 1:
        raise InputError(f"the decision horizon must be a whole number of years >= 1, "
                         f"got {years!r}")
    if not np.isfinite(discount_rate) or discount_rate <= -1:
        raise InputError(f"discount rate must be > -1, got {discount_rate!r}")
    t = np.arange(int(years))
    return float(incidence_per_year * np.sum((1 + discount_rate) ** -t))


def population_evpi(per_person: float, incidence_per_year: float, years: int,
                    discount_rate: float) -> float:
    """Population EVPI (or EVPPI): per-person value x :func:`population_factor`."""
    return float(per_person) * population_factor(incidence_per_year, years, discount_rate)


# ------------------------------------------------------------------------- regression
def spline_basis(x: np.ndarray, knots: int = KNOTS) -> np.ndarray:
    """Natural cubic regression spline basis (Hastie, Tibshirani & Friedman eq. 5.4) on knots
    at quantiles of x, without the intercept: columns x, then K - 2 truncated-cubic terms.
    Fewer knots are used when x has few distinct values; a constant x gives no columns."""
    x = np.asarray(x, dtype=float)
    u = np.unique(x)
    if u.size < 2:
        return np.zeros((x.size, 0))
    s = (x - x.mean()) / x.std()
    k = int(min(knots, u.size))
    if k < 3:
        return s[:, None]
    xi = np.unique(np.quantile(s, np.linspace(0, 1, k)))
    if xi.size < 3:
        return s[:, None]

    def d(j: int) -> np.ndarray:
        return (np.maximum(s - xi[j], 0) ** 3 - np.maximum(s - xi[-1], 0) ** 3) / (
            xi[-1] - xi[j])

    last = d(xi.size - 2)
    cols = [s] + [d(j) - last for j in range(xi.size - 2)]
    return np.column_stack(cols)


def design_matrix(x: np.ndarray, knots: int = KNOTS) -> np.ndarray:
    """Intercept + additive spline basis of every column of x (n, m), plus the pairwise
    products of the standardised linear terms when m > 1."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    parts = [np.ones((x.shape[0], 1))]
    lin = []
    for j in range(x.shape[1]):
        b = spline_basis(x[:, j], knots)
        if b.shape[1]:
            parts.append(b)
            lin.append(b[:, 0])
    for i in range(len(lin)):
        for j in range(i + 1, len(lin)):
            parts.append((lin[i] * lin[j])[:, None])
    return np.column_stack(parts)


@dataclass
class EvppiResult:
    """EVPPI of one parameter or group, with its standard error and regression checks."""

    value: float
    se: float
    r2: float
    max_decile_z: float
    method: str
    n: int


def _evppi_from_fit(g: np.ndarray) -> float:
    full = np.column_stack([np.zeros(g.shape[0]), g])
    v = float(full.max(axis=1).mean() - full.mean(axis=0).max())
    # >= 0 by Jensen's inequality; a negative value is floating-point rounding of a zero
    return 0.0 if v < 0 and -v <= 1e-9 * float(np.abs(full).mean() + 1.0) else v


def evppi(nb: np.ndarray, x: np.ndarray, knots: int = KNOTS, se_draws: int = SE_DRAWS,
          seed: int = 1) -> EvppiResult:
    """EVPPI of the parameter(s) ``x`` ((n,) or (n, m)) by regression on the draws."""
    a = _nb(nb)
    x = np.asarray(x, dtype=float)
    if x.shape[0] != a.shape[0]:
        raise InputError(f"{x.shape[0]} parameter draws for {a.shape[0]} net-benefit draws")
    if not np.isfinite(x).all():
        raise InputError("parameter draws are not finite")
    n = a.shape[0]
    if a.shape[1] < 2:
        return EvppiResult(0.0, 0.0, float("nan"), 0.0, "none (one strategy)", n)
    inb = a[:, 1:] - a[:, :1]
    B = design_matrix(x, knots)
    if B.shape[1] == 1:  # constant parameter: learning it changes nothing
        return EvppiResult(0.0, 0.0, 0.0, 0.0, "none (constant)", n)
    if n <= 2 * B.shape[1]:
        raise InputError(f"EVPPI by regression needs more than {2 * B.shape[1]} draws, got {n}")
    beta, *_ = np.linalg.lstsq(B, inb, rcond=None)
    g = B @ beta
    resid = inb - g
    value = _evppi_from_fit(g)
    tss = ((inb - inb.mean(axis=0)) ** 2).sum(axis=0)
    r2 = float(np.mean(np.where(tss > 0, 1 - (resid**2).sum(axis=0) / np.where(
        tss > 0, tss, 1), 1.0)))
    # lack-of-fit check: mean residual within deciles of the fitted values
    z = 0.0
    sd = resid.std(axis=0)
    for j in range(g.shape[1]):
        if sd[j] == 0:
            continue
        order = np.argsort(g[:, j], kind="stable")
        for part in np.array_split(order, 10):
            if part.size:
                z = max(z, abs(resid[part, j].mean()) / (sd[j] / np.sqrt(part.size)))
    # standard error: redraw coefficients from N(beta, sigma^2 (B'B)^-1)
    se = 0.0
    if se_draws > 1:
        dof = max(n - B.shape[1], 1)
        sigma2 = (resid**2).sum(axis=0) / dof
        xtx_inv = np.linalg.pinv(B.T @ B)
        L = np.linalg.cholesky(xtx_inv + 1e-14 * np.eye(B.shape[1]) * np.trace(xtx_inv))
        rng = np.random.default_rng(seed)
        vals = np.empty(se_draws)
        for s in range(se_draws):
            e = rng.standard_normal(beta.shape)
            bs = beta + (L @ e) * np.sqrt(sigma2)
            vals[s] = _evppi_from_fit(B @ bs)
        se = float(vals.std(ddof=1))
    method = f"spline regression ({B.shape[1]} terms)"
    return EvppiResult(value, se, r2, float(z), method, n)


def evppi_table(
    nb: np.ndarray,
    values: pd.DataFrame,
    parameters: Sequence[str] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    knots: int = KNOTS,
    se_draws: int = SE_DRAWS,
) -> pd.DataFrame:
    """EVPPI of each parameter (columns of ``values``, the PSA draws) and of each named group:
    columns parameter, kind (parameter/group), evppi, se, r2, max_decile_z, method; plus the
    EVPI row for reference."""
    a = _nb(nb)
    names = list(values.columns if parameters is None else parameters)
    for n in names:
        if n not in values.columns:
            raise InputError("no draws for this parameter", parameter=n)
    rows = []
    for n in names:
        r = evppi(a, values[n].to_numpy(), knots, se_draws)
        rows.append({"parameter": n, "kind": "parameter", "evppi": r.value, "se": r.se,
                     "r2": r.r2, "max_decile_z": r.max_decile_z, "method": r.method})
    for g, members in (groups or {}).items():
        missing = [m for m in members if m not in values.columns]
        if missing:
            raise InputError(f"group {g!r} has no draws for {missing}")
        r = evppi(a, values[list(members)].to_numpy(), knots, se_draws)
        rows.append({"parameter": g, "kind": "group", "evppi": r.value, "se": r.se,
                     "r2": r.r2, "max_decile_z": r.max_decile_z, "method": r.method})
    rows.append({"parameter": "all parameters (EVPI)", "kind": "evpi", "evppi": evpi(a),
                 "se": evpi_se(a), "r2": float("nan"), "max_decile_z": float("nan"),
                 "method": "Monte Carlo"})
    return pd.DataFrame(rows)
