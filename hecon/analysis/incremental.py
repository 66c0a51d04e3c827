"""Fully incremental cost-effectiveness analysis and net benefit, on plain tables.

:func:`incremental_table` takes any number of strategies with a cost and an effect each and
returns every strategy with its status, ordered by cost:

1. **Equivalent** (tie rule a): strategies with the same cost and the same effect (within a
   relative tolerance of 1e-12) are one option; the first *listed* stays in the analysis and
   the others are marked ``equivalent`` to it.
2. **Strictly dominated**: another strategy costs no more and is at least as effective, one of
   the two strictly. This covers same cost with lower effect (rule b) and same effect with
   higher cost (rule c). ``dominated_by`` names the dominating strategy (the most effective
   among those costing no more).
3. **Extendedly dominated**: a mix of the two frontier neighbours would be at least as
   effective for less cost, i.e. its ICER against the previous option exceeds the next
   option's ICER. Removal repeats until frontier ICERs no longer decrease (chained extended
   dominance). Rule d: a strategy whose ICER *equals* the next one's (collinear options) is
   **not** extendedly dominated; it stays on the frontier (a weak, not strict, dominance).
4. The remaining strategies form the efficiency frontier; each has its ICER against the
   previous frontier strategy (the cheapest has none).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hecon.errors import InputError

RTOL = 1e-12


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= RTOL * max(1.0, abs(a), abs(b))


def _inputs(strategies: Sequence[str] | pd.DataFrame, costs: Sequence[float] | None,
            effects: Sequence[float] | None) -> tuple[list[str], np.ndarray, np.ndarray]:
    if isinstance(strategies, pd.DataFrame):
        df = strategies
        missing = {"strategy", "cost", "effect"} - set(df.columns)
        if missing:
            raise InputError(f"the table needs columns strategy, cost, effect; missing "
                             f"{sorted(missing)}")
        names, costs, effects = df["strategy"].astype(str).tolist(), df["cost"], df["effect"]
    else:
        names = [str(s) for s in strategies]
    c = np.asarray(costs, dtype=float).ravel()
    e = np.asarray(effects, dtype=float).ravel()
    if not names:
        raise InputError("no strategies")
    if not (len(names) == c.size == e.size):
        raise InputError(f"{len(names)} strategies, {c.size} costs and {e.size} effects: "
                         "one of each per strategy is needed")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(f"duplicate strategy names: {dup}")
    bad = [names[i] for i in np.flatnonzero(~(np.isfinite(c) & np.isfinite(e)))]
    if bad:
        raise InputError(f"cost or effect is missing or not finite for {bad}")
    return names, c, e


def incremental_table(
    strategies: Sequence[str] | pd.DataFrame,
    costs: Sequence[float] | None = None,
    effects: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Fully incremental analysis (see the module docstring for every rule).

    Returns one row per strategy, ordered by cost then effect (descending): strategy, cost,
    effect, status (``frontier``, ``dominated``, ``extendedly dominated``, ``equivalent``),
    compared_with, inc_cost, inc_effect, icer (frontier rows only; NaN for the cheapest) and
    dominated_by.
    """
    names, c, e = _inputs(strategies, costs, effects)
    k = len(names)
    order = sorted(range(k), key=lambda i: (c[i], -e[i], i))
    status = {i: "frontier" for i in range(k)}
    by: dict[int, str] = {}
    # (a) identical options: the first listed represents them
    for i in range(k):
        if status[i] != "frontier":
            continue
        for j in range(i + 1, k):
            if status[j] == "frontier" and _close(c[i], c[j]) and _close(e[i], e[j]):
                status[j], by[j] = "equivalent", names[i]
    live = [i for i in order if status[i] == "frontier"]
    # (b, c) strict dominance: in cost order, anything not more effective than the best so far
    best = None
    kept = []
    for i in live:
        if best is not None and (e[i] < e[best] or _close(e[i], e[best])):
            status[i], by[i] = "dominated", names[best]
            continue
        kept.append(i)
        best = i
    # extended dominance, repeated until frontier ICERs do not decrease
    frontier = kept
    while len(frontier) > 2:
        icers = [(c[b] - c[a]) / (e[b] - e[a]) for a, b in zip(frontier, frontier[1:],
                                                                  strict=False)]
        drop = next((j for j in range(len(icers) - 1)
                     if icers[j] > icers[j + 1] and not _close(icers[j], icers[j + 1])), None)
        if drop is None:
            break
        i = frontier[drop + 1]
        status[i] = "extendedly dominated"
        by[i] = f"{names[frontier[drop]]} and {names[frontier[drop + 2]]}"
        frontier = frontier[: drop + 1] + frontier[drop + 2:]
    rows = []
    prev = {b: a for a, b in zip(frontier, frontier[1:], strict=False)}
    for i in order:
        row = {"strategy": names[i], "cost": c[i], "effect": e[i], "status": status[i],
               "compared_with": None, "inc_cost": np.nan, "inc_effect": np.nan,
               "icer": np.nan, "dominated_by": by.get(i)}
        if i in prev:
            a = prev[i]
            row.update(compared_with=names[a], inc_cost=c[i] - c[a], inc_effect=e[i] - e[a],
                       icer=(c[i] - c[a]) / (e[i] - e[a]))
        rows.append(row)
    return pd.DataFrame(rows)


