"""Fully incremental analysis against hand-worked and published dominance sets, tie rules,
net benefit by hand, and properties checked against an exact brute-force oracle."""

from fractions import Fraction

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


def frontier(t):
    return list(t.index[t["status"] == "frontier"])


# ----------------------------------------------------------------------- worked examples
TEXTBOOK = [("A", 1000, 1.0), ("B", 2000, 1.5), ("C", 2500, 1.4), ("D", 4000, 2.0),
            ("E", 5000, 2.1), ("F", 7000, 2.5)]


def test_textbook_six_strategies():
    # A(1000, 1.0) B(2000, 1.5) C(2500, 1.4) D(4000, 2.0) E(5000, 2.1) F(7000, 2.5)
    # C: costs more than B, less effective -> strictly dominated by B.
    # ICERs along A, B, D, E, F: 1000/0.5 = 2000, 2000/0.5 = 4000, 1000/0.1 = 10000,
    # 2000/0.4 = 5000 -> E is extendedly dominated (10000 > 5000);
    # then F vs D = 3000 / 0.5 = 6000 > 4000: frontier A, B, D, F with ICERs 2000, 4000, 6000.
    t = table(TEXTBOOK)
    assert list(t.index) == ["A", "B", "C", "D", "E", "F"]
    assert list(t.columns) == ["cost", "effect", "inc_cost", "inc_effect", "icer", "status",
                               "compared_with", "dominated_by"]
    assert t.loc["C", "status"] == "dominated" and t.loc["C", "dominated_by"] == "B"
    assert t.loc["E", "status"] == "extendedly dominated"
    assert t.loc["E", "dominated_by"] == "D and F"
    assert np.isnan(t.loc["C", "icer"]) and np.isnan(t.loc["E", "icer"])
    f = t[t["status"] == "frontier"]
    assert list(f.index) == ["A", "B", "D", "F"]
    assert np.isnan(f.loc["A", "icer"]) and f.loc["A", "compared_with"] is None
    assert f["icer"].iloc[1:].tolist() == pytest.approx([2000, 4000, 6000])
    assert f["compared_with"].iloc[1:].tolist() == ["A", "B", "D"]
    assert f.loc["F", "inc_cost"] == 3000 and f.loc["F", "inc_effect"] == pytest.approx(0.5)


def test_order_of_input_does_not_matter():
    rng = np.random.default_rng(3)
    base = table(TEXTBOOK)
    for _ in range(5):
        rows = [TEXTBOOK[i] for i in rng.permutation(len(TEXTBOOK))]
        pd.testing.assert_frame_equal(table(rows), base)


def test_chained_extended_dominance():
    # A(0,0) B(10,1) C(22,1.5) D(30,1.7) E(33,2.0): ICERs 10, 12/0.5 = 24, 8/0.2 = 40,
    # 3/0.3 = 10 -> D out (40 > 10);
    # E vs C = 11 / 0.5 = 22 < 24 -> C out (revealed only after D went);
    # E vs B = 23 / 1.0 = 23 > 10: frontier A, B, E.
    t = table([("A", 0, 0), ("B", 10, 1), ("C", 22, 1.5), ("D", 30, 1.7), ("E", 33, 2.0)])
    assert t.loc["D", "status"] == "extendedly dominated"
    assert t.loc["D", "dominated_by"] == "C and E"
    assert t.loc["C", "status"] == "extendedly dominated"
    assert t.loc["C", "dominated_by"] == "B and E"
    assert frontier(t) == ["A", "B", "E"]
    assert t.loc[["B", "E"], "icer"].tolist() == pytest.approx([10, 23])
    assert t.loc["E", "compared_with"] == "B"


def test_removal_revealing_collinear_options_keeps_them():
    # A(0,0) B(10,1) C(25,1.5) D(33,1.6) E(40,2.0): ICERs 10, 30, 80, 7/0.4 = 17.5 -> D out;
    # then C vs B = 30 and E vs C = 15/0.5 = 30: B, C, E collinear -> C stays (rule d).
    t = table([("A", 0, 0), ("B", 10, 1), ("C", 25, 1.5), ("D", 33, 1.6), ("E", 40, 2.0)])
    assert t.loc["D", "status"] == "extendedly dominated"
    assert frontier(t) == ["A", "B", "C", "E"]
    assert t.loc[["B", "C", "E"], "icer"].tolist() == pytest.approx([10, 30, 30])


