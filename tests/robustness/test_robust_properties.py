"""Readers never crash on arbitrary tables; safe XLSX reading; manifests; no partial outputs;
invariants stop a run with the sample and cycle named."""

from __future__ import annotations

import csv
import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from hecon.cli import main
from hecon.engine import DiscountSchedule
from hecon.engine.markov import check_membership
from hecon.errors import InputError, ModelError
from hecon.io_safe import atomic_write, write_csv
from hecon.parameters import COLUMNS, ParameterTable

CELLS = st.one_of(
    st.none(),
    st.just(""),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10**12, 10**12),
    st.sampled_from(["beta", "gamma", "fixed", "normal", "dirichlet", "probability",
                     "utility", "DKK 2024", "=1+1", "=SUM(A1:A2)", "nan", "inf", "-0",
                     "1e400", "g", "p_x", "x y", "0.5", "2", "-1", "source"]),
    st.text(max_size=12),
)
HEADERS = st.lists(st.sampled_from([*COLUMNS, "extra", "Value", ""]), min_size=0,
                   max_size=12)


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow(["" if c is None else c for c in r])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(header=HEADERS, rows=st.lists(st.lists(CELLS, max_size=12), max_size=6))
def test_csv_reader_only_raises_input_error(tmp_path_factory, header, rows):
    path = tmp_path_factory.mktemp("h") / "t.csv"
    try:
        _write_csv(path, header, rows)
    except UnicodeEncodeError:
        return  # surrogate characters cannot be written as UTF-8 at all
    try:
        table = ParameterTable.read(path)
    except InputError:
        return
    for p in table:  # whatever is accepted is finite and has a source
        assert math.isfinite(p.value) and p.source


VALID = ["name", "value", "unit", "distribution", "source", "se", "low", "high", "alpha",
         "beta", "group"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELLS, min_size=len(VALID), max_size=len(VALID)), max_size=5))
def test_csv_reader_with_a_valid_header(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("v") / "t.csv"
    try:
        _write_csv(path, VALID, rows)
    except UnicodeEncodeError:
        return
    try:
        ParameterTable.read(path)
    except InputError:
        pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELLS, min_size=len(VALID), max_size=len(VALID)), max_size=4))
def test_xlsx_reader_only_raises_input_error(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("x") / "t.xlsx"
    wb = Workbook()
    wb.active.append(VALID)
    for r in rows:
        clean = []
        for c in r:
            if isinstance(c, float) and not math.isfinite(c):
                c = str(c)
            if isinstance(c, str):  # characters XML cannot hold
                c = "".join(ch for ch in c if ch.isprintable())
            clean.append(c)
        wb.active.append(clean)
    wb.save(path)
    try:
        ParameterTable.read(path)
    except InputError:
        pass


def test_defusedxml_protects_openpyxl():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True


def test_manifest_has_versions_command_seed_and_checksums(tmp_path):
    out = tmp_path / "run"
    assert main(["psa", "-n", "50", "--seed", "9", "--country", "uk", "--quiet",
                 "--scenario", "effect_lifetime", "--out", str(out)]) == 0
    m = json.loads((out / "manifest.json").read_text())
    assert m["hecon_version"] and m["python"] and m["seed"] == 9
    assert m["command"][:2] == ["hecon", "psa"]
    assert {"numpy", "pandas", "scipy", "SALib", "openpyxl"} <= set(m["packages"])
    files = {Path(f).name: h for f, h in m["inputs"].items()}
    assert {"clinical.csv", "utilities.csv", "costs_uk.csv", "countries.yaml",
            "effect_lifetime.yaml"} <= set(files)
    for f, h in m["inputs"].items():
        assert hashlib.sha256(Path(f).read_bytes()).hexdigest() == h


def test_interrupted_write_keeps_previous_file(tmp_path):
    path = tmp_path / "results.csv"
    write_csv(path, pd.DataFrame({"a": [1, 2]}))
    before = path.read_bytes()

    def half_then_fail(p: Path) -> None:
        p.write_text("a\n1\n")  # half written ...
        raise KeyboardInterrupt  # ... then interrupted

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, half_then_fail)
    assert path.read_bytes() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["results.csv"]


def test_interrupted_run_keeps_previous_outputs(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    assert main(["run", "--analyses", "base", "--country", "dk", "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr("hecon.report.workbook.build_workbook", interrupted)
    rc = main(["run", "--analyses", "base", "--country", "dk", "--out", str(out)])
    assert rc == 130
    assert "interrupted" in capsys.readouterr().err
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(after) == set(before)  # no temporary or partial file
    assert after["hecon_report.xlsx"] == before["hecon_report.xlsx"]


def test_trace_invariants_name_cycle_and_sample():
    m = np.array([[0.5, 0.5, 0.0], [0.6, 0.5, 0.0]])
    with pytest.raises(ModelError, match=r"sums to 1.1.*cycle 4, sample 1"):
        check_membership(m, "strategy 'x'", 4, ["a", "b", "dead"])
    m = np.array([[0.5, 0.5, 0.0], [1.1, -0.1, 0.0]])
    with pytest.raises(ModelError, match=r"negative membership .* 'b' at cycle 2, sample 1"):
        check_membership(m, "strategy 'x'", 2, ["a", "b", "dead"])


def test_discount_factors_in_unit_interval():
    d = DiscountSchedule.stepwise([(0, 0.035), (35, 0.025), (70, 0.015)])
    f = d.factor(np.linspace(0, 120, 500))
    assert ((f > 0) & (f <= 1)).all() and (np.diff(f) <= 0).all()
    with pytest.raises(ModelError, match="outside \\(0, 1\\]"):
        DiscountSchedule.flat(0.99).factor(np.array([0.0, 2000.0]))
    with pytest.raises(InputError):
        DiscountSchedule.flat(-0.01)