def frontier_by_wtp(table: pd.DataFrame) -> pd.DataFrame:
    """The willingness-to-pay interval [wtp_from, wtp_to) on which each frontier strategy is
    optimal by net monetary benefit (WTP >= 0), read from an :func:`incremental_table`."""
    f = table[table["status"] == "frontier"].reset_index(drop=True)
    icers = f["icer"].to_numpy()
    lo = np.concatenate([[0.0], icers[1:]])
    hi = np.concatenate([icers[1:], [np.inf]])
    out = pd.DataFrame({"strategy": f["strategy"], "wtp_from": np.maximum(lo, 0.0),
                        "wtp_to": np.maximum(hi, 0.0)})
    return out[out["wtp_to"] > out["wtp_from"]].reset_index(drop=True)


# ------------------------------------------------------------------------- net benefit
def _wtp(wtp: float | Sequence[float]) -> np.ndarray:
    w = np.asarray(wtp, dtype=float)
    if w.ndim > 1 or w.size == 0 or not np.isfinite(w).all():
        raise InputError("willingness to pay must be a finite number or a list of them")
    return w


def nmb(costs: np.ndarray, effects: np.ndarray, wtp: float | Sequence[float]) -> np.ndarray:
    """Net monetary benefit effect x WTP - cost. A scalar WTP keeps the shape of ``costs``;
    a list of WTP values adds a last axis."""
    c, e, w = np.asarray(costs, dtype=float), np.asarray(effects, dtype=float), _wtp(wtp)
    if c.shape != e.shape:
        raise InputError(f"costs {c.shape} and effects {e.shape} differ in shape")
    return e * w - c if w.ndim == 0 else e[..., None] * w - c[..., None]


def nhb(costs: np.ndarray, effects: np.ndarray, wtp: float | Sequence[float]) -> np.ndarray:
    """Net health benefit effect - cost / WTP (WTP > 0), shaped as :func:`nmb`."""
    c, e, w = np.asarray(costs, dtype=float), np.asarray(effects, dtype=float), _wtp(wtp)
    if np.any(w <= 0):
        raise InputError("net health benefit needs a willingness to pay > 0")
    if c.shape != e.shape:
        raise InputError(f"costs {c.shape} and effects {e.shape} differ in shape")
    return e - c / w if w.ndim == 0 else e[..., None] - c[..., None] / w


def incremental_nmb(strategies: Sequence[str], costs: Sequence[float],
                    effects: Sequence[float], comparator: str,
                    wtp: float | Sequence[float]) -> pd.DataFrame:
    """INMB of every strategy against ``comparator`` at each WTP: columns wtp, one per
    strategy (the comparator's column is 0)."""
    names, c, e = _inputs(strategies, costs, effects)
    if comparator not in names:
        raise InputError(f"unknown comparator {comparator!r}; strategies are {names}")
    w = np.atleast_1d(_wtp(wtp))
    j = names.index(comparator)
    nb = nmb(c, e, w)  # (k, w)
    out = pd.DataFrame((nb - nb[j]).T, columns=names)
    out.insert(0, "wtp", w)
    return out


def optimal_strategy(strategies: Sequence[str], costs: Sequence[float],
                     effects: Sequence[float], wtp: float | Sequence[float]) -> list[str]:
    """The strategy with the highest NMB at each WTP. Exact ties go to the cheapest, then the
    most effective, then the first listed (so the choice is never a dominated option)."""
    names, c, e = _inputs(strategies, costs, effects)
    w = np.atleast_1d(_wtp(wtp))
    order = sorted(range(len(names)), key=lambda i: (c[i], -e[i], i))
    nb = nmb(c[order], e[order], w)  # (k, w), cheapest first
    return [names[order[int(i)]] for i in nb.argmax(axis=0)]
