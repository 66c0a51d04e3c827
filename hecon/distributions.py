"""Parameter distributions, each represented by its inverse CDF (``ppf``).

Independent PSA, Gaussian-copula PSA and unit-hypercube designs (SALib) all map uniform numbers
to parameter values through ``ppf``. Method-of-moments helpers convert a mean and standard error
(or a 95% interval) to distribution parameters.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

Z975 = 1.959963984540054


class DistributionError(ValueError):
    """Impossible distribution parameters (the caller adds file, row and parameter)."""


@dataclass(frozen=True)
class Dist:
    """A univariate distribution: ``kind`` and its parameters."""

    kind: str
    params: tuple[tuple[str, float], ...] = ()

    @property
    def p(self) -> dict[str, float]:
        """Parameters as a dict."""
        return dict(self.params)

    def _frozen(self):
        return _freeze(self.kind, self.params)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF, vectorised over ``u``."""
        u = np.asarray(u, dtype=float)
        if self.kind == "fixed":
            return np.full_like(u, self.p["value"])
        return self._frozen().ppf(u)

    def mean(self) -> float:
        """Mean of the distribution."""
        if self.kind == "fixed":
            return self.p["value"]
        return float(self._frozen().mean())

    def quantile(self, q: float) -> float:
        """A single quantile."""
        return float(self.ppf(np.array([q]))[0])

    def support(self) -> tuple[float, float]:
        """Lower and upper limits of the support."""
        if self.kind == "fixed":
            v = self.p["value"]
            return v, v
        lo, hi = self._frozen().support()
        return float(lo), float(hi)

    def describe(self) -> str:
        """e.g. 'beta(alpha=82, beta=97)'."""
        if self.kind == "fixed":
            return "fixed"
        args = ", ".join(f"{k}={v:.6g}" for k, v in self.params)
        return f"{self.kind}({args})"


@functools.lru_cache(maxsize=4096)
def _freeze(kind: str, params: tuple[tuple[str, float], ...]):  # noqa: ANN202 - scipy frozen
    """The scipy frozen distribution, built once per (kind, parameters): building one formats
    its documentation, which costs milliseconds, and parameter tables are read many times
    (every scenario of a run); a frozen distribution is stateless, so sharing it is safe."""
    from scipy import stats  # here, not at import: scipy.stats takes ~0.5 s to import

    p = dict(params)
    if kind == "beta":
        return stats.beta(p["alpha"], p["beta"])
    if kind == "gamma":
        return stats.gamma(p["shape"], scale=p["scale"])
    if kind == "lognormal":
        return stats.lognorm(p["sdlog"], scale=math.exp(p["meanlog"]))
    if kind == "normal":
        return stats.norm(p["mean"], p["sd"])
    if kind == "uniform":
        return stats.uniform(p["min"], p["max"] - p["min"])
    if kind == "triangular":
        width = p["max"] - p["min"]
        return stats.triang((p["mode"] - p["min"]) / width, loc=p["min"], scale=width)
    raise DistributionError(f"no frozen distribution for {kind}")


def make(kind: str, **params: float) -> Dist:
    """Build and check a distribution."""
    for k, v in params.items():
        if not np.isfinite(v):
            raise DistributionError(f"{kind} parameter {k} must be a finite number")
    p = params
    if kind == "beta" and not (p["alpha"] > 0 and p["beta"] > 0):
        raise DistributionError("beta needs alpha > 0 and beta > 0")
    if kind == "gamma" and not (p["shape"] > 0 and p["scale"] > 0):
        raise DistributionError("gamma needs shape > 0 and scale > 0")
    if kind == "lognormal" and not p["sdlog"] > 0:
        raise DistributionError("lognormal needs sdlog > 0")
    if kind == "normal" and not p["sd"] > 0:
        raise DistributionError("normal needs a standard error > 0")
    if kind == "uniform" and not p["min"] < p["max"]:
        raise DistributionError("uniform needs min < max")
    if kind == "triangular":
        if not p["min"] < p["max"]:
            raise DistributionError("triangular needs min < max")
        if not p["min"] <= p["mode"] <= p["max"]:
            raise DistributionError("triangular mode must lie between min and max")
    return Dist(kind, tuple((k, float(v)) for k, v in params.items()))


def beta_from_mean_se(mean: float, se: float) -> Dist:
    """Method of moments: alpha + beta = m(1-m)/se^2 - 1."""
    if not 0 < mean < 1:
        raise DistributionError(f"beta mean {mean:g} must lie strictly between 0 and 1")
    if not se > 0:
        raise DistributionError("standard error must be > 0")
    if se**2 == 0:
        raise DistributionError(f"standard error {se:g} is too small: its square is 0 in "
                                "floating point (a fixed value says the same)")
    if se**2 >= mean * (1 - mean):
        raise DistributionError(
            f"standard error {se:g} is too large for a proportion of {mean:g} "
            f"(needs se^2 < mean(1-mean) = {mean * (1 - mean):.4g})"
        )
    k = mean * (1 - mean) / se**2 - 1
    return make("beta", alpha=mean * k, beta=(1 - mean) * k)


def gamma_from_mean_se(mean: float, se: float) -> Dist:
    """Method of moments: shape = (m/se)^2, scale = se^2/m."""
    if not mean > 0:
        raise DistributionError(f"gamma mean {mean:g} must be > 0")
    if not se > 0:
        raise DistributionError("standard error must be > 0")
    if mean / se > 1e150 or se**2 / mean == 0:
        raise DistributionError(f"standard error {se:g} is too small for the mean {mean:g}: "
                                "the gamma's shape or scale leaves the range of floating point "
                                "(a fixed value says the same)")
    return make("gamma", shape=(mean / se) ** 2, scale=se**2 / mean)


def lognormal_from_mean_se(mean: float, se: float) -> Dist:
    """Method of moments: sdlog^2 = ln(1 + se^2/m^2), meanlog = ln m - sdlog^2/2."""
    if not mean > 0:
        raise DistributionError(f"lognormal mean {mean:g} must be > 0")
    if not se > 0:
        raise DistributionError("standard error must be > 0")
    s2 = math.log1p((se / mean) ** 2)
    return make("lognormal", meanlog=math.log(mean) - s2 / 2, sdlog=math.sqrt(s2))


def lognormal_from_ci(value: float, lo: float, hi: float) -> Dist:
    """Ratio measures: meanlog = ln(value), sdlog = (ln hi - ln lo) / (2 x 1.96)."""
    if not (value > 0 and lo > 0 and hi > 0):
        raise DistributionError("a lognormal interval needs value, ci_low and ci_high > 0")
    if not lo < value < hi:
        raise DistributionError(f"interval {lo:g}-{hi:g} must contain the value {value:g}")
    return make(
        "lognormal", meanlog=math.log(value), sdlog=(math.log(hi) - math.log(lo)) / (2 * Z975)
    )


def se_from_ci(lo: float, hi: float) -> float:
    """se = (hi - lo) / (2 x 1.96) for a symmetric 95% interval."""
    if not lo < hi:
        raise DistributionError(f"ci_low {lo:g} must be below ci_high {hi:g}")
    return (hi - lo) / (2 * Z975)
