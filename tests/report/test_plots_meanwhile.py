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
