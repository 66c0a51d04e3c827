"""Parameter table: distributions against hand calculations, CSV/XLSX reading, bad inputs."""

import math

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook
from scipy import stats

from hecon.distributions import (
    beta_from_mean_se,
    gamma_from_mean_se,
    lognormal_from_ci,
    lognormal_from_mean_se,
)
from hecon.errors import InputError
from hecon.parameters import ParameterTable

HEADER = "name,value,unit,distribution,alpha,beta,se,ci_low,ci_high,min,max,group,low,high,source"
GOOD = [
    "p_death,0.458,probability,beta,82,97,,,,,,,,,Moller 2024",
    "hr,0.74,hazard ratio,lognormal,,,,0.55,0.99,,,,,,Moller 2024",
    "c_icu,10000,DKK 2023,gamma,,,2000,,,,,,,,assumption",
    "age,67,years,fixed,,,,,,,,,60,75,Moller 2024",
    "u,0.8,utility,uniform,,,,,,0.7,0.9,,,,Gencer 2016",
    "d_a,0.5,proportion,dirichlet,50,,,,,,,g,,,made up",
    "d_b,0.3,proportion,dirichlet,30,,,,,,,g,,,made up",
    "d_c,0.2,proportion,dirichlet,20,,,,,,,g,,,made up",
]


def write_csv(tmp_path, rows, header=HEADER, name="p.csv"):
    f = tmp_path / name
    f.write_text("\n".join([header, *rows]) + "\n")
    return f


def test_method_of_moments_by_hand():
    b = beta_from_mean_se(0.3, 0.05)
    k = 0.3 * 0.7 / 0.05**2 - 1  # alpha + beta
    assert b.p["alpha"] == pytest.approx(0.3 * k) and b.p["beta"] == pytest.approx(0.7 * k)
    sb = stats.beta(b.p["alpha"], b.p["beta"])
    assert sb.mean() == pytest.approx(0.3) and sb.std() == pytest.approx(0.05)
    g = stats.gamma(gamma_from_mean_se(1000, 250).p["shape"],
                    scale=gamma_from_mean_se(1000, 250).p["scale"])
    assert g.mean() == pytest.approx(1000) and g.std() == pytest.approx(250)
    ln = lognormal_from_mean_se(2.0, 0.5).p
    sl = stats.lognorm(ln["sdlog"], scale=math.exp(ln["meanlog"]))
    assert sl.mean() == pytest.approx(2.0) and sl.std() == pytest.approx(0.5)
    ci = lognormal_from_ci(0.74, 0.55, 0.99)
    # 2.5% and 97.5% quantiles: 0.74 x (0.99/0.55)^(-/+ 1/2) (log-symmetric about 0.74)
    assert ci.quantile(0.025) == pytest.approx(0.74 / math.sqrt(0.99 / 0.55), rel=1e-9)
    assert ci.quantile(0.975) == pytest.approx(0.74 * math.sqrt(0.99 / 0.55), rel=1e-9)
    assert math.exp(ci.p["meanlog"]) == pytest.approx(0.74)
    assert ci.p["sdlog"] == pytest.approx((math.log(0.99) - math.log(0.55)) / 3.919927969)


def test_read_csv_and_xlsx_identical(tmp_path):
    t1 = ParameterTable.read(write_csv(tmp_path, GOOD))
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    for r in GOOD:
        ws.append([None if c == "" else (float(c) if c.replace(".", "").isdigit() else c)
                   for c in r.split(",")])
    wb.save(tmp_path / "p.xlsx")
    t2 = ParameterTable.read(tmp_path / "p.xlsx")
    pd.testing.assert_frame_equal(t1.to_frame().drop(columns="file"),
                                  t2.to_frame().drop(columns="file"))
    p = t1["p_death"]
    assert p.dist.mean() == pytest.approx(82 / 179)
    assert t1["age"].one_way_range() == (60, 75)
    assert t1.uncertain_names == ["p_death", "hr", "c_icu", "u", "d_a", "d_b", "d_c"]
    assert t1["hr"].one_way_range()[0] == pytest.approx(stats.lognorm(
        t1["hr"].dist.p["sdlog"], scale=0.74).ppf(0.025))


