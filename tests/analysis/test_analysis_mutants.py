"""Tests that kill mutants which survived `make mutation` in hecon/analysis (docs/testing.md
lists each mutant and the test here that now kills it). Every expected number is worked out
by hand in the test."""

import numpy as np
import pytest

from hecon.analysis import incremental as inc
from hecon.analysis import psa
from hecon.errors import InputError


@pytest.mark.parametrize("wtp", ["twenty thousand", ["1", "x"], object()])
def test_wtp_that_is_not_a_number_is_an_input_error(wtp):
    # incremental.py `_wtp`: a ValueError/TypeError of the conversion becomes an InputError
    with pytest.raises(InputError, match="willingness to pay"):
        inc.nmb([1.0, 2.0], [0.1, 0.2], wtp)


def test_convergence_first_point_is_ten_draws_by_hand():
    # psa.py `convergence`: the running means start at 10 draws (or n if fewer)
    c = np.column_stack([np.arange(40.0), np.zeros(40)])
    e = np.column_stack([np.full(40, 0.5), np.zeros(40)])
    t = psa.convergence(c, e, ["A", "B"], wtp=100.0, intervention="A", comparator="B")
    assert int(t["draws"].iloc[0]) == 10
    # first 10 draws: inc cost 0..9 -> mean 4.5; INMB 50 - cost -> mean 45.5; all > 0
    assert t["inc_cost"].iloc[0] == pytest.approx(4.5, rel=1e-12)
    assert t["inmb"].iloc[0] == pytest.approx(45.5, rel=1e-12)
    assert t["prob_cost_effective"].iloc[0] == pytest.approx(1.0)
    # with fewer than 10 draws the only point is all of them
    t5 = psa.convergence(c[:5], e[:5], ["A", "B"], wtp=100.0, intervention="A",
                         comparator="B")
    assert t5["draws"].tolist() == [5]


def test_threshold_search_rejects_nan_and_misshaped_inmb():
    # threshold.py `find_thresholds`: each fault alone is an InputError (either, not both)
    from hecon.analysis.threshold import find_thresholds

    with pytest.raises(InputError, match="finite"):
        find_thresholds(lambda x: np.where(x > 0.5, np.nan, x - 0.25), 0.0, 1.0)
    with pytest.raises(InputError, match="finite"):
        find_thresholds(lambda x: (x - 0.25)[:-1], 0.0, 1.0)
    # a good one: INMB = x - 0.25 crosses at 0.25 exactly
    assert find_thresholds(lambda x: x - 0.25, 0.0, 1.0).values == pytest.approx([0.25])


def test_icer_table_dominated_when_less_effective_and_more_costly():
    # psa.py `icer_table`: B vs A costs 5 more and gives 1 QALY less (mean dE < 0, not 0)
    c = np.array([[0.0, 5.0], [0.0, 5.0]])
    e = np.array([[1.0, 0.0], [1.0, 0.0]])
    t = psa.icer_table(c, e, ["A", "B"], "A")
    assert t["value"].iloc[-1] == "dominated"
    assert np.isnan(t["estimate"].iloc[-1])


def test_gp_likelihood_gradient_matches_finite_differences():
    # voi.py `_gp_nll`: the analytic gradient against central differences of the function
    # itself (an independent check of the derivative; step 1e-5, error O(1e-10))
    from hecon.analysis.voi import _gp_nll

    rng = np.random.default_rng(7)
    xs = rng.normal(size=(40, 2))
    hs = np.column_stack([np.ones(40), xs])
    y = np.sin(xs[:, 0]) + 0.3 * xs[:, 1] ** 2 + 0.1 * rng.normal(size=40)
    theta = np.array([0.2, -0.1, np.log(0.05)])
    _, g = _gp_nll(theta, xs, hs, y)
    h = 1e-5
    num = np.array([(_gp_nll(theta + h * e, xs, hs, y, grad=False)[0]
                     - _gp_nll(theta - h * e, xs, hs, y, grad=False)[0]) / (2 * h)
                    for e in np.eye(3)])
    assert g == pytest.approx(num, rel=1e-5, abs=1e-8)


def test_evppi_r2_of_an_exact_small_scale_fit_is_one():
    # voi.py `_fit_checks`: INB = 0.01 x exactly (total sum of squares about 0.01 < 1), so
    # the regression explains everything: r2 = 1 - 0 / tss = 1, whatever the scale
    from hecon.analysis.voi import evppi

    x = np.random.default_rng(3).normal(size=200)
    nb = np.column_stack([np.zeros(200), 0.01 * x])
    assert evppi(nb, x, method="spline").r2 == pytest.approx([1.0], abs=1e-9)


