"""Treatment effects against hand calculations."""

import numpy as np
import pytest

from hecon.errors import InputError
from hecon.survival import (
    AccelerationFactor,
    Exponential,
    HazardRatio,
    PiecewiseHazard,
    WaningHazardRatio,
    Weibull,
    stop_effect,
)

T = np.array([0.0, 0.5, 1.0, 2.0, 3.3, 5.0, 8.0])


def test_hazard_ratio_on_exponential():
    lam, hr = 0.3, 0.6
    base = Exponential(lam)
    trt = HazardRatio(base, hr)
    np.testing.assert_allclose(trt.survival(T), base.survival(T) ** hr)
    np.testing.assert_allclose(trt.survival(T)[0], np.exp(-lam * hr * T))
    np.testing.assert_allclose(trt.hazard(T)[0], lam * hr)
    # per-sample hazard ratios broadcast against a single baseline
    many = HazardRatio(base, np.array([0.5, 1.0, 2.0]))
    assert many.survival(T).shape == (3, T.size)
    np.testing.assert_allclose(many.survival(T)[2], np.exp(-lam * 2 * T))
    with pytest.raises(InputError):
        HazardRatio(base, -1.0)


def test_acceleration_factor():
    base = Weibull(1.5, 2.0)
    trt = AccelerationFactor(base, 1.8)
    # Weibull AFT: the scale is multiplied by AF
    np.testing.assert_allclose(trt.survival(T), Weibull(1.5, 3.6).survival(T), rtol=1e-12)
    np.testing.assert_allclose(trt.hazard(T[1:]), Weibull(1.5, 3.6).hazard(T[1:]), rtol=1e-12)
    # per-sample AF on a family (uses per-sample times)
    trt2 = AccelerationFactor(base, np.array([1.0, 2.0]))
    np.testing.assert_allclose(trt2.survival(T)[1], Weibull(1.5, 4.0).survival(T)[0])
    # per-sample AF on a piecewise-constant baseline (interpolated on a grid)
    pw = PiecewiseHazard([0.0, 1.0], [0.2, 0.5])
    trt3 = AccelerationFactor(pw, np.array([1.0, 2.0]), step=0.01)
    # AF 2: S(3) = S_base(1.5) = exp(-(0.2 + 0.5 * 0.5)); S(1) = S_base(0.5) = exp(-0.1)
    np.testing.assert_allclose(trt3.survival([1.0, 3.0])[1], np.exp(-np.array([0.1, 0.45])),
                               rtol=1e-10)
    np.testing.assert_allclose(trt3.hazard([3.0])[1], [0.25])


def test_waning_on_exponential_by_hand():
    lam, hr, s, e = 0.2, 0.5, 2.0, 6.0
    trt = WaningHazardRatio(Exponential(lam), hr, s, e)
    L = np.log(hr)  # noqa: N806

    def cumhaz(t):
        if t <= s:
            return lam * hr * t
        v = (e - min(t, e)) / (e - s)
        during = lam * (e - s) * (np.exp(L) - np.exp(L * v)) / L
        return lam * hr * s + during + lam * max(t - e, 0.0)

    t = np.array([0.0, 1.0, 2.0, 3.0, 4.5, 6.0, 9.0])
    expected = np.array([cumhaz(x) for x in t])
    np.testing.assert_allclose(trt.cumhaz(t)[0], expected, rtol=1e-6)
    np.testing.assert_allclose(trt.hazard_ratio([1.0, 4.0, 7.0])[0], [0.5, 0.5**0.5, 1.0])
    np.testing.assert_allclose(trt.hazard([4.0])[0], [lam * 0.5**0.5])
    # the answer at a time does not depend on the other times asked for
    np.testing.assert_allclose(trt.cumhaz([4.5])[0], trt.cumhaz(t)[0, 4], rtol=1e-14)


def test_stopping_is_exact_for_any_baseline():
    base = Weibull(np.array([0.8, 1.4]), 3.0)
    trt = stop_effect(base, 0.6, 2.0)
    t = np.array([1.0, 2.0, 5.0])
    h = base.cumhaz(t)
    h2 = base.cumhaz([2.0])
    expected = np.column_stack([0.6 * h[:, 0], 0.6 * h[:, 1], 0.6 * h2[:, 0] + h[:, 2] - h2[:, 0]])
    np.testing.assert_allclose(trt.cumhaz(t), expected, rtol=1e-12)
    with pytest.raises(InputError):
        WaningHazardRatio(base, 0.6, 3.0, 2.0)