BAD = [
    ("p_death,1.2,probability,beta,82,97,,,,,,,,,src", 2, "p_death", r"\[0, 1\]"),
    ("p,0.5,probability,beta,,,0.6,,,,,,,,src", 2, "p", "too large"),
    ("p,0.5,probability,beta,,,,,,,,,,,src", 2, "p", "needs alpha and beta"),
    ("hr,0.74,hazard ratio,lognormal,,,,0.99,0.55,,,,,,src", 2, "hr", "above ci_high"),
    ("c,abc,DKK 2023,gamma,,,10,,,,,,,,src", 2, "c", "not a number"),
    ("c,,DKK 2023,gamma,,,10,,,,,,,,src", 2, "c", "value is empty"),
    ("c,-5,DKK 2023,fixed,,,,,,,,,,,src", 2, "c", "cost; it cannot be negative"),
    ("u,1.2,utility,fixed,,,,,,,,,,,src", 2, "u", "cannot exceed 1"),
    ("x,1,years,gama,,,,,,,,,,,src", 2, "x", "did you mean 'gamma'"),
    ("x,1,years,fixed,,,,,,,,,,,", 2, "x", "source is empty"),
    ("x,1,,fixed,,,,,,,,,,,src", 2, "x", "unit is empty"),
    ("1x,1,years,fixed,,,,,,,,,,,src", 2, "1x", "must start with a letter"),
    ("x,5,years,uniform,,,,,,6,4,,,,src", 2, "x", "min < max"),
    ("x,5,years,fixed,,,,,,,,,7,3,src", 2, "x", "low 7 is above high 3"),
    ("x,5,years,fixed,,,,,,,,,6,8,src", 2, "x", "outside its range"),
    ("x,nan,years,fixed,,,,,,,,,,,src", 2, "x", "finite"),
    ("x,inf,years,fixed,,,,,,,,,,,src", 2, "x", "finite"),
    ("x,=A1*2,years,fixed,,,,,,,,,,,src", 2, "x", "formula"),
    ("c,-10,years,gamma,,,5,,,,,,,,src", 2, "c", "must be > 0"),
    ("x,5,years,normal,,,-1,,,,,,,,src", 2, "x", "must be > 0"),
    ("d,0.5,proportion,dirichlet,,,,,,,,g,,,src", 2, "d", "alpha > 0"),
    ("x,0.5,proportion,beta,5,5,,,,,,g,,,src", 2, "x", "group is only for dirichlet"),
    # a standard error whose square underflows (found by the fuzzer: it raised
    # ZeroDivisionError / OverflowError instead of naming the row)
    ("p,0.5,proportion,beta,,,1.2695188729153068e-192,,,,,,,,src", 2, "p", "too small"),
    ("c,1,GBP 2024,gamma,,,1.2695188729153068e-192,,,,,,,,src", 2, "c", "too small"),
    ("h,1e-200,rate per year,lognormal,,,1e200,,,,,,,,src", 2, "h", "finite"),
]


@pytest.mark.parametrize("row, rownum, name, pattern", BAD)
def test_bad_rows_name_file_row_parameter(tmp_path, row, rownum, name, pattern):
    f = write_csv(tmp_path, ["ok,1,years,fixed,,,,,,,,,,,src", row])
    with pytest.raises(InputError, match=pattern) as exc:
        ParameterTable.read(f)
    e = exc.value
    assert e.file == str(f) and e.row == rownum + 1 and e.parameter == name
    assert str(f) in str(e) and f"row {rownum + 1}" in str(e) and name in str(e)


@pytest.mark.parametrize(
    "rows, pattern",
    [
        (["a,1,years,fixed,,,,,,,,,,,src", "a,2,years,fixed,,,,,,,,,,,src"], "duplicated name"),
        (["d_a,0.5,proportion,dirichlet,5,,,,,,,g,,,s",
          "d_b,0.4,proportion,dirichlet,4,,,,,,,g,,,s"], "sum to 0.9"),
        (["d_a,1,proportion,dirichlet,5,,,,,,,g,,,s"], "only one member"),
    ],
)
def test_table_level_errors(tmp_path, rows, pattern):
    with pytest.raises(InputError, match=pattern):
        ParameterTable.read(write_csv(tmp_path, rows))


def test_file_level_errors(tmp_path):
    with pytest.raises(InputError, match="missing column"):
        ParameterTable.read(write_csv(tmp_path, ["a,1"], header="name,value"))
    with pytest.raises(InputError, match="did you mean 'source'"):
        ParameterTable.read(write_csv(tmp_path, ["a,1,y,fixed,s"],
                                      header="name,value,unit,distribution,source,sorce"))
    with pytest.raises(InputError, match="not found"):
        ParameterTable.read(tmp_path / "none.csv")
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(InputError, match=".csv or .xlsx"):
        ParameterTable.read(tmp_path / "x.txt")
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable XLSX"):
        ParameterTable.read(tmp_path / "bad.xlsx")


def test_with_values_and_unknown_name():
    t = ParameterTable.from_frame(pd.DataFrame([
        {"name": "a", "value": 1.0, "unit": "years", "distribution": "fixed", "source": "s"}]))
    assert t.with_values({"a": 2.0})["a"].value == 2.0
    with pytest.raises(InputError, match="did you mean 'a'"):
        t.with_values({"aa": 2.0})
    assert np.isclose(t.base_values()["a"], 1.0)
