"""Design.from_unit maps each column's distinct unit values only once (Sobol', Morris designs
repeat them): the designs are bit-identical to mapping every row, checked against a copy of the
row-by-row mapping and by hand."""

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hecon import distributions
from hecon.analysis.gsa import morris_design, sobol_design
from hecon.design import Design
from hecon.errors import InputError
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.model import DangerShockModel
from hecon.parameters import ParameterTable


def rowwise(table: ParameterTable, u: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """The mapping before distinct values: every row's value through its inverse CDF."""
    names = list(names)
    vals = np.repeat(Design.base(table).values, u.shape[0], axis=0)
    cols, groups, done = table.names, table.groups(), set()
    for j, name in enumerate(names):
        p = table[name]
        if p.group:
            if p.group in done:
                continue
            members = groups[p.group]
            g = np.stack([stats.gamma(table[m].alpha).ppf(u[:, names.index(m)])
                          for m in members], axis=1)
            for i, m in enumerate(members):
                vals[:, cols.index(m)] = g[:, i] / g.sum(axis=1)
            done.add(p.group)
            continue
        vals[:, cols.index(name)] = p.dist.ppf(u[:, j])
    return vals


def small_table() -> ParameterTable:
    rows = [
        dict(name="p", value=82 / 179, distribution="beta", alpha=82, beta=97),
        dict(name="c", value=1000.0, distribution="gamma", se=200.0),
        dict(name="hr", value=0.74, distribution="lognormal", ci_low=0.55, ci_high=0.99),
        dict(name="w", value=4.0, distribution="uniform", min=2.0, max=6.0),
        dict(name="e", value=3.0, distribution="gamma", shape=1.0, scale=3.0),
        dict(name="k", value=2.0, distribution="fixed"),
        dict(name="d1", value=0.5, distribution="dirichlet", alpha=50.0, group="g"),
        dict(name="d2", value=0.3, distribution="dirichlet", alpha=30.0, group="g"),
        dict(name="d3", value=0.2, distribution="dirichlet", alpha=20.0, group="g"),
    ]
    for r in rows:
        r.update(unit="x", source="test")
    return ParameterTable.from_frame(pd.DataFrame(rows))


@pytest.fixture(scope="module")
def flagship() -> ParameterTable:
    return DangerShockModel.build(ModelConfig(country="dk")).table


@pytest.fixture
def ppf_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sizes of the arrays given to each parameter's inverse CDF."""
    sizes: list[int] = []
    real = distributions.Dist.ppf

    def spy(self: distributions.Dist, u: np.ndarray) -> np.ndarray:
        sizes.append(np.asarray(u).size)
        return real(self, u)

    monkeypatch.setattr(distributions.Dist, "ppf", spy)
    return sizes


def test_sobol_design_of_flagship_identical_to_rowwise(flagship, ppf_sizes):
    gd = sobol_design(flagship, 256)
    names = gd.problem["names"]
    # each column's ~2N distinct values were mapped, not its N (k + 2) rows
    assert len(ppf_sizes) == len(names)
    assert max(ppf_sizes) <= 2 * 256 < gd.design.n
    assert np.array_equal(gd.design.values, rowwise(flagship, gd.probs, names))


def test_psa_design_of_flagship_identical_to_rowwise(flagship, ppf_sizes):
    d = Design.psa(flagship, 3000, seed=11)
    assert set(ppf_sizes) == {3000}  # distinct draws: no gathering
    z = np.random.default_rng(11).standard_normal((3000, len(flagship.uncertain_names)))
    u = np.clip(stats.norm.cdf(z), np.nextafter(0, 1), np.nextafter(1, 0))
    assert np.array_equal(d.values, rowwise(flagship, u, flagship.uncertain_names))


@pytest.mark.parametrize("full_range", [False, True])
def test_morris_and_sobol_with_dirichlet_group_identical_to_rowwise(full_range):
    t = small_table()
    gd = morris_design(t, r=30, levels=4, full_range=full_range)
    assert np.array_equal(gd.design.values, rowwise(t, gd.probs, gd.problem["names"]))
    gs = sobol_design(t, 64)
    assert np.array_equal(gs.design.values, rowwise(t, gs.probs, gs.problem["names"]))
    assert np.allclose(gs.design.values[:, [6, 7, 8]].sum(axis=1), 1.0, atol=1e-12)


def test_repeated_values_by_hand(ppf_sizes):
    t = small_table()
    u = np.tile([[0.25, 0.5], [0.75, 0.5], [0.5, 1 - np.exp(-2.0)]], (40, 1))  # 120 rows
    d = Design.from_unit(t, u, ["w", "e"])
    w, e = d.params()["w"], d.params()["e"]
    # uniform(2, 6): 2 + 4u; gamma(shape 1, scale 3) is exponential: -3 ln(1 - u)
    assert np.array_equal(w, np.tile([3.0, 5.0, 4.0], 40))
    assert e[:3] == pytest.approx([3 * np.log(2), 3 * np.log(2), 6.0], rel=1e-14)
    assert np.array_equal(e, np.tile(e[:3], 40))
    assert sorted(ppf_sizes) == [2, 3]  # two distinct e values, three distinct w values
    assert np.all(d.params()["c"] == 1000.0) and np.all(d.params()["k"] == 2.0)


def test_infinite_value_names_its_first_row_among_repeats():
    t = small_table()
    u = np.tile([[0.2], [0.4]], (50, 1))
    u[70, 0] = u[90, 0] = 1.0
    with pytest.raises(InputError, match=r"maps to inf \(row 70\)"):
        Design.from_unit(t, u, ["c"])
