"""A strategy's transition matrix for one sample and cycle, as a labelled table."""

from __future__ import annotations

from typing import Any

import pandas as pd

from hecon.engine.markov import MarkovModel
from hecon.engine.params import ParamView, as_params
from hecon.engine.psm import PartitionedSurvivalModel
from hecon.engine.strategy import Hybrid, Mixture
from hecon.errors import ModelSpecError


def _markov(strategy: Any) -> MarkovModel:
    if isinstance(strategy, MarkovModel):
        return strategy
    if isinstance(strategy, Hybrid) and strategy.model is not None:
        return strategy.model
    name = getattr(strategy, "name", strategy)
    if isinstance(strategy, Hybrid):
        why = "is a decision tree without a cohort model, so it has no transition matrix"
    elif isinstance(strategy, PartitionedSurvivalModel):
        why = ("is a partitioned-survival model: membership comes from its curves, not from "
               "transition probabilities (see Results.trace)")
    elif isinstance(strategy, Mixture):
        why = ("is a mixture of subgroups, each with its own matrices: ask for one subgroup's "
               "strategy, with that subgroup's parameter overrides")
    else:
        why = "is not a MarkovModel or a Hybrid with a cohort model"
    raise ModelSpecError(f"strategy {name!r} {why}")


def transition_matrix(strategy: Any, params: Any, cycle: int = 1,
                      sample: int = 0) -> pd.DataFrame:
    """The validated transition matrix of ``strategy`` in ``cycle`` (1-based) for one sample
    of ``params`` (a Design, ParamView or mapping): rows are 'from', columns 'to', entries the
    probabilities of the cycle. Tunnel states appear as their sub-states ``name[j]`` (j cycles
    already spent there). For a Hybrid, the matrix of its cohort model."""
    model = _markov(strategy)
    p = as_params(params)
    if not (isinstance(cycle, int) and 1 <= cycle <= int(model.n_cycles)):
        raise ModelSpecError(f"strategy {model.name!r}: cycle {cycle!r} is not one of its cycles "
                             f"1..{int(model.n_cycles)}")
    if not (isinstance(sample, int) and 0 <= sample < p.n):
        raise ModelSpecError(f"sample {sample!r} is not one of the {p.n} samples (0..{p.n - 1})")
    one = ParamView({k: v[sample:sample + 1] for k, v in p.items()}, n=1)
    P = model.transition_matrix(one, model.cycle(one, cycle))[0]
    names = model._expanded_names()
    df = pd.DataFrame(P, index=pd.Index(names, name="from"), columns=pd.Index(names, name="to"))
    return df
