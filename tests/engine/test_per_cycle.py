"""Per-cycle audit tables, starting cohorts as counts, transition matrices: hand calculations,
and every table's reward columns summing to the totals."""

import numpy as np
import pandas as pd
import pytest

from hecon.engine import (
    Branch,
    C,
    Chance,
    DiscountSchedule,
    Hybrid,
    MarkovModel,
    Mixture,
    ParamView,
    PartitionedSurvivalModel,
    Settings,
    State,
    Terminal,
    evaluate,
    transition_matrix,
)
from hecon.errors import InputError, ModelError, ModelSpecError

REWARDS = ["cost", "qalys", "life_years", "cost_undisc", "qalys_undisc", "life_years_undisc"]


def two_state(T=3, start=None, start_as="proportions", name="m", **kw):
    return MarkovModel(
        name=name, states=["alive", State("dead", dead=True)],
        transitions=lambda p, t: {("alive", "dead"): 0.1, ("alive", "alive"): C},
        start=start or {"alive": 1.0}, start_as=start_as, n_cycles=T,
        costs=lambda p, t: {"care": {"alive": 100.0}},
        utilities=lambda p, t: {"alive": 0.8},
        transition_costs=lambda p, t: {"death": {("alive", "dead"): 1000.0}},
        start_costs=lambda p: {"screen": 50.0}, **kw,
    )


def assert_sums_to_totals(res, strategy, sample=0):
    table = res.cycles(strategy, sample)
    summ = res.summary(sample)
    cols = [c for c in summ.columns if c.startswith(("cost", "qalys", "life_years"))]
    for col in cols:
        got = table[col].sum() if col in table else 0.0  # another strategy's category
        assert got == pytest.approx(summ.loc[strategy, col], rel=1e-12, abs=1e-12)
    return table


def test_per_cycle_rows_by_hand():
    s = Settings(counting="life-table")  # 3.5%, factor at the cycle's start
    res = evaluate([two_state()], {}, s)
    tab = assert_sums_to_totals(res, "m")
    d = lambda t: 1.035 ** -t  # noqa: E731
    alive = tab[(tab.kind == "state") & (tab.state == "alive")].reset_index(drop=True)
    for k in (1, 2, 3):
        row = alive.loc[k - 1]
        S0, S1 = 0.9 ** (k - 1), 0.9 ** k
        assert (row.cycle, row.time_start, row.time_end) == (k, k - 1, k)
        assert (row.membership_start, row.membership_end) == pytest.approx((S0, S1))
        assert (row.weight_start, row.weight_end) == (0.5, 0.5)
        assert row.discount_costs_start == row.discount_costs_end == pytest.approx(d(k - 1))
        assert row.cost == pytest.approx(100 * 0.5 * (S0 + S1) * d(k - 1), rel=1e-12)
        assert row.cost_care_undisc == pytest.approx(100 * 0.5 * (S0 + S1), rel=1e-12)
        assert row.qalys == pytest.approx(0.8 * 0.5 * (S0 + S1) * d(k - 1), rel=1e-12)
        assert row.life_years_undisc == pytest.approx(0.5 * (S0 + S1), rel=1e-12)
    flows = tab[tab.kind == "transition"].reset_index(drop=True)
    np.testing.assert_allclose(flows.cost_death, [1000 * 0.1 * 0.9 ** (k - 1) * d(k - 1)
                                                  for k in (1, 2, 3)], rtol=1e-12)
    np.testing.assert_allclose(flows.weight_end, 1.0)
    start = tab[tab.kind == "start"].iloc[0]
    assert (start.cycle, start.cost_screen, start.cost) == (0, 50.0, 50.0)
    dead = tab[(tab.kind == "state") & (tab.state == "dead")]
    assert (dead.cost == 0).all() and (dead.life_years == 0).all()
    assert set(tab["per"]) == {"person"}


def test_point_discounting_factors_and_undiscounted_extreme():
    s = Settings(counting="trapezoid", discount_costs=DiscountSchedule.flat(0.05),
                 discount_effects=DiscountSchedule.flat(0.0))
    tab = assert_sums_to_totals(evaluate([two_state(T=2)], {}, s), "m")
    alive = tab[(tab.kind == "state") & (tab.state == "alive")]
    np.testing.assert_allclose(alive.discount_costs_start, [1, 1.05 ** -1])
    np.testing.assert_allclose(alive.discount_costs_end, [1.05 ** -1, 1.05 ** -2])
    np.testing.assert_allclose(alive.discount_effects_end, 1.0)
    np.testing.assert_allclose(alive.qalys, alive.qalys_undisc)


