"""Value of information from PSA draws: EVPI, population EVPI and EVPPI by regression.

``nb`` is always net benefit (money or health) of shape (draws, strategies).

EVPI
    EVPI = E[max_k NB_k] - max_k E[NB_k], estimated as the mean over draws of the opportunity
    loss ``loss_i = max_k nb_ik - nb_ik*`` of k*, the strategy with the highest mean (first
    listed on a tie). Every loss is >= 0, so the estimate is >= 0 without any clamping. Its
    Monte Carlo standard error is SD(loss) / sqrt(n).

Population EVPI
    per-person value x sum_{t=0}^{years-1} incidence / (1 + r)^t: one new cohort of
    ``incidence`` people a year for ``years`` whole years, each cohort discounted to the start
    of its year, the first year undiscounted.

EVPPI
    The regression metamodel of Strong, Oakley & Brennan (Med Decis Making 2014;34:311-26).
    The incremental net benefit of every strategy over the first, INB_j (n x (k-1); fewer fits
    than one per strategy), is regressed on the parameter(s) phi; the fitted values g estimate
    E[INB | phi] and EVPPI = mean_i max_k g_ik - max_k mean_i g_ik (the first strategy's g is
    0), computed as a mean opportunity loss like EVPI. Two linear smoothers are available:

    ``"spline"``: a natural cubic regression spline (Hastie, Tibshirani & Friedman 2009,
    eq. 5.4) on ``knots`` knots at quantiles of the parameter, penalised by the integrated
    squared second derivative with the penalty chosen per INB column by generalised
    cross-validation (GCV; a penalty of 0 -- the plain least-squares spline -- is one of the
    candidates). For a group: additive splines of every member plus the pairwise products of
    the members' linear terms, one GCV penalty.

    ``"gp"``: Gaussian-process regression with a linear mean (intercept + each input) and a
    squared-exponential covariance sigma_f^2 exp(-sum_d (x_d - x'_d)^2 / l_d^2) on standardised
    inputs, plus noise. The length scales l_d (with the noise ratio sigma_n^2 / sigma_f^2)
    maximise the profile marginal likelihood on a random subsample of ``gp_points`` (<= 1000)
    draws (best of a coarse grid, refined by L-BFGS-B with analytic gradients). The posterior
    mean for all n draws is then computed from all n draws by the subset-of-regressors
    approximation on ``gp_inducing`` inducing points -- a ridge regression on the kernel basis
    k(x, z_1..z_q), with the linear mean unpenalised -- so no n x n matrix is ever formed. Its
    ridge penalty (the noise ratio) is re-chosen by GCV on all n draws, which guards against
    the white-noise optimum (tiny length scales) that the likelihood on a subsample sometimes
    prefers.

    ``"auto"`` (default): spline for one parameter, GP for a group of two or more (additive
    splines miss interactions that GP captures).

    Standard error (Strong et al. 2014, section 3.3): both smoothers are linear, g = S y with
    S = B (B'B + lambda P)^-1 B' for basis B and penalty P, so cov(g) = sigma^2 S S', computed
    through the basis: the smoother is W diag(h) W' for an orthonormal W (n x r, r the number
    of basis terms) and shrinkage factors h, so cov(g) = sigma^2 W diag(h^2) W' and no n x n
    matrix is ever formed; sigma^2 = RSS / (n - tr S).

    Default (``se_draws=0``), closed form by the delta method: EVPPI = mean_i max_k g_ik -
    max_k mean_i g_ik has gradient a_ij = (1[k_i = j] - 1[k* = j]) / n in g_ij (k_i the best
    strategy of draw i, k* the best on average), so var(EVPPI) ~ sum_jl rho_jl (S_j'a_j .
    S_l'a_l) sigma_j sigma_l, with rho the correlation of the residuals of INB columns j, l.
    Each S'a costs two products with W: a fraction of the fit, at any number of draws. With
    ``se_draws`` > 1 the fitted values are instead redrawn ``se_draws`` times from
    N(g, sigma^2 S S'), EVPPI is recomputed for each draw, and their SD is the SE (a test
    checks the two agree, and both against the spread of refits to fresh noise). In the
    redraws, for the spline the draws of different INB columns are correlated as their
    residuals are (exact, since all columns share one basis); for the GP (a different basis
    per column) they are independent, as in Strong et al.'s code. The SE
    covers the regression error only, not the Monte Carlo error of the n PSA draws themselves
    (the EVPPI of the same model estimated from a fresh PSA sample varies by more).

    Checks of the regression: ``r2`` per INB column (share of its variance explained by phi),
    ``edf`` (effective number of parameters of each fit), and the mean residual within each
    decile of the fitted values (``decile_residuals``, 10 x (k-1)) with the largest |mean| /
    (residual SD / sqrt(decile size)) as ``max_decile_z``: around 3 or less when the metamodel
    has no systematic lack of fit (10 deciles per column, roughly standard normal each);
    clearly larger values mean the smoother missed structure and EVPPI is underestimated.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy import linalg, optimize
from scipy.linalg import blas, lapack
from scipy.spatial.distance import cdist

from hecon.errors import InputError

KNOTS = 8
SE_DRAWS = 0  # 0: closed-form (delta-method) SE; > 1: that many redraws
GP_POINTS = 500
GP_INDUCING = 300
METHODS = ("auto", "spline", "gp")
_DRAW_CHUNK = 4_000_000  # fitted values held at once while drawing for the SE


# ----------------------------------------------------------------------------- input checks
def _nb(nb: np.ndarray) -> np.ndarray:
    a = np.asarray(nb, dtype=float)
    if a.ndim != 2 or a.shape[0] < 1 or a.shape[1] < 1:
        raise InputError(f"net benefit must be a (draws, strategies) array with at least one "
                         f"draw and one strategy, got shape {a.shape}", parameter="nb")
    if not np.isfinite(a).all():
        bad = int(np.flatnonzero(~np.isfinite(a).all(axis=1))[0])
        raise InputError(f"net benefit is not finite (NaN or inf) in draw {bad}",
                         parameter="nb")
    return a


def _number(v: float, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, Real) or not math.isfinite(float(v)):
        raise InputError(f"must be a finite number, got {v!r}", parameter=name)
    return float(v)


# ------------------------------------------------------------------------------------ EVPI
def opportunity_loss(nb: np.ndarray) -> np.ndarray:
    """Per-draw loss (>= 0) of choosing the strategy with the highest mean net benefit:
    ``max_k nb_ik - nb_ik*``, shape (n,)."""
    a = _nb(nb)
    best = int(np.argmax(a.mean(axis=0)))
    return a.max(axis=1) - a[:, best]


def evpi(nb: np.ndarray, group: Sequence[object] | np.ndarray | None = None
         ) -> float | pd.DataFrame:
    """Expected value of perfect information per person, E[max_k NB] - max_k E[NB], from net
    benefit draws ``nb`` (n, k): the mean opportunity loss. 0 for one draw or one strategy.
    With ``group`` (one label per draw row), a table of group, evpi, se: each group's EVPI
    from its own rows (the decision is taken per group), groups in order of appearance."""
    if group is not None:
        from hecon.analysis.psa import _groups

        a = _nb(nb)
        return pd.DataFrame([{"group": g, "evpi": evpi(a[rows]), "se": evpi_se(a[rows])}
                             for g, rows in _groups(group, a.shape[0])],
                            columns=["group", "evpi", "se"])
    return float(opportunity_loss(nb).mean())


def evpi_se(nb: np.ndarray) -> float:
    """Monte Carlo standard error of :func:`evpi`: SD(loss) / sqrt(n) (0 with one draw)."""
    loss = opportunity_loss(nb)
    return float(loss.std(ddof=1) / np.sqrt(loss.size)) if loss.size > 1 else 0.0


def evpi_curve(costs: np.ndarray, effects: np.ndarray,
               wtp: Sequence[float] | np.ndarray,
               group: Sequence[object] | np.ndarray | None = None) -> pd.DataFrame:
    """EVPI per person and its Monte Carlo SE at each willingness to pay, with net monetary
    benefit NB = wtp x effect - cost. ``costs`` and ``effects`` are (n, k).
    Columns: wtp, evpi, se (with ``group``, one label per draw: a group column first)."""
    if group is not None:
        from hecon.analysis.psa import by_group

        return by_group(evpi_curve, costs, effects, group, wtp)
    c, e = np.asarray(costs, dtype=float), np.asarray(effects, dtype=float)
    if c.ndim != 2 or c.shape != e.shape:
        raise InputError(f"costs {c.shape} and effects {e.shape} must both be "
                         f"(draws, strategies) arrays of the same shape", parameter="costs")
    _nb(c)
    _nb(e)
    w = np.atleast_1d(np.asarray(wtp, dtype=float))
    if w.ndim != 1 or w.size == 0 or not np.isfinite(w).all():
        raise InputError("willingness-to-pay values must be a non-empty list of finite numbers",
                         parameter="wtp")
    rows = []
    for x in w:
        loss = opportunity_loss(x * e - c)
        se = float(loss.std(ddof=1) / np.sqrt(loss.size)) if loss.size > 1 else 0.0
        rows.append({"wtp": float(x), "evpi": float(loss.mean()), "se": se})
    return pd.DataFrame(rows, columns=["wtp", "evpi", "se"])


# ------------------------------------------------------------------------------ population
def population_factor(incidence_per_year: float, years: int, discount_rate: float) -> float:
    """Discounted number of people affected by the decision:
    ``sum_{t=0}^{years-1} incidence / (1 + r)^t`` (annual cohorts, the first year
    undiscounted). ``years`` must be a whole number >= 1; ``discount_rate`` a fraction in
    [0, 1) (0.035 for 3.5%)."""
    inc = _number(incidence_per_year, "incidence_per_year")
    if inc < 0:
        raise InputError(f"must be >= 0, got {inc!r}", parameter="incidence_per_year")
    if isinstance(years, bool) or not isinstance(years, Real) or not math.isfinite(years) \
            or years != int(years) or years < 1:
        raise InputError(f"the decision horizon must be a whole number of years >= 1, got "
                         f"{years!r}", parameter="years")
    r = _number(discount_rate, "discount_rate")
    if not 0 <= r < 1:
        raise InputError(f"must be a fraction in [0, 1) (0.035 for 3.5%), got {r!r}",
                         parameter="discount_rate")
    t = np.arange(int(years))
    return float(inc * np.sum((1.0 + r) ** -t))


def population_evpi(per_person: float, incidence_per_year: float, years: int,
                    discount_rate: float) -> float:
    """Population EVPI (or EVPPI): ``per_person`` x :func:`population_factor`, i.e.
    ``per_person * sum_{t=0}^{years-1} incidence / (1 + r)^t`` -- a new cohort each year,
    the first year undiscounted. ``years`` must be a whole number >= 1."""
    v = _number(per_person, "per_person")
    if v < 0:
        raise InputError(f"a value of information is >= 0, got {v!r}", parameter="per_person")
    return v * population_factor(incidence_per_year, years, discount_rate)


# ------------------------------------------------------------------------- spline bases
def _ncs(x: np.ndarray, knots: int) -> tuple[np.ndarray, np.ndarray]:
    """Natural cubic spline basis of standardised x without the intercept (columns: x, then
    K - 2 truncated-cubic terms) and its penalty matrix int f''(s)^2 ds."""
    s = (x - x.mean()) / x.std()
    k = int(min(knots, np.unique(s).size))
    xi = np.unique(np.quantile(s, np.linspace(0, 1, k))) if k >= 3 else np.zeros(0)
    if xi.size < 3:
        return s[:, None], np.zeros((1, 1))
    last = xi[-1]

    def d(j: int, v: np.ndarray) -> np.ndarray:
        return (np.maximum(v - xi[j], 0) ** 3 - np.maximum(v - last, 0) ** 3) / (last - xi[j])

    def d2(j: int, v: np.ndarray) -> np.ndarray:
        return 6 * (np.maximum(v - xi[j], 0) - np.maximum(v - last, 0)) / (last - xi[j])

    m = xi.size - 2
    cols = [s] + [d(j, s) - d(m, s) for j in range(m)]
    # second derivatives are linear between knots (and 0 outside), so Simpson's rule on each
    # knot interval integrates their products exactly
    lo, hi = xi[:-1], xi[1:]
    pts = np.concatenate([lo, (lo + hi) / 2, hi])
    wts = np.concatenate([(hi - lo) / 6, 4 * (hi - lo) / 6, (hi - lo) / 6])
    f2 = np.column_stack([np.zeros_like(pts)] + [d2(j, pts) - d2(m, pts) for j in range(m)])
    pen = (f2 * wts[:, None]).T @ f2
    return np.column_stack(cols), pen


def spline_basis(x: np.ndarray, knots: int = KNOTS) -> np.ndarray:
    """Natural cubic regression spline basis of x (n,) on ``knots`` knots at its quantiles,
    without the intercept: the standardised x, then K - 2 truncated-cubic terms. Fewer knots
    are used when x has few distinct values; a constant x gives no columns."""
    x = np.asarray(x, dtype=float)
    if np.unique(x).size < 2:
        return np.zeros((x.size, 0))
    return _ncs(x, knots)[0]


def _design(x: np.ndarray, knots: int) -> tuple[np.ndarray, np.ndarray]:
    """Intercept + additive spline bases of the columns of x (n, m) + pairwise products of
    their linear terms, and the block-diagonal penalty (intercept and products unpenalised)."""
    n = x.shape[0]
    blocks, pens, lin = [np.ones((n, 1))], [np.zeros((1, 1))], []
    for j in range(x.shape[1]):
        if np.ptp(x[:, j]) == 0:
            continue
        b, p = _ncs(x[:, j], knots)
        blocks.append(b)
        pens.append(p)
        lin.append(b[:, 0])
    for i in range(len(lin)):
        for j in range(i + 1, len(lin)):
            blocks.append((lin[i] * lin[j])[:, None])
            pens.append(np.zeros((1, 1)))
    return np.column_stack(blocks), linalg.block_diag(*pens)


def design_matrix(x: np.ndarray, knots: int = KNOTS) -> np.ndarray:
    """Spline regression design of x (n,) or (n, m): intercept, additive natural cubic
    spline basis of every non-constant column, and pairwise products of their linear terms."""
    x = np.asarray(x, dtype=float)
    return _design(x[:, None] if x.ndim == 1 else x, knots)[0]


def _independent_columns(b: np.ndarray) -> np.ndarray:
    """Indices (sorted) of a maximal set of linearly independent columns of b."""
    _, r, piv = linalg.qr(b, mode="economic", pivoting=True)
    d = np.abs(np.diag(r))
    rank = int((d > d[0] * 1e-10).sum()) if d.size and d[0] > 0 else 0
    return np.sort(piv[:rank])


def _orthonormal(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """b = w r with w (n, p) orthonormal and r (p, p), b of full column rank: CholeskyQR2 on
    equilibrated columns (two p x p Cholesky factorisations of Gram matrices, much cheaper than
    a Householder QR of the tall b), falling back to Householder QR if b is ill-conditioned."""
    scale = np.sqrt((b**2).sum(axis=0))
    w, r = b / scale, np.diag(scale)
    try:
        for _ in range(2):
            c = np.linalg.cholesky(w.T @ w).T  # w'w = c'c, c upper triangular
            w, r = w @ np.linalg.inv(c), c @ r
    except np.linalg.LinAlgError:
        return np.linalg.qr(b)
    if not np.abs(w.T @ w - np.eye(w.shape[1])).max() < 1e-10:
        return np.linalg.qr(b)
    return w, r


# --------------------------------------------------------------------------- smoothers
@dataclass
class _Fit:
    """A linear-smoother fit of Y (n, c): fitted values g and, per column j, an orthonormal
    basis W_j (n, r) and scales t_j (r,) with cov(g_j) = sigma_j^2 S_j S_j' = W_j diag(t_j^2)
    W_j' (one W for all columns when ``shared``)."""

    g: np.ndarray
    ws: list[np.ndarray]
    scales: list[np.ndarray]
    edf: np.ndarray
    shared: bool


