"""Tests written for the surviving mutants of hecon/analysis/voi.py after the GP speed work
(28 November, docs/testing.md): each checks a number or a rule worked out by hand."""

from __future__ import annotations

import re

import numpy as np
import pytest

from hecon.analysis import voi
from hecon.errors import InputError


def test_spline_needs_more_than_twice_its_terms():
    """The spline regression needs n > 2p draws for p terms: the message states 2p, and
    n = 2p exactly is refused."""
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, 12)
    nb = np.column_stack([np.zeros(12), x])
    with pytest.raises(InputError) as exc:
        voi.evppi(nb, x, "spline")
    p, need = (int(v) for v in re.search(r"on (\d+) terms needs more than (\d+) draws",
                                         str(exc.value)).groups())
    assert need == 2 * p
    x2 = rng.uniform(0, 1, 2 * p)
    with pytest.raises(InputError, match=f"needs more than {2 * p} draws, got {2 * p}"):
        voi.evppi(np.column_stack([np.zeros(2 * p), x2]), x2, "spline")


def test_a_matrix_of_zeros_has_no_independent_columns():
    assert voi._independent_columns(np.zeros((5, 3))).size == 0
    cols = voi._independent_columns(np.array([[1.0, 2.0, 0.0], [1.0, 2.0, 1.0],
                                              [1.0, 2.0, 3.0]]))
    assert len(cols) == 2 and 2 in cols  # column 2 (1 of the parallel pair 0/1)


def test_gcv_choice_minimises_the_criterion_by_hand():
    """Basis e1, e2 of R^6, the second direction penalised (eigenvalue 1): for smoothing
    parameter lam the shrinkage is h = (1, 1/(1+lam)), edf = 1 + h2, RSS = 0.39 + (1 - h2)^2
    (0.39: the squares of y off the basis) and GCV = 6 RSS / (6 - edf)^2. The chosen fit must
    have (to the grid's resolution) the smallest GCV over lam in [0, inf); by hand that minimum
    lies inside (GCV 0.14625 at lam = 0, 0.142 at lam = 0.1, 0.334 as lam -> inf)."""
    n = 6
    w = np.eye(n)[:, :2]
    d = np.array([0.0, 1.0])
    y = np.array([[3.0], [1.0], [0.5], [-0.2], [0.1], [0.3]])

    def gcv(h2: float) -> float:
        return n * (0.39 + (1 - h2) ** 2) / (n - 1 - h2) ** 2

    fine = np.concatenate([[0.0], np.logspace(-6, 6, 20001)])
    best = min(gcv(1 / (1 + lam)) for lam in fine)
    assert best < gcv(1.0) - 1e-3  # an interior minimum: some shrinkage pays
    g, h, edf, sigma = voi._gcv(w, d, y)
    h2 = float(h[0, 1])
    assert h[0, 0] == pytest.approx(1.0)
    assert gcv(h2) == pytest.approx(best, rel=2e-3)
    assert edf[0] == pytest.approx(1 + h2, rel=1e-12)
    np.testing.assert_allclose(g[:, 0], [3.0, h2 * 1.0, 0, 0, 0, 0], atol=1e-12)
    rss = 0.39 + (1 - h2) ** 2
    assert sigma[0] == pytest.approx(np.sqrt(rss / (n - 1 - h2)), rel=1e-12)


def test_a_constant_member_of_a_group_is_left_out_not_the_rest():
    """A group of a constant and a parameter that drives net benefit has the parameter's own
    EVPPI (the constant adds nothing); by hand the EVPPI of x for nb = (0, x - 0.5) with x
    uniform on (0, 1) is E[max(0, x - 0.5)] - max(0, E[x - 0.5]) = 1/8."""
    rng = np.random.default_rng(11)
    x = rng.uniform(0, 1, 2000)
    nb = np.column_stack([np.zeros_like(x), x - 0.5])
    alone = voi.evppi(nb, x, "spline")
    group = voi.evppi(nb, np.column_stack([np.full_like(x, 7.0), x]), "spline")
    assert group.value == pytest.approx(alone.value, rel=1e-9)
    assert group.value == pytest.approx(0.125, abs=0.02)


def test_an_evppi_result_without_residual_checks_has_an_empty_table():
    r = voi.EvppiResult(0.0, 0.0, np.zeros(1), "spline", 10)
    assert r.decile_residuals.shape == (10, 0)
