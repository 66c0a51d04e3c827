"""Fully incremental analysis against hand-worked dominance sets, ties and properties."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hecon.analysis import incremental as inc
from hecon.errors import InputError


def table(rows):
    names, c, e = zip(*rows, strict=True)
    return inc.incremental_table(list(names), c, e).set_index("strategy")


def test_textbook_six_strategies():
    # A(1000, 1.0) B(2000, 1.5) C(2500, 1.4) D(4000, 2.0) E(5000, 2.1) F(7000, 2.5)
    # C: costs more than B, less effective -> dominated by B.
    # ICERs along A, B, D, E, F: 2000, 4000, 10000, 5000 -> E is extendedly dominated
    # (10000 > 5000); then F vs D = 3000 / 0.5 = 6000 > 4000: frontier A, B, D, F.
    t = table([("A", 1000, 1.0), ("B", 2000, 1.5), ("C", 2500, 1.4), ("D", 4000, 2.0),
               ("E", 5000, 2.1), ("F", 7000, 2.5)])
    assert list(t.index) == ["A", "B", "C", "D", "E", "F"]
    assert t.loc["C", "status"] == "dominated" and t.loc["C", "dominated_by"] == "B"
    assert t.loc["E", "status"] == "extendedly dominated"
    assert t.loc["E", "dominated_by"] == "D and F"
    f = t[t["status"] == "frontier"]
    assert list(f.index) == ["A", "B", "D", "F"]
    assert np.isnan(f.loc["A", "icer"])
    assert f["icer"].iloc[1:].tolist() == pytest.approx([2000, 4000, 6000])
    assert f.loc["F", "compared_with"] == "D"
    assert f.loc["F", "inc_cost"] == 3000 and f.loc["F", "inc_effect"] == pytest.approx(0.5)


def test_chained_extended_dominance():
    # A(0,0) B(10,1) C(22,1.5) D(30,1.7) E(33,2.0): ICERs 10, 24, 40, 10 -> D out;
    # E vs C = 11 / 0.5 = 22 < 24 -> C out (revealed only after D went);
    # E vs B = 23 / 1.0 = 23 > 10: frontier A, B, E.
    t = table([("A", 0, 0), ("B", 10, 1), ("C", 22, 1.5), ("D", 30, 1.7), ("E", 33, 2.0)])
    assert t.loc["D", "status"] == "extendedly dominated"
    assert t.loc["C", "status"] == "extendedly dominated"
    assert t.loc["C", "dominated_by"] == "B and E"
    f = t[t["status"] == "frontier"]
    assert list(f.index) == ["A", "B", "E"]
    assert f["icer"].iloc[1:].tolist() == pytest.approx([10, 23])


def test_ties():
    # (a) identical: the first listed stays; (b) same cost, less effect: dominated;
    # (c) same effect, more cost: dominated
    t = table([("X", 100, 2.0), ("A", 0, 1.0), ("A2", 0, 1.0), ("B", 100, 1.5),
               ("C", 200, 2.0)])
    assert t.loc["A2", "status"] == "equivalent" and t.loc["A2", "dominated_by"] == "A"
    assert t.loc["B", "status"] == "dominated" and t.loc["B", "dominated_by"] == "X"
    assert t.loc["C", "status"] == "dominated" and t.loc["C", "dominated_by"] == "X"
    assert t.loc["X", "icer"] == pytest.approx(100)
    # identical listed the other way round: A2 now represents the pair
    t2 = table([("A2", 0, 1.0), ("A", 0, 1.0)])
    assert t2.loc["A", "status"] == "equivalent"


def test_collinear_options_stay_on_the_frontier():
    # A(0,0) B(10,1) C(20,2): ICERs 10 and 10; rule d keeps B
    t = table([("A", 0, 0), ("B", 10, 1), ("C", 20, 2)])
    assert (t["status"] == "frontier").all()
    assert t["icer"].iloc[1:].tolist() == pytest.approx([10, 10])


def test_cheapest_dominates_all():
    t = table([("C", 20, 3.0), ("A", 0, 5.0), ("B", 10, 4.0)])
    assert t.loc["A", "status"] == "frontier"
    assert (t.loc[["B", "C"], "status"] == "dominated").all()
    assert (t.loc[["B", "C"], "dominated_by"] == "A").all()


def test_one_and_two_strategies_and_identical_arms():
    t = table([("only", 5, 1)])
    assert t.loc["only", "status"] == "frontier" and np.isnan(t.loc["only", "icer"])
    t = table([("old", 100, 1.0), ("new", 400, 1.5)])
    assert t.loc["new", "icer"] == pytest.approx(600)
    t = table([("a", 100, 1.0), ("b", 100, 1.0)])
    assert t.loc["b", "status"] == "equivalent"


def test_zero_costs_and_negative_increments():
    t = table([("A", 0, 1.0), ("B", 0, 2.0)])
    assert t.loc["A", "status"] == "dominated" and t.loc["A", "dominated_by"] == "B"
    t = table([("A", 0, 0.0), ("B", 10, -1.0)])
    assert t.loc["B", "status"] == "dominated"
    # a cheaper, less effective option is the frontier start, not dominated
    t = table([("A", -50, -1.0), ("B", 0, 0.0)])
    assert t.loc["B", "icer"] == pytest.approx(50)


def test_accepts_a_dataframe_and_checks_input():
    df = pd.DataFrame({"strategy": ["a", "b"], "cost": [0, 1], "effect": [0, 1]})
    assert inc.incremental_table(df)["status"].tolist() == ["frontier", "frontier"]
    with pytest.raises(InputError, match="not finite"):
        inc.incremental_table(["a", "b"], [0, np.nan], [0, 1])
    with pytest.raises(InputError, match="one of each"):
        inc.incremental_table(["a", "b"], [0], [0, 1])
    with pytest.raises(InputError, match="duplicate"):
        inc.incremental_table(["a", "a"], [0, 1], [0, 1])
    with pytest.raises(InputError, match="no strategies"):
        inc.incremental_table([], [], [])
    with pytest.raises(InputError, match="columns"):
        inc.incremental_table(pd.DataFrame({"strategy": ["a"], "cost": [1]}))


def test_net_benefit_by_hand():
    c, e = np.array([100.0, 400.0]), np.array([1.0, 1.5])
    assert inc.nmb(c, e, 1000).tolist() == [900.0, 1100.0]
    assert inc.nmb(c, e, [0, 1000]).tolist() == [[-100.0, 900.0], [-400.0, 1100.0]]
    assert inc.nhb(c, e, 1000).tolist() == pytest.approx([0.9, 1.1])
    t = inc.incremental_nmb(["old", "new"], c, e, "old", [0, 600, 1000])
    assert t["new"].tolist() == pytest.approx([-300, 0, 200])
    assert t["old"].tolist() == [0, 0, 0]
    # at WTP 600 the two tie exactly: the cheaper wins
    assert inc.optimal_strategy(["old", "new"], c, e, [0, 600, 1000]) == ["old", "old", "new"]
    with pytest.raises(InputError):
        inc.nhb(c, e, 0)


def test_frontier_by_wtp_textbook():
    t = inc.incremental_table(["A", "B", "C", "D", "E", "F"],
                              [1000, 2000, 2500, 4000, 5000, 7000],
                              [1.0, 1.5, 1.4, 2.0, 2.1, 2.5])
    f = inc.frontier_by_wtp(t)
    assert f["strategy"].tolist() == ["A", "B", "D", "F"]
    assert f["wtp_from"].tolist() == pytest.approx([0, 2000, 4000, 6000])
    assert f["wtp_to"].tolist()[:3] == pytest.approx([2000, 4000, 6000])


options = st.lists(
    st.tuples(st.integers(0, 50).map(float), st.integers(0, 50).map(lambda x: x / 10)),
    min_size=1, max_size=8)


@settings(max_examples=150, deadline=None)
@given(options)
def test_properties(rows):
    names = [f"s{i}" for i in range(len(rows))]
    c = np.array([r[0] for r in rows])
    e = np.array([r[1] for r in rows])
    t = inc.incremental_table(names, c, e)
    f = t[t["status"] == "frontier"]
    icers = f["icer"].to_numpy()[1:]
    # (i) frontier ICERs never decrease (equal only for collinear options, rule d)
    assert np.all(np.diff(icers) >= -1e-9 * np.maximum(1, np.abs(icers[1:])))
    assert (f["cost"].diff().dropna() > 0).all() and (f["effect"].diff().dropna() > 0).all()
    # (ii) at any WTP the NMB-optimal strategy is on the frontier or equivalent to one on it
    # (iii) between consecutive frontier ICERs the optimum is the one the table predicts
    intervals = inc.frontier_by_wtp(t)
    for _, r in intervals.iterrows():
        w = r["wtp_from"] + 1.0 if np.isinf(r["wtp_to"]) else 0.5 * (r["wtp_from"] + r["wtp_to"])
        nb = e * w - c
        assert nb[names.index(r["strategy"])] == pytest.approx(nb.max())
    for w in (0.0, 3.0, 10.0, 1e6):
        best = inc.optimal_strategy(names, c, e, w)[0]
        row = t.set_index("strategy").loc[best]
        assert row["status"] in ("frontier", "equivalent")


# Published reference: dampack (DARTH-git/dampack, vignettes/cdiff_icers.csv), the ICER table of
# its C. difficile example: 11 strategies, 6 on the frontier, 1 extendedly dominated (s39),
# 4 strongly dominated.
CDIFF = [
    ("s3", 57336.0059896538, 12.9399639202408, "frontier", None),
    ("s27", 57541.2526373815, 13.0140640696275, "frontier", 2769.85470915263),
    ("s33", 57642.2587507842, 13.0389116321918, "frontier", 4065.03105249231),
    ("s31", 57934.0743411241, 13.0966257932217, "frontier", 5056.2216470406),
    ("s43", 58072.1137208494, 13.11285766912, "frontier", 8504.2160616553),
    ("s44", 58665.7823044647, 13.1283328397025, "frontier", 38362.6519947134),
    ("s39", 57814.6470919581, 13.0462790163185, "extendedly dominated", None),
    ("s4", 57887.481549326, 12.9970657153765, "dominated", None),
    ("s13", 58018.6252420203, 13.0650412387992, "dominated", None),
    ("s37", 58081.7947984323, 13.1029711156978, "dominated", None),
    ("s20", 58634.2026441398, 13.1100568867995, "dominated", None),
]


def test_published_dampack_cdiff_table():
    names, c, e, status, icer = zip(*CDIFF, strict=True)
    t = inc.incremental_table(list(names), c, e).set_index("strategy")
    for n, s, i in zip(names, status, icer, strict=True):
        assert t.loc[n, "status"] == s, n
        if i is not None:
            assert t.loc[n, "icer"] == pytest.approx(i, rel=1e-9), n
