"""What a run leaves on disk, through the command line: no user text runs as a formula in any
output; a rerun into a used folder holds only the new run; a second run into a busy folder, a
damaged folder given to ``hecon report``, and every unusable output path or size are refused
with one line before anything is computed; SIGTERM or Ctrl-C while writing leave the
previous run intact and no temporary file."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from hecon.cli import main
from hecon.runfolder import MANIFEST, staged_run

ROOT = Path(__file__).resolve().parents[2]
INPUTS = ROOT / "inputs" / "danger_shock"
DANGER = ("=", "+", "-", "@", "\t", "\r")
# parameter -> column -> text, each a classic CSV-injection payload ('=' in a parameter
# table is refused when read; it reaches the outputs through file and scenario names)
HOSTILE = {
    "c_device": {"description": '+HYPERLINK("http://evil.example","click")'},
    "c_implant": {"source": "+cmd|' /C calc'!A0"},
    "c_icu_day": {"description": "-2+3+cmd|' /C calc'!A0"},
    "u_dialysis": {"source": "@SUM(1+1)*cmd|' /C calc'!A0"},
}
CONTROL = ("c_ward_day", "source", "Smith\x0bet al.\x01 2020")  # Word line break, SOH
BASE_FILES = {"hecon_report.xlsx", "manifest.json", "parameters.csv", "results.csv",
              "summary.json", "survival_dk.png", "trace_dk.png", "trace_dk_impella.csv",
              "trace_dk_soc.csv", "validation_dk.csv", "subgroups_dk.csv", "hecon_model.xlsx",
              "brief_dk.md", "cycles_dk_impella.csv", "cycles_dk_soc.csv"}


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text == text.strip()


def live(text: object) -> bool:
    """Text a spreadsheet would run: starts with a formula character and is not a number."""
    return isinstance(text, str) and text.startswith(DANGER) and not is_number(text)


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("hecon: error: ") and "Traceback" not in err
    return lines[0]


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory) -> Path:
    """A run (base, one-way, 40 PSA draws) from a parameter table called '=params.csv' whose
    texts are injection payloads, with a scenario file called '=1+1.yaml'."""
    work = tmp_path_factory.mktemp("hostile")
    frames = [pd.read_csv(INPUTS / f, dtype=str, keep_default_na=False)
              for f in ("clinical.csv", "resource_use.csv", "utilities.csv",
                        "utility_norms_dk.csv", "costs_dk.csv")]
    table = pd.concat(frames, ignore_index=True)
    for name, cols in HOSTILE.items():
        assert (table["name"] == name).sum() == 1, name
        for col, text in cols.items():
            table.loc[table["name"] == name, col] = text
    table.loc[table["name"] == CONTROL[0], CONTROL[1]] = CONTROL[2]
    table.to_csv(work / "=params.csv", index=False)
    (work / "=1+1.yaml").write_text(
        "description: \"=HYPERLINK('http://evil.example')\"\n"
        "parameters:\n  c_device: {multiply: 1.0}\n")
    cwd = os.getcwd()
    os.chdir(work)  # relative names, as a user types them, reach the manifest
    try:
        rc = main(["run", "--analyses", "base,oneway,psa", "-n", "40", "--quiet",
                   "--country", "dk", "--inputs", "=params.csv", "--scenario", "=1+1.yaml",
                   "--out", "run"])
    finally:
        os.chdir(cwd)
    assert rc == 0
    return work / "run"


def copy_run(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


# ------------------------------------------------------------------- no live formula


def test_no_output_carries_a_live_formula(hostile_run):
    csvs = sorted(hostile_run.glob("*.csv"))
    assert len(csvs) >= 8
    seen = []
    for f in csvs:
        with open(f, newline="", encoding="utf-8") as fh:
            for i, row in enumerate(csv.reader(fh)):
                for field in row:
                    assert not live(field), (f.name, i, field)
                    seen.append(field)
    for cols in HOSTILE.values():  # the payloads are there, made inert
        for text in cols.values():
            assert "'" + text in seen, text
    assert "Smith et al.  2020" in seen  # control characters became spaces, no split row
    assert not [f for f in seen if any(ch in f for ch in "\x0b\x01")]
    wb = openpyxl.load_workbook(hostile_run / "hecon_report.xlsx")
    cells = [c for ws in wb.worksheets for r in ws.iter_rows() for c in r]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not [(c.parent.title, c.coordinate, c.value) for c in cells if live(c.value)]
    values = {c.value for c in cells if isinstance(c.value, str)}
    assert "'=1+1" in values  # scenario name in the Summary sheet
    assert "'=params.csv" in values  # input file name in the Run sheet
    assert "'" + HOSTILE["c_device"]["description"] in values  # Inputs sheet


# ------------------------------------------------------------------- one run, one folder


def test_rerun_with_fewer_analyses_holds_only_the_new_run(hostile_run, tmp_path):
    out = copy_run(hostile_run, tmp_path / "run")
    assert {"psa_draws_dk.csv", "oneway_dk.csv", "tornado_dk.png"} <= set(listing(out))
    assert main(["run", "--analyses", "base", "--country", "dk", "--out", str(out)]) == 0
    assert set(listing(out)) == BASE_FILES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no stage, lock, old run
    m = json.loads((out / MANIFEST).read_text())
    assert set(m["files"]) == BASE_FILES - {MANIFEST}
    for f, h in m["files"].items():
        assert hashlib.sha256((out / f).read_bytes()).hexdigest() == h
    s = json.loads((out / "summary.json").read_text())
    assert "psa" not in s and "oneway_top" not in s and s["scenario"] is None
    sheets = openpyxl.load_workbook(out / "hecon_report.xlsx", read_only=True).sheetnames
    assert sheets[:3] == ["Brief", "Summary", "Inputs"]
    assert not [s for s in sheets if "PSA" in s or "One-way" in s or "CE" in s]
    params = pd.read_csv(out / "parameters.csv")
    assert not params["description"].str.startswith("'=").any()  # default inputs again


def test_report_rebuilds_a_complete_folder(hostile_run, tmp_path, capsys):
    out = copy_run(hostile_run, tmp_path / "run")
    (out / "hecon_report.xlsx").unlink()
    assert main(["report", str(out)]) == 0
    m = json.loads((out / MANIFEST).read_text())
    assert m["files"]["hecon_report.xlsx"] == hashlib.sha256(
        (out / "hecon_report.xlsx").read_bytes()).hexdigest()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


@pytest.mark.parametrize("damage, words", [
    (lambda d: (d / "results.csv").unlink(), "missing: results.csv"),
    (lambda d: (d / "summary.json").write_text("{}"), "altered since the run: summary.json"),
    (lambda d: (d / "psa_draws_uk.csv").write_text("draw\n0\n"),
     "not written by the run: psa_draws_uk.csv"),
    (lambda d: (d / MANIFEST).unlink(), "no manifest.json"),
    (lambda d: (d / MANIFEST).write_text("{"), "manifest.json is damaged"),
])
def test_report_refuses_a_damaged_folder_in_one_line(hostile_run, tmp_path, capsys, damage,
                                                     words):
    out = copy_run(hostile_run, tmp_path / "run")
    damage(out)
    before = listing(out)
    assert main(["report", str(out)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert words in line and str(out) in line
    assert listing(out) == before  # nothing rebuilt


def test_report_on_a_missing_folder(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope")]) == 2
    assert "not a hecon run folder" in one_error_line(capsys.readouterr().err)


def test_a_concurrent_run_into_the_same_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    with staged_run(out):  # another run is writing
        assert main(["run", "--analyses", "base", "--country", "dk", "--out", str(out)]) == 2
    assert "another hecon run is writing to this folder" in one_error_line(
        capsys.readouterr().err)


# ------------------------------------------------------------------- checked before computing


def _paths(tmp: Path) -> None:
    (tmp / "afile").write_text("x")
    (tmp / "dangling").symlink_to(tmp / "nowhere")
    (tmp / "thesis").mkdir()
    (tmp / "thesis" / "chapter1.docx").write_text("x")


CASES = [
    (["--out", "afile"], "afile: is an existing file, not a folder"),
    (["--out", "afile/run"], "is an existing file, not a folder"),
    (["--out", "dangling"], "dangling link"),
    (["--out", "thesis"], "not a hecon run folder (no manifest.json)"),
    (["--out", "r" * 300], "too long for the file system"),
    (["--out", "d/" * 2100 + "run"], "too long for the file system"),
    (["--name", "../.."], "run name (--name) '../..' contains a path separator"),
    (["--name", "/tmp/x"], "contains a path separator"),
    (["--name", ".."], "is not a folder name"),
    (["--name", ""], "run name (--name) is empty"),
    (["--analyses", "psa", "-n", "1e9"], "PSA draws: 1,000,000,000 rows need at least"),
    (["--analyses", "gsa", "--sobol-n", "1e12"], "Sobol' design"),
    (["-n", "1.5"], "-n/--draws: expected a whole number, got '1.5'"),
    (["-n", "0"], "expected a number >= 1, got 0"),
    (["--seed", "-1"], "--seed: a seed is a whole number from 0 to 2^64 - 1, got -1"),
    (["--seed", "2**70"], "--seed: expected a whole number"),
    (["--chunk-size", "1e12"], "--chunk-size: at most 10,000,000 rows at once"),
    (["--chunk-size", "-5"], "--chunk-size: expected a number >= 1"),
]


@pytest.mark.parametrize("args, words", CASES, ids=[" ".join(a)[:40] for a, _ in CASES])
def test_refused_in_one_line_before_computing(tmp_path, monkeypatch, capsys, args, words):
    _paths(tmp_path)
    monkeypatch.chdir(tmp_path)

    def must_not_run(*a, **k):
        raise AssertionError("the model ran before the check")

    monkeypatch.setattr("hecon.models.danger_shock.runner.run_base", must_not_run)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["run", "--country", "dk", *args]) == 2
    assert words in one_error_line(capsys.readouterr().err)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing created


def test_read_only_parent_refused_before_computing(tmp_path, monkeypatch, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    monkeypatch.setattr("hecon.models.danger_shock.runner.run_base",
                        lambda *a, **k: pytest.fail("the model ran before the check"))
    try:
        if os.access(ro, os.W_OK):  # root writes anywhere: pretend the file system is read-only
            real = os.access
            monkeypatch.setattr(os, "access", lambda p, m: False if Path(p) == ro else real(p, m))
        assert main(["run", "--country", "dk", "--out", str(ro / "run")]) == 2
    finally:
        ro.chmod(0o755)
    assert "cannot write in" in one_error_line(capsys.readouterr().err)
    assert list(ro.iterdir()) == []


def test_scenarios_output_checked_before_computing(tmp_path, monkeypatch, capsys):
    (tmp_path / "afile").write_text("x")
    monkeypatch.setattr("hecon.models.danger_shock.runner.run_scenarios",
                        lambda *a, **k: pytest.fail("the model ran before the check"))
    assert main(["scenarios", "--out", str(tmp_path / "afile")]) == 2
    assert "is an existing file" in one_error_line(capsys.readouterr().err)


# ------------------------------------------------------------------- killed while writing

SLOW_WRITER = """
import signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal (a background
                                                          # job starts with SIGINT ignored)
import hecon.report.workbook as wb
real = wb.build_workbook
def slow(run_dir, *a, **k):
    real(run_dir, *a, **k)            # the new run is half way through being written
    print("WRITING", flush=True)
    time.sleep(120)
wb.build_workbook = slow
from hecon.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_killed_while_writing_leaves_the_previous_run(hostile_run, tmp_path, sig, code):
    out = copy_run(hostile_run, tmp_path / "run")
    before = listing(out)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, "run", "--analyses", "base", "--country", "dk",
         "--quiet", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        for line in proc.stdout:
            if line.strip() == "WRITING":
                break
        else:
            pytest.fail(f"the run ended before writing: {proc.stderr.read()}")
        assert any(p.name.startswith(".run.staging-") for p in tmp_path.iterdir())
        proc.send_signal(sig)
        rc = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = proc.stderr.read()
    assert rc == code, err
    assert "left as it was" in err and "Traceback" not in err
    assert listing(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no stage, lock or temp
