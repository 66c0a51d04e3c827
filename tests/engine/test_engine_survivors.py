"""Tests written for the engine's surviving mutants of 28 November (docs/testing.md): each
checks a number or a message worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from hecon.engine import (
    Branch,
    C,
    Chance,
    DiscountSchedule,
    MarkovModel,
    ParamView,
    PartitionedSurvivalModel,
    Settings,
    State,
    Terminal,
    evaluate,
)
from hecon.engine import vectorised as vec
from hecon.engine.matrices import transition_matrix
from hecon.errors import ModelError, ModelSpecError


def test_partitioned_survival_curve_drop_cost_by_hand():
    """Survival exp(-0.2 t) on yearly points, a cost of 5,000 on each death (the fall of the
    only curve) discounted at 3.5% from the cycle's start: 5,000 x (1 - exp(-0.2)) in the first
    cycle, 5,000 x (exp(-0.2) - exp(-0.4)) / 1.035 in the second."""
    m = PartitionedSurvivalModel(
        name="ps", states=["alive", State("dead", dead=True)], n_cycles=2,
        curves=lambda p, t: [np.exp(-0.2 * t)[None, :]],
        curve_drop_costs=lambda p: {"death": [5000.0]})
    d = DiscountSchedule.flat(0.035)
    out = m.run(ParamView({}, n=1), Settings(discount_costs=d, discount_effects=d,
                                             timing="start"), keep_trace=True)
    first, second = 5000 * (1 - np.exp(-0.2)), 5000 * (np.exp(-0.2) - np.exp(-0.4))
    assert out.totals.costs["death"][0] == pytest.approx(first + second / 1.035, rel=1e-12)
    assert out.totals.costs_undisc["death"][0] == pytest.approx(first + second, rel=1e-12)
    assert out.per_cycle["flow|cost_undisc|death"][0, 0] == pytest.approx(first, rel=1e-12)


def test_partitioned_survival_rising_curve_is_named_by_number():
    m = PartitionedSurvivalModel(
        name="ps", states=["alive", State("dead", dead=True)], n_cycles=2,
        curves=lambda p, t: [np.array([[0.9, 0.95, 0.8]])])
    with pytest.raises(ModelError, match=r"'ps': curve 1 increases between 0 and 1 years, "
                                         r"sample 0"):
        m.run(ParamView({}, n=1))


def test_transition_matrix_names_the_range_of_samples():
    m = MarkovModel(name="m", states=["a", State("d", dead=True)],
                    transitions=lambda p, t: {("a", "d"): 0.1, ("a", "a"): C},
                    start={"a": 1.0}, n_cycles=2)
    with pytest.raises(ModelSpecError, match=r"sample 5 is not one of the 3 samples \(0\.\.2\)"):
        transition_matrix(m, ParamView({"x": [1.0, 2.0, 3.0]}), sample=5)


def test_a_bare_tree_in_a_mapping_of_strategies_is_refused_by_name():
    tree = Chance("root", [Branch("only", p=1.0, then=Terminal("a"))])
    with pytest.raises(ModelSpecError, match=r"strategy 'x' is a bare decision tree"):
        evaluate({"x": tree}, ParamView({}, n=1))


def test_a_discount_factor_that_underflows_names_its_year():
    """(1 + 0.5)^-10000 underflows to 0: outside (0, 1], named by the year it occurs."""
    with pytest.raises(ModelError, match=r"discount factor at year 10000 is outside"):
        DiscountSchedule.flat(0.5).factor(np.array([1.0, 10000.0]))


def test_per_sample_starts_follow_their_samples_into_blocks(monkeypatch):
    """Five samples (not three, the number of states) each with its own starting shares,
    evaluated in blocks of two samples: every block must start from its own samples' rows
    (the same totals as one block and as the per-cycle path)."""
    def model(vectorised: bool) -> MarkovModel:
        return MarkovModel(
            name="m", states=["well", "sick", State("dead", dead=True)],
            transitions=lambda p, t: {("well", "sick"): 0.1, ("well", "dead"): 0.05,
                                      ("well", "well"): C, ("sick", "dead"): 0.2,
                                      ("sick", "sick"): C},
            start={"well": 1.0}, n_cycles=4, utilities=lambda p, t: {"well": 1.0, "sick": 0.5},
            vectorised=vectorised)
    p = ParamView({"x": np.arange(5.0)})
    none = DiscountSchedule.flat(0.0)
    st = Settings(discount_costs=none, discount_effects=none)
    well = np.array([1.0, 0.8, 0.5, 0.2, 0.0])
    start = np.stack([well, 1 - well, np.zeros(5)], axis=1)
    one = model(True).run(p, st, start=start)
    monkeypatch.setattr(vec, "BLOCK_ELEMENTS", 8)  # 4 cycles: 2 samples per block
    blocks = model(True).run(p, st, start=start)
    per_cycle = model(False).run(p, st, start=start)
    np.testing.assert_array_equal(blocks.totals.qalys, one.totals.qalys)
    np.testing.assert_allclose(blocks.totals.qalys, per_cycle.totals.qalys, rtol=1e-12)
    # by hand, life-table counting: well W_k = 0.85^k w0; sick S_k = 0.8 S_{k-1} + 0.1 W_{k-1}
    W, S = [well], [1 - well]
    for _ in range(4):
        W, S = W + [0.85 * W[-1]], S + [0.8 * S[-1] + 0.1 * W[-1]]
    q = sum(0.5 * (W[k - 1] + W[k]) + 0.5 * 0.5 * (S[k - 1] + S[k]) for k in range(1, 5))
    np.testing.assert_allclose(blocks.totals.qalys, q, rtol=1e-12)
