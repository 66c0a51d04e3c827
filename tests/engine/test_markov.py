"""Cohort Markov engine: closed forms, hand calculations, extremes and validation errors."""

import numpy as np
import pytest

from hecon.engine import C, MarkovModel, ParamView, Settings, State, evaluate
from hecon.errors import ModelError

UNDISC = Settings.undiscounted("start")


def two_state(q, n_cycles, name="m", cost=0.0, **kw):
    return MarkovModel(
        name=name,
        states=["alive", State("dead", dead=True)],
        transitions=lambda p, t: {("alive", "dead"): q(p) if callable(q) else q,
                                  ("alive", "alive"): C},
        start={"alive": 1.0},
        n_cycles=n_cycles,
        costs=lambda p, t: {"care": {"alive": cost}},
        utilities=lambda p, t: {"alive": 0.8},
        **kw,
    )


def test_constant_hazard_life_expectancy_geometric_series():
    # start counting, annual cycles: LE = sum_{k=0}^{T-1} (1-q)^k = (1 - (1-q)^T) / q
    q = np.array([0.05, 0.1, 0.3])
    p = ParamView({"q": q})
    for T in (1, 10, 250):
        r = evaluate([two_state(lambda p: p.q, T)], p, UNDISC)
        np.testing.assert_allclose(r.column("m", "life_years"), (1 - (1 - q) ** T) / q, rtol=1e-12)
        np.testing.assert_allclose(r.column("m", "qalys"), 0.8 * (1 - (1 - q) ** T) / q, rtol=1e-12)


def test_discounted_geometric_series():
    # start counting, start timing: sum_k ((1-q)/(1+r))^k for k = 0..T-1
    q, r, T = 0.1, 0.035, 60
    s = Settings(counting="start", timing="start")
    res = evaluate([two_state(q, T, cost=100.0)], {}, s).summary().loc["m"]
    ratio = (1 - q) / (1 + r)
    assert res["life_years"] == pytest.approx((1 - ratio**T) / (1 - ratio), rel=1e-12)
    assert res["cost"] == pytest.approx(100 * (1 - ratio**T) / (1 - ratio), rel=1e-12)
    assert res["cost_care"] == res["cost"]


def test_one_cycle_horizon():
    res = evaluate([two_state(0.25, 1, cost=10.0)], {}, Settings.undiscounted("life-table"))
    row = res.summary().loc["m"]
    assert row["life_years"] == pytest.approx((1 + 0.75) / 2)
    assert row["cost"] == pytest.approx(10 * (1 + 0.75) / 2)
    assert res.trace("m")["alive"].tolist() == [1.0, 0.75]


@pytest.mark.parametrize("q, expected", [(0.0, 5.0), (1.0, 1.0)])
def test_probability_zero_and_one(q, expected):
    row = evaluate([two_state(q, 5)], {}, UNDISC).summary().loc["m"]
    assert row["life_years"] == pytest.approx(expected)


def test_identical_strategies_zero_increments_and_four_strategies():
    p = ParamView({"q": np.linspace(0.01, 0.3, 7)})
    models = [two_state(lambda p: p.q, 40, name=f"s{i}", cost=50.0) for i in range(4)]
    r = evaluate(models, p, Settings())
    for outcome in ("cost", "qalys", "life_years", "cost_undisc"):
        m = r.outcome_matrix(outcome)
        assert m.shape == (7, 4)
        assert np.all(m - m[:, :1] == 0.0)


def test_mass_conservation_on_every_trace_and_trace_shape():
    p = ParamView({"q": np.array([0.1, 0.9])})
    r = evaluate([two_state(lambda p: p.q, 12)], p, UNDISC)
    tr = r.outputs["m"].trace
    assert tr.shape == (2, 13, 2)
    np.testing.assert_allclose(tr.sum(axis=2), 1.0, atol=1e-14)
    assert np.all(tr >= 0)


