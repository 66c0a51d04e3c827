"""Transition rewards weighted by the within-cycle correction (DARTH) against hand sums and
against an independent array implementation of the DARTH tutorial's arithmetic."""

import numpy as np
import pytest

from hecon.engine import C, Counting, DiscountSchedule, MarkovModel, Settings, State, evaluate
from hecon.errors import InputError

P_DIE, C_DEATH = 0.1, 1000.0


def two_state(T, cost_death=C_DEATH):
    return MarkovModel(
        name="m", states=["alive", State("dead", dead=True)],
        transitions=lambda p, t: {("alive", "dead"): P_DIE, ("alive", "alive"): C},
        start={"alive": 1.0}, n_cycles=T,
        transition_costs=lambda p, t: {"death": {("alive", "dead"): cost_death}},
    )


def settings(counting, rate, mode, timing="start"):
    d = DiscountSchedule.flat(rate)
    return Settings(counting=counting, discount_costs=d, discount_effects=d, timing=timing,
                    transition_rewards=mode)


def test_simpson_point_weights_by_hand():
    # DARTH's Simpson 1/3 weights on 5 points; flow of cycle k is S_{k-1} p, lands at t_k
    w = [1 / 3, 4 / 3, 2 / 3, 4 / 3, 1 / 3]
    r, T = 0.03, 4
    res = evaluate([two_state(T)], {}, settings(Counting.custom(w), r, "within-cycle"))
    flows = [0.9 ** (k - 1) * P_DIE * C_DEATH for k in range(1, T + 1)]
    disc = sum(f * w[k] * 1.03 ** -k for k, f in zip(range(1, T + 1), flows, strict=True))
    undisc = sum(f * w[k] for k, f in zip(range(1, T + 1), flows, strict=True))
    assert res.column("m", "cost_death")[0] == pytest.approx(disc, rel=1e-12)
    assert res.column("m", "cost_death_undisc")[0] == pytest.approx(undisc, rel=1e-12)
    # the existing rule: counted in full, with the cycle's factor (timing start: (1.03)^-(k-1))
    old = evaluate([two_state(T)], {}, settings(Counting.custom(w), r, "cycle"))
    hand = sum(f * 1.03 ** -(k - 1) for k, f in zip(range(1, T + 1), flows, strict=True))
    assert old.column("m", "cost_death")[0] == pytest.approx(hand, rel=1e-12)
    assert old.column("m", "cost_death_undisc")[0] == pytest.approx(sum(flows), rel=1e-12)


def test_life_table_per_cycle_discounting_by_hand():
    # life-table: m_k gets 1/2 d(t_{k-1}) from cycle k and 1/2 d(t_k) from cycle k + 1 (timing
    # start), so the flow of cycle k (landing at t_k) gets the same; the last one only 1/2 d
    T, r = 3, 0.05
    res = evaluate([two_state(T)], {}, settings("life-table", r, "within-cycle"))
    d = lambda t: 1.05 ** -t  # noqa: E731
    f = [0.9 ** (k - 1) * P_DIE * C_DEATH for k in (1, 2, 3)]
    hand = (f[0] * (0.5 * d(0) + 0.5 * d(1)) + f[1] * (0.5 * d(1) + 0.5 * d(2))
            + f[2] * 0.5 * d(2))
    assert res.column("m", "cost_death")[0] == pytest.approx(hand, rel=1e-12)
    assert res.column("m", "cost_death_undisc")[0] == pytest.approx(f[0] + f[1] + f[2] / 2,
                                                                    rel=1e-12)


def test_darth_array_implementation():
    """Independent re-implementation of the DARTH tutorial's arithmetic: a_A[:, :, j] holds the
    flows landing at time point j (a_A[:, :, 0] = diag(m_0)); each entry's reward is the
    destination's state reward plus the transition reward; the reward at point j is summed
    and weighted by the within-cycle weight w_j and the discount factor d(t_j)."""
    T, r, dt = 6, 0.03, 0.5
    Pm = np.array([[0.80, 0.15, 0.05], [0.0, 0.85, 0.15], [0.0, 0.0, 1.0]])
    c_state = np.array([100.0, 800.0, 0.0])
    u_state = np.array([0.9, 0.6, 0.0])
    c_trans = np.zeros((3, 3))
    c_trans[0, 1], c_trans[1, 2], c_trans[0, 2] = 2000.0, 500.0, 500.0
    u_trans = np.zeros((3, 3))
    u_trans[0, 1] = -0.05
    w = np.array([1, 4, 2, 4, 2, 4, 1]) / 3  # Simpson 1/3 on 7 points
    m = [np.array([1.0, 0.0, 0.0])]
    for _ in range(T):
        m.append(m[-1] @ Pm)
    a_A = np.zeros((3, 3, T + 1))
    a_A[:, :, 0] = np.diag(m[0])
    for j in range(1, T + 1):
        a_A[:, :, j] = np.diag(m[j - 1]) @ Pm
    d = (1 + r) ** -(dt * np.arange(T + 1))
    Yc = c_state[None, :] + c_trans  # costs are per cycle
    Yu = u_state[None, :] * dt + u_trans
    cost = sum((a_A[:, :, j] * Yc).sum() * w[j] * d[j] for j in range(T + 1))
    qaly = sum((a_A[:, :, j] * Yu).sum() * w[j] * d[j] for j in range(T + 1))

    names = ["h", "s", "d"]
    model = MarkovModel(
        name="darth", states=["h", "s", State("d", dead=True)],
        transitions=lambda p, t: {(a, b): Pm[i, j] for i, a in enumerate(names)
                                  for j, b in enumerate(names) if Pm[i, j] > 0},
        start={"h": 1.0}, n_cycles=T, cycle_length=dt,
        costs=lambda p, t: {"c": {"h": c_state[0], "s": c_state[1]}},
        utilities=lambda p, t: {"h": u_state[0], "s": u_state[1]},
        transition_costs=lambda p, t: {"c": {("h", "s"): 2000.0, ("s", "d"): 500.0,
                                             ("h", "d"): 500.0}},
        transition_qalys=lambda p, t: {("h", "s"): -0.05},
    )
    res = evaluate([model], {}, settings(Counting.custom(w), r, "within-cycle"))
    assert res.column("darth", "cost")[0] == pytest.approx(cost, rel=1e-12)
    assert res.column("darth", "qalys")[0] == pytest.approx(qaly, rel=1e-12)


def test_extremes():
    # end counting, no discounting: m_k has weight 1, so both rules count each flow once
    for mode in ("cycle", "within-cycle"):
        res = evaluate([two_state(5)], {}, settings("end", 0.0, mode))
        assert res.column("m", "cost_death")[0] == pytest.approx(
            C_DEATH * (1 - 0.9 ** 5), rel=1e-12)
    # one-cycle horizon, life-table: the only flow lands on the last point (weight 1/2)
    res = evaluate([two_state(1)], {}, settings("life-table", 0.0, "within-cycle"))
    assert res.column("m", "cost_death")[0] == pytest.approx(0.5 * P_DIE * C_DEATH, rel=1e-12)
    # zero transition cost gives zero under either rule
    res = evaluate([two_state(3, 0.0)], {}, settings("life-table", 0.035, "within-cycle"))
    assert res.column("m", "cost_death")[0] == 0.0
    with pytest.raises(InputError, match="unknown transition_rewards 'darth'"):
        Settings(transition_rewards="darth")
