"""Tests that kill mutants of the time-vectorised Markov path (hecon/engine/vectorised.py) and
of markov.py which survived `make mutation` (target engine_vectorised; docs/testing.md).
Every expected number is worked out by hand in the test."""

from __future__ import annotations

import numpy as np
import pytest

from hecon.engine import C, Counting, DiscountSchedule, MarkovModel, ParamView, Settings, State


@pytest.fixture
def no_fallback(monkeypatch):
    """A valid model must run on the vectorised path itself: a failed internal check there
    silently re-runs the per-cycle path (same numbers, 10-100 times slower), which would hide
    a broken vectorised path from any test of numbers."""

    def fail(*args, **kwargs):
        raise AssertionError("the vectorised path fell back to the per-cycle path")

    monkeypatch.setattr(MarkovModel, "_run_cycles", fail)


def test_cycle_number_seen_by_vectorised_callables_by_hand(no_fallback):
    # vectorised.py `run_vectorised`: t.k is the 1-based cycle number of every cycle at once.
    # Nobody dies (q = 0), cost 10 x k per cycle alive, end counting, no discounting, 3 cycles:
    # 10 x (1 + 2 + 3) = 60; the utility 0.1 x k gives 0.1 x 6 = 0.6 QALYs
    model = MarkovModel(
        name="cycles", states=["alive", State("dead", dead=True)],
        transitions=lambda p, t: {("alive", "dead"): 0.0, ("alive", "alive"): C},
        start={"alive": 1.0}, n_cycles=3, cycle_length=1.0,
        costs=lambda p, t: {"care": {"alive": 10.0 * t.k}},
        utilities=lambda p, t: {"alive": 0.1 * t.k}, vectorised=True)
    flat = DiscountSchedule.flat(0.0)
    settings = Settings(counting=Counting("end"), discount_costs=flat, discount_effects=flat)
    out = model.run(ParamView({}, n=2), settings)
    np.testing.assert_allclose(out.totals.costs["care"], [60.0, 60.0], rtol=1e-13)
    np.testing.assert_allclose(out.totals.qalys, [0.6, 0.6], rtol=1e-13)
    assert out.totals.life_years[0] == pytest.approx(3.0, rel=1e-13)


