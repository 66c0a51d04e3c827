"""Counting conventions and discount timing, checked against hand calculations.

The reference model: two states (alive, dead), death probability q per cycle, everyone alive
at the start, so alive membership at time point t is s^t with s = 1 - q. Rewards: 1 per cycle
in 'alive' (a cost) and utility 1 (QALYs = cycle length per cycle alive).
"""

import numpy as np
import pytest

from hecon.engine import C, Counting, DiscountSchedule, MarkovModel, Settings, State, evaluate
from hecon.errors import InputError

Q = 0.2
S = 1 - Q


def model(n_cycles=3, cycle_length=1.0, start_time=0.0, q=Q):
    return MarkovModel(
        name="m",
        states=["alive", State("dead", dead=True)],
        transitions=lambda p, t: {("alive", "dead"): q, ("alive", "alive"): C},
        start={"alive": 1.0},
        n_cycles=n_cycles,
        cycle_length=cycle_length,
        start_time=start_time,
        costs=lambda p, t: {"care": {"alive": 1.0}},
        utilities=lambda p, t: {"alive": 1.0},
    )


def run(settings, **kw):
    return evaluate([model(**kw)], {}, settings).summary().loc["m"]


def undisc(counting):
    return Settings.undiscounted(counting)


@pytest.mark.parametrize(
    "counting, expected",
    [
        ("start", 1 + S + S**2),
        ("end", S + S**2 + S**3),
        ("half-cycle", 0.5 + S + S**2 + 0.5 * S**3),
        ("life-table", (1 + S) / 2 + (S + S**2) / 2 + (S**2 + S**3) / 2),
        ("trapezoid", 0.5 + S + S**2 + 0.5 * S**3),
    ],
)
def test_counting_undiscounted_three_cycles(counting, expected):
    r = run(undisc(counting))
    assert r["life_years"] == pytest.approx(expected, rel=1e-14)
    assert r["cost"] == pytest.approx(expected, rel=1e-14)
    assert r["qalys"] == pytest.approx(expected, rel=1e-14)


def test_simpson_even_and_odd_cycles():
    # 2 cycles: composite Simpson (1, 4, 1)/3 on points 0, 1, 2
    r = run(undisc("simpson"), n_cycles=2)
    assert r["life_years"] == pytest.approx((1 + 4 * S + S**2) / 3, rel=1e-14)
    # 3 cycles: Simpson on the first two, trapezoid on the last
    r = run(undisc("simpson"), n_cycles=3)
    assert r["life_years"] == pytest.approx((1 + 4 * S + S**2) / 3 + (S**2 + S**3) / 2, rel=1e-14)


def test_simpson_exact_for_quadratic_membership():
    # Simpson's rule integrates a quadratic exactly: membership 1 - t^2/16 over 4 cycles
    # (a transition probability that changes each cycle gives this survival curve).
    surv = lambda t: 1 - t**2 / 16  # noqa: E731
    m = MarkovModel(
        name="q",
        states=["alive", State("dead", dead=True)],
        transitions=lambda p, t: {
            ("alive", "dead"): 1 - surv(t.k) / surv(t.k - 1),
            ("alive", "alive"): C,
        },
        start={"alive": 1.0},
        n_cycles=4,
    )
    r = evaluate([m], {}, undisc("simpson")).summary().loc["q"]
    exact = 4 - 4**3 / 48  # integral of 1 - t^2/16 from 0 to 4
    assert r["life_years"] == pytest.approx(exact, rel=1e-13)


def test_custom_weights():
    w = [0.25, 1.0, 1.0, 0.75]
    r = run(Settings.undiscounted(Counting.custom(w)))
    assert r["life_years"] == pytest.approx(0.25 + S + S**2 + 0.75 * S**3, rel=1e-14)
    with pytest.raises(InputError):
        run(Settings.undiscounted(Counting.custom([1.0, 1.0])))


def test_unknown_counting_rejected():
    with pytest.raises(InputError):
        Counting("midpoint")


R = 0.05
D = 1 / (1 + R)


@pytest.mark.parametrize(
    "timing, factors",
    [
        ("start", [1, D, D**2]),  # exponent t - 1
        ("end", [D, D**2, D**3]),  # exponent t
        ("middle", [D**0.5, D**1.5, D**2.5]),
    ],
)
def test_discount_timing_end_counting(timing, factors):
    s = Settings(
        counting=Counting("end"),
        discount_costs=DiscountSchedule.flat(R),
        discount_effects=DiscountSchedule.flat(0.0),
        timing=timing,
    )
    r = run(s)
    members = [S, S**2, S**3]
    assert r["cost"] == pytest.approx(sum(f * m for f, m in zip(factors, members)), rel=1e-14)
    # effects have their own (zero) rate
    assert r["qalys"] == pytest.approx(sum(members), rel=1e-14)
    assert r["cost_undisc"] == pytest.approx(sum(members), rel=1e-14)


def test_calendar_timing_monthly_cycles():
    # 24 monthly cycles, start counting: months 1-12 undiscounted, months 13-24 by 1/(1+r)
    s = Settings(
        counting=Counting("start"),
        discount_costs=DiscountSchedule.flat(R),
        discount_effects=DiscountSchedule.flat(R),
        timing="calendar",
    )
    q = 0.01
    r = run(s, n_cycles=24, cycle_length=1 / 12, q=q)
    members = (1 - q) ** np.arange(24)
    f = np.where(np.arange(24) < 12, 1.0, D)
    assert r["cost"] == pytest.approx((members * f).sum(), rel=1e-13)
    assert r["qalys"] == pytest.approx((members * f).sum() / 12, rel=1e-13)


def test_trapezoid_discounts_at_time_points():
    s = Settings(
        counting=Counting("trapezoid"),
        discount_costs=DiscountSchedule.flat(R),
        discount_effects=DiscountSchedule.flat(R),
    )
    r = run(s)
    pts = [1, S, S**2, S**3]
    d = [1, D, D**2, D**3]
    expected = sum(0.5 * (pts[k - 1] * d[k - 1] + pts[k] * d[k]) for k in (1, 2, 3))
    assert r["cost"] == pytest.approx(expected, rel=1e-14)


def test_life_table_with_cycle_discount():
    s = Settings(
        counting=Counting("life-table"),
        discount_costs=DiscountSchedule.flat(R),
        discount_effects=DiscountSchedule.flat(R),
        timing="start",
    )
    r = run(s)
    expected = (1 + S) / 2 + D * (S + S**2) / 2 + D**2 * (S**2 + S**3) / 2
    assert r["qalys"] == pytest.approx(expected, rel=1e-14)


def test_start_time_offset_shifts_discounting():
    # a phase starting at 0.5 years: cycle k discounted at 0.5 + (k - 1)
    s = Settings(
        counting=Counting("start"),
        discount_costs=DiscountSchedule.flat(R),
        discount_effects=DiscountSchedule.flat(R),
    )
    r = run(s, start_time=0.5)
    expected = sum(S ** (k - 1) * D ** (0.5 + k - 1) for k in (1, 2, 3))
    assert r["cost"] == pytest.approx(expected, rel=1e-14)


def test_continuous_discounting():
    s = Settings(
        counting=Counting("end"),
        discount_costs=DiscountSchedule.flat(R, method="continuous"),
        discount_effects=DiscountSchedule.flat(R, method="continuous"),
        timing="end",
    )
    r = run(s)
    assert r["cost"] == pytest.approx(sum(S**k * np.exp(-R * k) for k in (1, 2, 3)), rel=1e-14)
