"""Value of information against closed forms, quadrature, hand calculations and nested Monte
Carlo. Every reference number is derived here, independently of hecon.analysis.voi."""

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from hecon.analysis import voi
from hecon.errors import InputError


def normal_evpi(mu, sigma):
    """EVPI of two strategies with INB ~ Normal(mu, sigma^2):
    E[max(INB, 0)] - max(mu, 0) = sigma phi(mu/sigma) - |mu| Phi(-|mu|/sigma)."""
    return sigma * stats.norm.pdf(mu / sigma) - abs(mu) * stats.norm.cdf(-abs(mu) / sigma)


@pytest.mark.parametrize("mu,sigma", [(500.0, 2000.0), (-300.0, 700.0), (0.0, 1.0)])
def test_normal_evpi_formula_by_quadrature(mu, sigma):
    # the reference formula itself, checked against E[max(Z, 0)] - max(mu, 0) by quadrature
    # and against the textbook E[max(Z, 0)] = mu Phi(mu/sigma) + sigma phi(mu/sigma)
    e_max = integrate.quad(lambda z: max(z, 0.0) * stats.norm.pdf(z, mu, sigma),
                           mu - 12 * sigma, mu + 12 * sigma, points=[0.0], limit=200)[0]
    assert normal_evpi(mu, sigma) == pytest.approx(e_max - max(mu, 0), rel=1e-7, abs=1e-9)
    textbook = mu * stats.norm.cdf(mu / sigma) + sigma * stats.norm.pdf(mu / sigma)
    assert normal_evpi(mu, sigma) == pytest.approx(textbook - max(mu, 0), rel=1e-12)


# ------------------------------------------------------------------------------------- EVPI
def test_evpi_normal_closed_form_and_se():
    rng = np.random.default_rng(1)
    mu, sigma, n = 500.0, 2000.0, 400_000
    inb = rng.normal(mu, sigma, n)
    nb = np.column_stack([np.zeros(n), inb])
    se = voi.evpi_se(nb)
    assert abs(voi.evpi(nb) - normal_evpi(mu, sigma)) < 4 * se
    # the new strategy (mean 500 > 0) is chosen, so loss = max(-INB, 0) = W+ with
    # W ~ N(-mu, sigma^2): E[W+] = m Phi(m/s) + s phi(m/s), E[W+^2] = (m^2 + s^2) Phi(m/s)
    # + m s phi(m/s) with m = -mu; the true SE is sqrt(Var(W+) / n)
    m, s = -mu, sigma
    e1 = m * stats.norm.cdf(m / s) + s * stats.norm.pdf(m / s)
    e2 = (m**2 + s**2) * stats.norm.cdf(m / s) + m * s * stats.norm.pdf(m / s)
    assert se == pytest.approx(np.sqrt((e2 - e1**2) / n), rel=0.02)


def test_evpi_se_matches_spread_over_replications():
    # 400 independent PSAs of 2,000 draws: the SD of their EVPI estimates is what the SE claims
    rng = np.random.default_rng(2)
    inb = rng.normal(300.0, 1000.0, (400, 2000))
    est, ses = [], []
    for row in inb:
        nb = np.column_stack([np.zeros(row.size), row])
        est.append(voi.evpi(nb))
        ses.append(voi.evpi_se(nb))
    # the SD of 400 draws is itself uncertain by ~ 1 / sqrt(2 x 399) = 3.5%
    assert np.std(est, ddof=1) == pytest.approx(np.mean(ses), rel=0.15)
    assert abs(np.mean(est) - normal_evpi(300.0, 1000.0)) < 4 * np.std(est) / 20


def test_evpi_by_hand_three_strategies():
    nb = np.array([[1.0, 2.0, 3.0],
                   [4.0, 0.0, 1.0],
                   [1.0, 7.0, 2.0]])
    # means 2, 3, 2 -> B chosen; row maxima 3, 4, 7 -> E[max] = 14/3; EVPI = 14/3 - 3 = 5/3
    assert voi.evpi(nb) == pytest.approx(5 / 3)
    # losses 1, 4, 0: SD = sqrt(13/3), SE = sqrt(13/3) / sqrt(3) = sqrt(13) / 3
    assert voi.evpi_se(nb) == pytest.approx(np.sqrt(13) / 3)
    assert voi.opportunity_loss(nb).tolist() == [1.0, 4.0, 0.0]
    # tie of means (10, 10, 10): the first listed is chosen; E[max] = (12 + 15 + 13) / 3
    tie = np.array([[10.0, 12.0, 8.0], [10.0, 5.0, 15.0], [10.0, 13.0, 7.0]])
    assert voi.evpi(tie) == pytest.approx(40 / 3 - 10)


