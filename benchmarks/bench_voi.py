"""Benchmark of the EVPPI phase of ``hecon run``: seconds per phase and the EVPPI values.

The flagship's value-of-information phase (both country sets, 10,000 PSA draws) calls
``hecon.analysis.voi.evppi_table`` once per threshold (Denmark: 1; UK: 2) on net benefit
``wtp x QALYs - cost``: one spline fit per uncertain parameter and one Gaussian-process fit per
parameter group (the groups of ``parameter_groups``). This script builds the same draws once
(the flagship's own PSA, cached in a pickle under /tmp; never committed), then times:

1. ``evppi_table`` with the default method (what ``hecon run`` does), split by inner function
   (inclusive seconds and calls of the GP fit, its hyperparameter search, the negative
   log-likelihood, the spline fit, the closed-form SE);
2. the groups alone by each method (``gp``, ``spline``), with each group's EVPPI and SE;
3. the standard error by ``se_draws`` redraws (the older default) on the groups.

Usage::

    python benchmarks/bench_voi.py [--draws 10000] [--cache /tmp/hecon_bench_voi.pkl]
                                   [--se-draws 200] [--skip-table]

Timings depend on the machine and its load (the load average is printed); compare
before/after on the same machine. On a loaded machine the number of BLAS threads dominates
(OpenBLAS threads waiting for each other on 500 x 500 products): ``OPENBLAS_NUM_THREADS=1``
compares code changes without that effect; ``voi`` itself asks for one thread when the
optional ``threadpoolctl`` is installed.
"""

from __future__ import annotations

import argparse
import functools
import os
import pickle
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hecon.analysis import voi  # noqa: E402

INNER = ("_gp_fit", "_gp_hyper", "_gp_nll", "_spline_fit", "_delta_se", "_se")


def flagship_draws(draws: int, cache: Path) -> dict[str, dict[str, Any]]:
    """Per country set: costs, QALYs (n, 2), parameter draws (DataFrame), thresholds and
    EVPPI groups of the flagship PSA (read from ``cache`` when it holds ``draws`` draws)."""
    if cache.exists():
        with cache.open("rb") as f:
            data = pickle.load(f)
        if all(d["costs"].shape[0] == draws for d in data.values()):
            return data
    from hecon.models.danger_shock import analyses as an
    from hecon.models.danger_shock.model import DangerShockModel, ModelConfig

    data = {}
    for c in ("dk", "uk"):
        model = DangerShockModel.build(ModelConfig(country=c), None)
        opts = an.Options(psa_draws=draws)
        _, d, r = an.run_psa(model, opts)
        data[c] = {"costs": r.outcome_matrix("cost"), "qalys": r.outcome_matrix("qalys"),
                   "values": d.to_frame().drop(columns=["label"])[
                       an.psa_table(model, opts).uncertain_names],
                   "wtp": list(model.country.wtp), "groups": an.parameter_groups(model, opts)}
    with cache.open("wb") as f:
        pickle.dump(data, f)
    return data


class Inner:
    """Inclusive wall seconds and calls of voi's inner functions while installed."""

    def __init__(self) -> None:
        self.sec: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._orig = {n: getattr(voi, n) for n in INNER if hasattr(voi, n)}

    def __enter__(self) -> Inner:
        for n, fn in self._orig.items():
            setattr(voi, n, self._wrap(n, fn))
        return self

    def __exit__(self, *exc: object) -> None:
        for n, fn in self._orig.items():
            setattr(voi, n, fn)

    def _wrap(self, name: str, fn: Any) -> Any:
        @functools.wraps(fn)
        def timed(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.sec[name] += time.perf_counter() - t0
                self.calls[name] += 1
        return timed

    def lines(self) -> list[str]:
        return [f"    {n:<12} {self.calls[n]:>6} calls {self.sec[n]:8.2f} s"
                + (f"  ({1e3 * self.sec[n] / self.calls[n]:.1f} ms each)"
                   if self.calls[n] else "")
                for n in self._orig]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/hecon_bench_voi.pkl"))
    ap.add_argument("--se-draws", type=int, default=200,
                    help="redraws for the simulated SE of the groups (0: skip)")
    ap.add_argument("--skip-table", action="store_true",
                    help="skip the full evppi_table (single parameters by spline)")
    args = ap.parse_args(argv)

    print(f"machine: {platform.machine()} {platform.processor() or ''} "
          f"{os.cpu_count()} cores; python {platform.python_version()}; numpy {np.__version__}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    t0 = time.perf_counter()
    data = flagship_draws(args.draws, args.cache)
    print(f"flagship PSA draws: {time.perf_counter() - t0:.1f} s (cache {args.cache})\n")

    total = 0.0
    if not args.skip_table:
        print("1. evppi_table, default method (as hecon run), every threshold of both sets")
        with Inner() as inner:
            t0 = time.perf_counter()
            for d in data.values():
                for w in d["wtp"]:
                    voi.evppi_table(w * d["qalys"] - d["costs"], d["values"],
                                    groups=d["groups"])
            total = time.perf_counter() - t0
        print(f"  total {total:.2f} s; inner functions (inclusive):")
        print("\n".join(inner.lines()))
        print()

    print("2. groups alone, by method: EVPPI (SE) per group; seconds per method")
    rows = []
    for method in ("gp", "spline"):
        with Inner() as inner:
            t0 = time.perf_counter()
            for c, d in data.items():
                for w in d["wtp"]:
                    nb = w * d["qalys"] - d["costs"]
                    for g, members in d["groups"].items():
                        r = voi.evppi(nb, d["values"][members].to_numpy(float), method,
                                      name=g)
                        rows.append({"set": c, "wtp": w, "group": g[:28], "method": method,
                                     "evppi": r.value, "se": r.se, "r2": float(r.r2.mean())})
            sec = time.perf_counter() - t0
        print(f"  {method:<7} {sec:8.2f} s")
        print("\n".join(inner.lines()))
    t = pd.DataFrame(rows).pivot_table(index=["set", "wtp", "group"], columns="method",
                                       values=["evppi", "se"], sort=False)
    with pd.option_context("display.width", 140, "display.float_format", "{:,.2f}".format):
        print(t)
    print()

    if args.se_draws > 1:
        print(f"3. groups by GP with the SE from {args.se_draws} redraws")
        t0 = time.perf_counter()
        out = []
        for d in data.values():
            for w in d["wtp"]:
                nb = w * d["qalys"] - d["costs"]
                for g, members in d["groups"].items():
                    r = voi.evppi(nb, d["values"][members].to_numpy(float), "gp",
                                  se_draws=args.se_draws, name=g)
                    out.append(r.se)
        print(f"  {time.perf_counter() - t0:8.2f} s (fits included); SEs "
              + " ".join(f"{s:,.1f}" for s in out))
        print()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if total:
        print(f"evppi_table total: {total:.2f} s")


if __name__ == "__main__":
    main()
