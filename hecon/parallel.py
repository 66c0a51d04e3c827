"""Scale-out: evaluate any design in chunks, in this process, across local processes, or on a
Dask cluster, with results identical to one single-process pass.

Every backend evaluates the same consecutive row chunks with the same model, and the engine's
arithmetic is row-wise, so the concatenated results are bit-identical whatever the chunk size,
backend or number of workers. Random numbers are drawn once, when the design is built (seeded),
never in the workers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from hecon.design import Design
from hecon.engine.markov import ModelOutput
from hecon.engine.results import Results
from hecon.errors import HeconError, InputError

BACKENDS = ("inprocess", "processes", "dask")
DASK_CONNECT_TIMEOUT = "10s"


def _evaluate_chunk(model: Any, chunk: Design, keep_trace: bool) -> Results:
    """Module-level (picklable) worker: one chunk through the model's evaluation path."""
    return model.evaluate(chunk, keep_trace=keep_trace)


def concat_results(parts: Sequence[Results]) -> Results:
    """Join the results of consecutive chunks in row order (per-sample arrays concatenated;
    traces kept only when every part has one)."""
    if not parts:
        raise HeconError("no results to join")
    first = parts[0]
    if len(parts) == 1:
        return first
    cat = np.concatenate
    outputs = {}
    for s in first.strategies:
        outs = [p.outputs[s] for p in parts]
        t = outs[0].totals
        t.costs = {k: cat([o.totals.costs[k] for o in outs]) for k in t.costs}
        t.costs_undisc = {k: cat([o.totals.costs_undisc[k] for o in outs])
                          for k in t.costs_undisc}
        for f in ("qalys", "qalys_undisc", "life_years", "life_years_undisc"):
            setattr(t, f, cat([getattr(o.totals, f) for o in outs]))
        traces = [o.trace for o in outs]
        trace = None if any(x is None for x in traces) else cat(traces)
        extras = {k: (cat([o.extras[k] for o in outs]) if np.ndim(v) == 1 else v)
                  for k, v in outs[0].extras.items()}
        o0 = outs[0]
        outputs[s] = ModelOutput(t, trace, o0.states, o0.times, o0.start_time, extras)
    labels = [lab for p in parts for lab in p.labels]
    return Results(list(first.strategies), labels, outputs)


def evaluate_design(
    model: Any,
    design: Design,
    *,
    chunk_size: int = 10_000,
    backend: str = "inprocess",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    keep_trace: bool = False,
) -> Results:
    """Evaluate ``design`` with ``model`` (anything with ``.evaluate(design, keep_trace=...)``)
    in chunks of ``chunk_size`` rows.

    ``backend``: ``"inprocess"`` (default), ``"processes"`` (a local process pool of
    ``workers``, default the number of CPUs) or ``"dask"`` (``scheduler`` a Dask scheduler
    address, or None for a local cluster of ``workers`` processes; needs
    ``pip install "hecon[dask]"``). ``progress(done_rows, total_rows)`` is called after each
    chunk, in row order.
    """
    if backend not in BACKENDS:
        raise InputError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    if int(chunk_size) != chunk_size or chunk_size < 1:
        raise InputError(f"chunk size must be a whole number >= 1, got {chunk_size!r}")
    if workers is not None and (int(workers) != workers or workers < 1):
        raise InputError(f"workers must be a whole number >= 1, got {workers!r}")
    chunks = list(design.chunks(int(chunk_size)))
    total = design.n
    parts: list[Results] = []

    def done(part: Results) -> None:
        parts.append(part)
        if progress is not None:
            progress(sum(p.n for p in parts), total)

    if backend == "inprocess" or (backend == "processes" and len(chunks) == 1):
        for c in chunks:
            done(_evaluate_chunk(model, c, keep_trace))
    elif backend == "processes":
        n = workers or os.cpu_count() or 1
        with ProcessPoolExecutor(max_workers=n) as pool:
            futures = [pool.submit(_evaluate_chunk, model, c, keep_trace) for c in chunks]
            for f in futures:  # in row order
                done(f.result())
    else:
        for part in _dask(model, chunks, keep_trace, workers, scheduler):
            done(part)
    return concat_results(parts)


def _dask(model: Any, chunks: list[Design], keep_trace: bool, workers: int | None,
          scheduler: str | None) -> list[Results]:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise HeconError("the dask backend needs Dask: pip install 'hecon[dask]'") from None
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout=DASK_CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise HeconError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        m = client.scatter(model, broadcast=True)
        futures = [client.submit(_evaluate_chunk, m, c, keep_trace, pure=False) for c in chunks]
        return client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def peak_memory_mib() -> float:
    """Peak resident memory of this process so far (MiB; Linux)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
