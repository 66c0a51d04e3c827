"""Parametric families against closed forms and scipy.stats."""

import numpy as np
import pytest
from scipy import integrate, stats

from hecon.errors import InputError
from hecon.survival import (
    FAMILIES,
    Exponential,
    GenGamma,
    Gompertz,
    LogLogistic,
    LogNormal,
    Weibull,
    get_family,
)

T = np.array([0.05, 0.3, 1.0, 2.5, 7.0, 20.0])


def check_against(dist, ref, t=T, rtol=1e-9):
    np.testing.assert_allclose(dist.survival(t)[0], ref.sf(t), rtol=rtol, atol=1e-15)
    np.testing.assert_allclose(dist.pdf(t)[0], ref.pdf(t), rtol=rtol, atol=1e-15)
    np.testing.assert_allclose(dist.cdf(t)[0], ref.cdf(t), rtol=rtol, atol=1e-15)
    mask = ref.sf(t) > 1e-12
    np.testing.assert_allclose(dist.hazard(t)[0][mask], (ref.pdf(t) / ref.sf(t))[mask], rtol=1e-7)
    np.testing.assert_allclose(dist.cumhaz(t)[0][mask], -np.log(ref.sf(t))[mask], rtol=1e-8)
    p = np.array([0.01, 0.2, 0.5, 0.9, 0.99])
    np.testing.assert_allclose(dist.quantile(p)[0], ref.ppf(p), rtol=1e-8)
    np.testing.assert_allclose(dist.mean()[0], ref.mean(), rtol=1e-9)


def test_exponential_closed_form():
    d = Exponential(0.4)
    np.testing.assert_allclose(d.survival(T)[0], np.exp(-0.4 * T))
    np.testing.assert_allclose(d.hazard(T)[0], 0.4)
    check_against(d, stats.expon(scale=1 / 0.4))


@pytest.mark.parametrize("shape,scale", [(0.7, 2.0), (1.0, 1.5), (1.8, 4.0)])
def test_weibull_matches_scipy(shape, scale):
    check_against(Weibull(shape, scale), stats.weibull_min(c=shape, scale=scale))


@pytest.mark.parametrize("shape,scale", [(0.8, 1.0), (2.5, 3.0)])
def test_loglogistic_matches_fisk(shape, scale):
    d = LogLogistic(shape, scale)
    ref = stats.fisk(c=shape, scale=scale)
    if shape > 1:
        check_against(d, ref)
    else:
        assert np.isinf(d.mean()[0])
        np.testing.assert_allclose(d.survival(T)[0], ref.sf(T), rtol=1e-12)
        np.testing.assert_allclose(d.hazard(T)[0], ref.pdf(T) / ref.sf(T), rtol=1e-10)


def test_lognormal_matches_scipy():
    check_against(LogNormal(0.5, 1.1), stats.lognorm(s=1.1, scale=np.exp(0.5)))


