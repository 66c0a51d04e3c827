"""Global sensitivity analysis with SALib: the SALib sample *is* the design.

SALib samples the unit hypercube (one column per uncertain parameter, bounds [0, 1]); each
column is a probability that :meth:`hecon.design.Design.from_unit` maps through its parameter's
inverse CDF. The model evaluates the whole design in one vectorised pass and SALib analyses the
output array, so indices are for the parameters *as distributed in the table*.

Unit-sample edges (a probability of exactly 0 or 1 maps to -inf/+inf for an unbounded
distribution):

* Sobol': SALib's Saltelli scheme is built on a scrambled (LMS + digital shift) Sobol' sequence
  (``scramble=True``). Scrambled points lie on the grid k / 2^30 (scipy's 30 bits), so one may be
  exactly 0. Every value is moved to the midpoint of its grid cell,
  ``u -> (floor(u 2^30) + 1/2) / 2^30``, which keeps each point in the same cell (the net's
  stratification is untouched) and lands strictly inside (2^-31, 1 - 2^-31) -- at most 6.1
  standard deviations out for a normal parameter.
* Morris: the level grid i / (p - 1), i = 0..p-1, always includes 0 and 1, so level i is read
  as the midpoint of the i-th of p equal-probability bins: ``u -> (u (p - 1) + 1/2) / p``
  (p = 4: probabilities 0.125, 0.375, 0.625, 0.875). With an even p every Morris step then
  moves a parameter's CDF by exactly 1/2, and elementary effects are reported per unit of
  probability (change in output per unit change in the parameter's CDF): for a uniform(a, b)
  parameter entering linearly with coefficient c, mu* = |c| (b - a).

Morris over the full range (``morris_design(..., full_range=True)``): level i is read as the
probability i / (p - 1), with the two ends moved in to ``tail`` and 1 - ``tail`` (default
0.001: the 0.1th and 99.9th percentiles) so unbounded distributions stay finite. Each step then
moves a CDF by p / (2 (p - 1)) (2/3 for p = 4; a step to an end by ``tail`` less), and
elementary effects are again per unit of probability.

Correlated inputs: the Sobol' and Morris designs sample every parameter independently, so the
indices are those of independent inputs; a PSA correlation is not carried over. Passing the
PSA's correlation matrix (``correlation=``) to :func:`sobol_design` or :func:`morris_design`
raises :class:`CorrelatedInputsWarning` when it has non-zero off-diagonal entries among the
analysed parameters (Sobol' indices of correlated inputs need other estimators; EVPPI on the
PSA draws, which keeps the correlation, is the alternative).

Output variance: :func:`sobol_indices` reports ``variance``, the output variance over the
design's base matrices A and B (SALib's normalising variance), so indices convert to variance
shares. Second-order indices (designs with ``calc_second_order``) are returned by
:func:`sobol_second_order`.

Dirichlet groups are one SALib factor (``groups``): their members switch together between the
Saltelli matrices (or move together in a Morris step); each member's column is mapped through
its Gamma(alpha) inverse CDF and the group is normalised to sum to 1. Naming any member (or the
group's name) in ``names`` brings in the whole group; indices are reported per factor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hecon.design import Design
from hecon.errors import InputError
from hecon.limits import check_memory
from hecon.parameters import ParameterTable

SOBOL_BITS = 30  # scipy.stats.qmc.Sobol's default resolution: points lie on k / 2^30
METHODS = ("sobol", "morris")

OutputLike = np.ndarray | Sequence[float] | Mapping[str, Any]


class CorrelatedInputsWarning(UserWarning):
    """The PSA correlates parameters that a global sensitivity design samples independently."""


def _warn_correlation(correlation: pd.DataFrame | None, names: Sequence[str]) -> None:
    if correlation is None:
        return
    m = correlation.reindex(index=list(names), columns=list(names)).to_numpy(dtype=float)
    off = np.nan_to_num(m, nan=0.0)
    np.fill_diagonal(off, 0.0)
    if np.any(np.abs(off) > 0):
        i, j = np.unravel_index(int(np.argmax(np.abs(off))), off.shape)
        import warnings

        warnings.warn(
            f"the PSA correlates {names[i]} and {names[j]} (r = {off[i, j]:g}), but this design "
            "samples every parameter independently: the indices are those of independent "
            "inputs. Use EVPPI on the PSA draws (which keeps the correlation), or analyse the "
            "correlated parameters as one group.", CorrelatedInputsWarning, stacklevel=3)


@dataclass
class GsaDesign:
    """A SALib design and the hecon :class:`~hecon.design.Design` built from it.

    ``problem`` is the SALib problem dict (names, [0, 1] bounds, ``groups`` when a Dirichlet
    group is present); ``unit`` the sample exactly as SALib returned it (what SALib's analysers
    expect); ``probs`` the probabilities actually mapped through the inverse CDFs (``unit``
    moved off 0 and 1, see the module docstring); ``design`` the parameter values, one row per
    model evaluation; ``settings`` the sampling settings (n or r, levels, seed, ...).
    """

    method: str
    problem: dict[str, Any]
    unit: np.ndarray
    design: Design
    settings: dict[str, Any] = field(default_factory=dict)
    probs: np.ndarray | None = None

    @property
    def factors(self) -> list[str]:
        """Factor names in SALib's order: parameters, with a Dirichlet group as one factor."""
        p = self.problem
        return list(dict.fromkeys(p["groups"])) if "groups" in p else list(p["names"])

    @property
    def n_rows(self) -> int:
        """Number of model evaluations the design needs."""
        return self.design.n


