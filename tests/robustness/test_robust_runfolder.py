"""Run folders written all or nothing (hecon.runfolder), without running a model: staging and
the one-step swap, the lock, interrupts (Ctrl-C and SIGTERM) mid-write, the manifest of
every file, umask-following permissions, target and name checks, the formula neutraliser and
the memory estimate."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
from pathlib import Path

import pandas as pd
import pytest

from hecon.errors import InputError
from hecon.io_safe import neutralise, write_csv, write_json, write_text
from hecon.limits import check_memory, memory_needed
from hecon.runfolder import (
    MANIFEST,
    Terminated,
    check_name,
    check_target,
    is_stage,
    staged_run,
    verify,
)


def write_run(folder: Path, files: dict[str, str]) -> None:
    """A run made of text files, written through a stage."""
    with staged_run(folder) as stage:
        write_json(stage.path / MANIFEST, {"command": ["test"]})
        for name, text in files.items():
            write_text(stage.path / name, text)


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_a_run_replaces_the_previous_one_whole(tmp_path):
    out = tmp_path / "run"
    write_run(out, {"a.csv": "x\n1\n", "psa.csv": "old\n"})
    write_run(out, {"a.csv": "x\n2\n"})
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", MANIFEST]
    assert (out / "a.csv").read_text() == "x\n2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no stage, lock or old


def test_manifest_lists_every_file_with_its_sha256(tmp_path):
    out = tmp_path / "run"
    write_run(out, {"a.csv": "x\n1\n", "b.json": "{}\n"})
    m = json.loads((out / MANIFEST).read_text())
    assert m["command"] == ["test"]  # what the run wrote is kept
    assert m["files"] == {f: hashlib.sha256((out / f).read_bytes()).hexdigest()
                          for f in ("a.csv", "b.json")}
    assert verify(out)["files"] == m["files"]


def test_a_stage_is_known_only_while_it_is_written(tmp_path):
    with staged_run(tmp_path / "run") as stage:
        assert is_stage(stage.path) and not is_stage(tmp_path / "run")
        assert stage.path.parent == tmp_path and stage.path.name.startswith(".run.staging-")
    assert not is_stage(stage.path) and not stage.path.exists()


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, Terminated, InputError])
def test_interrupt_midway_keeps_the_previous_run(tmp_path, interrupt):
    out = tmp_path / "run"
    write_run(out, {"a.csv": "old\n", "b.csv": "old\n"})
    before = listing(out)
    with pytest.raises(interrupt), staged_run(out) as stage:
        write_text(stage.path / "a.csv", "new\n")
        raise interrupt("stop") if interrupt is InputError else interrupt()
    assert listing(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_sigterm_while_writing_cleans_up_like_ctrl_c(tmp_path):
    out = tmp_path / "run"
    write_run(out, {"a.csv": "old\n"})
    before = listing(out)

    def half_then_killed(p: Path) -> None:
        p.write_text("new\n")
        os.kill(os.getpid(), signal.SIGTERM)  # delivered to this (main) thread at once
        p.write_text("never reached\n")

    with pytest.raises(Terminated), staged_run(out) as stage:
        from hecon.io_safe import atomic_write

        write_text(stage.path / "b.csv", "new\n")
        atomic_write(stage.path / "a.csv", half_then_killed)
    assert listing(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is put back


def test_a_second_run_into_the_same_folder_is_refused(tmp_path):
    out = tmp_path / "run"
    with staged_run(out) as first:
        write_text(first.path / "a.csv", "first\n")
        with pytest.raises(InputError, match="another hecon run is writing"), \
                staged_run(out):
            pass  # pragma: no cover
    assert (out / "a.csv").read_text() == "first\n"
    write_run(out, {"a.csv": "third\n"})  # the lock is released afterwards
    assert (out / "a.csv").read_text() == "third\n"


def test_leftovers_of_a_killed_run_are_tidied(tmp_path):
    out = tmp_path / "run"
    write_run(out, {"a.csv": "old\n"})
    # a run killed (SIGKILL) between the two renames: the old run is aside, a stage is left
    os.rename(out, tmp_path / ".run.old-abcdefgh")
    (tmp_path / ".run.staging-ijklmnop").mkdir()
    (tmp_path / ".run.staging-ijklmnop" / "a.csv").write_text("half")
    with pytest.raises(KeyboardInterrupt), staged_run(out):
        assert (out / "a.csv").read_text() == "old\n"  # the previous run was put back
        raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_files_and_folder_follow_the_umask(tmp_path):
    for mask, file_mode, dir_mode in ((0o027, 0o640, 0o750), (0o002, 0o664, 0o775)):
        old = os.umask(mask)
        try:
            out = tmp_path / f"run{mask:o}"
            with staged_run(out) as stage:
                write_csv(stage.path / "a.csv", pd.DataFrame({"x": [1]}))
        finally:
            os.umask(old)
        assert stat.S_IMODE(out.stat().st_mode) == dir_mode
        for f in ("a.csv", MANIFEST):
            assert stat.S_IMODE((out / f).stat().st_mode) == file_mode, f


# ------------------------------------------------------------------- verify (hecon report)


@pytest.mark.parametrize("damage, words", [
    (lambda d: (d / "a.csv").unlink(), ("missing: a.csv",)),
    (lambda d: (d / "a.csv").write_text("edited\n"), ("altered since the run: a.csv",)),
    (lambda d: (d / "psa_dk.csv").write_text("x\n"), ("not written by the run: psa_dk.csv",)),
    (lambda d: (d / MANIFEST).write_text("{not json"), ("manifest.json is damaged",)),
    (lambda d: (d / MANIFEST).unlink(), ("no manifest.json",)),
    (lambda d: (d / MANIFEST).write_text('{"command": []}'), ("lists no files",)),
])
def test_verify_says_what_is_missing_or_altered(tmp_path, damage, words):
    out = tmp_path / "run"
    write_run(out, {"a.csv": "x\n", "b.csv": "y\n"})
    damage(out)
    with pytest.raises(InputError) as info:
        verify(out)
    assert "\n" not in str(info.value)
    for w in words:
        assert w in str(info.value)


def test_verify_lets_the_file_to_rebuild_differ(tmp_path):
    out = tmp_path / "run"
    write_run(out, {"a.csv": "x\n", "report.xlsx": "old"})
    (out / "report.xlsx").unlink()
    verify(out, rebuildable=("report.xlsx",))
    (out / ".DS_Store").write_text("hidden files are not part of a run")
    verify(out, rebuildable=("report.xlsx",))


# ------------------------------------------------------------------- targets and names


def test_target_checks(tmp_path):
    (tmp_path / "file").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.docx").write_text("x")
    (tmp_path / "empty").mkdir()
    cases = {
        "file": "is an existing file, not a folder",
        "link": "dangling link",
        "mine": "not a hecon run folder (no manifest.json)",
        "file/sub": "is an existing file, not a folder",
        "a" * 300: "too long",
        "a" * 240: "too long",  # fits, but not with the staging suffix
    }
    for name, words in cases.items():
        with pytest.raises(InputError, match=words.replace("(", r"\(").replace(")", r"\)")):
            check_target(tmp_path / name)
    assert check_target(tmp_path / "empty") == tmp_path / "empty"
    assert check_target(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert check_target(tmp_path / ("a" * 237)) == tmp_path / ("a" * 237)
    assert not (tmp_path / "new").exists()  # checking creates nothing


def test_read_only_parent_is_refused(tmp_path, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):  # root writes anywhere: pretend the file system is read-only
            real = os.access
            monkeypatch.setattr(os, "access", lambda p, m: False if Path(p) == ro else real(p, m))
        with pytest.raises(InputError, match="cannot write in .*ro"):
            check_target(ro / "run")
    finally:
        ro.chmod(0o755)


@pytest.mark.parametrize("name, words", [
    ("../..", "path separator"), ("/etc", "path separator"), ("a/b", "path separator"),
    ("a\\b", "path separator"), ("..", "not a folder name"), (".", "not a folder name"),
    (".hidden", "hidden"), ("", "empty"), ("  ", "empty"), ("a\x0bb", "control character"),
    ("a\nb", "control character"),
])
def test_run_names_are_plain(name, words):
    with pytest.raises(InputError, match=words):
        check_name(name)


@pytest.mark.parametrize("name", ["base_case", "=1+1", "price check", "Ø-prisen", "v1.2"])
def test_plain_names_pass(name):
    assert check_name(name) == name


# ------------------------------------------------------------------- neutraliser, memory


@pytest.mark.parametrize("text, expected", [
    ("=1+1", "'=1+1"), ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"), ("-2+3+cmd", "'-2+3+cmd"),
    ("@SUM(1+1)", "'@SUM(1+1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("-", "'-"),
    ("-5", "-5"), ("+1e3", "+1e3"), ("-0.25", "-0.25"), ("- 5", "'- 5"), ("-5 ", "'-5 "),
    ("a=b", "a=b"), ("", ""), ("Moller 2024", "Moller 2024"),
    ("Smith\x0b2020", "Smith 2020"), ("a\x00b\x1fc\x7f", "a b c "), ("\x01=1", " =1"),
    ("line\nbreak\tand tab", "line\nbreak\tand tab"),
])
def test_neutralise_follows_owasp(text, expected):
    assert neutralise(text) == expected


@pytest.mark.parametrize("value", [5, -5, -2.5, None, True])
def test_neutralise_leaves_numbers_alone(value):
    assert neutralise(value) is value


def test_csv_writer_neutralises_text_but_not_numbers(tmp_path):
    df = pd.DataFrame({"=name": ["=1+1", "@x", "ok"], "value": [-1.5, 2.0, -3.0],
                       "text_number": ["-4", "+5", "x"]})
    write_csv(tmp_path / "t.csv", df)
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert lines == ["'=name,value,text_number", "'=1+1,-1.5,-4", "'@x,2.0,+5", "ok,-3.0,x"]
    assert df.iloc[0, 0] == "=1+1"  # the caller's frame is not changed


def test_memory_estimate_is_rows_times_columns_times_8_bytes_times_copies():
    assert memory_needed(1000, 30, copies=16) == 1000 * 30 * 8 * 16
    check_memory(1000, 30, "PSA draws", limit=1000 * 30 * 8 * 16)  # exactly at the limit
    with pytest.raises(InputError) as info:
        check_memory(1001, 30, "PSA draws", limit=1000 * 30 * 8 * 16)
    msg = str(info.value)
    assert "1,001 rows" in msg and "at most 1,000 per run (-n)" in msg and "--seed" in msg


def test_a_signal_during_the_swap_waits_until_the_new_run_is_in_place(tmp_path, monkeypatch):
    import hecon.runfolder as rf

    out = tmp_path / "run"
    write_run(out, {"a.csv": "old\n"})
    real = rf._swap

    def swap_with_ctrl_c(stage: Path, target: Path) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # arrives between the checks and the renames
        real(stage, target)

    monkeypatch.setattr(rf, "_swap", swap_with_ctrl_c)
    with pytest.raises(KeyboardInterrupt) as info:
        write_run(out, {"a.csv": "new\n"})
    assert getattr(info.value, "run_written", False)
    assert (out / "a.csv").read_text() == "new\n"
    verify(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_csv_text_is_what_write_csv_writes(tmp_path):
    """A table formatted ahead (hecon.io_safe.csv_text, e.g. in a worker process) and written
    as text gives the bytes write_csv writes: neutralised formulas, quoting, floats, NaN."""
    import numpy as np
    import pandas as pd

    from hecon.io_safe import csv_text, write_csv, write_text

    df = pd.DataFrame({"label": ["=1+1", "plain", 'a "quoted", text', "+cmd", None],
                       "x": [0.1 + 0.2, 1e-300, np.nan, -0.0, 12345678.9]})
    write_csv(tmp_path / "a.csv", df)
    write_text(tmp_path / "b.csv", csv_text(df))
    a = (tmp_path / "a.csv").read_bytes()
    assert a == (tmp_path / "b.csv").read_bytes()
    assert b"'=1+1" in a and b"0.30000000000000004" in a
