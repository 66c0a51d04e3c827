"""Partitioned-survival rewards with every callable called once for all cycles
(``PartitionedSurvivalModel(vectorised=True)``): hand calculations, the same numbers and
per-cycle record as the per-cycle path for every convention, and the same errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hecon.engine import Counting, DiscountSchedule, ParamView, Settings, State
from hecon.engine import vectorised as vec
from hecon.engine.psm import PartitionedSurvivalModel
from hecon.errors import ModelError

NONE = DiscountSchedule.flat(0.0)


def three_state(vectorised: bool, **over) -> PartitionedSurvivalModel:
    """Stable / progressed / dead from exponential PFS and OS curves with sample-varying
    rates; costs by state (one time-dependent), age-dependent utilities, start rewards and a
    cost of death on the fall of OS."""
    kw = dict(
        name="psm", states=["stable", "progressed", State("dead", dead=True)],
        curves=lambda p, times: [np.exp(-p.r_pfs[:, None] * times),
                                 np.exp(-p.r_os[:, None] * times)],
        n_cycles=24, cycle_length=0.25,
        costs=lambda p, t: {"drug": {"stable": p.c_drug * (1 + 0.02 * t.time)},
                            "care": {"progressed": 900.0, "stable": 100.0}},
        utilities=lambda p, t: {"stable": 0.85 - 0.002 * (t.age - 60),
                                "progressed": np.where(t.time < 2.0, 0.6, 0.5)},
        start_costs=lambda p: {"drug": p.c_drug * 0.1},
        start_qalys=lambda p: -0.01 * np.ones(p.n),
        curve_drop_costs=lambda p: {"death": [None, p.c_death]},
        start_age="age", vectorised=vectorised)
    kw.update(over)
    return PartitionedSurvivalModel(**kw)


PARAMS = ParamView({"r_pfs": [0.5, 0.8, 0.3], "r_os": [0.2, 0.4, 0.1],
                    "c_drug": [1000.0, 1500.0, 800.0], "c_death": [5000.0, 5000.0, 7000.0],
                    "age": [60.0, 72.0, 65.0]})


def test_hand_calculation_survival_and_death_cost():
    """Two states, OS = exp(-r t), end counting, no discounting: LY = dt sum_k S(k dt); a cost
    of death D on the fall of OS totals D (1 - S(T dt)) (the falls telescope)."""
    r, dt, T, D = 0.3, 0.5, 10, 2000.0
    model = PartitionedSurvivalModel(
        name="two", states=["alive", State("dead", dead=True)],
        curves=lambda p, times: [np.exp(-r * times) * np.ones((p.n, 1))], n_cycles=T,
        cycle_length=dt, costs=lambda p, t: {"care": {"alive": 10.0 * dt}},
        utilities=lambda p, t: {"alive": 0.7}, curve_drop_costs=lambda p: {"death": [D]},
        vectorised=True)
    settings = Settings(counting=Counting("end"), discount_costs=NONE, discount_effects=NONE)
    out = model.run(ParamView({}, n=2), settings, keep_trace=False)
    s = np.exp(-r * dt * np.arange(1, T + 1))
    np.testing.assert_allclose(out.totals.life_years, dt * s.sum(), rtol=1e-13)
    np.testing.assert_allclose(out.totals.qalys, 0.7 * dt * s.sum(), rtol=1e-13)
    np.testing.assert_allclose(out.totals.costs["care"], 10.0 * dt * s.sum(), rtol=1e-13)
    np.testing.assert_allclose(out.totals.costs["death"], D * (1 - np.exp(-r * dt * T)),
                               rtol=1e-13)


@pytest.mark.parametrize("counting", ["life-table", "start", "end", "half-cycle", "trapezoid",
                                      "simpson"])
@pytest.mark.parametrize("timing", ["start", "middle", "end", "calendar"])
@pytest.mark.parametrize("transition_rewards", ["cycle", "within-cycle"])
def test_same_totals_and_record_as_the_per_cycle_path(counting, timing, transition_rewards,
                                                     monkeypatch):
    # the vectorised path must do the work itself (a silent hand-over to the per-cycle path
    # would make the comparison vacuous)
    real = vec.run_psm_vectorised
    used = []
    monkeypatch.setattr(vec, "run_psm_vectorised",
                        lambda *a, **k: used.append(real(*a, **k)) or used[-1])
    settings = Settings(counting=Counting(counting), discount_costs=DiscountSchedule.flat(0.035),
                        discount_effects=DiscountSchedule.flat(0.015), timing=timing,
                        transition_rewards=transition_rewards)
    fast = three_state(True).run(PARAMS, settings, keep_trace=True)
    slow = three_state(False).run(PARAMS, settings, keep_trace=True)
    assert used == [True]
    for f in ("qalys", "qalys_undisc", "life_years", "life_years_undisc"):
        np.testing.assert_allclose(getattr(fast.totals, f), getattr(slow.totals, f),
                                   rtol=1e-12)
    assert set(fast.totals.costs) == set(slow.totals.costs) == {"drug", "care", "death"}
    for cat in slow.totals.costs:
        np.testing.assert_allclose(fast.totals.costs[cat], slow.totals.costs[cat], rtol=1e-12)
        np.testing.assert_allclose(fast.totals.costs_undisc[cat],
                                   slow.totals.costs_undisc[cat], rtol=1e-12)
    assert set(fast.per_cycle) == set(slow.per_cycle)
    for key, v in slow.per_cycle.items():
        np.testing.assert_allclose(fast.per_cycle[key], v, rtol=1e-12,
                                   atol=1e-12 * (1 + np.nanmax(np.abs(v))), err_msg=key)
    np.testing.assert_array_equal(fast.trace, slow.trace)


def test_an_invalid_value_reports_the_per_cycle_error():
    """A cost of the wrong shape: the vectorised path hands over to the per-cycle path,
    whose error message is the one the user sees."""
    bad = dict(costs=lambda p, t: {"care": {"stable": np.ones((p.n, 3, 2))}})
    with pytest.raises(Exception) as fast:
        three_state(True, **bad).run(PARAMS, Settings())
    with pytest.raises(Exception) as slow:
        three_state(False, **bad).run(PARAMS, Settings())
    assert type(fast.value) is type(slow.value)
    assert str(fast.value) == str(slow.value)


def test_python_if_on_time_says_np_where():
    def costs(p, t):
        return {"care": {"stable": 100.0 if t.time < 1.0 else 50.0}}

    with pytest.raises(ModelError, match="np.where"):
        three_state(True, costs=costs).run(PARAMS, Settings())
    # the per-cycle path accepts it (time is a number there)
    out = three_state(False, costs=costs).run(PARAMS, Settings())
    assert out.totals.costs["care"][0] > 0


def test_vectorised_flag_defaults_off():
    assert not dataclasses.fields(PartitionedSurvivalModel)[-1].default