def test_age_dependent_transitions_and_time_homogeneous_flag():
    # mortality q(age) = 0.01 * 1.1^(age - 60); hand loop over cycles
    def m(hom):
        return MarkovModel(
            name="a",
            states=["alive", State("dead", dead=True)],
            transitions=lambda p, t: {("alive", "dead"): np.minimum(0.01 * 1.1 ** (t.age - 60), 1),
                                      ("alive", "alive"): C},
            start={"alive": 1.0},
            n_cycles=30,
            start_age="age",
            time_homogeneous=hom,
        )

    p = ParamView({"age": np.array([60.0, 70.0])})
    le = evaluate([m(False)], p, UNDISC).column("a", "life_years")
    for i, a0 in enumerate((60.0, 70.0)):
        alive, total = 1.0, 0.0
        for k in range(30):
            total += alive
            alive *= 1 - min(0.01 * 1.1 ** (a0 + k - 60), 1)
        assert le[i] == pytest.approx(total, rel=1e-12)
    # declared time-homogeneous: the first cycle's matrix is reused (ages frozen at start)
    le_h = evaluate([m(True)], p, UNDISC).column("a", "life_years")
    q0 = 0.01 * 1.1 ** (np.array([60.0, 70.0]) - 60)
    np.testing.assert_allclose(le_h, (1 - (1 - q0) ** 30) / q0, rtol=1e-12)


def test_tunnel_state_matches_hand_expanded_matrix():
    # healthy -> sick 0.2, healthy -> dead 0.01; death in sick by time in state 0.5, 0.3, 0.1
    death = np.array([0.5, 0.3, 0.1])
    model = MarkovModel(
        name="t",
        states=["healthy", State("sick", tunnel=3), State("dead", dead=True)],
        transitions=lambda p, t: {
            ("healthy", "sick"): 0.2,
            ("healthy", "dead"): 0.01,
            ("healthy", "healthy"): C,
            ("sick", "dead"): death[None, :],
            ("sick", "sick"): C,
        },
        start={"healthy": 1.0},
        n_cycles=8,
        costs=lambda p, t: {"c": {"sick": np.array([[100.0, 50.0, 10.0]])}},
    )
    # expanded by hand: healthy, sick0, sick1, sick2, dead
    P = np.array([
        [0.79, 0.2, 0, 0, 0.01],
        [0, 0, 0.5, 0, 0.5],
        [0, 0, 0, 0.7, 0.3],
        [0, 0, 0, 0.9, 0.1],
        [0, 0, 0, 0, 1],
    ])
    cost = np.array([0, 100.0, 50.0, 10.0, 0])
    m = np.array([1.0, 0, 0, 0, 0])
    total_cost, trace = 0.0, [m]
    for _ in range(8):
        total_cost += m @ cost
        m = m @ P
        trace.append(m)
    r = evaluate([model], {}, UNDISC)
    assert r.summary().loc["t", "cost"] == pytest.approx(total_cost, rel=1e-13)
    tr = r.trace("t")
    np.testing.assert_allclose(tr["sick"], [x[1:4].sum() for x in trace], atol=1e-15)
    np.testing.assert_allclose(tr["dead"], [x[4] for x in trace], atol=1e-15)


