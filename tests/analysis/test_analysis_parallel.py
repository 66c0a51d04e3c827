"""Chunked, multi-process and Dask evaluation give results bit-identical to one pass."""

import numpy as np
import pytest

from hecon.design import Design
from hecon.errors import HeconError, InputError
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.model import DangerShockModel
from hecon.parallel import evaluate_design

OUTCOMES = ("cost", "qalys", "life_years", "cost_undisc", "alive_180d", "safety_event")


@pytest.fixture(scope="module")
def case():
    model = DangerShockModel.build(ModelConfig(country="dk", horizon_years=20))
    design = Design.psa(model.table, 600, seed=7)
    return model, design, model.evaluate(design)


def same(a, b):
    assert a.labels == b.labels
    for s in a.strategies:
        for o in OUTCOMES:
            assert np.array_equal(a.column(s, o), b.column(s, o)), (s, o)


@pytest.mark.parametrize("chunk", [1_000, 600, 250, 97])
def test_in_process_chunks(case, chunk):
    model, design, ref = case
    seen = []
    r = evaluate_design(model, design, chunk_size=chunk, progress=lambda d, t: seen.append((d, t)))
    same(r, ref)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1] == (600, 600)


def test_processes(case):
    model, design, ref = case
    same(evaluate_design(model, design, chunk_size=150, backend="processes", workers=2), ref)


def test_dask_local_cluster(case):
    pytest.importorskip("dask.distributed")
    model, design, ref = case
    same(evaluate_design(model, design, chunk_size=200, backend="dask", workers=2), ref)


def test_same_seed_same_draws_any_chunking(case):
    model, _, _ = case
    a = Design.psa(model.table, 300, seed=99)
    b = Design.psa(model.table, 300, seed=99)
    assert np.array_equal(a.values, b.values)
    same(evaluate_design(model, a, chunk_size=300), evaluate_design(model, b, chunk_size=37))


def test_bad_backend_and_chunk(case, monkeypatch):
    model, design, _ = case
    monkeypatch.setattr("hecon.parallel.DASK_CONNECT_TIMEOUT", "1s")
    with pytest.raises(InputError, match="unknown backend"):
        evaluate_design(model, design, backend="gpu")
    with pytest.raises(InputError, match="chunk size"):
        evaluate_design(model, design, chunk_size=0)
    try:
        import dask.distributed  # noqa: F401

        want = "scheduler"
    except ImportError:
        want = "pip install 'hecon\\[dask\\]'"
    with pytest.raises(HeconError, match=want):
        evaluate_design(model, design, backend="dask", scheduler="tcp://127.0.0.1:1")
