"""The engine's flagship results equal an independent plain-numpy re-implementation.

benchmarks/flagship_numpy.py writes the default DanGer Shock structure out by hand (acute tree
arithmetic, monthly Markov loop, life-table counting, step-wise discounting) from
docs/model.md; here both are evaluated on the same PSA draws and must agree to rounding.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hecon.design import Design
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.model import DangerShockModel

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import flagship_numpy  # noqa: E402

SEGMENTS = {"dk": [(0, 0.035), (35, 0.025), (70, 0.015)], "uk": [(0, 0.035)]}


@pytest.mark.parametrize("country", ["dk", "uk"])
def test_engine_equals_plain_numpy(country):
    model = DangerShockModel.build(ModelConfig(country=country))
    d = Design.psa(model.table, 200, seed=5)
    r = model.evaluate(d)
    lt = pd.read_csv(ROOT / "inputs" / "life_tables" / "denmark_2010_2012.csv")
    life = {"male": lt["male"].to_numpy(), "female": lt["female"].to_numpy()}
    ref = flagship_numpy.flagship(dict(d.params().items()), life, float(lt["age"].iloc[0]),
                                  SEGMENTS[country])
    ref_m = flagship_numpy.flagship(dict(d.params().items()), life, float(lt["age"].iloc[0]),
                                    SEGMENTS[country], matrix=True)
    for s, short in zip(r.strategies, ("impella", "soc"), strict=True):
        for o in ("cost", "qalys", "life_years"):
            np.testing.assert_allclose(r.column(s, o), ref[f"{o}_{short}"], rtol=1e-10,
                                       err_msg=f"{country} {s} {o}")
            np.testing.assert_allclose(ref_m[f"{o}_{short}"], ref[f"{o}_{short}"], rtol=1e-10)
