"""Validation of the DanGer Shock model against the trial and against hand calculations."""

import json

import numpy as np
import pandas as pd
import pytest

from hecon.design import Design
from hecon.engine import Settings
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.model import STRATEGY_NAMES, DangerShockModel
from hecon.models.danger_shock.structure import ACUTE_YEARS, acute_decedent_years
from hecon.scenarios import Scenario

IMP, SOC = STRATEGY_NAMES
TRIAL = {  # Moller et al. NEJM 2024 (DanGer Shock), events / analysed
    IMP: {"alive_180d": 1 - 82 / 179, "safety_event": 43 / 179, "acute_rrt": 75 / 179},
    SOC: {"alive_180d": 1 - 103 / 176, "safety_event": 11 / 176, "acute_rrt": 47 / 176},
}


@pytest.mark.parametrize("country", ["dk", "uk"])
@pytest.mark.parametrize("structure", ["hybrid", "psm"])
def test_180_day_outcomes_reproduce_the_trial(country, structure):
    m = DangerShockModel.build(ModelConfig(country=country, structure=structure))
    s = m.base_case().summary()
    for arm, expected in TRIAL.items():
        assert abs(s.loc[arm, "alive_180d"] - expected["alive_180d"]) < 0.005
        if structure == "hybrid":
            assert abs(s.loc[arm, "safety_event"] - expected["safety_event"]) < 0.005
            assert abs(s.loc[arm, "acute_rrt"] - expected["acute_rrt"]) < 0.005


def identical_arms(m: DangerShockModel) -> dict:
    p = dict(m.base_design().params().items())
    for stem in ("p_death_180", "p_safety", "p_rrt"):
        p[f"{stem}_impella"] = p[f"{stem}_soc"]
    p["c_device"] = p["c_implant"] = p["c_device_system"] = np.zeros(1)
    p["icu_days_ratio_impella"] = np.ones(1)
    return p


@pytest.mark.parametrize("effect", ["trial", "averaged"])
@pytest.mark.parametrize("structure", ["hybrid", "psm"])
def test_identical_arms_give_zero_increments(structure, effect):
    m = DangerShockModel.build(ModelConfig(structure=structure, effect_duration=effect))
    p = identical_arms(m)
    p["p_death_fu_given180_impella"] = p["p_death_fu_given180_soc"]
    p["hr_death_longterm"] = np.ones(1)
    from hecon.engine import evaluate

    r = evaluate(m.strategies(), p, m.settings())
    for outcome in ("cost", "qalys", "life_years", "cost_undisc", "alive_180d"):
        col = r.outcome_matrix(outcome)[0]
        assert col[0] == pytest.approx(col[1], rel=1e-13, abs=1e-12), outcome


def test_horizon_180_days_is_the_trial_period_by_hand():
    sc = Scenario("h", "180 days", {"horizon_years": 0.5})
    m = DangerShockModel.build(scenario=sc)
    assert m.config.horizon_years == 0.5
    p = m.base_design().params()
    s = m.base_case().summary()
    for arm, key in ((IMP, "impella"), (SOC, "soc")):
        pd_ = p[f"p_death_180_{key}"][0]
        ps = 1 - pd_
        # Weibull S(t) = (1 - p)^((t/T)^k) through the 180-day mortality; the cohort's time
        # alive within 180 days is the area under S (numerical integration, by hand)
        k = p.shape_acute_death[0]
        t = np.linspace(0, ACUTE_YEARS, 400_001)
        ly = np.trapezoid((1 - pd_) ** ((t / ACUTE_YEARS) ** k), t)
        assert s.loc[arm, "life_years"] == pytest.approx(ly, rel=1e-6)
        assert s.loc[arm, "life_years_undisc"] == pytest.approx(ly, rel=1e-6)
        q = ly * p.u_acute[0] - p[f"p_safety_{key}"][0] * p.du_safety_event[0]
        assert s.loc[arm, "qalys"] == pytest.approx(q, rel=1e-6)
        icu_x = p.icu_days_ratio_impella[0] if key == "impella" else 1.0
        hosp = ps * (
            icu_x * p.icu_days_survivor[0] * p.c_icu_day[0]
            + p.ward_days_survivor[0] * p.c_ward_day[0]
        ) + pd_ * (
            icu_x * p.icu_days_decedent[0] * p.c_icu_day[0]
            + p.ward_days_decedent[0] * p.c_ward_day[0]
        )
        cost = (
            hosp
            + p[f"p_safety_{key}"][0] * p.c_safety_event[0]
            + p[f"p_rrt_{key}"][0] * (p.c_rrt_acute[0])
        )
        if key == "impella":
            cost += p.c_device[0] + p.c_implant[0] + p.c_device_system[0]
        assert s.loc[arm, "cost"] == pytest.approx(cost, rel=1e-12)
        assert "cost_follow_up" not in s.columns  # no long-term phase


