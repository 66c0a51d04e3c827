"""Strategies: a cohort model, a partitioned-survival model, or a tree followed by a model."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hecon.engine.accumulate import Accumulator, Totals
from hecon.engine.markov import MarkovModel, ModelOutput
from hecon.engine.params import ParamView
from hecon.engine.psm import PartitionedSurvivalModel
from hecon.engine.settings import Settings
from hecon.engine.tree import Chance, rollback
from hecon.errors import ModelError

Model = MarkovModel | PartitionedSurvivalModel


@dataclass
class Hybrid:
    """A decision tree (e.g. the acute phase) whose terminal states start a cohort model.

    The tree's payoffs are counted once, discounted to ``tree_time`` (years, default 0); the
    cohort model starts at its own ``start_time`` (set it to the tree's duration, e.g. 0.5 years
    for a 180-day acute phase) so that its discounting continues where the tree ends. Every
    terminal state must be a state of the model. With ``model=None`` only the tree is counted
    (e.g. a horizon equal to the acute phase). ``extras`` adds named per-sample outputs computed
    from the roll-back (e.g. the proportion alive at the end of the tree).
    """

    name: str
    tree: Chance
    model: MarkovModel | None = None
    tree_time: float = 0.0
    extras: Mapping[str, Callable[[Any, ParamView], np.ndarray]] = field(default_factory=dict)

    def run(
        self, p: ParamView, settings: Settings | None = None, keep_trace: bool = True
    ) -> ModelOutput:
        """Roll back the tree, start the model from its terminal distribution, add payoffs."""
        settings = settings or Settings()
        rb = rollback(self.tree, p, f"strategy {self.name!r}")
        extras = {k: np.asarray(f(rb, p), dtype=float) for k, f in self.extras.items()}
        for state, share in rb.terminal.items():
            extras[f"p_end_{state}"] = share
        if self.model is None:
            acc = Accumulator(p.n, 1, 1.0, 0.0, settings, np.ones(1, dtype=bool),
                              record=keep_trace)
            out = ModelOutput(acc.t, None, [], np.zeros(1), 0.0, {}, per_cycle=acc.per_cycle())
        else:
            lay = self.model.layout
            for state in rb.terminal:
                lay.check_state(state, f"strategy {self.name!r}, tree terminal")
            start = np.stack([rb.terminal.get(s, np.zeros(p.n)) for s in lay.names], axis=1)
            out = self.model.run(p, settings, keep_trace, start=start)
        _add_once(out.totals, settings, rb.costs, rb.qalys, rb.life_years, self.tree_time)
        if out.per_cycle is not None:
            _record_tree(out.per_cycle, settings, rb, self.tree_time)
        out.extras.update(extras)
        return out


def _add_once(
    t: Totals,
    settings: Settings,
    costs: dict[str, np.ndarray],
    qalys: np.ndarray,
    life_years: np.ndarray,
    time: float,
) -> None:
    dc = float(settings.discount_costs.factor(time))
    de = float(settings.discount_effects.factor(time))
    n = qalys.shape[0]
    for cat, v in costs.items():
        t.costs[cat] = t.costs.get(cat, np.zeros(n)) + v * dc
        t.costs_undisc[cat] = t.costs_undisc.get(cat, np.zeros(n)) + v
    t.qalys = t.qalys + qalys * de
    t.qalys_undisc = t.qalys_undisc + qalys
    t.life_years = t.life_years + life_years * de
    t.life_years_undisc = t.life_years_undisc + life_years


def _record_tree(rec: dict[str, np.ndarray], settings: Settings, rb: Any, time: float) -> None:
    """Add a tree's payoffs to a per-cycle record (one-off, at ``time``)."""
    dc = float(settings.discount_costs.factor(time))
    de = float(settings.discount_effects.factor(time))
    for cat, v in rb.costs.items():
        rec[f"tree|cost|{cat}"] = v * dc
        rec[f"tree|cost_undisc|{cat}"] = v
    for what, v in (("qalys", rb.qalys), ("life_years", rb.life_years)):
        rec[f"tree|{what}|"] = v * de
        rec[f"tree|{what}_undisc|"] = v
    rec["weights|tree_time"] = np.array(float(time))


