"""Tests that kill mutants of the flagship model which survived `make mutation`
(docs/testing.md lists each mutant and the test here that now kills it). Every expected number
is worked out by hand in the test."""

import numpy as np
import pandas as pd
import pytest

from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.model import DangerShockModel


@pytest.fixture(scope="module")
def built():
    return {s: DangerShockModel.build(ModelConfig(structure=s)) for s in ("hybrid", "psm")}


def test_horizon_cycles_by_hand(built):
    # model.py `horizon_cycles`: monthly cycles (30.4375 days = 1/12 year) to age 100.
    # Hybrid: the long-term Markov starts after the 180-day acute phase:
    #   age 67: (100 - 67 - 180/365.25) x 12 = 33 x 12 - 5.9138 = 390.086 -> 390
    #   age 60: 40 x 12 - 5.9138 = 474.086 -> 474;  age 99: 12 - 5.9138 = 6.086 -> 6
    #   age 99.6: 4.8 - 5.9138 < 0 -> 0 (no long-term cycle)
    # Partitioned survival: from randomisation, no acute phase:
    #   age 67: 33 x 12 = 396; age 60: 480; age 99.99: 0.12 -> 0, at least 1 cycle -> 1
    ages = np.array([67.0, 60.0, 99.0, 99.6])
    assert built["hybrid"].horizon_cycles(ages).tolist() == [390, 474, 6, 0]
    assert built["psm"].horizon_cycles(np.array([67.0, 60.0, 99.99])).tolist() == [396, 480, 1]


def test_horizon_cycles_follow_the_cycle_length():
    # a 365.25-day cycle is one year: hybrid at 67 -> 33 - 0.4928 = 32.507 -> 33 cycles;
    # a 73.05-day cycle is 1/5 year: 32.507 x 5 = 162.54 -> 163; psm: 33 x 5 = 165
    year = DangerShockModel.build(ModelConfig(cycle_days=365.25))
    assert year.horizon_cycles(np.array([67.0])).tolist() == [33]
    fifth = DangerShockModel.build(ModelConfig(cycle_days=73.05))
    assert fifth.horizon_cycles(np.array([67.0])).tolist() == [163]
    fifth_psm = DangerShockModel.build(ModelConfig(cycle_days=73.05, structure="psm"))
    assert fifth_psm.horizon_cycles(np.array([67.0])).tolist() == [165]


def test_oldest_start_age_by_hand(built):
    # model.py `_check_ages`: the acute phase (hybrid) and one monthly cycle must fit before
    # age 100. Hybrid: at most 100 - 1/12 - 180/365.25 = 100 - 0.08333 - 0.49281 = 99.4239;
    # partitioned survival: at most 100 - 1/12 = 99.9167.
    from hecon.design import Design
    from hecon.errors import InputError

    for structure, ok, bad, top in (("hybrid", 99.42, 99.43, "99.42"),
                                    ("psm", 99.91, 99.92, "99.92")):
        m = built[structure]
        d = Design.from_frame(pd.DataFrame({"age": [ok]}), m.table)
        m.prepare(d)  # no error just below the limit
        d = Design.from_frame(pd.DataFrame({"age": [bad]}), m.table)
        with pytest.raises(InputError, match=f"at most {top}"):
            m.prepare(d)


def test_missing_parameters_are_named_by_hand():
    # model.py `check_names`: the first missing name is the error's parameter; the others are
    # listed only when there are others
    from pathlib import Path

    from hecon.errors import InputError
    from hecon.models.danger_shock.model import check_names
    from hecon.parameters import ParameterTable

    def table(names):
        return ParameterTable.from_frame(pd.DataFrame(
            [dict(name=n, value=1.0, unit="count", distribution="fixed", source="test")
             for n in names]))

    default = table(["a", "b", "c"])
    with pytest.raises(InputError) as err:
        check_names(table(["a", "b"]), default, Path("mine.csv"))
    assert err.value.parameter == "c" and "more" not in str(err.value)
    with pytest.raises(InputError) as err:
        check_names(table(["a"]), default, Path("mine.csv"))
    assert err.value.parameter == "b" and "(nor 1 more: c)" in str(err.value)