# --------------------------------------------------------------------------------- helpers
def _whole(x: Any, what: str, low: int) -> int:
    try:
        ok = not isinstance(x, bool) and float(x) == int(x) and int(x) >= low
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise InputError(f"{what} must be a whole number >= {low}, got {x!r}")
    return int(x)


def _problem(table: ParameterTable, names: Sequence[str] | None) -> dict[str, Any]:
    """SALib problem on [0, 1]^k; Dirichlet groups expanded to all members, one factor each."""
    if isinstance(names, str):
        names = [names]
    requested = list(table.uncertain_names if names is None else names)
    groups = table.groups()
    out: list[str] = []
    for n in requested:
        if n in groups and n not in table:  # a group named by its group name
            members = groups[n]
        else:
            p = table[n]  # unknown names are InputErrors with a suggestion
            if not p.uncertain:
                raise InputError(
                    "a global sensitivity analysis needs uncertain parameters; this one is fixed",
                    parameter=n,
                )
            members = groups[p.group] if p.group else [n]
        out += [m for m in members if m not in out]
    if not out:
        raise InputError("no uncertain parameters to analyse")
    problem: dict[str, Any] = {
        "num_vars": len(out),
        "names": out,
        "bounds": [[0.0, 1.0] for _ in out],
    }
    if any(table[n].group for n in out):
        plain = {n for n in out if not table[n].group}
        labels = []
        for n in out:
            g = table[n].group
            labels.append(n if not g else (f"group:{g}" if g in plain else g))
        problem["groups"] = labels
    return problem


def _midpoint_sobol(u: np.ndarray) -> np.ndarray:
    """Scrambled Sobol' points k / 2^30 -> cell midpoints (k + 1/2) / 2^30, never 0 or 1."""
    m = float(2**SOBOL_BITS)
    k = np.minimum(np.floor(u * m), m - 1)
    return (k + 0.5) / m


def _midpoint_levels(u: np.ndarray, levels: int) -> np.ndarray:
    """Morris level i / (p - 1) -> (i + 1/2) / p, the midpoint of the i-th of p bins."""
    i = np.clip(np.rint(u * (levels - 1)), 0, levels - 1)  # snap SALib's float levels
    return (i + 0.5) / levels


def _outputs(gd: GsaDesign, y: OutputLike, names_out: Sequence[str] | None) -> list[tuple]:
    """(name or None, 1-D finite array of length n) per output."""
    if isinstance(y, Mapping):
        if names_out is not None:
            raise InputError("give output names either as the mapping's keys or names_out")
        items = [(str(k), np.asarray(v, dtype=float)) for k, v in y.items()]
        if not items:
            raise InputError("no outputs given")
        for k, v in items:
            if v.ndim != 1:
                raise InputError(f"output {k!r} has shape {v.shape}; a 1-D array is needed")
    else:
        a = np.asarray(y, dtype=float)
        if a.ndim == 1:
            a = a[:, None]
            named = names_out is not None
        elif a.ndim == 2:
            named = True
        else:
            raise InputError(f"the output has shape {a.shape}; give (n,) or (n, outputs)")
        if names_out is None:
            names_out = [f"y{j}" for j in range(a.shape[1])]
        names_out = [str(s) for s in names_out]
        if len(names_out) != a.shape[1]:
            raise InputError(
                f"{len(names_out)} output names for {a.shape[1]} output column(s)"
            )
        if len(set(names_out)) != len(names_out):
            raise InputError("duplicate output names")
        items = [(s if named else None, a[:, j]) for j, s in enumerate(names_out)]
    n = gd.design.n
    for k, v in items:
        label = "the output" if k is None else f"output {k!r}"
        if v.shape != (n,):
            raise InputError(
                f"{label} has {v.shape[0]} values; one value per design row ({n}) is needed"
            )
        bad = np.flatnonzero(~np.isfinite(v))
        if bad.size:
            raise InputError(f"{label} is not finite at design row {int(bad[0])} ({v[bad[0]]})")
    return items


