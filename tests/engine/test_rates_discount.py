"""Rate/probability helpers and discount schedules against hand calculations."""

import math

import numpy as np
import pytest

from hecon.engine import (
    DiscountSchedule,
    apply_hazard_ratio,
    prob_to_rate,
    rate_to_prob,
    rescale_prob,
)
from hecon.errors import InputError, ModelError


def test_rate_prob_round_trip_by_hand():
    assert rate_to_prob(0.1, 1.0) == pytest.approx(1 - math.exp(-0.1), abs=1e-15)
    assert prob_to_rate(0.2, 2.0) == pytest.approx(-math.log(0.8) / 2.0, abs=1e-15)
    p = np.array([0.0, 0.05, 0.5, 0.999])
    np.testing.assert_allclose(rate_to_prob(prob_to_rate(p)), p, atol=1e-14)


def test_rescale_annual_to_monthly_by_hand():
    # 1 - (1 - 0.3)^(1/12) computed by hand
    assert rescale_prob(0.3, 1.0, 1 / 12) == pytest.approx(1 - 0.7 ** (1 / 12), rel=1e-13)
    # probability 0 and 1 stay 0 and 1
    np.testing.assert_array_equal(rescale_prob(np.array([0.0, 1.0]), 1.0, 1 / 12), [0.0, 1.0])


def test_hazard_ratio_on_probability():
    # 1 - (1 - p)^hr
    assert apply_hazard_ratio(0.4, 0.5) == pytest.approx(1 - 0.6**0.5, rel=1e-13)
    assert apply_hazard_ratio(0.4, 1.0) == pytest.approx(0.4, rel=1e-13)


def test_bad_probability_is_an_error():
    with pytest.raises(ModelError):
        prob_to_rate(1.2)
    with pytest.raises(ModelError):
        rate_to_prob(-0.1)


def test_flat_discrete_and_continuous():
    d = DiscountSchedule.flat(0.035)
    assert d.factor(10.0) == pytest.approx(1.035**-10, rel=1e-14)
    assert d.factor(0.0) == 1.0
    c = DiscountSchedule.flat(0.035, method="continuous")
    assert c.factor(10.0) == pytest.approx(math.exp(-0.35), rel=1e-14)


def test_danish_stepwise_schedule_by_hand():
    dk = DiscountSchedule.stepwise([(0, 0.035), (35, 0.025), (70, 0.015)])
    assert dk.factor(20.0) == pytest.approx(1.035**-20, rel=1e-13)
    assert dk.factor(40.0) == pytest.approx(1.035**-35 * 1.025**-5, rel=1e-13)
    assert dk.factor(80.0) == pytest.approx(1.035**-35 * 1.025**-35 * 1.015**-10, rel=1e-13)
    # whole years: product of 1/(1 + r_j) with r_j the rate of year j = 1..n
    rates = [0.035] * 35 + [0.025] * 35 + [0.015] * 5
    assert dk.factor(75.0) == pytest.approx(np.prod([1 / (1 + r) for r in rates]), rel=1e-12)
    # factors stay in (0, 1] and fall with time
    f = dk.factor(np.linspace(0, 100, 401))
    assert np.all((f > 0) & (f <= 1)) and np.all(np.diff(f) < 0)


@pytest.mark.parametrize(
    "build",
    [
        lambda: DiscountSchedule.flat(-0.01),
        lambda: DiscountSchedule.flat(1.5),
        lambda: DiscountSchedule.stepwise([(1, 0.03)]),
        lambda: DiscountSchedule.stepwise([(0, 0.03), (0, 0.02)]),
        lambda: DiscountSchedule.flat(0.03, method="monthly"),
    ],
)
def test_bad_schedules_rejected(build):
    with pytest.raises(InputError):
        build()
