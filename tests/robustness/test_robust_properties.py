"""Readers never crash on arbitrary tables; safe XLSX reading; manifests; no partial outputs;
invariants stop a run with the sample and cycle named."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from hecon.cli import main
from hecon.engine import DiscountSchedule
from hecon.engine.markov import check_membership
from hecon.errors import InputError, ModelError
from hecon.io_safe import atomic_write, write_csv
from hecon.parameters import COLUMNS, REQUIRED, ParameterTable

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
VALID = ["name", "value", "unit", "distribution", "source", "se", "low", "high", "alpha",
         "beta", "group"]
FULL_HEADER = st.permutations(list(COLUMNS))
SOURCES = st.sampled_from(["Trial X 2024, table 2", "evidence gap: assumption, wide range",
                           "Registry; 1,234 patients", "Ulykke & Ærø (2023) [V]"])
POSITIVE = st.floats(0.01, 1e4, allow_nan=False, allow_infinity=False)
ANY = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
SHARE = st.floats(0.0, 1.0, allow_nan=False, allow_infinity=False)
# printable text; not starting with '=', which the reader refuses in any text column as a
# worksheet formula (hecon.parameters._is_formula)
TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=8).filter(
    lambda s: not s.strip().startswith("="))


@st.composite
def valid_block(draw, i: int) -> list[dict]:
    """One to three rows that the reader must accept (a Dirichlet group is one block): each
    distribution kind with parameters consistent with its unit and base value."""
    name = f"p{i}_" + draw(st.sampled_from(["a", "cost", "Utility_2", "_x"]))
    src = draw(SOURCES)
    kind = draw(st.sampled_from(["fixed", "beta", "beta_se", "gamma", "lognormal", "normal",
                                 "uniform", "triangular", "dirichlet"]))
    row: dict = {"name": name, "source": src, "description": draw(TEXT)}
    if kind == "fixed":
        unit, v = draw(st.sampled_from([("probability", SHARE), ("DKK 2024", POSITIVE),
                                        ("utility", st.floats(-0.5, 1.0)), ("mmHg", ANY),
                                        ("count", st.integers(0, 10**6))]))
        row |= {"unit": unit, "distribution": "fixed", "value": draw(v)}
    elif kind == "beta":
        a, b = draw(st.floats(0.5, 500)), draw(st.floats(0.5, 500))
        row |= {"unit": "probability", "distribution": "beta", "alpha": a, "beta": b,
                "value": a / (a + b)}
    elif kind == "beta_se":
        m = draw(st.floats(0.05, 0.95))
        row |= {"unit": "proportion", "distribution": "beta", "value": m,
                "se": draw(st.floats(0.01, 0.9)) * math.sqrt(m * (1 - m))}
    elif kind == "gamma":
        k, theta = draw(st.floats(0.5, 100)), draw(st.floats(0.1, 1e4))
        row |= {"unit": "GBP 2024", "distribution": "gamma", "shape": k, "scale": theta,
                "value": k * theta}
    elif kind == "lognormal":
        row |= {"unit": "hazard ratio", "distribution": "lognormal", "value": draw(POSITIVE),
                "meanlog": draw(st.floats(-2, 2)), "sdlog": draw(st.floats(0.01, 2))}
    elif kind == "normal":
        v = draw(ANY)
        row |= {"unit": "mmHg", "distribution": "normal", "value": v, "se": draw(POSITIVE)}
        if draw(st.booleans()):
            row |= {"low": v - draw(POSITIVE), "high": v + draw(POSITIVE)}
    elif kind in ("uniform", "triangular"):
        lo = draw(st.floats(0, 100))
        hi = lo + draw(POSITIVE)
        v = lo + draw(SHARE) * (hi - lo)
        row |= {"unit": "years", "distribution": kind, "value": min(max(v, lo), hi),
                "min": lo, "max": hi}
        if kind == "triangular" and draw(st.booleans()):
            row["mode"] = lo + draw(SHARE) * (hi - lo)
    else:  # a Dirichlet group of two or three members: values are the shares of the counts
        counts = draw(st.lists(st.floats(0.5, 1000), min_size=2, max_size=3))
        total = sum(counts)
        return [{"name": f"{name}_{j}", "source": src, "unit": "proportion",
                 "distribution": "dirichlet", "group": f"g{i}", "alpha": a, "value": a / total}
                for j, a in enumerate(counts)]
    return [row]


@st.composite
def tables(draw, junk: bool = True) -> tuple[list, bool]:
    """Rows (dicts by column for generated rows, lists of cells for junk rows) and whether
    every row is valid. Valid blocks, valid rows with one cell replaced by an arbitrary one,
    and rows of arbitrary cells, mixed."""
    rows: list = []
    all_valid = True
    for i in range(draw(st.integers(1 if not junk else 0, 5))):
        how = draw(st.sampled_from(["valid", "mutant", "junk"])) if junk else "valid"
        if how == "junk":
            rows.append(draw(st.lists(CELLS, max_size=12)))
            all_valid = False
            continue
        block = draw(valid_block(i))
        if how == "mutant":
            r = block[0]
            r[draw(st.sampled_from(sorted(COLUMNS)))] = draw(CELLS)
            all_valid = False
        rows.extend(block)
    return rows, all_valid


def _cells(header: list[str], row) -> list:
    return [row.get(h) for h in header] if isinstance(row, dict) else list(row)


def _write_csv(path: Path, header: list[str], rows: list) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow(["" if c is None else c for c in _cells(header, r)])


def _write_xlsx(path: Path, header: list[str], rows: list) -> None:
    wb = Workbook()
    wb.active.append(header)
    for r in rows:
        clean = []
        for c in _cells(header, r):
            if isinstance(c, float) and not math.isfinite(c):
                c = str(c)
            if isinstance(c, str):  # characters XML cannot hold
                c = "".join(ch for ch in c if ch.isprintable())
            clean.append(c)
        wb.active.append(clean)
    wb.save(path)


def _check_read(path: Path, rows: list, all_valid: bool, header_ok: bool,
                rel: float = 0.0) -> bool:
    """Read ``path``: only InputError may escape; a table of valid rows under a complete
    header must be accepted and give back what was written (exactly from CSV, which holds
    Python's round-trip repr; within ``rel`` from XLSX, which holds 16 significant digits).
    True if the table was accepted."""
    try:
        table = ParameterTable.read(path)
    except InputError as exc:
        assert not (all_valid and header_ok and rows), f"a valid table was refused: {exc}"
        event("refused")
        return False
    event("accepted")
    for p in table:  # whatever is accepted is finite and has a source
        assert math.isfinite(p.value) and p.source
    if all_valid and header_ok:
        assert table.names == [r["name"] for r in rows]
        for r in rows:
            p = table[r["name"]]
            assert p.value == pytest.approx(float(r["value"]), rel=rel, abs=0)
            assert p.source == r["source"].strip() and p.unit == r["unit"]
            assert p.distribution == r["distribution"]
    return True


def test_csv_reader_only_raises_input_error(tmp_path_factory):
    accepted = []

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(header=st.one_of(HEADERS, FULL_HEADER), table=tables())
    def prop(header, table):
        rows, all_valid = table
        path = tmp_path_factory.mktemp("h") / "t.csv"
        try:
            _write_csv(path, header, rows)
        except UnicodeEncodeError:
            return  # surrogate characters cannot be written as UTF-8 at all
        ok = set(REQUIRED) <= set(header) and set(header) <= set(COLUMNS)
        if _check_read(path, rows, all_valid, ok and len(set(header)) == len(header)):
            accepted.append(1)

    prop()
    assert accepted, "no generated table was accepted: the correctness checks never ran"


def test_csv_reader_with_a_valid_header(tmp_path_factory):
    accepted = []

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(table=tables())
    def prop(table):
        rows, all_valid = table
        path = tmp_path_factory.mktemp("v") / "t.csv"
        try:
            _write_csv(path, list(COLUMNS), rows)
        except UnicodeEncodeError:
            return
        if _check_read(path, rows, all_valid, True):
            accepted.append(1)

    prop()
    assert accepted, "no generated table was accepted: the correctness checks never ran"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(header=FULL_HEADER, table=tables(junk=False))
def test_csv_reader_accepts_every_valid_table(tmp_path_factory, header, table):
    rows, all_valid = table
    assert all_valid and rows
    path = tmp_path_factory.mktemp("ok") / "t.csv"
    _write_csv(path, header, rows)
    assert _check_read(path, rows, True, True, 1e-15)


def test_xlsx_reader_only_raises_input_error(tmp_path_factory):
    accepted = []

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(header=st.one_of(st.just(VALID), FULL_HEADER), table=tables())
    def prop(header, table):
        rows, all_valid = table
        path = tmp_path_factory.mktemp("x") / "t.xlsx"
        _write_xlsx(path, header, rows)
        if _check_read(path, rows, all_valid and header != VALID, header != VALID, 1e-15):
            accepted.append(1)

    prop()
    assert accepted, "no generated workbook was accepted: the correctness checks never ran"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(header=FULL_HEADER, table=tables(junk=False))
def test_xlsx_reader_accepts_every_valid_table(tmp_path_factory, header, table):
    rows, _ = table
    path = tmp_path_factory.mktemp("xok") / "t.xlsx"
    _write_xlsx(path, header, rows)
    assert _check_read(path, rows, True, True, 1e-15)


def test_defusedxml_protects_openpyxl():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True


def test_manifest_has_versions_command_seed_and_checksums(tmp_path, capfd):
    out = tmp_path / "run"
    assert main(["psa", "-n", "50", "--seed", "9", "--country", "uk", "--quiet",
                 "--scenario", "effect_lifetime", "--out", str(out)]) == 0
    err = capfd.readouterr().err  # --quiet: no progress bar on stderr (tests/test_cli_quiet.py)
    assert "PSA" not in err and not re.search(r"\d+%\||\d+/\d+ \[", err), err
    m = json.loads((out / "manifest.json").read_text())
    assert m["hecon_version"] and m["python"] and m["seed"] == 9
    assert m["command"][:2] == ["hecon", "psa"]
    assert {"numpy", "pandas", "scipy", "SALib", "openpyxl"} <= set(m["packages"])
    files = {Path(f).name: h for f, h in m["inputs"].items()}
    assert {"clinical.csv", "utilities.csv", "costs_uk.csv", "countries.yaml",
            "effect_lifetime.yaml"} <= set(files)
    for f, h in m["inputs"].items():
        assert hashlib.sha256(Path(f).read_bytes()).hexdigest() == h
    # the lock file the environment was installed from, with its checksum
    lock = Path(__file__).resolve().parents[2] / m["lock"]["file"]
    assert hashlib.sha256(lock.read_bytes()).hexdigest() == m["lock"]["sha256"]


def test_manifest_records_the_matching_lock_file(tmp_path):
    from hecon.manifest import lock_match, read_lock

    run = "# comment\nnumpy==2.4.6\nPyYAML==6.0.4  # inline comment\nsome_pkg[extra]==1.0\n"
    dev = run + "pytest==9.2.0\nruff==0.17.6\n"
    (tmp_path / "run.lock").write_text(run)
    (tmp_path / "dev.lock").write_text(dev)
    assert read_lock(tmp_path / "run.lock") == {"numpy": "2.4.6", "pyyaml": "6.0.4",
                                                "some-pkg": "1.0"}
    env = {"numpy": "2.4.6", "pyyaml": "6.0.4", "some-pkg": "1.0", "pytest": "9.2.0",
           "ruff": "0.17.6", "other": "1"}
    locks = ("dev.lock", "run.lock")
    # both match exactly: the larger lock (dev) is the one the environment matches
    m = lock_match(tmp_path, locks, env)
    assert m["file"] == "requirements/dev.lock" and m["differs"] == {} and m["pins"] == 5
    assert m["sha256"] == hashlib.sha256(dev.encode()).hexdigest()
    # no test tools installed: only the run lock matches
    run_env = {k: env[k] for k in ("numpy", "pyyaml", "some-pkg")}
    m = lock_match(tmp_path, locks, run_env)
    assert m["file"] == "requirements/run.lock" and m["differs"] == {}
    # a different numpy and a missing package are listed against the closest lock
    m = lock_match(tmp_path, locks, {**env, "numpy": "2.0.0", "ruff": None})
    assert m["file"] == "requirements/run.lock"
    assert m["differs"] == {"numpy": {"locked": "2.4.6", "installed": "2.0.0"}}
    m = lock_match(tmp_path, ("dev.lock",), {**env, "numpy": "2.0.0", "ruff": None})
    assert m["differs"] == {"numpy": {"locked": "2.4.6", "installed": "2.0.0"},
                            "ruff": {"locked": "0.17.6", "installed": None}}
    assert lock_match(tmp_path / "nowhere", locks, env) is None


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