def _long(frames: list[tuple[str | None, pd.DataFrame]]) -> pd.DataFrame:
    if len(frames) == 1 and frames[0][0] is None:
        return frames[0][1].reset_index(drop=True)
    out = []
    for name, t in frames:
        t = t.copy()
        t.insert(0, "output", name)
        out.append(t)
    return pd.concat(out, ignore_index=True)


# ----------------------------------------------------------------------------------- Sobol
def sobol_design(
    table: ParameterTable,
    n: int = 1024,
    seed: int = 20240404,
    names: Sequence[str] | None = None,
    calc_second_order: bool = False,
    correlation: pd.DataFrame | None = None,
) -> GsaDesign:
    """Saltelli design on a scrambled Sobol' sequence for first-order and total indices.

    ``n`` (the base sample size, a power of 2) gives n (k + 2) rows, or n (2k + 2) with
    ``calc_second_order``, k the number of factors (a Dirichlet group counts once). ``names``
    defaults to every uncertain parameter; other parameters stay at their base values.
    ``correlation``: the PSA's correlation matrix, only to warn that it is not carried over
    (:class:`CorrelatedInputsWarning`).
    """
    n = _whole(n, "the Sobol' base sample size n", 2)
    if n & (n - 1):
        lo = 1 << (n.bit_length() - 1)
        raise InputError(
            f"the Sobol' base sample size n must be a power of 2 (e.g. {lo} or {2 * lo}), got {n}"
        )
    from SALib.sample import sobol

    problem = _problem(table, names)
    _warn_correlation(correlation, problem["names"])
    k = problem["num_vars"]
    check_memory(n * ((2 * k + 2) if calc_second_order else (k + 2)), len(table.names),
                 "Sobol' design", option="--sobol-n")
    u = sobol.sample(
        problem,
        n,
        calc_second_order=bool(calc_second_order),
        scramble=True,
        seed=np.random.default_rng(seed),
    )
    probs = _midpoint_sobol(u)
    d = Design.from_unit(table, probs, problem["names"])
    d = Design(d.values, d.names, [f"sobol{i}" for i in range(d.n)], "sobol")
    settings = {
        "n": n,
        "seed": seed,
        "calc_second_order": bool(calc_second_order),
        "scramble": True,
        "edge": f"midpoint of the 2^-{SOBOL_BITS} grid cell",
    }
    return GsaDesign("sobol", problem, u, d, settings, probs)


def sobol_indices(
    gd: GsaDesign,
    y: OutputLike,
    names_out: Sequence[str] | None = None,
    conf_level: float = 0.95,
    seed: int = 1,
    num_resamples: int = 100,
) -> pd.DataFrame:
    """First-order (S1) and total (ST) Sobol' indices with bootstrap confidence half-widths.

    ``y`` holds the model output for every design row: an array (n,), an array (n, m) of m
    outputs (named by ``names_out``, default y0, y1, ...), or a mapping name -> array (n,) such
    as :func:`gsa_outputs` returns. Columns: parameter, S1, S1_conf, ST, ST_conf, variance
    (the output's variance, the same on every row of an output), one row per factor (S2 of a
    second-order design: :func:`sobol_second_order`); several outputs (or ``names_out``
    given) give a long table with an ``output`` column first. An output with no variance
    gets every index 0 (they are undefined).
    """
    if gd.method != "sobol":
        raise InputError(f"sobol_indices needs a design from sobol_design, not {gd.method!r}")
    if not 0 < conf_level < 1:
        raise InputError(f"conf_level must lie strictly between 0 and 1, got {conf_level!r}")
    num_resamples = _whole(num_resamples, "num_resamples", 2)
    factors = gd.factors
    frames = []
    for name, v in _outputs(gd, y, names_out):
        res = _sobol_analyze(gd, v, conf_level, seed, num_resamples)
        t = pd.DataFrame({"parameter": factors})
        for col in ("S1", "S1_conf", "ST", "ST_conf"):
            t[col] = np.asarray(res[col], dtype=float)
        t["variance"] = _ab_variance(gd, v)
        frames.append((name, t))
    return _long(frames)


