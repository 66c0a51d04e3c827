"""``plots_meanwhile``: the plots of a run folder drawn in another process while the
workbooks are built give the same PNGs, pixel for pixel, as drawing them here; an error while
drawing is raised when the block ends."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from hecon.cli import main
from hecon.report.plots import all_plots, plots_meanwhile


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "r"
    model = Path(__file__).resolve().parents[2] / "examples" / "three_state.py"
    assert main(["run", "--model", str(model), "--analyses", "base,oneway", "--quiet",
                 "--out", str(out)]) == 0
    for png in out.glob("*.png"):
        png.unlink()  # drawn again below, each way
    return out


def _copy(run_dir, tmp_path, name):
    dest = tmp_path / name
    shutil.copytree(run_dir, dest)
    return dest


def test_background_plots_equal_inline_plots(run_dir, tmp_path):
    here, there = _copy(run_dir, tmp_path, "here"), _copy(run_dir, tmp_path, "there")
    drawn = sorted(p.name for p in all_plots(here))
    ran = []
    with plots_meanwhile(there, background=True):
        ran.append(True)  # the block runs while the other process draws
    assert ran == [True]
    assert drawn and sorted(p.name for p in there.glob("*.png")) == drawn
    assert {"survival_example.png", "trace_example.png", "tornado_example.png"} <= set(drawn)
    for name in drawn:
        np.testing.assert_array_equal(imread(there / name), imread(here / name))
    assert not [p for p in there.iterdir() if p.name.startswith(".")]  # no temporary file


def test_one_core_draws_before_the_block(run_dir, tmp_path):
    there = _copy(run_dir, tmp_path, "one")
    with plots_meanwhile(there, background=False):
        assert (there / "survival_example.png").is_file()


@pytest.mark.parametrize("background", [True, False])
def test_an_error_while_drawing_is_raised(run_dir, tmp_path, background):
    there = _copy(run_dir, tmp_path, f"bad{background}")
    (there / "oneway_example.csv").write_text("not,a\\ntornado table\n")
    with pytest.raises(KeyError):
        with plots_meanwhile(there, background=background):
            pass


def test_an_error_in_the_block_stops_the_other_process(run_dir, tmp_path, monkeypatch):
    import hecon.report.plots as plots

    started = []
    real = plots._start_worker
    monkeypatch.setattr(plots, "_start_worker", lambda *a: started.append(real(*a)) or
                        started[-1])
    there = _copy(run_dir, tmp_path, "stop")
    with pytest.raises(RuntimeError, match="workbook failed"):
        with plots_meanwhile(there, background=True):
            raise RuntimeError("workbook failed")
    assert started and started[0].poll() is not None  # stopped, not left running


def test_a_worker_started_ahead_shares_the_plots(run_dir, tmp_path):
    """A worker started before the run's files exist (as ``hecon run`` starts it, before the
    analyses) draws, with this process, every plot once: the same PNGs as drawn inline."""
    from hecon.report.plots import plot_jobs, plot_worker

    here, there = _copy(run_dir, tmp_path, "here"), _copy(run_dir, tmp_path, "ahead")
    drawn = sorted(p.name for p in all_plots(here))
    with plot_worker(there, background=True) as worker:
        assert worker is not None and worker.proc is not None
        claims = worker.claims
        with plots_meanwhile(there, worker=worker):
            pass
        assert worker.proc.returncode == 0
        # every job was claimed by one of the two processes
        assert len(list(claims.iterdir())) == len(plot_jobs(there))
    assert not claims.exists()  # the claims are removed with the worker
    assert sorted(p.name for p in there.glob("*.png")) == drawn
    for name in drawn:
        np.testing.assert_array_equal(imread(there / name), imread(here / name))


def test_claimed_jobs_are_drawn_once(tmp_path):
    from hecon.report.plots import draw_shared

    calls = []
    jobs = [(f"job {i}: x/y", lambda i=i: calls.append(i)) for i in range(5)]
    (tmp_path / "c").mkdir()
    assert draw_shared(jobs[:2], tmp_path / "c") == ["job 0: x/y", "job 1: x/y"]
    assert draw_shared(jobs, tmp_path / "c", reverse=True) == [f"job {i}: x/y"
                                                               for i in (4, 3, 2)]
    assert draw_shared(jobs, tmp_path / "c") == []
    assert calls == [0, 1, 4, 3, 2]
    assert draw_shared(jobs[:1], None) == ["job 0: x/y"] and calls[-1] == 0


def test_a_worker_never_sent_texts_is_stopped_and_draws_nothing(run_dir, tmp_path):
    """An error before the plots (e.g. in the analyses) ends the worker started ahead: it
    is stopped, its claims removed, and it wrote nothing."""
    from hecon.report.plots import plot_worker

    there = _copy(run_dir, tmp_path, "never")
    with pytest.raises(RuntimeError, match="analysis failed"):
        with plot_worker(there, background=True) as worker:
            raise RuntimeError("analysis failed")
    assert worker.proc.poll() is not None and not worker.claims.exists()
    assert not list(there.glob("*.png"))
    with plot_worker(there, background=False) as none:  # one core: nothing started
        assert none is None


def test_the_worker_stops_without_drawing_at_end_of_input(run_dir, tmp_path, monkeypatch):
    import io

    from hecon.report import plot_worker

    there = _copy(run_dir, tmp_path, "eof")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert plot_worker.main([str(there), str(tmp_path)]) == 0
    assert not list(there.glob("*.png"))
    monkeypatch.setattr("sys.stdin", io.StringIO("null\n"))
    assert plot_worker.main([str(there), str(tmp_path)]) == 0  # all claimed here
    assert {"survival_example.png", "tornado_example.png"} <= {p.name for p in
                                                                there.glob("*.png")}
