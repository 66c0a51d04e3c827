"""Samples that agree on every parameter a vectorised model reads are evaluated once
(``hecon.engine.vectorised._run_distinct``): the same results as evaluating every sample,
against hand calculations, and proof that the shortcut is taken (or not) when it should be."""

from __future__ import annotations

import numpy as np
import pytest

from hecon.engine import C, Counting, DiscountSchedule, MarkovModel, ParamView, Settings, State
from hecon.engine import vectorised as vec
from hecon.errors import ModelError

UNDISCOUNTED_END = Settings(counting=Counting("end"), discount_costs=DiscountSchedule.flat(0.0),
                            discount_effects=DiscountSchedule.flat(0.0))


def counting_model(seen: list[int], T: int = 5, **kw) -> MarkovModel:
    """alive -> dead with probability ``q`` per cycle, cost ``c`` per cycle alive; records the
    number of samples its transitions are called with."""

    def transitions(p, t):
        seen.append(p.n)
        return {("alive", "dead"): p.q, ("alive", "alive"): C}

    return MarkovModel(
        name="two-state", states=["alive", State("dead", dead=True)], transitions=transitions,
        start={"alive": 1.0}, n_cycles=T, cycle_length=1.0,
        costs=lambda p, t: {"care": {"alive": p.c}}, utilities=lambda p, t: {"alive": 0.5},
        vectorised=True, **kw)


def hand_life_years(q: np.ndarray, T: int) -> np.ndarray:
    """End counting, no discounting: LY = sum_{k=1..T} (1 - q)^k = (1 - q)(1 - (1 - q)^T) / q
    (T when q = 0)."""
    q = np.asarray(q, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ly = (1 - q) * (1 - (1 - q) ** T) / q
    return np.where(q == 0, float(T), ly)


def test_rows_sharing_the_read_parameters_are_evaluated_once_with_hand_results():
    """60 samples: q takes 3 values and c 2 (6 distinct pairs); ``noise`` differs in every
    sample but is never read. The transitions see 6 samples; every sample's totals are the
    hand-calculated ones."""
    rng = np.random.default_rng(3)
    q = rng.choice([0.0, 0.1, 0.25], size=60)
    c = rng.choice([100.0, 250.0], size=60)
    p = ParamView({"q": q, "c": c, "noise": rng.random(60)})
    seen: list[int] = []
    out = counting_model(seen).run(p, UNDISCOUNTED_END, keep_trace=False)
    distinct = len({(a, b) for a, b in zip(q, c, strict=True)})
    assert distinct == 6
    assert seen[-1] == distinct  # the evaluation proper (the probe before it saw 1 sample)
    ly = hand_life_years(q, 5)
    np.testing.assert_allclose(out.totals.life_years, ly, rtol=1e-13)
    np.testing.assert_allclose(out.totals.costs["care"], c * ly, rtol=1e-13)
    np.testing.assert_allclose(out.totals.qalys, 0.5 * ly, rtol=1e-13)


def test_same_results_as_every_sample_evaluated(monkeypatch):
    """The same numbers with and without the shortcut (every operation is row-wise, so they
    agree to rounding), for a model with age-, time- and sample-dependent values."""
    rng = np.random.default_rng(7)
    n = 200
    q = rng.choice([0.02, 0.05, 0.08, 0.3], size=n)
    p = ParamView({"q": q, "c": rng.choice([10.0, 20.0], size=n), "noise": rng.random(n),
                   "age": rng.choice([60.0, 70.0], size=n)})

    def model() -> MarkovModel:
        return MarkovModel(
            name="aged", states=["well", "sick", State("dead", dead=True)],
            transitions=lambda p, t: {
                ("well", "sick"): p.q, ("well", "dead"): np.minimum(0.001 * (t.age - 50), 0.5),
                ("well", "well"): C, ("sick", "dead"): 0.2, ("sick", "sick"): C},
            start={"well": 1.0}, n_cycles=30, cycle_length=1.0, start_age="age",
            costs=lambda p, t: {"care": {"sick": p.c * (1 + 0.01 * t.time)}},
            utilities=lambda p, t: {"well": 0.9 - 0.001 * t.age, "sick": 0.5},
            vectorised=True)

    shared = model().run(p, Settings(), keep_trace=False)
    monkeypatch.setattr(vec, "MIN_SHARED_ROWS", 10**9)
    every = model().run(p, Settings(), keep_trace=False)
    for a, b in [(shared.totals.life_years, every.totals.life_years),
                 (shared.totals.qalys, every.totals.qalys),
                 (shared.totals.costs["care"], every.totals.costs["care"]),
                 (shared.totals.costs_undisc["care"], every.totals.costs_undisc["care"])]:
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=0)


