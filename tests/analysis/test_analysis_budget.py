"""Budget impact: every number checked against a hand calculation written in the test."""

import numpy as np
import pandas as pd
import pytest

from hecon.analysis.budget import PerPatient, budget_impact, cohort_sum, oneway_table
from hecon.errors import InputError

# two strategies, three cost categories, five years since entry
CUR = PerPatient(
    costs={"stay": np.array([100.0, 0, 0, 0, 0]),
           "follow_up": np.array([10.0, 8, 6, 4, 2])},
    alive=np.array([0.5, 0.4, 0.3, 0.2, 0.1]),
)
NEW = PerPatient(
    costs={"device": np.array([1000.0, 0, 0, 0, 0]),
           "stay": np.array([120.0, 0, 0, 0, 0]),
           "follow_up": np.array([12.0, 10, 8, 6, 4])},
    alive=np.array([0.6, 0.5, 0.4, 0.3, 0.2]),
)
UPTAKE = [0.3, 0.6, 0.8, 0.9, 0.9]
HOSP = ("device", "stay")


def result(patients=40.0, uptake=UPTAKE, **kw):
    return budget_impact(CUR, NEW, patients, uptake, hospital_categories=HOSP, **kw)


def test_year1_is_per_patient_year1_costs_times_patients_times_mix():
    t = result().table()
    n, u = 40.0, 0.3
    cur = 100 + 10
    new = 1000 + 120 + 12
    assert t.loc[0, "cost_current"] == pytest.approx(n * cur, rel=1e-12)
    assert t.loc[0, "cost_new"] == pytest.approx(n * ((1 - u) * cur + u * new), rel=1e-12)
    assert t.loc[0, "budget_impact"] == pytest.approx(n * u * (new - cur), rel=1e-12)
    assert t.loc[0, "hospital_budget_impact"] == pytest.approx(n * u * (1120 - 100), rel=1e-12)
    assert t.loc[0, "cost_new_device"] == pytest.approx(n * u * 1000, rel=1e-12)
    assert t.loc[0, "patients_treated"] == pytest.approx(12.0)
    assert t.loc[0, "patients_comparator"] == pytest.approx(28.0)
    assert t.loc[0, "alive_new"] == pytest.approx(n * (0.7 * 0.5 + 0.3 * 0.6), rel=1e-12)


def test_single_cohort_carries_over_into_later_years():
    # one cohort of 10 patients enters in year 1; nobody enters later
    r = budget_impact(CUR, NEW, [10.0, 0, 0, 0, 0], [0.5] * 5, hospital_categories=HOSP)
    t = r.table()
    for y in range(5):
        want_cur = 10 * (CUR.costs["stay"][y] + CUR.costs["follow_up"][y])
        want_new = 10 * (0.5 * want_cur / 10 + 0.5 * (
            NEW.costs["device"][y] + NEW.costs["stay"][y] + NEW.costs["follow_up"][y]))
        assert t.loc[y, "cost_current"] == pytest.approx(want_cur, rel=1e-12)
        assert t.loc[y, "cost_new"] == pytest.approx(want_new, rel=1e-12)
        assert t.loc[y, "alive_current"] == pytest.approx(10 * CUR.alive[y], rel=1e-12)
    # years 2..5: only follow-up of survivors, nothing for the hospital
    assert t.loc[1, "cost_current"] == pytest.approx(80.0)
    assert t.loc[4, "budget_impact"] == pytest.approx(10 * 0.5 * (4 - 2), rel=1e-12)
    assert (t.loc[1:, "hospital_budget_impact"].abs() < 1e-9).all()


def test_cohorts_stack_hand_calculation_year3():
    t = result(patients=[10.0, 20.0, 30.0], uptake=[0.0, 0.5, 1.0]).table()
    # year 3 = cohort 1 in its year 3 + cohort 2 in its year 2 + cohort 3 in its year 1
    cur = CUR.costs["follow_up"] + CUR.costs["stay"]
    new = NEW.costs["follow_up"] + NEW.costs["stay"] + NEW.costs["device"]
    want = 10 * cur[2] + 20 * (0.5 * cur[1] + 0.5 * new[1]) + 30 * new[0]
    assert t.loc[2, "cost_new"] == pytest.approx(want, rel=1e-12)
    assert t.loc[2, "cost_current"] == pytest.approx(10 * cur[2] + 20 * cur[1] + 30 * cur[0])
    assert t["cumulative_budget_impact"].iloc[-1] == pytest.approx(t["budget_impact"].sum())


