"""Every counting convention and discount timing by hand, with discounting on and a model that
starts after time 0 (issue 18, item 4).

Reference model: alive/dead, death probability q per cycle, everyone alive at the start, so
alive membership at time point k is m_k = s^k with s = 1 - q. Cycles of dt = 0.5 years from
start time S0 = 0.5 years (a phase that starts after 180 days): point k is at t_k = S0 + k dt.
A cost of 1 per cycle alive is discounted at RC, utility 1 (QALYs = dt per cycle alive) at RE;
life-years use the effects' rate. The expected totals are written out below from
docs/conventions.md, one convention at a time, with d(t) = (1 + r)^-t.
"""

import math

import numpy as np
import pytest

from hecon.engine import C, Counting, DiscountSchedule, MarkovModel, Settings, State, evaluate

Q = 0.15
SURV = 1 - Q
DT = 0.5
S0 = 0.5
RC, RE = 0.04, 0.015
T = 5  # odd, so Simpson's last cycle is the (1/2, 1/2) one


def _model(n_cycles=T, q=Q, start_time=S0):
    return MarkovModel(
        name="m",
        states=["alive", State("dead", dead=True)],
        transitions=lambda p, t: {("alive", "dead"): q, ("alive", "alive"): C},
        start={"alive": 1.0},
        n_cycles=n_cycles,
        cycle_length=DT,
        start_time=start_time,
        costs=lambda p, t: {"care": {"alive": 1.0}},
        utilities=lambda p, t: {"alive": 1.0},
    )


def _run(counting, timing="start", n_cycles=T, q=Q, start_time=S0, method="discrete"):
    settings = Settings(counting=counting, timing=timing,
                        discount_costs=DiscountSchedule.flat(RC, method),
                        discount_effects=DiscountSchedule.flat(RE, method))
    return evaluate([_model(n_cycles, q, start_time)], {}, settings).summary().loc["m"]


def _d(r, t, method="discrete"):
    return math.exp(-r * t) if method == "continuous" else (1 + r) ** -t


def _tau(k, timing, start_time=S0):
    """Time of cycle k's discount factor (docs/conventions.md, 'Per-cycle factor timing')."""
    return {"start": start_time + (k - 1) * DT, "middle": start_time + (k - 0.5) * DT,
            "end": start_time + k * DT,
            "calendar": math.floor(start_time + (k - 1) * DT + 1e-12)}[timing]


def _by_cycle(a_of, b_of, r, timing, n=T, s=SURV, start_time=S0, method="discrete"):
    """sum_k (a_k m_{k-1} + b_k m_k) d(tau_k): conventions discounted per cycle."""
    return sum((a_of(k) * s ** (k - 1) + b_of(k) * s**k) * _d(r, _tau(k, timing, start_time),
                                                              method)
               for k in range(1, n + 1))


def _by_point(w, r, n=T, s=SURV, start_time=S0):
    """sum_k w_k m_k d(t_k): conventions discounted at each time point."""
    return sum(w[k] * s**k * _d(r, start_time + k * DT) for k in range(n + 1))


def _check(row, cost, eff):
    assert row["cost"] == pytest.approx(cost, rel=1e-12)
    assert row["qalys"] == pytest.approx(DT * eff, rel=1e-12)
    assert row["life_years"] == pytest.approx(DT * eff, rel=1e-12)


HALF = {  # a_k, b_k of the per-cycle conventions, written from the table in the docs
    "start": (lambda k: 1.0, lambda k: 0.0),
    "end": (lambda k: 0.0, lambda k: 1.0),
    "half-cycle": (lambda k: 0.5 if k == 1 else 0.0, lambda k: 0.5 if k == T else 1.0),
    "life-table": (lambda k: 0.5, lambda k: 0.5),
}


