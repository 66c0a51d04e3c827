"""End-to-end benchmark of ``hecon run``: wall time of every phase, beside the plain-numpy kernel.

Runs the whole default job (both country sets, base case, scenarios, one-way, PSA, VOI, Sobol)
through the command line's own code path (``hecon.cli.main``), with a timer wrapped around
each phase's function, and prints a table: phase, calls, wall seconds (each second counted
once, in the outermost phase running), share of the total. The first run is the one a user
makes (backend auto: the country sets side by side in worker processes, timed as one phase);
the second (skip it with ``--no-phases``) runs in one process, sets one after another, so that
every phase's own work is timed. Then, in
the same process and on the same draws, the plain-numpy flagship kernel of
``benchmarks/flagship_numpy.py`` (hand-specialised and matrix form) and the engine on the same
PSA, so that the engine's cost per draw and the command's cost per draw can be read against the
kernel's. Peak resident memory of the process is printed at the end, then the time and peak
resident memory of a fresh process evaluating 100,000 PSA draws in chunks of 10,000
(``--memory-draws``; issue 11's limit is 2 GiB).

Usage::

    python benchmarks/bench_run.py [--draws 10000] [--sobol-n 1024] [--out DIR] [--quick]

``--quick`` (1,000 draws, Sobol N = 128) is for a smoke run; the issue's targets refer to the
defaults. Timings depend on the machine and its load: run it on an idle machine and quote the
machine with the numbers (docs/analysis.md).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import io
import platform
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import flagship_numpy  # noqa: E402

# phase label -> (module, attribute): each function is wrapped by a timer during the run
PHASES = {
    "base case and summary": ("hecon.models.danger_shock.runner", "summarise"),
    "external validation": ("hecon.models.danger_shock.validation", "validation_records"),
    "subgroups (4 x base + PSA)": ("hecon.models.danger_shock.subgroups", "run_subgroups"),
    "scenarios": ("hecon.models.danger_shock.runner", "scenario_table"),
    "one-way": ("hecon.models.danger_shock.analyses", "run_oneway"),
    "PSA": ("hecon.models.danger_shock.analyses", "run_psa"),
    "VOI (EVPI, EVPPI)": ("hecon.models.danger_shock.analyses", "run_voi"),
    "Sobol": ("hecon.models.danger_shock.analyses", "run_gsa"),
    # its own 10,000-draw PSA of per-patient yearly costs (the device price sampled too)
    "budget impact": ("hecon.models.danger_shock.budget", "run_budget"),
    "write run folder": ("hecon.models.danger_shock.runner", "_write_folder"),
    # on two or more cores the plots are drawn in a worker process (started before the
    # analyses) while the workbooks are built (hecon.report.plots.plots_meanwhile); this
    # process then draws those the worker has not claimed, from the other end of the list;
    # waiting for the worker at the end counts as "other"
    "plots (this process's share; the rest alongside the workbooks)": ("hecon.report.plots",
                                                                        "draw_shared"),
    "report workbook": ("hecon.report.workbook", "build_workbook"),
    "live Excel model": ("hecon.models.danger_shock.excel_model", "build_excel_model"),
}

# with the auto backend the country sets run side by side in worker processes (one per CPU)
# while this process computes the scenario table: their phases cannot be timed from here, so
# the run a user makes is timed as one phase, and a second run in one process (--backend
# inprocess, sets one after another) gives the work of every phase
SIDE_BY_SIDE = {
    "both country sets side by side (2 worker processes; scenarios here meanwhile)": (
        "hecon.models.danger_shock.runner", "_country_parts"),
}


class Timers:
    """Wall time per phase, each second counted once: a timed function called while another
    phase runs (a scenario's base case, the subgroups' PSA) belongs to the outer phase."""

    def __init__(self) -> None:
        self.total: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._depth = 0

    def wrap(self, label: str, fn: Any) -> Any:
        @functools.wraps(fn)
        def timed(*a: Any, **kw: Any) -> Any:
            if self._depth:
                return fn(*a, **kw)
            self._depth += 1
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.total[label] += time.perf_counter() - t0
                self.calls[label] += 1
                self._depth -= 1
        return timed


@contextlib.contextmanager
def instrumented(timers: Timers, phases: dict[str, tuple[str, str]]):
    """Wrap every phase function for the duration of the block."""
    saved = []
    for label, (mod, attr) in phases.items():
        m = importlib.import_module(mod)
        fn = getattr(m, attr)
        saved.append((m, attr, fn))
        setattr(m, attr, timers.wrap(label, fn))
    try:
        yield
    finally:
        for m, attr, fn in saved:
            setattr(m, attr, fn)


def run_job(draws: int, sobol_n: int, out: Path, in_process: bool = False
            ) -> tuple[float, Timers]:
    """Wall time of ``hecon run`` and of its phases: as a user runs it (the auto backend), or
    with ``in_process`` in this process alone, every phase timed."""
    from hecon.cli import main

    timers = Timers()
    argv = ["run", "--quiet", "-n", str(draws), "--sobol-n", str(sobol_n), "--out", str(out)]
    phases = PHASES if in_process else {**SIDE_BY_SIDE, **PHASES}
    if in_process:
        argv += ["--backend", "inprocess"]
    with instrumented(timers, phases), contextlib.redirect_stdout(io.StringIO()):
        t0 = time.perf_counter()
        rc = main(argv)
        wall = time.perf_counter() - t0
    if rc != 0:
        raise SystemExit(f"hecon run failed with exit code {rc}")
    return wall, timers


def kernels(draws: int) -> dict[str, float]:
    """Seconds for the same PSA draws (Danish set) through the engine and the numpy kernels."""
    from hecon.design import Design
    from hecon.models.danger_shock.config import ModelConfig
    from hecon.models.danger_shock.model import DangerShockModel

    model = DangerShockModel.build(ModelConfig(country="dk"))
    design = Design.psa(model.table, draws, seed=1)
    params = dict(design.params().items())
    root = Path(__file__).resolve().parents[1]
    lt = pd.read_csv(root / "inputs" / "life_tables" / "denmark_2010_2012.csv")
    life = {"male": lt["male"].to_numpy(), "female": lt["female"].to_numpy()}
    segments = [(0, 0.035), (35, 0.025), (70, 0.015)]
    out = {}
    t0 = time.perf_counter()
    model.evaluate(design, keep_trace=False)
    out["hecon engine"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    flagship_numpy.flagship(params, life, float(lt["age"].iloc[0]), segments)
    out["numpy kernel, hand-specialised"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    flagship_numpy.flagship(params, life, float(lt["age"].iloc[0]), segments, matrix=True)
    out["numpy kernel, matrix form"] = time.perf_counter() - t0
    return out


def psa_per_draw(small: int, large: int, out: Path) -> float:
    """Marginal seconds per extra draw of the whole ``hecon psa`` command (both countries)."""
    from hecon.cli import main

    times = []
    for n in (small, large):
        with contextlib.redirect_stdout(io.StringIO()):
            t0 = time.perf_counter()
            main(["psa", "--quiet", "-n", str(n), "--out", str(out / f"psa{n}")])
            times.append(time.perf_counter() - t0)
    return (times[1] - times[0]) / (large - small)


MEMORY_SCRIPT = """
import resource, sys, time
from hecon.design import Design
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.model import DangerShockModel
from hecon.parallel import evaluate_design
model = DangerShockModel.build(ModelConfig(country="dk"))
design = Design.psa(model.table, int(sys.argv[1]), seed=1)
t0 = time.perf_counter()
r = evaluate_design(model, design, chunk_size=10_000, backend="inprocess")
sec = time.perf_counter() - t0
try:  # VmHWM: this process image's own peak (ru_maxrss keeps the parent's across fork/exec)
    with open("/proc/self/status") as fh:
        peak = next(int(x.split()[1]) for x in fh if x.startswith("VmHWM")) / 1024
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(sec, peak)
"""


def memory(draws: int) -> tuple[float, float]:
    """Seconds and peak resident memory (MiB) of a fresh process evaluating ``draws`` PSA
    draws of the Danish set in chunks of 10,000 (issue 11: 100,000 draws under 2 GiB)."""
    import subprocess

    done = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(draws)], check=True,
                          capture_output=True, text=True)
    sec, peak = (float(x) for x in done.stdout.split())
    return sec, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--sobol-n", type=int, default=1_024)
    ap.add_argument("--out", type=Path, default=None, help="run folder (default: a temp dir)")
    ap.add_argument("--quick", action="store_true", help="1,000 draws, Sobol N = 128")
    ap.add_argument("--no-phases", dest="phases", action="store_false",
                    help="skip the second run, in one process, that times every phase")
    ap.add_argument("--memory-draws", type=int, default=100_000,
                    help="draws of the memory check in a fresh process (0: skip)")
    a = ap.parse_args()
    draws, sobol_n = (1_000, 128) if a.quick else (a.draws, a.sobol_n)
    tmp = Path(tempfile.mkdtemp(prefix="hecon_bench_"))
    out = a.out or tmp / "run"
    print(f"hecon run, both country sets, {draws:,} PSA draws, Sobol N = {sobol_n:,} "
          f"({platform.processor() or platform.machine()}, {platform.python_version()}, "
          f"numpy {np.__version__})")
    for in_process in (False, True) if a.phases else (False,):
        wall, timers = run_job(draws, sobol_n, out.with_name(out.name + ("_one" if in_process
                                                                         else "")), in_process)
        print("\nIn one process, sets one after another (--backend inprocess): the work of each "
              "phase" if in_process else "\nAs a user runs it (backend auto):")
        rows = sorted(timers.total.items(), key=lambda kv: -kv[1])
        other = wall - sum(timers.total.values())
        print(f"{'phase':32s} {'calls':>5s} {'seconds':>9s} {'share':>6s}")
        for label, sec in rows:
            print(f"{label:32s} {timers.calls[label]:5d} {sec:9.2f} {sec / wall:6.1%}")
        print(f"{'other (parsing, checks, output)':32s} {'':5s} {other:9.2f} "
              f"{other / wall:6.1%}")
        print(f"{'whole hecon run':32s} {'':5s} {wall:9.2f} {1:6.1%}")

    k = kernels(draws)
    base = k["numpy kernel, hand-specialised"]
    print(f"\nSame {draws:,} PSA draws, Danish set, one evaluation of both arms:")
    for label, sec in k.items():
        print(f"  {label:34s} {sec:7.2f} s  {sec / draws * 1e3:8.4f} ms/draw  "
              f"{sec / base:5.1f}x the hand-specialised kernel")
    small = max(draws // 10, 100)
    per = psa_per_draw(small, draws, tmp)
    print(f"\n`hecon psa` (both countries): {per * 1e3:.4f} ms per extra draw = "
          f"{per / (base / draws) / 2:.1f}x the hand-specialised kernel per draw and country")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nPeak resident memory of this process: {peak:,.0f} MiB")
    if a.memory_draws:
        sec, mib = memory(a.memory_draws)
        print(f"{a.memory_draws:,} PSA draws (Danish set, chunks of 10,000, one process): "
              f"{sec:.1f} s, peak resident memory {mib:,.0f} MiB (limit 2,048)")


if __name__ == "__main__":
    main()
