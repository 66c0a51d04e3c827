"""Kaplan-Meier and the binary-covariate Cox fit, checked by hand and by brute force."""

import numpy as np
import pytest
from scipy import optimize

from hecon.errors import InputError
from hecon.survival import cox_binary, kaplan_meier


def test_kaplan_meier_by_hand():
    t = [1, 2, 2, 3, 4, 5]
    e = [1, 1, 0, 1, 0, 1]
    km = kaplan_meier(t, e)
    np.testing.assert_array_equal(km.time, [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(km.n_risk, [6, 5, 3, 2, 1])
    s = np.cumprod([5 / 6, 4 / 5, 2 / 3, 1, 0])
    np.testing.assert_allclose(km.survival, s)
    np.testing.assert_allclose(km.at([0, 1, 1.5, 2, 4.9, 5, 9]), [1, s[0], s[0], s[1], s[3], 0, 0])
    np.testing.assert_array_equal(km.at_risk([0, 2, 2.5, 5, 6]), [6, 5, 3, 1, 0])
    # Greenwood at t = 2: S^2 (1/(6*5) + 1/(5*4))
    np.testing.assert_allclose(km.std_err[1], s[1] * np.sqrt(1 / 30 + 1 / 20))
    assert km.median() == 3


def brute_force_breslow(t, e, g):
    def nll(beta):
        ll = 0.0
        for u in np.unique(t[e == 1]):
            at_risk = t >= u
            dead = (t == u) & (e == 1)
            ll += beta[0] * g[dead].sum() - dead.sum() * np.log(np.exp(beta[0] * g[at_risk]).sum())
        return -ll
    return optimize.minimize(nll, [0.0], method="BFGS").x[0]


def test_cox_matches_brute_force_partial_likelihood():
    rng = np.random.default_rng(4)
    n = 120
    g = np.repeat([0, 1], n // 2)
    t = np.round(rng.exponential(1 / np.where(g == 1, 0.6, 1.0)), 1)  # rounding makes ties
    c = rng.uniform(0, 3, n)
    e = (t <= c).astype(int)
    t = np.minimum(t, np.round(c, 1))
    res = cox_binary(t, e, g)
    np.testing.assert_allclose(res.log_hr, brute_force_breslow(t, e, g), atol=1e-5)
    lo, hi = res.ci()
    assert lo < res.hr < hi


def test_cox_recovers_hazard_ratio():
    rng = np.random.default_rng(8)
    n = 4000
    g = rng.integers(0, 2, n)
    t = rng.weibull(1.3, n) * 2.0 * np.where(g == 1, 0.6 ** (-1 / 1.3), 1.0)
    c = rng.uniform(0, 5, n)
    res = cox_binary(np.minimum(t, c), (t <= c).astype(int), g)
    assert abs(res.log_hr - np.log(0.6)) < 3 * res.se


def test_cox_bad_input():
    with pytest.raises(InputError):
        cox_binary([1, 2], [1, 1], [0, 2])
    with pytest.raises(InputError):
        cox_binary([1, 2, 3], [1, 1, 0], [0, 0, 1])