# Published reference: dampack (DARTH-git/dampack, vignettes/cdiff_icers.csv), the ICER table of
# its C. difficile example: 11 strategies, 6 on the frontier, 1 extendedly dominated (s39),
# 4 strongly dominated. Columns: name, cost, effect, status, inc_cost, inc_effect, icer.
CDIFF = [
    ("s3", 57336.0059896538, 12.9399639202408, "frontier", None, None, None),
    ("s27", 57541.2526373815, 13.0140640696275, "frontier", 205.246647727639,
     0.0741001493866911, 2769.85470915263),
    ("s33", 57642.2587507842, 13.0389116321918, "frontier", 101.006113402713,
     0.0248475625643216, 4065.03105249231),
    ("s31", 57934.0743411241, 13.0966257932217, "frontier", 291.815590339931,
     0.0577141610298533, 5056.2216470406),
    ("s43", 58072.1137208494, 13.11285766912, "frontier", 138.039379725262,
     0.0162318758983169, 8504.2160616553),
    ("s44", 58665.7823044647, 13.1283328397025, "frontier", 593.668583615326,
     0.0154751705825014, 38362.6519947134),
    ("s39", 57814.6470919581, 13.0462790163185, "extendedly dominated", None, None, None),
    ("s4", 57887.481549326, 12.9970657153765, "dominated", None, None, None),
    ("s13", 58018.6252420203, 13.0650412387992, "dominated", None, None, None),
    ("s37", 58081.7947984323, 13.1029711156978, "dominated", None, None, None),
    ("s20", 58634.2026441398, 13.1100568867995, "dominated", None, None, None),
]


def test_published_dampack_cdiff_table():
    names, c, e, status, dc, de, icer = zip(*CDIFF, strict=True)
    t = inc.incremental_table(list(names), c, e).set_index("strategy")
    for n, s, x, y, i in zip(names, status, dc, de, icer, strict=True):
        assert t.loc[n, "status"] == s, n
        if i is not None:
            assert t.loc[n, "inc_cost"] == pytest.approx(x, rel=1e-9), n
            assert t.loc[n, "inc_effect"] == pytest.approx(y, rel=1e-9), n
            assert t.loc[n, "icer"] == pytest.approx(i, rel=1e-9), n
        else:
            assert np.isnan(t.loc[n, "icer"]), n
    # the same from a DataFrame
    df = pd.DataFrame({"strategy": names, "cost": c, "effect": e})
    assert inc.incremental_table(df)["status"].tolist() == t["status"].tolist()


# ----------------------------------------------------------------------------- tie rules
def test_ties():
    # (a) identical A and A2: the first listed (A) stays, A2 is "equivalent" to A;
    # (b) B(100, 1.5) and X(100, 2.0) same cost: the less effective B is dominated by X;
    # (c) C(200, 2.0) and X(100, 2.0) same effect: the dearer C is dominated by X.
    # Frontier A(0, 1) -> X(100, 2): ICER 100 / 1 = 100.
    t = table([("X", 100, 2.0), ("A", 0, 1.0), ("A2", 0, 1.0), ("B", 100, 1.5),
               ("C", 200, 2.0)])
    assert list(t.index) == ["A", "A2", "X", "B", "C"]
    assert t.loc["A2", "status"] == "equivalent" and t.loc["A2", "dominated_by"] == "A"
    assert t.loc["B", "status"] == "dominated" and t.loc["B", "dominated_by"] == "X"
    assert t.loc["C", "status"] == "dominated" and t.loc["C", "dominated_by"] == "X"
    assert frontier(t) == ["A", "X"]
    assert t.loc["X", "icer"] == pytest.approx(100) and t.loc["X", "compared_with"] == "A"
    # identical listed the other way round: A2 now represents the pair
    t2 = table([("A2", 0, 1.0), ("A", 0, 1.0)])
    assert t2.loc["A", "status"] == "equivalent" and t2.loc["A", "dominated_by"] == "A2"
    assert t2.loc["A2", "status"] == "frontier"


