"""Tests that kill mutants which survived `make mutation` in hecon/design.py and
hecon/analysis/oneway.py's two-way design (docs/testing.md). Expected values by hand."""

import numpy as np
import pandas as pd
import pytest

from hecon.analysis import oneway
from hecon.design import Design
from hecon.errors import InputError
from hecon.parameters import ParameterTable


def _table():
    rows = [
        dict(name="p", value=0.4, unit="probability", distribution="beta", alpha=4, beta=6),
        dict(name="c", value=1000.0, unit="DKK 2023", distribution="gamma", se=200.0),
        dict(name="k", value=2.0, unit="count", distribution="fixed"),
    ]
    for r in rows:
        r["source"] = "test"
    return ParameterTable.from_frame(pd.DataFrame(rows))


def test_from_frame_with_table_fills_missing_at_base_in_table_order():
    df = pd.DataFrame({"c": [10.0, 20.0], "label": ["a", "b"]})
    d = Design.from_frame(df, _table())
    assert d.names == ["p", "c", "k"]
    assert d.labels == ["a", "b"]
    np.testing.assert_array_equal(d.values, [[0.4, 10.0, 2.0], [0.4, 20.0, 2.0]])


def test_from_frame_with_table_rejects_an_unknown_column():
    with pytest.raises(InputError) as err:
        Design.from_frame(pd.DataFrame({"c": [1.0], "zzz": [2.0]}), _table())
    assert err.value.parameter == "zzz"


@pytest.mark.parametrize("first, second", [([], [1.0]), ([1.0], []), ([np.nan], [1.0])])
def test_two_way_design_rejects_empty_or_non_finite_values(first, second):
    with pytest.raises(InputError, match="non-empty and finite"):
        oneway.two_way_design(_table(), "p", first, "c", second)


def test_two_way_design_grid_by_hand():
    d = oneway.two_way_design(_table(), "p", [0.1, 0.2], "c", [5.0, 6.0, 7.0])
    # every pair, first parameter varying slowest; k stays at base
    assert d.column("p").tolist() == [0.1, 0.1, 0.1, 0.2, 0.2, 0.2]
    assert d.column("c").tolist() == [5.0, 6.0, 7.0, 5.0, 6.0, 7.0]
    assert d.column("k").tolist() == [2.0] * 6


def test_design_with_more_than_256_rows():
    # design.py: row and label counts are compared by value (ints above 256 are distinct objects)
    d = Design.from_frame(pd.DataFrame({"c": np.arange(300.0)}))
    assert d.n == 300 and d.labels[-1] == "299"
    assert d.column("c")[-1] == 299.0


def test_headroom_rejects_a_two_dimensional_wtp():
    from hecon.analysis.threshold import headroom

    with pytest.raises(InputError, match="willingness-to-pay"):
        headroom(100.0, 0.01, 50.0, [[10_000.0, 20_000.0], [30_000.0, 40_000.0]])
    # headroom by hand: INMB = wtp x dE - dC = 20,000 x 0.01 - 100 = 100; max price 150
    t = headroom(100.0, 0.01, 50.0, [20_000.0])
    assert t["max_price"].iloc[0] == pytest.approx(150.0)
    assert t["headroom"].iloc[0] == pytest.approx(100.0)


@pytest.mark.parametrize("bad", [1.5, -0.1, np.nan])
def test_from_unit_rejects_values_outside_zero_one(bad):
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        Design.from_unit(_table(), np.array([[0.5, bad]]), ["p", "c"])
    # inside: u = 0.5 for p ~ beta(4, 6) is its median; c stays at base when not named
    d = Design.from_unit(_table(), np.array([[0.5]]), ["p"])
    from scipy.stats import beta

    assert d.column("p")[0] == pytest.approx(beta(4, 6).median(), rel=1e-12)
    assert d.column("c")[0] == 1000.0


def test_design_with_more_than_256_parameters():
    # design.py: the duplicate-name check compares counts by value (ints above 256 are
    # distinct objects); 300 distinct names are no duplicates, one repeated name is
    names = [f"x{i}" for i in range(300)]
    d = Design(np.zeros((1, 300)), names, ["r"])
    assert d.names[-1] == "x299"
    with pytest.raises(InputError, match="duplicate"):
        Design(np.zeros((1, 300)), names[:-1] + ["x0"], ["r"])


