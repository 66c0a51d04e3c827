"""Maximum-likelihood fitting of parametric families to right-censored data.

Optimisation is on the estimation scale (log for positive parameters, as flexsurv), from several
data-driven starting values, with BFGS polished after Nelder-Mead where needed. The
variance-covariance matrix is the inverse of a central-difference Hessian of the negative
log-likelihood on that scale, and PSA draws are multivariate normal on that scale.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from hecon.errors import InputError
from hecon.survival._utils import ArrayLike
from hecon.survival.families import FAMILIES, Distribution, get_family
from hecon.survival.km import check_survival_data, kaplan_meier


def log_likelihood(dist: Distribution, times: np.ndarray, events: np.ndarray) -> np.ndarray:
    """Right-censored log-likelihood sum(d log f(t) + (1 - d) log S(t)), one value per sample (n,).

    Observations censored at t = 0 contribute 0.
    """
    t, e = times, events
    ll = np.zeros(dist.n)
    ev = e == 1
    if np.any(ev):
        ll = ll + dist.logpdf(t[ev]).sum(axis=1)
    cens = (~ev) & (t > 0)
    if np.any(cens):
        ll = ll + dist.logsf(t[cens]).sum(axis=1)
    return ll


def numerical_hessian(f: Callable[[np.ndarray], float], x: np.ndarray,
                      rel_step: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of a scalar function, steps rel_step * max(1, |x_i|)."""
    x = np.asarray(x, dtype=float)
    k = x.size
    h = rel_step * np.maximum(1.0, np.abs(x))
    hess = np.empty((k, k))
    f0 = f(x)
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h[i]
        hess[i, i] = (f(x + ei) - 2 * f0 + f(x - ei)) / h[i] ** 2
        for j in range(i):
            ej = np.zeros(k)
            ej[j] = h[j]
            val = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (
                4 * h[i] * h[j]
            )
            hess[i, j] = hess[j, i] = val
    return hess


@dataclass
class FitResult:
    """A fitted family: estimation-scale coefficients, their covariance and fit statistics."""

    family: str
    coef: np.ndarray
    vcov: np.ndarray
    loglik: float
    n_obs: int
    n_events: int
    converged: bool
    message: str = ""
    parameters: tuple[str, ...] = field(default=())

    @property
    def cls(self) -> type[Distribution]:
        """The family class."""
        return get_family(self.family)

    @property
    def distribution(self) -> Distribution:
        """The maximum-likelihood curve (one sample)."""
        return self.cls.from_coef(self.coef)

    @property
    def n_par(self) -> int:
        """Number of estimated parameters."""
        return int(self.coef.size)

    @property
    def aic(self) -> float:
        """Akaike information criterion, -2 loglik + 2 k."""
        return -2 * self.loglik + 2 * self.n_par

    @property
    def bic(self) -> float:
        """Bayesian information criterion, -2 loglik + k log(number of observations)."""
        return -2 * self.loglik + self.n_par * math.log(self.n_obs)

    @property
    def se(self) -> np.ndarray:
        """Standard errors on the estimation scale."""
        return np.sqrt(np.diag(self.vcov))

    def draw(self, n: int, rng: np.random.Generator | int | None = None) -> Distribution:
        """n multivariate-normal draws of the coefficients (estimation scale), as a family
        whose parameters are arrays of shape (n,): e.g. `fit.draw(1000, rng).shape`."""
        if not np.all(np.isfinite(self.vcov)):
            raise InputError(f"{self.family} fit has no usable covariance matrix: {self.message}")
        gen = np.random.default_rng(rng)
        c = gen.multivariate_normal(self.coef, self.vcov, size=int(n), method="cholesky")
        return self.cls.from_coef(c)

    def summary(self) -> pd.DataFrame:
        """Natural-scale estimates with 95% intervals (transformed from the estimation scale)."""
        cls = self.cls
        rows = []
        for i, (name, pos) in enumerate(zip(cls.parameters, cls.positive, strict=True)):
            c, s = self.coef[i], self.se[i]
            lo, hi = c - 1.959964 * s, c + 1.959964 * s
            f = np.exp if pos else (lambda v: v)
            rows.append({"parameter": name, "estimate": float(f(c)), "lower_95": float(f(lo)),
                         "upper_95": float(f(hi)), "coef": float(c), "se_coef": float(s),
                         "scale": "log" if pos else "identity"})
        return pd.DataFrame(rows)


def _starts(family: str, t: np.ndarray, e: np.ndarray) -> list[np.ndarray]:
    """Data-driven starting values on the estimation scale."""
    d = max(int(e.sum()), 1)
    total = max(float(t.sum()), 1e-12)
    rate = d / total
    tev = t[(e == 1) & (t > 0)]
    logs = np.log(tev) if tev.size >= 2 else np.log(t[t > 0] if np.any(t > 0) else [1.0])
    m = float(np.mean(logs))
    sd = float(np.std(logs)) if logs.size > 1 and np.std(logs) > 0 else 1.0
    km = kaplan_meier(t, e)
    med = km.median()
    med = med if np.isfinite(med) and med > 0 else math.log(2) / rate
    pos = t[t > 0] if np.any(t > 0) else np.array([1.0])

    def weib_scale(shape: float) -> float:  # profile MLE of scale given shape
        return float((np.sum(pos**shape) / d) ** (1 / shape))

    if family == "exponential":
        return [np.array([math.log(rate)])]
    if family == "weibull":
        shapes = [1.0, float(np.clip(np.pi / (math.sqrt(6) * sd), 0.1, 10))]
        return [np.array([math.log(a), math.log(weib_scale(a))]) for a in shapes]
    if family == "gompertz":
        starts = []
        for b in (0.0, 0.5 / med, -0.5 / med, 1.0 / med):
            denom = float(np.sum(t * (np.expm1(b * t) / b if b != 0 else 1.0)))
            starts.append(np.array([b, math.log(d / max(denom, 1e-12))]))
        return starts
    if family == "loglogistic":
        shape = float(np.clip(np.pi / (math.sqrt(3) * sd), 0.1, 10))
        return [np.array([math.log(shape), math.log(med)]), np.array([0.0, m])]
    if family == "lognormal":
        return [np.array([m, math.log(sd)]), np.array([math.log(med), math.log(sd)])]
    if family == "gengamma":
        ln = fit_parametric(t, e, "lognormal").coef
        wb = fit_parametric(t, e, "weibull").coef
        return [np.array([ln[0], ln[1], 0.0]),
                np.array([wb[1], -wb[0], 1.0]),
                np.array([ln[0], ln[1], -0.5])]
    raise InputError(f"no starting values for family '{family}'")


