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


def test_normal_kind_read_at_run_time_is_checked():
    # distributions.py `make`: the kind is compared by value
    kind = "".join(["nor", "mal"])
    assert kind == "normal" and kind is not "normal"[:]  # what this test is about
    with pytest.raises(DistributionError, match="standard error > 0"):
        make(kind, mean=1.0, sd=0.0)


def test_a_kind_with_no_frozen_distribution_is_named():
    # distributions.py `_frozen`: an unknown kind (here a Dirichlet member's marginal, which
    # has no single-parameter form) is a DistributionError, not read as a normal
    from hecon.distributions import Dist

    with pytest.raises(DistributionError, match="no frozen distribution for dirichlet"):
        Dist("dirichlet", (("alpha", 2.0),)).ppf(np.array([0.5]))


def test_means_by_closed_form():
    # distributions.py `Dist.mean`: gamma shape x scale = 2 x 3 = 6; normal 4; uniform
    # (2 + 6) / 2 = 4; triangular (2 + 3 + 6) / 3 = 11/3; lognormal exp(0 + 0.5^2 / 2);
    # beta 2 / (2 + 6) = 0.25; fixed its value
    assert make("gamma", shape=2.0, scale=3.0).mean() == pytest.approx(6.0, rel=1e-12)
    assert make("normal", mean=4.0, sd=1.0).mean() == pytest.approx(4.0, rel=1e-12)
    assert make("uniform", min=2.0, max=6.0).mean() == pytest.approx(4.0, rel=1e-12)
    assert make("triangular", min=2.0, mode=3.0, max=6.0).mean() == pytest.approx(11 / 3)
    assert make("lognormal", meanlog=0.0, sdlog=0.5).mean() == pytest.approx(
        math.exp(0.125), rel=1e-12)
    assert make("beta", alpha=2.0, beta=6.0).mean() == pytest.approx(0.25, rel=1e-12)
    assert make("fixed", value=7.0).mean() == 7.0


def test_descriptions():
    # distributions.py `describe`
    assert make("beta", alpha=82.0, beta=97.0).describe() == "beta(alpha=82, beta=97)"
    assert make("fixed", value=7.0).describe() == "fixed"


def test_triangular_with_min_above_max_names_min_and_max():
    with pytest.raises(DistributionError, match="min < max"):
        make("triangular", min=6.0, mode=5.5, max=5.0)


def test_method_of_moments_edges():
    from hecon.distributions import lognormal_from_mean_se, se_from_ci

    # a negative SE is an error for the lognormal too
    with pytest.raises(DistributionError, match="standard error must be > 0"):
        lognormal_from_mean_se(1.0, -0.1)
    # an SE below 1 is fine for the gamma: mean 10, se 0.5 -> shape (10/0.5)^2 = 400,
    # scale 0.5^2 / 10 = 0.025
    g = gamma_from_mean_se(10.0, 0.5)
    assert g.p["shape"] == pytest.approx(400.0, rel=1e-12)
    assert g.p["scale"] == pytest.approx(0.025, rel=1e-12)
    # a beta mean of 1.5 is outside (0, 1), named as such
    with pytest.raises(DistributionError, match="strictly between 0 and 1"):
        beta_from_mean_se(1.5, 0.1)
    # too large an SE for mean 0.2: the bound printed is 0.2 x 0.8 = 0.16
    with pytest.raises(DistributionError, match=r"mean\(1-mean\) = 0\.16\)"):
        beta_from_mean_se(0.2, 0.5)
    # 95% interval 2 to 6: se = 4 / (2 x 1.959964) = 1.020427
    assert se_from_ci(2.0, 6.0) == pytest.approx(4 / (2 * 1.959964), rel=1e-6)
    assert se_from_ci(2.0, 6.0) == pytest.approx(1.020427, rel=1e-6)
