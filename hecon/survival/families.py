"""Parametric survival families, vectorised over a leading sample axis.

Parameterisations follow R's flexsurv (and so R's d/p/q functions) so fitted coefficients can be
compared directly:

| class | flexsurv name | parameters | S(t) |
|---|---|---|---|
| `Exponential` | `exp` | rate > 0 | exp(-rate t) |
| `Weibull` | `weibull` | shape > 0, scale > 0 | exp(-(t/scale)^shape) |
| `Gompertz` | `gompertz` | shape (real), rate > 0 | exp(-(rate/shape)(e^(shape t) - 1)) |
| `LogLogistic` | `llogis` | shape > 0, scale > 0 | 1 / (1 + (t/scale)^shape) |
| `LogNormal` | `lnorm` | meanlog (real), sdlog > 0 | 1 - Phi((log t - meanlog)/sdlog) |
| `GenGamma` | `gengamma` | mu (real), sigma > 0, Q (real) | see `GenGamma` |

Each parameter is an array of shape (n,) (scalars allowed); times are (T,) or (n, T); every
method returns (n, T), or (n,) for means. Time units are whatever the data used (years in hecon).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from hecon.errors import InputError
from hecon.survival._utils import (
    ArrayLike,
    as_param,
    as_times,
    broadcast_params,
    column,
    finish,
    row_times,
)
from hecon.survival.curves import SurvivalCurve

_LOG_2PI = math.log(2 * math.pi)


def _expm1_over(x: np.ndarray) -> np.ndarray:
    """expm1(x)/x with the limit 1 at x = 0."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-8
    safe = np.where(small, 1.0, x)
    return np.where(small, 1.0 + x / 2, np.expm1(safe) / safe)


