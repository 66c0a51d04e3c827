"""Chunked, multi-process and Dask evaluation give results bit-identical to one pass."""

import numpy as np
import pytest

from hecon.design import Design
from hecon.errors import HeconError, InputError
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.model import DangerShockModel
from hecon.parallel import concat_results, evaluate_design, peak_memory_mib

N = 2000


@pytest.fixture(scope="module")
def case():
    model = DangerShockModel.build(ModelConfig(country="dk"))
    design = Design.psa(model.table, N, seed=7)
    return model, design, model.evaluate(design, keep_trace=False)


def same(a, b):
    """Bit-identical: labels, every outcome column (costs by category, QALYs, life-years,
    discounted and not) and every extra array, for every strategy."""
    assert a.strategies == b.strategies
    assert a.labels == b.labels
    for s in a.strategies:
        ta, tb = a.outputs[s].totals, b.outputs[s].totals
        assert list(ta.costs) == list(tb.costs)
        for o in ("cost", "qalys", "life_years", *(f"cost_{c}" for c in ta.costs)):
            for col in (o, f"{o}_undisc"):
                assert np.array_equal(a.column(s, col), b.column(s, col)), (s, col)
        ea, eb = a.outputs[s].extras, b.outputs[s].extras
        assert list(ea) == list(eb) and ea
        for k in ea:
            assert np.shape(ea[k]) == (a.n,)
            assert np.array_equal(ea[k], eb[k]), (s, k)


def progress_log():
    seen: list[tuple[int, int]] = []
    return seen, lambda done, total: seen.append((done, total))


def check_progress(seen, chunk):
    done = [d for d, _ in seen]
    assert len(seen) == -(-N // chunk)
    assert all(b > a for a, b in zip(done, done[1:]))
    assert {t for _, t in seen} == {N}
    assert done[-1] == N


def test_in_process_chunks(case):
    model, design, ref = case
    seen, cb = progress_log()
    r = evaluate_design(model, design, chunk_size=300, progress=cb)
    same(r, ref)
    check_progress(seen, 300)
    assert all(r.outputs[s].trace is None for s in r.strategies)


def test_processes(case):
    model, design, ref = case
    seen, cb = progress_log()
    r = evaluate_design(model, design, chunk_size=500, backend="processes", workers=2,
                        progress=cb)
    same(r, ref)
    check_progress(seen, 500)


def test_process_pool_is_reused_and_auto_splits_large_designs(case, monkeypatch):
    """Two designs through "processes" share one pool; "auto" takes the pool with one chunk
    per worker from AUTO_MIN_ROWS rows on (here lowered to the test design's size) and stays
    in this process below it or with one worker; results are the same bits every way."""
    import hecon.parallel as par

    model, design, ref = case
    evaluate_design(model, design, chunk_size=1000, backend="processes", workers=2)
    pool = par._pool
    assert pool is not None and par._pool_size == 2
    monkeypatch.setattr(par, "AUTO_MIN_ROWS", N)
    seen, cb = progress_log()
    r = evaluate_design(model, design, backend="auto", workers=2, progress=cb)
    same(r, ref)
    assert par._pool is pool  # reused, not restarted
    assert [d for d, _ in seen] == [N // 2, N]  # one chunk per worker
    assert par.auto_backend(N - 1, 10_000, 2) == ("inprocess", 10_000)
    assert par.auto_backend(N, 10_000, 1) == ("inprocess", 10_000)
    assert par.auto_backend(10 * N, 3_000, 2) == ("processes", 3_000)  # chunk bound kept
    par.close_pool()
    assert par._pool is None


def test_dask_local_cluster(case):
    pytest.importorskip("dask.distributed")
    model, design, ref = case
    seen, cb = progress_log()
    r = evaluate_design(model, design, chunk_size=700, backend="dask", workers=2, progress=cb)
    same(r, ref)
    check_progress(seen, 700)


def test_same_seed_same_draws_any_chunking(case):
    model, _, _ = case
    a = Design.psa(model.table, 300, seed=99)
    b = Design.psa(model.table, 300, seed=99)
    assert np.array_equal(a.values, b.values)
    same(evaluate_design(model, a, chunk_size=300), evaluate_design(model, b, chunk_size=37))


def test_traces_kept_on_request_and_parts_untouched(case):
    model, design, _ = case
    small = Design(design.values[:10], design.names, design.labels[:10], design.kind)
    ref = model.evaluate(small, keep_trace=True)
    parts = [model.evaluate(c, keep_trace=True) for c in small.chunks(4)]
    joined = concat_results(parts)
    same(joined, ref)
    for s in ref.strategies:
        assert np.array_equal(joined.outputs[s].trace, ref.outputs[s].trace)
    assert [p.n for p in parts] == [4, 4, 2]
    assert all(p.outputs[s].totals.qalys.shape == (p.n,) for p in parts for s in p.strategies)
    r = evaluate_design(model, small, chunk_size=3, keep_trace=True)
    assert r.trace(ref.strategies[0], 9).equals(ref.trace(ref.strategies[0], 9))
    with pytest.raises(HeconError):
        concat_results([])


def test_bad_arguments(case, monkeypatch):
    model, design, _ = case
    monkeypatch.setattr("hecon.parallel.DASK_CONNECT_TIMEOUT", "1s")
    with pytest.raises(InputError, match="unknown backend"):
        evaluate_design(model, design, backend="gpu")
    for bad in (0, -5, 2.5, None):
        with pytest.raises(InputError, match="chunk size"):
            evaluate_design(model, design, chunk_size=bad)
    with pytest.raises(InputError, match="workers"):
        evaluate_design(model, design, backend="processes", workers=0)
    try:
        import dask.distributed  # noqa: F401

        want = "scheduler"
    except ImportError:
        want = "pip install 'hecon\\[dask\\]'"
    with pytest.raises(HeconError, match=want):
        evaluate_design(model, design, backend="dask", scheduler="tcp://127.0.0.1:1")


def test_peak_memory_is_reported():
    assert peak_memory_mib() > 10
