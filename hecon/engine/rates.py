"""Rate <-> probability conversions and cycle-length rescaling (constant hazard assumption).

All functions are vectorised: they take floats or numpy arrays and return arrays.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from hecon.errors import ModelError


def _check_prob(p: np.ndarray, what: str) -> None:
    if np.any((p < 0) | (p > 1)) or np.any(np.isnan(p)):
        raise ModelError(f"{what}: probabilities must lie in [0, 1]")


def rate_to_prob(rate: ArrayLike, time: ArrayLike = 1.0) -> np.ndarray:
    """Probability of at least one event in ``time`` under a constant ``rate``: 1 - exp(-r t)."""
    r = np.asarray(rate, dtype=float)
    if np.any(r < 0):
        raise ModelError("rate_to_prob: rates must be >= 0")
    return -np.expm1(-r * np.asarray(time, dtype=float))


def prob_to_rate(prob: ArrayLike, time: ArrayLike = 1.0) -> np.ndarray:
    """Constant rate giving probability ``prob`` over ``time``: -ln(1 - p) / t (p = 1 -> inf)."""
    p = np.asarray(prob, dtype=float)
    _check_prob(p, "prob_to_rate")
    with np.errstate(divide="ignore"):
        return -np.log1p(-p) / np.asarray(time, dtype=float)


def rescale_prob(prob: ArrayLike, from_time: float, to_time: float) -> np.ndarray:
    """Rescale a probability over ``from_time`` to one over ``to_time`` (constant hazard).

    p_new = 1 - (1 - p)^(to_time / from_time); e.g. an annual probability to a monthly one with
    ``from_time=1, to_time=1/12``.
    """
    p = np.asarray(prob, dtype=float)
    _check_prob(p, "rescale_prob")
    with np.errstate(divide="ignore"):
        return -np.expm1(np.log1p(-p) * (to_time / from_time))


def odds_to_prob(odds: ArrayLike) -> np.ndarray:
    """p = odds / (1 + odds)."""
    o = np.asarray(odds, dtype=float)
    return o / (1 + o)


def prob_to_odds(prob: ArrayLike) -> np.ndarray:
    """odds = p / (1 - p)."""
    p = np.asarray(prob, dtype=float)
    _check_prob(p, "prob_to_odds")
    with np.errstate(divide="ignore"):
        return p / (1 - p)


def apply_hazard_ratio(prob: ArrayLike, hr: ArrayLike, time: float = 1.0) -> np.ndarray:
    """Apply a hazard ratio to a probability over ``time``: 1 - (1 - p)^hr."""
    return rate_to_prob(prob_to_rate(prob, time) * np.asarray(hr, dtype=float), time)