def test_transition_rewards_and_start_rewards_by_hand():
    # cost 1000 on each death, QALY loss 0.1 on each death; start cost 500, start QALYs -0.05
    q = 0.3
    model = MarkovModel(
        name="tr",
        states=["alive", State("dead", dead=True)],
        transitions=lambda p, t: {("alive", "dead"): q, ("alive", "alive"): C},
        start={"alive": 1.0},
        n_cycles=3,
        transition_costs=lambda p, t: {"death": {("alive", "dead"): 1000.0}},
        transition_qalys=lambda p, t: {("alive", "dead"): -0.1},
        start_costs=lambda p: {"device": 500.0},
        start_qalys=lambda p: -0.05,
        utilities=lambda p, t: {"alive": 1.0},
    )
    r = 0.05
    s = Settings(counting="start", timing="end",
                 discount_costs=__import__("hecon").engine.DiscountSchedule.flat(r),
                 discount_effects=__import__("hecon").engine.DiscountSchedule.flat(r))
    row = evaluate([model], {}, s).summary().loc["tr"]
    deaths = [q, (1 - q) * q, (1 - q) ** 2 * q]  # flows in cycles 1..3
    d = [(1 + r) ** -k for k in (1, 2, 3)]  # end-of-cycle timing
    assert row["cost_death"] == pytest.approx(1000 * sum(x * f for x, f in zip(deaths, d)))
    assert row["cost_device"] == pytest.approx(500.0)
    assert row["cost_death_undisc"] == pytest.approx(1000 * sum(deaths))
    alive = [1, 1 - q, (1 - q) ** 2]
    qalys = sum(a * f for a, f in zip(alive, d)) - 0.1 * sum(x * f for x, f in zip(deaths, d))
    assert row["qalys"] == pytest.approx(qalys - 0.05)


def test_chunked_evaluation_identical():
    p = ParamView({"q": np.random.default_rng(1).uniform(0.01, 0.2, 103)})
    m = two_state(lambda p: p.q, 50, cost=7.0)
    a = evaluate([m], p, Settings()).to_frame()
    b = evaluate([m], p, Settings(), chunk_size=10).to_frame()
    assert a.equals(b)


def bad(entries, n_cycles=3, states=("a", "b")):
    return MarkovModel(name="bad", states=list(states), transitions=lambda p, t: entries(p, t),
                       start={"a": 1.0}, n_cycles=n_cycles)


@pytest.mark.parametrize(
    "entries, pattern",
    [
        (lambda p, t: {("a", "b"): 0.5, ("a", "a"): 0.4}, r"'a' sum to 0.9.*cycle 1, sample 0"),
        (lambda p, t: {("a", "b"): 1.2, ("a", "a"): C}, r"'a'->'b' is 1.2, outside \[0, 1\]"),
        (lambda p, t: {("a", "b"): -0.1, ("a", "a"): C}, r"outside \[0, 1\]"),
        (lambda p, t: {("a", "b"): np.nan, ("a", "a"): C}, r"nan, outside"),
        (lambda p, t: {("a", "b"): 0.7, ("a", "x"): 0.3}, r"unknown state 'x'"),
        (lambda p, t: {("a", "b"): C, ("a", "a"): C}, r"more than one complement"),
        (lambda p, t: {("a", "b"): np.array([0.1, 0.2, 0.95]) if t.k == 3 else 0.1,
                       ("b", "a"): 0.6, ("b", "b"): C, ("a", "a"): 0.9},
         r"'a' sum to 1.1, not 1.*cycle 3, sample 1"),
    ],
)
def test_validation_names_state_cycle_sample(entries, pattern):
    p = ParamView({"x": np.zeros(3)})
    with pytest.raises(ModelError, match=pattern):
        evaluate([bad(entries)], p, UNDISC)


def test_complement_negative_names_cycle_and_sample():
    p = ParamView({"q": np.array([0.2, 0.7])})
    m = bad(lambda p, t: {("a", "b"): p.q, ("a", "c"): p.q, ("a", "a"): C}, states="abc")
    with pytest.raises(ModelError, match=r"state 'a' sum to 1.4 > 1.*cycle 1, sample 1"):
        evaluate([m], p, UNDISC)


def test_start_distribution_must_sum_to_one():
    m = MarkovModel(name="s", states=["a", "b"], transitions=lambda p, t: {},
                    start={"a": 0.5, "b": 0.4}, n_cycles=1)
    with pytest.raises(ModelError, match="sums to 0.9"):
        evaluate([m], {}, UNDISC)


def test_bad_structure_rejected():
    with pytest.raises(Exception, match="duplicate"):
        MarkovModel(name="d", states=["a", "a"], transitions=lambda p, t: {}, start={"a": 1},
                    n_cycles=1)
    with pytest.raises(ModelError):
        two_state(0.1, 0)