def _lead_tests():
    """The rich model of test_vectorised.py (loaded from its file: tests are not a package)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("test_vectorised.py")
    spec = importlib.util.spec_from_file_location("_vectorised_rich", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("counting", ["start", "end", "half-cycle", "life-table", "trapezoid",
                                      "simpson"])
@pytest.mark.parametrize("transition_rewards", ["cycle", "within-cycle"])
def test_rich_model_runs_on_the_vectorised_path_itself(monkeypatch, counting,
                                                       transition_rewards):
    # test_vectorised.py compares the two paths; that comparison holds trivially if the
    # vectorised path falls back to the per-cycle one, so here the fallback is an error
    mod = _lead_tests()
    settings = Settings(counting=Counting(counting), discount_costs=DiscountSchedule.flat(0.04),
                        discount_effects=DiscountSchedule.flat(0.015), timing="middle",
                        transition_rewards=transition_rewards)
    p = mod.rich_params()
    b = mod.rich_model(False).run(p, settings)

    def fail(*args, **kwargs):
        raise AssertionError("the vectorised path fell back to the per-cycle path")

    monkeypatch.setattr(MarkovModel, "_run_cycles", fail)
    a = mod.rich_model(True).run(p, settings)
    np.testing.assert_allclose(a.totals.qalys, b.totals.qalys, rtol=1e-12)
    for c in b.totals.costs:
        np.testing.assert_allclose(a.totals.costs[c], b.totals.costs[c], rtol=1e-12)


def test_rows_given_in_full_without_a_complement_by_hand(no_fallback):
    # vectorised.py `_transitions`: rows that sum to 1 without a complement C are valid.
    # alive -> dead 0.2, alive -> alive 0.8, 2 cycles, end counting, no discounting:
    # LY = 0.8 + 0.64 = 1.44
    model = MarkovModel(
        name="full rows", states=["alive", State("dead", dead=True)],
        transitions=lambda p, t: {("alive", "dead"): 0.2, ("alive", "alive"): 0.8,
                                  ("dead", "dead"): 1.0},
        start={"alive": 1.0}, n_cycles=2, cycle_length=1.0, vectorised=True)
    flat = DiscountSchedule.flat(0.0)
    settings = Settings(counting=Counting("end"), discount_costs=flat, discount_effects=flat)
    out = model.run(ParamView({}, n=1), settings)
    assert out.totals.life_years[0] == pytest.approx(1.44, rel=1e-13)


def _two_state(**kw) -> MarkovModel:
    base = dict(name="m", states=["well", State("dead", dead=True)],
                transitions=lambda p, t: {("well", "dead"): 0.1, ("well", "well"): C},
                start={"well": 1.0}, n_cycles=2, cycle_length=1.0)
    base.update(kw)
    return MarkovModel(**base)


def test_cost_that_is_not_a_mapping_is_explained_with_the_first_state():
    # markov.py `cycle_rewards`: the example in the message uses the model's first state
    from hecon.errors import ModelSpecError

    with pytest.raises(ModelSpecError, match=r"\{'care': \{'well': 1000\}\}"):
        _two_state(costs=lambda p, t: 5.0).run(ParamView({}, n=3), Settings())


def test_start_qalys_of_the_wrong_shape_is_an_error():
    # markov.py `add_start_rewards`: start QALYs are one value per sample, not per cycle
    from hecon.errors import ModelError

    with pytest.raises(ModelError, match="start QALYs"):
        _two_state(start_qalys=lambda p: np.ones((3, 2))).run(ParamView({}, n=3), Settings())


def test_negative_share_at_the_rounding_tolerance_is_accepted():
    # markov.py `check_membership`: a share of -1e-12 (the rounding tolerance itself) is
    # rounding; -1e-10 is not. Undiscounted end counting, 2 cycles, death 0.1 per cycle:
    # LY = (1 + 1e-12) (0.9 + 0.81) = 1.71 (to 1e-12)
    from hecon.errors import ModelError

    flat = DiscountSchedule.flat(0.0)
    settings = Settings(counting=Counting("end"), discount_costs=flat, discount_effects=flat)
    out = _two_state(start={"well": 1 + 1e-12, "dead": -1e-12}).run(ParamView({}, n=1),
                                                                      settings)
    assert out.totals.life_years[0] == pytest.approx(1.71, rel=1e-11)
    with pytest.raises(ModelError):
        _two_state(start={"well": 1 + 1e-10, "dead": -1e-10}).run(ParamView({}, n=1),
                                                                    settings)


@pytest.mark.parametrize("q", [0.0, 1.0])
def test_certain_death_or_survival_runs_vectorised_by_hand(no_fallback, q):
    # vectorised.py `_transitions`: a complement of exactly 0 (q = 1) or 1 (q = 0) is valid;
    # one cycle, end counting, no discounting: LY = 1 - q
    flat = DiscountSchedule.flat(0.0)
    settings = Settings(counting=Counting("end"), discount_costs=flat, discount_effects=flat)
    model = MarkovModel(
        name="certain", states=["alive", State("dead", dead=True)],
        transitions=lambda p, t: {("alive", "dead"): q, ("alive", "alive"): C},
        start={"alive": 1.0}, n_cycles=1, cycle_length=1.0, vectorised=True)
    out = model.run(ParamView({}, n=2), settings)
    np.testing.assert_allclose(out.totals.life_years, 1.0 - q, rtol=0, atol=1e-15)


def test_discrete_discount_rate_of_one_is_an_error():
    # discount.py: a discrete rate must be below 1 (100% a year)
    from hecon.errors import HeconError

    with pytest.raises((HeconError, ValueError)):
        DiscountSchedule.flat(1.0)


def test_partitioned_survival_time_seen_by_costs_by_hand():
    # psm.py `run`: t.time is the start of cycle k, (k - 1) dt. Nobody dies (S = 1), cost
    # 10 x t.time per cycle alive, 3 yearly cycles, end counting, no discounting:
    # 10 x (0 + 1 + 2) = 30
    from hecon.engine import PartitionedSurvivalModel

    flat = DiscountSchedule.flat(0.0)
    settings = Settings(counting=Counting("end"), discount_costs=flat, discount_effects=flat)
    model = PartitionedSurvivalModel(
        name="flat", states=["alive", State("dead", dead=True)],
        curves=lambda p, times: [np.ones((p.n, len(times)))], n_cycles=3, cycle_length=1.0,
        costs=lambda p, t: {"care": {"alive": 10.0 * t.time}})
    out = model.run(ParamView({}, n=2), settings)
    np.testing.assert_allclose(out.totals.costs["care"], [30.0, 30.0], rtol=1e-13)


def test_partitioned_survival_refuses_tunnel_states():
    # psm.py `__post_init__`: time in state has no meaning in a partitioned-survival model
    from hecon.engine import PartitionedSurvivalModel
    from hecon.errors import ModelError

    with pytest.raises(ModelError, match="tunnel"):
        PartitionedSurvivalModel(
            name="t", states=[State("alive", tunnel=3), State("dead", dead=True)],
            curves=lambda p, times: [np.ones((p.n, len(times)))], n_cycles=3)


def test_tree_payoffs_discounted_to_the_tree_time_by_hand():
    # strategy.py `_add_once`: a tree alone (no cohort model) counted at tree_time = 1 year,
    # discount 5% a year: cost 1000 / 1.05 = 952.38..., QALYs 0.5 / 1.05 = 0.47619...
    from hecon.engine import Branch, Chance, Hybrid, Terminal

    tree = Chance("acute", [Branch("lives", p=C, costs={"hosp": 1000.0}, qalys=0.5,
                                   then=Terminal("alive"))])
    r = DiscountSchedule.flat(0.05)
    settings = Settings(discount_costs=r, discount_effects=r)
    out = Hybrid(name="h", tree=tree, model=None, tree_time=1.0).run(ParamView({}, n=1),
                                                                      settings)
    assert out.totals.costs["hosp"][0] == pytest.approx(1000 / 1.05, rel=1e-12)
    assert out.totals.qalys[0] == pytest.approx(0.5 / 1.05, rel=1e-12)
    assert out.totals.qalys_undisc[0] == pytest.approx(0.5, rel=1e-12)