def test_evpi_zero_cases():
    rng = np.random.default_rng(0)
    x = rng.normal(size=100)
    assert voi.evpi(np.column_stack([x, x - 1, x - 2])) == 0  # A best in every draw
    assert voi.evpi(np.column_stack([x, x])) == 0  # identical strategies
    assert voi.evpi(np.array([[1.0, 5.0]])) == 0  # one draw
    assert voi.evpi_se(np.array([[1.0, 5.0]])) == 0
    assert voi.evpi(x[:, None]) == 0  # one strategy


def test_evpi_curve_by_hand():
    costs = np.array([[0.0, 10.0], [0.0, 10.0]])
    effects = np.array([[0.0, 1.0], [0.0, 0.0]])
    t = voi.evpi_curve(costs, effects, [0, 20, 30])
    assert list(t.columns) == ["wtp", "evpi", "se"]
    # wtp 0: NB_B = -10, -10 -> A always best, EVPI 0
    # wtp 20: NB_B = 10, -10 -> means 0, 0, A chosen (first); losses 10, 0 -> 5
    # wtp 30: NB_B = 20, -10 -> mean 5, B chosen; losses 0, 10 -> 5
    assert t["evpi"].tolist() == pytest.approx([0.0, 5.0, 5.0])
    assert t["se"].tolist() == pytest.approx([0.0, 5.0, 5.0])  # SD(10, 0) / sqrt(2) = 5


def test_population_by_hand():
    assert voi.population_factor(1000, 3, 0.035) == pytest.approx(
        1000 * (1 + 1 / 1.035 + 1 / 1.035**2))
    assert voi.population_evpi(2.5, 1000, 3, 0.035) == pytest.approx(
        2.5 * 1000 * (1 + 1 / 1.035 + 1 / 1.035**2))
    assert voi.population_evpi(2.0, 1000, 3, 0.0) == pytest.approx(6000)
    assert voi.population_evpi(2.0, 1000, 1, 0.035) == pytest.approx(2000)  # first year as is
    assert voi.population_evpi(2.0, 1000, np.int64(2), 0.05) == pytest.approx(2000 * (1 + 1 / 1.05))


@pytest.mark.parametrize("args,param", [
    ((1.0, 1000, 2.5, 0.035), "years"),
    ((1.0, 1000, 0, 0.035), "years"),
    ((1.0, 1000, -3, 0.035), "years"),
    ((1.0, 1000, True, 0.035), "years"),
    ((1.0, -1, 3, 0.035), "incidence_per_year"),
    ((1.0, float("nan"), 3, 0.035), "incidence_per_year"),
    ((1.0, 1000, 3, 3.5), "discount_rate"),  # a percentage, not a fraction
    ((1.0, 1000, 3, -0.01), "discount_rate"),
    ((-1.0, 1000, 3, 0.035), "per_person"),
    ((float("inf"), 1000, 3, 0.035), "per_person"),
])
def test_population_bad_input(args, param):
    with pytest.raises(InputError) as err:
        voi.population_evpi(*args)
    assert err.value.parameter == param


# ------------------------------------------------------------------------------------ EVPPI
@pytest.fixture(scope="module")
def linear_case():
    # INB = c + a X + b Y, X, Y ~ N(0, 1) independent; W does not enter net benefit
    rng = np.random.default_rng(7)
    n = 10_000
    x, y, w = rng.normal(size=(3, n))
    a, b, c = 600.0, 800.0, 300.0
    nb = np.column_stack([np.zeros(n), c + a * x + b * y])
    return nb, x, y, w, a, b, c


def loss_of(g):
    """Per-draw opportunity loss of true conditional means g (n, k-1) against strategy 1:
    the EVPPI of the draws at hand had the regression been perfect, and its MC SE."""
    full = np.column_stack([np.zeros(g.shape[0]), g])
    loss = full.max(axis=1) - full[:, np.argmax(full.mean(axis=0))]
    return loss.mean(), loss.std(ddof=1) / np.sqrt(loss.size)


