"""Fully incremental cost-effectiveness analysis and net benefit, on plain tables.

:func:`incremental_table` takes any number of strategies with a cost and an effect each (three
sequences, or one DataFrame with columns ``strategy``, ``cost``, ``effect``) and returns every
strategy with its status, ordered by cost, then by effect (most effective first, as dampack's
``calculate_icers``). The rules, applied in this order:

1. **Equivalent** (tie rule a): strategies with equal cost *and* equal effect are one option.
   The first *listed* represents them in the analysis; the others get status ``equivalent`` and
   ``dominated_by`` names the representative (they share its standing: if the representative
   is dominated, so in effect are they).
2. **Strictly (simply) dominated**: another strategy costs no more and is at least as
   effective (one of the two strictly, as equivalents are already set aside). This covers same
   cost with lower effect (rule b) and same effect with higher cost (rule c). ``dominated_by``
   names the non-dominated strategy that dominates it with the highest effect (the cheapest of
   those on a tie), which is on the frontier.
3. **Extendedly dominated**: among the remaining strategies in cost order, a strategy whose
   ICER against the previous one exceeds the next one's ICER is removed (a mix of its two
   neighbours would give at least its effect for less cost), and the ICERs are recomputed;
   this repeats until frontier ICERs no longer decrease, so chained extended dominance (a
   removal revealing another) is handled. ``dominated_by`` names the two neighbours at the time
   of removal, as ``"<cheaper> and <dearer>"``.
   Rule d: a strategy whose ICER *equals* the next one's (collinear options) is **not**
   extendedly dominated; it stays on the frontier. Mixing its neighbours would only match it,
   not beat it (weak, not strict, dominance). This is dampack's rule (``ICER[i] > ICER[i+1]``
   flags extended dominance, so equal ICERs do not), and it keeps the frontier the full lower
   convex hull of the cost-effect plane.
4. The rest is the efficiency frontier (status ``frontier``). Each frontier strategy has
   ``compared_with``, ``inc_cost``, ``inc_effect`` and ``icer`` against the previous frontier
   strategy; the cheapest frontier strategy is the reference and has none (NaN / None). Along
   the frontier cost and effect strictly increase, and ICERs are non-decreasing (strictly
   increasing except between collinear options, rule d).

"Equal" throughout (costs, effects, ICERs, NMB ties) means ``|a - b| <= 1e-12 * max(1, |a|,
|b|)``: a relative tolerance of 1e-12, with an absolute floor of 1e-12 for numbers below 1.
It only absorbs floating-point rounding; genuinely different inputs are never merged.

Net benefit: :func:`nmb` (WTP x effect - cost), :func:`nhb` (effect - cost / WTP),
:func:`incremental_nmb` (alias :func:`inmb`) against a named comparator, :func:`optimal_strategy`
(highest NMB at each WTP; ties go to the cheapest frontier strategy, which for exact ties is
the cheapest, then the most effective, then the first listed) and :func:`frontier_by_wtp` (the WTP
interval on which each frontier strategy is optimal, read from the incremental table, which a
test checks against :func:`optimal_strategy`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hecon.errors import InputError

RTOL = 1e-12
"""Tolerance for "equal": ``|a - b| <= RTOL * max(1, |a|, |b|)``."""

STATUSES = ("frontier", "dominated", "extendedly dominated", "equivalent")
COLUMNS = ("strategy", "cost", "effect", "inc_cost", "inc_effect", "icer", "status",
           "compared_with", "dominated_by")

Strategies = Sequence[str] | pd.DataFrame
Numbers = Sequence[float] | np.ndarray | None
Wtp = float | Sequence[float] | np.ndarray
Result = np.ndarray | pd.Series | pd.DataFrame


def _close(a: float, b: float) -> bool:
    if not (np.isfinite(a) and np.isfinite(b)):
        return bool(a == b)
    return abs(a - b) <= RTOL * max(1.0, abs(a), abs(b))


def _le(a: float, b: float) -> bool:
    """a <= b, with equality up to the tolerance."""
    return a < b or _close(a, b)


def _close_matrix(a: np.ndarray) -> np.ndarray:
    """``out[i, j]``: a[i] equals a[j] up to the tolerance (as :func:`_close`)."""
    x, y = a[:, None], a[None, :]
    return np.abs(x - y) <= RTOL * np.maximum(1.0, np.maximum(np.abs(x), np.abs(y)))


def _le_matrix(a: np.ndarray) -> np.ndarray:
    """``out[i, j]``: a[i] <= a[j], with equality up to the tolerance (as :func:`_le`)."""
    return (a[:, None] < a[None, :]) | _close_matrix(a)


def _inputs(strategies: Strategies, costs: Numbers,
            effects: Numbers) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Names, costs and effects from three sequences or a strategy/cost/effect table."""
    if isinstance(strategies, pd.DataFrame):
        if costs is not None or effects is not None:
            raise InputError("pass either a table with columns strategy, cost, effect, or "
                             "strategies, costs and effects; not both")
        df = strategies
        missing = {"strategy", "cost", "effect"} - set(df.columns)
        if missing:
            raise InputError(f"the table needs columns strategy, cost, effect; missing "
                             f"{sorted(missing)}")
        names, costs, effects = df["strategy"].astype(str).tolist(), df["cost"], df["effect"]
    else:
        if costs is None or effects is None:
            raise InputError("costs and effects are needed (one of each per strategy)")
        names = [str(s) for s in strategies]
    try:
        c = np.asarray(costs, dtype=float)
        e = np.asarray(effects, dtype=float)
    except (TypeError, ValueError) as err:
        raise InputError(f"costs and effects must be numbers: {err}") from None
    if c.ndim > 1 or e.ndim > 1:
        raise InputError(f"costs {c.shape} and effects {e.shape} must be one value per "
                         "strategy (1-D)")
    c, e = c.ravel(), e.ravel()
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


