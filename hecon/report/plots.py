"""PNG plots of a run folder for documents and slides: survival curves and state traces.
Labels (strategies, states, time axis, titles) come from the model's report texts
(:func:`hecon.texts.resolve_texts`)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from hecon.io_safe import atomic_write  # noqa: E402
from hecon.texts import resolve_texts  # noqa: E402


def texts_of(run_dir: Path, texts: dict[str, Any] | None = None) -> dict[str, Any]:
    """Report texts of a run folder (``texts`` given, else from its summary.json)."""
    path = run_dir / "summary.json"
    summary = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return resolve_texts(summary, texts)


def _set_name(tx: dict[str, Any], key: str) -> str:
    return (tx.get("set_names") or {}).get(key, key.upper())


def _save(fig: plt.Figure, path: Path) -> Path:
    atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=120, bbox_inches="tight"))
    plt.close(fig)
    return path


def _traces(run_dir: Path) -> dict[str, dict[str, pd.DataFrame]]:
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for f in sorted(run_dir.glob("trace_*.csv")):
        country, _, arm = f.stem.removeprefix("trace_").partition("_")
        out.setdefault(country, {})[arm] = pd.read_csv(f)
    return out


def survival_plot(run_dir: Path, texts: dict[str, Any] | None = None) -> list[Path]:
    """Overall survival by arm, one PNG per set (the cohort is all alive at 0)."""
    tx = texts_of(run_dir, texts)
    arm_label = tx["strategy_labels"]
    paths = []
    for country, arms in _traces(run_dir).items():
        fig, ax = plt.subplots(figsize=(7, 4.2))
        shape = _acute_shape(run_dir, country)
        colours = {}
        for arm, tr in arms.items():
            # the acute phase as modelled: a Weibull (shape from parameters.csv, 1 = constant
            # hazard) reproducing 180-day survival
            t0, s0 = float(tr["time_years"].iloc[0]), float(1 - tr["dead"].iloc[0])
            ta = t0 * np.linspace(0.0, 1.0, 121)[:-1] ** 3 if t0 > 0 else np.zeros(0)
            t = [*ta, *tr["time_years"]]
            s = [*(s0 ** ((ta / t0) ** shape) if t0 > 0 else []), *(1 - tr["dead"])]
            label = arm_label.get(arm, arm)
            (line,) = ax.plot(t, s, label=label, lw=2)
            colours[label] = line.get_color()
        _observed_points(ax, run_dir / f"validation_{country}.csv", colours)
        if tx.get("survival_marker"):
            at, text = tx["survival_marker"]
            ax.axvline(at, color="grey", ls=":", lw=1)
            ax.text(at, 0.97, f" {text}", color="grey", va="top", fontsize=8)
        ax.set(xlabel=tx["time_label"], ylabel="Proportion alive", ylim=(0, 1.02),
               title=f"{tx.get('survival_title', 'Modelled survival')} "
                     f"({_set_name(tx, country)})")
        ax.grid(alpha=0.3)
        ax.legend()
        paths.append(_save(fig, run_dir / f"survival_{country}.png"))
    return paths


def _acute_shape(run_dir: Path, country: str) -> float:
    """Weibull shape of the acute-phase hazard from the run's parameters.csv (1 if absent)."""
    f = run_dir / "parameters.csv"
    if not f.is_file():
        return 1.0
    t = pd.read_csv(f)
    row = t[(t["name"] == "shape_acute_death") & (t.get("country", country) == country)]
    return float(row["value"].iloc[0]) if len(row) else 1.0


def _observed_points(ax: plt.Axes, path: Path, colours: dict[str, str]) -> None:
    """Published survival figures (validation_<country>.csv rows whose target is a survival
    proportion of one arm) as points with their intervals."""
    if not path.is_file():
        return
    v = pd.read_csv(path)
    v = v[v["target"].str.startswith("survival at") & v["strategy"].notna()]
    for i, (_, r) in enumerate(v.iterrows()):
        ax.errorbar(r["time_years"], r["observed"],
                    yerr=[[r["observed"] - r["low"]], [r["high"] - r["observed"]]],
                    fmt="o", ms=5, capsize=3, color=colours.get(r["strategy"], "black"),
                    label="published (95% interval)" if i == 0 else None)