def test_equivalent_of_a_dominated_option():
    # D and D2 identical (50, 1.0), both dominated by E(40, 2.0): D2 points at D, D at E
    t = table([("E", 40, 2.0), ("D", 50, 1.0), ("D2", 50, 1.0)])
    assert t.loc["D", "status"] == "dominated" and t.loc["D", "dominated_by"] == "E"
    assert t.loc["D2", "status"] == "equivalent" and t.loc["D2", "dominated_by"] == "D"


def test_collinear_options_stay_on_the_frontier():
    # rule d: A(0,0) B(10,1) C(20,2): ICERs 10 and 10; B is not extendedly dominated
    t = table([("A", 0, 0), ("B", 10, 1), ("C", 20, 2)])
    assert (t["status"] == "frontier").all()
    assert t["icer"].iloc[1:].tolist() == pytest.approx([10, 10])
    # collinear in decimal but not in binary: 1/0.1 and 2/(0.3 - 0.1) differ by rounding
    # only, so they count as equal (tolerance 1e-12)
    t = table([("A", 0, 0), ("B", 1, 0.1), ("C", 3, 0.3)])
    assert frontier(t) == ["A", "B", "C"]
    # a real gap of 1e-9 (relative 1e-10, above the tolerance) is extended dominance:
    # ICER(A,B) = 10.00000001 > ICER(B,C) = 9.999999995
    t = table([("A", 0, 0), ("B", 1 + 1e-9, 0.1), ("C", 3, 0.3)])
    assert t.loc["B", "status"] == "extendedly dominated"
    assert t.loc["C", "icer"] == pytest.approx(10) and t.loc["C", "compared_with"] == "A"


def test_equality_tolerance_for_costs_and_effects():
    # costs within 1e-12 relative are equal: B (same cost, more effective) dominates A (rule b)
    t = table([("A", 100.0, 1.0), ("B", 100.0 + 1e-11, 2.0)])
    assert t.loc["A", "status"] == "dominated" and t.loc["A", "dominated_by"] == "B"
    # effects within 1e-12 are equal: the dearer B is dominated (rule c)
    t = table([("A", 0.0, 1.0), ("B", 10.0, 1.0 + 1e-13)])
    assert t.loc["B", "status"] == "dominated"
    # both within tolerance: equivalent
    t = table([("A", 5.0, 1.0), ("B", 5.0 * (1 + 1e-14), 1.0)])
    assert t.loc["B", "status"] == "equivalent"
    # NMB ties use the same tolerance, through the table: the choice stays on the frontier
    assert inc.optimal_strategy(["A", "B"], [0, 1e-13], [1, 2], 0) == ["B"]  # A dominated
    assert inc.optimal_strategy(["s0", "s1"], [0, 0], [0, 1e-12], 1e6) == ["s0"]  # s1 equiv.
    # clearly different (1e-9): an ordinary, very dear, increment
    t = table([("A", 0.0, 1.0), ("B", 10.0, 1.0 + 1e-9)])
    assert frontier(t) == ["A", "B"] and t.loc["B", "icer"] == pytest.approx(1e10)


# --------------------------------------------------------------------------- edge cases
def test_cheapest_dominates_all():
    # A is cheapest and most effective: one frontier strategy, the rest dominated by A
    t = table([("C", 20, 3.0), ("A", 0, 5.0), ("B", 10, 4.0)])
    assert frontier(t) == ["A"] and np.isnan(t.loc["A", "icer"])
    assert (t.loc[["B", "C"], "status"] == "dominated").all()
    assert (t.loc[["B", "C"], "dominated_by"] == "A").all()
    f = inc.frontier_by_wtp(t.reset_index())
    assert f.to_dict("list") == {"strategy": ["A"], "wtp_from": [0.0], "wtp_to": [np.inf]}


def test_one_and_two_strategies_and_identical_arms():
    t = table([("only", 5, 1)])
    assert t.loc["only", "status"] == "frontier" and np.isnan(t.loc["only", "icer"])
    assert np.isnan(t.loc["only", "inc_cost"]) and t.loc["only", "compared_with"] is None
    # two: (400 - 100) / (1.5 - 1.0) = 600
    t = table([("new", 400, 1.5), ("old", 100, 1.0)])
    assert list(t.index) == ["old", "new"]
    assert t.loc["new", "icer"] == pytest.approx(600) and t.loc["new", "compared_with"] == "old"
    t = table([("a", 100, 1.0), ("b", 100, 1.0)])
    assert t.loc["a", "status"] == "frontier" and t.loc["b", "status"] == "equivalent"
    assert inc.optimal_strategy(["a", "b"], [100, 100], [1, 1], [0, 1e6]) == ["a", "a"]