class _KernelBasis:
    """The GP's orthonormal basis W = [Q, K' A] (n, p + r) kept in factors: Q (n, p) the
    orthonormal linear mean, K (q, n) the whitened, projected kernel rows and A (q, r) their
    mixing, so that W is never formed (products with it cost two thin products with K).
    Supports ``W @ z``, ``W.T @ y`` and ``W.shape``, as an array would."""

    def __init__(self, q: np.ndarray, k: np.ndarray, a: np.ndarray) -> None:
        self.q, self.k, self.a = q, k, a
        self.shape = (q.shape[0], q.shape[1] + a.shape[1])

    def __matmul__(self, z: np.ndarray) -> np.ndarray:
        p = self.q.shape[1]
        return self.q @ z[:p] + self.k.T @ (self.a @ z[p:])

    @property
    def T(self) -> _KernelBasisT:  # noqa: N802 (as numpy's transpose)
        return _KernelBasisT(self)


class _KernelBasisT:
    """Transpose of a :class:`_KernelBasis`: ``W.T @ y`` = [Q'y; A'(K y)]."""

    def __init__(self, w: _KernelBasis) -> None:
        self.w = w

    def __matmul__(self, y: np.ndarray) -> np.ndarray:
        w = self.w
        return np.concatenate([w.q.T @ y, w.a.T @ (w.k @ y)])