def test_two_way_design_of_one_parameter_named_at_run_time_is_an_error():
    # oneway.py `two_way_design`: the names are compared by value; a name built at run time
    # (read from a file or a command line) is a different string object
    first, second = "p", "".join(["p", "p"])[1:]
    assert second == first and second is not first  # what this test is about
    with pytest.raises(InputError, match="two different parameters"):
        oneway.two_way_design(_table(), first, [0.1], second, [0.2])


def _tornado(labels, dc, de, wtp=100.0):
    return oneway.tornado(labels, np.array(dc), np.array(de), wtp).set_index("parameter")


def test_tornado_base_label_read_at_run_time():
    # oneway.py `tornado`: "base" compared by value (a label from a file is another object)
    base = "".join(["ba", "se"])
    assert base == "base" and base is not "base"[:]  # what this test is about
    t = _tornado([base, "x:low", "x:high"], [10.0, 20.0, 5.0], [1.0, 1.0, 1.0])
    assert t.index.tolist() == ["x"]


def test_tornado_decision_change_by_hand():
    # INMB = 100 dE - dC. Base: 100 - 10 = 90 > 0.
    # x: low 100 - 20 = 80, high 100 - 5 = 95: same sign both ends -> no decision change
    # y: low 100 - 30 = 70 (same sign), high 100 - 150 = -50 (other sign) -> change
    # z: low 100 - 150 = -50 (other sign), high 70 -> change
    labels = ["base", "x:low", "x:high", "y:low", "y:high", "z:low", "z:high"]
    dc = [10.0, 20.0, 5.0, 30.0, 150.0, 150.0, 30.0]
    t = _tornado(labels, dc, [1.0] * 7)
    assert t["inmb_high"].to_dict() == pytest.approx({"x": 95.0, "y": -50.0, "z": 70.0})
    assert t["decision_change"].to_dict() == {"x": False, "y": True, "z": True}
    # base below 0: INMB -50; x: low -60, high -40 -> no change; y: high +10 -> change
    t = _tornado(["base", "x:low", "x:high", "y:low", "y:high"],
                 [150.0, 160.0, 140.0, 150.0, 90.0], [1.0] * 5)
    assert t["decision_change"].to_dict() == {"x": False, "y": True}


def test_tornado_icer_only_in_the_north_east_by_hand():
    # oneway.py `_icer`: base dominant (dC = -10 < 0, dE = 1 > 0): no ICER, quadrant SE;
    # x low: dC 20, dE 0.5 -> NE, ICER 40; x high: dC 0, dE 2 -> SE (dominant), no ICER
    t = _tornado(["base", "x:low", "x:high"], [-10.0, 20.0, 0.0], [1.0, 0.5, 2.0])
    assert np.isnan(t.loc["x", "icer_base"]) and np.isnan(t.loc["x", "icer_high"])
    assert t.loc["x", "icer_low"] == pytest.approx(40.0, rel=1e-12)
    assert t.loc["x", "quadrant_low"] == "NE"
    assert t.loc["x", "quadrant_high"] == "SE (dominant)"


def _dirichlet_table(alphas=(50.0, 30.0, 20.0), low_high=None):
    total = sum(alphas)
    rows = [dict(name=f"d{i + 1}", value=a / total, unit="proportion", distribution="dirichlet",
                 alpha=a, group="g", source="test") for i, a in enumerate(alphas)]
    if low_high is not None:  # the last member's one-way range
        rows[-1].update(low=low_high[0], high=low_high[1])
    rows.append(dict(name="c", value=1000.0, unit="DKK 2023", distribution="gamma", se=200.0,
                     source="test"))
    return ParameterTable.from_frame(pd.DataFrame(rows))


