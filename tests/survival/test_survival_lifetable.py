"""Life tables: lookups, cohort survival, converters and combination with disease curves."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hecon.errors import InputError
from hecon.survival import (
    Exponential,
    LifeTable,
    Weibull,
    lifetable_from_denmark_csv,
    lifetable_from_usa_mx_csv,
    with_background_mortality,
)

MALE = [0.01, 0.02, 0.03, 0.05]
FEMALE = [0.005, 0.01, 0.015, 0.025]
DATA = Path(__file__).resolve().parents[1] / "data" / "life_tables"


@pytest.fixture
def table():
    return LifeTable([60, 61, 62, 63], MALE, FEMALE)


def test_hazard_lookup_piecewise_constant(table):
    np.testing.assert_allclose(table.hazard([60, 60.5, 61, 62.999, 63, 63.5, 90], "male"),
                               [0.01, 0.01, 0.02, 0.03, 0.05, 0.05, 0.05])
    np.testing.assert_allclose(table.hazard([61.2], "female"), [0.01])
    with pytest.raises(InputError):
        table.hazard([59.5], "male")
    with pytest.raises(InputError):
        table.hazard([61], "other")


def test_cumulative_hazard_and_cohort_survival_by_hand(table):
    # from age 60.5: half a year at 0.01, a year at 0.02, 0.5 at 0.03 (t = 2)
    np.testing.assert_allclose(table.cumhaz(60.5, [2.0], "male"), [0.005 + 0.02 + 0.015])
    # from 62: 0.03 + 0.05 * 4 to age 67 (open-ended last row)
    np.testing.assert_allclose(table.cumhaz(62, [5.0], "male"), [0.03 + 0.05 * 4])
    t = np.array([0.0, 1.0, 2.0, 3.5])
    h_m = np.array([0.0, 0.01, 0.03, 0.03 + 0.03 + 0.025])
    h_f = np.array([0.0, 0.005, 0.015, 0.015 + 0.015 + 0.0125])
    p = 0.7
    expected = p * np.exp(-h_m) + (1 - p) * np.exp(-h_f)
    np.testing.assert_allclose(table.survival(60, t, p), expected)
    # a mixture of survival curves, not of hazards
    assert not np.allclose(expected, np.exp(-(p * h_m + (1 - p) * h_f)))
    cohort = table.cohort(60, p)
    np.testing.assert_allclose(cohort.survival(t)[0], expected)
    # the cohort's hazard is the survivor-weighted mix of the sexes' hazards
    s_m, s_f = np.exp(-0.01 * 0.5), np.exp(-0.005 * 0.5)
    h_mix = (p * s_m * 0.01 + (1 - p) * s_f * 0.005) / (p * s_m + (1 - p) * s_f)
    np.testing.assert_allclose(cohort.hazard([0.5])[0], [h_mix])


def test_csv_round_trip_and_errors(table, tmp_path):
    path = tmp_path / "lt.csv"
    table.to_csv(path)
    back = LifeTable.from_csv(path)
    np.testing.assert_allclose(back.rates["male"], MALE)
    pd.DataFrame({"Age": [0, 1], "Male": [0.1, 0.2], "FEMALE": [0.1, 0.1]}).to_csv(path,
                                                                                 index=False)
    assert LifeTable.from_csv(path).ages.tolist() == [0, 1]
    pd.DataFrame({"age": [0, 1], "male": [0.1, 0.2]}).to_csv(path, index=False)
    with pytest.raises(InputError, match="female"):
        LifeTable.from_csv(path)
    pd.DataFrame({"age": [0, 1], "male": [0.1, "x"], "female": [0.1, 0.1]}).to_csv(path,
                                                                                  index=False)
    with pytest.raises(InputError, match="row 3"):
        LifeTable.from_csv(path)
    with pytest.raises(InputError, match="consecutive"):
        LifeTable([0, 2], [0.1, 0.1], [0.1, 0.1])
    with pytest.raises(InputError):
        LifeTable([0, 1], [0.1, -0.1], [0.1, 0.1])


def test_denmark_converter_on_small_file(tmp_path):
    rows = []
    for year in (2011, 2012):
        for sex, base in (("female", 4.0), ("male", 6.0)):
            for age in range(3):
                rows.append({"year": year, "sex": sex, "age": age, "deaths": 1,
                             "person_years": 100.0, "rate_per_1000": base * (age + 1) + year % 2})
    path = tmp_path / "dk.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    lt = lifetable_from_denmark_csv(path, 2012)
    np.testing.assert_allclose(lt.rates["male"], [0.006, 0.012, 0.018])
    np.testing.assert_allclose(lt.rates["female"], [0.004, 0.008, 0.012])
    with pytest.raises(InputError, match="2020"):
        lifetable_from_denmark_csv(path, 2020)


def test_usa_converter_on_small_file(tmp_path):
    path = tmp_path / "us.csv"
    pd.DataFrame({"Year": 2015, "Age": [0, 1, 2], "Female": [0.005, 0.0003, 0.0002],
                  "Male": [0.006, 0.0004, 0.0003], "Total": 0.0}).to_csv(path, index=False)
    lt = lifetable_from_usa_mx_csv(path)
    np.testing.assert_allclose(lt.rates["male"], [0.006, 0.0004, 0.0003])


def test_converters_agree_with_a_tiny_converter_on_the_shipped_files():
    # tests/data/life_tables holds the 2011-2012 rows of the Statistics Denmark file and the
    # whole US 2015 Mx file (tests/data/README.md)
    dk = DATA / "denmark_mortality_2011_2012.csv"
    raw = pd.read_csv(dk)
    sub = raw[raw.year == 2012]
    tiny = sub.pivot(index="age", columns="sex", values="rate_per_1000") / 1000
    lt = lifetable_from_denmark_csv(dk, 2012)
    np.testing.assert_allclose(lt.rates["male"], tiny["male"].to_numpy())
    np.testing.assert_allclose(lt.rates["female"], tiny["female"].to_numpy())
    assert lt.ages[0] == 0 and lt.ages[-1] == 99
    # values read off the file by eye: 2012, age 67, men 17.390554 and women 11.530193 per
    # 1,000 person-years; age 99 (99+) is open-ended, so age 105 gets its rate
    np.testing.assert_allclose(lt.hazard([67.4], "male"), [0.017390554], rtol=1e-12)
    np.testing.assert_allclose(lt.hazard([67.0], "female"), [0.011530193], rtol=1e-12)
    np.testing.assert_allclose(lt.hazard([105.0], "male"), [0.512727273], rtol=1e-12)
    us_path = DATA / "usa_mx_2015.csv"
    us = pd.read_csv(us_path)
    lt_us = lifetable_from_usa_mx_csv(us_path)
    np.testing.assert_allclose(lt_us.hazard([67], "female"), us.loc[us.Age == 67, "Female"])
    np.testing.assert_allclose(lt_us.hazard([67, 109], "male"), [0.018116, 0.671391],
                               rtol=1e-12)


def test_floor_by_hand(table):
    # constant disease hazard 0.025 against piecewise-constant population hazards, grid 0.25
    # aligned with the ages: men 0.025, 0.025, 0.03, 0.05; women always 0.025
    c = with_background_mortality(Exponential(0.025), table, 60, 0.6, "floor", step=0.25)
    t = np.array([1.0, 2.0, 3.0, 4.0])
    h_m = np.array([0.025, 0.05, 0.08, 0.13])
    h_f = 0.025 * t
    np.testing.assert_allclose(c.survival(t)[0], 0.6 * np.exp(-h_m) + 0.4 * np.exp(-h_f),
                               rtol=1e-12)
    np.testing.assert_allclose(c.hazard([3.5])[0], (0.6 * np.exp(-0.105) * 0.05
                                                    + 0.4 * np.exp(-0.0875) * 0.025)
                               / (0.6 * np.exp(-0.105) + 0.4 * np.exp(-0.0875)))


def test_floor_never_above_either_curve(table):
    base = Weibull(np.array([0.6, 1.0, 2.0]), 8.0)
    c = with_background_mortality(base, table, 60.3, 0.79, "floor")
    t = np.linspace(0, 30, 61)
    s = c.survival(t)
    gp = table.survival(60.3, t, 0.79)
    assert s.shape == (3, 61)
    assert np.all(s <= base.survival(t) + 1e-12)
    assert np.all(s <= gp[None, :] + 1e-12)
    # when the disease hazard dominates, the floor is the disease curve
    strong = Exponential(1.0)
    np.testing.assert_allclose(with_background_mortality(strong, table, 60, 0.5).survival(t),
                               strong.survival(t), rtol=1e-12)


def test_additive_and_smr(table):
    base = Weibull(1.3, 5.0)
    t = np.linspace(0, 10, 11)
    add = with_background_mortality(base, table, 61, 0.4, "additive")
    np.testing.assert_allclose(add.survival(t)[0],
                               base.survival(t)[0] * table.survival(61, t, 0.4), rtol=1e-12)
    smr = with_background_mortality(None, table, 61, 0.4, "smr", smr=np.array([1.0, 2.0]))
    s = smr.survival(t)
    np.testing.assert_allclose(s[0], table.survival(61, t, 0.4))
    expected = 0.4 * np.exp(-2 * table.cumhaz(61, t, "male")) + 0.6 * np.exp(
        -2 * table.cumhaz(61, t, "female"))
    np.testing.assert_allclose(s[1], expected)
    with pytest.raises(InputError):
        with_background_mortality(base, table, 61, 0.4, "smr")
    with pytest.raises(InputError):
        with_background_mortality(base, table, 61, 0.4, "maximum")
    with pytest.raises(InputError):
        with_background_mortality(base, table, 61, 1.4)


def test_curves_that_reach_zero_stay_finite(table):
    # a generalised gamma whose survival underflows to 0 (cumulative hazard inf) well within
    # the horizon must give S = 0 and per-cycle probability 1, not NaN
    from hecon.survival import GenGamma, WaningHazardRatio, on_grid, per_cycle_probability

    fast = GenGamma(np.array([0.0, 0.5]), 0.1, 2.0)
    t = np.linspace(0, 40, 41)
    assert np.isinf(fast.cumhaz(t)[0, -1])
    for curve in (with_background_mortality(fast, table, 60, 0.5),
                  with_background_mortality(WaningHazardRatio(fast, 0.7, 1, 3), table, 60, 0.5)):
        s = on_grid(curve, t)
        assert np.all(np.isfinite(s)) and s[0, -1] == 0
        p = per_cycle_probability(s)
        assert np.all(np.isfinite(p)) and p[0, -1] == 1
        alive = s[:, 1:] > 0  # the hazard is undefined (NaN) once everyone has died
        h = curve.hazard(t[1:])
        assert np.all(np.isfinite(h[alive])) and np.all(np.isnan(h[~alive]))
