"""Tests that kill mutants of the time-vectorised Markov path (hecon/engine/vectorised.py)
which survived `make mutation` (docs/testing.md). Every expected number is worked out by hand
in the test."""

from __future__ import annotations

import numpy as np
import pytest

from hecon.engine import C, Counting, DiscountSchedule, MarkovModel, ParamView, Settings, State


def test_cycle_number_seen_by_vectorised_callables_by_hand():
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