@pytest.mark.parametrize("method", ["spline", "gp"])
def test_evppi_linear_closed_form(linear_case, method):
    nb, x, y, w, a, b, c = linear_case
    # E[INB | X] = c + a X ~ N(c, a^2): EVPPI(X) = normal_evpi(c, |a|)
    for p, coef in ((x, a), (y, b)):
        r = voi.evppi(nb, p, method)
        assert r.method == method and r.n == x.size
        # against the EVPPI of these draws with the exact conditional mean: only the
        # regression error separates them, and that is what the SE measures
        exact, mc = loss_of((c + coef * p)[:, None])
        assert abs(r.value - exact) < 4 * r.se
        # against the closed form: regression error + Monte Carlo error of the draws
        assert abs(r.value - normal_evpi(c, coef)) < 4 * np.hypot(r.se, mc)
        # r2 = a^2 / (a^2 + b^2) = 0.36 (or 0.64), up to sampling error of the draws
        assert r.r2.shape == (1,)
        assert r.r2[0] == pytest.approx(coef**2 / (a**2 + b**2), abs=0.02)
        assert r.max_decile_z < 4


@pytest.mark.parametrize("method", ["spline", "gp", "auto"])
def test_evppi_of_everything_is_evpi(linear_case, method):
    nb, x, y, w, a, b, c = linear_case
    r = voi.evppi(nb, np.column_stack([x, y]), method)
    assert r.method == ("gp" if method == "auto" else method)
    assert r.r2[0] == pytest.approx(1.0)
    assert r.value == pytest.approx(voi.evpi(nb), rel=1e-6)
    assert abs(r.value - normal_evpi(c, np.hypot(a, b))) < 4 * voi.evpi_se(nb)


@pytest.mark.parametrize("method", ["spline", "gp"])
def test_evppi_of_irrelevant_parameter_is_about_zero(method):
    # a close decision (mean INB 20, SD 1000) so that any spurious fit crosses zero
    rng = np.random.default_rng(0)
    n = 10_000
    x, w = rng.normal(size=(2, n))
    nb = np.column_stack([np.zeros(n), 20 + 1000 * x])
    r = voi.evppi(nb, w, method)
    assert 0 <= r.value <= 3 * r.se
    assert r.value < 0.05 * voi.evpi(nb)
    assert abs(r.r2[0]) < 0.005


def test_evppi_three_strategies_by_quadrature():
    # INB_B = 100 + 400 X + noise, INB_C = 150 - 300 X + noise (X ~ N(0, 1)), noise correlated
    # across strategies. EVPPI(X) = E[max(0, 100 + 400 X, 150 - 300 X)] - max(0, 100, 150)
    rng = np.random.default_rng(11)
    n = 10_000
    x = rng.normal(size=n)
    e = rng.multivariate_normal([0, 0], [[500.0**2, 0.6 * 500 * 400], [0.6 * 500 * 400,
                                                                        400.0**2]], n)
    gb, gc = 100 + 400 * x, 150 - 300 * x
    nb = np.column_stack([np.zeros(n), gb + e[:, 0], gc + e[:, 1]])

    def integrand(z):
        return max(0.0, 100 + 400 * z, 150 - 300 * z) * stats.norm.pdf(z)

    want = integrate.quad(integrand, -12, 12, points=[-0.25, 1 / 14], limit=200)[0] - 150
    r = voi.evppi(nb, x)
    assert r.r2.shape == (2,) and r.edf.shape == (2,) and r.decile_residuals.shape == (10, 2)
    exact, mc = loss_of(np.column_stack([gb, gc]))
    assert abs(r.value - exact) < 4 * r.se
    assert abs(r.value - want) < 4 * np.hypot(r.se, mc)
    assert r.value <= voi.evpi(nb)


