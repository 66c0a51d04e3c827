"""The Gaussian-process EVPPI's likelihood and its speed-ups: the negative log-likelihood
against the dense textbook formula written out here, its analytic gradient against central
differences, and the faster hyperparameter search (looser L-BFGS-B tolerance) against the
earlier, tighter one on cases with a known EVPPI."""

import numpy as np
import pytest
from scipy import stats

from hecon.analysis import voi


def dense_nll(theta, xs, hs, y):
    """Profile negative log marginal likelihood per draw, from its definition: y ~ N(H beta,
    sigma_f^2 (C + eta I)) with C_ij = exp(-sum_d (x_id - x_jd)^2 / l_d^2); beta and sigma_f^2
    at their maximum-likelihood values (GLS; sigma_f^2 = r'K^-1 r / s), constants dropped:
    (s log(r'K^-1 r / s) + log det K) / (2 s)."""
    s, m = xs.shape
    ell, eta = np.exp(theta[:m]), np.exp(theta[m])
    diff = (xs[:, None, :] - xs[None, :, :]) / ell
    k = np.exp(-(diff**2).sum(axis=2)) + eta * np.eye(s)
    kinv = np.linalg.inv(k)
    beta = np.linalg.solve(hs.T @ kinv @ hs, hs.T @ kinv @ y)
    r = y - hs @ beta
    quad = r @ kinv @ r
    return (s * np.log(quad / s) + np.linalg.slogdet(k)[1]) / (2 * s)


def sample(m, s=60, seed=0):
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(s, m))
    hs = np.column_stack([np.ones(s), xs])
    y = np.sin(2 * xs[:, 0]) + 0.5 * xs[:, -1] ** 2 + 0.2 * rng.normal(size=s)
    return rng, xs, hs, y


@pytest.mark.parametrize("m", [1, 2, 5])
def test_gp_nll_equals_dense_formula(m):
    rng, xs, hs, y = sample(m, seed=m)
    thetas = [np.concatenate([rng.uniform(np.log(0.05), np.log(100), m),
                              [rng.uniform(np.log(1e-4), np.log(1e3))]]) for _ in range(6)]
    # extremes: the shortest length scales (most kernel entries underflow, the floor at
    # exp(-700) applies), the longest, and the smallest noise ratio
    thetas += [np.concatenate([np.full(m, np.log(0.05)), [np.log(0.1)]]),
               np.concatenate([np.full(m, np.log(100.0)), [np.log(1.0)]]),
               np.concatenate([np.full(m, np.log(1.0)), [np.log(1e-6)]])]
    for theta in thetas:
        want = dense_nll(theta, xs, hs, y)
        got, _ = voi._gp_nll(theta, xs, hs, y)
        got_nograd, zero = voi._gp_nll(theta, xs, hs, y, grad=False)
        assert got == pytest.approx(want, rel=1e-9, abs=1e-9)
        assert got_nograd == pytest.approx(want, rel=1e-9, abs=1e-9)
        assert not zero.any()
        # the grid's shortcut: the correlation matrix passed in (and left unchanged)
        c = voi._sqexp(xs, xs, np.exp(theta[:m]))
        c0 = c.copy()
        for grad in (False, True):
            assert voi._gp_nll(theta, xs, hs, y, grad, c=c)[0] == pytest.approx(want, rel=1e-9,
                                                                                abs=1e-9)
        assert np.array_equal(c, c0)


@pytest.mark.parametrize("m", [1, 3, 6])
def test_gp_nll_gradient_equals_central_difference_at_random_hyperparameters(m):
    rng, xs, hs, y = sample(m, s=80, seed=10 + m)
    h = 1e-5
    for _ in range(5):
        # moderate conditioning, so that the central difference itself is accurate to ~1e-9
        theta = np.concatenate([rng.uniform(np.log(0.3), np.log(5.0), m),
                                [rng.uniform(np.log(1e-2), np.log(2.0))]])
        _, g = voi._gp_nll(theta, xs, hs, y)
        num = np.array([(voi._gp_nll(theta + h * e, xs, hs, y, grad=False)[0]
                         - voi._gp_nll(theta - h * e, xs, hs, y, grad=False)[0]) / (2 * h)
                        for e in np.eye(m + 1)])
        assert g == pytest.approx(num, rel=1e-5, abs=1e-5 * np.abs(num).max())


def normal_evpi(mu, sigma):
    return sigma * stats.norm.pdf(mu / sigma) - abs(mu) * stats.norm.cdf(-abs(mu) / sigma)


def interaction_case():
    # INB = 2000 Y / (1 + X) - 1000 + 500 Z (as in test_analysis_voi.py); group (X, Y).
    # Reference: E[max(f, 0)] - max(E f, 0) from 10^6 direct draws of f = E[INB | X, Y]
    rng = np.random.default_rng(11)

    def f(x, y):
        return 2000 * y / (1 + x) - 1000

    big = f(rng.lognormal(0, 0.5, 1_000_000), rng.gamma(10, 0.1, 1_000_000))
    truth = np.maximum(big, 0).mean() - max(big.mean(), 0)
    truth_se = np.maximum(big, 0).std() / 1000
    n = 5000
    x, y, z = rng.lognormal(0, 0.5, n), rng.gamma(10, 0.1, n), rng.normal(size=n)
    nb = np.column_stack([np.zeros(n), f(x, y) + 500 * z])
    return nb, np.column_stack([x, y]), f(x, y), truth, truth_se


