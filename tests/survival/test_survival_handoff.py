"""Hand-off to the engine: curves on the model grid and per-cycle probabilities."""

import numpy as np
import pytest

from hecon.errors import InputError
from hecon.survival import (
    Exponential,
    PiecewiseHazard,
    Spliced,
    Weibull,
    model_times,
    on_grid,
    per_cycle_probability,
    survival_from_hazard,
)


def test_exponential_gives_constant_probability():
    rates = np.array([0.1, 0.4])
    dt = 1 / 12
    times = model_times(24, dt)
    assert times.shape == (25,) and times[-1] == pytest.approx(2.0)
    S = on_grid(Exponential(rates), times)  # noqa: N806
    assert S.shape == (2, 25)
    p = per_cycle_probability(S)
    assert p.shape == (2, 24)
    np.testing.assert_allclose(p, np.broadcast_to(1 - np.exp(-rates[:, None] * dt), (2, 24)))


def test_survival_from_hazard_piecewise_constant_is_exact():
    times = np.array([0.0, 0.5, 1.0, 2.0])
    h = np.array([[0.2, 0.4, 0.1]])
    S = survival_from_hazard(h, times)  # noqa: N806
    np.testing.assert_allclose(S[0], np.exp(-np.array([0.0, 0.1, 0.3, 0.4])))
    np.testing.assert_allclose(on_grid(h, times), S)
    pw = PiecewiseHazard([0.0, 0.5, 1.0], [0.2, 0.4, 0.1])
    np.testing.assert_allclose(on_grid(pw, times), S)
    # a hazard function constant between grid points is also exact
    S2 = survival_from_hazard(lambda t: np.where(t < 0.5, 0.2, np.where(t < 1.0, 0.4, 0.1)),  # noqa: N806
                              times)
    np.testing.assert_allclose(S2, S)


def test_smooth_hazard_function_converges():
    # midpoint rule: error O(h^2) for smooth hazards (h = 0.25 / 8 here)
    w = Weibull(2.5, 2.0)
    times = model_times(40, 0.25)
    exact = on_grid(w, times)
    err8 = np.abs(survival_from_hazard(w.hazard, times, substeps=8) - exact).max()
    err16 = np.abs(survival_from_hazard(w.hazard, times, substeps=16) - exact).max()
    assert err8 < 5e-5
    assert 3.5 < err8 / err16 < 4.5  # second order


def test_zero_survival_and_bad_input():
    S = np.array([[1.0, 0.5, 0.0, 0.0]])  # noqa: N806
    np.testing.assert_allclose(per_cycle_probability(S), [[0.5, 1.0, 1.0]])
    with pytest.raises(InputError, match="increases"):
        per_cycle_probability([[1.0, 0.5, 0.6]])
    with pytest.raises(InputError, match="lie in"):
        per_cycle_probability([[1.0, 1.2, 0.6]])
    with pytest.raises(InputError):
        survival_from_hazard([0.1, -0.2], [0.0, 1.0, 2.0])
    with pytest.raises(InputError):
        on_grid(Exponential(0.1), [0.0, 2.0, 1.0])


def test_spliced_curve():
    first, then = Exponential(0.5), Exponential(0.1)
    c = Spliced(first, then, 1.0)
    t = np.array([0.5, 1.0, 3.0])
    np.testing.assert_allclose(c.survival(t)[0], np.exp(-np.array([0.25, 0.5, 0.5 + 0.2])))
    np.testing.assert_allclose(c.hazard(t)[0], [0.5, 0.1, 0.1])
