"""Guyot et al. (2012) reconstruction: exact cases and a simulate-digitise-rebuild round trip."""

import warnings

import numpy as np
import pytest

from hecon.errors import InputError
from hecon.survival import Weibull, cox_binary, kaplan_meier, reconstruct_ipd
from hecon.survival.guyot import _censor_counts, prepare_digitised

SHAPE, SCALE, HR, N = 1.3, 2.5, 0.7, 250
FOLLOW_UP = 5.0
RISK_TIMES = np.arange(0, FOLLOW_UP + 1e-9, 0.5)


def simulate_arm(scale, rng):
    """Weibull event times, uniform censoring on (0.5, 6), administrative end at 5 years."""
    event = Weibull(SHAPE, scale).sample(rng, N)[0]
    cens = np.minimum(rng.uniform(0.5, 6.0, N), FOLLOW_UP)
    return np.round(np.minimum(event, cens), 4), (event <= cens).astype(int)


def digitise(km, rng):
    """What a digitiser returns: the foot of each step, times jittered by ~2 days and rounded
    to 0.01 years, survival jittered by 0.002 and rounded to 0.001."""
    m = km.n_event > 0
    x = np.round(km.time[m] + rng.normal(0, 0.005, m.sum()), 2)
    y = np.round(km.survival[m] + rng.normal(0, 0.002, m.sum()), 3)
    return np.clip(x, 0, None), np.clip(y, 0, 1)


@pytest.fixture(scope="module")
def round_trip():
    rng = np.random.default_rng(20240501)
    scales = [SCALE, SCALE * HR ** (-1 / SHAPE)]  # Weibull PH: scale_trt = scale HR^(-1/shape)
    arms = []
    for scale in scales:
        t, e = simulate_arm(scale, rng)
        km = kaplan_meier(t, e)
        x, y = digitise(km, rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the risk time at 5.0 lies after the last point
            ipd = reconstruct_ipd(x, y, RISK_TIMES, km.at_risk(RISK_TIMES))
            ipd_tot = reconstruct_ipd(x, y, RISK_TIMES, km.at_risk(RISK_TIMES), int(e.sum()))
        arms.append({"t": t, "e": e, "km": km, "ipd": ipd, "ipd_tot": ipd_tot})
    return arms


def test_reconstructed_km_matches_true_km(round_trip):
    grid = np.linspace(0, 4.8, 1000)
    for arm in round_trip:
        for key in ("ipd", "ipd_tot"):
            rec = kaplan_meier(arm[key]["time"], arm[key]["event"])
            diff = np.abs(rec.at(grid) - arm["km"].at(grid))
            at_risk = arm["km"].at_risk(grid)
            # One misplaced event moves the KM by S / n_at_risk: with >= 20 at risk that is
            # <= 0.05 S, and digitising noise (0.002) plus a few misplaced events stay < 0.02;
            # in the tail (< 10 at risk, steps of 0.02-0.03) allow 0.05.
            assert diff[at_risk >= 20].max() < 0.02
            assert diff[at_risk >= 10].max() < 0.03
            assert diff.max() < 0.05
            assert len(arm[key]) == N


def test_numbers_at_risk_and_total_events(round_trip):
    for arm in round_trip:
        table = arm["ipd"].attrs["intervals"]
        published = np.array(table["n_risk_published"])
        rebuilt = np.array(table["n_risk_reconstructed"])
        # each interval starts at its risk-table time, so the published numbers are matched
        np.testing.assert_array_equal(rebuilt, published)
        # the last interval's censoring is adjusted towards the total; the published algorithm
        # stops when no censoring is left to remove, which can leave it one event short
        assert abs(arm["ipd_tot"]["event"].sum() - arm["e"].sum()) <= 1
        assert abs(arm["ipd"]["event"].sum() - arm["e"].sum()) <= 5


def test_hazard_ratio_survives_reconstruction(round_trip):
    group = np.repeat([0, 1], N)
    true_ipd = cox_binary(np.concatenate([a["t"] for a in round_trip]),
                          np.concatenate([a["e"] for a in round_trip]), group)
    rec = cox_binary(np.concatenate([a["ipd_tot"]["time"] for a in round_trip]),
                     np.concatenate([a["ipd_tot"]["event"] for a in round_trip]), group)
    # Reconstruction error should be small next to sampling error (SE of log HR ~ 0.11 here):
    # require agreement with the HR of the original patients within 0.05 on the log scale
    # (less than half an SE), and with the true HR within 3 SE (sampling variation).
    assert abs(rec.log_hr - true_ipd.log_hr) < 0.05
    assert abs(rec.log_hr - np.log(HR)) < 3 * rec.se


def test_exact_curve_without_censoring_is_reproduced():
    times = np.array([0.3, 0.7, 1.1, 1.6, 2.0, 2.4, 3.1, 3.5])
    n = 10
    surv = 1 - np.arange(1, times.size + 1) / n
    ipd = reconstruct_ipd(times, surv, [0.0, 1.0, 2.0, 3.0], [10, 8, 6, 4], total_events=8)
    assert ipd["event"].sum() == 8
    np.testing.assert_allclose(np.sort(ipd.loc[ipd.event == 1, "time"]), times)
    # the two still alive are censored at the last digitised time
    np.testing.assert_allclose(ipd.loc[ipd.event == 0, "time"], [3.5, 3.5])


def test_censoring_is_spread_like_r_hist():
    breaks = np.array([0.0, 1.0, 2.0, 4.0])
    # censorings evenly inside (0, 4); right-closed bins [0,1], (1,2], (2,4] as in R
    np.testing.assert_array_equal(_censor_counts(3, 0.0, 4.0, breaks), [1, 1, 1])
    np.testing.assert_array_equal(_censor_counts(7, 0.0, 4.0, breaks), [2, 2, 3])


def test_input_checks_and_cleaning():
    t, s = prepare_digitised([1.0, 0.5, 2.0], [0.8, 0.9, 0.81])
    np.testing.assert_allclose(t, [0, 0.5, 1.0, 2.0])
    np.testing.assert_allclose(s, [1, 0.9, 0.8, 0.8])  # running minimum removes the wiggle
    with pytest.raises(InputError):
        prepare_digitised([1.0], [80.0])  # percentages
    with pytest.raises(InputError):
        reconstruct_ipd([1, 2], [0.9, 0.8], [0.5, 1.0], [10, 9])  # risk table must start at 0
    with pytest.raises(InputError):
        reconstruct_ipd([1, 2], [0.9, 0.8], [0.0, 1.0], [10, 12])  # at-risk must not increase


def test_flat_stretch_between_risk_times():
    # no step between 2.0 and 3.0: the interval starting at 2.5 holds no digitised step
    times = [0.5, 1.0, 1.5, 2.0, 3.0, 3.5]
    surv = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    risk_t, risk_n = [0.0, 1.0, 2.5], [10, 9, 6]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ipd = reconstruct_ipd(times, surv, risk_t, risk_n)
    assert ipd.attrs["intervals"]["n_risk_reconstructed"] == risk_n
    with pytest.warns(UserWarning, match="no digitised point"):
        reconstruct_ipd(times, surv, [0.0, 1.0, 2.5, 2.8], [10, 9, 6, 6],
                        add_risk_time_points=False)
