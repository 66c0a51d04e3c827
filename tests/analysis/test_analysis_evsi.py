"""EVSI and ENBS against the normal-normal closed form, exact beta-binomial and gamma-
exponential (conjugate) preposterior means, the study simulators' moments and hand-computed
ENBS; EVPPI over thresholds in one call against the closed form. Reference numbers are derived
here, independently of hecon.analysis.evsi."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hecon.analysis import evsi, voi
from hecon.errors import InputError


def normal_evpi(mu, sigma):
    """E[max(X, 0)] - max(mu, 0) for X ~ N(mu, sigma^2) (checked by quadrature in
    test_analysis_voi.py)."""
    return sigma * stats.norm.pdf(mu / sigma) - abs(mu) * stats.norm.cdf(-abs(mu) / sigma)


# normal-normal: theta ~ N(MU0, S0^2); one observation ~ N(theta, S^2); INB = C + B theta + noise
MU0, S0, S, C, B = 0.0, 1.0, 2.0, 150.0, 400.0
N_DRAWS = 20_000


def normal_evsi(n):
    """Closed form: the preposterior mean of theta has variance S0^4 / (S0^2 + S^2 / n), so
    E[INB | data] ~ N(C + B MU0, B^2 S0^4 / (S0^2 + S^2 / n))."""
    v = S0**4 / (S0**2 + S**2 / n)
    return normal_evpi(C + B * MU0, abs(B) * math.sqrt(v))


@pytest.fixture(scope="module")
def normal_case():
    rng = np.random.default_rng(11)
    theta = rng.normal(MU0, S0, N_DRAWS)
    other = rng.normal(size=N_DRAWS)  # another uncertain input the study does not inform
    nb = np.column_stack([np.zeros(N_DRAWS), C + B * theta + 300 * other])
    return nb, theta


def test_normal_closed_form_by_regression(normal_case):
    nb, theta = normal_case
    t = evsi.evsi_curve(nb, lambda n, rng: evsi.normal_statistic(theta, S, n, rng),
                        [4, 25, 400])
    for n, value, se in t[["n", "evsi", "se"]].itertuples(index=False):
        assert abs(value - normal_evsi(n)) < 4 * se, n
        assert se > 0


def test_normal_closed_form_by_gaussian_approximation(normal_case):
    nb, theta = normal_case
    # effective prior sample size of a N(MU0, S0^2) prior for observations of SD S
    t = evsi.evsi_gaussian(nb, theta, [1, 4, 25, 400], n0=S**2 / S0**2)
    for n, value, se in t[["n", "evsi", "se"]].itertuples(index=False):
        assert abs(value - normal_evsi(n)) < 4 * se, n


def test_evsi_rises_in_n_below_evppi_and_tends_to_it(normal_case):
    nb, theta = normal_case
    ev = voi.evppi(nb, theta)
    t = evsi.evsi_curve(nb, lambda n, rng: evsi.normal_statistic(theta, S, n, rng),
                        [2, 10, 50, 250, 10**6])
    v = t["evsi"].to_numpy()
    assert (np.diff(v) > 0).all()
    assert (v[:-1] < ev.value).all()
    # a study of a million observations reveals theta: EVSI = EVPPI within their errors
    assert abs(v[-1] - ev.value) < 4 * math.hypot(t["se_fit"].iloc[-1], ev.se)
    g = evsi.evsi_gaussian(nb, theta, [2, 10, 50, 250, 10**6], n0=4.0)["evsi"].to_numpy()
    assert (np.diff(g) > 0).all() and (g <= ev.value + 1e-9).all()
    assert g[-1] == pytest.approx(ev.value, rel=1e-4)


def test_binary_against_exact_beta_binomial():
    # p ~ Beta(8, 12); INB = 2000 (p - 0.45): E[INB | x] = 2000 ((8 + x) / (20 + n) - 0.45),
    # x ~ BetaBinomial(n, 8, 12): EVSI summed exactly over x
    a, b, n = 8.0, 12.0, 20
    rng = np.random.default_rng(5)
    p = rng.beta(a, b, 40_000)
    nb = np.column_stack([np.zeros(p.size), 2000 * (p - 0.45) + 200 * rng.normal(size=p.size)])
    x = np.arange(n + 1)
    w = stats.betabinom(n, a, b).pmf(x)
    post = 2000 * ((a + x) / (a + b + n) - 0.45)
    exact = float(w @ np.maximum(post, 0)) - max(float(w @ post), 0.0)
    t = evsi.evsi_curve(nb, lambda m, r: evsi.binary_statistic(p, m, r), [n])
    assert abs(t["evsi"].iloc[0] - exact) < 4 * t["se"].iloc[0]
    # the Gaussian approximation with n0 = alpha + beta is exact here: E[INB | p] is linear
    # and the preposterior variance of a beta mean is var(p) n / (n + alpha + beta)
    g = evsi.evsi_gaussian(nb, p, [n], n0=a + b)
    assert abs(g["evsi"].iloc[0] - exact) < 0.1 * exact


def test_binary_statistic_extremes():
    rng = np.random.default_rng(0)
    p = np.array([0.0, 1.0])
    assert evsi.binary_statistic(p, 10, rng) == pytest.approx(
        [math.log(0.5 / 10.5), math.log(10.5 / 0.5)], rel=1e-12)
    with pytest.raises(InputError):
        evsi.binary_statistic(np.array([1.2]), 10, rng)


def test_survival_simulator_moments():
    # n exponential(lambda) times censored at F: E[deaths] = n (1 - e^-lF),
    # E[exposure] = n (1 - e^-lF) / lambda (ratio of means; the mean of the ratio differs
    # by O(1/n))
    lam, n, f = 0.3, 200, 2.0
    stat = evsi.survival_statistic(np.full(20_000, lam), n, f, np.random.default_rng(3))
    deaths_mean = n * (1 - math.exp(-lam * f))
    exposure_mean = deaths_mean / lam
    assert np.exp(stat).mean() == pytest.approx((deaths_mean + 0.5) / exposure_mean, rel=0.01)
    # two arms: the log rate ratio estimates the log hazard ratio
    rr = evsi.survival_statistic(np.column_stack([np.full(20_000, 0.2), np.full(20_000, 0.4)]),
                                 400, 5.0, np.random.default_rng(4))
    assert rr.mean() == pytest.approx(math.log(0.5), abs=0.01)


def test_survival_against_conjugate_gamma_exponential():
    # lambda ~ Gamma(a, rate b); with everybody followed to death (long follow-up) the
    # posterior mean (a + n) / (b + exposure) is a function of the log-rate statistic, so
    # regression on it must give the EVSI of the conjugate preposterior means
    a, b, n = 20.0, 100.0, 30
    rng = np.random.default_rng(8)
    lam = rng.gamma(a, 1 / b, 30_000)
    inb = 5000 * (lam - 0.19)
    nb = np.column_stack([np.zeros(lam.size), inb + 100 * rng.normal(size=lam.size)])
    stat = evsi.survival_statistic(lam, n, 1e4, np.random.default_rng(9))
    exposure = (n + 0.5) / np.exp(stat)  # all n died: deaths = n
    post = 5000 * ((a + n) / (b + exposure) - 0.19)
    exact = np.maximum(post, 0).mean() - max(post.mean(), 0)
    mc = np.maximum(post, 0).std() / math.sqrt(lam.size)
    r = evsi.evsi(nb, stat)
    assert abs(r.value - exact) < 4 * math.hypot(r.se, mc)


def test_enbs_by_hand():
    t = pd.DataFrame({"n": [10, 20, 40], "evsi": [1.0, 2.0, 2.5], "se": [0.1, 0.1, 0.2]})
    # population 100 a year for 3 years undiscounted = 300; study 100 + 5 x 2 arms x n
    out = evsi.enbs(t, 5.0, 100.0, incidence_per_year=100, years=3)
    assert out["population"].iloc[0] == pytest.approx(300.0)
    assert out["study_cost"].tolist() == pytest.approx([200.0, 300.0, 500.0])
    assert out["enbs"].tolist() == pytest.approx([100.0, 300.0, 250.0])
    assert out["enbs_se"].tolist() == pytest.approx([30.0, 30.0, 60.0])
    assert evsi.optimal_sample_size(out) == 20
    # discounting: 100 + 100 / 1.05 people over 2 years at 5%
    d = evsi.enbs(t, 0.0, 0.0, incidence_per_year=100, years=2, discount_rate=0.05)
    assert d["enbs"].iloc[0] == pytest.approx(1.0 * (100 + 100 / 1.05))
    # zero study costs: ENBS = population EVSI; no positive ENBS: no study
    z = evsi.enbs(t, 0.0, 0.0, population=10.0)
    assert z["enbs"].tolist() == pytest.approx([10.0, 20.0, 25.0])
    assert evsi.optimal_sample_size(evsi.enbs(t, 1e6, 0.0, population=10.0)) is None
    with pytest.raises(InputError):
        evsi.enbs(t, -1.0, 0.0, population=1.0)
    with pytest.raises(InputError):
        evsi.enbs(t, 1.0, 0.0)


def test_evsi_trivial_and_bad_input(normal_case):
    nb, theta = normal_case
    # identical arms: nothing to learn
    same = np.zeros((500, 2))
    assert evsi.evsi(same, theta[:500]).value == 0.0
    with pytest.raises(InputError):
        evsi.evsi_curve(nb, lambda n, r: theta, [0])
    with pytest.raises(InputError):
        evsi.evsi_gaussian(nb, theta, [10], n0=0.0)
    with pytest.raises(InputError):
        evsi.survival_statistic(np.array([0.1]), 10, 0.0, np.random.default_rng(0))


# ------------------------------------------------------------------ EVPPI over thresholds
def test_evppi_wtp_against_closed_form():
    # dE = 0.02 x + 0.03 z, dC = 1000 - 500 x + 800 u, x, z, u ~ N(0, 1):
    # E[INB(w) | x] = w (0.02 x) - 1000 + 500 x ~ N(-1000, (0.02 w + 500)^2)
    rng = np.random.default_rng(21)
    n = 20_000
    x, z, u = rng.normal(size=(3, n))
    effects = np.column_stack([np.zeros(n), 0.02 * x + 0.03 * z])
    costs = np.column_stack([np.zeros(n), 1000 - 500 * x + 800 * u])
    wtp = [0.0, 20_000.0, 50_000.0, 100_000.0]
    t = voi.evppi_wtp(costs, effects, x, wtp)
    assert t["wtp"].tolist() == wtp
    for w, value, se in t[["wtp", "evppi", "se"]].itertuples(index=False):
        g = (0.02 * w + 500) * x - 1000
        loss = np.maximum(g, 0) - g * (g.mean() > 0)
        mc = loss.std() / math.sqrt(n)
        assert abs(value - normal_evpi(-1000.0, 0.02 * w + 500)) < 4 * math.hypot(se, mc)
    assert (t["max_decile_z"] < 4).all()
    # one fit per WTP gives (nearly) the same numbers
    one = voi.evppi(50_000 * effects - costs, x)
    assert t["evppi"].iloc[2] == pytest.approx(one.value, rel=0.02)


def test_delta_se_matches_redraws_and_refit_spread():
    # refit to fresh noise with the same x draws: the spread of the estimates is the
    # regression error that the closed-form SE describes
    rng = np.random.default_rng(1)
    n = 2000
    x = rng.normal(size=n)
    est, ses, redraw = [], [], []
    for i in range(40):
        nb = np.column_stack([np.zeros(n), 100 + 600 * x + 800 * rng.normal(size=n)])
        r = voi.evppi(nb, x)
        est.append(r.value)
        ses.append(r.se)
        if i < 5:
            redraw.append(voi.evppi(nb, x, se_draws=400).se / r.se)
    ratio = np.std(est, ddof=1) / np.mean(ses)
    assert 0.65 < ratio < 1.5
    assert 0.75 < np.mean(redraw) < 1.3
