"""Value of information against answers worked out without the code (issue 18, item 3).

Every case has a reference strategy whose net benefit is not zero, most have three strategies,
and every tolerance comes from the data-generating process written in the test (a closed-form
standard deviation over sqrt(n)), never from a standard error the code under test reports.
"""

import math

import numpy as np
import pytest
from scipy.stats import norm

from hecon.analysis.voi import evpi, evpi_curve, evppi, opportunity_loss


def test_evpi_by_hand_nonzero_reference_best_by_mean_not_by_wins():
    # strategy A (the reference) wins 3 of 4 draws, but B has the highest mean
    nb = np.array([
        [10.0, 9.0, 1.0],
        [10.0, 9.0, 2.0],
        [10.0, 9.0, 3.0],
        [6.0, 20.0, 4.0],
    ])
    # means: A 9.0, B 11.75, C 2.5 -> B is chosen; losses max - B: 1, 1, 1, 0
    assert opportunity_loss(nb) == pytest.approx([1.0, 1.0, 1.0, 0.0], abs=1e-12)
    assert evpi(nb) == pytest.approx(0.75, abs=1e-12)
    # adding the same amount to every strategy in a draw changes no decision and no loss
    shift = np.array([[100.0], [-50.0], [7.0], [1e3]])
    assert evpi(nb + shift) == pytest.approx(0.75, abs=1e-9)
    # strategy order does not matter
    assert evpi(nb[:, [2, 0, 1]]) == pytest.approx(0.75, abs=1e-12)


def test_evpi_curve_by_hand_decision_changes_with_wtp():
    # three strategies, two draws, reference with non-zero cost and effect
    costs = np.array([[1000.0, 3000.0, 6000.0], [1000.0, 5000.0, 4000.0]])
    effects = np.array([[1.0, 1.1, 1.2], [1.0, 1.3, 1.1]])
    # wtp 10,000: NB = (9000, 8000, 6000), (9000, 8000, 7000) -> best A each draw: EVPI 0
    # wtp 30,000: NB = (29000, 30000, 30000), (29000, 34000, 29000)
    #   means A 29000, B 32000, C 29500 -> B; per-draw max 30000, 34000 -> EVPI 0
    # wtp 50,000: NB = (49000, 52000, 54000), (49000, 60000, 51000)
    #   means A 49000, B 56000, C 52500 -> B; losses 54000 - 52000 = 2000, 0 -> EVPI 1000
    tab = evpi_curve(costs, effects, [10_000.0, 30_000.0, 50_000.0])
    assert tab["evpi"].to_numpy() == pytest.approx([0.0, 0.0, 1000.0], abs=1e-9)
    # the SE of two losses (2000, 0): sd 1414.21.../sqrt(2) = 1000
    assert tab["se"].iloc[2] == pytest.approx(1000.0, rel=1e-12)


def _normal_evpi_two(mu: float, sigma: float) -> tuple[float, float]:
    """EVPI of two strategies with INB ~ N(mu, sigma), and the SD of the per-draw loss."""
    z = mu / sigma
    e_pos = sigma * norm.pdf(z) + mu * norm.cdf(z)  # E[max(INB, 0)]
    e_pos2 = (mu**2 + sigma**2) * norm.cdf(z) + mu * sigma * norm.pdf(z)  # E[max(INB,0)^2]
    if mu >= 0:  # the intervention is chosen; loss = max(-INB, 0) = max(INB,0) - INB
        e_loss = e_pos - mu
        e_neg2 = (mu**2 + sigma**2) - e_pos2  # E[INB^2 1{INB<0}]
        return e_loss, math.sqrt(e_neg2 - e_loss**2)
    return e_pos, math.sqrt(e_pos2 - e_pos**2)


@pytest.mark.parametrize("m0, s0, m1, s1", [(5000.0, 3000.0, 5500.0, 4000.0),
                                           (20_000.0, 1000.0, 19_000.0, 2000.0)])
def test_evpi_two_normal_strategies_nonzero_reference(m0, s0, m1, s1):
    # independent normal net benefits: INB ~ N(m1 - m0, sqrt(s0^2 + s1^2))
    n = 200_000
    rng = np.random.default_rng(181)
    nb = np.column_stack([rng.normal(m0, s0, n), rng.normal(m1, s1, n)])
    exact, sd_loss = _normal_evpi_two(m1 - m0, math.hypot(s0, s1))
    # the Monte Carlo estimate's own error is sd_loss / sqrt(n); allow 4 of them
    assert evpi(nb) == pytest.approx(exact, abs=4 * sd_loss / math.sqrt(n))


