"""Scale-out: evaluate any design in chunks, in this process, across local processes, or on a
Dask cluster, with results identical to one single-process pass.

Every backend evaluates the same consecutive row chunks with the same model, and the engine's
arithmetic is row-wise, so the concatenated results are bit-identical whatever the chunk size,
backend or number of workers. Random numbers are drawn once, when the design is built (seeded),
never in the workers.

Memory is bounded by the chunk size: only one chunk's working arrays (per worker) exist at a
time; what is kept are the per-sample outputs (a few dozen float arrays of length n).

Workers receive the model by pickling, so the model must be picklable (a
:class:`~hecon.models.danger_shock.model.DangerShockModel` is: it holds its configuration,
country inputs and parameter table, and builds its strategies' callables inside
``evaluate``). The worker function is module level, so the ``"processes"`` backend uses the
``spawn`` start method on every platform (no fork of a threaded parent); as with any
multiprocessing code, a script that calls it must guard its entry point with
``if __name__ == "__main__":``.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

import numpy as np

from hecon.design import Design
from hecon.engine.accumulate import Totals
from hecon.engine.markov import ModelOutput
from hecon.engine.results import Results
from hecon.errors import HeconError, InputError

BACKENDS = ("auto", "inprocess", "processes", "dask")
#: the "auto" backend uses a process pool from this many rows on (and at least 2 CPUs): below
#: it, starting workers costs more than it saves
AUTO_MIN_ROWS = 4_000
DASK_CONNECT_TIMEOUT = "10s"
DASK_INSTALL_HINT = "pip install 'hecon[dask]'"

ProgressFn = Callable[[int, int], None]
T = TypeVar("T")

_pool: ProcessPoolExecutor | None = None  # the "processes" backend's pool, kept for reuse
_pool_size = 0


def _evaluate_chunk(model: Any, chunk: Design, keep_trace: bool) -> Results:
    """Module-level (picklable) task: one chunk through the model's evaluation path."""
    return model.evaluate(chunk, keep_trace=keep_trace)


def shared_pool(workers: int) -> ProcessPoolExecutor:
    """The process pool of ``workers`` spawned processes, started once and reused by every
    later evaluation of the same size (a run's PSA, Sobol and subgroup designs pay the
    workers' start-up once); closed when this process exits."""
    global _pool, _pool_size
    if _pool is None or _pool_size != workers:
        close_pool()
        _pool = ProcessPoolExecutor(max_workers=workers,
                                    mp_context=multiprocessing.get_context("spawn"))
        _pool_size = workers
    return _pool


def close_pool() -> None:
    """Shut the shared process pool down (if one was started)."""
    global _pool, _pool_size
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
    _pool, _pool_size = None, 0


atexit.register(close_pool)