def test_evppi_against_nested_monte_carlo():
    # INB = 2100 Y / (1 + X) - 1000, X ~ lognormal(0, 0.5), Y ~ Gamma(10, 0.1) (mean 1),
    # independent. E[INB | X] = 2100 / (1 + X) - 1000 is non-linear in X.
    rng = np.random.default_rng(5)

    def inb(x, y):
        return 2100 * y / (1 + x) - 1000

    # nested MC: 2,000 outer draws of X, 20,000 inner draws of Y for each
    outer, inner = rng.lognormal(0, 0.5, 2000), 20_000
    cond, tau = np.empty(outer.size), np.empty(outer.size)
    for i in range(0, outer.size, 100):
        v = inb(outer[i:i + 100, None], rng.gamma(10, 0.1, (100, inner)))
        cond[i:i + 100] = v.mean(axis=1)
        tau[i:i + 100] = v.std(axis=1) / np.sqrt(inner)
    nested, nested_se = loss_of(cond[:, None])
    # PSA of 10,000 draws and the regression estimate
    n = 10_000
    x, y = rng.lognormal(0, 0.5, n), rng.gamma(10, 0.1, n)
    nb = np.column_stack([np.zeros(n), inb(x, y)])
    r = voi.evppi(nb, x)
    # Tolerance: 4 x the combined SD of three independent errors -- the nested estimate's
    # outer-loop MC error (nested_se), the regression error (r.se) and the MC error of the
    # 10,000 PSA draws (same per-draw loss SD as the outer loop, so nested_se x sqrt(2000 / n))
    # -- plus the upward bias of the nested estimator from inner-loop noise, which is at most
    # E[tau] / sqrt(2 pi) (E[max(g + e, 0)] - max(g, 0) <= E[e+] = tau phi(0) for
    # e ~ N(0, tau^2)), about 1 here.
    tol = 4 * np.sqrt(nested_se**2 + r.se**2 + nested_se**2 * 2000 / n) \
        + tau.mean() / np.sqrt(2 * np.pi)
    assert abs(r.value - nested) < tol
    assert tol < 0.25 * nested  # the check has teeth: EVPPI is about 78, tol about 16
    assert r.value <= voi.evpi(nb) + 3 * r.se


def test_evppi_group_with_interaction_by_gp():
    # INB = f(X, Y) + 500 Z with f = 2000 Y / (1 + X) - 1000 (an interaction additive
    # splines cannot represent). Reference: E[max(f, 0)] - max(E f, 0) from 10^6 direct draws.
    rng = np.random.default_rng(11)

    def f(x, y):
        return 2000 * y / (1 + x) - 1000

    big = f(rng.lognormal(0, 0.5, 1_000_000), rng.gamma(10, 0.1, 1_000_000))
    truth = np.maximum(big, 0).mean() - max(big.mean(), 0)
    truth_se = np.maximum(big, 0).std() / 1000
    n = 5000
    x, y, z = rng.lognormal(0, 0.5, n), rng.gamma(10, 0.1, n), rng.normal(size=n)
    nb = np.column_stack([np.zeros(n), f(x, y) + 500 * z])
    r = voi.evppi(nb, np.column_stack([x, y]))
    assert r.method == "gp"
    exact, mc = loss_of(f(x, y)[:, None])
    assert abs(r.value - exact) < 4 * r.se
    assert abs(r.value - truth) < 4 * np.sqrt(r.se**2 + mc**2 + truth_se**2)
    assert r.max_decile_z < 4


def test_evppi_se_matches_spread_over_regression_noise():
    # the SE describes regression error: refit 40 times with the same X draws and fresh noise
    # (the EVPPI of the draws at hand is then fixed) and compare the spread with the SE
    rng = np.random.default_rng(1)
    n = 2000
    x = rng.normal(size=n)
    est, ses = [], []
    for _ in range(40):
        nb = np.column_stack([np.zeros(n), 100 + 600 * x + 800 * rng.normal(size=n)])
        r = voi.evppi(nb, x, se_draws=300)
        est.append(r.value)
        ses.append(r.se)
    # an SD from 40 values is uncertain by ~ 1 / sqrt(78) = 11%
    ratio = np.std(est, ddof=1) / np.mean(ses)
    assert 0.65 < ratio < 1.5


def test_residual_check_flags_lack_of_fit():
    rng = np.random.default_rng(4)
    n = 10_000
    x = rng.normal(size=n)
    noise = 300 * rng.normal(size=n)
    smooth = voi.evppi(np.column_stack([np.zeros(n), 200 * x + noise]), x)
    step = voi.evppi(np.column_stack([np.zeros(n), 1000 * np.sign(x) + noise]), x)
    assert smooth.max_decile_z < 4
    assert step.max_decile_z > 6  # a step is beyond an 8-knot smooth spline


