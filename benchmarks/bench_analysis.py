"""Analysis benchmarks on the flagship DanGer Shock model (Danish country set).

1. PSA throughput: 10,000 draws evaluated by hecon (chunked, validated) vs the same draws
   through the plain-numpy kernels in benchmarks/flagship_numpy.py: the matrix form (what a
   general cohort engine computes; goal: hecon within 3x) and a hand-specialised form (two
   alive states, no matrix; the hardest baseline).
2. Sobol: every uncertain parameter at N = 4096 base samples (N x (k + 2) evaluations) plus
   SALib analysis on INMB, incremental cost and QALYs. Goal: < 60 s.
3. EVPPI of every uncertain parameter from 10,000 draws by regression. Goal: < 10 s. Baseline:
   a plain numpy cubic-polynomial regression per parameter.
4. 100,000 draws in chunks of 10,000. Goal: < 2 GiB peak.

Each line prints wall time (untraced), throughput and peak traced memory (tracemalloc, from a
second run; "nan" where a second run would be too long), and the process's peak resident
memory at the end. Usage::

    python benchmarks/bench_analysis.py [--draws 10000] [--sobol-n 4096] [--big 100000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import flagship_numpy  # noqa: E402

from hecon.design import Design  # noqa: E402
from hecon.models.danger_shock.analyses import increments  # noqa: E402
from hecon.models.danger_shock.config import ModelConfig  # noqa: E402
from hecon.models.danger_shock.inputs import default_inputs_dir  # noqa: E402
from hecon.models.danger_shock.model import DangerShockModel  # noqa: E402
from hecon.parallel import evaluate_design  # noqa: E402

WTP = 250_000.0
SEGMENTS = [(0, 0.035), (35, 0.025), (70, 0.015)]


def measure(fn, traced: bool = True):
    """Run fn untraced for the time, then (if ``traced``) again under tracemalloc for the peak
    memory (tracemalloc slows allocation-heavy code, so the two are measured separately).
    Returns (result, seconds, peak traced MiB or NaN)."""
    t0 = time.perf_counter()
    out = fn()
    sec = time.perf_counter() - t0
    peak = float("nan")
    if traced:
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return out, sec, peak


def line(label: str, n: int, sec: float, peak: float, unit: str = "evaluations") -> None:
    print(f"  {label:34s} {sec:8.2f} s  {n / sec:12,.0f} {unit}/s  peak {peak:8.1f} MiB")


def kernel(design: Design, matrix: bool = False) -> dict[str, np.ndarray]:
    lt = pd.read_csv(default_inputs_dir() / "life_tables" / "denmark_2010_2012.csv")
    life = {"male": lt["male"].to_numpy(), "female": lt["female"].to_numpy()}
    return flagship_numpy.flagship(dict(design.params().items()), life,
                                   float(lt["age"].iloc[0]), SEGMENTS, matrix=matrix)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--sobol-n", type=int, default=4096)
    ap.add_argument("--big", type=int, default=100_000)
    ap.add_argument("--chunk", type=int, default=10_000)
    args = ap.parse_args()
    model = DangerShockModel.build(ModelConfig(country="dk"))
    k = len(model.table.uncertain_names)
    print(f"DanGer Shock model (DK), {k} uncertain parameters, lifetime horizon, monthly cycles")

    # 1. PSA
    d = Design.psa(model.table, args.draws, seed=1)
    print(f"\n1. PSA, {args.draws:,} draws x 2 strategies (goal: hecon within 3x of numpy)")
    res, t_h, m_h = measure(lambda: evaluate_design(model, d, chunk_size=args.chunk))
    ref_m, t_m, m_m = measure(lambda: kernel(d, matrix=True))
    ref, t_n, m_n = measure(lambda: kernel(d))
    line("hecon (evaluate_design, validated)", args.draws, t_h, m_h, "draws")
    line("numpy kernel, matrix form", args.draws, t_m, m_m, "draws")
    line("numpy kernel, hand-specialised", args.draws, t_n, m_n, "draws")
    a, b = res.strategies
    err = np.max(np.abs(res.column(a, "cost") - ref["cost_impella"]) / ref["cost_impella"])
    print(f"  ratio hecon / matrix-form numpy: {t_h / t_m:.2f}x (goal < 3x); hecon / "
          f"hand-specialised numpy: {t_h / t_n:.2f}x   (max relative difference in cost "
          f"{err:.1e})")

    # 2. Sobol
    from hecon.analysis import gsa

    print(f"\n2. Sobol, N = {args.sobol_n} base samples, {k} parameters "
          f"({args.sobol_n * (k + 2):,} evaluations; goal < 60 s)")

    def sobol():
        gd = gsa.sobol_design(model.table, n=args.sobol_n, seed=1)
        r = evaluate_design(model, gd.design, chunk_size=args.chunk)
        dc, dq = increments(r)
        tables = [gsa.sobol_indices(gd, y) for y in (WTP * dq - dc, dc, dq)]
        return gd, tables

    (gd, tables), t_s, m_s = measure(sobol, traced=False)
    line("hecon: design + evaluate + SALib", gd.design.n, t_s, m_s)
    _, t_sn, m_sn = measure(lambda: kernel(gd.design), traced=False)
    line("plain numpy kernel (evaluate only)", gd.design.n, t_sn, m_sn)
    top = tables[0].sort_values("ST", ascending=False).head(3)
    print("  top total indices on INMB: " + ", ".join(
        f"{p} {s:.2f}" for p, s in zip(top["parameter"], top["ST"], strict=True)))

    # 3. EVPPI
    from hecon.analysis import voi

    print(f"\n3. EVPPI of all {k} parameters from {args.draws:,} draws (goal < 10 s)")
    c, q = res.outcome_matrix("cost"), res.outcome_matrix("qalys")
    nb = WTP * q - c
    values = d.to_frame().drop(columns=["label"])[model.table.uncertain_names]
    ev, t_e, m_e = measure(lambda: voi.evppi_table(nb, values))
    line("hecon evppi_table (spline metamodel)", k, t_e, m_e, "parameters")

    def poly_baseline():
        inb = nb[:, 0] - nb[:, 1]
        out = []
        for name in values.columns:
            x = values[name].to_numpy()
            if np.ptp(x) == 0:
                out.append(0.0)
                continue
            z = (x - x.mean()) / x.std()
            g = np.polyval(np.polyfit(z, inb, 3), z)
            out.append(np.mean(np.maximum(g, 0)) - max(np.mean(g), 0))
        return out

    _, t_p, m_p = measure(poly_baseline)
    line("plain numpy cubic regression", k, t_p, m_p, "parameters")
    print("  largest EVPPI: " + ", ".join(
        f"{p} {v:,.0f}" for p, v in ev.sort_values("evppi", ascending=False)
        .head(3)[["parameter", "evppi"]].itertuples(index=False)))

    # 4. 100k draws
    print(f"\n4. {args.big:,} draws in chunks of {args.chunk:,} (goal < 2 GiB)")
    big = Design.psa(model.table, args.big, seed=2)
    _, t_b, m_b = measure(lambda: evaluate_design(model, big, chunk_size=args.chunk))
    line("hecon chunked", args.big, t_b, m_b, "draws")
    _, t_bp, _ = measure(lambda: evaluate_design(model, big, chunk_size=args.chunk,
                                                 backend="processes", workers=2), traced=False)
    line("hecon chunked, 2 local processes", args.big, t_bp, float("nan"), "draws")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nPeak resident memory of this process: {rss:,.0f} MiB")


if __name__ == "__main__":
    main()
