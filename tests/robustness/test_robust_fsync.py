"""Durability of a run folder with one flush per file: files written into a run's staging
folder are flushed to disk together when the folder is sealed (before it is swapped in), not
one by one as they are written; elsewhere every file is flushed as it is written."""

from pathlib import Path

import pandas as pd
import pytest

from hecon import io_safe
from hecon.io_safe import write_csv, write_text
from hecon.runfolder import staged_run, verify


@pytest.fixture
def flushed(monkeypatch):
    names: list[str] = []
    monkeypatch.setattr(io_safe, "_fsync", lambda p: names.append(Path(p).name))
    return names


def test_a_run_folder_is_flushed_once_when_sealed(tmp_path, flushed):
    target = tmp_path / "run"
    with staged_run(target) as stage:
        write_text(stage.path / "a.txt", "x")
        write_csv(stage.path / "b.csv", pd.DataFrame({"v": [1.5]}))
        (stage.path / "sub").mkdir()
        write_text(stage.path / "sub" / "c.txt", "y")
        assert flushed == []  # nothing flushed file by file
    assert sorted(flushed) == ["a.txt", "b.csv", "c.txt", "manifest.json"]
    assert set(verify(target)["files"]) == {"a.txt", "b.csv", "sub/c.txt"}


def test_a_failed_run_flushes_nothing_and_leaves_nothing(tmp_path, flushed):
    with pytest.raises(RuntimeError):
        with staged_run(tmp_path / "run") as stage:
            write_text(stage.path / "a.txt", "x")
            raise RuntimeError("stop")
    assert flushed == [] and list(tmp_path.iterdir()) == []


def test_elsewhere_each_file_is_flushed_as_it_is_written(tmp_path, flushed):
    write_text(tmp_path / "d.txt", "z")
    assert len(flushed) == 1 and flushed[0].startswith(".d.txt.")  # before the rename
    with staged_run(tmp_path / "run"):
        write_text(tmp_path / "e.txt", "z")  # beside the run, not in it
    assert len([n for n in flushed if n.startswith(".e.txt.")]) == 1