def _order(c: np.ndarray, e: np.ndarray) -> list[int]:
    """Indices by cost, then effect (most effective first), then listing order."""
    return sorted(range(c.size), key=lambda i: (c[i], -e[i], i))


def incremental_table(
    strategies: Strategies,
    costs: Numbers = None,
    effects: Numbers = None,
    group: str | None = None,
) -> pd.DataFrame:
    """Fully incremental analysis of any number of strategies (with ``group``, the name of a
    column of the ``strategies`` table: one analysis per group, see :func:`by_group`).

    Args:
        strategies: strategy names, or a DataFrame with columns strategy, cost, effect (then
            leave ``costs`` and ``effects`` out).
        costs: one cost per strategy.
        effects: one effect (e.g. QALYs) per strategy.

    Returns:
        One row per strategy (all kept), ordered by cost, then effect (most effective first),
        then listing order, with columns strategy, cost, effect, inc_cost, inc_effect, icer,
        status (``frontier``, ``dominated``, ``extendedly dominated``, ``equivalent``),
        compared_with and dominated_by. Increments and ICERs are filled for frontier rows
        except the cheapest (the reference), NaN elsewhere. See the module docstring for every
        rule, including exact ties.

    Raises:
        InputError: no strategies, mismatched lengths, duplicate names, or a missing /
            non-finite cost or effect.
    """
    if group is not None:
        return by_group(strategies, group, incremental_table)  # type: ignore[arg-type]
    names, c, e = _inputs(strategies, costs, effects)
    k = len(names)
    order = _order(c, e)
    status = dict.fromkeys(range(k), "frontier")
    by: dict[int, str] = {}
    # (a) identical options: the first listed represents them
    same = _close_matrix(c) & _close_matrix(e)
    for i in range(k):
        if status[i] != "frontier":
            continue
        for j in np.flatnonzero(same[i, i + 1:]) + i + 1:
            if status[int(j)] == "frontier":
                status[int(j)], by[int(j)] = "equivalent", names[i]
    live = [i for i in order if status[i] == "frontier"]
    # (b, c) strict dominance: another option costs no more and is at least as effective
    lc, le = c[live], e[live]
    dom = _le_matrix(lc) & _le_matrix(le).T & ~np.eye(len(live), dtype=bool)
    # dom[j, i]: live[j] costs no more than live[i] and is at least as effective
    dominators = {i: [live[j] for j in np.flatnonzero(dom[:, n])] for n, i in enumerate(live)}
    kept = [i for i in live if not dominators[i]]
    kept_set = set(kept)
    for i in live:
        if dominators[i]:
            cands = [j for j in dominators[i] if j in kept_set] or dominators[i]
            # the most effective; on an effect tie the cheapest (cands are in cost order)
            best = cands[0]
            for j in cands[1:]:
                if e[j] > e[best] and not _close(e[j], e[best]):
                    best = j
            status[i], by[i] = "dominated", names[best]
    # extended dominance, repeated until frontier ICERs do not decrease (rule d: equal stays)
    frontier = kept
    while len(frontier) > 2:
        icers = [(c[b] - c[a]) / (e[b] - e[a])
                 for a, b in zip(frontier, frontier[1:], strict=False)]
        drop = next((j for j in range(len(icers) - 1)
                     if icers[j] > icers[j + 1] and not _close(icers[j], icers[j + 1])), None)
        if drop is None:
            break
        i = frontier[drop + 1]
        status[i] = "extendedly dominated"
        by[i] = f"{names[frontier[drop]]} and {names[frontier[drop + 2]]}"
        frontier = frontier[: drop + 1] + frontier[drop + 2:]
    prev = dict(zip(frontier[1:], frontier, strict=False))
    rows = []
    for i in order:
        row = {"strategy": names[i], "cost": c[i], "effect": e[i], "inc_cost": np.nan,
               "inc_effect": np.nan, "icer": np.nan, "status": status[i],
               "compared_with": None, "dominated_by": by.get(i)}
        if i in prev:
            a = prev[i]
            row.update(compared_with=names[a], inc_cost=c[i] - c[a], inc_effect=e[i] - e[a],
                       icer=(c[i] - c[a]) / (e[i] - e[a]))
        rows.append(row)
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    for col in ("compared_with", "dominated_by"):  # None (not NaN) where empty
        out[col] = pd.Series([r[col] for r in rows], dtype=object)
    return out


