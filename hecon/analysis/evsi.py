"""Expected value of sample information (EVSI) and expected net benefit of sampling (ENBS).

``nb`` is net benefit of shape (draws, strategies), as in :mod:`hecon.analysis.voi`.

Regression method (Strong, Oakley, Brennan & Breeze, Med Decis Making 2015;35:570-83)
    For each PSA draw theta_i, one study of the proposed design is simulated from theta_i and
    reduced to a summary statistic T_i (the observed log-odds, log rate, log rate ratio or
    mean). The incremental net benefit is regressed on T by the EVPPI smoother of
    :func:`hecon.analysis.voi.evppi`; the fitted values estimate the preposterior mean
    E[INB | data] and EVSI = mean_i max_k g_ik - max_k mean_i g_ik. Simulators here:

    * binary outcome (:func:`binary_statistic`): x ~ Binomial(n, p) per arm, T = log((x + 1/2)
      / (n - x + 1/2)) (the log-odds with the Haldane correction, finite at x = 0 and n);
    * survival outcome (:func:`survival_statistic`): n patients per arm, exponential times at
      rate lambda, every patient followed for ``follow_up`` years (administrative censoring);
      T = log((deaths + 1/2) / exposure), the log rate; two arms give the log rate ratio;
    * normal outcome (:func:`normal_statistic`): the mean of n observations N(theta, sd^2).

Gaussian approximation (Jalal & Alarid-Escudero, Med Decis Making 2018;38:174-88)
    With a prior worth n0 observations ("effective prior sample size") and a study of n, the
    preposterior mean of a normal parameter has variance s0^2 n / (n + n0) (s0^2 the prior
    variance): the spread of the prior shrunk by n / (n + n0). The EVPPI metamodel's fitted
    values g (one fit, :func:`hecon.analysis.voi.evppi`) are shrunk around their mean by the
    same variance factor, g_n = mean(g) + sqrt(n / (n + n0)) (g - mean(g)), and EVSI(n) is
    the EVPPI of g_n. Exact when E[INB | theta] is linear in a normal theta; for a beta prior
    n0 = alpha + beta, for a normal mean with per-observation SD s, n0 = s^2 / s0^2.

Standard error
    ``se`` combines (in quadrature) the regression error of the fitted values (closed form,
    as :func:`hecon.analysis.voi.evppi`) and the Monte Carlo error of averaging over the
    draws, SD_i(max_k g_ik - g_ik*) / sqrt(draws).

ENBS
    ENBS(n) = EVSI(n) x population - (fixed cost + cost per patient x arms x n), with the
    discounted population of :func:`hecon.analysis.voi.population_factor` (annual cohorts
    over the decision horizon, the first undiscounted). The optimal sample size is the n of
    the grid with the highest ENBS (none worth doing when every ENBS is <= 0). Participants
    of the study are not subtracted from the population and the delay of the decision while
    the study runs is ignored (both make ENBS slightly optimistic).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import pandas as pd

from hecon.analysis import voi
from hecon.errors import InputError

_CHUNK = 2_000_000  # patients simulated at once by survival_statistic


# --------------------------------------------------------------------------- simulators
def _sizes(sizes: Sequence[int] | np.ndarray | int) -> list[int]:
    out = []
    for v in np.atleast_1d(np.asarray(sizes, dtype=object)):
        if isinstance(v, bool) or not isinstance(v, Integral) or v < 1:
            raise InputError(f"sample sizes must be whole numbers >= 1, got {v!r}",
                             parameter="n")
        out.append(int(v))
    if not out:
        raise InputError("no sample sizes given", parameter="n")
    return out


def _probability(p: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(p, dtype=float)
    if not (np.isfinite(a).all() and (a >= 0).all() and (a <= 1).all()):
        raise InputError("probabilities must lie in [0, 1]", parameter=name)
    return a


def binary_statistic(p: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Observed log-odds log((x + 1/2) / (n - x + 1/2)) of x ~ Binomial(n, p) for every draw
    (and arm: ``p`` (draws,) or (draws, arms), the result shaped alike)."""
    n = _sizes(n)[0]
    x = rng.binomial(n, _probability(p, "p"))
    return np.log((x + 0.5) / (n - x + 0.5))


