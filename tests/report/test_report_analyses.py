"""Uncertainty analyses end to end through the command line: files, numbers, workbook sheets
and charts, PNGs, reproducibility."""

import json

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from hecon.cli import main

ANALYSES = ["--analyses", "base,oneway,psa,voi,gsa"]
SMALL = ["--draws", "400", "--sobol-n", "64", "--quiet", "--seed", "11"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "r"
    assert main(["run", "--country", "uk", *ANALYSES, *SMALL, "--out", str(out)]) == 0
    return out


def test_files_written(run_dir):
    for f in ["oneway_uk.csv", "headroom_uk.csv", "psa_draws_uk.csv", "psa_summary_uk.csv",
              "ceac_uk.csv", "ceaf_uk.csv", "expected_loss_uk.csv", "convergence_uk.csv",
              "evpi_uk.csv", "evppi_uk.csv", "population_uk.json", "sobol_uk.csv",
              "tornado_uk.png", "tornado_icer_uk.png", "ce_plane_uk.png", "ceac_uk.png",
              "sobol_uk.png",
              "evpi_uk.png", "headroom_uk.png", "hecon_report.xlsx", "manifest.json"]:
        assert (run_dir / f).is_file(), f
    assert not list(run_dir.glob("*.tmp*"))


def test_psa_numbers_agree_across_files(run_dir):
    s = json.loads((run_dir / "summary.json").read_text())["country_sets"]["uk"]
    d = pd.read_csv(run_dir / "psa_draws_uk.csv")
    assert len(d) == 400
    # INMB column = wtp * dQ - dC; probability = share of draws with INMB > 0
    np.testing.assert_allclose(d["inmb_20000"], 20000 * d["inc_qalys"] - d["inc_cost"])
    np.testing.assert_allclose(d["inc_cost"], d["cost_impella"] - d["cost_soc"])
    assert s["psa"]["prob_cost_effective"]["20000"] == pytest.approx((d["inmb_20000"] > 0).mean())
    ceac = pd.read_csv(run_dir / "ceac_uk.csv").set_index("wtp")
    assert ceac.loc[20000.0, "Impella CP + standard care"] == pytest.approx(
        (d["inmb_20000"] > 0).mean())
    # EVPI at 20k by hand from the draws: E[max(INB, 0)] - max(E[INB], 0)
    inb = d["inmb_20000"].to_numpy()
    evpi = np.maximum(inb, 0).mean() - max(inb.mean(), 0)
    assert s["voi"]["evpi_per_person"]["20000"] == pytest.approx(evpi, rel=1e-9)
    # population: 815 a year (population.yaml) for 10 years at 3.5%, first year undiscounted
    patients = 815 * sum(1.035 ** -t for t in range(10))
    pop = json.loads((run_dir / "population_uk.json").read_text())
    assert pop["discounted_patients"] == pytest.approx(patients, rel=1e-12)
    assert s["voi"]["evpi_population"]["20000"] == pytest.approx(evpi * patients, rel=1e-9)


def test_oneway_base_row_equals_base_case(run_dir):
    s = json.loads((run_dir / "summary.json").read_text())["country_sets"]["uk"]
    t = pd.read_csv(run_dir / "oneway_uk.csv")
    assert t["inmb_base"].iloc[0] == pytest.approx(s["incremental"]["inmb"]["20000"], rel=1e-12)
    assert t["swing"].is_monotonic_decreasing
    h = pd.read_csv(run_dir / "headroom_uk.csv").set_index("wtp")
    assert h.loc[20000.0, "max_price"] == pytest.approx(
        s["incremental"]["threshold_device_price"]["20000"], rel=1e-12)


def test_workbook_analysis_sheets(run_dir):
    wb = load_workbook(run_dir / "hecon_report.xlsx")
    for name in ("One-way", "PSA", "PSA draws", "VOI", "Sobol"):
        assert name in wb.sheetnames, name
    # tornado chart: two series (low, high) pointing at the INMB at low/high columns
    ws = wb["One-way"]
    header_row = next(r for r in range(1, 10) if ws.cell(row=r, column=1).value == "Parameter")
    header = [c.value for c in ws[header_row]]
    ch = ws._charts[0]
    cols = [s.val.numRef.f.split("!")[1].split(":")[0].replace("$", "").rstrip("0123456789")
            for s in ch.series]
    assert [header[ord(c) - ord("A")] for c in cols] == ["INMB at low value (GBP)",
                                                         "INMB at high value (GBP)"]
    t = pd.read_csv(run_dir / "oneway_uk.csv")
    first = [ws.cell(row=header_row + 1 + i, column=header.index("INMB at low value (GBP)") + 1
                     ).value for i in range(len(t))]
    assert first == pytest.approx(t["inmb_low"].tolist(), rel=1e-12)
    # a real tornado: bars start at the base-case INMB, largest swing at the top, every label
    assert ch.type == "bar" and ch.overlap == 100
    assert ch.x_axis.crossesAt == pytest.approx(t["inmb_base"].iloc[0], rel=1e-12)
    assert ch.x_axis.scaling.orientation == "maxMin" and ch.x_axis.tickLblSkip == 1
    labels = [ws.cell(row=header_row + 1 + i, column=1).value for i in range(15)]
    assert labels == t["description"].head(15).tolist()
    assert t["swing"].head(15).is_monotonic_decreasing
    # PSA draws sheet: an evenly spaced sample of the draws (all of them here: 400 <= 1000)
    wd = wb["PSA draws"]
    hdr = [c.value for c in wd[2]]
    d = pd.read_csv(run_dir / "psa_draws_uk.csv")
    assert wd.max_row - 2 == len(d)
    got = [r[hdr.index("inc_cost")] for r in wd.iter_rows(min_row=3, values_only=True)]
    assert got == pytest.approx(d["inc_cost"].tolist(), rel=1e-12)
    assert int(str(wd.print_area).split("$")[-1]) <= 40  # the draws are not printed
    # CEAC line chart series point at the probability columns of the CEAC table
    wp = wb["PSA"]
    assert len(wp._charts) >= 3
    ceac_chart = next(c for c in wp._charts if "CEAC" in _title(c))
    hdr_row = next(r for r in range(1, wp.max_row + 1) if wp.cell(row=r, column=1).value == "wtp")
    hdr = [c.value for c in wp[hdr_row]]
    cols = [s.yVal.numRef.f.split("!")[1].split(":")[0].replace("$", "").rstrip("0123456789")
            for s in ceac_chart.series]
    assert [hdr[ord(c) - ord("A")] for c in cols] == [
        "Impella CP + standard care", "Standard care", "frontier (CEAF)"]
    # the printed curve: 21 evenly spaced rows of ceac_uk.csv (every row stays in the CSV)
    ceac = pd.read_csv(run_dir / "ceac_uk.csv").set_index("wtp")
    last = hdr_row + min(21, len(ceac))
    assert ceac_chart.series[0].xVal.numRef.f.endswith(f"$A${hdr_row + 1}:$A${last}")
    for r in range(hdr_row + 1, last + 1):
        w = wp.cell(row=r, column=1).value
        assert wp.cell(row=r, column=2).value == pytest.approx(ceac.loc[w].iloc[0], rel=1e-12)
    assert wp.cell(row=hdr_row + 1, column=1).value == ceac.index[0]
    assert wp.cell(row=last, column=1).value == ceac.index[-1]
    # no formula anywhere
    for w in wb.worksheets:
        for row in w.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and v.startswith("=") for v in row)