def frontier_by_wtp(
    strategies: Strategies,
    costs: Numbers = None,
    effects: Numbers = None,
) -> pd.DataFrame:
    """The willingness-to-pay interval on which each frontier strategy is optimal by NMB.

    Args:
        strategies: an :func:`incremental_table` result (columns strategy, status, icer), or
            anything :func:`incremental_table` accepts (names with ``costs`` and ``effects``,
            or a strategy/cost/effect table), which is analysed first.
        costs, effects: as for :func:`incremental_table`.

    Returns:
        Columns strategy, wtp_from, wtp_to, over WTP >= 0, in frontier order. The bounds are
        the frontier ICERs. At a bound the two neighbours tie on NMB and, by the tie rule of
        :func:`optimal_strategy`, the cheaper one is chosen: the first strategy is optimal on
        [0, wtp_to] and each later one on (wtp_from, wtp_to], the last up to infinity. A
        collinear middle strategy (rule d) ties with both neighbours at a single WTP and is
        never the choice, so it has no interval and no row.
    """
    if isinstance(strategies, pd.DataFrame) and {"status", "icer"} <= set(strategies.columns):
        if costs is not None or effects is not None:
            raise InputError("pass an incremental table alone, without costs and effects")
        if "strategy" not in strategies.columns:
            raise InputError("the incremental table needs a strategy column")
        table = strategies
    else:
        table = incremental_table(strategies, costs, effects)
    f = table[table["status"] == "frontier"].reset_index(drop=True)
    if f.empty:
        raise InputError("the incremental table has no frontier strategy")
    icers = f["icer"].to_numpy(dtype=float)
    lo = np.concatenate([[0.0], icers[1:]])
    hi = np.concatenate([icers[1:], [np.inf]])
    lo, hi = np.maximum(lo, 0.0), np.maximum(hi, 0.0)
    # only a collinear middle strategy (equal ICERs either side, rule d) has no interval
    keep = [bool(h > lo_ and (i == 0 or not _close(h, lo_)))
            for i, (lo_, h) in enumerate(zip(lo, hi, strict=True))]
    out = pd.DataFrame({"strategy": f["strategy"], "wtp_from": lo, "wtp_to": hi})
    out = out[keep].reset_index(drop=True)
    # the intervals tile [0, inf): across a dropped collinear strategy, the two equal ICERs
    # may differ by rounding; the next interval's start is taken as the end of this one
    out["wtp_to"] = np.append(out["wtp_from"].to_numpy()[1:], np.inf)
    return out