def _minimise(nll: Callable[[np.ndarray], float], x0: np.ndarray) -> optimize.OptimizeResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = optimize.minimize(nll, x0, method="BFGS", options={"gtol": 1e-6, "maxiter": 2000})
        if not res.success or not np.isfinite(res.fun):
            nm = optimize.minimize(nll, x0, method="Nelder-Mead",
                                   options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 20000,
                                            "maxfev": 20000})
            res = optimize.minimize(nll, nm.x, method="BFGS",
                                    options={"gtol": 1e-6, "maxiter": 2000})
            if not np.isfinite(res.fun) or res.fun > nm.fun:
                res = nm
    return res


def fit_parametric(times: ArrayLike, events: ArrayLike, family: str) -> FitResult:
    """Maximum-likelihood fit of one family to right-censored data.

    times: follow-up times (>= 0); events: 1 = event, 0 = censored. Events at time 0 are not
    allowed (their density is undefined for most families).
    """
    t, e = check_survival_data(times, events)
    cls = get_family(family)
    if np.any((e == 1) & (t <= 0)):
        raise InputError("events at time 0 cannot be fitted: shift them (e.g. to half a day)",
                         parameter="times")
    if e.sum() == 0:
        raise InputError("no events: parametric curves cannot be fitted", parameter="events")
    n = t.size

    def nll(c: np.ndarray) -> float:
        if not np.all(np.isfinite(c)) or np.any(np.abs(c) > 700):
            return np.inf
        with np.errstate(all="ignore"):
            val = -float(log_likelihood(cls.from_coef(c), t, e)[0])
        return val if np.isfinite(val) else np.inf

    def scaled(c: np.ndarray) -> float:
        return nll(c) / n

    best = None
    for x0 in _starts(cls.name, t, e):
        if not np.isfinite(scaled(x0)):
            continue
        res = _minimise(scaled, x0)
        if best is None or res.fun < best.fun:
            best = res
    if best is None:
        raise InputError(f"{cls.name}: no starting value gives a finite likelihood")
    coef = np.asarray(best.x, dtype=float)
    with np.errstate(all="ignore"):
        hess = numerical_hessian(nll, coef)
    message = str(getattr(best, "message", ""))
    converged = bool(np.isfinite(best.fun))
    try:
        eig = np.linalg.eigvalsh(hess)
        if not np.all(np.isfinite(hess)) or eig.min() <= 0:
            raise np.linalg.LinAlgError("Hessian not positive definite")
        vcov = np.linalg.inv(hess)
        vcov = (vcov + vcov.T) / 2
    except np.linalg.LinAlgError as err:
        vcov = np.full((coef.size, coef.size), np.nan)
        converged = False
        message = f"{message}; {err} (maximum may lie on a boundary)"
    grad = optimize.approx_fprime(coef, scaled, 1e-7)
    if np.max(np.abs(grad)) > 1e-3:
        converged = False
        message = f"{message}; gradient not ~0 at the optimum (max {np.max(np.abs(grad)):.2g})"
    return FitResult(cls.name, coef, vcov, -nll(coef), n, int(e.sum()), converged, message,
                     cls.parameters)


def fit_all(times: ArrayLike, events: ArrayLike,
            families: Iterable[str] = tuple(FAMILIES)) -> dict[str, FitResult]:
    """Fit several families (default: all six) to the same data; returns name -> FitResult."""
    return {get_family(f).name: fit_parametric(times, events, f) for f in families}


def fit_table(fits: dict[str, FitResult] | Iterable[FitResult]) -> pd.DataFrame:
    """AIC/BIC table sorted by AIC: family, n_par, loglik, aic, bic, delta_aic, delta_bic,
    converged, and the natural-scale parameter estimates as text."""
    items = list(fits.values()) if isinstance(fits, dict) else list(fits)
    rows = []
    for f in items:
        est = ", ".join(f"{k}={v:.4g}" for k, v in f.distribution.params.items()
                        for v in [float(v[0])])
        rows.append({"family": f.family, "n_par": f.n_par, "loglik": f.loglik, "aic": f.aic,
                     "bic": f.bic, "converged": f.converged, "parameters": est})
    table = pd.DataFrame(rows).sort_values(["aic", "bic"], kind="stable").reset_index(drop=True)
    table.insert(5, "delta_aic", table["aic"] - table["aic"].min())
    table.insert(6, "delta_bic", table["bic"] - table["bic"].min())
    return table
