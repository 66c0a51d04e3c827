"""EVPPI fits on the shared process pool: tables identical to fitting in this process (the
flagship's PSA draws, parameters by spline and groups by Gaussian process, two thresholds),
every fit reported to the progress callback, and the choice of backend."""

import pandas as pd
import pytest

from hecon import parallel
from hecon.analysis import voi
from hecon.design import Design
from hecon.models.danger_shock import analyses as an
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.model import DangerShockModel


@pytest.fixture(scope="module")
def flagship():
    model = DangerShockModel.build(ModelConfig(country="uk"))
    opts = an.Options(psa_draws=600, backend="inprocess")
    d = Design.psa(an.psa_table(model, opts), opts.psa_draws, opts.seed)
    r = model.evaluate(d, keep_trace=False)
    return model, opts, d, r


def test_tables_identical_inprocess_and_on_the_pool(flagship):
    model, opts, d, r = flagship
    costs, qalys = r.outcome_matrix("cost"), r.outcome_matrix("qalys")
    values = d.to_frame().drop(columns=["label"])[an.psa_table(model, opts).uncertain_names]
    params = list(values.columns[:5])
    groups = dict(list(an.parameter_groups(model, opts).items())[:2])
    nbs = [w * qalys - costs for w in (20_000.0, 30_000.0)]
    runs = {}
    for backend in ("inprocess", "processes"):
        done: list[int] = []
        runs[backend] = voi.evppi_tables(nbs, values, params, groups, backend=backend,
                                         workers=2, on_fit=lambda d=done: d.append(1))
        assert len(done) == 2 * (len(params) + len(groups))
    for a, b in zip(runs["inprocess"], runs["processes"], strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)  # bit-identical
        assert list(a["kind"]) == ["parameter"] * 5 + ["group"] * 2 + ["evpi"]
        assert (a.loc[a["kind"] == "group", "method"] == "gp").all()
        assert (a.loc[a["kind"] == "parameter", "method"] == "spline").all()
    # one table alone is the same as that table among several
    one = voi.evppi_table(nbs[1], values, params, groups)
    pd.testing.assert_frame_equal(one, runs["inprocess"][1], check_exact=True)
    assert runs["inprocess"][0]["evppi"].to_numpy() != pytest.approx(
        runs["inprocess"][1]["evppi"].to_numpy())  # the thresholds differ


def test_run_voi_identical_whatever_the_backend(flagship, monkeypatch):
    model, opts, d, r = flagship
    monkeypatch.setattr(voi, "AUTO_MIN_DRAWS", 500)
    seen = []
    real = parallel.map_tasks

    def spy(fn, tasks, **kw):
        seen.append(kw["backend"])
        return real(fn, tasks, **kw)

    monkeypatch.setattr(parallel, "map_tasks", spy)
    ticks = []

    class Bar:
        def update(self, k):
            ticks.append(k)

        def close(self):
            pass

    out = {}
    for backend in ("inprocess", "auto"):
        o = an.Options(psa_draws=600, backend=backend, workers=2,
                       progress=lambda *a, **k: Bar())
        out[backend] = an.run_voi(model, d, r, o)
    assert seen == ["inprocess", "processes"]
    n_fits = len(model.country.wtp) * (len(an.psa_table(model, opts).uncertain_names)
                                       + len(an.parameter_groups(model, opts)))
    assert sum(ticks) == 2 * n_fits  # the bar moved once per fit, on both backends
    for k in ("evpi_uk.csv", "evppi_uk.csv"):
        pd.testing.assert_frame_equal(out["inprocess"][k], out["auto"][k], check_exact=True)


def test_fits_backend_choice():
    n = voi.AUTO_MIN_DRAWS
    assert voi.fits_backend("auto", n, 2, workers=2) == "processes"
    assert voi.fits_backend("auto", n - 1, 2, workers=2) == "inprocess"
    assert voi.fits_backend("auto", n, 1, workers=2) == "inprocess"
    assert voi.fits_backend("auto", n, 2, workers=1) == "inprocess"
    assert voi.fits_backend("processes", 10, 1) == "processes"
    assert voi.fits_backend("dask", 10 * n, 50, workers=2) == "inprocess"
    assert voi.fits_backend("inprocess", 10 * n, 50, workers=2) == "inprocess"


def test_auto_threshold_is_the_engines():
    """A PSA that the auto backend evaluated on the pool has its EVPPI fitted there too."""
    assert voi.AUTO_MIN_DRAWS == parallel.AUTO_MIN_ROWS
