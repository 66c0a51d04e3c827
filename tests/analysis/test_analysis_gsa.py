"""Global sensitivity analysis through the full pipeline (parameter table -> SALib design ->
vectorised evaluation -> SALib analysis) against functions with known indices."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hecon.analysis import gsa
from hecon.errors import InputError
from hecon.parameters import ParameterTable


def _table(rows):
    for r in rows:
        r.setdefault("source", "test")
        r.setdefault("unit", "-")
    return ParameterTable.from_frame(pd.DataFrame(rows))


def ishigami_table():
    return _table([dict(name=f"x{i}", value=0.0, distribution="uniform", min=-np.pi,
                        max=np.pi) for i in (1, 2, 3)])


def normal_table(s):
    return _table([dict(name=f"x{i}", value=10.0 * i, distribution="normal", se=s[i])
                   for i in range(len(s))])


def test_sobol_ishigami_closed_form():
    a, b = 7.0, 0.1
    pi = np.pi
    # closed forms (Ishigami & Homma 1990; Sobol' & Levitan 1999), x_i ~ U(-pi, pi):
    v = a**2 / 8 + b * pi**4 / 5 + b**2 * pi**8 / 18 + 1 / 2
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)  # the x1-x3 interaction; v3 = v12 = v23 = 0
    assert v1 + v2 + v13 == pytest.approx(v, rel=1e-12)  # the decomposition is complete
    s1 = np.array([v1, v2, 0.0]) / v
    st = np.array([v1 + v13, v2, v13]) / v
    np.testing.assert_allclose(s1, [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(st, [0.5576, 0.4424, 0.2437], atol=1e-4)

    gd = gsa.sobol_design(ishigami_table(), n=2**13, seed=3)
    assert gd.n_rows == 2**13 * (3 + 2)
    p = gd.design.params()
    y = np.sin(p.x1) + a * np.sin(p.x2) ** 2 + b * p.x3**4 * np.sin(p.x1)
    t = gsa.sobol_indices(gd, y).set_index("parameter")
    assert list(t.columns) == ["S1", "S1_conf", "ST", "ST_conf", "variance"]
    # the output variance over A and B: the Ishigami total variance v, within 5%
    assert t["variance"].iloc[0] == pytest.approx(v, rel=0.05)
    assert t.index.tolist() == ["x1", "x2", "x3"]
    np.testing.assert_allclose(t["S1"], s1, atol=0.02)
    np.testing.assert_allclose(t["ST"], st, atol=0.02)
    # the bootstrap half-widths are honest (2x for the bootstrap's own noise)
    assert (np.abs(t["S1"] - s1) <= 2 * t["S1_conf"] + 2e-3).all()
    assert (np.abs(t["ST"] - st) <= 2 * t["ST_conf"] + 2e-3).all()


def test_sobol_linear_normal_closed_form_and_inverse_cdf():
    # y = sum c_i x_i, x_i ~ Normal(m_i, s_i) independent: V_i = c_i^2 s_i^2 and no
    # interactions, so S1_i = ST_i = c_i^2 s_i^2 / sum_j c_j^2 s_j^2 = 4/14.5625, 4/.., 2.25/..
    c = np.array([1.0, 2.0, -3.0])
    s = np.array([2.0, 1.0, 0.5])
    n = 2**12
    gd = gsa.sobol_design(normal_table(s), n=n, seed=1)
    x = gd.design.values
    # inverse-CDF mapping: the A matrix (every (k+2)-th row) is a scrambled Sobol' net whose
    # 1-D projections put one point in each [j/n, (j+1)/n), so each column's Kolmogorov-Smirnov
    # distance to its Normal(10 i, s_i) is at most 1/n (+ the 2^-31 midpoint shift)
    a_rows = x[:: 3 + 2]
    assert len(a_rows) == n
    for i in range(3):
        ks = stats.kstest(a_rows[:, i], stats.norm(10.0 * i, s[i]).cdf).statistic
        assert ks <= 1 / n + 1e-9
    y = x @ c
    t = gsa.sobol_indices(gd, y).set_index("parameter")
    want = c**2 * s**2 / np.sum(c**2 * s**2)
    np.testing.assert_allclose(t["S1"], want, atol=0.005)
    np.testing.assert_allclose(t["ST"], want, atol=0.005)


def test_unit_sample_never_reaches_0_or_1():
    # scrambled Sobol' points lie on k / 2^30 and may be exactly 0: each is moved to the middle
    # of its cell, so 0 -> 2^-31 and the largest point -> 1 - 2^-31
    u = np.array([[0.0, 1 - 2.0**-30, 0.5, 1.0]])
    np.testing.assert_array_equal(
        gsa._midpoint_sobol(u), [[2.0**-31, 1 - 2.0**-31, 0.5 + 2.0**-31, 1 - 2.0**-31]])
    gd = gsa.sobol_design(normal_table([1.0, 1.0]), n=2**10, seed=5)
    assert gd.probs.min() > 0 and gd.probs.max() < 1
    assert np.isfinite(gd.design.values).all()
    # Morris levels 0, 1/3, 2/3, 1 -> bin midpoints 1/8, 3/8, 5/8, 7/8
    gm = gsa.morris_design(normal_table([1.0, 1.0]), r=10, levels=4, seed=5)
    np.testing.assert_allclose(np.unique(gm.unit.round(12)), [0, 1 / 3, 2 / 3, 1])
    assert set(np.unique(gm.probs)) == {0.125, 0.375, 0.625, 0.875}


def test_sobol_several_outputs_long_table():
    gd = gsa.sobol_design(normal_table([1.0, 2.0]), n=2**8, seed=2)
    x = gd.design.values
    y = np.stack([x[:, 0], x[:, 0] + x[:, 1]], axis=1)
    t = gsa.sobol_indices(gd, y, names_out=["first", "sum"])
    assert list(t.columns) == ["output", "parameter", "S1", "S1_conf", "ST", "ST_conf",
                               "variance"]
    assert t["output"].tolist() == ["first", "first", "sum", "sum"]
    one = gsa.sobol_indices(gd, y[:, 1])
    np.testing.assert_array_equal(t[t.output == "sum"]["ST"], one["ST"])
    # a mapping of outputs (e.g. gsa_outputs) gives the same long table
    m = gsa.sobol_indices(gd, {"first": y[:, 0], "sum": y[:, 1]})
    pd.testing.assert_frame_equal(m, t)


def test_sobol_constant_output_has_zero_indices():
    gd = gsa.sobol_design(ishigami_table(), n=64)
    t = gsa.sobol_indices(gd, np.full(gd.n_rows, 5.0))
    assert (t[["S1", "S1_conf", "ST", "ST_conf"]] == 0).all().all()


def test_morris_linear_uniform_and_inert_input():
    # uniform(0, 10) inputs and y = 3 x0 - 2 x1 + 0 x2. x = 10 F, with F the CDF, so the
    # elementary effect per unit of probability is dy/dF = 10 c_i, exactly, at every step.
    tab = _table([dict(name=f"x{i}", value=5.0, distribution="uniform", min=0, max=10)
                  for i in range(3)])
    gd = gsa.morris_design(tab, r=20, levels=4, seed=2)
    assert gd.n_rows == 20 * (3 + 1)
    p = gd.design.params()
    y = 3 * p.x0 - 2 * p.x1
    t = gsa.morris_indices(gd, y).set_index("parameter")
    assert list(t.columns) == ["mu", "mu_star", "sigma", "mu_star_conf"]
    assert t.loc["x0", "mu_star"] == pytest.approx(3 * 10)
    assert t.loc["x0", "mu"] == pytest.approx(3 * 10)
    assert t.loc["x1", "mu"] == pytest.approx(-2 * 10)
    assert t.loc["x1", "mu_star"] == pytest.approx(2 * 10)
    assert t.loc["x1", "sigma"] == pytest.approx(0, abs=1e-9)
    # x2 does nothing: all its elementary effects are exactly 0
    assert t.loc["x2", "mu_star"] == 0.0 and t.loc["x2", "mu"] == 0.0


def test_morris_linear_normal_through_the_cdf():
    # x_i ~ Normal(m_i, s_i); levels = 4 read as probabilities 1/8, 3/8, 5/8, 7/8, and a Morris
    # step joins 1/8 <-> 5/8 or 3/8 <-> 7/8, a CDF change of 1/2. By symmetry of the normal both
    # steps move x by s (z(5/8) - z(1/8)), so every elementary effect of y = sum c_i x_i is
    # c_i s_i (z(5/8) - z(1/8)) / (1/2).
    c = np.array([1.0, -4.0])
    s = np.array([3.0, 0.5])
    gd = gsa.morris_design(normal_table(s), r=15, levels=4, seed=9)
    y = gd.design.values @ c
    t = gsa.morris_indices(gd, y).set_index("parameter")
    dz = stats.norm.ppf(5 / 8) - stats.norm.ppf(1 / 8)
    np.testing.assert_allclose(t["mu_star"], np.abs(c) * s * dz / 0.5, rtol=1e-12)
    np.testing.assert_allclose(t["mu"], c * s * dz / 0.5, rtol=1e-12)


def test_dirichlet_group_is_one_factor():
    tab = _table([
        dict(name="a", value=1.0, distribution="normal", se=1.0),
        dict(name="d1", value=0.5, distribution="dirichlet", alpha=50.0, group="g"),
        dict(name="d2", value=0.5, distribution="dirichlet", alpha=50.0, group="g"),
        dict(name="k", value=2.0, distribution="fixed"),
    ])
    gd = gsa.sobol_design(tab, n=256)
    assert gd.factors == ["a", "g"] and gd.n_rows == 256 * (2 + 2)
    p = gd.design.params()
    np.testing.assert_allclose(p.d1 + p.d2, 1.0, atol=1e-12)
    assert (p.k == 2.0).all()
    t = gsa.sobol_indices(gd, p.d1)
    assert t["parameter"].tolist() == ["a", "g"]
    assert t.set_index("parameter").loc["g", "ST"] > 0.9
    # naming one member (or the group) brings in the whole group
    for names in (["d1"], ["g"]):
        assert gsa.sobol_design(tab, n=64, names=names).problem["names"] == ["d1", "d2"]
    gm = gsa.morris_design(tab, r=10)
    pm = gm.design.params()
    tm = gsa.morris_indices(gm, pm.a).set_index("parameter")
    assert tm.index.tolist() == ["a", "g"] and tm.loc["g", "mu_star"] == 0.0


def test_gsa_outputs():
    costs = np.array([[10.0, 4.0], [5.0, 7.0]])
    qalys = np.array([[1.5, 1.0], [2.0, 2.5]])
    out = gsa.gsa_outputs(costs, qalys, [20.0, 1e5])
    np.testing.assert_allclose(out["inc_cost"], [6.0, -2.0])
    np.testing.assert_allclose(out["inc_qalys"], [0.5, -0.5])
    np.testing.assert_allclose(out["inmb_20"], [20 * 0.5 - 6, 20 * -0.5 + 2])
    np.testing.assert_allclose(out["inmb_100000"], [1e5 * 0.5 - 6, -1e5 * 0.5 + 2])
    assert list(gsa.gsa_outputs(costs, qalys, 30.0)) == ["inmb_30", "inc_cost", "inc_qalys"]
    with pytest.raises(InputError, match=r"\(n, 2\)"):
        gsa.gsa_outputs(costs[:, :1], qalys[:, :1], 20.0)
    with pytest.raises(InputError, match="willingness"):
        gsa.gsa_outputs(costs, qalys, np.nan)


def test_bad_input():
    tab = ishigami_table()
    with pytest.raises(InputError, match="power of 2"):
        gsa.sobol_design(tab, n=1000)
    with pytest.raises(InputError, match="whole number"):
        gsa.sobol_design(tab, n=64.5)
    with pytest.raises(InputError, match="unknown parameter"):
        gsa.sobol_design(tab, n=64, names=["x1", "x4"])
    fixed = _table([dict(name="k", value=1.0, distribution="fixed"),
                    dict(name="x", value=0.0, distribution="normal", se=1.0)])
    with pytest.raises(InputError, match="fixed"):
        gsa.sobol_design(fixed, n=64, names=["k"])
    gd = gsa.sobol_design(tab, n=64)
    with pytest.raises(InputError, match="one value per design row"):
        gsa.sobol_indices(gd, np.zeros(10))
    with pytest.raises(InputError, match="one value per design row"):
        gsa.sobol_indices(gd, np.zeros((gd.n_rows + 1, 2)))
    with pytest.raises(InputError, match="output names"):
        gsa.sobol_indices(gd, np.zeros((gd.n_rows, 2)), names_out=["a"])
    with pytest.raises(InputError, match="not finite"):
        gsa.sobol_indices(gd, np.full(gd.n_rows, np.nan))
    with pytest.raises(InputError, match="morris_design"):
        gsa.morris_indices(gd, np.zeros(gd.n_rows))
    with pytest.raises(InputError, match="conf_level"):
        gsa.sobol_indices(gd, np.arange(gd.n_rows), conf_level=1.5)
    with pytest.raises(InputError, match="even"):
        gsa.morris_design(tab, levels=3)
    with pytest.raises(InputError, match="trajectories"):
        gsa.morris_design(tab, r=1)


def test_sobol_second_order_ishigami():
    # S2 of the pair (x1, x3) is V13 / V; the other pairs have no interaction
    a, b, pi = 7.0, 0.1, np.pi
    v = a**2 / 8 + b * pi**4 / 5 + b**2 * pi**8 / 18 + 1 / 2
    s13 = b**2 * pi**8 * (1 / 18 - 1 / 50) / v
    gd = gsa.sobol_design(ishigami_table(), n=2**12, seed=5, calc_second_order=True)
    assert gd.n_rows == 2**12 * (2 * 3 + 2)
    p = gd.design.params()
    y = np.sin(p.x1) + a * np.sin(p.x2) ** 2 + b * p.x3**4 * np.sin(p.x1)
    t = gsa.sobol_second_order(gd, y).set_index(["parameter", "other"])
    assert t.index.tolist() == [("x1", "x2"), ("x1", "x3"), ("x2", "x3")]
    np.testing.assert_allclose(t["S2"], [0.0, s13, 0.0], atol=0.05)
    first = gsa.sobol_indices(gd, y)  # S1/ST from the same second-order design
    assert len(first) == 3
    with pytest.raises(InputError):
        gsa.sobol_second_order(gsa.sobol_design(ishigami_table(), n=64), y[:64 * 5])


def test_linear_output_variance_reported():
    # y = sum c_i x_i: variance sum c_i^2 s_i^2 = 4 + 4 + 2.25
    c = np.array([1.0, 2.0, -3.0])
    s = np.array([2.0, 1.0, 0.5])
    gd = gsa.sobol_design(normal_table(s), n=2**12, seed=1)
    t = gsa.sobol_indices(gd, gd.design.values @ c)
    # the variance of 2 x 4096 (quasi-random) draws: within a few per cent
    assert t["variance"].iloc[0] == pytest.approx(np.sum(c**2 * s**2), rel=0.03)


def test_correlated_psa_warns():
    t = normal_table([1.0, 1.0, 1.0])
    corr = pd.DataFrame([[1.0, 0.5], [0.5, 1.0]], index=["x0", "x1"], columns=["x0", "x1"])
    with pytest.warns(gsa.CorrelatedInputsWarning, match="x0 and x1"):
        gsa.sobol_design(t, n=64, correlation=corr)
    with pytest.warns(gsa.CorrelatedInputsWarning):
        gsa.morris_design(t, r=4, correlation=corr)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gsa.sobol_design(t, n=64, correlation=pd.DataFrame(np.eye(2), index=["x0", "x1"],
                                                           columns=["x0", "x1"]))


def test_morris_full_range_linear_uniform():
    # y = c x, x ~ U(lo, hi) on the full range: every step moves the CDF by 2/3 - tail
    # (p = 4 levels, one end moved in by tail), so the effect per unit probability is
    # c (hi - lo) (2/3 - tail) / (2/3)
    lo, hi, c, tail = 2.0, 5.0, -4.0, 0.001
    t = _table([dict(name="x", value=3.0, distribution="uniform", min=lo, max=hi),
                dict(name="z", value=3.0, distribution="uniform", min=lo, max=hi)])
    gd = gsa.morris_design(t, r=20, seed=2, full_range=True, tail=tail)
    x = gd.design.params().x
    assert x.min() == pytest.approx(lo + tail * (hi - lo))
    assert x.max() == pytest.approx(hi - tail * (hi - lo))
    m = gsa.morris_indices(gd, c * x).set_index("parameter")
    assert m.loc["x", "mu_star"] == pytest.approx(abs(c) * (hi - lo) * (1 - 1.5 * tail),
                                                  rel=1e-9)
    assert m.loc["z", "mu_star"] == pytest.approx(0.0, abs=1e-12)
