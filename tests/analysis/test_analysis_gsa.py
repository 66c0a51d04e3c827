"""Global sensitivity analysis through the full pipeline (parameter table -> SALib design ->
vectorised evaluation -> SALib analysis) against functions with known indices."""

import numpy as np
import pandas as pd
import pytest

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


def test_sobol_ishigami_closed_form():
    a, b = 7.0, 0.1
    # closed-form partial variances (Ishigami & Homma 1990; Sobol' & Levitan 1999)
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    s1 = np.array([v1, v2, 0.0]) / v
    st = np.array([v1 + v13, v2, v13]) / v
    assert s1 == pytest.approx([0.3139, 0.4424, 0.0], abs=1e-4)
    assert st == pytest.approx([0.5576, 0.4424, 0.2437], abs=1e-4)

    gd = gsa.sobol_design(ishigami_table(), n=2**13, seed=3)
    p = gd.design.params()
    y = np.sin(p.x1) + a * np.sin(p.x2) ** 2 + b * p.x3**4 * np.sin(p.x1)
    t = gsa.sobol_indices(gd, y).set_index("parameter")
    assert gd.design.n == 2**13 * 5
    np.testing.assert_allclose(t["S1"], s1, atol=0.03)
    np.testing.assert_allclose(t["ST"], st, atol=0.03)
    # the confidence half-widths cover the truth (generous: 2x for the bootstrap's noise)
    assert (np.abs(t["ST"] - st) <= 2 * t["ST_conf"] + 1e-3).all()


def test_sobol_linear_normal_closed_form():
    # y = sum c_i x_i, x_i ~ Normal(m_i, s_i): S1_i = ST_i = c_i^2 s_i^2 / sum_j c_j^2 s_j^2
    c = np.array([1.0, 2.0, -3.0])
    s = np.array([2.0, 1.0, 0.5])
    tab = _table([dict(name=f"x{i}", value=10.0 * i, distribution="normal", se=s[i])
                  for i in range(3)])
    gd = gsa.sobol_design(tab, n=2**12, seed=1)
    x = gd.design.values
    # the inverse-CDF mapping gives each column its distribution
    assert x[:, 0].std() == pytest.approx(2.0, rel=0.02)
    assert x[:, 1].mean() == pytest.approx(10.0, abs=0.05)
    y = x @ c
    t = gsa.sobol_indices(gd, y).set_index("parameter")
    want = c**2 * s**2 / np.sum(c**2 * s**2)
    np.testing.assert_allclose(t["S1"], want, atol=0.02)
    np.testing.assert_allclose(t["ST"], want, atol=0.02)


def test_sobol_constant_output_has_zero_indices():
    gd = gsa.sobol_design(ishigami_table(), n=64)
    t = gsa.sobol_indices(gd, np.full(gd.design.n, 5.0))
    assert (t[["S1", "ST"]] == 0).all().all()


def test_morris_linear_and_inert_input():
    # uniform(0, 10) inputs; Morris works on the central 95% of each distribution, so a step
    # of delta on the level scale moves x by 10 * 0.95 * delta: the elementary effect of
    # y = 3 x0 - 2 x1 + 0 x2 is 3 * 9.5 and -2 * 9.5 per unit level, exactly, everywhere.
    tab = _table([dict(name=f"x{i}", value=5.0, distribution="uniform", min=0, max=10)
                  for i in range(3)])
    gd = gsa.morris_design(tab, r=20, levels=4, seed=2)
    assert gd.design.n == 20 * 4
    x = gd.design.values
    y = 3 * x[:, 0] - 2 * x[:, 1]
    t = gsa.morris_indices(gd, y).set_index("parameter")
    assert t.loc["x0", "mu_star"] == pytest.approx(3 * 9.5)
    assert t.loc["x1", "mu"] == pytest.approx(-2 * 9.5)
    assert t.loc["x1", "sigma"] == pytest.approx(0, abs=1e-9)
    assert t.loc["x2", "mu_star"] == 0.0


def test_dirichlet_group_is_one_factor():
    tab = _table([
        dict(name="a", value=1.0, distribution="normal", se=1.0),
        dict(name="d1", value=0.5, distribution="dirichlet", alpha=50.0, group="g"),
        dict(name="d2", value=0.5, distribution="dirichlet", alpha=50.0, group="g"),
    ])
    gd = gsa.sobol_design(tab, n=256)
    v = gd.design.values
    names = gd.design.names
    assert np.allclose(v[:, names.index("d1")] + v[:, names.index("d2")], 1.0)
    t = gsa.sobol_indices(gd, v[:, names.index("d1")])
    assert t["parameter"].tolist() == ["a", "g"]
    assert t.set_index("parameter").loc["g", "ST"] > 0.9


def test_gsa_outputs():
    out = gsa.gsa_outputs(np.array([[10.0, 4.0]]), np.array([[1.5, 1.0]]), 20.0)
    assert out["inmb"][0] == pytest.approx(20 * 0.5 - 6)
    assert out["inc_cost"][0] == 6 and out["inc_effect"][0] == 0.5


def test_bad_input():
    tab = ishigami_table()
    with pytest.raises(InputError, match="power of 2"):
        gsa.sobol_design(tab, n=1000)
    with pytest.raises(InputError, match="unknown parameter"):
        gsa.sobol_design(tab, n=64, names=["x1", "x4"])
    gd = gsa.sobol_design(tab, n=64)
    with pytest.raises(InputError, match="one value per design row"):
        gsa.sobol_indices(gd, np.zeros(10))
    with pytest.raises(InputError, match="not finite"):
        gsa.sobol_indices(gd, np.full(gd.design.n, np.nan))
    with pytest.raises(InputError):
        gsa.morris_indices(gd, np.zeros(gd.design.n))
    with pytest.raises(InputError, match="even"):
        gsa.morris_design(tab, levels=3)
