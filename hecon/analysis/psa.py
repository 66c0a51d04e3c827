"""Probabilistic analysis summaries from draws of costs and effects (samples x strategies).

All functions take ``costs`` and ``effects`` arrays of shape (n, k) (one row per draw, one
column per strategy), strategy names, and willingness-to-pay (WTP) values, and return plain
DataFrames. Net monetary benefit is NMB = WTP x effect - cost.

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


def _mcse(x: np.ndarray) -> float:
    n = x.shape[0]
    return float(x.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")


def summary(
    costs: np.ndarray,
    effects: np.ndarray,
    strategies: Sequence[str],
    comparator: str | None = None,
    wtp: float | Sequence[float] | None = None,
) -> pd.DataFrame:
    """Mean, SD, Monte Carlo standard error (SD / sqrt(n)) and 95% interval (2.5th-97.5th
    percentile of the draws) of each strategy's cost and effect, and of every strategy's
    increments over ``comparator`` (default the last strategy): incremental cost and effect,
    INMB at each ``wtp``, and the ratio-of-means ICER with its delta-method MCSE."""
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
) -> pd.DataFrame:
    """Cost-effectiveness acceptability curves: for each WTP, the share of draws in which
    each strategy has the highest NMB. Columns: wtp, then one per strategy."""
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
) -> pd.DataFrame:
    """Cost-effectiveness acceptability frontier: at each WTP the strategy with the highest
    *expected* NMB (the decision) and the probability that it is cost-effective."""
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
) -> pd.DataFrame:
    """Expected loss of choosing each strategy: mean over draws of (best NMB in the draw -
    the strategy's NMB). The smallest at each WTP is the per-person EVPI (Eckermann & Willan).
    Columns: wtp, one per strategy, and ``evpi``."""
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
