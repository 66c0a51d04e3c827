"""Maximum-likelihood fitting: closed forms, recovery of known parameters, tables and draws."""

import numpy as np
import pytest

from hecon.errors import InputError
from hecon.survival import (
    Exponential,
    GenGamma,
    Gompertz,
    LogLogistic,
    LogNormal,
    Weibull,
    fit_all,
    fit_parametric,
    fit_table,
    log_likelihood,
)

TRUTH = {
    "exponential": Exponential(0.3),
    "weibull": Weibull(1.4, 2.0),
    "gompertz": Gompertz(0.25, 0.12),
    "loglogistic": LogLogistic(1.8, 1.5),
    "lognormal": LogNormal(0.4, 0.9),
    "gengamma": GenGamma(0.5, 0.7, -0.6),
}


def simulate(dist, n, seed, follow_up=8.0):
    rng = np.random.default_rng(seed)
    event_t = dist.sample(rng, n)[0]
    cens = rng.uniform(0, follow_up, n)
    return np.minimum(event_t, cens), (event_t <= cens).astype(int)


def test_exponential_mle_is_closed_form():
    t, e = simulate(Exponential(0.5), 500, 1)
    f = fit_parametric(t, e, "exponential")
    rate = e.sum() / t.sum()
    np.testing.assert_allclose(f.distribution.rate, rate, rtol=1e-6)
    # observed information of log(rate) is d, so se = 1/sqrt(d)
    np.testing.assert_allclose(f.se[0], 1 / np.sqrt(e.sum()), rtol=1e-4)
    np.testing.assert_allclose(f.loglik, e.sum() * np.log(rate) - rate * t.sum(), rtol=1e-10)
    assert f.converged


@pytest.mark.parametrize("family", list(TRUTH))
def test_recovers_known_parameters(family):
    truth = TRUTH[family]
    t, e = simulate(truth, 3000, seed=11)
    f = fit_parametric(t, e, family)
    assert f.converged, f.message
    z = (f.coef - truth.coef()[0]) / f.se
    assert np.all(np.abs(z) < 4), (family, z)
    # likelihood at the MLE is at least that at the truth
    assert f.loglik >= log_likelihood(truth, t, e)[0] - 1e-8


def test_gengamma_nests_weibull_and_lognormal():
    t, e = simulate(Weibull(1.2, 3.0), 800, seed=5)
    fits = fit_all(t, e)
    gg = fits["gengamma"].loglik
    assert gg >= fits["weibull"].loglik - 1e-6
    assert gg >= fits["lognormal"].loglik - 1e-6


def test_fit_table_sorted_and_complete():
    t, e = simulate(LogNormal(0.4, 0.9), 1000, seed=2)
    fits = fit_all(t, e)
    table = fit_table(fits)
    assert list(table.columns[:7]) == ["family", "n_par", "loglik", "aic", "bic", "delta_aic",
                                       "delta_bic"]
    assert set(table["family"]) == set(TRUTH)
    assert np.all(np.diff(table["aic"]) >= 0)
    assert table["delta_aic"].iloc[0] == 0
    row = table.set_index("family").loc["weibull"]
    np.testing.assert_allclose(row["aic"], -2 * row["loglik"] + 4)
    np.testing.assert_allclose(row["bic"], -2 * row["loglik"] + 2 * np.log(1000))
    assert table["family"].iloc[0] in ("lognormal", "gengamma")


def test_draws_follow_the_covariance():
    t, e = simulate(Weibull(1.4, 2.0), 1500, seed=9)
    f = fit_parametric(t, e, "weibull")
    d = f.draw(4000, np.random.default_rng(1))
    assert isinstance(d, Weibull)
    assert d.shape.shape == (4000,) and d.scale.shape == (4000,)
    c = d.coef()
    assert np.all(np.abs(c.mean(axis=0) - f.coef) < 4 * f.se / np.sqrt(4000))
    cov = np.cov(c.T)
    np.testing.assert_allclose(np.diag(cov), np.diag(f.vcov), rtol=0.1)
    corr = f.vcov[0, 1] / np.sqrt(f.vcov[0, 0] * f.vcov[1, 1])
    assert abs(np.corrcoef(c.T)[0, 1] - corr) < 0.05  # sampling SE ~ 1/sqrt(4000) = 0.016
    assert d.survival(np.array([1.0, 2.0])).shape == (4000, 2)
    s = f.summary()
    assert list(s["parameter"]) == ["shape", "scale"]
    assert np.all(s["lower_95"] < s["estimate"]) and np.all(s["estimate"] < s["upper_95"])


def test_bad_data_raise_input_error():
    with pytest.raises(InputError):
        fit_parametric([1.0, 2.0], [0, 0], "weibull")
    with pytest.raises(InputError):
        fit_parametric([0.0, 2.0], [1, 1], "weibull")
    with pytest.raises(InputError):
        fit_parametric([1.0, -2.0], [1, 1], "weibull")
    with pytest.raises(InputError):
        fit_parametric([1.0, 2.0], [1, 2], "weibull")
    # censoring at time 0 is allowed (contributes nothing)
    f = fit_parametric([0.0, 1.0, 2.0, 3.0], [0, 1, 1, 0], "exponential")
    np.testing.assert_allclose(f.distribution.rate, 2 / 6, rtol=1e-6)