def _gcv(w: np.ndarray, d: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """Penalised fit of every column of y on the orthonormal basis w (n, r) whose directions
    are penalised with eigenvalues d (r,) >= 0 (0: unpenalised): fitted = w diag(h) w'y with
    h = 1 / (1 + lambda d), lambda chosen per column by GCV, n RSS / (n - edf)^2, over 0 and a
    log grid spanning all of d. Returns g, h (c, r), edf (c,), sigma (c,)."""
    n = w.shape[0]
    z = w.T @ y  # (r, c)
    rss_perp = ((y - w @ z) ** 2).sum(axis=0)
    pos = d[d > 0]
    lams = np.zeros(1)
    if pos.size:
        lo, hi = math.log10(1e-4 / pos.max()), math.log10(1e4 / pos.min())
        lams = np.concatenate([lams, np.logspace(lo, hi, int(6 * (hi - lo)) + 2)])
    h = 1 / (1 + lams[:, None] * d[None, :])  # (L, r) shrinkage of each direction
    edf = h.sum(axis=1)
    rss = rss_perp[None, :] + ((1 - h) ** 2) @ (z**2)  # (L, c)
    with np.errstate(divide="ignore"):
        gcv = np.where(edf[:, None] < n - 1, n * rss / (n - edf[:, None]) ** 2, np.inf)
    best = np.argmin(gcv, axis=0)
    hb = h[best]
    g = w @ (hb.T * z)
    sigma = np.sqrt(rss[best, np.arange(y.shape[1])] / (n - edf[best]))
    return g, hb, edf[best], sigma


def _spline_fit(x: np.ndarray, y: np.ndarray, knots: int, name: str | None) -> _Fit:
    b, pen = _design(x, knots)
    if x.shape[1] > 1:  # one parameter's spline terms are independent by construction
        keep = _independent_columns(b)
        b, pen = b[:, keep], pen[np.ix_(keep, keep)]
    n, p = b.shape
    if n <= 2 * p:
        raise InputError(f"EVPPI by spline regression on {p} terms needs more than {2 * p} "
                         f"draws, got {n}", parameter=name)
    # B = QR; with R^-T P R^-1 = U diag(d) U', the smoother is W diag(1/(1 + lambda d)) W'
    # for the orthonormal W = QU
    q, r = _orthonormal(b)
    rinv = np.linalg.inv(r)
    t = rinv.T @ pen @ rinv
    d, u = np.linalg.eigh((t + t.T) / 2)
    d = np.clip(d, 0, None)  # eigenvalues of a PSD matrix; clip rounding below 0
    w = q @ u
    g, h, edf, sigma = _gcv(w, d, y)
    return _Fit(g, [w], [sigma[j] * h[j] for j in range(y.shape[1])], edf, shared=True)


_EXP_FLOOR = 700.0  # exp(-700) ~ 1e-304: smaller kernel values are rounded up to it (see below)


def _sqexp(a: np.ndarray, b: np.ndarray, ell: np.ndarray) -> np.ndarray:
    # squared scaled distances beyond 700 give kernel values below 1e-304, which are set to
    # exp(-700) instead of underflowing slowly into subnormal numbers (an absolute change
    # below 1e-304 in entries of order 1)
    r2 = cdist(a / ell, b / ell, "sqeuclidean")
    np.minimum(r2, _EXP_FLOOR, out=r2)
    np.negative(r2, out=r2)
    return np.exp(r2, out=r2)


def _gp_nll(theta: np.ndarray, xs: np.ndarray, hs: np.ndarray, y: np.ndarray,
            grad: bool = True, c: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Negative profile log marginal likelihood per draw (sigma_f^2 and the linear mean's
    coefficients profiled out) of theta = (log l_1..m, log eta), and its analytic gradient
    (with ``grad``; zeros otherwise). One Cholesky factorisation per call; with ``grad``
    also the inverse from it (the trace terms need K^-1 in full). ``c``: the correlation
    matrix of xs at theta's length scales, if already computed (it is not modified)."""
    s, m = xs.shape
    ell, eta = np.exp(theta[:m]), float(np.exp(theta[m]))
    fail = (np.inf, np.zeros_like(theta))
    if c is None:
        c = _sqexp(xs, xs, ell)
    k = c.copy()
    k.flat[::s + 1] += eta
    # k is symmetric, so its transpose (Fortran order) is factorised in place
    low, info = lapack.dpotrf(k.T, lower=1, clean=1, overwrite_a=1)
    if info != 0:
        return fail
    logdet = 2 * float(np.log(np.diag(low)).sum())
    if grad:
        kinv, info = lapack.dpotri(low, lower=1)
        if info != 0:
            return fail
        # dpotri fills the lower triangle (the upper is 0, cleaned by dpotrf): mirror it
        kinv += kinv.T
        kinv.flat[::s + 1] *= 0.5
        kih, kiy = kinv @ hs, kinv @ y
    else:
        sol, info = lapack.dpotrs(low, np.column_stack([hs, y]), lower=1)
        kih, kiy = sol[:, :-1], sol[:, -1]
    beta = np.linalg.lstsq(hs.T @ kih, hs.T @ kiy, rcond=None)[0]
    alpha = kiy - kih @ beta  # K^-1 (y - H beta)
    quad = float((y - hs @ beta) @ alpha)
    if not quad > 0:
        return fail
    nll = (0.5 * s * math.log(quad / s) + 0.5 * logdet) / s
    if not grad:
        return nll, np.zeros_like(theta)
    # d nll = 1/2 tr(W dK), W = K^-1 - s alpha alpha' / quad (beta, sigma_f^2 by envelope)
    ge = 0.5 * eta * (float(np.trace(kinv)) - (s / quad) * float(alpha @ alpha))
    w = kinv
    w -= (s / quad) * np.outer(alpha, alpha)
    v = np.multiply(w, c, out=w)
    rs = v.sum(axis=1)
    # dK/dlog l_d = C * 2 (x_id - x_jd)^2 / l_d^2, and
    # sum_ij V_ij (x_i - x_j)^2 = 2 sum_i x_i^2 rs_i - 2 x'V x
    gl = (2 * (xs**2 * rs[:, None]).sum(axis=0) - 2 * (xs * (v @ xs)).sum(axis=0)) / ell**2
    return nll, np.concatenate([gl, [ge]]) / s


_LOG_ELL = (math.log(0.05), math.log(100.0))
_LOG_ETA = (math.log(1e-6), math.log(1e3))
# L-BFGS-B stops when an iteration improves the per-draw objective by less than this: on
# GP_POINTS = 500 draws, 5e-4 log-likelihood units (1e-7 before took 2.5x the likelihood
# evaluations and moved the flagship's group EVPPIs by about 1% of their standard errors)
_GP_FTOL = 1e-6


def _gp_hyper(xs: np.ndarray, hs: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Length scales and noise ratio maximising the marginal likelihood: the best of a coarse
    grid (common length scale x noise ratio) refined by L-BFGS-B with the analytic gradient
    of :func:`_gp_nll` (the likelihood has flat plateaus near the bounds, where a single
    start can stall)."""
    m = xs.shape[1]
    starts = [np.concatenate([np.full(m, math.log(le)), [math.log(eta)]])
              for le in (0.5, 1.0, 2.0, 5.0) for eta in (0.01, 0.1, 1.0, 10.0)]
    vals = []
    for i, t in enumerate(starts):
        if i % 4 == 0:  # one correlation matrix per length scale, shared by 4 noise ratios
            c = _sqexp(xs, xs, np.exp(t[:m]))
        vals.append(_gp_nll(t, xs, hs, y, grad=False, c=c)[0])
    theta0 = starts[int(np.argmin(vals))]
    bounds = [_LOG_ELL] * m + [_LOG_ETA]
    # the objective is per draw: ftol x the number of draws is in log-likelihood units
    res = optimize.minimize(_gp_nll, theta0, args=(xs, hs, y), jac=True, method="L-BFGS-B",
                            bounds=bounds, options={"ftol": _GP_FTOL, "maxiter": 200})
    theta = res.x if np.isfinite(res.fun) and res.fun <= min(vals) else theta0
    return np.exp(theta[:m]), float(np.exp(theta[m]))


def _gp_fit(x: np.ndarray, y: np.ndarray, points: int, inducing: int,
            rng: np.random.Generator, name: str | None) -> _Fit:
    x = x[:, np.ptp(x, axis=0) > 0]
    n, m = x.shape
    xs = (x - x.mean(axis=0)) / x.std(axis=0)
    h = np.column_stack([np.ones(n), xs])
    if m > 1:
        h = h[:, _independent_columns(h)]
    if n <= max(2 * h.shape[1], 20):
        raise InputError(f"EVPPI by Gaussian-process regression on {m} parameters needs more "
                         f"than {max(2 * h.shape[1], 20)} draws, got {n}", parameter=name)
    qh = _orthonormal(h)[0]
    sub = np.sort(rng.choice(n, size=min(n, points), replace=False))
    ind = np.unique(xs[sub[:min(sub.size, inducing)]], axis=0)
    g = np.empty_like(y)
    ws, scales, edfs = [], [], []
    for j in range(y.shape[1]):
        yj = y[:, j:j + 1]
        sd = float(yj.std())
        ys = (yj[:, 0] - yj.mean()) / (sd if sd > 0 else 1.0)
        lin = ys[sub] - h[sub] @ np.linalg.lstsq(h[sub], ys[sub], rcond=None)[0]
        if float(lin @ lin) <= 1e-12 * sub.size:
            # the linear mean alone fits the subsample exactly: no smooth part to estimate
            w, d = qh, np.zeros(qh.shape[1])
        else:
            ell, _ = _gp_hyper(xs[sub], h[sub], ys[sub])
            # subset of regressors: f = k(x, Z) a with penalty a'K_zz a; K_zz = L L' and
            # v = L'a turn it into a ridge penalty |v|^2 on the basis k(x, Z) L^-T
            czz = _sqexp(ind, ind, ell) + 1e-8 * np.eye(ind.shape[0])
            low = linalg.cholesky(czz, lower=True)
            # the (q, n) arrays are kept as rows (transposed), each product then runs on
            # contiguous memory: kbt = L^-1 k(Z, x), solved in place
            kbt = linalg.solve_triangular(low, _sqexp(xs, ind, ell).T, lower=True,
                                          overwrite_b=True, check_finite=False)
            # the linear mean is unpenalised, so the ridge acts on the kernel basis with the
            # linear part projected out: kt = U diag(s) V' gives directions U, penalty 1/s^2
            # kbt -= (kbt qh) qh' in place (one BLAS call; kbt is Fortran-ordered)
            kbt = blas.dgemm(-1.0, kbt @ qh, qh, beta=1.0, c=kbt, trans_b=1, overwrite_c=1)
            s2, v = np.linalg.eigh(kbt @ kbt.T)
            ok = s2 > s2.max() * 1e-10
            # W = [qh, u] with u = kt V diag(1/s), kept in factors
            w = _KernelBasis(qh, kbt, v[:, ok] / np.sqrt(s2[ok]))
            d = np.concatenate([np.zeros(qh.shape[1]), 1 / s2[ok]])
        gj, hj, edf, sigma = _gcv(w, d, yj)
        g[:, j] = gj[:, 0]
        ws.append(w)
        scales.append(sigma[0] * hj[0])
        edfs.append(edf[0])
    return _Fit(g, ws, scales, np.array(edfs), shared=False)


def _psd_sqrt(a: np.ndarray) -> np.ndarray:
    lam, vec = np.linalg.eigh(a)
    return vec * np.sqrt(np.clip(lam, 0, None))


def _evppi_draws(g: np.ndarray) -> np.ndarray:
    """EVPPI of fitted INB draws g (n, draws, c): mean max - max mean, with the reference
    strategy's 0."""
    mx = np.maximum(g.max(axis=2), 0).mean(axis=0)
    return mx - np.maximum(g.mean(axis=0).max(axis=1), 0)


def _fit_loss(g: np.ndarray) -> float:
    full = np.column_stack([np.zeros(g.shape[0]), g])
    best = int(np.argmax(full.mean(axis=0)))
    return float((full.max(axis=1) - full[:, best]).mean())


# ------------------------------------------------------------------------------- EVPPI
def _one_blas_thread() -> contextlib.AbstractContextManager[object]:
    """One BLAS thread while a smoother is fitted (``threadpoolctl``, a dependency of hecon;
    without it, e.g. in an environment that skipped it, nothing changes). The fits are many
    products of 500 x 500 and 10,000 x 300 matrices, which gain little from a second thread
    on an idle machine and lose 10x or more to OpenBLAS threads waiting for each other on a
    loaded one (the flagship's EVPPI table on 2 busy cores: 214 s with 2 BLAS threads, 20 s
    with one; benchmarks/bench_voi.py). The results are the same up to rounding. The BLAS
    libraries are looked up once per process (a lookup scans every loaded library: 5 ms, 80
    fits a set)."""
    global _BLAS_CONTROLLER
    try:
        import threadpoolctl
    except ImportError:
        return contextlib.nullcontext()
    if not hasattr(threadpoolctl, "ThreadpoolController"):  # threadpoolctl < 3.2
        return threadpoolctl.threadpool_limits(limits=1, user_api="blas")
    if _BLAS_CONTROLLER is None:
        _BLAS_CONTROLLER = threadpoolctl.ThreadpoolController()
    return _BLAS_CONTROLLER.limit(limits=1, user_api="blas")


_BLAS_CONTROLLER = None  # threadpoolctl's view of this process's BLAS libraries, once found


@dataclass
class EvppiResult:
    """EVPPI of one parameter or group per person, with its standard error and checks of the
    regression. ``r2``, ``edf`` and the columns of ``decile_residuals`` are per incremental
    net-benefit column (strategy j + 1 minus strategy 1)."""

    value: float
    se: float
    r2: np.ndarray
    method: str
    n: int
    edf: np.ndarray = field(default_factory=lambda: np.zeros(0))
    decile_residuals: np.ndarray = field(default_factory=lambda: np.zeros((10, 0)))
    max_decile_z: float = 0.0
    fitted: np.ndarray | None = field(default=None, repr=False)
    """The metamodel's fitted incremental net benefit E[INB | x] (n, k - 1)."""
    se_fit: float = float("nan")
    """Regression (fit) part of the SE, as ``se``; see :func:`evppi`."""


def _prepare(nb: np.ndarray, x: np.ndarray, method: str, knots: int, se_draws: int,
             gp_points: int, gp_inducing: int, name: str | None
             ) -> tuple[np.ndarray, np.ndarray, str]:
    """Checked net benefit (n, k), parameter draws (n, m) and the smoother to use (or
    "none (...)" when there is nothing to fit)."""
    a = _nb(nb)
    if method not in METHODS:
        raise InputError(f"unknown EVPPI method {method!r}; choose one of {METHODS}",
                         parameter="method")
    xa = np.asarray(x, dtype=float)
    if xa.ndim == 1:
        xa = xa[:, None]
    if xa.ndim != 2 or xa.shape[0] != a.shape[0] or xa.shape[1] < 1:
        raise InputError(f"parameter draws of shape {np.asarray(x).shape} do not match "
                         f"{a.shape[0]} net-benefit draws (need (n,) or (n, m))", parameter=name)
    if not np.isfinite(xa).all():
        bad = int(np.flatnonzero(~np.isfinite(xa).all(axis=1))[0])
        raise InputError(f"parameter draws are not finite (NaN or inf) in draw {bad}",
                         parameter=name)
    for v, label in ((knots, "knots"), (se_draws, "se_draws"), (gp_points, "gp_points"),
                     (gp_inducing, "gp_inducing")):
        if isinstance(v, bool) or not isinstance(v, Integral) or v < 0:
            raise InputError(f"must be a whole number >= 0, got {v!r}", parameter=label)
    if knots < 3 or gp_points < 10 or gp_inducing < 10:
        raise InputError("knots must be >= 3, gp_points and gp_inducing >= 10",
                         parameter="knots" if knots < 3 else "gp_points")
    k = a.shape[1]
    varying = int((np.ptp(xa, axis=0) > 0).sum())
    if k < 2 or varying == 0:
        return a, xa, "none (one strategy)" if k < 2 else "none (constant)"
    return a, xa, method if method != "auto" else ("spline" if varying == 1 else "gp")


def evppi(
    nb: np.ndarray,
    x: np.ndarray,
    method: str = "auto",
    *,
    knots: int = KNOTS,
    se_draws: int = SE_DRAWS,
    seed: int = 1,
    gp_points: int = GP_POINTS,
    gp_inducing: int = GP_INDUCING,
    name: str | None = None,
) -> EvppiResult:
    """EVPPI per person of the parameter ``x`` (n,) or group ``x`` (n, m) from net benefit
    draws ``nb`` (n, k), by regression of each strategy's incremental net benefit over the
    first strategy on x (see the module docstring). ``method``: ``"spline"`` (natural cubic
    regression spline, GCV penalty; additive + pairwise linear products for a group),
    ``"gp"`` (Gaussian process) or ``"auto"`` (spline for one parameter, GP for a group).
    The SE is closed form (delta method) by default; ``se_draws`` > 1 draws of the fitted
    values give it by simulation instead. ``seed`` fixes those draws and the GP subsample.
    ``name`` labels errors. A constant x or a single strategy gives 0
    without fitting."""
    a, xa, chosen = _prepare(nb, x, method, knots, se_draws, gp_points, gp_inducing, name)
    n, k = a.shape
    c = k - 1
    if chosen.startswith("none"):
        return EvppiResult(0.0, 0.0, np.zeros(c), chosen, n, np.zeros(c), np.zeros((10, c)), 0.0)
    y = a[:, 1:] - a[:, :1]
    rng = np.random.default_rng(seed)
    with _one_blas_thread():
        if chosen == "spline":
            fit = _spline_fit(xa, y, knots, name)
        else:
            fit = _gp_fit(xa, y, gp_points, gp_inducing, rng, name)
    g = fit.g
    value = _fit_loss(g)
    resid = y - g
    r2, dec, z = _fit_checks(y, g)
    if se_draws > 1:
        se = _se(fit, se_draws, rng, resid)
    else:
        se = _delta_se(fit, g, np.ones(c), np.arange(c), _resid_corr(resid))
    return EvppiResult(value, se, r2, chosen, n, fit.edf, dec, float(z), g, se)


def _fit_checks(y: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """r2 per column, mean residual per decile of the fitted values (10, c) and the largest
    decile z-score (see the module docstring)."""
    c = y.shape[1]
    resid = y - g
    tss = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    rss = (resid**2).sum(axis=0)
    r2 = np.where(tss > 0, 1 - rss / np.where(tss > 0, tss, 1.0), np.nan)
    # lack-of-fit check: mean residual within deciles of the fitted values
    dec = np.zeros((10, c))
    z = 0.0
    sd = resid.std(axis=0)
    for j in range(c):
        order = np.argsort(g[:, j], kind="stable")
        for i, part in enumerate(np.array_split(order, 10)):
            if part.size:
                dec[i, j] = resid[part, j].mean()
                if sd[j] > 0:
                    z = max(z, abs(dec[i, j]) / (sd[j] / math.sqrt(part.size)))
    return r2, dec, float(z)


def evppi_wtp(
    costs: np.ndarray,
    effects: np.ndarray,
    x: np.ndarray,
    wtp: Sequence[float] | np.ndarray,
    method: str = "auto",
    *,
    knots: int = KNOTS,
    seed: int = 1,
    gp_points: int = GP_POINTS,
    gp_inducing: int = GP_INDUCING,
    name: str | None = None,
) -> pd.DataFrame:
    """EVPPI per person of ``x`` (n,) or (n, m) at every willingness to pay in one call.

    Net benefit is linear in the WTP, INB_j(w) = w dE_j - dC_j, so the incremental costs and
    effects over the first strategy are each regressed on x once (2 (k - 1) fits, by the
    smoother of :func:`evppi`) and the fitted INB at each w is w g_E - g_C. Each WTP then
    costs only the loss, the fit checks and the closed-form (delta-method) SE, which uses the
    residual correlation of the cost and effect fits. ``costs``, ``effects`` (n, k).
    Columns: wtp, evppi, se, r2 (mean over INB columns), max_decile_z, method."""
    c_, e_ = np.asarray(costs, dtype=float), np.asarray(effects, dtype=float)
    if c_.ndim != 2 or c_.shape != e_.shape:
        raise InputError(f"costs {c_.shape} and effects {e_.shape} must both be "
                         f"(draws, strategies) arrays of the same shape", parameter="costs")
    _nb(c_)
    _nb(e_)
    w = np.atleast_1d(np.asarray(wtp, dtype=float))
    if w.ndim != 1 or w.size == 0 or not np.isfinite(w).all():
        raise InputError("willingness-to-pay values must be a non-empty list of finite numbers",
                         parameter="wtp")
    n, k = c_.shape
    cols = ["wtp", "evppi", "se", "r2", "max_decile_z", "method"]
    # the checks of evppi (net benefit at the first WTP stands for the shape checks)
    _, xa, chosen = _prepare(w[0] * e_ - c_, x, method, knots, 0, gp_points, gp_inducing, name)
    if chosen.startswith("none"):
        return pd.DataFrame({"wtp": w, "evppi": 0.0, "se": 0.0, "r2": np.nan,
                             "max_decile_z": 0.0, "method": chosen}, columns=cols)
    c = k - 1
    dc, de = c_[:, 1:] - c_[:, :1], e_[:, 1:] - e_[:, :1]
    y = np.column_stack([de, dc])
    rng = np.random.default_rng(seed)
    with _one_blas_thread():
        fit = (_spline_fit(xa, y, knots, name) if chosen == "spline"
               else _gp_fit(xa, y, gp_points, gp_inducing, rng, name))
    corr = _resid_corr(y - fit.g)
    cols_of = np.concatenate([np.arange(c), np.arange(c)])
    rows = []
    for wv in w:
        g = wv * fit.g[:, :c] - fit.g[:, c:]
        yw = wv * de - dc
        r2, _, z = _fit_checks(yw, g)
        coefs = np.concatenate([np.full(c, wv), np.full(c, -1.0)])
        r2f = r2[np.isfinite(r2)]
        rows.append({"wtp": float(wv), "evppi": _fit_loss(g),
                     "se": _delta_se(fit, g, coefs, cols_of, corr),
                     "r2": float(r2f.mean()) if r2f.size else float("nan"),
                     "max_decile_z": z, "method": chosen})
    return pd.DataFrame(rows, columns=cols)


def _resid_corr(resid: np.ndarray) -> np.ndarray:
    """Correlation matrix of the residual columns (0 off the diagonal for a constant one)."""
    c = resid.shape[1]
    corr = np.eye(c)
    ok = resid.std(axis=0) > 0
    if ok.sum() > 1:
        corr[np.ix_(ok, ok)] = np.corrcoef(resid[:, ok], rowvar=False)
    return corr


def _loss_gradient(g: np.ndarray) -> np.ndarray:
    """d EVPPI / d g (n, c) of mean_i max(0, g_i.) - max(0, mean g): a_ij =
    (1[best of draw i is j] - 1[best on average is j]) / n, the reference strategy's g 0."""
    n, c = g.shape
    full = np.column_stack([np.zeros(n), g])
    best = full.argmax(axis=1)
    star = int(np.argmax(full.mean(axis=0)))
    a = (best[:, None] == np.arange(1, c + 1)[None, :]).astype(float)
    if star > 0:
        a[:, star - 1] -= 1.0
    return a / n


def _delta_se(fit: _Fit, g: np.ndarray, coefs: np.ndarray, cols: np.ndarray,
              corr: np.ndarray) -> float:
    """Delta-method SE of the EVPPI of fitted values g (n, c) = sum_p coefs_p fit.g[:, p]
    placed in column cols_p; corr (P, P) the residual correlation of the fitted columns."""
    a = _loss_gradient(g)
    v = []
    for p in range(fit.g.shape[1]):
        w = fit.ws[0] if fit.shared else fit.ws[p]
        v.append(w @ (fit.scales[p] * (w.T @ (coefs[p] * a[:, cols[p]]))))
    vm = np.column_stack(v)  # (n, P): sigma_p S_p' a_p
    var = float(np.sum(corr * (vm.T @ vm)))
    return math.sqrt(max(var, 0.0))


def _se(fit: _Fit, draws: int, rng: np.random.Generator, resid: np.ndarray) -> float:
    """SD of EVPPI over draws of the fitted values from N(g, sigma^2 S S')."""
    n, c = fit.g.shape
    mix = None
    if fit.shared and c > 1:
        # one basis for all columns: the coefficient errors of the columns are correlated as
        # their residuals are
        sd = resid.std(axis=0)
        ok = sd > 0
        corr = np.eye(c)
        if ok.sum() > 1:
            corr[np.ix_(ok, ok)] = np.corrcoef(resid[:, ok], rowvar=False)
        mix = _psd_sqrt(corr)
    vals = []
    chunk = max(1, min(draws, _DRAW_CHUNK // (n * c)))
    for start in range(0, draws, chunk):
        k = min(chunk, draws - start)
        gd = np.empty((n, k, c))
        if fit.shared:
            e = rng.standard_normal((c, fit.ws[0].shape[1], k))
            if mix is not None:
                e = np.einsum("jl,lrk->jrk", mix, e)
        for j in range(c):
            w = fit.ws[0] if fit.shared else fit.ws[j]
            ej = e[j] if fit.shared else rng.standard_normal((w.shape[1], k))
            gd[:, :, j] = fit.g[:, j:j + 1] + w @ (fit.scales[j][:, None] * ej)
        vals.append(_evppi_draws(gd))
    return float(np.concatenate(vals).std(ddof=1))


def evppi_table(
    nb: np.ndarray,
    design_values: pd.DataFrame,
    parameters: Sequence[str] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    method: str = "auto",
    *,
    knots: int = KNOTS,
    se_draws: int = SE_DRAWS,
    seed: int = 1,
    include_evpi: bool = True,
    on_fit: Callable[[], None] | None = None,
    backend: str = "inprocess",
    workers: int | None = None,
) -> pd.DataFrame:
    """EVPPI per person of each parameter (columns of ``design_values``, the PSA draws in the
    same row order as ``nb``; default all columns) and of each named group, by :func:`evppi`.
    Columns: parameter, evppi, se, r2 (mean over the incremental net-benefit columns), method,
    kind (parameter/group/evpi), edf (mean), max_decile_z. Parameters that do not vary get
    EVPPI 0 without fitting (method "none (constant)"). With ``include_evpi`` a last row gives
    the EVPI (kind "evpi") for reference. ``on_fit()`` is called after each parameter's or
    group's fit (e.g. to move a progress bar). ``backend`` and ``workers``: where the fits
    run, as in :func:`evppi_tables` (the table is the same whatever the backend)."""
    return evppi_tables([nb], design_values, parameters, groups, method, knots=knots,
                        se_draws=se_draws, seed=seed, include_evpi=include_evpi,
                        on_fit=on_fit, backend=backend, workers=workers)[0]


#: ``backend="auto"`` fits on the shared process pool from this many draws on (and with at
#: least 2 CPUs and 2 fits): the threshold from which the ``auto`` backend evaluates a design
#: on the pool (:data:`hecon.parallel.AUTO_MIN_ROWS`), so the PSA whose draws are analysed
#: has started the pool already; a smaller run does not start one (seconds) for its fits
AUTO_MIN_DRAWS = 4_000


def fits_backend(backend: str, draws: int, fits: int, workers: int | None = None) -> str:
    """Where :func:`evppi_tables` runs its fits: ``"processes"`` (the shared process pool of
    :mod:`hecon.parallel`) when asked for, or for ``"auto"`` with at least
    :data:`AUTO_MIN_DRAWS` draws, 2 fits and 2 workers (default: the CPUs); otherwise
    ``"inprocess"`` (also for ``"dask"``: the fits are too small to ship to a cluster)."""
    import os

    if backend == "processes":
        return "processes"
    n = int(workers or os.cpu_count() or 1)
    if backend == "auto" and n >= 2 and draws >= AUTO_MIN_DRAWS and fits >= 2:
        return "processes"
    return "inprocess"


def _evppi_row(a: np.ndarray, x: np.ndarray, method: str, knots: int, se_draws: int,
               seed: int, name: str) -> dict[str, object]:
    """One row of an EVPPI table but its label and kind: :func:`evppi` of ``x``
    (module level, so a process pool can run it)."""
    r = evppi(a, x, method, knots=knots, se_draws=se_draws, seed=seed, name=name)
    r2 = r.r2[np.isfinite(r.r2)]
    return {"evppi": r.value, "se": r.se,
            "r2": float(r2.mean()) if r2.size else float("nan"), "method": r.method,
            "edf": float(r.edf.mean()) if r.edf.size else 0.0,
            "max_decile_z": r.max_decile_z}


def evppi_tables(
    nbs: Sequence[np.ndarray],
    design_values: pd.DataFrame,
    parameters: Sequence[str] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    method: str = "auto",
    *,
    knots: int = KNOTS,
    se_draws: int = SE_DRAWS,
    seed: int = 1,
    include_evpi: bool = True,
    on_fit: Callable[[], None] | None = None,
    backend: str = "inprocess",
    workers: int | None = None,
) -> list[pd.DataFrame]:
    """:func:`evppi_table` of each net-benefit array in ``nbs`` (e.g. one per willingness to
    pay) on the same parameter draws, with every fit of every table independent of the
    others: ``backend="processes"`` runs them on the shared process pool of
    :func:`hecon.parallel.shared_pool` (``workers`` processes, default the CPUs), the group
    fits (Gaussian processes, the longest) started first; ``"auto"`` does so when it pays
    (:func:`fits_backend`); ``"inprocess"`` (default) runs them here one after another. Each
    fit runs the same code on the same draws with one BLAS thread, so the tables are the same
    whatever the backend. ``on_fit()`` is called here after each fit, as fits finish."""
    arrays = [_nb(nb) for nb in nbs]
    if not isinstance(design_values, pd.DataFrame):
        raise InputError("design values must be a DataFrame with one column per parameter",
                         parameter="design_values")
    for a in arrays:
        if len(design_values) != a.shape[0]:
            raise InputError(f"{len(design_values)} rows of parameter draws for {a.shape[0]} "
                             f"net-benefit draws", parameter="design_values")
    names = list(design_values.columns if parameters is None else parameters)
    group_items = [(g, list(members)) for g, members in (groups or {}).items()]
    for label, members in [(p, [p]) for p in names] + group_items:
        if not members:
            raise InputError("the group has no members", parameter=str(label))
        for p in members:
            if p not in design_values.columns:
                raise InputError("no draws for this parameter in the design values",
                                 parameter=str(p))
            if not pd.api.types.is_numeric_dtype(design_values[p]):
                raise InputError("parameter draws must be numeric", parameter=str(p))

    items = ([(p, "parameter", design_values[p].to_numpy(dtype=float)) for p in names]
             + [(g, "group", design_values[members].to_numpy(dtype=float))
                for g, members in group_items])
    tasks = [(a, x, method, knots, se_draws, seed, str(label))
             for a in arrays for label, _, x in items]
    first = [i for i, t in enumerate(tasks) if t[1].ndim == 2 and t[1].shape[1] > 1]
    from hecon.parallel import map_tasks

    rows = map_tasks(_evppi_row, tasks, first=first,
                     backend=fits_backend(backend, len(design_values), len(tasks), workers),
                     workers=workers, on_done=None if on_fit is None else lambda i: on_fit())
    out = []
    for t, a in enumerate(arrays):
        part = rows[t * len(items):(t + 1) * len(items)]
        table = [{"parameter": label, "kind": kind, **r}
                 for (label, kind, _), r in zip(items, part, strict=True)]
        if include_evpi:
            table.append({"parameter": "all parameters (EVPI)", "evppi": evpi(a),
                          "se": evpi_se(a), "r2": float("nan"), "method": "Monte Carlo",
                          "kind": "evpi", "edf": float("nan"), "max_decile_z": float("nan")})
        out.append(pd.DataFrame(table, columns=["parameter", "evppi", "se", "r2", "method",
                                                "kind", "edf", "max_decile_z"]))
    return out