def test_per_sample_start_membership_is_part_of_the_grouping():
    """Two samples with the same parameters but different starting membership (as a decision
    tree hands them over) are different samples: LY = start share alive x LY of one alive."""
    seen: list[int] = []
    n = 20
    share = np.where(np.arange(n) % 2 == 0, 1.0, 0.25)
    start = np.column_stack([share, 1 - share])
    p = ParamView({"q": np.full(n, 0.1), "c": np.full(n, 1.0)})
    out = counting_model(seen).run(p, UNDISCOUNTED_END, keep_trace=False, start=start)
    assert seen[-1] == 2
    np.testing.assert_allclose(out.totals.life_years, share * hand_life_years(0.1, 5),
                               rtol=1e-13)


def test_no_shortcut_with_a_trace_or_when_most_samples_differ():
    """A kept trace is per sample (evaluated in full); samples that are mostly distinct are
    evaluated as they are (no grouping overhead for a PSA)."""
    seen: list[int] = []
    q = np.repeat([0.1, 0.2], 10)
    p = ParamView({"q": q, "c": np.ones(20)})
    out = counting_model(seen).run(p, UNDISCOUNTED_END, keep_trace=True)
    assert seen == [20] and out.trace.shape == (20, 6, 2)
    np.testing.assert_allclose(out.trace[:, -1, 0], (1 - q) ** 5, rtol=1e-13)
    seen.clear()
    p = ParamView({"q": np.linspace(0.0, 0.5, 20), "c": np.ones(20)})
    counting_model(seen).run(p, UNDISCOUNTED_END, keep_trace=False)
    assert seen[-1] == 20


def test_a_parameter_read_only_for_some_samples_is_not_trusted():
    """A model that reads a parameter only after looking at another one (a Python ``if`` on a
    value equal in every sample, legal in a vectorised callable) may read more for other
    samples than for the first: if the distinct samples read a name the first did not, every
    sample is evaluated."""
    seen: list[int] = []

    def transitions(p, t):
        seen.append(p.n)
        q = p.q
        if float(np.max(p.switch)) > 0:  # reads 'extra' only when switched on
            q = q + p.extra
        return {("alive", "dead"): q, ("alive", "alive"): C}

    n = 40
    switch = np.zeros(n)
    switch[1:] = 1.0  # the first sample (the probe) has it off
    extra = np.tile([0.0, 0.1], n // 2)
    p = ParamView({"q": np.full(n, 0.1), "switch": switch, "extra": extra})
    model = MarkovModel(name="switch", states=["alive", State("dead", dead=True)],
                        transitions=transitions, start={"alive": 1.0}, n_cycles=4,
                        cycle_length=1.0, vectorised=True)
    out = model.run(p, UNDISCOUNTED_END, keep_trace=False)
    assert seen[-1] == n
    # hand: the first sample (switch 0) has q = 0.1; the others q = 0.1 + extra
    q = np.where(switch > 0, 0.1 + extra, 0.1)
    np.testing.assert_allclose(out.totals.life_years, hand_life_years(q, 4), rtol=1e-13)


def test_errors_name_the_sample_of_the_whole_design():
    """An invalid value met in the distinct samples is reported as without the shortcut: the
    per-cycle path names the strategy and the sample's index in the whole design."""
    n = 30
    q = np.full(n, 0.1)
    q[17] = 1.5  # a probability above 1
    p = ParamView({"q": q, "c": np.ones(n)})
    with pytest.raises(ModelError, match="sample 17"):
        counting_model([]).run(p, UNDISCOUNTED_END, keep_trace=False)


def test_distinct_rows_hash_collision_falls_back_to_exact_grouping(monkeypatch):
    """Rows are grouped by a hash of their bits and checked against their group's first row;
    a (forced) collision of every hash still gives the exact groups, and 0.0 and -0.0 are
    different values."""
    cols = [np.array([1.0, 2.0, 1.0, 0.0, -0.0, 2.0]), np.array([5.0, 5.0, 5.0, 1.0, 1.0, 6.0])]
    first, inverse = vec._distinct_rows(cols, 6)
    groups = [tuple(first[inverse] == first[inverse][i]) for i in range(6)]
    # rows 0 and 2 equal; 3 and 4 differ (0.0 vs -0.0); 1 and 5 differ in the second column
    assert inverse[0] == inverse[2] and len(set(inverse.tolist())) == 5
    real_unique = np.unique

    def collide(a, *args, **kw):  # every row hashes alike
        if a.ndim == 1 and a.dtype == np.uint64:
            a = np.zeros_like(a)
        return real_unique(a, *args, **kw)

    monkeypatch.setattr(vec.np, "unique", collide)
    first2, inverse2 = vec._distinct_rows(cols, 6)
    assert [tuple(first2[inverse2] == first2[inverse2][i]) for i in range(6)] == groups
    assert len(set(inverse2.tolist())) == 5
