"""The 'floor' crossing rule of the partitioned-survival model (DARTH) and the explicit ages of
a cycle, against hand calculations."""

import numpy as np
import pytest

from hecon.engine import (
    C,
    MarkovModel,
    ParamView,
    PartitionedSurvivalModel,
    Settings,
    State,
    evaluate,
)
from hecon.errors import ModelSpecError

PFS = np.array([[1.0, 0.80, 0.70, 0.65, 0.52, 0.30],   # crosses OS at t = 3 and t = 4
                [1.0, 0.80, 0.70, 0.50, 0.40, 0.30]])  # never crosses
OS = np.array([[1.0, 0.95, 0.90, 0.60, 0.50, 0.45],
               [1.0, 0.95, 0.90, 0.60, 0.50, 0.45]])


def psm(crossing):
    return PartitionedSurvivalModel(
        name="psm", states=["stable", "progressed", State("dead", dead=True)],
        curves=lambda p, t: [PFS[p.row.astype(int)],
                                  OS[p.row.astype(int)]], n_cycles=5, crossing=crossing,
        utilities=lambda p, t: {"stable": 1.0, "progressed": 0.5},
    )


def test_floor_os_at_pfs_by_hand():
    p = ParamView({"row": np.arange(2.0)})
    r = evaluate([psm("floor")], p, Settings.undiscounted("start"))
    tr = r.trace("psm", sample=0)
    np.testing.assert_allclose(tr["stable"], PFS[0], atol=1e-15)
    np.testing.assert_allclose(tr["progressed"], [0, 0.15, 0.20, 0, 0, 0.15], atol=1e-12)
    np.testing.assert_allclose(tr["dead"], [0, 0.05, 0.10, 0.35, 0.48, 0.55], atol=1e-12)
    # start counting, undiscounted: QALYs = sum_{k=0..4} stable_k + 0.5 progressed_k
    hand0 = (1 + 0.8 + 0.7 + 0.65 + 0.52) + 0.5 * (0.15 + 0.20)
    hand1 = (1 + 0.8 + 0.7 + 0.5 + 0.4) + 0.5 * (0.15 + 0.2 + 0.1 + 0.1)
    np.testing.assert_allclose(r.column("psm", "qalys"), [hand0, hand1], rtol=1e-12)
    # crossing at points 3 and 4 touches cycles 3, 4 and 5 of sample 0 only
    c = r.crossings().loc["psm"]
    assert c["policy"] == "floor"
    assert (c["samples_affected"], c["cycles_affected"], c["cycles"]) == (1, 3, 10)
    assert c["share_samples_affected"] == pytest.approx(0.5)
    assert c["share_cycles_affected"] == pytest.approx(0.3)


def test_cap_and_floor_differ_only_where_curves_cross():
    p = ParamView({"row": np.arange(2.0)})
    cap = evaluate([psm("cap")], p, Settings.undiscounted("start"))
    flo = evaluate([psm("floor")], p, Settings.undiscounted("start"))
    # cap lowers PFS to OS: stable = min(PFS, OS), progressed = OS - stable
    np.testing.assert_allclose(cap.trace("psm")["stable"], np.minimum(PFS[0], OS[0]))
    assert cap.crossings().loc["psm", "cycles_affected"] == 3
    np.testing.assert_allclose(cap.trace("psm", 1).to_numpy(), flo.trace("psm", 1).to_numpy())
    # the chunked evaluation reports the same shares
    ch = evaluate([psm("floor")], p, Settings.undiscounted("start"), chunk_size=1)
    assert ch.crossings().loc["psm", "cycles_affected"] == 3


def test_markov_model_has_no_crossing_report():
    m = MarkovModel(name="m", states=["a", "b"], transitions=lambda p, t: {("a", "b"): 0.1,
                    ("a", "a"): C}, start={"a": 1.0}, n_cycles=2)
    assert evaluate([m], {}, Settings()).crossings().empty


def test_ages_at_start_middle_end_of_cycle():
    seen = []

    def transitions(p, t):
        seen.append((t.k, t.age, t.age_start, t.age_mid, t.age_end, t.time, t.time_end))
        return {("alive", "dead"): 0.0, ("alive", "alive"): C}

    m = MarkovModel(name="m", states=["alive", State("dead", dead=True)],
                    transitions=transitions, start={"alive": 1.0}, n_cycles=3,
                    cycle_length=0.25, start_age=60.0)
    evaluate([m], {}, Settings())
    for k, age, a0, am, a1, t0, t1 in seen:
        assert age[0] == a0[0] == pytest.approx(60 + 0.25 * (k - 1))
        assert am[0] == pytest.approx(60 + 0.25 * (k - 0.5))
        assert a1[0] == pytest.approx(60 + 0.25 * k)
        assert (t0, t1) == pytest.approx((0.25 * (k - 1), 0.25 * k))
    assert [s[0] for s in seen] == [1, 2, 3]


def test_heemod_age_is_age_end_with_annual_cycles():
    # heemod: age = age_init + model_time, model_time = 1, 2, ...: the age at the cycle's end
    ages = {}

    def transitions(p, t):
        ages[t.k] = (float(t.age_end[0]), float(t.age_start[0]))
        return {("alive", "dead"): 0.0, ("alive", "alive"): C}

    m = MarkovModel(name="m", states=["alive", State("dead", dead=True)],
                    transitions=transitions, start={"alive": 1.0}, n_cycles=4, start_age=50)
    evaluate([m], {}, Settings())
    assert ages == {k: (50.0 + k, 50.0 + k - 1) for k in (1, 2, 3, 4)}


def test_age_without_start_age_names_the_fix():
    m = MarkovModel(name="m", states=["alive", State("dead", dead=True)],
                    transitions=lambda p, t: {("alive", "dead"): 0.01 * t.age_mid,
                                              ("alive", "alive"): C},
                    start={"alive": 1.0}, n_cycles=2)
    with pytest.raises(ModelSpecError, match=r"t\.age_mid was asked for, but the model has no "
                       r"start age; give the model start_age="):
        evaluate([m], {}, Settings())