def survival_statistic(rate: np.ndarray, n: int, follow_up: float,
                       rng: np.random.Generator) -> np.ndarray:
    """Observed log rate log((deaths + 1/2) / exposure) of n patients per arm with exponential
    survival at ``rate`` (per year), each followed for ``follow_up`` years. ``rate`` (draws,)
    gives the log rate, (draws, 2) the log rate ratio of column 0 over column 1 (e.g.
    treatment over control: an estimate of the log hazard ratio)."""
    n = _sizes(n)[0]
    lam = np.asarray(rate, dtype=float)
    if not (np.isfinite(lam).all() and (lam > 0).all()):
        raise InputError("event rates must be finite and > 0", parameter="rate")
    f = float(follow_up)
    if not (math.isfinite(f) and f > 0):
        raise InputError(f"the follow-up must be > 0 years, got {follow_up!r}",
                         parameter="follow_up")
    flat = lam.reshape(-1)
    deaths = np.empty(flat.size)
    exposure = np.empty(flat.size)
    step = max(1, _CHUNK // n)
    for lo in range(0, flat.size, step):  # chunks bound memory; each is vectorised
        r = flat[lo:lo + step, None]
        t = rng.exponential(1.0, size=(r.shape[0], n)) / r
        deaths[lo:lo + step] = (t <= f).sum(axis=1)
        exposure[lo:lo + step] = np.minimum(t, f).sum(axis=1)
    logr = np.log((deaths + 0.5) / exposure).reshape(lam.shape)
    if lam.ndim == 2:
        if lam.shape[1] != 2:
            raise InputError("rates of one arm (draws,) or two arms (draws, 2) are needed",
                             parameter="rate")
        return logr[:, 0] - logr[:, 1]
    return logr


def normal_statistic(theta: np.ndarray, sd: float, n: int,
                     rng: np.random.Generator) -> np.ndarray:
    """Mean of n observations N(theta, sd^2) for every draw of theta."""
    n = _sizes(n)[0]
    th = np.asarray(theta, dtype=float)
    return th + float(sd) / math.sqrt(n) * rng.standard_normal(th.shape)


# --------------------------------------------------------------------------------- EVSI
@dataclass
class EvsiResult:
    """EVSI per person of one study: value, total SE and its two parts, metamodel fit."""

    value: float
    se: float
    se_fit: float
    se_mc: float
    r2: float
    method: str


def _mc_se(g: np.ndarray) -> float:
    full = np.column_stack([np.zeros(g.shape[0]), g])
    loss = full.max(axis=1) - full[:, int(np.argmax(full.mean(axis=0)))]
    return float(loss.std(ddof=1) / math.sqrt(loss.size)) if loss.size > 1 else 0.0


def evsi(nb: np.ndarray, statistic: np.ndarray, method: str = "spline", *,
         knots: int = voi.KNOTS, seed: int = 1, name: str | None = None) -> EvsiResult:
    """EVSI per person by regression of incremental net benefit on the simulated summary
    ``statistic`` (n,) or (n, m) of one study per PSA draw (Strong et al. 2015)."""
    r = voi.evppi(nb, statistic, method, knots=knots, seed=seed, name=name)
    if r.fitted is None:
        return EvsiResult(r.value, 0.0, 0.0, 0.0, float("nan"), r.method)
    mc = _mc_se(r.fitted)
    r2 = r.r2[np.isfinite(r.r2)]
    return EvsiResult(r.value, math.hypot(r.se, mc), r.se, mc,
                      float(r2.mean()) if r2.size else float("nan"), r.method)


def evsi_curve(nb: np.ndarray, simulate: Callable[[int, np.random.Generator], np.ndarray],
               sizes: Sequence[int], method: str = "spline", *, knots: int = voi.KNOTS,
               seed: int = 1, name: str | None = None) -> pd.DataFrame:
    """EVSI per person over a grid of sample sizes by the regression method.

    ``simulate(n, rng)`` returns the summary statistic of one study of size ``n`` for every
    PSA draw (same row order as ``nb``), e.g. ``lambda n, rng: binary_statistic(p, n,
    rng)``. The same seed is used at every n (common random numbers: a smoother curve).
    Columns: n, evsi, se, se_fit, se_mc, r2."""
    rows = []
    for n in _sizes(sizes):
        stat = simulate(n, np.random.default_rng(seed))
        r = evsi(nb, stat, method, knots=knots, seed=seed, name=name)
        rows.append({"n": n, "evsi": r.value, "se": r.se, "se_fit": r.se_fit,
                     "se_mc": r.se_mc, "r2": r.r2})
    return pd.DataFrame(rows, columns=["n", "evsi", "se", "se_fit", "se_mc", "r2"])


def evsi_gaussian(nb: np.ndarray, x: np.ndarray, sizes: Sequence[int], n0: float,
                  method: str = "auto", *, knots: int = voi.KNOTS, seed: int = 1,
                  name: str | None = None) -> pd.DataFrame:
    """EVSI per person over a grid of sample sizes by the Gaussian approximation with
    effective prior sample size ``n0`` (Jalal & Alarid-Escudero 2018): one EVPPI fit on the
    parameter (group) draws ``x``, fitted values shrunk by the variance factor n / (n + n0).
    Columns: n, evsi, se, se_fit, se_mc, r2 (of the EVPPI fit)."""
    if isinstance(n0, bool) or not isinstance(n0, Real) or not (math.isfinite(n0) and n0 > 0):
        raise InputError(f"the effective prior sample size must be a number > 0, got {n0!r}",
                         parameter="n0")
    cols = ["n", "evsi", "se", "se_fit", "se_mc", "r2"]
    ns = _sizes(sizes)
    r = voi.evppi(nb, x, method, knots=knots, seed=seed, name=name)
    r2s = r.r2[np.isfinite(r.r2)]
    r2 = float(r2s.mean()) if r2s.size else float("nan")
    if r.fitted is None:
        return pd.DataFrame([{"n": n, "evsi": 0.0, "se": 0.0, "se_fit": 0.0, "se_mc": 0.0,
                              "r2": r2} for n in ns], columns=cols)
    g = r.fitted
    mean = g.mean(axis=0)
    rows = []
    for n in ns:
        f = math.sqrt(n / (n + float(n0)))
        gn = mean + f * (g - mean)
        # the fitted values' errors shrink with them; the delta-method gradient at g_n
        # differs from that at g only through which strategy wins where, so scale the fit SE
        se_fit = f * r.se_fit
        mc = _mc_se(gn)
        rows.append({"n": n, "evsi": voi._fit_loss(gn), "se": math.hypot(se_fit, mc),
                     "se_fit": se_fit, "se_mc": mc, "r2": r2})
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------------- ENBS
def enbs(table: pd.DataFrame, cost_per_patient: float, fixed_cost: float, *,
         arms: int = 2, population: float | None = None,
         incidence_per_year: float | None = None, years: int | None = None,
         discount_rate: float = 0.0) -> pd.DataFrame:
    """Expected net benefit of sampling for an EVSI table (columns n, evsi, se): adds
    population (discounted people affected), evsi_population, study_cost = fixed_cost +
    cost_per_patient x arms x n, enbs = evsi_population - study_cost, enbs_se and
    ``optimal`` (True on the row of the highest positive ENBS). Give ``population`` directly,
    or ``incidence_per_year``, ``years`` and ``discount_rate`` for
    :func:`hecon.analysis.voi.population_factor`."""
    for v, label in ((cost_per_patient, "cost_per_patient"), (fixed_cost, "fixed_cost")):
        if voi._number(v, label) < 0:
            raise InputError(f"a study cost is >= 0, got {v!r}", parameter=label)
    if isinstance(arms, bool) or not isinstance(arms, Integral) or arms < 1:
        raise InputError(f"must be a whole number >= 1, got {arms!r}", parameter="arms")
    if population is None:
        if incidence_per_year is None or years is None:
            raise InputError("give the population, or incidence_per_year and years",
                             parameter="population")
        population = voi.population_factor(incidence_per_year, years, discount_rate)
    pop = voi._number(population, "population")
    if pop < 0:
        raise InputError(f"must be >= 0, got {pop!r}", parameter="population")
    missing = {"n", "evsi", "se"} - set(table.columns)
    if missing:
        raise InputError(f"the EVSI table needs columns n, evsi, se; missing {sorted(missing)}",
                         parameter="table")
    out = table.copy()
    out["population"] = pop
    out["evsi_population"] = out["evsi"] * pop
    out["study_cost"] = float(fixed_cost) + float(cost_per_patient) * arms * out["n"]
    out["enbs"] = out["evsi_population"] - out["study_cost"]
    out["enbs_se"] = out["se"] * pop
    best = int(np.argmax(out["enbs"].to_numpy())) if len(out) else -1
    out["optimal"] = [i == best and out["enbs"].iloc[i] > 0 for i in range(len(out))]
    return out


def optimal_sample_size(table: pd.DataFrame) -> int | None:
    """The n of the highest positive ENBS in an :func:`enbs` table (None: no study pays)."""
    hit = table[table["optimal"]]
    return int(hit["n"].iloc[0]) if len(hit) else None