def test_zero_costs_and_negative_increments():
    # all zero costs: only the most effective is on the frontier
    t = table([("A", 0, 1.0), ("B", 0, 3.0), ("C", 0, 2.0)])
    assert frontier(t) == ["B"] and list(t.index) == ["B", "C", "A"]
    assert (t.loc[["A", "C"], "dominated_by"] == "B").all()
    # zero everywhere: equivalent arms
    t = table([("A", 0, 0), ("B", 0, 0)])
    assert t.loc["B", "status"] == "equivalent"
    # dearer and less effective (negative incremental effect): dominated
    t = table([("A", 0, 0.0), ("B", 10, -1.0)])
    assert t.loc["B", "status"] == "dominated" and t.loc["B", "dominated_by"] == "A"
    # negative costs and effects: a cheaper, less effective option starts the frontier;
    # B vs A: (0 - -50) / (0 - -1) = 50
    t = table([("A", -50, -1.0), ("B", 0, 0.0)])
    assert frontier(t) == ["A", "B"] and t.loc["B", "icer"] == pytest.approx(50)
    # cost-saving: B cheaper and more effective than A -> A dominated
    t = table([("A", 100, 1.0), ("B", -20, 1.2)])
    assert frontier(t) == ["B"] and t.loc["A", "dominated_by"] == "B"


# ---------------------------------------------------------------------------- bad input
def test_bad_input():
    df = pd.DataFrame({"strategy": ["a", "b"], "cost": [0, 1], "effect": [0, 1]})
    assert inc.incremental_table(df)["status"].tolist() == ["frontier", "frontier"]
    with pytest.raises(InputError, match="not finite"):
        inc.incremental_table(["a", "b"], [0, np.nan], [0, 1])
    with pytest.raises(InputError, match=r"not finite for \['b'\]"):
        inc.incremental_table(["a", "b"], [0, 1], [0, np.inf])
    with pytest.raises(InputError, match="one of each"):
        inc.incremental_table(["a", "b"], [0], [0, 1])
    with pytest.raises(InputError, match="duplicate"):
        inc.incremental_table(["a", "a"], [0, 1], [0, 1])
    with pytest.raises(InputError, match="no strategies"):
        inc.incremental_table([], [], [])
    with pytest.raises(InputError, match="columns"):
        inc.incremental_table(pd.DataFrame({"strategy": ["a"], "cost": [1]}))
    with pytest.raises(InputError, match="not both"):
        inc.incremental_table(df, [0, 1], [0, 1])
    with pytest.raises(InputError, match="costs and effects are needed"):
        inc.incremental_table(["a", "b"])
    with pytest.raises(InputError, match="numbers"):
        inc.incremental_table(["a", "b"], ["x", 1], [0, 1])
    with pytest.raises(InputError, match="1-D"):
        inc.incremental_table(["a", "b"], [[0, 1]], [[0, 1]])
    with pytest.raises(InputError, match="duplicate"):
        inc.optimal_strategy(["a", "a"], [0, 1], [0, 1], 10)


