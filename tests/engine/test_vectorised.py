"""The time-vectorised Markov path (``MarkovModel(vectorised=True)``): closed forms, the same
numbers as the per-cycle path for every convention, chunk invariance and the same errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hecon.engine import C, Counting, DiscountSchedule, MarkovModel, ParamView, Settings, State
from hecon.engine import vectorised as vec
from hecon.errors import ModelError, ModelSpecError


def survival_model(q: float, T: int, dt: float = 1.0, **kw) -> MarkovModel:
    return MarkovModel(
        name="two-state", states=["alive", State("dead", dead=True)],
        transitions=lambda p, t: {("alive", "dead"): q, ("alive", "alive"): C},
        start={"alive": 1.0}, n_cycles=T, cycle_length=dt,
        costs=lambda p, t: {"care": {"alive": 100.0}},
        utilities=lambda p, t: {"alive": 0.8}, vectorised=True, **kw)


def test_closed_form_life_years_costs_qalys():
    """Constant death probability q: S_k = (1 - q)^k. Life-table counting, discount r per
    cycle at the cycle's start: LY = sum_k (S_{k-1} + S_k) / 2 * d^(k-1), d = 1 / (1 + r)."""
    q, T, r = 0.1, 12, 0.05
    settings = Settings(counting=Counting("life-table"), discount_costs=DiscountSchedule.flat(r),
                        discount_effects=DiscountSchedule.flat(r), timing="start")
    out = survival_model(q, T).run(ParamView({}, n=1), settings)
    k = np.arange(1, T + 1)
    s = (1 - q) ** k
    s_prev = (1 - q) ** (k - 1)
    d = (1 + r) ** -(k - 1.0)
    ly_undisc = float(np.sum((s_prev + s) / 2))
    ly = float(np.sum((s_prev + s) / 2 * d))
    assert out.totals.life_years_undisc[0] == pytest.approx(ly_undisc, rel=1e-13)
    assert out.totals.life_years[0] == pytest.approx(ly, rel=1e-13)
    assert out.totals.qalys[0] == pytest.approx(0.8 * ly, rel=1e-13)
    assert out.totals.costs["care"][0] == pytest.approx(100.0 * ly, rel=1e-13)
    # geometric sum by hand: sum_{k=1..T} (1 - q)^k = (1 - q)(1 - (1 - q)^T) / q
    geo = (1 - q) * (1 - (1 - q) ** T) / q
    assert ly_undisc == pytest.approx((1 + geo - (1 - q) ** T + geo) / 2, rel=1e-13)
    assert out.trace[0, -1, 0] == pytest.approx((1 - q) ** T, rel=1e-13)


@pytest.mark.parametrize("q, alive_end", [(0.0, 1.0), (1.0, 0.0)])
def test_probability_zero_and_one_one_cycle(q, alive_end):
    """One cycle, end counting, no discounting: LY = membership at the end = 1 - q."""
    out = survival_model(q, 1).run(ParamView({}, n=3), Settings(counting=Counting("end")))
    np.testing.assert_allclose(out.totals.life_years, alive_end, rtol=0, atol=1e-15)
    np.testing.assert_allclose(out.totals.costs["care"], 100.0 * alive_end, atol=1e-12)


def rich_model(vectorised: bool, **over) -> MarkovModel:
    """Progression and recovery (healthy <-> sick -> dead), time- and age-dependent values,
    sample-varying parameters, costs of every shape, transition rewards and start rewards."""

    def transitions(p, t):
        old = np.where(t.age >= 62.0, 1.5, 1.0)
        return {
            ("healthy", "sick"): p.p_sick * old,
            ("healthy", "dead"): 0.01 + 0.001 * t.time,
            ("healthy", "healthy"): C,
            ("sick", "healthy"): np.where(t.time < 3, p.p_recover, 0.0),
            ("sick", "dead"): p.p_die_sick,
            ("sick", "sick"): C,
        }

    return MarkovModel(
        name="rich", states=["healthy", "sick", State("dead", dead=True)],
        transitions=transitions, start={"healthy": 0.9, "sick": 0.1}, n_cycles=9,
        cycle_length=0.5,
        costs=lambda p, t: {"drug": {"sick": p.c_sick},
                            "care": {"healthy": 50.0 + 10.0 * t.time, "sick": 200.0}},
        utilities=lambda p, t: {"healthy": 0.9 - 0.01 * t.time, "sick": p.u_sick},
        transition_costs=lambda p, t: {"event": {("healthy", "sick"): p.c_event,
                                                 ("sick", "dead"): 1000.0}},
        transition_qalys=lambda p, t: {("healthy", "sick"): -0.05},
        start_costs=lambda p: {"drug": 500.0},
        start_age=lambda p: p.age, start_time=0.25, cost_categories=("drug", "care", "event"),
        vectorised=vectorised, **over)


def rich_params(n: int = 7) -> ParamView:
    rng = np.random.default_rng(4)
    return ParamView({
        "p_sick": rng.uniform(0.05, 0.3, n), "p_recover": rng.uniform(0.0, 0.4, n),
        "p_die_sick": rng.uniform(0.05, 0.2, n), "c_sick": rng.uniform(100, 900, n),
        "c_event": 250.0, "u_sick": rng.uniform(0.4, 0.7, n),
        "age": rng.choice([58.0, 60.0, 61.0], n),
    })


COUNTINGS = [Counting(name) for name in ("start", "end", "half-cycle", "life-table",
                                         "trapezoid", "simpson")] + [
    Counting.custom([0.5] + [1.0] * 8 + [0.5])]


