"""The cohort-model engine: Markov, partitioned-survival and tree -> Markov hybrids."""

from hecon.engine.counting import COUNTING, TIMINGS, Counting
from hecon.engine.discount import NO_DISCOUNT, DiscountSchedule
from hecon.engine.evaluate import evaluate
from hecon.engine.markov import Cycle, MarkovModel, ModelOutput
from hecon.engine.matrices import transition_matrix
from hecon.engine.params import ParamView, as_params
from hecon.engine.psm import PartitionedSurvivalModel
from hecon.engine.rates import (
    apply_hazard_ratio,
    odds_to_prob,
    prob_to_odds,
    prob_to_rate,
    rate_to_prob,
    rescale_prob,
)
from hecon.engine.results import Results
from hecon.engine.settings import Settings
from hecon.engine.states import C, State
from hecon.engine.strategy import Hybrid, Mixture
from hecon.engine.tree import Branch, Chance, Terminal, rollback

__all__ = [
    "COUNTING",
    "TIMINGS",
    "C",
    "Branch",
    "Chance",
    "Counting",
    "Cycle",
    "DiscountSchedule",
    "Hybrid",
    "Mixture",
    "MarkovModel",
    "ModelOutput",
    "NO_DISCOUNT",
    "ParamView",
    "PartitionedSurvivalModel",
    "Results",
    "Settings",
    "State",
    "Terminal",
    "apply_hazard_ratio",
    "as_params",
    "evaluate",
    "odds_to_prob",
    "prob_to_odds",
    "prob_to_rate",
    "rate_to_prob",
    "rescale_prob",
    "rollback",
    "transition_matrix",
]