def linear_case():
    # INB = 300 + 600 X + 800 Y, X, Y, W ~ N(0, 1); group (X, W): E[INB | X, W] = 300 + 600 X
    # ~ N(300, 600^2), so EVPPI = normal_evpi(300, 600) (closed form, no MC error)
    rng = np.random.default_rng(7)
    n = 5000
    x, y, w = rng.normal(size=(3, n))
    nb = np.column_stack([np.zeros(n), 300 + 600 * x + 800 * y])
    return nb, np.column_stack([x, w]), 300 + 600 * x, normal_evpi(300.0, 600.0), 0.0


def mc_error(g):
    """Monte Carlo SE of the EVPPI of the draws at hand given the exact conditional mean g
    (n,) of the second strategy's INB: SD / sqrt(n) of the per-draw loss against the strategy
    best on average."""
    full = np.column_stack([np.zeros(g.size), g])
    loss = full.max(axis=1) - full[:, np.argmax(full.mean(axis=0))]
    return loss.std(ddof=1) / np.sqrt(g.size)


@pytest.mark.parametrize("case", [interaction_case, linear_case])
def test_faster_gp_fit_gives_the_same_evppi_as_the_tighter_search(case, monkeypatch):
    nb, x, g, truth, truth_se = case()
    calls = {"n": 0}
    nll = voi._gp_nll

    def counted(*a, **kw):
        calls["n"] += 1
        return nll(*a, **kw)

    monkeypatch.setattr(voi, "_gp_nll", counted)
    new = voi.evppi(nb, x, "gp")
    new_calls, calls["n"] = calls["n"], 0
    monkeypatch.setattr(voi, "_GP_FTOL", 1e-7)  # the search before the speed-up
    old = voi.evppi(nb, x, "gp")
    old_calls = calls["n"]
    # the two searches agree to well within the estimate's regression standard error
    assert abs(new.value - old.value) < old.se
    assert new.se == pytest.approx(old.se, rel=0.1)
    # and both agree with the reference within their combined errors
    for r in (new, old):
        assert abs(r.value - truth) < 4 * np.sqrt(r.se**2 + mc_error(g) ** 2 + truth_se**2)
    assert new_calls <= old_calls


def test_fits_run_on_one_blas_thread_when_threadpoolctl_is_installed(monkeypatch):
    # an installed threadpoolctl is asked for one BLAS thread around each fit (GP and spline,
    # evppi and evppi_wtp); without it the fits run as before with the same value
    import contextlib
    import sys
    import types

    rng = np.random.default_rng(3)
    n = 400
    x = rng.normal(size=(n, 2))
    nb = np.column_stack([np.zeros(n), 50 + 300 * x[:, 0] * x[:, 1] + 100 * rng.normal(size=n)])
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import fails: not installed
    plain = [voi.evppi(nb, x, "gp").value, voi.evppi(nb, x[:, 0], "spline").value]
    asked = []

    def threadpool_limits(limits=None, user_api=None):
        asked.append((limits, user_api))
        return contextlib.nullcontext()

    fake = types.ModuleType("threadpoolctl")
    fake.threadpool_limits = threadpool_limits
    monkeypatch.setitem(sys.modules, "threadpoolctl", fake)
    limited = [voi.evppi(nb, x, "gp").value, voi.evppi(nb, x[:, 0], "spline").value]
    voi.evppi_wtp(np.zeros((n, 2)), nb, x[:, 0], [1.0])
    assert asked == [(1, "blas")] * 3
    assert limited == pytest.approx(plain, rel=1e-12)


def test_blas_libraries_are_looked_up_once_per_process(monkeypatch):
    # threadpoolctl >= 3.2: one ThreadpoolController (a scan of the loaded libraries) serves
    # every later fit, each asking it for one BLAS thread
    import contextlib
    import sys
    import types

    made, asked = [], []

    class ThreadpoolController:
        def __init__(self):
            made.append(1)

        def limit(self, limits=None, user_api=None):
            asked.append((limits, user_api))
            return contextlib.nullcontext()

    fake = types.ModuleType("threadpoolctl")
    fake.ThreadpoolController = ThreadpoolController
    monkeypatch.setitem(sys.modules, "threadpoolctl", fake)
    monkeypatch.setattr(voi, "_BLAS_CONTROLLER", None)
    rng = np.random.default_rng(4)
    n = 300
    x = rng.normal(size=(n, 2))
    nb = np.column_stack([np.zeros(n), 30 * x[:, 0] + 10 * rng.normal(size=n)])
    for _ in range(3):
        voi.evppi(nb, x[:, 0], "spline")
    assert made == [1] and asked == [(1, "blas")] * 3