@pytest.mark.parametrize("counting", COUNTINGS, ids=lambda c: c.name)
@pytest.mark.parametrize("timing", ["start", "middle", "end", "calendar"])
@pytest.mark.parametrize("transition_rewards", ["cycle", "within-cycle"])
def test_same_numbers_as_the_per_cycle_path(counting, timing, transition_rewards):
    settings = Settings(counting=counting, discount_costs=DiscountSchedule.flat(0.04),
                        discount_effects=DiscountSchedule.flat(0.015), timing=timing,
                        transition_rewards=transition_rewards)
    p = rich_params()
    a = rich_model(True).run(p, settings)
    b = rich_model(False).run(p, settings)
    for f in ("qalys", "qalys_undisc", "life_years", "life_years_undisc"):
        np.testing.assert_allclose(getattr(a.totals, f), getattr(b.totals, f), rtol=1e-12)
    assert set(a.totals.costs) == set(b.totals.costs) == {"drug", "care", "event"}
    for c in b.totals.costs:
        np.testing.assert_allclose(a.totals.costs[c], b.totals.costs[c], rtol=1e-12)
        np.testing.assert_allclose(a.totals.costs_undisc[c], b.totals.costs_undisc[c],
                                   rtol=1e-12)
    np.testing.assert_allclose(a.trace, b.trace, rtol=0, atol=1e-14)
    assert set(a.per_cycle) == set(b.per_cycle)
    for k, v in b.per_cycle.items():
        np.testing.assert_allclose(a.per_cycle[k], v, rtol=1e-12, atol=1e-12, err_msg=k)


def test_counts_start_and_tree_start_as_the_per_cycle_path():
    p = rich_params(5)
    start = np.array([[0.5, 0.5, 0.0]] * 5)
    a = rich_model(True).run(p, Settings(), start=start)
    b = rich_model(False).run(p, Settings(), start=start)
    np.testing.assert_allclose(a.totals.qalys, b.totals.qalys, rtol=1e-12)
    counts = dataclasses.replace(rich_model(True), start={"healthy": 30, "sick": 10},
                                 start_as="counts")
    c = counts.run(p, Settings())
    np.testing.assert_allclose(c.diagnostics["cohort_size"], 40.0)
    np.testing.assert_allclose(c.trace[:, 0, :2], [[0.75, 0.25]] * 5)


def test_blocks_do_not_change_results(monkeypatch):
    """Samples are evaluated in blocks; the arithmetic is row-wise, so any block size gives
    the same bits."""
    p = rich_params(23)
    one = rich_model(True).run(p, Settings())
    monkeypatch.setattr(vec, "BLOCK_ELEMENTS", 20)  # 9 cycles: 3 samples per block
    many = rich_model(True).run(p, Settings())
    np.testing.assert_array_equal(one.totals.qalys, many.totals.qalys)
    for c in one.totals.costs:
        np.testing.assert_array_equal(one.totals.costs[c], many.totals.costs[c])
    np.testing.assert_array_equal(one.trace, many.trace)
    for k, v in one.per_cycle.items():
        np.testing.assert_array_equal(many.per_cycle[k], v)


def test_zero_costs_and_identical_states():
    m = dataclasses.replace(survival_model(0.2, 5), costs=lambda p, t: {"care": {"alive": 0.0}})
    out = m.run(ParamView({}, n=2))
    np.testing.assert_array_equal(out.totals.costs["care"], 0.0)


def test_invalid_probability_reports_cycle_and_sample_like_the_per_cycle_path():
    """Death probability 0.2 * t.k exceeds 1 from cycle 6; sample 1 only (its factor is 1)."""
    def model(vectorised):
        return MarkovModel(
            name="bad", states=["alive", State("dead", dead=True)],
            transitions=lambda p, t: {("alive", "dead"): 0.2 * t.k * p.f, ("alive", "alive"): C},
            start={"alive": 1.0}, n_cycles=8, vectorised=vectorised)
    p = ParamView({"f": [0.5, 1.0, 0.5]})
    with pytest.raises(ModelError) as per_cycle:
        model(False).run(p)
    with pytest.raises(ModelError) as vectorised:
        model(True).run(p)
    assert str(vectorised.value) == str(per_cycle.value)
    assert "cycle 6, sample 1" in str(vectorised.value)


def test_python_if_on_arrays_is_explained():
    m = MarkovModel(
        name="iffy", states=["alive", State("dead", dead=True)],
        transitions=lambda p, t: {("alive", "dead"): 0.1 if t.time < 2 else 0.2,
                                  ("alive", "alive"): C},
        start={"alive": 1.0}, n_cycles=4, vectorised=True)
    with pytest.raises(ModelError, match="np.where"):
        m.run(ParamView({}, n=1))


def test_tunnels_are_refused():
    m = MarkovModel(name="tunnel", states=[State("post", tunnel=3), State("dead", dead=True)],
                    transitions=lambda p, t: {("post", "dead"): 0.1, ("post", "post"): C},
                    start={"post": 1.0}, n_cycles=4, vectorised=True)
    with pytest.raises(ModelSpecError, match="tunnels"):
        m.run(ParamView({}, n=1))


def test_constant_parameters_become_single_columns():
    cp = vec.ColumnParams(ParamView({"a": [2.0, 2.0, 2.0], "b": [1.0, 2.0, 3.0], "c": 5.0}))
    assert cp.a.shape == (1, 1) and cp["c"].shape == (1, 1)
    assert cp.b.shape == (3, 1)
    np.testing.assert_array_equal(cp.b[:, 0], [1.0, 2.0, 3.0])
    with pytest.raises(AttributeError):
        cp.missing  # noqa: B018
