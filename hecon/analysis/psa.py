"""Probabilistic analysis summaries from draws of costs and effects (samples x strategies).

All functions take ``costs`` and ``effects`` arrays of shape (n, k) (one row per draw, one
column per strategy), strategy names, and willingness-to-pay (WTP) values, and return plain
DataFrames. Net monetary benefit is NMB = WTP x effect - cost.

Groups (hesim's ``cea(grp=)``): ``summary``, ``ceac``, ``ceaf`` and ``expected_loss`` take an
optional ``group`` of one label per draw row (e.g. subgroup PSA results stacked row-wise); the
analysis is then run on each group's rows and the tables are stacked with a ``group`` column
first, groups in order of first appearance.

Tie rule: when two strategies have exactly equal NMB in a draw (or equal expected NMB), the one
listed first counts as optimal (``numpy.argmax``), so probabilities still sum to 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hecon.errors import InputError


def _check(costs: np.ndarray, effects: np.ndarray,
           strategies: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    c = np.asarray(costs, dtype=float)
    e = np.asarray(effects, dtype=float)
    if c.ndim != 2 or c.shape != e.shape:
        raise InputError(f"costs {c.shape} and effects {e.shape} must both be (draws, strategies)")
    if c.shape[1] != len(strategies) or len(set(strategies)) != len(strategies):
        raise InputError("one unique strategy name per column is needed")
    if c.shape[0] < 1:
        raise InputError("no draws")
    if not (np.isfinite(c).all() and np.isfinite(e).all()):
        bad = int(np.flatnonzero(~(np.isfinite(c) & np.isfinite(e)).all(axis=1))[0])
        raise InputError(f"draw {bad} has a non-finite cost or effect")
    return c, e


def _wtp(wtp: float | Sequence[float] | np.ndarray) -> np.ndarray:
    w = np.atleast_1d(np.asarray(wtp, dtype=float))
    if w.ndim != 1 or w.size == 0 or not np.isfinite(w).all():
        raise InputError("willingness-to-pay values must be a non-empty list of finite numbers")
    return w


def _groups(group: object, n: int) -> list[tuple[object, np.ndarray]]:
    """(label, row mask) per group, in order of first appearance; one label per draw row."""
    g = pd.Series(np.asarray(group, dtype=object).ravel() if not isinstance(group, pd.Series)
                  else group.to_numpy(dtype=object))
    if g.size != n:
        raise InputError(f"the group column has {g.size} labels for {n} draws (one per draw)",
                         parameter="group")
    if g.isna().any():
        raise InputError(f"the group label of draw {int(np.flatnonzero(g.isna())[0])} is "
                         f"missing", parameter="group")
    return [(label, (g == label).to_numpy()) for label in pd.unique(g)]


def by_group(fn: object, costs: np.ndarray, effects: np.ndarray, group: object,
             *args: object, **kwargs: object) -> pd.DataFrame:
    """``fn(costs, effects, *args, **kwargs)`` on each group's draw rows, stacked with a
    ``group`` column first (the tidy table of hesim's ``cea(grp=)``)."""
    c, e = np.asarray(costs, dtype=float), np.asarray(effects, dtype=float)
    frames = []
    for label, rows in _groups(group, c.shape[0] if c.ndim else 0):
        t = fn(c[rows], e[rows], *args, **kwargs)  # type: ignore[operator]
        t.insert(0, "group", label)
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


def _mcse(x: np.ndarray) -> float:
    n = x.shape[0]
    return float(x.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")


def summary(
    costs: np.ndarray,
    effects: np.ndarray,
    strategies: Sequence[str],
    comparator: str | None = None,
    wtp: float | Sequence[float] | None = None,
    group: Sequence[object] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Mean, SD, Monte Carlo standard error (SD / sqrt(n)) and 95% interval (2.5th-97.5th
    percentile of the draws) of each strategy's cost and effect, and of every strategy's
    increments over ``comparator`` (default the last strategy): incremental cost and effect,
    INMB at each ``wtp``, and the ratio-of-means ICER with its delta-method MCSE. ``group``:
    one label per draw; a table per group with a ``group`` column (see the module docstring)."""
    if group is not None:
        return by_group(summary, costs, effects, group, strategies, comparator, wtp)
    strategies = list(strategies)
    c, e = _check(costs, effects, strategies)
    comp = strategies[-1] if comparator is None else comparator
    if comp not in strategies:
        raise InputError(f"unknown comparator {comp!r}")
    j = strategies.index(comp)
    rows = []

    def add(strategy: str, outcome: str, x: np.ndarray) -> None:
        rows.append({"strategy": strategy, "outcome": outcome, "mean": float(x.mean()),
                     "sd": float(x.std(ddof=1)) if x.size > 1 else float("nan"),
                     "mcse": _mcse(x), "p2.5": float(np.percentile(x, 2.5)),
                     "p97.5": float(np.percentile(x, 97.5))})

    for i, s in enumerate(strategies):
        add(s, "cost", c[:, i])
        add(s, "effect", e[:, i])
    n = c.shape[0]
    for i, s in enumerate(strategies):
        if i == j:
            continue
        label = f"{s} vs {comp}"
        dc, de = c[:, i] - c[:, j], e[:, i] - e[:, j]
        add(label, "inc_cost", dc)
        add(label, "inc_effect", de)
        for w in ([] if wtp is None else _wtp(wtp)):
            add(label, f"inmb@{w:g}", w * de - dc)
        mc, me = dc.mean(), de.mean()
        icer = mc / me if me != 0 else float("nan")
        se = float("nan")
        if n > 1 and me != 0:
            # Delta method: var(mean dc / mean de) ~ var(dc - icer * de) / (n * me^2).
            # Computed from the residuals (not from g' cov g, whose terms cancel) so that
            # draws with one common ICER give exactly zero instead of rounding noise.
            resid = dc - icer * de
            se = float(resid.std(ddof=1) / (np.sqrt(n) * abs(me)))
        rows.append({"strategy": label, "outcome": "icer (ratio of means)", "mean": icer,
                     "sd": float("nan"), "mcse": se, "p2.5": float("nan"),
                     "p97.5": float("nan")})
    return pd.DataFrame(rows)


def nmb(costs: np.ndarray, effects: np.ndarray, wtp: float | Sequence[float]) -> np.ndarray:
    """NMB of every draw and strategy at every WTP: shape (n, k, w)."""
    w = _wtp(wtp)
    c = np.asarray(costs, dtype=float)
    e = np.asarray(effects, dtype=float)
    return e[..., None] * w - c[..., None]


def ceac(
    costs: np.ndarray,
    effects: np.ndarray,
    strategies: Sequence[str],
    wtp: float | Sequence[float],
    group: Sequence[object] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Cost-effectiveness acceptability curves: for each WTP, the share of draws in which
    each strategy has the highest NMB. Columns: wtp, then one per strategy."""
    if group is not None:
        return by_group(ceac, costs, effects, group, strategies, wtp)
    strategies = list(strategies)
    c, e = _check(costs, effects, strategies)
    w = _wtp(wtp)
    best = nmb(c, e, w).argmax(axis=1)  # (n, w)
    k = len(strategies)
    prob = np.stack([(best == i).mean(axis=0) for i in range(k)], axis=1)
    out = pd.DataFrame(prob, columns=strategies)
    out.insert(0, "wtp", w)
    return out


def ceaf(
    costs: np.ndarray,
    effects: np.ndarray,
    strategies: Sequence[str],
    wtp: float | Sequence[float],
    group: Sequence[object] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Cost-effectiveness acceptability frontier: at each WTP the strategy with the highest
    *expected* NMB (the decision) and the probability that it is cost-effective."""
    if group is not None:
        return by_group(ceaf, costs, effects, group, strategies, wtp)
    strategies = list(strategies)
    c, e = _check(costs, effects, strategies)
    w = _wtp(wtp)
    opt = nmb(c, e, w).mean(axis=0).argmax(axis=0)  # (w,)
    curves = ceac(c, e, strategies, w)
    prob = np.array([curves[strategies[o]].iloc[i] for i, o in enumerate(opt)])
    return pd.DataFrame({"wtp": w, "optimal": [strategies[o] for o in opt],
                         "probability": prob})


def expected_loss(
    costs: np.ndarray,
    effects: np.ndarray,
    strategies: Sequence[str],
    wtp: float | Sequence[float],
    group: Sequence[object] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Expected loss of choosing each strategy: mean over draws of (best NMB in the draw -
    the strategy's NMB). The smallest at each WTP is the per-person EVPI (Eckermann & Willan).
    Columns: wtp, one per strategy, and ``evpi``."""
    if group is not None:
        return by_group(expected_loss, costs, effects, group, strategies, wtp)
    strategies = list(strategies)
    c, e = _check(costs, effects, strategies)
    w = _wtp(wtp)
    nb = nmb(c, e, w)
    loss = (nb.max(axis=1, keepdims=True) - nb).mean(axis=0)  # (k, w)
    out = pd.DataFrame(loss.T, columns=strategies)
    out.insert(0, "wtp", w)
    out["evpi"] = loss.min(axis=0)
    return out


def convergence(
    costs: np.ndarray,
    effects: np.ndarray,
    strategies: Sequence[str],
    wtp: float,
    intervention: str | None = None,
    comparator: str | None = None,
    points: int = 40,
) -> pd.DataFrame:
    """Running means of incremental cost, effect and INMB (with MCSE) and the running
    probability that the intervention is cost-effective, at ``points`` draw counts spaced
    geometrically up to n: the view that shows whether the number of draws is enough."""
    strategies = list(strategies)
    c, e = _check(costs, effects, strategies)
    a = strategies.index(intervention) if intervention else 0
    b = strategies.index(comparator) if comparator else len(strategies) - 1
    n = c.shape[0]
    dc, de = c[:, a] - c[:, b], e[:, a] - e[:, b]
    inmb = wtp * de - dc
    ns = np.unique(np.geomspace(min(10, n), n, num=max(2, points)).round().astype(int))
    rows = []
    for m in ns:
        rows.append({
            "draws": int(m),
            "inc_cost": dc[:m].mean(), "inc_cost_mcse": _mcse(dc[:m]),
            "inc_effect": de[:m].mean(), "inc_effect_mcse": _mcse(de[:m]),
            "inmb": inmb[:m].mean(), "inmb_mcse": _mcse(inmb[:m]),
            "prob_cost_effective": float((inmb[:m] > 0).mean()),
        })
    return pd.DataFrame(rows)


def ce_plane(
    costs: np.ndarray,
    effects: np.ndarray,
    strategies: Sequence[str],
    comparator: str | None = None,
) -> pd.DataFrame:
    """Incremental cost and effect of every strategy against ``comparator`` in every draw
    (long table: draw, strategy, inc_effect, inc_cost)."""
    strategies = list(strategies)
    c, e = _check(costs, effects, strategies)
    comp = strategies[-1] if comparator is None else comparator
    j = strategies.index(comp)
    frames = [
        pd.DataFrame({"draw": np.arange(c.shape[0]), "strategy": s,
                      "inc_effect": e[:, i] - e[:, j], "inc_cost": c[:, i] - c[:, j]})
        for i, s in enumerate(strategies) if i != j
    ]
    return pd.concat(frames, ignore_index=True)


OUTCOME_LABELS = {
    "inc_cost": "Incremental cost",
    "inc_effect": "Incremental QALYs",
    "inmb": "Incremental net monetary benefit",
    "icer": "ICER (cost per QALY gained)",
}
"""Reader-facing names of the rows of :func:`icer_table` (override with ``labels``)."""


def _fmt(x: float, digits: int) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:,.{digits}f}"


def icer_table(
    costs: np.ndarray,
    effects: np.ndarray,
    strategies: Sequence[str],
    comparator: str | None = None,
    wtp: float | Sequence[float] | None = None,
    group: Sequence[object] | np.ndarray | None = None,
    *,
    money_digits: int = 0,
    effect_digits: int = 3,
    labels: dict[str, str] | None = None,
) -> pd.DataFrame:
    """A presentable ICER table (hesim's ``icer()`` + ``format()``): for every strategy
    against ``comparator`` (default the last), the incremental cost, incremental effect, INMB
    at each ``wtp`` and the ICER, each with an estimate (the mean; the ICER as ratio of means)
    and a 95% interval from the PSA draws (2.5th-97.5th percentiles), rounded into a text
    column ``value`` such as ``"12,345 (10,000 to 15,000)"``.

    The ICER's interval is the percentile interval of the per-draw ICER when every draw's
    incremental effect has the same sign (the ICER is then monotone in the angle of the
    increment); otherwise there is no interval ("increments on both sides of 0 effect").
    A strategy cheaper and more effective on average is reported "dominant", dearer and less
    effective "dominated". ``labels`` maps strategy names and outcome keys (``inc_cost``,
    ``inc_effect``, ``inmb``, ``icer``) to the words readers see. Columns: [group,]
    comparison, outcome, estimate, lower, upper, value."""
    if group is not None:
        return by_group(icer_table, costs, effects, group, strategies, comparator, wtp,
                        money_digits=money_digits, effect_digits=effect_digits, labels=labels)
    strategies = list(strategies)
    c, e = _check(costs, effects, strategies)
    comp = strategies[-1] if comparator is None else comparator
    if comp not in strategies:
        raise InputError(f"unknown comparator {comp!r}")
    names = {**OUTCOME_LABELS, **{s: s for s in strategies}, **(labels or {})}
    j = strategies.index(comp)
    rows = []

    def add(comparison: str, key: str, est: float, lo: float, hi: float, digits: int,
            text: str | None = None) -> None:
        value = text or f"{_fmt(est, digits)} ({_fmt(lo, digits)} to {_fmt(hi, digits)})"
        rows.append({"comparison": comparison, "outcome": names.get(key, key),
                     "estimate": est, "lower": lo, "upper": hi, "value": value})

    for i, s in enumerate(strategies):
        if i == j:
            continue
        label = f"{names[s]} vs {names[comp]}"
        dc, de = c[:, i] - c[:, j], e[:, i] - e[:, j]
        for key, x, d in (("inc_cost", dc, money_digits), ("inc_effect", de, effect_digits)):
            add(label, key, float(x.mean()), *np.percentile(x, [2.5, 97.5]), d)
        for w in ([] if wtp is None else _wtp(wtp)):
            x = w * de - dc
            add(label, "inmb", float(x.mean()), *np.percentile(x, [2.5, 97.5]), money_digits)
            rows[-1]["outcome"] += f" at {w:,.0f}"
        mc, me = float(dc.mean()), float(de.mean())
        lo = hi = float("nan")
        if mc <= 0 < me or (mc < 0 and me == 0):
            add(label, "icer", float("nan"), lo, hi, money_digits, "dominant")
            continue
        if me <= 0 < mc or (mc > 0 and me == 0):
            add(label, "icer", float("nan"), lo, hi, money_digits, "dominated")
            continue
        if me == 0:  # no difference in cost or effect
            add(label, "icer", float("nan"), lo, hi, money_digits, "n/a (no difference)")
            continue
        est = mc / me
        if (de > 0).all() or (de < 0).all():
            lo, hi = np.percentile(dc / de, [2.5, 97.5])
            add(label, "icer", est, float(lo), float(hi), money_digits)
        else:
            add(label, "icer", est, lo, hi, money_digits,
                f"{_fmt(est, money_digits)} (no interval: increments on both sides of 0 "
                f"effect)")
    return pd.DataFrame(rows, columns=["comparison", "outcome", "estimate", "lower", "upper",
                                       "value"])