@pytest.mark.parametrize("Q", [1.5, 0.6, 0.2, -0.4, -1.2])
def test_gengamma_matches_scipy(Q):  # noqa: N803
    mu, sigma = 0.4, 0.8
    gamma = 1 / Q**2
    # T = exp(mu) (X/gamma)^(sigma/Q), X ~ Gamma(gamma): scipy's gengamma(a, c) is X^(1/c)
    ref = stats.gengamma(a=gamma, c=Q / sigma, scale=np.exp(mu) * gamma ** (-sigma / Q))
    d = GenGamma(mu, sigma, Q)
    if Q < 0 and 1 + sigma * Q <= 0:
        assert np.isinf(d.mean()[0])
        ref_mean = None
    else:
        ref_mean = ref.mean()
    np.testing.assert_allclose(d.survival(T)[0], ref.sf(T), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(d.pdf(T)[0], ref.pdf(T), rtol=1e-9, atol=1e-15)
    p = np.array([0.05, 0.5, 0.95])
    np.testing.assert_allclose(d.quantile(p)[0], ref.ppf(p), rtol=1e-8)
    if ref_mean is not None:
        np.testing.assert_allclose(d.mean()[0], ref_mean, rtol=1e-9)


def test_gengamma_special_cases():
    # Q = 1: Weibull(shape 1/sigma, scale e^mu); Q = sigma: gamma; Q = 0: lognormal
    np.testing.assert_allclose(GenGamma(0.3, 0.5, 1.0).survival(T),
                               Weibull(2.0, np.exp(0.3)).survival(T), rtol=1e-10)
    s = 0.6
    ref = stats.gamma(a=1 / s**2, scale=np.exp(0.2) * s**2)
    np.testing.assert_allclose(GenGamma(0.2, s, s).survival(T)[0], ref.sf(T), rtol=1e-9)
    ln = LogNormal(0.3, 0.8)
    g0 = GenGamma(0.3, 0.8, 0.0)
    for m in ("survival", "pdf", "hazard"):
        np.testing.assert_allclose(getattr(g0, m)(T), getattr(ln, m)(T), rtol=1e-12)
    np.testing.assert_allclose(g0.mean(), ln.mean(), rtol=1e-12)


def test_gengamma_continuous_through_q_zero():
    qs = np.array([-1e-3, -1e-5, -1e-7, 0.0, 1e-7, 1e-5, 1e-3])
    d = GenGamma(np.full(qs.size, 0.3), 0.8, qs)
    s, f, m = d.survival(T), d.pdf(T), d.mean()
    # first-order expansion about the log-normal is accurate to O(Q^2)
    w = (np.log(T) - 0.3) / 0.8
    s_approx = stats.norm.sf(w)[None, :] - qs[:, None] * stats.norm.pdf(w) * (w**2 + 2) / 6
    assert np.all(np.abs(s - s_approx) <= 100 * qs[:, None] ** 2 + 1e-11)
    assert np.all(np.abs(np.diff(s, axis=0)) < 1e-3)
    assert np.all(np.abs(np.diff(f, axis=0)) < 1e-3)
    m_approx = np.exp(0.3 + 0.32) * (1 - qs * (0.8**3 + 3 * 0.8) / 6)
    np.testing.assert_allclose(m, m_approx, rtol=1e-6)


def test_gompertz_closed_form_and_mean_by_integration():
    b, a = 0.15, 0.1
    d = Gompertz(b, a)
    np.testing.assert_allclose(d.hazard(T)[0], a * np.exp(b * T))
    np.testing.assert_allclose(d.survival(T)[0], np.exp(-a / b * np.expm1(b * T)))
    numeric, _ = integrate.quad(lambda x: np.exp(-a / b * np.expm1(b * x)), 0, 200)
    np.testing.assert_allclose(d.mean()[0], numeric, rtol=1e-8)
    # shape 0 is the exponential; tiny shape is continuous with it
    np.testing.assert_allclose(Gompertz(0.0, a).survival(T), Exponential(a).survival(T))
    np.testing.assert_allclose(Gompertz(1e-10, a).mean(), 1 / a, rtol=1e-8)
    np.testing.assert_allclose(Gompertz(0.0, a).mean(), 1 / a)
    # large rate/shape ratio uses the asymptotic series
    d2 = Gompertz(0.01, 2.0)
    numeric2, _ = integrate.quad(lambda x: np.exp(-200 * np.expm1(0.01 * x)), 0, 200)
    np.testing.assert_allclose(d2.mean()[0], numeric2, rtol=1e-8)


def test_gompertz_negative_shape_has_cure_fraction():
    d = Gompertz(-0.5, 0.2)
    cure = np.exp(0.2 / -0.5)
    np.testing.assert_allclose(d.survival([1e4])[0, 0], cure, rtol=1e-12)
    assert np.isinf(d.mean()[0])
    assert np.isinf(d.quantile([0.5])[0, 0])  # 1 - cure < 0.5
    np.testing.assert_allclose(d.survival(d.quantile([0.2]))[0, 0], 0.8)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_hazard_is_derivative_of_cumhaz(name):
    dist = {
        "exponential": Exponential(0.3), "weibull": Weibull(1.3, 2.0),
        "gompertz": Gompertz(0.1, 0.2), "loglogistic": LogLogistic(1.6, 2.0),
        "lognormal": LogNormal(0.5, 0.9), "gengamma": GenGamma(0.5, 0.9, 0.4),
    }[name]
    h = 1e-6
    numeric = (dist.cumhaz(T + h) - dist.cumhaz(T - h)) / (2 * h)
    np.testing.assert_allclose(dist.hazard(T), numeric, rtol=1e-5)
    np.testing.assert_allclose(dist.survival(T), np.exp(-dist.cumhaz(T)), rtol=1e-12)
    np.testing.assert_allclose(dist.survival([0.0]), 1.0)
    np.testing.assert_allclose(dist.cumhaz([0.0]), 0.0)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_rmst_and_mean_by_integration(name):
    dist = {
        "exponential": Exponential(0.3), "weibull": Weibull(0.8, 2.0),
        "gompertz": Gompertz(0.1, 0.2), "loglogistic": LogLogistic(2.5, 2.0),
        "lognormal": LogNormal(0.5, 0.9), "gengamma": GenGamma(0.5, 0.9, -0.4),
    }[name]
    numeric, _ = integrate.quad(lambda x: dist.survival([x])[0, 0], 1.0, 6.0)
    np.testing.assert_allclose(dist.rmst(6.0, t_min=1.0)[0], numeric, rtol=1e-9)
    full, _ = integrate.quad(lambda x: dist.survival([x])[0, 0], 0, np.inf, limit=200)
    np.testing.assert_allclose(dist.mean()[0], full, rtol=1e-6)


def test_vectorised_shapes_and_per_sample_times():
    d = Weibull(np.array([1.0, 1.5, 2.0]), 2.0)
    assert d.n == 3
    assert d.survival(T).shape == (3, T.size)
    assert d.hazard(T).shape == (3, T.size)
    assert d.mean().shape == (3,)
    assert d.rmst(5.0).shape == (3,)
    for i, a in enumerate([1.0, 1.5, 2.0]):
        np.testing.assert_allclose(d.survival(T)[i], Weibull(a, 2.0).survival(T)[0])
    per_sample = np.vstack([T, 2 * T, 3 * T])
    out = d.survival(per_sample)
    np.testing.assert_allclose(out[1], Weibull(1.5, 2.0).survival(2 * T)[0])
    with pytest.raises(InputError):
        Weibull(np.ones(3), np.ones(2))
    with pytest.raises(InputError):
        Weibull(-1.0, 2.0)
    with pytest.raises(InputError):
        d.survival([-1.0])


def test_sampling_matches_distribution():
    rng = np.random.default_rng(3)
    d = Weibull([1.5, 0.8], [2.0, 1.0])
    x = d.sample(rng, 20000)
    assert x.shape == (2, 20000)
    for i, (a, b) in enumerate([(1.5, 2.0), (0.8, 1.0)]):
        ks = stats.kstest(x[i], stats.weibull_min(c=a, scale=b).cdf)
        assert ks.pvalue > 1e-3
    g = GenGamma(0.2, 0.7, -0.5).sample(rng, 20000)[0]
    gamma = 4.0
    ref = stats.gengamma(a=gamma, c=-0.5 / 0.7, scale=np.exp(0.2) * gamma ** (0.7 / 0.5))
    assert stats.kstest(g, ref.cdf).pvalue > 1e-3


def test_coefficients_round_trip_and_names():
    d = GenGamma([0.1, 0.2], [0.5, 0.6], [-0.3, 0.4])
    back = GenGamma.from_coef(d.coef())
    for k in ("mu", "sigma", "Q"):
        np.testing.assert_allclose(back.params[k], d.params[k])
    np.testing.assert_allclose(Weibull(2.0, 3.0).coef(), [[np.log(2.0), np.log(3.0)]])
    assert get_family("llogis") is LogLogistic
    assert get_family("Log-Normal") is LogNormal
    with pytest.raises(InputError):
        get_family("spline")