# --------------------------------------------------------------------------- net benefit
def test_net_benefit_by_hand():
    c, e = np.array([100.0, 400.0]), np.array([1.0, 1.5])
    # NMB at 1000: 1000 - 100 = 900, 1500 - 400 = 1100
    assert inc.nmb(c, e, 1000).tolist() == [900.0, 1100.0]
    assert inc.nmb(c, e, [0, 1000]).tolist() == [[-100.0, 900.0], [-400.0, 1100.0]]
    # NHB at 1000: 1 - 0.1 = 0.9, 1.5 - 0.4 = 1.1
    assert inc.nhb(c, e, 1000).tolist() == pytest.approx([0.9, 1.1])
    np.testing.assert_allclose(inc.nhb(c, e, [500, 1000]), [[0.8, 0.9], [0.7, 1.1]])
    # INMB of new vs old = 0.5 w - 300: -300, 0, 200
    t = inc.incremental_nmb(["old", "new"], c, e, "old", [0, 600, 1000])
    assert list(t.columns) == ["wtp", "old", "new"]
    assert t["new"].tolist() == pytest.approx([-300, 0, 200])
    assert t["old"].tolist() == [0, 0, 0]
    df = pd.DataFrame({"strategy": ["old", "new"], "cost": c, "effect": e})
    pd.testing.assert_frame_equal(inc.inmb(df, comparator="old", wtp=[0, 600, 1000]), t)
    # at WTP 600 the two tie exactly: the cheaper wins
    assert inc.optimal_strategy(["old", "new"], c, e, [0, 600, 1000]) == ["old", "old", "new"]
    assert inc.optimal_strategy(df, wtp=601) == ["new"]


def test_net_benefit_vectorised_over_draws_and_wtp():
    # 3 draws x 2 strategies, 2 WTP values -> (3, 2, 2)
    c = np.array([[0.0, 10.0], [5.0, 10.0], [0.0, 0.0]])
    e = np.array([[1.0, 2.0], [1.0, 1.0], [0.0, 3.0]])
    out = inc.nmb(c, e, [0.0, 10.0])
    assert out.shape == (3, 2, 2)
    assert out[:, :, 0].tolist() == (-c).tolist()
    assert out[:, :, 1].tolist() == [[10.0, 10.0], [5.0, 0.0], [0.0, 30.0]]
    assert inc.nmb(c, e, 10.0).tolist() == out[:, :, 1].tolist()
    assert inc.nhb(c, e, [10.0]).shape == (3, 2, 1)
    # pandas keeps its labels
    s = inc.nmb(pd.Series([100.0, 400.0], index=["old", "new"]),
                pd.Series([1.0, 1.5], index=["old", "new"]), [0, 1000])
    assert isinstance(s, pd.DataFrame) and list(s.index) == ["old", "new"]
    assert s.loc["new", 1000.0] == 1100.0
    d = inc.nmb(pd.DataFrame(c, columns=["x", "y"]), pd.DataFrame(e, columns=["x", "y"]), 10)
    assert list(d.columns) == ["x", "y"] and d["y"].tolist() == [10.0, 0.0, 30.0]


def test_net_benefit_bad_input():
    c, e = np.array([100.0, 400.0]), np.array([1.0, 1.5])
    with pytest.raises(InputError, match="> 0"):
        inc.nhb(c, e, 0)
    with pytest.raises(InputError, match="> 0"):
        inc.nhb(c, e, [1000, -1])
    with pytest.raises(InputError, match="differ in shape"):
        inc.nmb(c, e[:1], 1000)
    with pytest.raises(InputError, match="finite"):
        inc.nmb(np.array([np.nan, 1.0]), e, 1000)
    with pytest.raises(InputError, match="willingness"):
        inc.nmb(c, e, [np.nan])
    with pytest.raises(InputError, match="willingness"):
        inc.nmb(c, e, [[1, 2]])
    with pytest.raises(InputError, match="willingness"):
        inc.nmb(c, e, [])
    with pytest.raises(InputError, match="unknown comparator"):
        inc.incremental_nmb(["old", "new"], c, e, "placebo", 1000)
    with pytest.raises(InputError, match="comparator"):
        inc.incremental_nmb(["old", "new"], c, e, wtp=1000)
    with pytest.raises(InputError, match="willingness"):
        inc.optimal_strategy(["old", "new"], c, e)


# --------------------------------------------------------------- frontier by WTP / NMB
def test_frontier_by_wtp_textbook():
    # frontier A, B, D, F with ICERs 2000, 4000, 6000 (see test_textbook_six_strategies)
    names, c, e = zip(*TEXTBOOK, strict=True)
    t = inc.incremental_table(list(names), c, e)
    f = inc.frontier_by_wtp(t)
    assert f["strategy"].tolist() == ["A", "B", "D", "F"]
    assert f["wtp_from"].tolist() == pytest.approx([0, 2000, 4000, 6000])
    assert f["wtp_to"].tolist() == pytest.approx([2000, 4000, 6000, np.inf])
    pd.testing.assert_frame_equal(inc.frontier_by_wtp(list(names), c, e), f)
    # agreement with NMB maximisation, at the bounds too: at an ICER the two neighbours tie
    # and the cheaper is chosen, so A on [0, 2000], B on (2000, 4000], ...
    w = [0, 1999, 2000, 2001, 3999, 4000, 4001, 6000, 6001, 1e9]
    assert inc.optimal_strategy(list(names), c, e, w) == [
        "A", "A", "A", "B", "B", "B", "D", "D", "F", "F"]


