"""Life tables from age bands of probabilities (qx) or rates (mx), one sex or both: hand
calculations of the conversions and of cohort survival."""

import numpy as np
import pytest

from hecon.errors import InputError
from hecon.survival import Exponential, LifeTable, with_background_mortality


def test_rates_by_band_expand_to_single_years():
    lt = LifeTable.from_bands([40, 45, 50], male=[0.002, 0.004, 0.01],
                              female=[0.001, 0.002, 0.005], kind="mx")
    assert (lt.ages[0], lt.ages[-1]) == (40, 50)
    np.testing.assert_allclose(lt.hazard([40, 44.9, 45, 49, 50, 80], "male"),
                               [0.002, 0.002, 0.004, 0.004, 0.01, 0.01])
    # from 43 for 4 years: 2 years at 0.002 then 2 at 0.004
    assert lt.survival(43, [4], 1.0)[0] == pytest.approx(np.exp(-(2 * 0.002 + 2 * 0.004)))
    p = 0.6
    hand = p * np.exp(-(2 * 0.002 + 2 * 0.004)) + (1 - p) * np.exp(-(2 * 0.001 + 2 * 0.002))
    assert lt.survival(43, [4], p)[0] == pytest.approx(hand, rel=1e-14)


def test_single_year_bands_of_rates_equal_the_direct_table():
    male, female = [0.01, 0.02, 0.03], [0.005, 0.01, 0.02]
    a = LifeTable.from_bands([60, 61, 62], male=male, female=female, kind="mx")
    b = LifeTable([60, 61, 62], male, female)
    np.testing.assert_array_equal(a.to_frame().to_numpy(), b.to_frame().to_numpy())


def test_annual_probabilities_convert_to_hazards():
    lt = LifeTable.from_bands([0, 10], [0.1, 0.3], kind="qx")  # sex-neutral
    np.testing.assert_allclose(lt.hazard([3, 12], "female"), [-np.log(0.9), -np.log(0.7)])
    # three years inside the first band: survival 0.9^3; across the boundary 0.9^2 x 0.7
    assert lt.survival(2, [3], 0.5)[0] == pytest.approx(0.9 ** 3, rel=1e-14)
    assert lt.survival(8, [3], 0.5)[0] == pytest.approx(0.9 ** 2 * 0.7, rel=1e-14)


def test_band_probabilities_over_the_band_width():
    # 5-year probability 0.2: survival across the whole band is 0.8, hazard -ln(0.8)/5
    lt = LifeTable.from_bands([60, 65], male=[0.2, 0.5], female=[0.1, 0.4], kind="qx",
                              period="band", last_width=10)
    assert lt.survival(60, [5], 1.0)[0] == pytest.approx(0.8, rel=1e-14)
    assert lt.survival(60, [5], 0.0)[0] == pytest.approx(0.9, rel=1e-14)
    assert lt.hazard([66], "male")[0] == pytest.approx(-np.log(0.5) / 10, rel=1e-14)
    assert lt.survival(65, [10], 1.0)[0] == pytest.approx(0.5, rel=1e-14)
    with pytest.raises(InputError, match="period='band' needs last_width="):
        LifeTable.from_bands([60, 65], male=[0.2, 0.5], kind="qx", period="band")


def test_sex_neutral_table_ignores_the_male_share():
    lt = LifeTable([70, 71], both=[0.05, 0.08])
    assert lt.sex_neutral and lt.sexes == ("male", "female")
    s = [lt.survival(70, [2], p)[0] for p in (0.0, 0.3, 1.0)]
    np.testing.assert_allclose(s, np.exp(-0.13), rtol=1e-14)
    assert list(lt.to_frame().columns) == ["age", "both"]


def test_one_sex_table_for_a_cohort_of_that_sex():
    lt = LifeTable.from_bands([50, 60], female=[0.01, 0.02], kind="mx")
    assert lt.sexes == ("female",)
    assert lt.survival(58, [4], 0.0)[0] == pytest.approx(np.exp(-(2 * 0.01 + 2 * 0.02)))
    with pytest.raises(InputError, match=r"this life table has female hazards only: use it for "
                       r"a cohort of women \(male share 0\), or add male hazards"):
        lt.survival(58, [4], 0.5)
    with pytest.raises(InputError, match="female hazards only"):
        lt.hazard([55], "male")
    with pytest.raises(InputError, match="female hazards only"):
        with_background_mortality(Exponential(0.1), lt, 55, 0.2, method="additive")
    # additive with an exponential disease hazard: exp(-(0.1 t + H_gp(t)))
    bm = with_background_mortality(Exponential(0.1), lt, 58, 0.0, method="additive")
    np.testing.assert_allclose(bm.survival([4])[0], np.exp(-(0.4 + 2 * 0.01 + 2 * 0.02)),
                               rtol=1e-12)
    np.testing.assert_allclose(bm.hazard([1.0, 2.5])[0], [0.11, 0.12], rtol=1e-12)


def test_bad_bands_are_named():
    with pytest.raises(InputError, match=r"parameter 'male': band from age 45: 1\.0 is not a "
                       r"probability in \[0, 1\)"):
        LifeTable.from_bands([40, 45], male=[0.1, 1.0], kind="qx")
    with pytest.raises(InputError, match=r"parameter 'both': band from age 40: -0\.1 is not a "
                       "rate >= 0"):
        LifeTable.from_bands([40, 45], [-0.1, 0.1], kind="mx")
    with pytest.raises(InputError, match="band lower ages must be whole years, increasing"):
        LifeTable.from_bands([45, 40], [0.1, 0.1], kind="mx")
    with pytest.raises(InputError, match="3 values for 2 bands"):
        LifeTable.from_bands([40, 45], male=[0.1, 0.1, 0.1], kind="mx")
    with pytest.raises(InputError, match="kind must be 'qx'"):
        LifeTable.from_bands([40], [0.1], kind="rate")
    with pytest.raises(InputError, match="give either values"):
        LifeTable.from_bands([40], [0.1], male=[0.1], kind="mx")
    with pytest.raises(InputError, match="no hazards given"):
        LifeTable([40, 41])
