"""Tests that kill mutants which survived `make mutation` in hecon/distributions.py
(docs/testing.md). Every expected number is a closed form worked out in the test."""

import math

import numpy as np
import pytest
from scipy.stats import norm

from hecon.distributions import (
    DistributionError,
    beta_from_mean_se,
    gamma_from_mean_se,
    lognormal_from_ci,
    make,
)


def test_kind_read_at_run_time_works_like_a_literal():
    # a kind built at run time (as from a file) is not the same object as the literal "beta"
    kind = "".join(["be", "ta"])
    d = make(kind, alpha=2.0, beta=1.0)  # CDF x^2 on [0, 1], so ppf(u) = sqrt(u)
    assert d.ppf(np.array([0.25, 0.49])) == pytest.approx([0.5, 0.7], rel=1e-12)


def test_uniform_and_triangular_away_from_zero_by_closed_form():
    u = make("uniform", min=2.0, max=6.0)
    assert u.ppf(np.array([0.25, 0.5])) == pytest.approx([3.0, 4.0], rel=1e-12)
    # triangular(min 2, mode 3, max 6): F(mode) = (3 - 2) / (6 - 2) = 0.25; below the mode
    # ppf(u) = 2 + sqrt(u * 4 * 1), above it ppf(u) = 6 - sqrt((1 - u) * 4 * 3)
    t = make("triangular", min=2.0, mode=3.0, max=6.0)
    expected = [2 + math.sqrt(0.1 * 4), 3.0, 6 - math.sqrt(0.5 * 12)]
    assert t.ppf(np.array([0.1, 0.25, 0.5])) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("kind", ["uniform", "triangular"])
def test_uniform_and_triangular_need_min_below_max(kind):
    with pytest.raises(DistributionError, match="min < max"):
        make(kind, min=5.0, mode=5.0, max=5.0)


def test_beta_mean_outside_zero_one_is_named():
    with pytest.raises(DistributionError, match="strictly between 0 and 1"):
        beta_from_mean_se(-0.2, 0.1)


@pytest.mark.parametrize("se", [0.0, -0.5])
def test_gamma_needs_positive_se(se):
    with pytest.raises(DistributionError, match="standard error must be > 0"):
        gamma_from_mean_se(10.0, se)


@pytest.mark.parametrize("value", [0.4, 0.5, 0.9, 1.2])
def test_lognormal_interval_must_contain_the_value(value):
    with pytest.raises(DistributionError, match="must contain the value"):
        lognormal_from_ci(value, 0.5, 0.9)
    # inside: meanlog = ln(0.7), sdlog = (ln 0.9 - ln 0.5) / (2 z), z the normal 97.5% point
    d = lognormal_from_ci(0.7, 0.5, 0.9)
    assert d.p["meanlog"] == pytest.approx(math.log(0.7), rel=1e-12)
    z = norm.ppf(0.975)
    assert d.p["sdlog"] == pytest.approx((math.log(0.9) - math.log(0.5)) / (2 * z), rel=1e-12)
