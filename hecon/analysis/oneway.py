"""One-way and two-way deterministic sensitivity analysis on plain tables.

The design is :meth:`hecon.design.Design.one_way` (a base row, then ``<name>:low`` and
``<name>:high`` rows); the model evaluates it in one pass; :func:`tornado` turns the
incremental costs and effects of those rows into tornado data on INMB (default) and on the
ICER. An ICER is only a ratio a reader can compare while the increment stays in the north-east
quadrant (more costly, more effective); any other quadrant is flagged, not plotted as if the
ICER were continuous across it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hecon.design import Design
from hecon.errors import InputError
from hecon.parameters import ParameterTable


def quadrant(inc_cost: float, inc_effect: float) -> str:
    """Where an increment lies on the cost-effectiveness plane.

    NE: more effective, more costly (ICER meaningful); SE: more effective, not more costly
    (dominant); NW: less effective, not less costly (dominated); SW: less effective, less
    costly (ICER is cost saved per QALY lost); "no effect difference" when dE = 0.
    """
    if inc_effect > 0:
        return "NE" if inc_cost > 0 else "SE (dominant)"
    if inc_effect < 0:
        return "SW" if inc_cost < 0 else "NW (dominated)"
    return "no effect difference"


def _icer(dc: float, de: float) -> float:
    return dc / de if de > 0 and dc > 0 else np.nan


def tornado(
    labels: Sequence[str],
    inc_cost: np.ndarray,
    inc_effect: np.ndarray,
    wtp: float,
    table: ParameterTable | None = None,
    design: Design | None = None,
) -> pd.DataFrame:
    """Tornado data from the rows of a one-way design.

    ``labels`` are the design labels (``base``, ``<name>:low``, ``<name>:high``);
    ``inc_cost``/``inc_effect`` the increments (intervention minus comparator) per row.
    Returns one row per parameter, sorted by INMB swing (largest first): low/high input
    values (from ``design`` when given), INMB at low/high, the swing, ICER at low/high (NaN
    outside the north-east quadrant), each end's quadrant, ``quadrant_change`` when either end
    leaves the base quadrant, and ``decision_change`` when INMB changes sign.
    """
    labels = list(labels)
    dc = np.asarray(inc_cost, dtype=float)
    de = np.asarray(inc_effect, dtype=float)
    if not (len(labels) == dc.size == de.size):
        raise InputError("one incremental cost and effect per design row are needed")
    if "base" not in labels:
        raise InputError("the one-way design needs a 'base' row")
    inmb = wtp * de - dc
    b = labels.index("base")
    base_q = quadrant(dc[b], de[b])
    names = list(dict.fromkeys(lab.rsplit(":", 1)[0] for lab in labels if lab != "base"))
    rows = []
    for name in names:
        try:
            lo, hi = labels.index(f"{name}:low"), labels.index(f"{name}:high")
        except ValueError:
            raise InputError("one-way design needs both a low and a high row",
                             parameter=name) from None
        q_lo, q_hi = quadrant(dc[lo], de[lo]), quadrant(dc[hi], de[hi])
        row = {
            "parameter": name,
            "description": table[name].description if table is not None else "",
            "base_value": np.nan, "low_value": np.nan, "high_value": np.nan,
            "inmb_base": inmb[b], "inmb_low": inmb[lo], "inmb_high": inmb[hi],
            "swing": abs(inmb[hi] - inmb[lo]),
            "icer_base": _icer(dc[b], de[b]),
            "icer_low": _icer(dc[lo], de[lo]), "icer_high": _icer(dc[hi], de[hi]),
            "quadrant_low": q_lo, "quadrant_high": q_hi,
            "quadrant_change": q_lo != base_q or q_hi != base_q,
            "decision_change": bool(np.sign(inmb[lo]) != np.sign(inmb[b])
                                    or np.sign(inmb[hi]) != np.sign(inmb[b])),
        }
        if design is not None and name in design.names:
            j = design.names.index(name)
            row.update(base_value=design.values[b, j], low_value=design.values[lo, j],
                       high_value=design.values[hi, j])
        rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    return out.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


def two_way_design(
    table: ParameterTable,
    first: str,
    first_values: Sequence[float],
    second: str,
    second_values: Sequence[float],
) -> Design:
    """A grid design: every pair of values of two parameters, all others at base.

    Rows run over ``first`` slowest; labels are ``<first>=<v1>|<second>=<v2>``.
    """
    if first == second:
        raise InputError("a two-way analysis needs two different parameters", parameter=first)
    for n in (first, second):
        table[n]  # unknown names are errors with a suggestion
        if table[n].group:
            raise InputError("two-way analysis of a Dirichlet member is not supported",
                             parameter=n)
    a = np.asarray(first_values, dtype=float)
    b = np.asarray(second_values, dtype=float)
    if a.size == 0 or b.size == 0 or not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise InputError("two-way values must be non-empty and finite")
    base = Design.base(table)
    aa, bb = np.meshgrid(a, b, indexing="ij")
    vals = np.repeat(base.values, aa.size, axis=0)
    vals[:, base.names.index(first)] = aa.ravel()
    vals[:, base.names.index(second)] = bb.ravel()
    labels = [f"{first}={x:g}|{second}={y:g}" for x, y in zip(aa.ravel(), bb.ravel(),
                                                                            strict=True)]
    return Design(vals, base.names, labels, "two-way")


def two_way_table(design: Design, first: str, second: str, inmb: np.ndarray) -> pd.DataFrame:
    """INMB on the grid of a :func:`two_way_design`: rows ``first``, columns ``second``."""
    x = design.column(first)
    y = design.column(second)
    df = pd.DataFrame({first: x, second: y, "inmb": np.asarray(inmb, dtype=float)})
    return df.pivot(index=first, columns=second, values="inmb")