def _ab_variance(gd: GsaDesign, v: np.ndarray) -> float:
    """Variance of the output over the A and B matrices (SALib's normalising variance)."""
    k = len(gd.factors)
    step = 2 * k + 2 if gd.settings["calc_second_order"] else k + 2
    ab = np.concatenate([v[0::step], v[step - 1::step]])
    return float(ab.var(ddof=0)) if ab.size > 1 else 0.0


def _sobol_analyze(gd: GsaDesign, v: np.ndarray, conf_level: float, seed: int,
                   num_resamples: int) -> dict[str, Any]:
    k = len(gd.factors)
    if np.ptp(v) == 0:  # SALib would divide by a zero variance
        z = np.zeros(k)
        return {"S1": z, "S1_conf": z, "ST": z, "ST_conf": z,
                "S2": np.zeros((k, k)), "S2_conf": np.zeros((k, k))}
    from SALib.analyze import sobol

    return sobol.analyze(
        gd.problem,
        v,
        calc_second_order=gd.settings["calc_second_order"],
        num_resamples=num_resamples,
        conf_level=conf_level,
        seed=np.random.default_rng(seed),  # SALib ignores a falsy seed such as 0
    )


def sobol_second_order(
    gd: GsaDesign,
    y: OutputLike,
    names_out: Sequence[str] | None = None,
    conf_level: float = 0.95,
    seed: int = 1,
    num_resamples: int = 100,
) -> pd.DataFrame:
    """Second-order Sobol' indices S2 (the share of output variance due to the interaction
    of two factors alone) with bootstrap half-widths, one row per pair of factors, from a
    design made with ``calc_second_order=True``. Columns: parameter, other, S2, S2_conf
    (an ``output`` column first as in :func:`sobol_indices`)."""
    if gd.method != "sobol" or not gd.settings.get("calc_second_order"):
        raise InputError("second-order indices need a design from sobol_design(..., "
                         "calc_second_order=True)")
    if not 0 < conf_level < 1:
        raise InputError(f"conf_level must lie strictly between 0 and 1, got {conf_level!r}")
    num_resamples = _whole(num_resamples, "num_resamples", 2)
    factors = gd.factors
    pairs = [(i, j) for i in range(len(factors)) for j in range(i + 1, len(factors))]
    frames = []
    for name, v in _outputs(gd, y, names_out):
        res = _sobol_analyze(gd, v, conf_level, seed, num_resamples)
        s2, c2 = np.asarray(res["S2"], dtype=float), np.asarray(res["S2_conf"], dtype=float)
        frames.append((name, pd.DataFrame({
            "parameter": [factors[i] for i, _ in pairs], "other": [factors[j] for _, j in pairs],
            "S2": [s2[i, j] for i, j in pairs], "S2_conf": [c2[i, j] for i, j in pairs]})))
    return _long(frames)