def test_residual_correlation_of_incremental_columns_by_hand():
    # voi.py `_resid_corr`: the residual correlation that the delta-method SE of a
    # three-strategy EVPPI (and of evppi_wtp's cost and effect fits) uses.
    # r1 = (1, -1, 1, -1), r2 = (2, 0, 0, -2): both have mean 0; cov = (2 + 0 + 0 + 2) / 4 = 1,
    # var1 = 1, var2 = (4 + 0 + 0 + 4) / 4 = 2, so corr = 1 / sqrt(2); a constant third column
    # has no correlation with anything (0 off the diagonal, 1 on it).
    from hecon.analysis.voi import _resid_corr

    r = np.array([[1.0, 2.0, 5.0], [-1.0, 0.0, 5.0], [1.0, 0.0, 5.0], [-1.0, -2.0, 5.0]])
    h = 1 / np.sqrt(2)
    want = np.array([[1.0, h, 0.0], [h, 1.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(_resid_corr(r), want, rtol=1e-12, atol=1e-15)
    # perfectly anti-correlated pair: -1 off the diagonal
    np.testing.assert_allclose(_resid_corr(np.column_stack([r[:, 0], -3 * r[:, 0]])),
                               [[1.0, -1.0], [-1.0, 1.0]], rtol=1e-12)
    # one varying column (or none): the identity
    np.testing.assert_array_equal(_resid_corr(r[:, [0, 2]]), np.eye(2))
    np.testing.assert_array_equal(_resid_corr(np.full((4, 2), 3.0)), np.eye(2))


def test_collinear_middle_strategy_with_rounded_icers_stays_on_the_frontier():
    # incremental.py `_close` and `frontier_by_wtp`: B lies on the line from A to C (1000 per
    # QALY both ways), but in floating point 100/0.1 = 1000 and (400 - 100)/(0.4 - 0.1) =
    # 999.99...: equal up to rounding, so rule d keeps B on the frontier (not extendedly
    # dominated), and B, tying with both neighbours at 1000, has no WTP interval of its own.
    assert 100 / 0.1 > (400 - 100) / (0.4 - 0.1)  # the rounding this test is about
    t = inc.incremental_table(["A", "B", "C"], [0.0, 100.0, 400.0], [0.0, 0.1, 0.4])
    assert t["status"].tolist() == ["frontier"] * 3
    assert t["icer"].iloc[1:].tolist() == pytest.approx([1000.0, 1000.0], rel=1e-12)
    f = inc.frontier_by_wtp(["A", "B", "C"], [0.0, 100.0, 400.0], [0.0, 0.1, 0.4])
    assert f["strategy"].tolist() == ["A", "C"]
    # the other rounding direction: 100/0.1 = 1000 < 200/(0.3 - 0.1) = 1000.0000000000001
    assert 100 / 0.1 < (300 - 100) / (0.3 - 0.1)
    f = inc.frontier_by_wtp(["A", "B", "C"], [0.0, 100.0, 300.0], [0.0, 0.1, 0.3])
    assert f["strategy"].tolist() == ["A", "C"]
    assert f["wtp_to"].iloc[0] == pytest.approx(1000.0, rel=1e-12)
    assert f["wtp_from"].iloc[1] == f["wtp_to"].iloc[0]


@pytest.mark.parametrize("costs, effects", [([[1.0], [2.0]], [0.1, 0.2]),
                                            ([1.0, 2.0], [[0.1], [0.2]])])
def test_incremental_table_rejects_two_dimensional_costs_or_effects(costs, effects):
    # incremental.py `_inputs`: either one 2-D is an error (not only both)
    with pytest.raises(InputError, match="1-D"):
        inc.incremental_table(["A", "B"], costs, effects)


@pytest.mark.parametrize("costs, effects", [([1.0], None), (None, [0.5])])
def test_incremental_table_needs_both_costs_and_effects(costs, effects):
    # incremental.py `_inputs`: a missing one alone is named (not read as NaN)
    with pytest.raises(InputError, match="costs and effects are needed"):
        inc.incremental_table(["A"], costs, effects)


def test_nmb_of_a_table_at_several_wtp_is_an_array_by_hand():
    # incremental.py `_labelled`: a DataFrame keeps its labels only with one WTP; with several
    # the result is (draws, strategies, WTP): NMB = e x w - c
    import pandas as pd

    c = pd.DataFrame({"A": [1.0, 2.0], "B": [3.0, 5.0]})
    e = pd.DataFrame({"A": [0.1, 0.2], "B": [0.3, 0.1]})
    out = inc.nmb(c, e, [10.0, 100.0])
    assert isinstance(out, np.ndarray) and out.shape == (2, 2, 2)
    # draw 0, A: 0.1 x 10 - 1 = 0, 0.1 x 100 - 1 = 9; B: 0.3 x 10 - 3 = 0, 30 - 3 = 27
    # draw 1, A: 2 - 2 = 0, 20 - 2 = 18; B: 1 - 5 = -4, 10 - 5 = 5
    want = [[[0.0, 9.0], [0.0, 27.0]], [[0.0, 18.0], [-4.0, 5.0]]]
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)
    one = inc.nmb(c, e, 100.0)
    assert isinstance(one, pd.DataFrame) and list(one.columns) == ["A", "B"]
    np.testing.assert_allclose(one.to_numpy(), [[9.0, 27.0], [18.0, 5.0]], rtol=1e-12)


def _three_strategies():
    # four draws of three strategies; C (last) is the default comparator and is not free
    c = np.array([[10.0, 20.0, 5.0], [14.0, 22.0, 7.0], [12.0, 24.0, 6.0], [16.0, 26.0, 8.0]])
    e = np.array([[1.0, 2.0, 0.5], [1.2, 2.2, 0.6], [1.4, 2.4, 0.7], [1.6, 2.6, 0.8]])
    return c, e, ["A", "B", "C"]


def test_summary_increments_over_the_last_strategy_by_hand():
    # psa.py `summary`: default comparator the last strategy; increments are differences.
    # mean costs A 13, B 23, C 6.5; mean effects A 1.3, B 2.3, C 0.65
    c, e, s = _three_strategies()
    t = psa.summary(c, e, s).set_index(["strategy", "outcome"])["mean"]
    assert t[("A vs C", "inc_cost")] == pytest.approx(13.0 - 6.5, rel=1e-12)
    assert t[("B vs C", "inc_cost")] == pytest.approx(23.0 - 6.5, rel=1e-12)
    assert t[("A vs C", "inc_effect")] == pytest.approx(1.3 - 0.65, rel=1e-12)
    assert t[("B vs C", "inc_effect")] == pytest.approx(2.3 - 0.65, rel=1e-12)
    assert ("A vs B", "inc_cost") not in t.index


def test_ce_plane_increments_over_the_last_strategy_by_hand():
    # psa.py `ce_plane`: default comparator the last strategy
    c, e, s = _three_strategies()
    t = psa.ce_plane(c, e, s)
    assert t["strategy"].tolist() == ["A"] * 4 + ["B"] * 4
    # draw 0: A - C = (10 - 5, 1 - 0.5); B - C = (20 - 5, 2 - 0.5)
    np.testing.assert_allclose(t["inc_cost"].to_numpy(), [5, 7, 6, 8, 15, 15, 18, 18],
                               rtol=1e-12)
    np.testing.assert_allclose(t["inc_effect"].to_numpy(),
                               [0.5, 0.6, 0.7, 0.8, 1.5, 1.6, 1.7, 1.8], rtol=1e-12)


def test_psa_accepts_more_than_256_strategies():
    # psa.py `_check`: column count against name count by value (above 256 equal ints are
    # distinct objects); 300 strategies, one draw: 299 increments over the last
    k = 300
    c, e = np.arange(k, dtype=float)[None, :], np.ones((1, k))
    t = psa.ce_plane(c, e, [f"s{i}" for i in range(k)])
    assert len(t) == k - 1
    assert t["inc_cost"].iloc[0] == pytest.approx(-(k - 1.0))


def test_icer_table_by_hand_intervals_digits_and_dominance():
    # psa.py `icer_table`. 41 draws: A's incremental cost over C is 0, 1, ..., 40 and its
    # incremental effect 0.5 in every draw. Percentiles by linear interpolation at position
    # (n - 1) q: 2.5% -> 40 x 0.025 = 1 -> 1.0; 97.5% -> 39 -> 39.0. ICER = mean 20 / 0.5 = 40,
    # interval 1/0.5 = 2 to 39/0.5 = 78. B costs exactly what C costs and gives 0.1 more:
    # dominant (zero cost difference, more effect). Effects print with 3 decimals by default.
    n = 41
    dc = np.arange(n, dtype=float)
    c = np.column_stack([100.0 + dc, np.full(n, 100.0), np.full(n, 100.0)])
    e = np.column_stack([np.full(n, 1.5), np.full(n, 1.1), np.full(n, 1.0)])
    t = psa.icer_table(c, e, ["A", "B", "C"])
    a = t[t["comparison"] == "A vs C"].set_index("outcome")
    cost = a.loc["Incremental cost"]
    assert (cost["estimate"], cost["lower"], cost["upper"]) == pytest.approx((20, 1, 39))
    assert cost["value"] == "20 (1 to 39)"
    assert a.loc["Incremental QALYs", "value"] == "0.500 (0.500 to 0.500)"
    icer = a.loc["ICER (cost per QALY gained)"]
    assert (icer["estimate"], icer["lower"], icer["upper"]) == pytest.approx((40, 2, 78))
    # a row after a dominant one is still made (dominance ends only that comparison)
    b = t[t["comparison"] == "B vs C"].set_index("outcome")
    assert b.loc["ICER (cost per QALY gained)", "value"] == "dominant"
    t2 = psa.icer_table(c[:, [1, 0, 2]], e[:, [1, 0, 2]], ["B", "A", "C"])
    assert t2["comparison"].tolist().count("A vs C") == 3