def trace_plot(run_dir: Path, texts: dict[str, Any] | None = None) -> list[Path]:
    """State membership over time for each arm, one PNG per set."""
    tx = texts_of(run_dir, texts)
    arm_label, state_label = tx["strategy_labels"], tx["state_labels"]
    paths = []
    for country, arms in _traces(run_dir).items():
        fig, axes = plt.subplots(1, len(arms), figsize=(5 * len(arms), 3.8), sharey=True)
        axes = [axes] if len(arms) == 1 else list(axes)
        for ax, (arm, tr) in zip(axes, arms.items(), strict=True):
            for state in [c for c in tr.columns if c not in ("cycle", "time_years")]:
                ax.plot(tr["time_years"], tr[state], label=state_label.get(state, state), lw=2)
            ax.set(title=arm_label.get(arm, arm), xlabel=tx["time_label"])
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("Proportion of the cohort")
        axes[0].legend()
        fig.suptitle(f"{tx['trace_title']} ({_set_name(tx, country)})")
        paths.append(_save(fig, run_dir / f"trace_{country}.png"))
    return paths


def base_plots(run_dir: str | Path, texts: dict[str, Any] | None = None) -> list[Path]:
    """All base-case plots of a run folder."""
    run_dir = Path(run_dir)
    return survival_plot(run_dir, texts) + trace_plot(run_dir, texts)


def all_plots(run_dir: str | Path, texts: dict[str, Any] | None = None) -> list[Path]:
    """Base-case and uncertainty-analysis plots of a run folder (``texts``: the model's
    report texts; default those in summary.json)."""
    from hecon.report.analysis_plots import analysis_plots

    return base_plots(run_dir, texts) + analysis_plots(run_dir, texts)


def plot_jobs(run_dir: str | Path, texts: dict[str, Any] | None = None
              ) -> list[tuple[str, Callable[[], Any]]]:
    """Every plot of a run folder as (name, draw) pairs: the base-case plots, then the
    uncertainty-analysis plots (:func:`hecon.report.analysis_plots.analysis_jobs`); drawing
    them all gives :func:`all_plots`."""
    from hecon.report.analysis_plots import analysis_jobs

    run_dir = Path(run_dir)
    return [("survival", partial(survival_plot, run_dir, texts)),
            ("trace", partial(trace_plot, run_dir, texts)), *analysis_jobs(run_dir, texts)]


