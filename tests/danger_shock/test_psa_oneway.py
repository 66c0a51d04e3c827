"""One-way analysis from the PSA draws (issue 17 item 6): the flagship writes metamodel curves
of INMB on each sampled parameter beside the deterministic tornado. Checked against an
independent least-squares fit (numpy.polyfit) of the same draws."""

import numpy as np
import pytest

from hecon.models.danger_shock import analyses as an
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.model import DangerShockModel


@pytest.fixture(scope="module")
def psa_run():
    model = DangerShockModel.build(ModelConfig(country="uk"))
    out, design, _ = an.run_psa(model, an.Options(psa_draws=400, seed=11))
    return model, out


def test_curves_are_quadratic_least_squares_of_inmb(psa_run):
    model, out = psa_run
    draws, curves = out["psa_draws_uk.csv"], out["psa_oneway_uk.csv"]
    w = model.country.wtp[0]
    y = w * draws["inc_qalys"] - draws["inc_cost"]
    for name in ("p_death_180_soc", "hr_death_longterm", "c_icu_day"):
        x = draws[name].to_numpy()
        c = curves[curves["parameter"] == name]
        assert len(c) == 25 and (c["outcome"] == f"inmb_{w:g}").all()
        lo, hi = np.percentile(x, [2.5, 97.5])
        assert c["value"].iloc[0] == pytest.approx(lo) and c["value"].iloc[-1] == pytest.approx(hi)
        fit = np.polyval(np.polyfit(x, y, 2), c["value"].to_numpy())
        np.testing.assert_allclose(c["estimate"], fit, rtol=1e-8, atol=1e-6 * np.abs(y).max())
        assert (c["lower"] <= c["estimate"]).all() and (c["estimate"] <= c["upper"]).all()


def test_tornado_is_the_swing_between_the_ends(psa_run):
    _, out = psa_run
    t, curves = out["psa_tornado_uk.csv"], out["psa_oneway_uk.csv"]
    assert list(t["swing"]) == sorted(t["swing"], reverse=True)
    row = t.iloc[0]
    c = curves[curves["parameter"] == row["parameter"]]
    assert row["swing"] == pytest.approx(abs(c["estimate"].iloc[-1] - c["estimate"].iloc[0]))
    # the device price is a decision variable, fixed in the PSA: no curve for it
    assert "c_device" not in set(t["parameter"])
    # 180-day mortality with standard care moves the decision more than the ward-day cost
    assert t.set_index("parameter").loc["p_death_180_soc", "swing"] > \
        t.set_index("parameter").loc["c_ward_day", "swing"]