def by_group(table: pd.DataFrame, group: str, fn: object, **kwargs: object) -> pd.DataFrame:
    """``fn(rows, **kwargs)`` on the rows of each value of the column ``group`` of a
    strategy/cost/effect ``table`` (without the group column), stacked with that column
    first, groups in order of first appearance: one tidy table for all subgroups (hesim's
    ``cea(grp=)``). E.g. ``by_group(t, "age group", incremental_table)``."""
    if not isinstance(table, pd.DataFrame) or group not in table.columns:
        raise InputError(f"a table with a column {group!r} is needed for results by group",
                         parameter=str(group))
    if table[group].isna().any():
        raise InputError(f"row {int(np.flatnonzero(table[group].isna())[0])} has no "
                         f"{group!r} label", parameter=str(group))
    frames = []
    for label in pd.unique(table[group]):
        rows = table[table[group] == label].drop(columns=[group])
        out = fn(rows, **kwargs)  # type: ignore[operator]
        if not isinstance(out, pd.DataFrame):
            out = pd.DataFrame({"wtp": np.atleast_1d(_wtp(kwargs.get("wtp"))),
                                "optimal": out})
        out.insert(0, group, label)
        frames.append(out)
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------- net benefit
def _wtp(wtp: Wtp | None) -> np.ndarray:
    if wtp is None:
        raise InputError("a willingness to pay (a number or a list of numbers) is needed")
    try:
        w = np.asarray(wtp, dtype=float)
    except (TypeError, ValueError):
        raise InputError("willingness to pay must be a finite number or a list of them") from None
    if w.ndim > 1 or w.size == 0 or not np.isfinite(w).all():
        raise InputError("willingness to pay must be a finite number or a 1-D list of them")
    return w


def _arrays(costs: object, effects: object) -> tuple[np.ndarray, np.ndarray]:
    try:
        c, e = np.asarray(costs, dtype=float), np.asarray(effects, dtype=float)
    except (TypeError, ValueError):
        raise InputError("costs and effects must be arrays of numbers") from None
    if c.shape != e.shape:
        raise InputError(f"costs {c.shape} and effects {e.shape} differ in shape")
    if not (np.isfinite(c).all() and np.isfinite(e).all()):
        raise InputError("costs and effects must be finite (no NaN or infinity)")
    return c, e


def _labelled(out: np.ndarray, like: object, w: np.ndarray) -> Result:
    """Keep pandas labels: Series/DataFrame in with one WTP -> same type out; a Series with
    several WTP -> DataFrame (rows the Series index, columns the WTP values)."""
    if isinstance(like, pd.Series):
        if w.ndim == 0:
            return pd.Series(out, index=like.index, name=like.name)
        return pd.DataFrame(out, index=like.index, columns=pd.Index(w, name="wtp"))
    if isinstance(like, pd.DataFrame) and w.ndim == 0:
        return pd.DataFrame(out, index=like.index, columns=like.columns)
    return out


def nmb(costs: object, effects: object, wtp: Wtp) -> Result:
    """Net monetary benefit ``effect x WTP - cost``, vectorised.

    Args:
        costs, effects: arrays of the same shape, e.g. (k,) one per strategy or (n, k) draws x
            strategies (pandas Series / DataFrame accepted).
        wtp: one WTP, or a 1-D list of them.

    Returns:
        With one WTP, an array shaped like ``costs``; with a list of WTP, the same with a last
        axis over WTP, e.g. (k, w) or (n, k, w). pandas in, pandas out where the result is 1-D
        or 2-D (see ``_labelled``).

    Raises:
        InputError: shapes differ, non-finite values, or a bad WTP.
    """
    c, e = _arrays(costs, effects)
    w = _wtp(wtp)
    out = e * w - c if w.ndim == 0 else e[..., None] * w - c[..., None]
    return _labelled(out, costs, w)