def test_counts_give_per_person_and_per_cohort_results():
    props = evaluate([two_state(start={"alive": 0.7, "dead": 0.3})], {}, Settings())
    counts = evaluate([two_state(start={"alive": 700, "dead": 300}, start_as="counts")], {},
                      Settings())
    a, b = props.summary(), counts.summary()
    for col in ("cost", "qalys", "life_years", "cost_death_undisc"):
        assert b.loc["m", col] == pytest.approx(a.loc["m", col], rel=1e-14)
    per_cohort = counts.summary(per="cohort")
    assert per_cohort.loc["m", "cohort_size"] == 1000
    assert per_cohort.loc["m", "qalys"] == pytest.approx(1000 * a.loc["m", "qalys"], rel=1e-14)
    tr = counts.trace("m", per="cohort")
    assert tr.loc[0, "alive"] == pytest.approx(700) and tr.loc[1, "alive"] == pytest.approx(630)
    tab = counts.cycles("m", per="cohort")
    assert tab.cost.sum() == pytest.approx(per_cohort.loc["m", "cost"], rel=1e-12)
    assert set(tab["per"]) == {"cohort"}
    # a proportions model has a cohort of 1
    assert props.summary(per="cohort").loc["m", "cohort_size"] == 1.0
    with pytest.raises(InputError, match="per='people': choose 'person'"):
        counts.summary(per="people")


def test_counts_and_shares_are_checked():
    with pytest.raises(ModelError, match=r"membership sums to 1000, not 1, sample 0; give shares "
                       r"summing to 1, or numbers of people with start_as='counts'"):
        evaluate([two_state(start={"alive": 1000})], {}, Settings())
    with pytest.raises(ModelError, match="starting counts must be >= 0 with a total > 0"):
        evaluate([two_state(start={"alive": 0.0}, start_as="counts")], {}, Settings())
    with pytest.raises(ModelSpecError, match="start_as is 'count'; choose 'proportions'"):
        two_state(start_as="count")


def test_tunnel_states_collapse_to_user_states():
    m = MarkovModel(
        name="t", states=["well", State("sick", tunnel=3), State("dead", dead=True)],
        transitions=lambda p, t: {("well", "sick"): 0.2, ("well", "well"): C,
                                  ("sick", "dead"): np.array([[0.3, 0.2, 0.1]]),
                                  ("sick", "sick"): C},
        start={"well": 1.0}, n_cycles=5,
        costs=lambda p, t: {"c": {"sick": np.array([[500.0, 200.0, 100.0]])}},
    )
    res = evaluate([m], {}, Settings())
    tab = assert_sums_to_totals(res, "t")
    sick = tab[(tab.kind == "state") & (tab.state == "sick")]
    np.testing.assert_allclose(sick.membership_end, res.trace("t")["sick"].iloc[1:])
    # the matrix shows the sub-states: sick[0] -> sick[1] with 1 - 0.3
    P = transition_matrix(m, {}, cycle=1)
    assert list(P.index) == ["well", "sick[0]", "sick[1]", "sick[2]", "dead"]
    assert P.loc["sick[0]", "sick[1]"] == pytest.approx(0.7)
    assert P.loc["sick[2]", "sick[2]"] == pytest.approx(0.9)