# three strategies, each linear in one parameter X ~ N(0, 1), plus noise Z_k ~ N(0, 1):
#   NB_0 = 1000 + 100 X + 30 Z_0     (the reference: not zero, and it depends on X)
#   NB_1 = 1100 + 200 X + 30 Z_1
#   NB_2 =  700 + 600 X + 30 Z_2
# Given X the expected net benefits are the three lines; their upper envelope is
#   NB_0 for X < -1  (NB_1 - NB_0 = 100 + 100 X),
#   NB_1 for -1 < X < 1  (NB_2 - NB_1 = -400 + 400 X),
#   NB_2 for X > 1  (and NB_2 - NB_0 = -300 + 500 X > 0 there).
A = (1000.0, 1100.0, 700.0)
B = (100.0, 200.0, 600.0)
NOISE = 30.0
BREAKS = (-math.inf, -1.0, 1.0, math.inf)


def _piece(a: float, b: float, lo: float, hi: float) -> tuple[float, float]:
    """Integral over lo < x < hi of (a + b x) phi(x) and of (a + b x)^2 phi(x)."""
    p = norm.cdf(hi) - norm.cdf(lo)
    m1 = norm.pdf(lo) - norm.pdf(hi)  # int x phi
    lo_t = 0.0 if math.isinf(lo) else lo * norm.pdf(lo)
    hi_t = 0.0 if math.isinf(hi) else hi * norm.pdf(hi)
    m2 = p + lo_t - hi_t  # int x^2 phi
    return a * p + b * m1, a * a * p + 2 * a * b * m1 + b * b * m2


def _envelope_moments() -> tuple[float, float]:
    e1 = e2 = 0.0
    for k in range(3):
        p1, p2 = _piece(A[k], B[k], BREAKS[k], BREAKS[k + 1])
        e1 += p1
        e2 += p2
    return e1, e2


def test_envelope_closed_form_by_quadrature():
    # the closed form above agrees with brute-force quadrature of max_k(a_k + b_k x) phi(x)
    x = np.linspace(-12, 12, 240_001)
    env = np.max(np.array(A)[:, None] + np.array(B)[:, None] * x, axis=0)
    dx = x[1] - x[0]
    assert _envelope_moments()[0] == pytest.approx(float((env * norm.pdf(x)).sum() * dx),
                                                   rel=1e-9)


def _draws(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    z = rng.standard_normal((n, 3))
    nb = np.array(A) + np.array(B) * x[:, None] + NOISE * z
    return nb, x


def _fit_tol(n: int) -> float:
    """Four times a bound on what errors in the fitted lines can move EVPPI: each incremental
    column is a straight line fitted to noise of SD NOISE * sqrt(2), so its intercept and slope
    are off by about NOISE * sqrt(2) / sqrt(n); the line at X is off by at most that times
    (1 + E|X|) = 1.8, and there are two columns."""
    return 4 * 2 * 1.8 * NOISE * math.sqrt(2) / math.sqrt(n)


@pytest.mark.parametrize("method", ["spline", "gp"])
def test_evppi_three_strategies_nonzero_reference_closed_form(method):
    n = 8000
    nb, x = _draws(n, 1818)
    e_max, e_max2 = _envelope_moments()
    exact = e_max - max(A)  # E_X[max_k E(NB_k | X)] - max_k E(NB_k); max mean is NB_1
    # the oracle: the same estimator with the true lines at the sampled X (no fitting);
    # it differs from the closed form only by the sampling of X, SD(envelope) / sqrt(n)
    lines = np.array(A) + np.array(B) * x[:, None]
    oracle = float(lines.max(axis=1).mean() - lines.mean(axis=0).max())
    sd_env = math.sqrt(e_max2 - e_max**2)
    assert oracle == pytest.approx(exact, abs=4 * sd_env / math.sqrt(n) + 4 * max(B) / math.sqrt(n))
    # the code's fitted estimate differs from the oracle only by the error of the fitted lines
    res = evppi(nb, x, method=method)
    assert res.value == pytest.approx(oracle, abs=_fit_tol(n))
    assert _fit_tol(n) < 0.25 * exact  # the check is sharp: the tolerance is a small part


def test_evppi_nonzero_reference_leq_evpi_and_evpi_by_closed_form():
    n = 4000
    nb, x = _draws(n, 1819)
    # EVPI: with the noise every strategy's NB given X is normal; no closed form is needed for
    # the ordering EVPPI(X) <= EVPI, which holds for every sample (Jensen)
    value = evppi(nb, x, method="spline").value
    assert value <= evpi(nb) + 1e-9
    # and the perfect-information value of X alone (no noise) is EVPPI's closed form
    e_max, e_max2 = _envelope_moments()
    nb_x = np.array(A) + np.array(B) * x[:, None]
    sd_env = math.sqrt(e_max2 - e_max**2)
    assert evpi(nb_x) == pytest.approx(e_max - max(A), abs=4 * sd_env / math.sqrt(n)
                                       + 4 * max(B) / math.sqrt(n))


def test_evppi_reference_choice_does_not_matter():
    # EVPPI is a property of the decision, not of which strategy is the reference column
    n = 3000
    nb, x = _draws(n, 1820)
    a = evppi(nb, x, method="spline").value
    b = evppi(nb[:, [2, 1, 0]], x, method="spline").value
    # the fits differ only by the regression error of the lines (see the closed-form test)
    assert a == pytest.approx(b, abs=2 * _fit_tol(n))