def test_evppi_trivial_cases():
    rng = np.random.default_rng(3)
    n = 200
    nb = np.column_stack([np.zeros(n), rng.normal(size=n)])
    r = voi.evppi(nb, np.full(n, 2.0))
    assert (r.value, r.se, r.method) == (0.0, 0.0, "none (constant)")
    r = voi.evppi(nb[:, :1], rng.normal(size=n))
    assert (r.value, r.method) == (0.0, "none (one strategy)")
    # a constant member of a group is ignored: same as the other member alone
    x = rng.normal(size=n)
    nb = np.column_stack([np.zeros(n), x + rng.normal(size=n)])
    assert voi.evppi(nb, np.column_stack([x, np.ones(n)]), "spline").value == pytest.approx(
        voi.evppi(nb, x, "spline").value)


def test_evppi_table(linear_case):
    nb, x, y, w, a, b, c = linear_case
    values = pd.DataFrame({"x": x, "y": y, "w": w, "k": np.ones_like(x)})
    t = voi.evppi_table(nb, values, groups={"xy": ["x", "y"]}, se_draws=100)
    assert list(t.columns[:5]) == ["parameter", "evppi", "se", "r2", "method"]
    t = t.set_index("parameter")
    assert list(t.index) == ["x", "y", "w", "k", "xy", "all parameters (EVPI)"]
    assert t.loc["k", "evppi"] == 0 and t.loc["k", "method"] == "none (constant)"
    assert t.loc["xy", "kind"] == "group" and t.loc["xy", "method"] == "gp"
    assert t.loc["all parameters (EVPI)", "evppi"] == pytest.approx(voi.evpi(nb))
    assert t.loc["xy", "evppi"] == pytest.approx(voi.evpi(nb), rel=1e-6)
    assert abs(t.loc["x", "evppi"] - normal_evpi(c, a)) < 5 * t.loc["x", "se"] + 5
    assert abs(t.loc["y", "evppi"] - normal_evpi(c, b)) < 5 * t.loc["y", "se"] + 5
    assert t.loc["w", "evppi"] <= 3 * t.loc["w", "se"]
    assert t.loc["x", "r2"] == pytest.approx(0.36, abs=0.02)
    only = voi.evppi_table(nb, values, ["y"], include_evpi=False, se_draws=10)
    assert only["parameter"].tolist() == ["y"]
    assert only["evppi"].iloc[0] == pytest.approx(t.loc["y", "evppi"])


def test_bad_input():
    rng = np.random.default_rng(0)
    nb = rng.normal(size=(50, 2))
    x = rng.normal(size=50)
    with pytest.raises(InputError, match="draws"):
        voi.evppi(nb, x[:49])
    with pytest.raises(InputError, match="not finite"):
        voi.evppi(nb, np.where(np.arange(50) == 7, np.nan, x))
    with pytest.raises(InputError, match="not finite"):
        voi.evpi(np.array([[0.0, np.nan]]))
    with pytest.raises(InputError, match="shape"):
        voi.evpi(np.zeros(5))
    with pytest.raises(InputError, match="shape"):
        voi.evpi(np.zeros((0, 2)))
    with pytest.raises(InputError, match="method"):
        voi.evppi(nb, x, "kriging")
    with pytest.raises(InputError, match="more than"):  # 8 spline terms need > 16 draws
        voi.evppi(nb[:12], x[:12], "spline")
    with pytest.raises(InputError, match="more than"):
        voi.evppi(nb[:12], np.column_stack([x, x**2])[:12], "gp")
    with pytest.raises(InputError) as err:
        voi.evppi_table(nb, pd.DataFrame({"a": x}), ["b"])
    assert err.value.parameter == "b"
    with pytest.raises(InputError, match="numeric"):
        voi.evppi_table(nb, pd.DataFrame({"a": ["u"] * 50}))
    with pytest.raises(InputError, match="rows"):
        voi.evppi_table(nb, pd.DataFrame({"a": x[:40]}))
    with pytest.raises(InputError, match="no members"):
        voi.evppi_table(nb, pd.DataFrame({"a": x}), groups={"g": []})
    with pytest.raises(InputError, match="same shape"):
        voi.evpi_curve(np.zeros((3, 2)), np.zeros((3, 3)), [1.0])
    with pytest.raises(InputError, match="willingness"):
        voi.evpi_curve(np.zeros((3, 2)), np.zeros((3, 2)), [np.nan])
