"""The Excel report: numbers equal the run's results, charts point at the right cells,
LibreOffice converts it (when installed)."""

import json
import shutil
import subprocess

import pandas as pd
import pytest
from openpyxl import load_workbook

from hecon.cli import main


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "r"
    assert main(["run", "--analyses", "base,scenarios", "--out", str(out)]) == 0
    return out



def test_summary_sheet_equals_summary_json(run_dir):
    s = json.loads((run_dir / "summary.json").read_text())
    wb = load_workbook(run_dir / "hecon_report.xlsx")
    assert wb.sheetnames[:4] == ["Brief", "Summary", "Inputs", "Scenarios"]
    ws = wb["Summary"]
    # locate each country block by its label and read the table under it
    cells = list(ws.iter_rows(values_only=True))
    for cs in s["country_sets"].values():
        start = next(i for i, r in enumerate(cells) if r[0] == cs["country_label"])
        block = cells[start:start + 16]
        rows = {r[0]: r for r in block if r[0]}
        for name, v in cs["strategies"].items():
            assert rows[name][1] == pytest.approx(v["cost"], rel=1e-12)
            assert rows[name][2] == pytest.approx(v["life_years"], rel=1e-12)
            assert rows[name][3] == pytest.approx(v["qalys"], rel=1e-12)
        assert rows["ICER"][1] == pytest.approx(cs["incremental"]["icer"], rel=1e-12)
        # NMB per strategy = WTP x QALYs - cost; the increment row holds the INMB
        w0 = cs["wtp"][0]
        for name, v in cs["strategies"].items():
            assert rows[name][5] == pytest.approx(w0 * v["qalys"] - v["cost"], rel=1e-12)
        inc_row = rows["Increment (Impella CP - standard care)"]
        assert inc_row[5] == pytest.approx(cs["incremental"]["inmb"][f"{w0:g}"], rel=1e-12)
        w = cs["wtp"][0]
        label = f"Threshold device price at {cs['currency']} {w:,.0f}/QALY"
        assert rows[label][1] == pytest.approx(
            cs["incremental"]["threshold_device_price"][f"{w:g}"], rel=1e-12)
    # currency number format on costs
    cost_cells = [c for row in ws.iter_rows() for c in row
                  if isinstance(c.value, float) and '"DKK "' in c.number_format]
    assert cost_cells


def test_inputs_and_scenarios_sheets(run_dir):
    wb = load_workbook(run_dir / "hecon_report.xlsx")
    params = pd.read_csv(run_dir / "parameters.csv")
    ws = wb["Inputs"]
    header = [c.value for c in ws[1]]
    assert {"name", "value", "unit", "distribution", "low", "high", "source"} <= set(header)
    assert ws.max_row - 1 == len(params)
    assert ws.freeze_panes == "C2"  # country and name stay in view
    values = [r[header.index("value")] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert values == pytest.approx(params["value"].tolist())
    sc = pd.read_csv(run_dir / "scenarios.csv")
    ws = wb["Scenarios"]
    assert ws.max_row - 3 == sc["scenario"].nunique() >= 20


def test_survival_chart_points_at_the_alive_columns(run_dir):
    wb = load_workbook(run_dir / "hecon_report.xlsx")
    ws = wb["Survival"]
    assert len(ws._charts) == 2
    ch = ws._charts[0]
    header = [c.value for c in ws[2]]
    for s in ch.series:
        ref = s.yVal.numRef.f  # e.g. 'Survival'!$B$3:$B$395
        col = ref.split("!")[1].split(":")[0].replace("$", "").rstrip("0123456789")
        idx = ord(col) - ord("A")
        assert header[idx].startswith("alive (dk")
        assert s.xVal.numRef.f.split("!")[1].startswith("$A$3")
    tr = wb["Trace"]
    assert len(tr._charts) == 4


def test_report_command_rebuilds(run_dir, capsys):
    (run_dir / "hecon_report.xlsx").unlink()
    assert main(["report", str(run_dir)]) == 0
    assert (run_dir / "hecon_report.xlsx").is_file()
    assert main(["report", str(run_dir.parent / "nope")]) == 2
    assert "no summary.json" in capsys.readouterr().err


def test_scenarios_side_by_side_with_decision_changes(run_dir):
    s = json.loads((run_dir / "summary.json").read_text())["country_sets"]
    sc = pd.read_csv(run_dir / "scenarios.csv")
    ws = load_workbook(run_dir / "hecon_report.xlsx")["Scenarios"]
    header = [c.value for c in ws[3]]
    rows = {r[-1]: dict(zip(header, r, strict=True))
            for r in ws.iter_rows(min_row=4, values_only=True)}
    for c, cur in (("dk", "DKK"), ("uk", "GBP")):
        w = s[c]["wtp"][0]
        base = s[c]["incremental"]["inmb"][f"{w:g}"]
        inmb_col = f"{c.upper()}: INMB at {cur} {w:,.0f}/QALY ({cur})"
        assert inmb_col in header
        for rec in sc[(sc["country"] == c) & (sc["wtp"] == w)].itertuples():  # 1st threshold
            row = rows[rec.scenario]
            assert row[inmb_col] == pytest.approx(rec.inmb, rel=1e-12)
            assert row[f"{c.upper()}: change in INMB ({cur})"] == pytest.approx(
                rec.inmb - base, rel=1e-9, abs=1e-6 * abs(base))
            assert row[f"{c.upper()}: decision changes"] == (
                "yes" if (rec.inmb >= 0) != (base >= 0) else "no")
    # a device price 30% lower: every patient saves 30% of the device price (same QALYs)
    dk = sc[(sc["country"] == "dk") & (sc["scenario"] == "device_price_minus30")].iloc[0]
    base_dk = sc[(sc["country"] == "dk") & (sc["scenario"] == "country_dk")].iloc[0]
    assert dk["qalys_impella"] == pytest.approx(base_dk["qalys_impella"], rel=1e-12)


def test_manifest_is_portable_with_scenarios_and_commit(run_dir):
    import hashlib
    from pathlib import Path

    text = (run_dir / "manifest.json").read_text()
    m = json.loads(text)
    root = Path(__file__).resolve().parents[2]
    for machine in (str(root), str(run_dir.parent), "/tmp/", "/home/"):
        assert machine not in text
    assert m["scenarios"], "scenario files used by the run"
    for f, h in m["scenarios"].items():
        assert f.startswith("scenarios/")
        assert hashlib.sha256((root / f).read_bytes()).hexdigest() == h
    for f, h in m["inputs"].items():
        assert not Path(f).is_absolute()
        assert hashlib.sha256((root / f).read_bytes()).hexdigest() == h
    if (root / ".git").exists() and shutil.which("git"):
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                              capture_output=True, text=True).stdout.strip()
        assert m["git"]["commit"] == head


def test_report_prints_in_at_most_40_pages(run_dir, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed on this machine")
    if not (shutil.which("pdfinfo") and shutil.which("pdftotext")):
        pytest.skip("poppler-utils (pdfinfo, pdftotext) are not installed")
    r = subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                        str(run_dir / "hecon_report.xlsx")], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    pdf = tmp_path / "hecon_report.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = int(next(x for x in info.splitlines() if x.startswith("Pages:")).split()[1])
    assert 5 <= pages <= 40
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "###" not in text
    assert "Page 1 of" in text
