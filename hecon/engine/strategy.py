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
            acc = Accumulator(p.n, 1, 1.0, 0.0, settings, np.ones(1, dtype=bool))
            out = ModelOutput(acc.t, None, [], np.zeros(1), 0.0, {})
        else:
            lay = self.model.layout
            for state in rb.terminal:
                lay.check_state(state, f"strategy {self.name!r}, tree terminal")
            start = np.stack([rb.terminal.get(s, np.zeros(p.n)) for s in lay.names], axis=1)
            out = self.model.run(p, settings, keep_trace, start=start)
        _add_once(out.totals, settings, rb.costs, rb.qalys, rb.life_years, self.tree_time)
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


def run_strategy(
    strategy: Model | Hybrid, p: ParamView, settings: Settings, keep_trace: bool
) -> ModelOutput:
    """Run any strategy type."""
    if not hasattr(strategy, "run"):
        raise ModelError(f"not a strategy: {strategy!r}")
    return strategy.run(p, settings, keep_trace)