def test_acute_decedent_time_closed_form():
    # p -> 0: deaths uniform over the period, mean T/2; p = 1 - e^{-1}: lam = 1/T
    assert acute_decedent_years(np.array([1e-12]))[0] == pytest.approx(ACUTE_YEARS / 2)
    p = 1 - np.exp(-1.0)
    assert acute_decedent_years(np.array([p]))[0] == pytest.approx(
        ACUTE_YEARS - ACUTE_YEARS * np.exp(-1) / p
    )


def life_expectancy_from_table(csv, start_age, years, male_share):
    """Exact restricted life expectancy with piecewise-constant hazards, by hand (daily grid
    integration of the closed-form survival within each year of age)."""
    lt = pd.read_csv(csv).set_index("age")
    out = 0.0
    for sex, w in (("male", male_share), ("female", 1 - male_share)):
        t = np.linspace(0, years, int(years * 3650) + 1)
        age = start_age + t
        a = np.minimum(np.floor(age), lt.index.max()).astype(int)
        h = lt[sex].to_numpy()[a - lt.index.min()]
        H = np.concatenate([[0], np.cumsum(h[:-1] * np.diff(t))])
        S = np.exp(-H)
        out += w * np.trapezoid(S, t)
    return out


def test_long_term_phase_without_excess_mortality_reproduces_life_table():
    m = DangerShockModel.build(ModelConfig(country="dk", discounting="none"))
    p = dict(m.base_design().params().items())
    # everyone alive and off dialysis at 180 days; no excess mortality
    for k in ("p_death_180_impella", "p_death_180_soc", "p_rrt_impella", "p_rrt_soc"):
        p[k] = np.zeros(1)
    p["smr_year1"] = p["smr_after_year1"] = np.ones(1)
    from hecon.engine import evaluate

    r = evaluate(
        m.strategies(),
        p,
        Settings(
            counting="life-table",
            discount_costs=m.settings().discount_costs,
            discount_effects=m.settings().discount_effects,
        ),
    )
    ly = r.column(SOC, "life_years_undisc")[0] - ACUTE_YEARS
    age0 = 67 + ACUTE_YEARS
    n_cycles = int(round((100 - age0) / (30.4375 / 365.25)))
    years = n_cycles * 30.4375 / 365.25
    expected = life_expectancy_from_table(
        m.country.life_table_file, age0, years, p["male_share"][0]
    )
    # monthly cycles with the exact cycle-average hazard; life-table counting: within 0.002 y
    assert ly == pytest.approx(expected, abs=0.002)


def test_psa_design_runs_vectorised_and_is_plausible():
    m = DangerShockModel.build()
    d = Design.psa(m.table, 200, seed=11)
    r = m.evaluate(d)
    q = r.outcome_matrix("qalys")
    assert q.shape == (200, 2) and np.all(np.isfinite(q))
    # more survivors at 180 days with the pump in most draws (trial: 54.2% vs 41.5%)
    alive = r.outcome_matrix("alive_180d")
    assert (alive[:, 0] > alive[:, 1]).mean() > 0.9


def test_cli_run_writes_summary(tmp_path):
    from hecon.cli import main

    assert main(["run", "--analyses", "base", "--out", str(tmp_path / "run")]) == 0
    s = json.loads((tmp_path / "run" / "summary.json").read_text())
    for arm in (IMP, SOC):
        for k in ("cost", "qalys", "life_years", "alive_180d"):
            assert isinstance(s["strategies"][arm][k], float)
    inc = s["incremental"]
    assert inc["inc_cost"] == pytest.approx(
        s["strategies"][IMP]["cost"] - s["strategies"][SOC]["cost"]
    )
    assert s["icer"] == pytest.approx(inc["inc_cost"] / inc["inc_qalys"])
    assert set(s["country_sets"]) == {"dk", "uk"}
    for c in ("dk", "uk"):
        recs = s["country_sets"][c]["validation"]
        assert len(recs) == 9 and all(r["low"] <= r["modelled"] <= r["high"] for r in recs)
        v = pd.read_csv(tmp_path / "run" / f"validation_{c}.csv")
        assert len(v) == 9 and {"observed", "low", "high", "modelled"} <= set(v.columns)
    m = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert any(k.endswith("clinical.csv") for k in m["inputs"])


def test_cli_errors_are_one_line(tmp_path, capsys):
    from hecon.cli import main

    assert main(["run", "--scenario", "horizon_5yy", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert "did you mean 'horizon_5y'" in err and "\n" not in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("description: x\nsettings:\n  horizon_year: 5\n")
    assert main(["run", "--scenario", str(bad), "--out", str(tmp_path / "y")]) == 2
    assert "did you mean 'horizon_years'" in capsys.readouterr().err
    assert not (tmp_path / "y").exists()
