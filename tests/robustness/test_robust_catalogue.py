"""The catalogue of bad inputs: each case is rejected through the Python API and through the
command line with one error naming the file, row or cell, the parameter and what is wrong.

Categories: probabilities outside [0, 1]; negative costs; utilities above 1; impossible
distribution parameters (beta from an impossible mean/SE, negative beta counts, ci_low above
ci_high, low above high, value outside its range, SE <= 0, bad gamma/uniform/triangular);
Dirichlet groups not summing to 1 or malformed; missing, duplicated, empty and malformed
parameter names; a parameter the model needs but the table lacks; wrong types (text, NaN, inf,
empty cells); wrong units (a percentage for a probability, GBP costs in the Danish model);
malformed CSV (ragged rows, missing/duplicated/misspelt columns, not UTF-8, empty); hostile or
malformed XLSX (formulas where values are expected, external links, a zip bomb, an oversize
file, not a workbook, an empty sheet, text in a number cell); unreadable paths; scenario files
with unknown keys or parameters; a parameter value that makes a transition impossible.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from hecon.cli import main
from hecon.errors import HeconError, InputError
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.model import DangerShockModel

ROOT = Path(__file__).resolve().parents[2]
INPUTS = ROOT / "inputs" / "danger_shock"


def base_table() -> pd.DataFrame:
    """The Danish default parameters as one table of strings (as a user would edit it)."""
    frames = [pd.read_csv(INPUTS / f, dtype=str, keep_default_na=False)
              for f in ("clinical.csv", "resource_use.csv", "utilities.csv", "utility_norms_dk.csv",
                        "costs_dk.csv")]
    return pd.concat(frames, ignore_index=True)


def row_of(df: pd.DataFrame, name: str) -> int:
    """Spreadsheet row number (header is row 1) of a parameter."""
    return int(df.index[df["name"] == name][0]) + 2


@dataclass
class Case:
    id: str
    build: Callable[[Path], Path]
    expect: tuple[str, ...]
    model_error: bool = False  # rejected while running the model, not while reading


def csv_case(edit: Callable[[pd.DataFrame], pd.DataFrame], fname: str = "params.csv"):
    def build(tmp: Path) -> Path:
        path = tmp / fname
        edit(base_table()).to_csv(path, index=False)
        return path
    return build


def set_cell(param: str, **cols: str):
    def edit(df: pd.DataFrame) -> pd.DataFrame:
        i = df.index[df["name"] == param][0]
        for c, v in cols.items():
            df.loc[i, c] = v
        return df
    return edit


def expect(name: str, *words: str) -> tuple[str, ...]:
    df = base_table()
    return ("params.csv", f"row {row_of(df, name)}", f"parameter '{name}'", *words)


def add_rows(rows: list[dict]):
    def edit(df: pd.DataFrame) -> pd.DataFrame:
        extra = pd.DataFrame([{**{c: "" for c in df.columns}, **r} for r in rows])
        return pd.concat([df, extra], ignore_index=True)
    return edit


def drop(name: str):
    return lambda df: df[df["name"] != name].reset_index(drop=True)


def text_case(content: bytes, fname: str):
    def build(tmp: Path) -> Path:
        path = tmp / fname
        path.write_bytes(content)
        return path
    return build


def xlsx_case(edit: Callable[[list[list]], list[list]] | None = None,
              fname: str = "params.xlsx", post: Callable[[Path], None] | None = None):
    def build(tmp: Path) -> Path:
        df = base_table()
        rows = [list(df.columns)] + [
            [_typed(c, v) for c, v in zip(df.columns, r, strict=True)]
            for r in df.itertuples(index=False)]
        if edit:
            rows = edit(rows)
        wb = Workbook()
        for r in rows:
            wb.active.append(r)
        path = tmp / fname
        wb.save(path)
        if post:
            post(path)
        return path
    return build


def _typed(col: str, v: str):
    if v == "":
        return None
    try:
        return float(v) if col not in ("name", "unit", "distribution", "source", "group",
                                       "description") else v
    except ValueError:
        return v


def xlsx_set(name: str, col: str, value):
    def edit(rows: list[list]) -> list[list]:
        header = rows[0]
        for r in rows[1:]:
            if r[0] == name:
                r[header.index(col)] = value
        return rows
    return edit


def add_external_link(path: Path) -> None:
    buf = io.BytesIO(path.read_bytes())
    with zipfile.ZipFile(buf, "a") as z:
        z.writestr("xl/externalLinks/externalLink1.xml", "<externalLink/>")
    path.write_bytes(buf.getvalue())


def zip_bomb(tmp: Path) -> Path:
    path = tmp / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (210 * 2**20))
    return path


def oversize(tmp: Path) -> Path:
    path = tmp / "huge.xlsx"
    with open(path, "wb") as f:
        f.seek(21 * 2**20)
        f.write(b"\0")
    return path


def folder_with_bad_file(tmp: Path) -> Path:
    folder = tmp / "tables"
    folder.mkdir()
    df = base_table()
    df.iloc[:20].to_csv(folder / "a_clinical.csv", index=False)
    bad = df.iloc[20:].copy()
    bad.loc[bad["name"] == "c_icu_day", "value"] = "lots"
    bad.to_csv(folder / "b_costs.csv", index=False)
    return folder


def directory_named_csv(tmp: Path) -> Path:
    path = tmp / "params.csv"
    path.mkdir()
    return path


DIRICHLET = [
    {"name": "d_a", "value": "0.5", "unit": "proportion", "distribution": "dirichlet",
     "alpha": "5", "group": "g", "source": "test"},
    {"name": "d_b", "value": "0.6", "unit": "proportion", "distribution": "dirichlet",
     "alpha": "6", "group": "g", "source": "test"},
]

CASES = [
    Case("probability above 1", csv_case(set_cell("p_death_180_soc", value="1.2")),
         expect("p_death_180_soc", "[0, 1]")),
    Case("probability below 0", csv_case(set_cell("p_rrt_soc", value="-0.1")),
         expect("p_rrt_soc", "[0, 1]")),
    Case("negative cost", csv_case(set_cell("c_icu_day", value="-5")),
         expect("c_icu_day", "cannot be negative")),
    Case("utility above 1", csv_case(set_cell("u_dialysis", value="1.1")),
         expect("u_dialysis", "cannot exceed 1")),
    Case("beta SE too large for its mean", csv_case(set_cell("u_acute", se="0.6")),
         expect("u_acute", "se")),
    Case("beta with a negative count", csv_case(set_cell("p_death_180_impella", alpha="-1")),
         expect("p_death_180_impella", "alpha")),
    Case("ci_low above ci_high", csv_case(set_cell("c_icu_day", se="", ci_low="9000",
                                                   ci_high="1000")),
         expect("c_icu_day", "above ci_high")),
    Case("one-way low above high", csv_case(set_cell("c_device", low="300000", high="100000")),
         expect("c_device", "above high")),
    Case("value outside its one-way range", csv_case(set_cell("c_device", low="200000",
                                                              high="300000")),
         expect("c_device", "outside its range")),
    Case("only one confidence bound", csv_case(set_cell("c_icu_day", se="", ci_low="1000")),
         expect("c_icu_day", "both ci_low and ci_high")),
    Case("standard error zero", csv_case(set_cell("c_implant", se="0")),
         expect("c_implant", "must be > 0")),
    Case("gamma with negative shape", csv_case(set_cell("c_ward_day", se="", shape="-1",
                                                        scale="1")),
         expect("c_ward_day", "shape")),
    Case("misspelt distribution", csv_case(set_cell("p_rrt_soc", distribution="betta")),
         expect("p_rrt_soc", "did you mean 'beta'")),
    Case("normal without SE", csv_case(set_cell("c_device", distribution="normal", se="")),
         expect("c_device", "normal needs se")),
    Case("uniform with min above max", csv_case(set_cell("c_implant", distribution="uniform",
                                                         se="", min="20000", max="10000")),
         expect("c_implant")),
    Case("triangular mode outside", csv_case(set_cell("c_implant", distribution="triangular",
                                                      se="", min="1000", max="2000")),
         expect("c_implant")),
    Case("dirichlet group not summing to 1", csv_case(add_rows(DIRICHLET)),
         ("params.csv", "'g'", "sum")),
    Case("dirichlet without a group", csv_case(add_rows([{**DIRICHLET[0], "group": ""}])),
         ("params.csv", "parameter 'd_a'", "needs a group")),
    Case("group on a beta parameter", csv_case(set_cell("p_rrt_soc", group="g")),
         expect("p_rrt_soc", "only for dirichlet")),
    Case("parameter missing", csv_case(drop("c_device")),
         ("parameter 'c_device'", "does not define it", "params.csv")),
    Case("parameter duplicated", csv_case(lambda df: pd.concat(
        [df, df[df["name"] == "c_device"]], ignore_index=True)),
         ("params.csv", "c_device", "duplicate")),
    Case("empty name", csv_case(set_cell("c_device", name="")),
         ("params.csv", f"row {row_of(base_table(), 'c_device')}", "name is empty")),
    Case("malformed name", csv_case(set_cell("c_device", name="1device")),
         ("params.csv", "'1device'", "must start with a letter")),
    Case("text in a number cell", csv_case(set_cell("c_device", value="150.000 kr")),
         expect("c_device", "not a number")),
    Case("NaN value", csv_case(set_cell("c_device", value="nan")),
         expect("c_device", "finite number")),
    Case("infinite value", csv_case(set_cell("c_device", value="inf")),
         expect("c_device", "finite number")),
    Case("empty value", csv_case(set_cell("c_device", value="")),
         expect("c_device", "value is empty")),
    Case("empty unit", csv_case(set_cell("c_device", unit="")),
         expect("c_device", "unit is empty")),
    Case("empty source", csv_case(set_cell("c_device", source="")),
         expect("c_device", "source is empty")),
    Case("probability as a percentage", csv_case(set_cell(
        "p_dialysis_dependent", unit="percent", value="12", low="5", high="24", se="",
        alpha="12", beta="88", distribution="fixed")),
         expect("p_dialysis_dependent", "unit 'percent'", "'probability'")),
    Case("costs in the wrong currency", csv_case(set_cell("c_icu_day", unit="GBP 2024")),
         expect("c_icu_day", "not what the model expects", "DKK")),
    Case("missing column", csv_case(lambda df: df.drop(columns=["unit"])),
         ("params.csv", "row 1", "missing column", "unit")),
    Case("duplicated column", csv_case(lambda df: pd.concat([df, df[["low"]]], axis=1)),
         ("params.csv", "row 1", "duplicated column", "low")),
    Case("misspelt column", csv_case(lambda df: df.rename(columns={"source": "sauce"})),
         ("params.csv", "row 1", "sauce")),
    Case("ragged CSV row", text_case(
        b"name,value,unit,distribution,source\nc_device,1,DKK 2024,fixed,x,extra,cells\n",
        "params.csv"), ("params.csv", "row 2", "cells but the header")),
    Case("not UTF-8", text_case(b"\xff\xfe\x00\x01binary\x00", "params.csv"),
         ("params.csv", "UTF-8")),
    Case("empty file", text_case(b"", "params.csv"), ("params.csv", "empty")),
    Case("wrong file type", text_case(b"name,value\n", "params.txt"),
         ("params.txt", ".csv or .xlsx")),
    Case("path does not exist", lambda tmp: tmp / "nowhere.csv",
         ("nowhere.csv", "not found")),
    Case("a directory where a file is expected", directory_named_csv,
         ("params.csv",)),
    Case("folder with one bad table", folder_with_bad_file,
         ("b_costs.csv", "parameter 'c_icu_day'", "not a number")),
    Case("XLSX formula where a value is expected",
         xlsx_case(xlsx_set("c_device", "value", "=100000*1.5")),
         ("params.xlsx", "c_device", "formula")),
    Case("XLSX external link", xlsx_case(post=add_external_link),
         ("params.xlsx", "external links")),
    Case("XLSX zip bomb", zip_bomb, ("bomb.xlsx", "unpacks to")),
    Case("XLSX over the size limit", oversize, ("huge.xlsx", "larger than 20 MiB")),
    Case("XLSX that is not a workbook", text_case(b"name,value\n1,2\n", "params.xlsx"),
         ("params.xlsx", "not a readable XLSX")),
    Case("XLSX with an empty first sheet", xlsx_case(lambda rows: []),
         ("params.xlsx", "empty")),
    Case("XLSX text in a number cell", xlsx_case(xlsx_set("c_icu_day", "value", "ten")),
         ("params.xlsx", "parameter 'c_icu_day'", "not a number")),
    Case("XLSX probability above 1", xlsx_case(xlsx_set("p_death_180_soc", "value", 1.5)),
         ("params.xlsx", "parameter 'p_death_180_soc'", "[0, 1]")),
    Case("negative excess mortality is refused where it is read",
         csv_case(set_cell("smr_after_year1", value="-1", distribution="fixed", se="",
                           low="", high="")),
         ("row 18", "smr_after_year1", "cannot be negative", "rate ratio")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_api_rejects(case, tmp_path):
    path = case.build(tmp_path)
    err = HeconError if case.model_error else InputError
    with pytest.raises(err) as info:
        DangerShockModel.build(ModelConfig(country="dk"), parameters=path).base_case()
    for word in case.expect:
        assert word in str(info.value), (word, str(info.value))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_cli_rejects_with_one_line(case, tmp_path, capsys):
    path = case.build(tmp_path)
    out = tmp_path / "out"
    rc = main(["run", "--inputs", str(path), "--country", "dk", "--analyses", "base",
               "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("hecon: error: ")
    assert "Traceback" not in err
    for word in case.expect:
        assert word in lines[0], (word, lines[0])
    assert not out.exists()


def test_catalogue_is_large_enough():
    assert len(CASES) >= 40


def scenario_file(tmp: Path, text: str) -> Path:
    p = tmp / "my_scenario.yaml"
    p.write_text(text)
    return p


@pytest.mark.parametrize("text, words", [
    ("description: d\nsettings:\n  horizn_years: 5\n",
     ("my_scenario.yaml", "horizn_years", "did you mean 'horizon_years'")),
    ("description: d\nparameters:\n  c_devise: {value: 1}\n",
     ("c_devise", "did you mean 'c_device'")),
    ("description: d\nsettings:\n  country: fr\n", ("country", "fr")),
    ("description: [unclosed\n", ("my_scenario.yaml",)),
])
def test_bad_scenarios_api_and_cli(tmp_path, capsys, text, words):
    from hecon.models.danger_shock.runner import run_base

    path = scenario_file(tmp_path, text)
    with pytest.raises(HeconError) as info:
        run_base(["dk"], str(path), out=str(tmp_path / "api"))
    for w in words:
        assert w in str(info.value)
    rc = main(["run", "--scenario", str(path), "--analyses", "base", "--out",
               str(tmp_path / "cli")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and all(w in err[0] for w in words), err
    assert not (tmp_path / "cli").exists()
