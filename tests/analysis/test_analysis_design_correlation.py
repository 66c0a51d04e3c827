"""Design.psa correlation: the achieved rank (Spearman) correlation of the draws is measured
against the requested one, and the normal-scores option against the Gaussian-copula formula
(6 / pi) arcsin(r / 2)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hecon.design import Design
from hecon.errors import InputError
from hecon.parameters import ParameterTable


def _table():
    rows = [dict(name="p", value=0.3, distribution="beta", alpha=3, beta=7),
            dict(name="c", value=100.0, distribution="gamma", se=40.0),
            dict(name="u", value=0.7, distribution="normal", se=0.05)]
    for r in rows:
        r.update(source="test", unit="-")
    return ParameterTable.from_frame(pd.DataFrame(rows))


CORR = pd.DataFrame([[1.0, 0.6, -0.4], [0.6, 1.0, 0.0], [-0.4, 0.0, 1.0]],
                    index=["p", "c", "u"], columns=["p", "c", "u"])
N = 100_000


def _spearman(d):
    return stats.spearmanr(d.values).statistic


def test_rank_correlation_is_achieved():
    d = Design.psa(_table(), N, seed=4, correlation=CORR)
    rho = _spearman(d)
    # SE of a Spearman correlation ~ (1 - rho^2) / sqrt(n) < 0.0032: 4 SE = 0.013
    np.testing.assert_allclose(rho, CORR.to_numpy(), atol=0.013)


def test_normal_scores_correlation_gives_the_copula_rank_correlation():
    d = Design.psa(_table(), N, seed=4, correlation=CORR, correlation_kind="normal")
    rho = _spearman(d)
    want = 6 / np.pi * np.arcsin(CORR.to_numpy() / 2)
    assert want[0, 1] == pytest.approx(0.58192, abs=1e-5)
    np.testing.assert_allclose(rho, want, atol=0.013)
    # and the normal scores themselves carry the entries exactly (Pearson on the scores)
    z = stats.norm.ppf(np.column_stack([stats.beta(3, 7).cdf(d.column("p")),
                                        stats.norm(0.7, 0.05).cdf(d.column("u"))]))
    assert np.corrcoef(z.T)[0, 1] == pytest.approx(-0.4, abs=0.013)


def test_bad_kind():
    with pytest.raises(InputError):
        Design.psa(_table(), 10, seed=1, correlation=CORR, correlation_kind="pearson")