def _title(chart) -> str:
    return "".join(r.t for p in chart.title.tx.rich.p for r in (p.r or []))


def test_summary_mentions_probability(run_dir):
    wb = load_workbook(run_dir / "hecon_report.xlsx")
    text = [c for row in wb["Summary"].iter_rows(values_only=True) for c in row if c]
    assert any(isinstance(t, str) and "probability that the pump is cost-effective" in t
               for t in text)


def test_psa_is_reproducible_and_seeded(tmp_path):
    outs = []
    for i, seed in enumerate(("3", "3", "4")):
        out = tmp_path / f"p{i}"
        assert main(["psa", "-n", "150", "--seed", seed, "--country", "dk", "--quiet",
                     "--out", str(out)]) == 0
        outs.append(pd.read_csv(out / "psa_draws_dk.csv"))
    pd.testing.assert_frame_equal(outs[0], outs[1])
    assert not outs[0]["inc_cost"].equals(outs[2]["inc_cost"])
    m = json.loads((tmp_path / "p0" / "manifest.json").read_text())
    assert m["seed"] == 3


def test_dsa_two_way_and_gsa_morris(tmp_path):
    out = tmp_path / "d"
    assert main(["dsa", "--country", "dk", "--two-way", "c_device,hr_death_longterm", "--quiet",
                 "--out", str(out)]) == 0
    tw = pd.read_csv(out / "twoway_dk.csv")
    assert tw.shape == (9, 10)
    # the workbook shows the two parameters in words and the column values rounded
    ws = load_workbook(out / "hecon_report.xlsx")["One-way"]
    cells = [(c.row, c.column, c.value) for row in ws.iter_rows() for c in row
             if isinstance(c.value, str)]
    top = next(r for r, _, v in cells if v.startswith("Two-way analysis"))
    note = ws.cell(row=top + 1, column=1).value
    assert note.startswith("Rows: ") and "c_device" not in note
    assert "hr_death_longterm" not in note and "at the values heading each column" in note
    heads = [ws.cell(row=top + 3, column=j).value for j in range(1, 11)]
    assert heads[0] == note[len("Rows: "):].split(";")[0]
    assert heads[1:] == [f"{float(x):.4g}" for x in tw.columns[1:]]
    out2 = tmp_path / "g"
    assert main(["gsa", "--country", "dk", "--method", "morris", "--quiet", "--out",
                 str(out2)]) == 0
    m = pd.read_csv(out2 / "morris_dk.csv")
    assert {"output", "parameter", "mu_star", "sigma"} <= set(m.columns)
    wb = load_workbook(out2 / "hecon_report.xlsx")
    assert "Morris" in wb.sheetnames


def test_bad_analysis_options(capsys):
    assert main(["run", "--analyses", "psa,onway"]) == 2
    assert "did you mean" in capsys.readouterr().err
    assert main(["dsa", "--two-way", "c_device", "--country", "dk"]) == 2
    assert "two parameter names" in capsys.readouterr().err


def test_analysis_workbook_converts_in_libreoffice(run_dir, tmp_path):
    import shutil
    import subprocess

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed on this machine")
    r = subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                        str(run_dir / "hecon_report.xlsx")], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "hecon_report.pdf").stat().st_size > 10_000
