"""Threshold, one-way and two-way analysis against hand calculations and closed forms."""

import numpy as np
import pytest

from hecon.analysis import oneway, threshold
from hecon.design import Design
from hecon.errors import InputError
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.model import DangerShockModel


def test_thresholds_of_a_cubic():
    t = threshold.find_thresholds(lambda x: (x - 1) * (x - 3.5) * (x - 5), 0, 6, "x")
    assert t.values == pytest.approx([1, 3.5, 5], abs=1e-9)
    assert t.value == pytest.approx(1)


def test_threshold_on_a_grid_point_and_no_root():
    t = threshold.find_thresholds(lambda x: x - 3.0, 0, 6, "x", grid=7)  # 3 is a grid point
    assert t.values == [3.0]
    pos = threshold.find_thresholds(lambda x: x + 1.0, 0, 6, "x")
    assert pos.value is None and pos.sign == 1
    assert "stays cost-effective" in pos.describe()
    neg = threshold.find_thresholds(lambda x: -x - 1.0, 0, 6, "x")
    assert neg.sign == -1 and "not cost-effective" in neg.describe()


def test_threshold_price_by_hand():
    # INMB(price) = wtp * dQ - (price + other) -> price* = wtp * dQ - other
    wtp, dq, other = 20_000.0, 0.4, 1_500.0
    t = threshold.find_thresholds(lambda p: wtp * dq - (p + other), 0, 50_000, "price")
    assert t.value == pytest.approx(6_500.0, abs=1e-6)
    h = threshold.headroom(inc_cost=9_000.0 + other, inc_effect=dq, price=9_000.0,
                           wtp=[0, 20_000, 30_000])
    assert h["max_price"].tolist() == pytest.approx([-1_500.0, 6_500.0, 10_500.0])
    assert h["headroom"].tolist() == pytest.approx([-10_500.0, -2_500.0, 1_500.0])


def test_threshold_bad_range():
    with pytest.raises(InputError, match="lo < hi"):
        threshold.find_thresholds(lambda x: x, 5, 1, "x")


def test_quadrants():
    assert oneway.quadrant(1, 1) == "NE"
    assert oneway.quadrant(-1, 1).startswith("SE")
    assert oneway.quadrant(1, -1).startswith("NW")
    assert oneway.quadrant(0, -1).startswith("NW")
    assert oneway.quadrant(-1, -1) == "SW"
    assert oneway.quadrant(1, 0) == "no effect difference"


def test_tornado_by_hand():
    labels = ["base", "a:low", "a:high", "b:low", "b:high"]
    dc = np.array([100.0, 50.0, 150.0, 100.0, 100.0])
    dq = np.array([0.01, 0.01, 0.01, -0.01, 0.02])
    t = oneway.tornado(labels, dc, dq, wtp=20_000).set_index("parameter")
    # INMB = 20000 dQ - dC: base 100; a: 150, 50 (swing 100); b: -300, 300 (swing 600)
    assert list(t.index) == ["b", "a"]
    assert t.loc["b", "inmb_low"] == pytest.approx(-300)
    assert t.loc["b", "inmb_high"] == pytest.approx(300)
    assert t.loc["b", "swing"] == pytest.approx(600)
    assert t.loc["a", "swing"] == pytest.approx(100)
    # b's low end leaves the NE quadrant: flagged, and its ICER is not reported
    assert bool(t.loc["b", "quadrant_change"]) and bool(t.loc["b", "decision_change"])
    assert np.isnan(t.loc["b", "icer_low"])
    assert t.loc["b", "icer_high"] == pytest.approx(5_000)
    assert not t.loc["a", "quadrant_change"]
    assert t.loc["a", "icer_low"] == pytest.approx(5_000)


def test_tornado_needs_both_ends():
    with pytest.raises(InputError, match="low and a high"):
        oneway.tornado(["base", "a:low"], np.ones(2), np.ones(2), 1.0)


@pytest.fixture(scope="module")
def dk():
    return DangerShockModel.build(ModelConfig(country="dk", horizon_years=5))


def test_flagship_one_way_device_price_swing_equals_price_range(dk):
    # The device is bought once at time 0 in the pump arm only, so INMB moves one for one
    # with its price: the swing of c_device is exactly high - low.
    d = Design.one_way(dk.table, ["c_device", "p_death_180_impella"])
    r = dk.evaluate(d)
    dc = r.column("Impella CP + standard care", "cost") - r.column("Standard care", "cost")
    dq = r.column("Impella CP + standard care", "qalys") - r.column("Standard care", "qalys")
    t = oneway.tornado(d.labels, dc, dq, 250_000, dk.table, d).set_index("parameter")
    lo, hi = dk.table["c_device"].one_way_range()
    assert t.loc["c_device", "swing"] == pytest.approx(hi - lo, rel=1e-12)
    assert t.loc["c_device", "low_value"] == lo
    # more deaths with the pump -> lower INMB
    assert t.loc["p_death_180_impella", "inmb_high"] < t.loc["p_death_180_impella", "inmb_low"]


def test_flagship_device_price_threshold_matches_linear_formula(dk):
    # root-finding through the model (one design per grid) == price + INMB (linearity)
    base = Design.base(dk.table)
    res = dk.evaluate(base)
    a, b = res.strategies
    dc = float(res.column(a, "cost")[0] - res.column(b, "cost")[0])
    dq = float(res.column(a, "qalys")[0] - res.column(b, "qalys")[0])
    price = dk.table["c_device"].value

    def inmb_of(x):
        d = Design(np.repeat(base.values, x.size, axis=0), base.names,
                   [str(i) for i in range(x.size)]).with_columns({"c_device": x})
        r = dk.evaluate(d)
        return 250_000 * (r.column(a, "qalys") - r.column(b, "qalys")) - (
            r.column(a, "cost") - r.column(b, "cost"))

    t = threshold.find_thresholds(inmb_of, 0, 1_000_000, "c_device", grid=11)
    assert t.value == pytest.approx(price + 250_000 * dq - dc, rel=1e-9)


def test_two_way_grid(dk):
    d = oneway.two_way_design(dk.table, "c_device", [1e5, 2e5], "hr_death_longterm", [0.8, 1.0,
                                                                                      1.2])
    assert d.n == 6
    assert d.labels[0] == "c_device=100000|hr_death_longterm=0.8"
    assert d.column("c_device").tolist() == [1e5] * 3 + [2e5] * 3
    r = dk.evaluate(d)
    a, b = r.strategies
    inmb = 250_000 * (r.column(a, "qalys") - r.column(b, "qalys")) - (
        r.column(a, "cost") - r.column(b, "cost"))
    g = oneway.two_way_table(d, "c_device", "hr_death_longterm", inmb)
    assert g.shape == (2, 3)
    # price enters one for one: the two rows differ by exactly 100,000 everywhere
    assert np.allclose(g.loc[1e5] - g.loc[2e5], 100_000)
    with pytest.raises(InputError):
        oneway.two_way_design(dk.table, "c_device", [1], "c_device", [2])