def test_frontier_by_wtp_collinear_and_cost_saving():
    # rule d: B is on the frontier but optimal only at WTP 10, tied (the cheaper A wins)
    f = inc.frontier_by_wtp(["A", "B", "C"], [0, 10, 20], [0, 1, 2])
    assert f.to_dict("list") == {"strategy": ["A", "C"], "wtp_from": [0.0, 10.0],
                                 "wtp_to": [10.0, np.inf]}
    assert inc.optimal_strategy(["A", "B", "C"], [0, 10, 20], [0, 1, 2], [10, 10.5]) == [
        "A", "C"]
    # collinear only up to rounding (8 / 0.2 in binary): the intervals still tile [0, inf)
    f = inc.frontier_by_wtp(["A", "B", "C"], [2, 10, 18], [2.1, 2.3, 2.5])
    assert f["strategy"].tolist() == ["A", "C"]
    assert f["wtp_to"].iloc[0] == f["wtp_from"].iloc[1] == pytest.approx(40)
    # a tiny first ICER (costs 2e-12 apart, not equal) still gives the cheaper an interval
    f = inc.frontier_by_wtp(["A", "B"], [0, 2e-12], [0, 10])
    assert f["strategy"].tolist() == ["A", "B"] and f["wtp_to"].iloc[0] == pytest.approx(2e-13)
    with pytest.raises(InputError, match="no frontier"):
        inc.frontier_by_wtp(pd.DataFrame({"strategy": ["a"], "status": ["dominated"],
                                          "icer": [np.nan]}))


# ------------------------------------------------------------------------------ properties
def brute_force_frontier(names, c, e):
    """Exact (rational) oracle: a strategy is on the frontier iff it is not dominated (nothing
    else, bar exact copies, costs no more and is at least as effective), it is the first
    listed of any exact copies, and it maximises NMB at some WTP >= 0. NMB_i - max_j NMB_j is
    concave piecewise linear in WTP, so it suffices to try WTP 0, every pairwise crossing and
    "WTP -> infinity" (most effective, then cheapest)."""
    k = len(names)
    crossings = {Fraction(0)}
    for i in range(k):
        for j in range(k):
            if e[i] != e[j]:
                w = (c[j] - c[i]) / (e[j] - e[i])
                if w >= 0:
                    crossings.add(w)
    top_e = max(e)
    top = min((c[i], i) for i in range(k) if e[i] == top_e)[1]
    out = set()
    for i in range(k):
        if any(c[j] == c[i] and e[j] == e[i] for j in range(i)):
            continue  # a later exact copy
        if any((c[j], e[j]) != (c[i], e[i]) and c[j] <= c[i] and e[j] >= e[i]
               for j in range(k)):
            continue  # dominated
        if i == top or any(all(e[i] * w - c[i] >= e[j] * w - c[j] for j in range(k))
                           for w in crossings):
            out.add(names[i])
    return out


def nmb_margin(c, e, w):
    """NMB at ``w`` and the gap between the best and the second best (inf for one option)."""
    nb = e * w - c
    top = np.sort(nb)[::-1]
    return nb, (top[0] - top[1]) if nb.size > 1 else np.inf


