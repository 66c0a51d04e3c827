"""The live Excel formula model equals the Python engine, before and after inputs change.

The workbook is recalculated by LibreOffice headless (``.ci/run`` installs it); every result
name is compared with the engine to 1e-6 relative. Changing an input in the workbook and
recalculating gives the same answer as the engine run on the same workbook read back as a
parameter table (``hecon run --inputs hecon_model.xlsx``).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from hecon.engine import DiscountSchedule
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.excel_model import (
    ARM_KEYS,
    build_excel_model,
    excel_model_workbook,
)
from hecon.models.danger_shock.model import DangerShockModel
from hecon.models.danger_shock.report import summarise
from hecon.parameters import ParameterTable

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_lo = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed "
                              "(.ci/run installs it)")
COUNTRIES = ("dk", "uk")


def _models(**kw) -> dict[str, DangerShockModel]:
    return {c: DangerShockModel.build(ModelConfig(country=c), **kw) for c in COUNTRIES}


def _recalc(files: list[Path], out: Path) -> list[Path]:
    """Recalculate workbooks in LibreOffice headless (one call); the recalculated copies."""
    out.mkdir(exist_ok=True)
    subprocess.run([SOFFICE, "--headless", "--calc", "--convert-to", "xlsx", "--outdir",
                    str(out), *map(str, files)], check=True, capture_output=True, timeout=300)
    return [out / f.name for f in files]


def _names(path: Path) -> dict[str, float]:
    """Every single-cell defined name of a recalculated workbook with its value."""
    wb = load_workbook(path, data_only=True)
    out = {}
    for name, dn in wb.defined_names.items():
        for sheet, ref in dn.destinations:
            if ":" not in ref:
                out[name] = wb[sheet][ref.replace("$", "")].value
    return out


def _python(model: DangerShockModel) -> dict[str, float]:
    s = summarise(model, model.base_case())
    inc = s["incremental"]
    out = {"inc_cost": inc["inc_cost"], "inc_qalys": inc["inc_qalys"],
           "inc_life_years": inc["inc_life_years"], "icer": inc["icer"],
           "threshold_price": inc["threshold_device_price"][f"{model.country.wtp[0]:g}"]}
    for arm, label in ARM_KEYS.items():
        for k in ("cost", "qalys", "life_years"):
            out[f"{arm}_{k}"] = s["strategies"][label][k]
    return out


def _set(path: Path, changes: dict[str, float], out: Path) -> Path:
    """A copy of the workbook with defined-name input cells changed."""
    wb = load_workbook(path)
    for name, value in changes.items():
        ((sheet, ref),) = wb.defined_names[name].destinations
        wb[sheet][ref.replace("$", "")] = value
    wb.save(out)
    return out


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("excel") / "hecon_model.xlsx"
    return build_excel_model(path, _models())


def test_written_as_openpyxl_writes_it(written, tmp_path):
    """The model is saved with hecon.report.xlsx_writer.save_workbook: the same file, part by
    part and byte for byte (but creation and modification times), as openpyxl's
    Workbook.save writes for the same workbook."""
    stamp = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:(created|modified)>")

    def parts(path: Path) -> dict[str, bytes]:
        with zipfile.ZipFile(path) as z:
            out = {n: z.read(n) for n in z.namelist()}
        out["docProps/core.xml"] = stamp.sub(b"", out["docProps/core.xml"])
        return out

    excel_model_workbook(_models()).save(tmp_path / "openpyxl.xlsx")
    a, b = parts(tmp_path / "openpyxl.xlsx"), parts(written)
    assert list(a) == list(b)
    assert [n for n in a if a[n] != b[n]] == []
    assert sum(n.startswith("xl/worksheets/sheet") for n in a) == 16


def test_structure_names_and_no_macros(written):
    with zipfile.ZipFile(written) as z:
        parts = z.namelist()
    assert not any("vbaProject" in p or p.startswith("xl/externalLinks") for p in parts)
    wb = load_workbook(written)
    assert wb.sheetnames[:4] == ["Read me", "Inputs", "Results", "Settings"]
    for c, model in _models().items():
        for p in model.table:
            assert f"{c}_{p.name}" in wb.defined_names
        for arm in ARM_KEYS:
            for k in ("cost", "qalys", "life_years"):
                assert f"{c}_{arm}_{k}" in wb.defined_names
        for k in ("inc_cost", "inc_qalys", "icer", "threshold_price", "disc_rate_1",
                  "cycle_years", "weight_start"):
            assert f"{c}_{k}" in wb.defined_names


def test_one_formula_pattern_per_column(written):
    """Below its first row, every column of a trace sheet is one formula with the row number
    shifted (what an assessor checks by dragging a formula down)."""
    wb = load_workbook(written)
    ws = wb["dk impella men"]
    for col in range(1, ws.max_column + 1):
        shapes = set()
        for r in range(9, ws.max_row + 1):
            f = ws.cell(r, col).value
            assert isinstance(f, str) and f.startswith("="), (col, r, f)
            shapes.add(re.sub(r"(?<=[A-Z])\d+", "#", f.replace(str(r - 1), "P").replace(
                str(r), "R")))
        assert len(shapes) == 1, (col, sorted(shapes)[:3])


def test_inputs_sheet_reads_back_as_the_same_parameter_table(written):
    for c, model in _models().items():
        back = ParameterTable.read(written, country=c)
        assert back.names == model.table.names
        for p in model.table:
            q = back[p.name]
            assert q.value == pytest.approx(p.value, rel=1e-12)
            assert q.dist.kind == p.dist.kind and q.group == p.group
            for k, v in p.dist.p.items():
                assert q.dist.p[k] == pytest.approx(v, rel=1e-12), (p.name, k)
            assert q.one_way_range() == pytest.approx(p.one_way_range()) if p.one_way_range() \
                else q.one_way_range() is None


@needs_lo
def test_recalculated_workbook_equals_python_and_follows_changes(written, tmp_path):
    dk_price = _set(written, {"dk_c_device": 100_000.0}, tmp_path / "price.xlsx")
    # a different 180-day mortality in standard care: value and beta counts together
    mort = _set(written, {"uk_p_death_180_soc": 0.625}, tmp_path / "mort.xlsx")
    wb = load_workbook(mort)
    ws = wb["Inputs"]
    head = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "uk" and row[1].value == "p_death_180_soc":
            row[head.index("alpha")].value, row[head.index("beta")].value = 110, 66
    wb.save(mort)
    disc = _set(written, {"dk_disc_rate_1": 0.05}, tmp_path / "disc.xlsx")
    base_r, price_r, mort_r, disc_r = _recalc([written, dk_price, mort, disc], tmp_path / "r")

    # 1. the base case, every result name, both countries
    got = _names(base_r)
    for c, model in _models().items():
        for k, v in _python(model).items():
            assert got[f"{c}_{k}"] == pytest.approx(v, rel=1e-6), (c, k)

    # 2. device price 100,000 in Denmark: the engine on the edited workbook read back
    got = _names(price_r)
    edited = DangerShockModel.build(ModelConfig(country="dk"), parameters=dk_price)
    assert edited.table["c_device"].value == 100_000.0
    want = _python(edited)
    assert got["dk_icer"] == pytest.approx(want["icer"], rel=1e-6)
    assert got["dk_threshold_price"] == pytest.approx(want["threshold_price"], rel=1e-6)
    base = _models()["dk"]
    # the price is paid once at time 0 in the pump arm: the increment moves one for one
    assert got["dk_inc_cost"] == pytest.approx(
        _python(base)["inc_cost"] - (base.table["c_device"].value - 100_000), rel=1e-9)

    # 3. UK standard-care 180-day mortality 62.5%
    got = _names(mort_r)
    edited = DangerShockModel.build(ModelConfig(country="uk"), parameters=mort)
    for k, v in _python(edited).items():
        assert got[f"uk_{k}"] == pytest.approx(v, rel=1e-6), k

    # 4. Danish discount rate 5% in the first segment
    got = _names(disc_r)
    m = _models()["dk"]
    d = m.country.discount
    m.country = dataclasses.replace(m.country, discount=DiscountSchedule.stepwise(
        [(0, 0.05), *zip(d.starts[1:], d.rates[1:], strict=True)]))
    for k, v in _python(m).items():
        assert got[f"dk_{k}"] == pytest.approx(v, rel=1e-6), k
