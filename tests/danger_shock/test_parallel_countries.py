"""Country sets side by side in worker processes (``run_base`` with the ``auto`` backend):
the same run folder as one set after another, errors from a worker as they would be raised
here, and progress bars of worker processes drawn by this one (``hecon.progress.relayed``)."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from hecon.errors import InputError
from hecon.models.danger_shock import runner
from hecon.models.danger_shock.analyses import Options
from hecon.progress import relayed, silent

INPUTS = Path(__file__).resolve().parents[2] / "inputs" / "danger_shock"


def _count_in_worker(progress, n: int) -> int:
    """Worker task (module level, picklable): a bar of ``n`` steps, then this process's id."""
    bar = progress("Counting", n, unit="step")
    for _ in range(n):
        bar.update(1)
    bar.close()
    return os.getpid()


class Recorder:
    """A progress factory that records what it is asked to draw."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def __call__(self, desc: str, total: int, unit: str = "row") -> Recorder:
        self.events.append(("open", desc, total, unit))
        return self

    def update(self, n: int = 1) -> None:
        self.events.append(("update", n))

    def close(self) -> None:
        self.events.append(("close",))


def test_bars_of_a_worker_process_are_drawn_here():
    rec = Recorder()
    ctx = multiprocessing.get_context("spawn")
    with relayed(rec) as remote, ProcessPoolExecutor(1, mp_context=ctx) as pool:
        pid = pool.submit(_count_in_worker, remote, 5).result()
    assert pid != os.getpid()
    assert rec.events == [("open", "Counting", 5, "step"), *[("update", 1)] * 5, ("close",)]


def test_silent_stays_silent():
    with relayed(silent) as remote:
        assert remote is silent


def _folder_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.suffix == ".csv" or p.name == "summary.json"}


def test_side_by_side_writes_the_same_run_folder(tmp_path, monkeypatch):
    """Both country sets with a PSA and one-way analysis: every table and the summary are
    byte-identical whether the sets run one after another (inprocess) or side by side."""
    analyses = ("base", "oneway", "psa")
    opts = dict(psa_draws=60, seed=11)
    seq, _ = runner.run_base(["dk", "uk"], None, None, str(tmp_path / "seq"), "x",
                             command=["x"], analyses=analyses,
                             options=Options(backend="inprocess", **opts))
    monkeypatch.setattr("hecon.parallel.AUTO_MIN_ROWS", 1)
    assert runner._parallel_countries(["dk", "uk"], analyses, Options(**opts))
    par, _ = runner.run_base(["dk", "uk"], None, None, str(tmp_path / "par"), "x",
                             command=["x"], analyses=analyses, options=Options(**opts))
    a, b = _folder_files(seq), _folder_files(par)
    assert set(a) == set(b) and "psa_draws_uk.csv" in a
    assert [k for k in a if a[k] != b[k]] == []


def test_side_by_side_only_when_it_pays():
    """One set, another backend, or a small PSA: one set after another in this process."""
    big = Options(psa_draws=10_000)
    assert runner._parallel_countries(["dk", "uk"], ("base", "psa"), big) == (
        (os.cpu_count() or 1) > 1)
    assert not runner._parallel_countries(["dk"], ("base", "psa"), big)
    assert not runner._parallel_countries(["dk", "uk"], ("base", "psa"),
                                          Options(psa_draws=10_000, backend="inprocess"))
    assert not runner._parallel_countries(["dk", "uk"], ("base", "psa"), Options(psa_draws=100))
    assert not runner._parallel_countries(["dk", "uk"], ("base",), big)
    assert not runner._parallel_countries(["dk", "uk"], ("base", "psa"),
                                          Options(psa_draws=10_000, workers=1))


def test_an_error_in_a_worker_is_the_error_one_after_another_raises(tmp_path, monkeypatch):
    """The Danish cost table given for both sets: the UK set's unit check fails in its worker
    and the same InputError (file, row, parameter, reason) reaches the caller; no run folder
    is left behind."""
    table = tmp_path / "costs.csv"
    table.write_text((INPUTS / "costs_dk.csv").read_text())

    def run(folder: str, backend: str) -> InputError:
        with pytest.raises(InputError) as err:
            runner.run_base(["dk", "uk"], None, str(table), str(tmp_path / folder), "x",
                            command=["x"], analyses=("base", "psa"),
                            options=Options(psa_draws=20, backend=backend))
        return err.value

    seq = run("seq", "inprocess")
    monkeypatch.setattr("hecon.parallel.AUTO_MIN_ROWS", 1)
    par = run("par", "auto")
    assert str(par) == str(seq)
    assert (par.file, par.row, par.parameter) == (seq.file, seq.row, seq.parameter)
    assert not (tmp_path / "par").exists() and not (tmp_path / "seq").exists()