@pytest.mark.parametrize("timing", ["start", "middle", "end", "calendar"])
@pytest.mark.parametrize("counting", list(HALF))
def test_cycle_discounted_conventions_with_start_time(counting, timing):
    a, b = HALF[counting]
    _check(_run(counting, timing), _by_cycle(a, b, RC, timing), _by_cycle(a, b, RE, timing))


def test_calendar_timing_factors_written_out():
    # S0 = 0.5, dt = 0.5: cycle starts 0.5, 1.0, 1.5, 2.0, 2.5 -> whole years 0, 1, 1, 2, 2
    d = [1, 1 / 1.04, 1 / 1.04, 1 / 1.04**2, 1 / 1.04**2]
    cost = sum(SURV ** (k - 1) * d[k - 1] for k in range(1, T + 1))
    assert _run("start", "calendar")["cost"] == pytest.approx(cost, rel=1e-12)


def test_trapezoid_point_discounting_with_start_time():
    w = [0.5] + [1.0] * (T - 1) + [0.5]
    _check(_run("trapezoid"), _by_point(w, RC), _by_point(w, RE))
    # the first point is discounted from S0, not from 0: (1.04)^-0.5 on m_0
    first = 0.5 * 1.04**-0.5
    rest = sum(w[k] * SURV**k * 1.04 ** -(0.5 + 0.5 * k) for k in range(1, T + 1))
    assert _run("trapezoid")["cost"] == pytest.approx(first + rest, rel=1e-12)


@pytest.mark.parametrize("timing", ["start", "end"])
def test_point_discounting_ignores_cycle_timing(timing):
    # trapezoid, Simpson and custom weights take the factor at the points: timing has no say
    w = [0.5] + [1.0] * (T - 1) + [0.5]
    assert _run("trapezoid", timing)["cost"] == pytest.approx(_by_point(w, RC), rel=1e-12)


def test_simpson_odd_cycles_point_discounting_with_start_time():
    # cycles 1-4: Simpson (1, 4, 2, 4, 1)/3 on points 0..4; cycle 5 (odd last): (1/2, 1/2)
    w = [1 / 3, 4 / 3, 2 / 3, 4 / 3, 1 / 3 + 1 / 2, 1 / 2]
    _check(_run("simpson"), _by_point(w, RC), _by_point(w, RE))


def test_simpson_even_cycles_point_discounting_with_start_time():
    w = [1 / 3, 4 / 3, 2 / 3, 4 / 3, 1 / 3]
    _check(_run("simpson", n_cycles=4), _by_point(w, RC, n=4), _by_point(w, RE, n=4))


def test_custom_weights_at_points_and_per_cycle():
    w = [0.2, 0.9, 1.1, 0.7, 1.3, 0.4]
    _check(_run(Counting.custom(w)), _by_point(w, RC), _by_point(w, RE))
    # discount_at="cycle": w_0 m_0 + w_1 m_1 in cycle 1, w_k m_k in cycle k, at tau_k
    for timing in ("start", "end"):
        def cyc(r, timing=timing):
            return sum((w[0] if k == 1 else 0.0) * _d(r, _tau(1, timing)) + w[k] * SURV**k
                       * _d(r, _tau(k, timing)) for k in range(1, T + 1))
        _check(_run(Counting.custom(w, discount_at="cycle"), timing), cyc(RC), cyc(RE))


def test_life_table_at_points_is_trapezoid_and_trapezoid_per_cycle_is_life_table():
    w = [0.5] + [1.0] * (T - 1) + [0.5]
    _check(_run(Counting("life-table", discount_at="point")), _by_point(w, RC), _by_point(w, RE))
    a, b = HALF["life-table"]
    _check(_run(Counting("trapezoid", discount_at="cycle"), "middle"),
           _by_cycle(a, b, RC, "middle"), _by_cycle(a, b, RE, "middle"))


