"""Designs: base, one-way, PSA (independent, copula, Dirichlet), unit-hypercube mapping."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hecon.design import Design
from hecon.errors import InputError
from hecon.parameters import ParameterTable


def table():
    rows = [
        dict(name="p", value=82 / 179, unit="probability", distribution="beta", alpha=82, beta=97),
        dict(name="c", value=1000.0, unit="DKK 2023", distribution="gamma", se=200.0),
        dict(name="hr", value=0.74, unit="hazard ratio", distribution="lognormal", ci_low=0.55,
             ci_high=0.99),
        dict(name="age", value=67.0, unit="years", distribution="fixed", low=60.0, high=75.0),
        dict(name="k", value=2.0, unit="count", distribution="fixed"),
        dict(name="d1", value=0.5, unit="proportion", distribution="dirichlet", alpha=50.0,
             group="g"),
        dict(name="d2", value=0.3, unit="proportion", distribution="dirichlet", alpha=30.0,
             group="g"),
        dict(name="d3", value=0.2, unit="proportion", distribution="dirichlet", alpha=20.0,
             group="g"),
    ]
    for r in rows:
        r["source"] = "test"
    return ParameterTable.from_frame(pd.DataFrame(rows))


def test_base_and_params_arrays():
    d = Design.base(table())
    p = d.params()
    assert d.n == 1 and p.age.shape == (1,) and p["c"][0] == 1000.0


def test_one_way_rows_and_dirichlet_rescaling():
    t = table()
    d = Design.one_way(t)
    assert d.labels[0] == "base"
    assert "k:low" not in d.labels  # fixed without range: left out
    df = d.to_frame().set_index("label")
    assert df.loc["age:low", "age"] == 60 and df.loc["age:high", "age"] == 75
    assert df.loc["age:low", "c"] == 1000.0
    lo = stats.beta(82, 97).ppf(0.025)
    assert df.loc["p:low", "p"] == pytest.approx(lo)
    # d1 at its low: the others rescaled in proportion 3:2, the group sums to 1
    row = df.loc["d1:low"]
    assert row[["d1", "d2", "d3"]].sum() == pytest.approx(1.0, abs=1e-12)
    assert row["d2"] / row["d3"] == pytest.approx(1.5)


def test_psa_reproducible_and_moments():
    t = table()
    a = Design.psa(t, 20000, seed=7)
    b = Design.psa(t, 20000, seed=7)
    assert np.array_equal(a.values, b.values)
    p = a.params()
    n = 20000
    # sample means within 4 Monte Carlo standard errors of the true means
    for name, dist in (("p", stats.beta(82, 97)), ("c", stats.gamma(25, scale=40))):
        assert abs(p[name].mean() - dist.mean()) < 4 * dist.std() / np.sqrt(n)
    assert np.all(p.age == 67.0)
    g = np.stack([p.d1, p.d2, p.d3], axis=1)
    np.testing.assert_allclose(g.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(g.mean(axis=0), [0.5, 0.3, 0.2], atol=4 * 0.05 / np.sqrt(n))
    assert not np.array_equal(Design.psa(t, 10, seed=8).values, a.values[:10])


def test_copula_correlation():
    t = table()
    corr = pd.DataFrame([[1, 0.8], [0.8, 1]], index=["c", "hr"], columns=["c", "hr"])
    p = Design.psa(t, 20000, seed=3, correlation=corr).params()
    # Spearman rho of a Gaussian copula with r: (6/pi) asin(r/2)
    expected = 6 / np.pi * np.arcsin(0.4)
    assert stats.spearmanr(p.c, p.hr)[0] == pytest.approx(expected, abs=0.02)
    bad = pd.DataFrame([[1, 1.2], [1.2, 1]], index=["c", "hr"], columns=["c", "hr"])
    with pytest.raises(InputError, match="positive definite"):
        Design.psa(t, 10, seed=1, correlation=bad)
    with pytest.raises(InputError, match="fixed or unknown"):
        Design.psa(t, 10, seed=1, correlation=pd.DataFrame([[1.0]], index=["age"],
                                                           columns=["age"]))


def test_from_unit_maps_quantiles_and_rejects_infinity():
    t = table()
    u = np.array([[0.5, 0.025], [0.1, 0.975]])
    d = Design.from_unit(t, u, ["p", "hr"])
    assert d.params().p[0] == pytest.approx(stats.beta(82, 97).median())
    assert d.params().hr[0] == pytest.approx(0.74 / np.sqrt(0.99 / 0.55))
    assert d.params().c[1] == 1000.0
    with pytest.raises(InputError, match="maps to inf"):
        Design.from_unit(t, np.array([[1.0]]), ["c"])
    with pytest.raises(InputError, match="sampled whole"):
        Design.from_unit(t, np.array([[0.5]]), ["d1"])


def test_chunks_cover_rows():
    d = Design.psa(table(), 25, seed=1)
    parts = list(d.chunks(10))
    assert [x.n for x in parts] == [10, 10, 5]
    assert np.array_equal(np.vstack([x.values for x in parts]), d.values)
