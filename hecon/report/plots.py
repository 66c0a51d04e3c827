"""PNG plots of a run folder for documents and slides: survival curves and state traces.
Labels (strategies, states, time axis, titles) come from the model's report texts
(:func:`hecon.texts.resolve_texts`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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


def _start_worker(run_dir: str | Path, texts: dict[str, Any] | None) -> subprocess.Popen | None:
    """``python -m hecon.report.plot_worker RUN_DIR`` importing this same hecon, the texts
    on its standard input; None when it cannot be started (or the texts are not JSON)."""
    try:
        data = json.dumps(texts)
    except (TypeError, ValueError):
        return None
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])  # the folder holding this hecon package
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    try:
        proc = subprocess.Popen([sys.executable, "-m", "hecon.report.plot_worker",
                                 str(run_dir)], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    except OSError:
        return None
    try:
        assert proc.stdin is not None
        proc.stdin.write(data.encode("utf-8"))
        proc.stdin.close()
        proc.stdin = None  # written and closed: communicate() has nothing more to send
    except OSError:
        _stop(proc)
        return None
    return proc


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
    proc.communicate()


@contextmanager
def plots_meanwhile(run_dir: str | Path, texts: dict[str, Any] | None = None,
                    background: bool | None = None) -> Iterator[None]:
    """Draw :func:`all_plots` of a run folder while the block runs (e.g. the workbooks, which
    do not read the plots): when the machine has more than one core, the uncertainty-analysis
    plots in a separate Python process (``python -m hecon.report.plot_worker``, which imports
    no user code) and the base-case plots here after the block; else all here before the
    block. The plots are complete when the block ends. If the other process fails (or cannot
    start) its plots are drawn again here, so an error is raised as it would have been
    inline. On an error or an interrupt (in the block or after it) the other process is
    stopped before the error goes on. ``background`` forces the choice (None: by the number
    of cores)."""
    if background is None:
        background = (os.cpu_count() or 1) > 1
    if not background:
        all_plots(run_dir, texts)
        yield
        return
    proc = _start_worker(run_dir, texts)
    try:
        yield
        base_plots(run_dir, texts)  # the other share of the work, here
        if proc is not None:
            _, err = proc.communicate()
            if proc.returncode == 0:
                if err:  # its warnings, as drawing here would have shown them
                    sys.stderr.write(err.decode("utf-8", "replace"))
                return
    except BaseException:
        if proc is not None:
            _stop(proc)  # never leave it writing into a folder that is being removed
        raise
    from hecon.report.analysis_plots import analysis_plots

    analysis_plots(run_dir, texts)