def test_doubling_patients_doubles_every_cost_column():
    a, b = result(40.0).table(), result(80.0).table()
    cost_cols = [c for c in a.columns if c.startswith(("cost", "budget", "cumulative",
                                                       "hospital", "alive", "patients"))]
    for c in cost_cols:
        np.testing.assert_allclose(b[c], 2 * a[c], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(b["uptake"], a["uptake"])


def test_uptake_zero_gives_zero_impact():
    t = result(uptake=[0.0] * 5).table()
    scale = 40 * 1200
    assert np.abs(t["budget_impact"]).max() < 1e-12 * scale
    assert np.abs(t["hospital_budget_impact"]).max() < 1e-12 * scale
    np.testing.assert_allclose(t["alive_new"], t["alive_current"], rtol=1e-12)


def test_identical_strategies_give_zero_impact():
    r = budget_impact(CUR, CUR, 40.0, UPTAKE, hospital_categories=("stay",))
    t = r.table()
    assert np.abs(t["budget_impact"]).max() < 1e-9
    assert t.loc[0, "cost_current"] == pytest.approx(40 * 110)


def test_full_uptake_and_current_uptake_equal_to_new_gives_zero():
    r = result(uptake=[1.0] * 5, current_uptake=1.0)
    assert np.abs(r.impact).max() < 1e-9


def test_zero_costs_and_one_year():
    z = PerPatient(costs={"stay": np.zeros(1)}, alive=np.ones(1))
    r = budget_impact(z, z, 5.0, [0.5], hospital_categories=("stay",))
    t = r.table()
    assert len(t) == 1
    assert t.loc[0, "cost_new"] == 0.0
    assert t.loc[0, "alive_new"] == pytest.approx(5.0)


def test_draws_axis_matches_row_by_row_and_interval():
    rng = np.random.default_rng(1)
    d = 200
    scale = rng.gamma(20, 0.05, size=(d, 1))
    cur = PerPatient({"stay": CUR.costs["stay"] * scale,
                      "follow_up": np.broadcast_to(CUR.costs["follow_up"], (d, 5))},
                     np.broadcast_to(CUR.alive, (d, 5)))
    new = PerPatient({"device": NEW.costs["device"] * scale, "stay": NEW.costs["stay"] * scale,
                      "follow_up": np.broadcast_to(NEW.costs["follow_up"], (d, 5))},
                     np.broadcast_to(NEW.alive, (d, 5)))
    r = budget_impact(cur, new, 40.0, UPTAKE, hospital_categories=HOSP)
    assert r.impact.shape == (d, 5)
    for i in (0, 17, d - 1):
        one = budget_impact(
            PerPatient({k: v[i] for k, v in cur.costs.items()}, cur.alive[i]),
            PerPatient({k: v[i] for k, v in new.costs.items()}, new.alive[i]),
            40.0, UPTAKE, hospital_categories=HOSP)
        np.testing.assert_allclose(r.impact[i], one.impact, rtol=1e-12)
    iv = r.interval(0.9)
    x = r.impact[:, 2]
    assert iv.loc[2, "budget_impact_mean"] == pytest.approx(x.mean(), rel=1e-12)
    assert iv.loc[2, "budget_impact_low"] == pytest.approx(np.quantile(x, 0.05), rel=1e-12)
    assert iv.loc[2, "budget_impact_high"] == pytest.approx(np.quantile(x, 0.95), rel=1e-12)
    cum = r.impact.sum(axis=1)
    assert iv.loc[4, "cumulative_budget_impact_high"] == pytest.approx(
        np.quantile(cum, 0.95), rel=1e-12)


def test_cohort_sum_is_a_convolution():
    c = np.array([3.0, 2.0, 1.0, 0.5])
    n = np.array([1.0, 10.0, 100.0])
    np.testing.assert_allclose(cohort_sum(c, n), np.convolve(n, c)[:3])


def test_oneway_table_sorted_by_swing_and_hand_values():
    base = result()
    var = {
        "Patients": {"low": ("20", result(20.0)), "high": ("60", result(60.0))},
        "Uptake": {"low": ("none", result(uptake=[0.0] * 5)),
                   "high": ("same", result())},
    }
    t = oneway_table(base, var)
    assert list(t["driver"]) == ["Patients", "Uptake"]
    cum = base.impact.sum()
    row = t.iloc[0]
    assert row["cumulative_base"] == pytest.approx(cum, rel=1e-12)
    assert row["cumulative_low"] == pytest.approx(cum / 2, rel=1e-12)
    assert row["cumulative_high"] == pytest.approx(1.5 * cum, rel=1e-12)
    assert t.iloc[1]["cumulative_low"] == pytest.approx(0.0, abs=1e-9)
    assert isinstance(t, pd.DataFrame)


@pytest.mark.parametrize("kw, word", [
    ({"uptake": [0.3, 1.2]}, "uptake"),
    ({"uptake": [0.3, -0.1]}, "uptake"),
    ({"patients": -1.0}, "patients"),
    ({"patients": [1.0, 2.0]}, "patients"),
    ({"patients": float("nan")}, "patients"),
    ({"uptake": [0.1] * 6}, "6 calendar years"),
    ({"uptake": []}, "uptake"),
])
def test_bad_inputs_are_named(kw, word):
    args = {"patients": 40.0, "uptake": UPTAKE, **kw}
    with pytest.raises(InputError, match=word):
        budget_impact(CUR, NEW, args["patients"], args["uptake"], hospital_categories=HOSP)


def test_unknown_hospital_category_is_an_error():
    with pytest.raises(InputError, match="hospital cost categories"):
        budget_impact(CUR, NEW, 40.0, UPTAKE, hospital_categories=("implant",))
