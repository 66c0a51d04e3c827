"""Tests that kill mutants which survived `make mutation` in hecon/engine (docs/testing.md lists
each mutant and the test here that kills it). Expected numbers are worked out by hand."""

import numpy as np
import pytest

from hecon.engine import C, DiscountSchedule, MarkovModel, Settings, State, evaluate
from hecon.engine.rates import prob_to_odds


def test_prob_to_odds_by_hand():
    assert prob_to_odds(np.array([0.2, 0.5, 0.75])) == pytest.approx([0.25, 1.0, 3.0],
                                                                       rel=1e-14)
    assert prob_to_odds(0.0) == 0.0


def test_discount_schedule_descriptions():
    dk = DiscountSchedule.stepwise([(0, 0.035), (35, 0.025), (70, 0.015)])
    assert dk.describe() == ("3.5% (years 0-35), 2.5% (years 35-70), 1.5% (years 70-end) "
                             "(discrete)")
    assert DiscountSchedule.flat(0.04, "continuous").describe() == "4.0% (continuous)"


def test_complement_within_rounding_below_zero_is_zero():
    # probabilities out of 'a' sum to 1 + 5e-13 (inside the 1e-12 rounding allowance): the
    # complement a->a is -5e-13 and counts as 0, so the cohort stays whole (sum 1)
    m = MarkovModel(
        name="m",
        states=["a", "b", State("dead", dead=True)],
        transitions=lambda p, t: {("a", "b"): 0.6, ("a", "dead"): 0.4 + 5e-13, ("a", "a"): C,
                                  ("b", "b"): C},
        start={"a": 1.0},
        n_cycles=2,
        costs=lambda p, t: {},
        utilities=lambda p, t: {"a": 1.0, "b": 1.0},
    )
    res = evaluate([m], {}, Settings.undiscounted("end"))
    trace = res.trace("m")[["a", "b", "dead"]].to_numpy(dtype=float)
    assert trace.sum(axis=1) == pytest.approx([1.0, 1.0, 1.0], abs=1e-11)
    assert (trace >= 0).all()  # the -5e-13 is set to 0, not kept
    # end counting: alive at t=1 is 0.6 (all in b), at t=2 still 0.6 -> 1.2 life-years
    assert res.summary().loc["m", "life_years"] == pytest.approx(1.2, abs=1e-11)


def test_negative_starting_membership_that_sums_to_one_is_an_error():
    from hecon.errors import ModelError

    m = MarkovModel(
        name="m",
        states=["a", "b"],
        transitions=lambda p, t: {("a", "b"): 0.1, ("a", "a"): C, ("b", "b"): C},
        start={"a": 1.2, "b": -0.2},
        n_cycles=2,
        costs=lambda p, t: {},
        utilities=lambda p, t: {"a": 1.0, "b": 1.0},
    )
    with pytest.raises(ModelError, match="negative membership -0.2 in state 'b'"):
        evaluate([m], {}, Settings.undiscounted("end"))


def test_cycles_table_columns_and_rows_by_hand():
    # alive/dead, q = 0.2, two cycles of 0.5 years from start time 0.5, life-table counting,
    # costs 1 per cycle discounted at 4% at the cycle start: d(0.5), d(1.0)
    m = MarkovModel(
        name="m",
        states=["alive", State("dead", dead=True)],
        transitions=lambda p, t: {("alive", "dead"): 0.2, ("alive", "alive"): C},
        start={"alive": 1.0},
        n_cycles=2,
        cycle_length=0.5,
        start_time=0.5,
        costs=lambda p, t: {"care": {"alive": 1.0}},
        utilities=lambda p, t: {"alive": 1.0},
    )
    settings = Settings(counting="life-table", timing="start",
                        discount_costs=DiscountSchedule.flat(0.04),
                        discount_effects=DiscountSchedule.flat(0.0))
    tab = evaluate([m], {}, settings).cycles("m")
    assert list(tab.columns[:5]) == ["strategy", "sample", "cycle", "time_start", "time_end"]
    assert "index" not in tab.columns
    assert tab.index.tolist() == list(range(len(tab)))
    alive = tab[(tab["kind"] == "state") & (tab["state"] == "alive")]
    expected = [0.5 * (1 + 0.8) * 1.04**-0.5, 0.5 * (0.8 + 0.64) * 1.04**-1.0]
    assert alive["cost"].to_numpy() == pytest.approx(expected, rel=1e-12)
    assert alive["qalys"].to_numpy() == pytest.approx([0.5 * 0.9, 0.5 * 0.72], rel=1e-12)


def test_tree_without_complement_rolls_back_by_hand():
    # explicit probabilities that sum to exactly 1 (no complement): 0.25 and 0.75
    from hecon.engine import Branch, Chance, ParamView, Terminal, rollback

    tree = Chance("n", [Branch("a", 0.25, Terminal("x"), costs={"c": 400.0}, qalys=0.1),
                        Branch("b", 0.75, Terminal("y"), costs={"c": 100.0}, qalys=0.5)])
    rb = rollback(tree, ParamView({}))
    assert rb.costs["c"] == pytest.approx([0.25 * 400 + 0.75 * 100], rel=1e-12)
    assert rb.qalys == pytest.approx([0.25 * 0.1 + 0.75 * 0.5], rel=1e-12)
    assert rb.terminal["x"] == pytest.approx([0.25]) and rb.terminal["y"] == pytest.approx([0.75])


@pytest.mark.parametrize("bad, number", [(0, 1), (1, 2)])
def test_psm_curve_outside_zero_one_is_named_by_its_number(bad, number):
    # curves are numbered from 1 (innermost) in the message
    from hecon.engine import PartitionedSurvivalModel
    from hecon.errors import ModelError

    def curves(p, t):
        cs = [np.exp(-0.5 * np.outer(np.ones(p.n), t)), np.exp(-0.2 * np.outer(np.ones(p.n), t))]
        cs[bad] = cs[bad] * 1.5
        return cs

    m = PartitionedSurvivalModel(
        name="psm", states=["pf", "progressed", State("dead", dead=True)], curves=curves,
        n_cycles=3, cycle_length=1.0, utilities=lambda p, t: {"pf": 1.0, "progressed": 1.0},
        costs=lambda p, t: {},
    )
    with pytest.raises(ModelError, match=f"curve {number} is 1.5 outside"):
        evaluate([m], {}, Settings.undiscounted("end"))
