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