def combine_per_cycle(
    parts: list[dict[str, np.ndarray] | None], weights: list[np.ndarray] | None = None
) -> dict[str, np.ndarray] | None:
    """Join per-cycle records: concatenated over sample chunks (``weights=None``) or summed
    with per-sample weights (subgroups of a Mixture). Convention arrays are taken from the
    first part (they are the same in every part)."""
    if not parts or any(q is None for q in parts):
        return None
    keys: list[str] = []
    for q in parts:
        keys += [k for k in q if k not in keys]
    out: dict[str, np.ndarray] = {}
    for k in keys:
        if k.startswith("weights|"):
            out[k] = parts[0][k]
            continue
        if weights is None:
            out[k] = np.concatenate([q[k] for q in parts])
            continue
        ref = next(q[k] for q in parts if k in q)
        total = np.zeros_like(ref)
        for w, q in zip(weights, parts, strict=True):
            if k in q:
                total = total + w.reshape((-1,) + (1,) * (ref.ndim - 1)) * q[k]
        out[k] = total
    return out


def run_strategy(
    strategy: Model | Hybrid, p: ParamView, settings: Settings, keep_trace: bool
) -> ModelOutput:
    """Run any strategy type."""
    if not hasattr(strategy, "run"):
        raise ModelError(f"not a strategy: {strategy!r}")
    return strategy.run(p, settings, keep_trace)


@dataclass
class Mixture:
    """A heterogeneous cohort: the same strategy run for subgroups and weighted.

    ``components`` is a list of ``(weight, strategy, overrides)``: the weight is a number or a
    callable of the parameters (e.g. the share of men), and ``overrides`` maps parameter names
    to values for that subgroup (e.g. ``{"male": 1.0}``). Weights must sum to 1 per sample.
    Totals, traces and extra outputs are the weighted sums of the subgroups' (exact for a
    cohort model, since results are linear in the starting cohort).
    """

    name: str
    components: list[tuple[Any, Any, Mapping[str, Any]]]

    def run(
        self, p: ParamView, settings: Settings | None = None, keep_trace: bool = True
    ) -> ModelOutput:
        """Run each subgroup and weight the results."""
        settings = settings or Settings()
        weights = [
            np.broadcast_to(np.asarray(w(p) if callable(w) else w, dtype=float), (p.n,))
            for w, _, _ in self.components
        ]
        for j, w in enumerate(weights):
            neg = np.flatnonzero(~(w >= 0))
            if neg.size:
                i = int(neg[0])
                raise ModelError(
                    f"strategy {self.name!r}: subgroup {j} has weight {float(w[i]):.12g}, "
                    f"below 0, sample {i}"
                )
        total_w = np.sum(weights, axis=0)
        bad = np.flatnonzero(~(np.abs(total_w - 1.0) <= 1e-9))
        if bad.size:
            i = int(bad[0])
            raise ModelError(
                f"strategy {self.name!r}: subgroup weights sum to {total_w[i]:.12g}, not 1, "
                f"sample {i}"
            )
        outs = []
        for (_, strat, overrides), w in zip(self.components, weights, strict=True):
            q = ParamView({**dict(p.items()), **dict(overrides)}, n=p.n)
            outs.append((w, strat.run(q, settings, keep_trace)))
        first = outs[0][1]
        t = Totals(
            costs={},
            costs_undisc={},
            qalys=np.zeros(p.n),
            qalys_undisc=np.zeros(p.n),
            life_years=np.zeros(p.n),
            life_years_undisc=np.zeros(p.n),
        )
        for w, o in outs:
            for cat, v in o.totals.costs.items():
                t.costs[cat] = t.costs.get(cat, np.zeros(p.n)) + w * v
                t.costs_undisc[cat] = t.costs_undisc.get(cat, np.zeros(p.n)) + (
                    w * o.totals.costs_undisc[cat]
                )
            for f in ("qalys", "qalys_undisc", "life_years", "life_years_undisc"):
                setattr(t, f, getattr(t, f) + w * getattr(o.totals, f))
        trace = None
        if first.trace is not None:
            trace = sum(w[:, None, None] * o.trace for w, o in outs)
        extras = {}
        for k, v in first.extras.items():
            if np.ndim(v) == 1:
                extras[k] = sum(w * o.extras[k] for w, o in outs)
        diagnostics = {  # e.g. crossing cycles: the most affected subgroup
            k: np.max([o.diagnostics[k] for _, o in outs], axis=0) for k in first.diagnostics
        }
        per_cycle = combine_per_cycle([o.per_cycle for _, o in outs], [w for w, _ in outs])
        return ModelOutput(t, trace, first.states, first.times, first.start_time, extras,
                           diagnostics, per_cycle)
