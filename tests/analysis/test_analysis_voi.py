"""Value of information against closed forms, hand calculations and nested Monte Carlo."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hecon.analysis import voi
from hecon.errors import InputError


def normal_evpi(mu, sigma):
    """E[max(INB, 0)] - max(mu, 0) for INB ~ Normal(mu, sigma^2) (two strategies):
    E[max(Z, 0)] = mu Phi(mu/sigma) + sigma phi(mu/sigma)."""
    return mu * stats.norm.cdf(mu / sigma) + sigma * stats.norm.pdf(mu / sigma) - max(mu, 0)


def test_evpi_normal_closed_form():
    rng = np.random.default_rng(1)
    mu, sigma, n = 500.0, 2000.0, 400_000
    inb = rng.normal(mu, sigma, n)
    nb = np.column_stack([np.zeros(n), inb])
    want = normal_evpi(mu, sigma)
    assert want == pytest.approx(sigma * stats.norm.pdf(0.25) - 500 * stats.norm.cdf(-0.25))
    se = voi.evpi_se(nb)
    assert abs(voi.evpi(nb) - want) < 4 * se
    # the MCSE is the SD of the loss / sqrt(n): loss = max(-INB, 0) here (new is chosen)
    loss = np.maximum(-inb, 0)
    assert se == pytest.approx(loss.std(ddof=1) / np.sqrt(n))


def test_evpi_by_hand_three_strategies():
    nb = np.array([[10.0, 12.0, 8.0],
                   [10.0, 5.0, 15.0],
                   [10.0, 13.0, 7.0]])
    # means 10, 10, 10 -> first (A) chosen by the tie rule; E[max] = (12 + 15 + 13)/3 = 40/3
    assert voi.evpi(nb) == pytest.approx(40 / 3 - 10)


def test_evpi_zero_cases():
    rng = np.random.default_rng(0)
    x = rng.normal(size=100)
    assert voi.evpi(np.column_stack([x, x - 1])) == 0  # A better in every draw
    assert voi.evpi(np.column_stack([x, x])) == 0  # identical strategies
    assert voi.evpi(np.array([[1.0, 5.0]])) == 0  # one draw
    assert voi.evpi_se(np.array([[1.0, 5.0]])) == 0


def test_population_by_hand():
    f = voi.population_factor(1000, 3, 0.035)
    assert f == pytest.approx(1000 * (1 + 1 / 1.035 + 1 / 1.035**2))
    assert voi.population_evpi(2.0, 1000, 3, 0.0) == pytest.approx(6000)
    with pytest.raises(InputError):
        voi.population_factor(1000, 2.5, 0.035)
    with pytest.raises(InputError):
        voi.population_factor(-1, 2, 0.035)


@pytest.fixture(scope="module")
def linear_case():
    # INB = c + a X + b Y, X, Y ~ N(0, 1) independent
    rng = np.random.default_rng(7)
    n = 20_000
    x, y, w = rng.normal(size=(3, n))
    a, b, c = 600.0, 800.0, 300.0
    nb = np.column_stack([np.zeros(n), c + a * x + b * y])
    return nb, x, y, w, a, b, c


def test_evppi_linear_closed_form(linear_case):
    nb, x, y, w, a, b, c = linear_case
    # E[INB | X] = c + a X ~ N(c, a^2): EVPPI(X) = normal_evpi(c, |a|)
    rx = voi.evppi(nb, x)
    assert abs(rx.value - normal_evpi(c, a)) < 4 * rx.se + 5
    ry = voi.evppi(nb, y)
    assert abs(ry.value - normal_evpi(c, b)) < 4 * ry.se + 5
    # the group (X, Y) explains everything: EVPPI = EVPI (closed form normal_evpi(c, 1000))
    rxy = voi.evppi(nb, np.column_stack([x, y]))
    assert rxy.r2 == pytest.approx(1.0)
    assert rxy.value == pytest.approx(voi.evpi(nb), rel=1e-6)
    assert abs(rxy.value - normal_evpi(c, np.hypot(a, b))) < 4 * voi.evpi_se(nb)
    # an input that does not enter net benefit has EVPPI ~ 0
    rw = voi.evppi(nb, w)
    assert rw.value < 3 * rw.se + 2
    assert rx.max_decile_z < 4


def test_evppi_nonlinear_against_lognormal_closed_form():
    # INB = 1000 (X Y - 1), X ~ lognormal(0, 0.5), Y ~ N(1, 0.5), independent.
    # E[INB | X] = 1000 (X - 1): EVPPI(X) = 1000 E[(X - 1)+] - 1000 max(E X - 1, 0), and
    # E[(X - 1)+] = e^{s^2/2} Phi(s) - Phi(0) for ln X ~ N(0, s^2) (Black-Scholes, K = 1).
    s = 0.5
    rng = np.random.default_rng(3)
    n = 20_000
    x = rng.lognormal(0, s, n)
    y = rng.normal(1, 0.5, n)
    nb = np.column_stack([np.zeros(n), 1000 * (x * y - 1)])
    want = 1000 * (np.exp(s**2 / 2) * stats.norm.cdf(s) - 0.5) - 1000 * (np.exp(s**2 / 2) - 1)
    r = voi.evppi(nb, x)
    assert abs(r.value - want) < 4 * r.se + 0.02 * want


def test_evppi_against_nested_monte_carlo():
    # INB = 1000 (exp(Z) W - 1.1), Z ~ N(0, 0.3), W ~ Beta(20, 20) * 2: EVPPI(W) with the inner
    # expectation over Z by Monte Carlo (2,000 inner x 1,000 outer), against the regression.
    rng = np.random.default_rng(5)

    def inb(z, w):
        return 1000 * (np.exp(z) * w - 1.1)

    outer = 2 * rng.beta(20, 20, 1000)
    z_in = rng.normal(0, 0.3, 2000)
    cond = np.array([inb(z_in, w).mean() for w in outer])
    nested = np.maximum(cond, 0).mean() - max(cond.mean(), 0)
    n = 20_000
    z, w = rng.normal(0, 0.3, n), 2 * rng.beta(20, 20, n)
    r = voi.evppi(np.column_stack([np.zeros(n), inb(z, w)]), w)
    # tolerance: the nested estimate's own outer-loop MC error (SD(max(cond,0))/sqrt(1000))
    # plus the regression's SE, times 4
    nested_se = np.maximum(cond, 0).std() / np.sqrt(outer.size)
    assert abs(r.value - nested) < 4 * (nested_se + r.se)
    assert r.value <= voi.evpi(np.column_stack([np.zeros(n), inb(z, w)])) + 3 * r.se


def test_evppi_table(linear_case):
    nb, x, y, w, *_ = linear_case
    values = pd.DataFrame({"x": x, "y": y, "w": w, "k": np.ones_like(x)})
    t = voi.evppi_table(nb, values, groups={"xy": ["x", "y"]}, se_draws=50).set_index(
        "parameter")
    assert t.loc["k", "evppi"] == 0 and t.loc["k", "method"] == "none (constant)"
    assert t.loc["xy", "kind"] == "group"
    assert t.loc["all parameters (EVPI)", "evppi"] == pytest.approx(voi.evpi(nb))
    assert t.loc["x", "evppi"] < t.loc["y", "evppi"] < t.loc["xy", "evppi"]


def test_bad_input():
    with pytest.raises(InputError, match="draws"):
        voi.evppi(np.zeros((10, 2)), np.zeros(9))
    with pytest.raises(InputError, match="not finite"):
        voi.evpi(np.array([[0.0, np.nan]]))
    with pytest.raises(InputError):
        voi.evppi_table(np.zeros((10, 2)), pd.DataFrame({"a": range(10)}), ["b"])
    with pytest.raises(InputError, match="more than"):
        voi.evppi(np.random.default_rng(0).normal(size=(8, 2)), np.arange(8.0))