def auto_backend(rows: int, chunk_size: int, workers: int | None) -> tuple[str, int]:
    """Backend and chunk size of ``backend="auto"``: a process pool of ``workers`` (default:
    the CPUs) with one chunk per worker when there are at least :data:`AUTO_MIN_ROWS` rows
    and more than one worker; otherwise this process."""
    n = int(workers or os.cpu_count() or 1)
    if n < 2 or rows < AUTO_MIN_ROWS:
        return "inprocess", chunk_size
    return "processes", min(int(chunk_size), -(-rows // n))


# ------------------------------------------------------------------------------- joining
def _cat_totals(parts: Sequence[Totals]) -> Totals:
    cat = np.concatenate
    t0 = parts[0]
    return Totals(
        costs={k: cat([t.costs[k] for t in parts]) for k in t0.costs},
        costs_undisc={k: cat([t.costs_undisc[k] for t in parts]) for k in t0.costs_undisc},
        qalys=cat([t.qalys for t in parts]),
        qalys_undisc=cat([t.qalys_undisc for t in parts]),
        life_years=cat([t.life_years for t in parts]),
        life_years_undisc=cat([t.life_years_undisc for t in parts]),
    )


def _cat_output(parts: Sequence[ModelOutput], sizes: Sequence[int]) -> ModelOutput:
    o0 = parts[0]
    traces = [o.trace for o in parts]
    trace = None if any(x is None for x in traces) else np.concatenate(traces)
    extras: dict[str, Any] = {}
    for k, v in o0.extras.items():
        per_sample = all(
            np.shape(o.extras.get(k)) == (m,) for o, m in zip(parts, sizes, strict=True)
        )
        # per-sample (n,) arrays are joined; scalars and other shapes are shared: keep the first
        extras[k] = np.concatenate([o.extras[k] for o in parts]) if per_sample else v
    return ModelOutput(_cat_totals([o.totals for o in parts]), trace, o0.states, o0.times,
                       o0.start_time, extras)


def concat_results(parts: Sequence[Results]) -> Results:
    """Join the results of consecutive chunks in row order into one :class:`Results`.

    Per-sample (n,) arrays (totals by cost category, QALYs, life-years, and 1-D extras of
    length n) are concatenated; other extras are taken from the first part; traces are kept
    only when every part has one. The parts are not modified.
    """
    if not parts:
        raise HeconError("no results to join")
    first = parts[0]
    if len(parts) == 1:
        return first
    for p in parts[1:]:
        if list(p.strategies) != list(first.strategies):
            raise HeconError(f"cannot join results for strategies {p.strategies} "
                             f"and {first.strategies}")
    sizes = [p.n for p in parts]
    outputs = {s: _cat_output([p.outputs[s] for p in parts], sizes) for s in first.strategies}
    labels = [lab for p in parts for lab in p.labels]
    return Results(list(first.strategies), labels, outputs)


# ------------------------------------------------------------------------------ evaluating
def evaluate_design(
    model: Any,
    design: Design,
    *,
    chunk_size: int = 10_000,
    backend: str = "inprocess",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: ProgressFn | None = None,
    keep_trace: bool = False,
) -> Results:
    """Evaluate ``design`` with ``model`` in chunks of at most ``chunk_size`` rows.

    ``model`` is anything with ``.evaluate(design, keep_trace=...) -> Results`` (picklable for
    the process and Dask backends). ``backend``:

    * ``"auto"``: ``"processes"`` with one chunk per worker for a design of at least
      :data:`AUTO_MIN_ROWS` rows on a machine with more than one CPU, else ``"inprocess"``
      (:func:`auto_backend`);
    * ``"inprocess"`` (default): chunks one after another in this process;
    * ``"processes"``: a local process pool (spawn) of ``workers`` processes, default the
      number of CPUs, kept and reused by later calls (:func:`shared_pool`);
    * ``"dask"``: a Dask cluster, needs ``pip install 'hecon[dask]'``. ``scheduler`` is a
      scheduler address (``"tcp://host:8786"``; the workers need hecon installed), or None
      for a local cluster of ``workers`` processes (default 2), started and closed here.

    Results are joined in row order and are bit-identical to one single-process pass.
    ``progress(done_rows, total_rows)`` is called after each chunk, in row order (counts are
    increasing and end at ``design.n``). Traces are dropped unless ``keep_trace``.
    """
    if backend not in BACKENDS:
        raise InputError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    if not _whole(chunk_size):
        raise InputError(f"chunk size must be a whole number >= 1, got {chunk_size!r}")
    if workers is not None and not _whole(workers):
        raise InputError(f"workers must be a whole number >= 1, got {workers!r}")
    if scheduler is not None and backend != "dask":
        raise InputError(f"a scheduler address is for the dask backend, not {backend!r}")
    if design.n < 1:
        raise InputError("the design has no rows to evaluate")
    if backend == "auto":
        backend, chunk_size = auto_backend(design.n, int(chunk_size), workers)
    chunks = list(design.chunks(int(chunk_size)))  # views: no copy of the design
    total = design.n
    parts: list[Results] = []
    done = 0
    if backend == "inprocess" or (backend == "processes" and len(chunks) == 1):
        results: Iterator[Results] = (_evaluate_chunk(model, c, keep_trace) for c in chunks)
    elif backend == "processes":
        results = _processes(model, chunks, keep_trace, workers)
    else:
        results = _dask(model, chunks, keep_trace, workers, scheduler)
    for part in results:
        parts.append(part)
        done += part.n
        if progress is not None:
            progress(done, total)
    return concat_results(parts)


# ---------------------------------------------------------------------- independent tasks
def map_tasks(
    fn: Callable[..., T],
    tasks: Sequence[tuple[Any, ...]],
    *,
    backend: str = "inprocess",
    workers: int | None = None,
    on_done: Callable[[int], None] | None = None,
    first: Sequence[int] | None = None,
) -> list[T]:
    """``[fn(*t) for t in tasks]``, in this process or on the shared process pool.

    ``backend``: ``"inprocess"`` (one after another here) or ``"processes"`` (the pool of
    :func:`shared_pool` that the designs' evaluations use, ``workers`` processes, default the
    CPUs); ``fn`` must be module level and its arguments and results picklable. Each task runs
    the same code on the same arguments either way, so the results are the same whatever the
    backend. ``on_done(i)`` is called here after task ``i`` has finished (in the order they
    finish on the pool; in task order in this process). ``first``: task indices to start
    before the others (e.g. the longest, so that no long task starts last); the results are
    always returned in task order. On an error the tasks not yet started are dropped and the
    error is raised here."""
    if backend not in ("inprocess", "processes"):
        raise InputError(f"tasks run 'inprocess' or on 'processes', not {backend!r}")
    if workers is not None and not _whole(workers):
        raise InputError(f"workers must be a whole number >= 1, got {workers!r}")
    order = list(dict.fromkeys([*(first or ()), *range(len(tasks))]))
    if sorted(order) != list(range(len(tasks))):
        raise InputError("first must list task indices (0 to the number of tasks - 1)")
    out: list[Any] = [None] * len(tasks)
    if backend == "inprocess" or len(tasks) < 2:
        for i in range(len(tasks)):
            out[i] = fn(*tasks[i])
            if on_done is not None:
                on_done(i)
        return out
    pool = shared_pool(int(workers or os.cpu_count() or 1))
    futures = {pool.submit(fn, *tasks[i]): i for i in order}
    ok = False
    try:
        for f in as_completed(futures):
            i = futures[f]
            out[i] = f.result()
            if on_done is not None:
                on_done(i)
        ok = True
    except BrokenProcessPool:
        close_pool()  # a worker died: the next call starts a fresh pool
        raise
    finally:
        if not ok:
            for f in futures:
                f.cancel()
    return out


def _whole(x: Any) -> bool:
    try:
        return not isinstance(x, bool) and int(x) == x and x >= 1
    except (TypeError, ValueError):
        return False


def _processes(model: Any, chunks: list[Design], keep_trace: bool,
               workers: int | None) -> Iterator[Results]:
    """Chunks on a local spawn process pool; results yielded in row order."""
    pool = shared_pool(int(workers or os.cpu_count() or 1))
    futures: list[Future[Results]] = [pool.submit(_evaluate_chunk, model, c, keep_trace)
                                      for c in chunks]
    ok = False
    try:
        for f in futures:  # in row order
            yield f.result()
        ok = True
    except BrokenProcessPool:
        close_pool()  # a worker died: the next call starts a fresh pool
        raise
    finally:
        if not ok:  # on an error (or an abandoned generator) drop the chunks not yet started
            for f in futures:
                f.cancel()


def _dask(model: Any, chunks: list[Design], keep_trace: bool, workers: int | None,
          scheduler: str | None) -> Iterator[Results]:
    """Chunks on a Dask cluster (one task per chunk, model scattered once); row order."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise HeconError(f"the dask backend needs Dask: {DASK_INSTALL_HINT}") from None
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=int(workers or 2), threads_per_worker=1,
                               processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout=DASK_CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise HeconError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        m = client.scatter(model, broadcast=True)
        futures = [client.submit(_evaluate_chunk, m, c, keep_trace, pure=False)
                   for c in chunks]
        for i, f in enumerate(futures):  # in row order
            yield f.result()
            futures[i] = None  # release the finished chunk's result on the cluster
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def peak_memory_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux: ``ru_maxrss`` is KiB).

    Child processes (the ``"processes"`` backend's pool, a local Dask cluster's workers) are
    not included."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
