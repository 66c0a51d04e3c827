"""Results by group (hesim's cea(grp=)) and the presentable ICER table, against tables worked
out by hand in each test."""

import numpy as np
import pandas as pd
import pytest

from hecon.analysis import incremental, psa, voi
from hecon.errors import InputError

# two groups of draws stacked row-wise; strategies A (free, no effect) and B
# young: B costs 10 and gains 1, 0, 2; old: B costs 30 and gains 1, 1, 1
C = np.array([[0, 10], [0, 10], [0, 10], [0, 30], [0, 30], [0, 30]], dtype=float)
E = np.array([[0, 1], [0, 0], [0, 2], [0, 1], [0, 1], [0, 1]], dtype=float)
G = ["young"] * 3 + ["old"] * 3


def test_ceac_by_group_by_hand():
    t = psa.ceac(C, E, ["A", "B"], [20, 40], group=G)
    # young at 20: NMB_B = 10, -10, 30 -> B in 2 of 3; at 40: 30, -10, 70 -> 2 of 3
    # old at 20: NMB_B = -10 -> A always; at 40: +10 -> B always
    assert t["group"].tolist() == ["young", "young", "old", "old"]
    assert t["wtp"].tolist() == [20, 40, 20, 40]
    assert t["B"].tolist() == pytest.approx([2 / 3, 2 / 3, 0.0, 1.0])
    assert t["A"].tolist() == pytest.approx([1 / 3, 1 / 3, 1.0, 0.0])


def test_ceaf_and_expected_loss_by_group_by_hand():
    f = psa.ceaf(C, E, ["A", "B"], [20], group=G)
    # young: mean NMB_B = 10 > 0 -> B optimal, P = 2/3; old: mean -10 -> A, P = 1
    assert f["optimal"].tolist() == ["B", "A"]
    assert f["probability"].tolist() == pytest.approx([2 / 3, 1.0])
    loss = psa.expected_loss(C, E, ["A", "B"], [20], group=G)
    # young: loss of B = mean(0, 10, 0) = 10/3; old: loss of A = 0 (B never better)
    assert loss["evpi"].tolist() == pytest.approx([10 / 3, 0.0])


def test_summary_by_group_by_hand():
    s = psa.summary(C, E, ["B", "A"][::-1], comparator="A", wtp=[20], group=G)
    young = s[(s["group"] == "young") & (s["strategy"] == "B vs A")].set_index("outcome")
    old = s[(s["group"] == "old") & (s["strategy"] == "B vs A")].set_index("outcome")
    assert young.loc["inc_cost", "mean"] == pytest.approx(10.0)
    assert young.loc["inc_effect", "mean"] == pytest.approx(1.0)
    assert young.loc["inmb@20", "mean"] == pytest.approx(10.0)
    assert old.loc["icer (ratio of means)", "mean"] == pytest.approx(30.0)
    assert young.loc["icer (ratio of means)", "mean"] == pytest.approx(10.0)
    # the ungrouped table of one group's rows is the same table
    alone = psa.summary(C[:3], E[:3], ["A", "B"], "A", [20])
    pd.testing.assert_frame_equal(s[s["group"] == "young"].drop(columns="group")
                                  .reset_index(drop=True), alone)


def test_evpi_by_group_by_hand():
    nb = 20 * E - C
    t = voi.evpi(nb, group=G)
    # young: best on average B (mean 10); losses 0, 10, 0 -> 10/3, SE = SD/sqrt(3)
    assert t["group"].tolist() == ["young", "old"]
    assert t["evpi"].tolist() == pytest.approx([10 / 3, 0.0])
    assert t["se"].iloc[0] == pytest.approx(np.std([0, 10, 0], ddof=1) / np.sqrt(3))
    curve = voi.evpi_curve(C, E, [20, 40], group=G)
    # old at 40: NMB_B = 10 in every draw: no uncertainty, EVPI 0
    assert curve["evpi"].tolist() == pytest.approx([10 / 3, 10 / 3, 0.0, 0.0])
    with pytest.raises(InputError):
        voi.evpi(nb, group=G[:-1])


def test_incremental_by_group_by_hand():
    t = pd.DataFrame({"sex": ["f", "f", "f", "m", "m", "m"],
                      "strategy": ["X", "Y", "Z"] * 2,
                      "cost": [0, 100, 300, 0, 100, 300],
                      "effect": [0, 1, 1.5, 0, 1, 3]})
    out = incremental.incremental_table(t, group="sex")
    f = out[out["sex"] == "f"].set_index("strategy")
    m = out[out["sex"] == "m"].set_index("strategy")
    # f: Y 100/1 = 100, Z (300 - 100) / 0.5 = 400; m: Y 100, Z 200 / 2 = 100 (collinear)
    assert f.loc["Y", "icer"] == pytest.approx(100) and f.loc["Z", "icer"] == pytest.approx(400)
    assert m.loc["Z", "icer"] == pytest.approx(100)
    assert out.columns[0] == "sex" and len(out) == 6
    inmb = incremental.incremental_nmb(t, comparator="X", wtp=[200], group="sex")
    # f at 200: Y 200 - 100 = 100, Z 300 - 300 = 0; m: Y 100, Z 600 - 300 = 300
    assert inmb["Y"].tolist() == pytest.approx([100, 100])
    assert inmb["Z"].tolist() == pytest.approx([0, 300])
    best = incremental.optimal_strategy(t, wtp=[200], group="sex")
    # f: NMB X 0, Y 100, Z 0 -> Y; m: X 0, Y 100, Z 300 -> Z
    assert best["optimal"].tolist() == ["Y", "Z"]
    with pytest.raises(InputError):
        incremental.incremental_table(t, group="age")


def test_icer_table_by_hand():
    # B vs A: dC = 10, 20, 30; dE = 1, 2, 4: means 20 and 7/3, ICER = 60/7; per-draw ICERs
    # 10, 10, 7.5 -> percentiles by linear interpolation on the sorted 7.5, 10, 10:
    # 2.5% at position 0.05 -> 7.625, 97.5% at 1.95 -> 10
    c = np.array([[0, 10], [0, 20], [0, 30]], dtype=float)
    e = np.array([[0, 1], [0, 2], [0, 4]], dtype=float)
    t = psa.icer_table(c, e, ["A", "B"], "A", wtp=[10],
                       labels={"A": "Standard care", "B": "Pump"}, money_digits=1)
    icer = t[t["outcome"] == "ICER (cost per QALY gained)"].iloc[0]
    assert icer["comparison"] == "Pump vs Standard care"
    assert icer["estimate"] == pytest.approx(60 / 7)
    assert (icer["lower"], icer["upper"]) == pytest.approx((7.625, 10.0))
    assert icer["value"] == "8.6 (7.6 to 10.0)"
    inmb = t[t["outcome"].str.startswith("Incremental net monetary benefit")].iloc[0]
    # INMB at 10: 0, 0, 10 -> mean 10/3
    assert inmb["estimate"] == pytest.approx(10 / 3)
    # dominance and mixed signs are words, not numbers
    dom = psa.icer_table(np.array([[0.0, 5.0]] * 2), np.array([[1.0, 0.0]] * 2), ["N", "O"])
    assert dom["value"].iloc[-1] == "dominant"
    mixed = psa.icer_table(c, np.array([[0, 1], [0, -1], [0, 3]], dtype=float), ["A", "B"],
                           "A")
    assert "no interval" in mixed["value"].iloc[-1]
    by = psa.icer_table(C, E, ["A", "B"], "A", group=G)
    assert by.groupby("group", sort=False)["estimate"].last().tolist() == pytest.approx(
        [10.0, 30.0])