# ---------------------------------------------------------------------------------- Morris
def morris_design(
    table: ParameterTable,
    r: int = 100,
    levels: int = 4,
    seed: int = 20240404,
    names: Sequence[str] | None = None,
    full_range: bool = False,
    tail: float = 0.001,
    correlation: pd.DataFrame | None = None,
) -> GsaDesign:
    """Morris elementary-effects design: ``r`` trajectories of k + 1 rows (k factors).

    Level i of the even ``levels`` = p grid is the probability (i + 1/2) / p (see the module
    docstring), so no parameter is ever sampled at an infinite tail; with ``full_range`` it
    is i / (p - 1), the ends moved in to ``tail`` and 1 - ``tail``. ``correlation`` as in
    :func:`sobol_design`.
    """
    if not (isinstance(tail, float | int) and 0 < tail < 0.5):
        raise InputError(f"tail must lie strictly between 0 and 0.5, got {tail!r}")
    r = _whole(r, "the number of Morris trajectories r", 2)
    levels = _whole(levels, "the number of Morris levels", 2)
    if levels % 2:
        raise InputError(f"the number of Morris levels must be even, got {levels}")
    from SALib.sample import morris

    problem = _problem(table, names)
    _warn_correlation(correlation, problem["names"])
    u = morris.sample(problem, r, num_levels=levels, seed=np.random.default_rng(seed))
    if full_range:
        snapped = np.clip(np.rint(u * (levels - 1)), 0, levels - 1) / (levels - 1)
        probs = np.clip(snapped, tail, 1 - tail)
    else:
        probs = _midpoint_levels(u, levels)
    d = Design.from_unit(table, probs, problem["names"])
    d = Design(d.values, d.names, [f"morris{i}" for i in range(d.n)], "morris")
    settings = {
        "r": r,
        "levels": levels,
        "seed": seed,
        "edge": (f"level i -> probability i / (levels - 1), ends at {tail:g} and "
                 f"{1 - tail:g}" if full_range else "level i -> probability (i + 1/2) / levels"),
        "full_range": bool(full_range),
    }
    return GsaDesign("morris", problem, u, d, settings, probs)


def morris_indices(
    gd: GsaDesign,
    y: OutputLike,
    names_out: Sequence[str] | None = None,
    conf_level: float = 0.95,
    seed: int = 1,
) -> pd.DataFrame:
    """Morris screening: mu, mu_star (mean absolute elementary effect), sigma and the bootstrap
    confidence half-width of mu_star, one row per factor.

    Elementary effects are per unit of probability (output change per unit change of the
    factor's CDF; each Morris step moves the CDF by 1/2). ``y`` and ``names_out`` as in
    :func:`sobol_indices`.
    """
    if gd.method != "morris":
        raise InputError(f"morris_indices needs a design from morris_design, not {gd.method!r}")
    if not 0 < conf_level < 1:
        raise InputError(f"conf_level must lie strictly between 0 and 1, got {conf_level!r}")
    from SALib.analyze import morris

    p = gd.settings["levels"]
    # d(level scale) / d(probability): p / (p - 1) for the midpoint map, 1 for the full range
    per_prob = 1.0 if gd.settings.get("full_range") else p / (p - 1)
    factors = gd.factors
    frames = []
    for name, v in _outputs(gd, y, names_out):
        res = morris.analyze(
            gd.problem,
            gd.unit,
            v,
            conf_level=conf_level,
            num_levels=p,
            seed=np.random.default_rng(seed),
        )
        if list(res["names"]) != factors:  # pragma: no cover - SALib ordering guard
            raise RuntimeError(f"SALib returned factors {list(res['names'])}, not {factors}")
        t = pd.DataFrame({"parameter": factors})
        for col in ("mu", "mu_star", "sigma", "mu_star_conf"):
            t[col] = per_prob * np.asarray(res[col], dtype=float)
        frames.append((name, t))
    return _long(frames)


# --------------------------------------------------------------------------------- outputs
def gsa_outputs(
    costs: np.ndarray, qalys: np.ndarray, wtp: float | Sequence[float]
) -> dict[str, np.ndarray]:
    """The outputs indices are reported for, from (n, 2) arrays of costs and QALYs with the
    intervention in column 0 and the comparator in column 1.

    Returns ``inmb_<wtp>`` = wtp * dQ - dC for each threshold in ``wtp`` (a number or a
    sequence; keys formatted with ``:g``, e.g. ``inmb_350000``), ``inc_cost`` = dC and
    ``inc_qalys`` = dQ, each an array (n,). Pass the dict straight to :func:`sobol_indices`
    or :func:`morris_indices`.
    """
    c = np.asarray(costs, dtype=float)
    q = np.asarray(qalys, dtype=float)
    if c.ndim != 2 or c.shape[1] != 2 or c.shape != q.shape:
        raise InputError(
            f"costs {c.shape} and QALYs {q.shape} must both be (n, 2): "
            "intervention in column 0, comparator in column 1"
        )
    w = np.atleast_1d(np.asarray(wtp, dtype=float))
    if w.ndim != 1 or w.size == 0 or not np.isfinite(w).all():
        raise InputError(f"willingness to pay must be finite number(s), got {wtp!r}")
    dc, dq = c[:, 0] - c[:, 1], q[:, 0] - q[:, 1]
    out = {f"inmb_{x:g}": x * dq - dc for x in w}
    out.update(inc_cost=dc, inc_qalys=dq)
    return out