def claim(claims: Path, name: str) -> bool:
    """True for the one process that claims job ``name`` first (a file in ``claims`` created
    exclusively, named by a hash of the job's name)."""
    key = hashlib.sha256(name.encode("utf-8")).hexdigest()[:32]
    try:
        fd = os.open(claims / key, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def draw_shared(jobs: list[tuple[str, Callable[[], Any]]], claims: Path | None,
                reverse: bool = False) -> list[str]:
    """Draw the jobs this process claims (every job when ``claims`` is None), from the end of
    the list when ``reverse``; returns the names drawn here."""
    done = []
    for name, draw in (reversed(jobs) if reverse else jobs):
        if claims is None or claim(claims, name):
            draw()
            done.append(name)
    return done


def _start_worker(run_dir: str | Path, claims: Path) -> subprocess.Popen | None:
    """``python -m hecon.report.plot_worker RUN_DIR CLAIMS`` importing this same hecon
    (waiting for the texts on its standard input); None when it cannot be started."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])  # the folder holding this hecon package
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    try:
        return subprocess.Popen([sys.executable, "-m", "hecon.report.plot_worker",
                                 str(run_dir), str(claims)], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    except OSError:
        return None


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
    proc.communicate()


class PlotWorker:
    """A ``python -m hecon.report.plot_worker`` process for one run folder, started ahead
    (its imports overlap whatever runs meanwhile), drawing once it is sent the report texts
    (:meth:`send`); the plots are shared with this process through claim files
    (:func:`draw_shared`). :meth:`close` stops it if it still runs and removes the claims."""

    def __init__(self, run_dir: str | Path) -> None:
        self.claims = Path(tempfile.mkdtemp(prefix="hecon-plots-"))
        self.proc = _start_worker(run_dir, self.claims)
        self.sent = False
        self._ended = False  # waited for (its pipes read and closed)

    def send(self, texts: dict[str, Any] | None) -> bool:
        """Start the drawing with these texts (one line of JSON); False when the process
        did not start, has stopped or cannot take them (it is then stopped)."""
        proc = self.proc
        if proc is None or self.sent or proc.poll() is not None:
            return False
        try:
            data = json.dumps(texts) + "\n"
        except (TypeError, ValueError):
            self.stop()
            return False
        try:
            assert proc.stdin is not None
            proc.stdin.write(data.encode("utf-8"))
            proc.stdin.close()
            proc.stdin = None  # written and closed: communicate() has nothing more to send
        except OSError:
            self.stop()
            return False
        self.sent = True
        return True

    def wait(self) -> tuple[int, bytes]:
        """Wait for the process to end: its exit status and standard error."""
        assert self.proc is not None
        _, err = self.proc.communicate()
        self._ended = True
        return self.proc.returncode, err or b""

    def stop(self) -> None:
        """Stop the process (if it runs) and wait for it."""
        if self.proc is not None and not self._ended:
            _stop(self.proc)
            self._ended = True

    def close(self) -> None:
        """Stop the process if it still runs and remove its claim files."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.claims, ignore_errors=True)


@contextmanager
def plot_worker(run_dir: str | Path, background: bool | None = None
                ) -> Iterator[PlotWorker | None]:
    """A :class:`PlotWorker` for ``run_dir`` started now, to be handed to
    :func:`plots_meanwhile` later (None on one core, or when ``background`` is False);
    stopped and cleaned up when the block ends, whatever happened."""
    if background is None:
        background = (os.cpu_count() or 1) > 1
    if not background:
        yield None
        return
    worker = PlotWorker(run_dir)
    try:
        yield worker
    finally:
        worker.close()


@contextmanager
def plots_meanwhile(run_dir: str | Path, texts: dict[str, Any] | None = None,
                    background: bool | None = None,
                    worker: PlotWorker | None = None) -> Iterator[None]:
    """Draw :func:`all_plots` of a run folder while the block runs (e.g. the workbooks, which
    do not read the plots): when the machine has more than one core, in a separate Python
    process (``python -m hecon.report.plot_worker``, which imports no user code; ``worker``:
    one started ahead by :func:`plot_worker`, else one is started here) while the block
    runs, this process drawing from the other end of the list of plots (:func:`plot_jobs`)
    after the block, each plot drawn by whichever process claims it first; else all here
    before the block. The plots are complete when the block ends. If the other process fails
    (or cannot start) the plots not drawn here are drawn again here, so an error is raised as
    it would have been inline. On an error or an interrupt (in the block or after it) the
    other process is stopped before the error goes on. ``background`` forces the choice
    (None: by the number of cores)."""
    if background is None:
        background = worker is not None or (os.cpu_count() or 1) > 1
    if not background:
        all_plots(run_dir, texts)
        yield
        return
    own = worker is None
    w = PlotWorker(run_dir) if own else worker
    assert w is not None
    try:
        sent = w.send(texts)
        yield
        jobs = plot_jobs(run_dir, texts)
        mine = draw_shared(jobs, w.claims if sent else None, reverse=True)
        if sent:
            code, err = w.wait()
            if code == 0:
                if err:  # its warnings, as drawing here would have shown them
                    sys.stderr.write(err.decode("utf-8", "replace"))
                return
        # the other process failed: its plots drawn here raise its error here
        draw_shared([j for j in jobs if j[0] not in mine], None)
    except BaseException:
        w.stop()  # never leave it writing into a folder that is being removed
        raise
    finally:
        if own:
            w.close()