def _log1p_over(x: np.ndarray) -> np.ndarray:
    """log1p(x)/x with the limit 1 at x = 0 (x > -1)."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-8
    safe = np.where(small, 1.0, x)
    return np.where(small, 1.0 - x / 2, np.log1p(safe) / safe)


def _stirling_corr(g: np.ndarray) -> np.ndarray:
    """lgamma(g) - [(g - 1/2) log g - g + log(2 pi)/2], accurate for all g > 0 (0 at g = inf)."""
    g = np.asarray(g, dtype=float)
    big = g >= 30
    gb = np.where(big, g, 30.0)
    series = 1 / (12 * gb) - 1 / (360 * gb**3) + 1 / (1260 * gb**5) - 1 / (1680 * gb**7)
    gs = np.where(big, 1.0, g)
    direct = special.gammaln(gs) - ((gs - 0.5) * np.log(gs) - gs + 0.5 * _LOG_2PI)
    return np.where(big, series, direct)


def _scaled_exp1(z: np.ndarray) -> np.ndarray:
    """exp(z) * E1(z) for z > 0 without overflow."""
    z = np.asarray(z, dtype=float)
    big = z > 50
    zs = np.where(big, 1.0, z)
    direct = np.exp(zs) * special.exp1(zs)
    zb = np.where(big, z, 100.0)
    term = 1 / zb
    total = term.copy()
    for k in range(1, 20):
        term = -term * k / zb
        total = total + term
    return np.where(big, total, direct)


class Distribution(SurvivalCurve):
    """Base class of the parametric families.

    Subclasses set `name`, `parameters` (names, in flexsurv order) and `positive` (which are
    constrained > 0, hence log-transformed on the estimation scale) and implement `_logpdf`,
    `_logsf`, `_quantile` and `mean`. Parameters are attributes, e.g. `Weibull(...).shape`.
    """

    name: str = ""
    parameters: tuple[str, ...] = ()
    positive: tuple[bool, ...] = ()
    supports_sample_times = True

    def __init__(self, **params: ArrayLike) -> None:
        missing = set(self.parameters) - set(params)
        extra = set(params) - set(self.parameters)
        if missing or extra:
            raise InputError(
                f"{type(self).__name__} takes parameters {', '.join(self.parameters)}"
                f" (missing: {sorted(missing)}, unknown: {sorted(extra)})"
            )
        checked = {
            k: as_param(params[k], k, positive=pos)
            for k, pos in zip(self.parameters, self.positive, strict=True)
        }
        self._params = broadcast_params(**checked)
        for k, v in self._params.items():
            setattr(self, k, v)

    # --- parameters -------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return next(iter(self._params.values())).size

    @property
    def params(self) -> dict[str, np.ndarray]:
        """Natural-scale parameters, each of shape (n,)."""
        return {k: v.copy() for k, v in self._params.items()}

    def coef(self) -> np.ndarray:
        """Parameters on the estimation scale (log for positive ones), shape (n, k)."""
        cols = [
            np.log(self._params[k]) if pos else self._params[k]
            for k, pos in zip(self.parameters, self.positive, strict=True)
        ]
        return np.column_stack(cols)

    @classmethod
    def from_coef(cls, coef: ArrayLike) -> Distribution:
        """Build from estimation-scale coefficients, shape (k,) or (n, k)."""
        c = np.atleast_2d(np.asarray(coef, dtype=float))
        if c.shape[1] != len(cls.parameters):
            raise InputError(f"{cls.__name__} needs {len(cls.parameters)} coefficients, "
                             f"got {c.shape[1]}")
        values = {
            k: np.exp(c[:, i]) if pos else c[:, i]
            for i, (k, pos) in enumerate(zip(cls.parameters, cls.positive, strict=True))
        }
        return cls(**values)

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{k}={v[0]:.4g}" if v.size == 1 else f"{k}=<{v.size} samples>"
            for k, v in self._params.items()
        )
        return f"{type(self).__name__}({shown})"

    def _col(self, name: str) -> np.ndarray:
        return column(self._params[name])

    # --- to implement ------------------------------------------------------------------------
    def _logpdf(self, t: np.ndarray) -> np.ndarray:  # t: (1, T) or (n, T), t > 0
        raise NotImplementedError

    def _logsf(self, t: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _quantile(self, p: np.ndarray) -> np.ndarray:  # p: (1, T) or (n, T)
        raise NotImplementedError

    def _hazard_at_zero(self) -> np.ndarray:
        """h(0) as a column (n, 1); default 0."""
        return np.zeros((self.n, 1))

    def mean(self) -> np.ndarray:
        """Mean survival time (inf where it does not exist), shape (n,)."""
        raise NotImplementedError

    # --- public evaluation -------------------------------------------------------------------
    def _eval(self, t: ArrayLike, fn, at_zero) -> np.ndarray:
        tt = row_times(as_times(t, allow_2d=True))
        pos = tt > 0
        safe = np.where(pos, tt, 1.0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = np.where(pos, fn(safe), at_zero)
        return finish(out, self.n, tt)

    def logpdf(self, t: ArrayLike) -> np.ndarray:
        """log density, shape (n, T) (-inf or +inf at t = 0 where the density is 0 or infinite)."""
        def at0():
            with np.errstate(divide="ignore"):
                return np.log(self._hazard_at_zero())
        return self._eval(t, self._logpdf, at0())

    def pdf(self, t: ArrayLike) -> np.ndarray:
        """Density f(t), shape (n, T)."""
        return np.exp(self.logpdf(t))

    def logsf(self, t: ArrayLike) -> np.ndarray:
        """log S(t), shape (n, T)."""
        return self._eval(t, self._logsf, 0.0)

    def survival(self, t: ArrayLike) -> np.ndarray:
        """Survival S(t), shape (n, T)."""
        return np.exp(self.logsf(t))

    def cdf(self, t: ArrayLike) -> np.ndarray:
        """Distribution function F(t) = 1 - S(t), shape (n, T)."""
        return -np.expm1(self.logsf(t))

    def cumhaz(self, t: ArrayLike) -> np.ndarray:
        """Cumulative hazard H(t) = -log S(t), shape (n, T)."""
        return -self.logsf(t)

    def hazard(self, t: ArrayLike) -> np.ndarray:
        """Hazard h(t) = f(t)/S(t), shape (n, T)."""
        return self._eval(t, lambda s: np.exp(self._logpdf(s) - self._logsf(s)),
                          self._hazard_at_zero())

    def quantile(self, p: ArrayLike) -> np.ndarray:
        """Inverse distribution function: the time by which a share p has died, shape (n, T).

        Returns inf where S never falls to 1 - p (e.g. Gompertz with negative shape).
        """
        pp = row_times(np.atleast_1d(np.asarray(p, dtype=float)))
        if np.any((pp < 0) | (pp > 1)) or np.any(np.isnan(pp)):
            raise InputError("probabilities must lie in [0, 1]", parameter="p")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            q = self._quantile(pp)
        q = np.where(pp == 0, 0.0, q)
        return finish(q, self.n, pp)

    def sample(self, rng: np.random.Generator | int | None, size: int = 1) -> np.ndarray:
        """Random survival times by inversion: `size` draws per parameter sample, (n, size)."""
        gen = np.random.default_rng(rng)
        u = gen.random((self.n, int(size)))
        return self.quantile(u)


class Exponential(Distribution):
    """Exponential: h(t) = rate, S(t) = exp(-rate t), mean 1/rate (flexsurv `exp`)."""

    name = "exponential"
    parameters = ("rate",)
    positive = (True,)

    def __init__(self, rate: ArrayLike) -> None:
        super().__init__(rate=rate)

    def _logpdf(self, t):
        lam = self._col("rate")
        return np.log(lam) - lam * t

    def _logsf(self, t):
        return -self._col("rate") * t

    def _hazard_at_zero(self):
        return self._col("rate")

    def _quantile(self, p):
        return -np.log1p(-p) / self._col("rate")

    def mean(self) -> np.ndarray:
        return 1 / self._params["rate"]


class Weibull(Distribution):
    """Weibull (flexsurv `weibull`, R's dweibull): S(t) = exp(-(t/scale)^shape).

    h(t) = (shape/scale)(t/scale)^(shape-1); mean = scale * Gamma(1 + 1/shape).
    The PH form with rate lambda = scale^-shape is `weibullPH` in flexsurv.
    """

    name = "weibull"
    parameters = ("shape", "scale")
    positive = (True, True)

    def __init__(self, shape: ArrayLike, scale: ArrayLike) -> None:
        super().__init__(shape=shape, scale=scale)

    def _logpdf(self, t):
        a, b = self._col("shape"), self._col("scale")
        z = t / b
        return np.log(a / b) + (a - 1) * np.log(z) - z**a

    def _logsf(self, t):
        a, b = self._col("shape"), self._col("scale")
        return -((t / b) ** a)

    def hazard(self, t: ArrayLike) -> np.ndarray:
        tt = row_times(as_times(t, allow_2d=True))
        a, b = self._col("shape"), self._col("scale")
        with np.errstate(divide="ignore", invalid="ignore"):
            h = (a / b) * (tt / b) ** (a - 1)
        return finish(h, self.n, tt)

    def _hazard_at_zero(self):
        a, b = self._col("shape"), self._col("scale")
        return np.where(a < 1, np.inf, np.where(a == 1, 1 / b, 0.0))

    def _quantile(self, p):
        a, b = self._col("shape"), self._col("scale")
        return b * (-np.log1p(-p)) ** (1 / a)

    def mean(self) -> np.ndarray:
        return self._params["scale"] * special.gamma(1 + 1 / self._params["shape"])


class Gompertz(Distribution):
    """Gompertz (flexsurv `gompertz`): h(t) = rate * exp(shape t).

    H(t) = (rate/shape)(exp(shape t) - 1), the exponential when shape = 0. With shape < 0 the
    hazard falls to 0 and a share exp(rate/shape) never dies (the mean is then infinite).
    Mean for shape > 0: exp(rate/shape) E1(rate/shape) / shape.
    """

    name = "gompertz"
    parameters = ("shape", "rate")
    positive = (False, True)

    def __init__(self, shape: ArrayLike, rate: ArrayLike) -> None:
        super().__init__(shape=shape, rate=rate)

    def _H(self, t):
        b, a = self._col("shape"), self._col("rate")
        return a * t * _expm1_over(b * t)

    def _logpdf(self, t):
        b, a = self._col("shape"), self._col("rate")
        return np.log(a) + b * t - self._H(t)

    def _logsf(self, t):
        return -self._H(t)

    def _hazard_at_zero(self):
        return self._col("rate")

    def hazard(self, t: ArrayLike) -> np.ndarray:
        tt = row_times(as_times(t, allow_2d=True))
        return finish(self._col("rate") * np.exp(self._col("shape") * tt), self.n, tt)

    def _quantile(self, p):
        b, a = self._col("shape"), self._col("rate")
        c = -np.log1p(-p)  # target cumulative hazard
        x = b * c / a
        t = (c / a) * _log1p_over(np.where(x > -1, x, 0.0))
        return np.where(x > -1, t, np.inf)

    def mean(self) -> np.ndarray:
        b, a = self._params["shape"], self._params["rate"]
        pos = b > 0
        bs = np.where(pos, b, 1.0)
        m_pos = _scaled_exp1(a / bs) / bs
        return np.where(pos, m_pos, np.where(b == 0, 1 / a, np.inf))


class LogLogistic(Distribution):
    """Log-logistic (flexsurv `llogis`, scipy `fisk`): S(t) = 1 / (1 + (t/scale)^shape).

    scale is the median; mean = scale (pi/shape) / sin(pi/shape) for shape > 1, else inf.
    """

    name = "loglogistic"
    parameters = ("shape", "scale")
    positive = (True, True)

    def __init__(self, shape: ArrayLike, scale: ArrayLike) -> None:
        super().__init__(shape=shape, scale=scale)

    def _u(self, t):
        return self._col("shape") * np.log(t / self._col("scale"))

    def _logpdf(self, t):
        a, b = self._col("shape"), self._col("scale")
        return np.log(a / b) + (a - 1) * np.log(t / b) - 2 * np.logaddexp(0.0, self._u(t))

    def _logsf(self, t):
        return -np.logaddexp(0.0, self._u(t))

    def hazard(self, t: ArrayLike) -> np.ndarray:
        tt = row_times(as_times(t, allow_2d=True))
        a, b = self._col("shape"), self._col("scale")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            z = tt / b
            low = (a / b) * z ** (a - 1) / (1 + z**a)
            high = (a / np.where(tt > 0, tt, 1.0)) / (1 + z ** (-a))
            h = np.where(z <= 1, low, high)
        return finish(h, self.n, tt)

    def _hazard_at_zero(self):
        a, b = self._col("shape"), self._col("scale")
        return np.where(a < 1, np.inf, np.where(a == 1, 1 / b, 0.0))

    def _quantile(self, p):
        a, b = self._col("shape"), self._col("scale")
        return b * (p / (1 - p)) ** (1 / a)

    def mean(self) -> np.ndarray:
        a, b = self._params["shape"], self._params["scale"]
        ok = a > 1
        x = np.pi / np.where(ok, a, 2.0)
        return np.where(ok, b * x / np.sin(x), np.inf)


class LogNormal(Distribution):
    """Log-normal (flexsurv `lnorm`): log T ~ Normal(meanlog, sdlog).

    mean = exp(meanlog + sdlog^2 / 2); the hazard rises then falls.
    """

    name = "lognormal"
    parameters = ("meanlog", "sdlog")
    positive = (False, True)

    def __init__(self, meanlog: ArrayLike, sdlog: ArrayLike) -> None:
        super().__init__(meanlog=meanlog, sdlog=sdlog)

    def _w(self, t):
        return (np.log(t) - self._col("meanlog")) / self._col("sdlog")

    def _logpdf(self, t):
        w = self._w(t)
        return -0.5 * w**2 - 0.5 * _LOG_2PI - np.log(self._col("sdlog") * t)

    def _logsf(self, t):
        return special.log_ndtr(-self._w(t))

    def _quantile(self, p):
        return np.exp(self._col("meanlog") + self._col("sdlog") * special.ndtri(p))

    def mean(self) -> np.ndarray:
        return np.exp(self._params["meanlog"] + self._params["sdlog"] ** 2 / 2)


_Q_SMALL = 1e-5


class GenGamma(Distribution):
    """Generalised gamma, Prentice (1974) parameterisation (flexsurv `gengamma`).

    With w = (log t - mu)/sigma and gamma = Q^-2: for Q != 0, gamma * exp(Q w) ~ Gamma(gamma, 1),
    i.e. T = exp(mu) (X/gamma)^(sigma/Q) with X ~ Gamma(gamma, 1); so
    S(t) = 1 - P(gamma, gamma e^(Q w)) for Q > 0 and P(gamma, gamma e^(Q w)) for Q < 0 (P the
    regularised lower incomplete gamma function). Q = 0 is the log-normal(mu, sigma) limit,
    Q = 1 the Weibull (shape 1/sigma, scale e^mu), Q = sigma the gamma distribution.
    In scipy terms: `scipy.stats.gengamma(a=Q^-2, c=Q/sigma, scale=exp(mu) * Q^(2 sigma/Q))`.

    Numerics: the density is computed in a form that is exact and continuous through Q = 0;
    for 0 < |Q| < 1e-5 the survival function uses the first-order expansion about the
    log-normal, Phi(-w) - Q phi(w)(w^2 + 2)/6 (error O(Q^2)).
    The mean is finite for Q >= 0 and for Q < 0 with 1 + sigma Q > 0. Far in the tail, where
    S underflows to 0 (cumulative hazard > ~745), H is inf and the hazard NaN.
    """

    name = "gengamma"
    parameters = ("mu", "sigma", "Q")
    positive = (False, True, False)

    def __init__(self, mu: ArrayLike, sigma: ArrayLike, Q: ArrayLike) -> None:  # noqa: N803
        super().__init__(mu=mu, sigma=sigma, Q=Q)

    def _w(self, t):
        return (np.log(t) - self._col("mu")) / self._col("sigma")

    @staticmethod
    def _gamma(Q):  # noqa: N803
        with np.errstate(divide="ignore"):
            return 1 / Q**2

    def _logpdf(self, t):
        Q, s = self._col("Q"), self._col("sigma")  # noqa: N806
        w = self._w(t)
        x = Q * w
        small = np.abs(x) < 1e-3
        xs = np.where(small, x, 0.0)
        series = w**2 * (0.5 + xs / 6 + xs**2 / 24 + xs**3 / 120 + xs**4 / 720)
        Qb = np.where(small, 1.0, Q)  # noqa: N806
        xb = np.where(small, 1.0, x)
        exact = (np.expm1(xb) - xb) / Qb**2
        g_term = np.where(small, series, exact)
        const = -0.5 * _LOG_2PI - _stirling_corr(self._gamma(Q))
        return -np.log(s * t) + const - g_term

    def _logsf(self, t):
        w = self._w(t)
        Q = np.broadcast_to(self._col("Q"), w.shape)  # noqa: N806
        out = np.empty(w.shape)
        big = np.abs(Q) >= _Q_SMALL
        if np.any(big):  # exact: regularised incomplete gamma functions
            qb, wb = Q[big], w[big]
            g = 1 / qb**2
            qw = g * np.exp(qb * wb)
            out[big] = np.log(np.where(qb > 0, special.gammaincc(g, qw),
                                       special.gammainc(g, qw)))
        small = ~big
        if np.any(small):  # first-order expansion about the log-normal
            qs, ws = Q[small], w[small]
            log_tail = special.log_ndtr(-ws)
            mills = np.exp(-0.5 * ws**2 - 0.5 * _LOG_2PI - log_tail)
            corr = qs * (ws**2 + 2) / 6 * mills
            out[small] = log_tail + np.log1p(-np.minimum(corr, 1.0))
        return out

    def _hazard_at_zero(self):
        Q, s, mu = self._col("Q"), self._col("sigma"), self._col("mu")  # noqa: N806
        qs = Q * s
        Qp = np.where(qs == 1, Q, 1.0)  # noqa: N806  (only qs == 1 needs the density at 0)
        g = 1 / Qp**2
        with np.errstate(over="ignore", invalid="ignore"):
            log_scale = mu - (s / Qp) * np.log(g)
            at_one = np.exp(np.log(Qp / s) - log_scale - special.gammaln(g))
        return np.where(Q <= 0, 0.0, np.where(qs > 1, np.inf, np.where(qs == 1, at_one, 0.0)))

    def _quantile(self, p):
        Q, s, mu = self._col("Q"), self._col("sigma"), self._col("mu")  # noqa: N806
        big = np.abs(Q) >= _Q_SMALL
        Qb = np.where(big, Q, 1.0)  # noqa: N806
        g = 1 / Qb**2
        x = np.where(Qb > 0, special.gammaincinv(g, p), special.gammainccinv(g, p))
        w_big = np.log(x / g) / Qb
        z = special.ndtri(p)
        w_small = z - np.where(big, 0.0, Q) * (z**2 + 2) / 6
        return np.exp(mu + s * np.where(big, w_big, w_small))

    def mean(self) -> np.ndarray:
        mu, s, Q = self._params["mu"], self._params["sigma"], self._params["Q"]  # noqa: N806
        x = s * Q
        finite = x > -1
        xs = np.where(finite, x, 0.0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            g = self._gamma(Q)
            ga = (1 + xs) / Q**2  # gamma + sigma/Q, > 0 where finite
            # Stirling form, exact through Q = 0 (used when gamma and gamma + a are large)
            small = np.abs(xs) < 1e-3
            xsm = np.where(small, xs, 0.0)
            lx2_series = -0.5 + xsm / 3 - xsm**2 / 4 + xsm**3 / 5 - xsm**4 / 6
            xbig = np.where(small, 1.0, xs)
            lx2_exact = (np.log1p(xbig) - xbig) / xbig**2
            lx2 = np.where(small, lx2_series, lx2_exact)
            stirling = (s**2 * lx2 + s**2 * _log1p_over(xs) - 0.5 * np.log1p(xs)
                        + _stirling_corr(ga) - _stirling_corr(g))
            Qd = np.where(Q == 0, 1.0, Q)  # noqa: N806
            gd = 1 / Qd**2
            a = s / Qd
            direct = -a * np.log(gd) + special.gammaln(np.where(finite, gd + a, 1.0)) \
                - special.gammaln(gd)
            use_stirling = (g >= 30) & (ga >= 30)
            log_excess = np.where(use_stirling, stirling, direct)
        return np.where(finite, np.exp(mu + log_excess), np.inf)


FAMILIES: dict[str, type[Distribution]] = {
    "exponential": Exponential,
    "weibull": Weibull,
    "gompertz": Gompertz,
    "loglogistic": LogLogistic,
    "lognormal": LogNormal,
    "gengamma": GenGamma,
}

_ALIASES = {"exp": "exponential", "llogis": "loglogistic", "lnorm": "lognormal",
            "log-logistic": "loglogistic", "log-normal": "lognormal",
            "generalised gamma": "gengamma", "generalized gamma": "gengamma"}


def get_family(name: str) -> type[Distribution]:
    """The family class for a name (hecon or flexsurv spelling, case-insensitive)."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in FAMILIES:
        raise InputError(f"unknown survival family '{name}'; choose from {', '.join(FAMILIES)}")
    return FAMILIES[key]