def test_hybrid_mixture_psm_and_chunks_sum_to_totals():
    tree = Chance("acute", [Branch("dies", p=0.2, costs={"hosp": 9000.0}, then=Terminal("dead")),
                            Branch("lives", p=C, costs={"hosp": 5000.0}, qalys=0.1,
                                   then=Terminal("alive"))])
    hyb = Hybrid(name="h", tree=tree, model=two_state(start_time=0.5), tree_time=0.0)
    mix = Mixture(name="x", components=[(0.4, two_state(), {}), (0.6, two_state(T=3), {})])
    psm = PartitionedSurvivalModel(
        name="p", states=["pf", "pd", "dead"], n_cycles=4,
        curves=lambda p, t: [np.exp(-0.3 * t)[None, :], np.exp(-0.1 * t)[None, :]],
        utilities=lambda p, t: {"pf": 0.8, "pd": 0.5},
        curve_drop_costs=lambda p: {"death": [None, 2000.0]},
    )
    res = evaluate([hyb, mix, psm], {}, Settings())
    tab = assert_sums_to_totals(res, "h")
    tree_row = tab[tab.kind == "tree"].iloc[0]
    assert tree_row.cost_hosp == pytest.approx(0.2 * 9000 + 0.8 * 5000)
    assert tree_row.qalys == pytest.approx(0.08)
    # the model starts from the tree's survivors: 0.8 alive at cycle 1's start
    first = tab[(tab.kind == "state") & (tab.state == "alive")].iloc[0]
    assert first.membership_start == pytest.approx(0.8) and first.time_start == 0.5
    assert_sums_to_totals(res, "x")
    assert_sums_to_totals(res, "p")
    p = ParamView({"pd": np.array([0.1, 0.2, 0.3])})
    m = MarkovModel(name="m", states=["a", State("d", dead=True)],
                    transitions=lambda p, t: {("a", "d"): p.pd, ("a", "a"): C},
                    start={"a": 1.0}, n_cycles=3, costs=lambda p, t: {"c": {"a": 10.0}})
    one = evaluate([m], p, Settings())
    chunked = evaluate([m], p, Settings(), chunk_size=2)
    pd.testing.assert_frame_equal(one.cycles("m", 2), chunked.cycles("m", 2))
    assert_sums_to_totals(chunked, "m", 2)


def test_per_cycle_record_needs_the_trace():
    res = evaluate([two_state()], {}, Settings(), keep_trace=False)
    with pytest.raises(KeyError, match="evaluate with keep_trace=True"):
        res.cycles("m")


def test_transition_matrix_by_sample_and_cycle():
    p = ParamView({"q": np.array([0.1, 0.4])})
    m = MarkovModel(name="m", states=["a", "b", State("d", dead=True)],
                    transitions=lambda p, t: {("a", "b"): p.q * t.k / 4, ("a", "d"): 0.05,
                                              ("a", "a"): C, ("b", "d"): 0.2, ("b", "b"): C},
                    start={"a": 1.0}, n_cycles=4)
    P = transition_matrix(m, p, cycle=3, sample=1)
    expected = np.array([[1 - 0.3 - 0.05, 0.3, 0.05], [0, 0.8, 0.2], [0, 0, 1]])
    np.testing.assert_allclose(P.to_numpy(), expected, rtol=1e-14)
    assert (P.index.name, P.columns.name, list(P.columns)) == ("from", "to", ["a", "b", "d"])
    np.testing.assert_allclose(transition_matrix(Hybrid("h", Chance("c", [
        Branch("x", p=1.0, then=Terminal("a"))]), m), p, 1, 0).to_numpy()[0],
        [1 - 0.025 - 0.05, 0.025, 0.05])  # cycle 1, sample 0: a -> b is 0.1 x 1/4
    with pytest.raises(ModelSpecError, match=r"cycle 5 is not one of its cycles 1\.\.4"):
        transition_matrix(m, p, cycle=5)
    with pytest.raises(ModelSpecError, match=r"sample 2 is not one of the 2 samples"):
        transition_matrix(m, p, sample=2)
    psm = PartitionedSurvivalModel(name="ps", states=["a", "d"], n_cycles=2,
                                   curves=lambda p, t: [np.ones((1, t.size))])
    with pytest.raises(ModelSpecError, match="partitioned-survival model: membership comes from"):
        transition_matrix(psm, p)


def test_outcome_matrix_and_deprecated_alias():
    res = evaluate([two_state(), two_state(T=1, name="n")], {}, Settings())
    om = res.outcome_matrix("life_years")
    assert om.shape == (1, 2)
    assert om[0, 1] == pytest.approx(0.5 * (1 + 0.9))  # life-table, one cycle, no discount
    with pytest.warns(DeprecationWarning, match="use Results.outcome_matrix"):
        np.testing.assert_array_equal(res.matrix("life_years"), om)