def check_properties(names, c, e, extra_wtp, exact):
    """(i)-(iii) of the incremental table against NMB maximisation. ``exact``: inputs on a
    coarse grid, so the predicted optimum must match by name at every probe (ties included,
    by the cheapest-first rule). Otherwise (general floats, where near-degenerate sets exist)
    names must match wherever the optimum wins by a clear margin, and everywhere the
    predicted strategy's NMB must equal the maximum up to rounding."""
    t = inc.incremental_table(names, c, e)
    f = t[t["status"] == "frontier"]
    # all strategies kept, each once, statuses from the documented set
    assert sorted(t["strategy"]) == sorted(names)
    assert set(t["status"]) <= set(inc.STATUSES)
    # (i) along the frontier cost and effect strictly increase, ICERs strictly increase
    # except between collinear options (equal within the tolerance, rule d)
    assert (f["cost"].diff().dropna() > 0).all() and (f["effect"].diff().dropna() > 0).all()
    icers = f["icer"].to_numpy()[1:]
    assert not np.isnan(icers).any() and np.isnan(f["icer"].iloc[0])
    for a, b in zip(icers, icers[1:]):
        assert b > a or inc._close(a, b)
    # the WTP intervals tile [0, inf)
    intervals = inc.frontier_by_wtp(t)
    assert intervals["wtp_from"].iloc[0] == 0 and np.isinf(intervals["wtp_to"].iloc[-1])
    assert (intervals["wtp_to"].iloc[:-1].to_numpy()
            == intervals["wtp_from"].iloc[1:].to_numpy()).all()
    # (iii) inside each interval between consecutive frontier ICERs, and at its upper bound
    # (tie rule: the cheaper), the NMB-optimal strategy is the one the table predicts
    probes, expected = [0.0], [intervals["strategy"].iloc[0]]
    for _, r in intervals.iterrows():
        lo, hi = r["wtp_from"], r["wtp_to"]
        if np.isinf(hi):
            probes.append(2 * lo + 1.0)
            expected.append(r["strategy"])
        else:
            probes += [0.5 * (lo + hi), hi]
            expected += [r["strategy"]] * 2
    got = inc.optimal_strategy(names, c, e, probes)
    for w, g, x in zip(probes, got, expected, strict=True):
        nb, margin = nmb_margin(c, e, w)
        scale = max(1, np.abs(e).max()) * w + max(1, np.abs(c).max())
        assert nb[names.index(x)] == pytest.approx(nb.max(), rel=1e-9, abs=1e-9 * scale)
        if exact or margin > 1e-9 * scale:
            assert g == x, (w, g, x)
    # (ii) at any WTP the NMB-optimal strategy is on the frontier (so never dominated,
    # extendedly dominated or a later copy) and has the highest NMB
    wtps = [0.0, 0.5, 3.0, 10.0, 1e6, *extra_wtp, *icers]
    status = t.set_index("strategy")["status"]
    for w, best in zip(wtps, inc.optimal_strategy(names, c, e, wtps), strict=True):
        nb, margin = nmb_margin(c, e, w)
        scale = max(1, np.abs(e).max()) * w + max(1, np.abs(c).max())
        assert nb[names.index(best)] == pytest.approx(nb.max(), rel=1e-9, abs=1e-9 * scale)
        if exact or margin > 1e-9 * scale:
            assert status[best] == "frontier", (w, best)
        else:  # a near tie: some frontier strategy is optimal up to rounding
            assert nb[(status.loc[names] == "frontier").to_numpy()].max() == pytest.approx(
                nb.max(), rel=1e-9, abs=1e-9 * scale)
    return t


grid_options = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)),
                        min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(grid_options, st.lists(st.floats(0, 100), max_size=4))
def test_properties_on_a_grid_with_many_ties(rows, extra_wtp):
    # small integer grid (effects in tenths): exact ties of every kind are frequent
    names = [f"s{i}" for i in range(len(rows))]
    c = np.array([float(a) for a, _ in rows])
    e = np.array([b / 10 for _, b in rows])
    t = check_properties(names, c, e, extra_wtp, exact=True)
    oracle = brute_force_frontier(names, [Fraction(a) for a, _ in rows],
                                  [Fraction(b, 10) for _, b in rows])
    assert set(t.loc[t["status"] == "frontier", "strategy"]) == oracle


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e4, 1e5), st.floats(-5, 20)), min_size=1, max_size=10),
       st.lists(st.floats(0, 1e6), max_size=4))
def test_properties_on_general_floats(rows, extra_wtp):
    names = [f"s{i}" for i in range(len(rows))]
    c = np.array([a for a, _ in rows])
    e = np.array([b for _, b in rows])
    check_properties(names, c, e, extra_wtp, exact=False)
