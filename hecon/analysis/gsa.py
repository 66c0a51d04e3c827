"""Global sensitivity analysis with SALib: the SALib sample *is* the design.

SALib samples the unit hypercube (one column per uncertain parameter); each column is mapped
through its parameter's inverse CDF (:meth:`hecon.design.Design.from_unit`), the model
evaluates the whole design in one vectorised pass, and SALib analyses the output array.

Unit-sample edges: a Sobol' point may be exactly 0, which maps to minus infinity for an
unbounded distribution, so Sobol' points are mapped affinely into [1e-12, 1 - 1e-12] (a shift
far below any Monte Carlo error). Morris levels include 0 and 1 by construction, so Morris
works on the central 95% of each distribution: u -> 0.025 + 0.95 u (elementary effects are
then per step of the 2.5th-97.5th percentile range). Members of a Dirichlet group are one
SALib factor (``groups``), sampled together and normalised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hecon.design import Design
from hecon.errors import InputError
from hecon.parameters import ParameterTable

EDGE = 1e-12
MORRIS_RANGE = (0.025, 0.975)


@dataclass
class GsaDesign:
    """A SALib problem, its unit sample and the hecon design built from it."""

    method: str
    problem: dict[str, Any]
    unit: np.ndarray
    design: Design
    settings: dict[str, Any] = field(default_factory=dict)


def _problem(table: ParameterTable, names: Sequence[str] | None) -> dict[str, Any]:
    names = list(table.uncertain_names if names is None else names)
    if not names:
        raise InputError("no uncertain parameters to analyse")
    for n in names:
        table[n]  # unknown names are errors with a suggestion
        if not table[n].uncertain:
            raise InputError("a global sensitivity analysis needs an uncertain parameter "
                             "(this one is fixed)", parameter=n)
    groups = [table[n].group or n for n in names]
    problem: dict[str, Any] = {"num_vars": len(names), "names": names,
                               "bounds": [[0.0, 1.0]] * len(names)}
    if any(table[n].group for n in names):
        problem["groups"] = groups
    return problem


def sobol_design(
    table: ParameterTable,
    n: int = 1024,
    seed: int = 20240404,
    names: Sequence[str] | None = None,
    calc_second_order: bool = False,
) -> GsaDesign:
    """Saltelli/Sobol' design for first-order and total indices: N x (k + 2) rows
    (N x (2k + 2) with second-order indices), k the number of factors."""
    if int(n) != n or n < 2 or (int(n) & (int(n) - 1)) != 0:
        raise InputError(f"the Sobol base sample size must be a power of 2, got {n!r}")
    from SALib.sample import sobol

    problem = _problem(table, names)
    u = sobol.sample(problem, int(n), calc_second_order=calc_second_order, scramble=True,
                     seed=seed)
    u = EDGE + (1 - 2 * EDGE) * u
    d = Design.from_unit(table, u, problem["names"])
    d = Design(d.values, d.names, [f"sobol{i}" for i in range(d.n)], "sobol")
    return GsaDesign("sobol", problem, u, d, {"n": int(n), "seed": seed,
                                              "calc_second_order": calc_second_order})


def _y(gd: GsaDesign, y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=float)
    if y.shape != (gd.design.n,):
        raise InputError(f"the output has shape {y.shape}; one value per design row "
                         f"({gd.design.n}) is needed")
    if not np.isfinite(y).all():
        raise InputError(f"the output is not finite at design row "
                         f"{int(np.flatnonzero(~np.isfinite(y))[0])}")
    return y


def _factor_names(gd: GsaDesign) -> list[str]:
    p = gd.problem
    return list(dict.fromkeys(p["groups"])) if "groups" in p else list(p["names"])


def sobol_indices(gd: GsaDesign, y: np.ndarray, conf_level: float = 0.95,
                  seed: int = 1) -> pd.DataFrame:
    """First-order (S1) and total (ST) Sobol indices with confidence half-widths
    (bootstrap), one row per factor (parameter or Dirichlet group)."""
    if gd.method != "sobol":
        raise InputError("sobol_indices needs a design from sobol_design")
    from SALib.analyze import sobol

    y = _y(gd, y)
    if np.ptp(y) == 0:  # no variance: every index is 0 (SALib would divide by zero)
        k = len(_factor_names(gd))
        z = np.zeros(k)
        return pd.DataFrame({"parameter": _factor_names(gd), "S1": z, "S1_conf": z,
                             "ST": z, "ST_conf": z})
    res = sobol.analyze(gd.problem, y, calc_second_order=gd.settings["calc_second_order"],
                        conf_level=conf_level, seed=seed)
    return pd.DataFrame({"parameter": _factor_names(gd), "S1": res["S1"],
                         "S1_conf": res["S1_conf"], "ST": res["ST"],
                         "ST_conf": res["ST_conf"]})


def morris_design(
    table: ParameterTable,
    r: int = 100,
    levels: int = 4,
    seed: int = 20240404,
    names: Sequence[str] | None = None,
) -> GsaDesign:
    """Morris elementary-effects design: ``r`` trajectories of k + 1 rows each, on the central
    95% of each distribution."""
    if int(r) != r or r < 2:
        raise InputError(f"Morris needs at least 2 trajectories, got {r!r}")
    if int(levels) != levels or levels < 2 or levels % 2:
        raise InputError(f"Morris levels must be an even whole number >= 2, got {levels!r}")
    from SALib.sample import morris

    problem = _problem(table, names)
    u = morris.sample(problem, int(r), num_levels=int(levels), seed=seed)
    lo, hi = MORRIS_RANGE
    d = Design.from_unit(table, lo + (hi - lo) * u, problem["names"])
    d = Design(d.values, d.names, [f"morris{i}" for i in range(d.n)], "morris")
    return GsaDesign("morris", problem, u, d, {"r": int(r), "levels": int(levels),
                                               "seed": seed})


def morris_indices(gd: GsaDesign, y: np.ndarray, conf_level: float = 0.95,
                   seed: int = 1) -> pd.DataFrame:
    """Morris mu, mu_star (mean absolute elementary effect), sigma and the confidence
    half-width of mu_star, per factor; effects are per unit of the [0, 1] level scale."""
    if gd.method != "morris":
        raise InputError("morris_indices needs a design from morris_design")
    from SALib.analyze import morris

    y = _y(gd, y)
    res = morris.analyze(gd.problem, gd.unit, y, conf_level=conf_level,
                         num_levels=gd.settings["levels"], seed=seed)
    return pd.DataFrame({"parameter": _factor_names(gd), "mu": np.asarray(res["mu"]),
                         "mu_star": np.asarray(res["mu_star"]),
                         "sigma": np.asarray(res["sigma"]),
                         "mu_star_conf": np.asarray(res["mu_star_conf"])})


def gsa_outputs(costs: np.ndarray, effects: np.ndarray, wtp: float) -> dict[str, np.ndarray]:
    """The outputs indices are reported for, from (n, 2) arrays with the intervention in
    column 0 and the comparator in column 1: INMB at ``wtp``, incremental cost and effect."""
    c = np.asarray(costs, dtype=float)
    e = np.asarray(effects, dtype=float)
    if c.ndim != 2 or c.shape[1] != 2 or c.shape != e.shape:
        raise InputError("costs and effects must both be (n, 2): intervention, comparator")
    dc, de = c[:, 0] - c[:, 1], e[:, 0] - e[:, 1]
    return {"inmb": wtp * de - dc, "inc_cost": dc, "inc_effect": de}