def nhb(costs: object, effects: object, wtp: Wtp) -> Result:
    """Net health benefit ``effect - cost / WTP`` (every WTP > 0), shaped as :func:`nmb`."""
    c, e = _arrays(costs, effects)
    w = _wtp(wtp)
    if np.any(w <= 0):
        raise InputError("net health benefit needs a willingness to pay > 0")
    out = e - c / w if w.ndim == 0 else e[..., None] - c[..., None] / w
    return _labelled(out, costs, w)


def incremental_nmb(
    strategies: Strategies,
    costs: Numbers = None,
    effects: Numbers = None,
    comparator: str | None = None,
    wtp: Wtp | None = None,
    group: str | None = None,
) -> pd.DataFrame:
    """Incremental net monetary benefit of every strategy against ``comparator`` (with
    ``group``, a column of the ``strategies`` table: one table per group, stacked).

    ``INMB = WTP x (effect - effect_comparator) - (cost - cost_comparator)``.

    Args:
        strategies, costs, effects: as for :func:`incremental_table` (with a table, pass
            ``comparator`` and ``wtp`` by keyword).
        comparator: name of the comparator strategy (required).
        wtp: one WTP or a list of them (required).

    Returns:
        One row per WTP: column ``wtp``, then one column per strategy in listing order (the
        comparator's column is 0).
    """
    if group is not None:
        return by_group(strategies, group, incremental_nmb,  # type: ignore[arg-type]
                        comparator=comparator, wtp=wtp)
    names, c, e = _inputs(strategies, costs, effects)
    if comparator is None:
        raise InputError("a comparator strategy is needed")
    if comparator not in names:
        raise InputError(f"unknown comparator {comparator!r}; strategies are {names}")
    w = np.atleast_1d(_wtp(wtp))
    j = names.index(comparator)
    nb = nmb(c, e, w)  # (k, w)
    out = pd.DataFrame((nb - nb[j]).T, columns=names)
    out.insert(0, "wtp", w)
    return out


inmb = incremental_nmb
"""Alias of :func:`incremental_nmb`."""


def optimal_strategy(
    strategies: Strategies,
    costs: Numbers = None,
    effects: Numbers = None,
    wtp: Wtp | None = None,
    group: str | None = None,
) -> list[str] | pd.DataFrame:
    """The strategy with the highest NMB at each WTP (with ``group``, a column of the
    ``strategies`` table: a table of group, wtp, optimal).

    Tie rule: strategies whose NMB equals the maximum (within the module tolerance, scaled
    to ``max(1, |effect|) x WTP + max(1, |cost|)``) tie, and the cheapest of them on the
    efficiency frontier of :func:`incremental_table` is chosen. For exact ties this is simply
    the cheapest, then the most effective, then the first listed: a dominated, extendedly
    dominated or later-listed equivalent option never wins a tie, and at a frontier ICER
    (where two neighbours tie) the cheaper one is chosen, as :func:`frontier_by_wtp` states.
    Tying through the table also keeps the choice on the frontier when the table's tolerant
    "equal" (e.g. costs 1e-13 apart) differs from exact arithmetic. (If no tied strategy is
    on the frontier, which exact arithmetic rules out, the first in the table's order wins.)

    Args:
        strategies, costs, effects: as for :func:`incremental_table` (with a table, pass
            ``wtp`` by keyword).
        wtp: one WTP or a list of them (required).

    Returns:
        One strategy name per WTP (a list even for a single WTP).
    """
    if group is not None:
        return by_group(strategies, group, optimal_strategy, wtp=wtp)  # type: ignore[arg-type]
    names, c, e = _inputs(strategies, costs, effects)
    w = np.atleast_1d(_wtp(wtp))
    status = incremental_table(names, c, e).set_index("strategy")["status"]
    # preference among tied options: frontier strategies by cost, then the rest, table order
    order = sorted(_order(c, e), key=lambda i: status[names[i]] != "frontier")
    co, eo = c[order], e[order]
    nb = eo[:, None] * w - co[:, None]  # (k, w), in order of preference
    best = nb.max(axis=0)
    scale = (np.maximum(1.0, np.abs(eo)).max() * np.abs(w)
             + np.maximum(1.0, np.abs(co)).max())
    first = (nb >= best - RTOL * scale).argmax(axis=0)  # the first of the tied
    return [names[order[int(i)]] for i in first]