def test_one_way_of_the_last_dirichlet_member_rescales_the_others_by_hand():
    # design.py `one_way`: d3 (base 0.2) at its low 0.1 and high 0.3; d1 and d2 share 1 - x
    # in their base ratio 0.5 : 0.3: low d1 = 0.5 x 0.9 / 0.8 = 0.5625, d2 = 0.3375;
    # high d1 = 0.5 x 0.7 / 0.8 = 0.4375, d2 = 0.2625
    t = _dirichlet_table(low_high=(0.1, 0.3))
    df = Design.one_way(t, names=["d3"]).to_frame().set_index("label")
    np.testing.assert_allclose(df.loc["d3:low", ["d1", "d2", "d3"]].to_numpy(dtype=float),
                               [0.5625, 0.3375, 0.1], rtol=1e-12)
    np.testing.assert_allclose(df.loc["d3:high", ["d1", "d2", "d3"]].to_numpy(dtype=float),
                               [0.4375, 0.2625, 0.3], rtol=1e-12)


def test_from_unit_maps_a_dirichlet_group_by_hand():
    # design.py `from_unit`: members alpha 1 and 1 are Gamma(1) = exponential draws,
    # ppf(u) = -ln(1 - u): u = 0.5 -> ln 2, u = 0.75 -> ln 4 = 2 ln 2; shares 1/3 and 2/3
    # (the base values are 1/2 and 1/2); c stays at base
    t = _dirichlet_table((1.0, 1.0))
    d = Design.from_unit(t, np.array([[0.5, 0.75]]), ["d1", "d2"])
    assert d.column("d1")[0] == pytest.approx(1 / 3, rel=1e-12)
    assert d.column("d2")[0] == pytest.approx(2 / 3, rel=1e-12)
    assert d.column("c")[0] == 1000.0


def test_design_shape_checks_each_alone():
    # design.py `Design.__post_init__`: a 2-D array with the wrong number of columns, and more
    # labels than rows, are errors on their own
    with pytest.raises(InputError, match="does not match"):
        Design(np.zeros((2, 3)), ["a", "b"], ["r0", "r1"])
    with pytest.raises(InputError, match="one label per design row"):
        Design(np.zeros((1, 2)), ["a", "b"], ["r0", "r1"])


def test_from_unit_with_more_than_256_parameters():
    # design.py `from_unit`: the column count is compared with the names by value
    k = 300
    rows = [dict(name=f"x{i}", value=0.5, unit="probability", distribution="uniform", min=0.0,
                 max=1.0, source="test") for i in range(k)]
    t = ParameterTable.from_frame(pd.DataFrame(rows))
    # uniform on [0, 1]: ppf(u) = u
    d = Design.from_unit(t, np.full((1, k), 0.25), t.names)
    assert d.values.tolist() == [[0.25] * k]


def test_psa_accepts_whole_float_draws_and_a_kind_read_at_run_time():
    # design.py `psa`: n = 4.0 is a whole number (compared by value, not identity), and a
    # correlation kind built at run time works like the literal
    t = _table()
    assert Design.psa(t, 4.0, seed=1).n == 4
    corr = pd.DataFrame([[1.0, 0.6], [0.6, 1.0]], index=["p", "c"], columns=["p", "c"])
    kind = "".join(["ra", "nk"])
    assert kind == "rank" and kind is not "rank"[:]  # what this test is about
    a = Design.psa(t, 50, seed=3, correlation=corr, correlation_kind=kind)
    b = Design.psa(t, 50, seed=3, correlation=corr, correlation_kind="rank")
    c = Design.psa(t, 50, seed=3, correlation=corr, correlation_kind="normal")
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.array_equal(a.values, c.values)


def test_correlation_matrix_symmetric_up_to_rounding_is_accepted():
    # design.py `_correlate`: 0.1 + 0.2 and 0.3 differ in the last bit (rounding), not an
    # asymmetry; a real asymmetry is an error
    assert 0.1 + 0.2 != 0.3
    corr = pd.DataFrame([[1.0, 0.1 + 0.2], [0.3, 1.0]], index=["p", "c"], columns=["p", "c"])
    assert Design.psa(_table(), 10, seed=1, correlation=corr).n == 10
    corr.iloc[1, 0] = 0.4
    with pytest.raises(InputError, match="not symmetric"):
        Design.psa(_table(), 10, seed=1, correlation=corr)