@pytest.mark.parametrize("counting", ["start", "end", "half-cycle", "life-table"])
def test_continuous_discounting_with_start_time(counting):
    a, b = HALF[counting]
    row = _run(counting, "middle", method="continuous")
    _check(row, _by_cycle(a, b, RC, "middle", method="continuous"),
           _by_cycle(a, b, RE, "middle", method="continuous"))


def test_stepwise_schedule_crossing_a_segment_inside_the_model():
    # 3% in year 0-1, 6% afterwards; factor at t: 1.03^-min(t, 1) * 1.06^-max(t - 1, 0)
    sched = DiscountSchedule.stepwise([(0, 0.03), (1, 0.06)])
    settings = Settings(counting="end", timing="end", discount_costs=sched,
                        discount_effects=DiscountSchedule.flat(0.0))
    row = evaluate([_model()], {}, settings).summary().loc["m"]
    cost = sum(SURV**k * 1.03 ** -min(t, 1.0) * 1.06 ** -max(t - 1.0, 0.0)
               for k in range(1, T + 1) for t in [S0 + k * DT])
    assert row["cost"] == pytest.approx(cost, rel=1e-12)
    assert row["qalys"] == pytest.approx(DT * sum(SURV**k for k in range(1, T + 1)), rel=1e-12)


@pytest.mark.parametrize("counting", ["start", "end", "half-cycle", "life-table", "trapezoid",
                                      "simpson"])
def test_undiscounted_twins_ignore_start_time(counting):
    # the undiscounted totals do not depend on when the model starts
    row = _run(counting)
    w = {"start": [1.0] * T + [0.0], "end": [0.0] + [1.0] * T,
         "half-cycle": [0.5] + [1.0] * (T - 1) + [0.5],
         "life-table": [0.5] + [1.0] * (T - 1) + [0.5],
         "trapezoid": [0.5] + [1.0] * (T - 1) + [0.5],
         "simpson": [1 / 3, 4 / 3, 2 / 3, 4 / 3, 1 / 3 + 1 / 2, 1 / 2]}[counting]
    total = sum(w[k] * SURV**k for k in range(T + 1))
    assert row["cost_undisc"] == pytest.approx(total, rel=1e-12)
    assert row["qalys_undisc"] == pytest.approx(DT * total, rel=1e-12)


@pytest.mark.parametrize("counting", ["start", "end", "half-cycle", "life-table", "trapezoid",
                                      "simpson"])
def test_extremes_one_cycle_and_certain_death(counting):
    # one cycle from S0 with death certain in it: m_0 = 1, m_1 = 0
    row = _run(counting, "middle", n_cycles=1, q=1.0)
    w0 = {"start": 1.0, "end": 0.0, "half-cycle": 0.5, "life-table": 0.5, "trapezoid": 0.5,
          "simpson": 0.5}[counting]
    # per-cycle conventions take the factor at the middle of the cycle, S0 + dt/2 = 0.75;
    # point conventions take m_0's at S0 = 0.5
    t = S0 if counting in ("trapezoid", "simpson") else S0 + DT / 2
    assert row["cost"] == pytest.approx(w0 * 1.04**-t, rel=1e-12)
    assert row["cost_undisc"] == pytest.approx(w0, rel=1e-12)


def test_zero_rate_gives_undiscounted_and_start_time_zero_gives_first_point_undiscounted():
    # the same model discounted from start time 0: trapezoid's m_0 is undiscounted
    row0 = _run("trapezoid", start_time=0.0)
    w = [0.5] + [1.0] * (T - 1) + [0.5]
    assert row0["cost"] == pytest.approx(_by_point(w, RC, start_time=0.0), rel=1e-12)
    # starting later by 0.5 years multiplies every discounted total by (1 + r)^-0.5
    assert _run("trapezoid")["cost"] == pytest.approx(row0["cost"] * 1.04**-0.5, rel=1e-12)
    assert np.isclose(_run("life-table", "start")["qalys"],
                      _run("life-table", "start", start_time=0.0)["qalys"] * 1.015**-0.5,
                      rtol=1e-12)
