"""Long-term survival of the DanGer Shock model: inputs pinned to their sources, each mechanism
against a hand calculation (landmark HR, acute Weibull, effect beyond follow-up, PSM anchors,
crude deaths under the follow-up distribution, expected Cox HR) and coherent PSA draws."""

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from hecon.design import Design
from hecon.engine import ParamView, evaluate
from hecon.models.danger_shock import psm
from hecon.models.danger_shock.analyses import Options, psa_table
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.model import STRATEGY_NAMES, DangerShockModel
from hecon.models.danger_shock.runner import scenarios_dir
from hecon.models.danger_shock.structure import (
    acute_decedent_years,
    acute_survival,
    effect_structure,
)
from hecon.models.danger_shock.validation import (
    crude_dead,
    expected_cox_hr,
    followup_censoring,
    load_targets,
    validation_records,
)
from hecon.scenarios import load_scenarios

IMP, SOC = STRATEGY_NAMES
ROOT = Path(__file__).resolve().parents[2]
T = 180 / 365.25


@pytest.fixture(scope="module")
def dk():
    return DangerShockModel.build(ModelConfig(country="dk"))


# ------------------------------------------------------------------ inputs pinned to sources
def test_landmark_hr_is_the_death_weighted_pooling_of_the_published_hrs(dk):
    d180 = 82 + 103                                   # NEJM 2024
    d_all = round(0.525 * 179) + round(0.688 * 176)   # ESC 2025 crude deaths: 94 + 121
    assert (d180, d_all) == (185, 215)
    d_late = d_all - d180
    log_hr = (d_all * math.log(0.70) - d180 * math.log(0.74)) / d_late
    p = dk.table["hr_death_longterm"]
    assert p.value == pytest.approx(math.exp(log_hr), rel=1e-5)
    assert p.value == pytest.approx(0.497, abs=5e-4)  # "near 0.5"
    # check the pooling: the death-weighted mean of the period log HRs gives back 0.70
    assert math.exp((d180 * math.log(0.74) + d_late * math.log(p.value)) / d_all) == \
        pytest.approx(0.70, rel=1e-4)
    # spread: Tsiatis sqrt(4 / deaths) with the 30 deaths after day 180
    assert p.dist.quantile(0.5) == pytest.approx(p.value, rel=1e-5)
    sd = math.sqrt(4 / d_late)
    assert p.dist.quantile(0.975) == pytest.approx(math.exp(log_hr + 1.959964 * sd), rel=1e-4)
    assert p.one_way_range()[0] == pytest.approx(0.243, abs=1e-3)


def test_conditional_long_term_deaths_come_from_the_crude_and_180_day_deaths(dk):
    for arm, n, dead180, crude in (("impella", 179, 82, 0.525), ("soc", 176, 103, 0.688)):
        late = round(crude * n) - dead180
        survivors = n - dead180
        p = dk.table[f"p_death_fu_given180_{arm}"]
        assert p.value == pytest.approx(late / survivors, rel=1e-5)
        assert p.dist.mean() == pytest.approx(late / survivors, rel=1e-9)
        # crude deaths rebuilt from 180-day deaths and the conditional share
        p180 = dk.table[f"p_death_180_{arm}"].value
        # published to 0.1 percentage point (121/176 = 68.75% reads 68.8%)
        assert p180 + (1 - p180) * p.value == pytest.approx(crude, abs=0.0005 + 1e-6)


def test_acute_shape_reproduces_the_61_day_median_of_standard_care(dk):
    k = dk.table["shape_acute_death"].value
    assert k == pytest.approx(math.log(math.log(1 - 103 / 176) / math.log(0.5))
                              / math.log(180 / 61), abs=5e-5)
    # S(61 d) = 0.5 and S(180 d) = 73/176 in standard care
    s = acute_survival(np.array([61 / 365.25, T]), 103 / 176, k)
    assert s[0] == pytest.approx(0.5, abs=1e-4)
    assert s[1] == pytest.approx(73 / 176, rel=1e-12)


def test_followup_and_structure_inputs(dk):
    t = dk.table
    assert (t["followup_min_years"].value, t["followup_max_years"].value) == (1.5, 10)
    assert t["weight_effect_stops"].value + t["weight_effect_wanes"].value == pytest.approx(0.8)
    d = t["effect_structure_draw"].dist
    assert (d.quantile(0.0), d.quantile(1.0)) == (0, 1)
    assert t["effect_structure_draw"].one_way_range() == (0.2, 0.2)  # fixed in the one-way
    assert "p_death_10y_impella" not in t and "followup_years_longterm" not in t


def test_validation_targets_pinned_to_their_sources():
    rows = {(r["target"], r["strategy"]): r for r in load_targets()}
    for arm, alive, dead in ((IMP, 97, 82), (SOC, 73, 103)):
        r = rows[("survival at 180 days", arm)]
        assert r["observed"] == pytest.approx(alive / (alive + dead), abs=1e-6)
        lo, hi = stats.beta.ppf([0.025, 0.975], alive, dead)
        assert (r["low"], r["high"]) == (pytest.approx(lo, abs=1e-6), pytest.approx(hi, abs=1e-6))
    for arm, crude, a, b in ((IMP, 0.525, 94, 85), (SOC, 0.688, 121, 55)):
        r = rows[("crude proportion dead by the end of follow-up", arm)]
        assert r["observed"] == crude
        lo, hi = stats.beta.ppf([0.025, 0.975], a, b)
        assert (r["low"], r["high"]) == (pytest.approx(lo, abs=1e-6), pytest.approx(hi, abs=1e-6))
    r = rows[("hazard ratio for death over the whole follow-up", None)]
    assert (r["observed"], r["low"], r["high"]) == (0.70, 0.54, 0.92)
    r = rows[("hazard ratio for death by 180 days", None)]
    assert (r["observed"], r["low"], r["high"]) == (0.74, 0.55, 0.99)
    for arm, days, n in ((IMP, 577, 179), (SOC, 61, 176)):
        r = rows[("survival at the published median survival time", arm)]
        assert r["time_years"] == pytest.approx(days / 365.25, abs=1e-6)
        half = 1.959964 * math.sqrt(0.25 / n)
        assert (r["low"], r["high"]) == (pytest.approx(0.5 - half, abs=1e-6),
                                         pytest.approx(0.5 + half, abs=1e-6))
    r = rows[("restricted mean survival gain at 10 years", None)]
    assert (r["observed"], r["low"], r["high"], r["unit"]) == (600, 235, 966, "days")


# ---------------------------------------------------------------------- mechanisms by hand
@pytest.mark.parametrize("p, k", [(0.585, 0.22), (0.458, 0.22), (0.3, 1.0), (0.6, 2.5)])
def test_acute_decedent_years_against_numerical_integration(p, k):
    # mean time to death among decedents = int_0^T t f(t) dt / p, f the Weibull density
    t = np.linspace(0, T, 400_001)
    c = -math.log(1 - p)
    S = np.exp(-c * (t / T) ** k)
    # int_0^T t f dt = int_0^T S dt - T S(T) (integration by parts)
    expected = (np.trapezoid(S, t) - T * (1 - p)) / p
    assert acute_decedent_years(np.array([p]), k)[0] == pytest.approx(expected, rel=2e-5)
    # shape 1 is the constant hazard: 1/lam - T (1 - p) / p
    lam = c / T
    assert acute_decedent_years(np.array([p]), 1.0)[0] == pytest.approx(
        1 / lam - T * (1 - p) / p, rel=1e-12)
    # p -> 0: T k / (k + 1); p = 1: 0 years of the acute phase counted
    assert acute_decedent_years(np.array([1e-12]), k)[0] == pytest.approx(T * k / (k + 1))
    assert acute_decedent_years(np.array([1.0]), k)[0] == 0.0


def test_effect_structure_cuts_the_draw_at_the_cumulative_weights():
    p = {"effect_structure_draw": np.array([0.0, 0.39, 0.41, 0.79, 0.81, 1.0]),
         "weight_effect_stops": 0.4, "weight_effect_wanes": 0.4}
    assert effect_structure(p).tolist() == [0, 0, 1, 1, 2, 2]


def _cycle_hazards(model, p, strategy):
    """Per-cycle hazard of the post-shock state, from the trace: -ln(S_{j+1}/S_j) / dt."""
    r = evaluate(model.strategies(), p, model.settings())
    tr = r.trace(strategy)
    dt = model.config.cycle_days / 365.25
    s = tr["post_shock"].to_numpy()
    return tr["time_years"].to_numpy()[:-1], -np.log(s[1:] / s[:-1]) / dt


@pytest.mark.parametrize("mode, beyond", [("followup", lambda hr, t: 1.0),
                                         ("lifetime", lambda hr, t: hr),
                                         ("waning", lambda hr, t: hr ** (1 - (t - 10) / 10))])
def test_landmark_hr_within_follow_up_and_the_structure_beyond(mode, beyond):
    m = DangerShockModel.build(ModelConfig(country="dk", effect_duration=mode, horizon_years=25))
    p = dict(m.base_design().params().items())
    p["p_rrt_impella"] = p["p_rrt_soc"] = np.zeros(1)  # nobody on dialysis
    p["male_share"] = np.ones(1)  # one sex: the trace ratio is the hazard ratio exactly
    t, h_imp = _cycle_hazards(m, p, IMP)
    _, h_soc = _cycle_hazards(m, p, SOC)
    hr = p["hr_death_longterm"][0]
    ratio = h_imp / h_soc
    within = t < 10 - 1e-9
    np.testing.assert_allclose(ratio[within], hr, rtol=1e-9)
    later = (t >= 10) & (t < 25)
    expected = np.array([beyond(hr, x) for x in np.clip(t[later], 10, 20)])
    np.testing.assert_allclose(ratio[later], expected, rtol=1e-9)


def test_trial_setting_has_no_effect_after_180_days():
    m = DangerShockModel.build(ModelConfig(country="dk", effect_duration="trial",
                                           horizon_years=5))
    p = dict(m.base_design().params().items())
    p["p_rrt_impella"] = p["p_rrt_soc"] = np.zeros(1)
    _, h_imp = _cycle_hazards(m, p, IMP)
    _, h_soc = _cycle_hazards(m, p, SOC)
    np.testing.assert_allclose(h_imp, h_soc, rtol=1e-9)


def test_averaged_setting_uses_each_draws_structure():
    m = DangerShockModel.build(ModelConfig(country="dk", horizon_years=25))
    base = dict(m.base_design().params().items())
    modes = ("followup", "waning", "lifetime")
    p = dict(base, effect_structure_draw=np.array([0.2, 0.6, 0.9]))  # one draw per structure
    out = evaluate(m.strategies(), p, m.settings(), keep_trace=False).column(IMP, "qalys")
    for mode, q_averaged in zip(modes, out, strict=True):
        fixed = DangerShockModel.build(ModelConfig(country="dk", effect_duration=mode,
                                                   horizon_years=25))
        q = evaluate(fixed.strategies(), base, fixed.settings(),
                     keep_trace=False).column(IMP, "qalys")[0]
        assert q_averaged == pytest.approx(q, rel=1e-12)
    assert out[0] < out[1] < out[2]


def test_crude_deaths_under_uniform_follow_up_tiny_case():
    # S(t) = exp(-lam t), follow-up uniform on [a, b]: 1 - (e^-lam a - e^-lam b) / (lam (b - a))
    lam, a, b = 0.3, 1.0, 3.0
    expected = 1 - (math.exp(-lam * a) - math.exp(-lam * b)) / (lam * (b - a))
    assert crude_dead(lambda t: np.exp(-lam * t), a, b) == pytest.approx(expected, rel=1e-7)
    # a follow-up of exactly a (a -> b): the proportion dead at a
    assert crude_dead(lambda t: np.exp(-lam * t), 2.0, 2.0 + 1e-9) == pytest.approx(
        1 - math.exp(-0.6), rel=1e-7)
    assert followup_censoring(np.array([0.5, 1.0, 2.0, 3.0, 4.0]), a, b).tolist() == \
        [1.0, 1.0, 0.5, 0.0, 0.0]


def test_followup_rate_solves_the_crude_deaths():
    q = np.array([0.0, 0.1237, 0.2466, 0.9])
    lam = psm.followup_rate(q, T, np.full(4, 1.5), np.full(4, 10.0))
    assert lam[0] == pytest.approx(0.0, abs=1e-12)
    f = np.linspace(1.5, 10, 200_001)
    for qi, li in zip(q[1:], lam[1:], strict=True):
        alive = np.trapezoid(np.exp(-li * (f - T)), f) / (10 - 1.5)
        assert 1 - alive == pytest.approx(qi, rel=1e-8)


@pytest.mark.parametrize("ratio", [0.5, 1.0, 1.7])
def test_expected_cox_hr_recovers_proportional_hazards(ratio):
    grid = np.linspace(0, 10, 2001)
    S0 = lambda t: np.exp(-0.4 * np.asarray(t))  # noqa: E731
    S1 = lambda t: np.exp(-0.4 * ratio * np.asarray(t))  # noqa: E731
    assert expected_cox_hr(S1, S0, grid, 1, 1) == pytest.approx(ratio, rel=1e-4)
    cens = lambda t: followup_censoring(t, 1.5, 10)  # noqa: E731
    assert expected_cox_hr(S1, S0, grid, 179, 176, cens) == pytest.approx(ratio, rel=1e-4)


def _psm_view(m, n=40, seed=3):
    d = Design.psa(m.table, n, seed)
    p = dict(m.prepare(d))
    p["male"] = np.ones(n)
    return ParamView(p)


@pytest.mark.parametrize("mode", ["followup", "lifetime", "trial"])
def test_psm_curves_pass_through_their_anchors(mode):
    m = DangerShockModel.build(ModelConfig(country="dk", structure="psm", effect_duration=mode))
    p = _psm_view(m)
    times = np.concatenate([np.linspace(0, T, 50), np.linspace(T, 12, 4000)[1:]])
    for arm in ("impella", "soc"):
        S = psm.os_curves(p, times, arm, m.config, m.country.gp_hazard)
        assert np.all(np.diff(S, axis=1) <= 1e-15)  # survival never rises
        np.testing.assert_allclose(S[:, 49], 1 - p[f"p_death_180_{arm}"], rtol=1e-12)
        if arm == "impella" and mode == "trial":
            continue  # the pump arm takes the standard-care hazard from 180 days
        # crude deaths at a follow-up uniform on [1.5, 10], integrated on the curve
        for i in range(0, 40, 13):
            def Si(t, i=i, S=S):
                return np.interp(t, times, S[i])
            dead = crude_dead(Si, 1.5, 10.0, points=20001)
            q = p[f"p_death_fu_given180_{arm}"][i]
            p180 = p[f"p_death_180_{arm}"][i]
            assert dead == pytest.approx(p180 + (1 - p180) * q, abs=2e-5)


# ---------------------------------------------------------------------------- validation
@pytest.mark.parametrize("country", ["dk", "uk"])
def test_every_validation_record_inside_its_interval(country):
    m = DangerShockModel.build(ModelConfig(country=country))
    recs = validation_records(m)
    assert len(recs) == 9
    for r in recs:
        assert set(r) >= {"target", "strategy", "time_years", "observed", "low", "high",
                          "modelled"}
        assert r["low"] <= r["modelled"] <= r["high"], r
        assert (r["strategy"] is None) == (r["target"].startswith(("hazard", "restricted")))
    by = {(r["target"], r["strategy"]): r["modelled"] for r in recs}
    # the acute Weibull has the same shape in both arms: proportional hazards, HR = ratio of
    # cumulative hazards at 180 days
    assert by[("hazard ratio for death by 180 days", None)] == pytest.approx(
        math.log(1 - 82 / 179) / math.log(1 - 103 / 176), rel=2e-3)
    assert by[("survival at 180 days", IMP)] == pytest.approx(97 / 179, rel=1e-5)
    assert by[("survival at the published median survival time", SOC)] == pytest.approx(
        0.5, abs=1e-4)


def test_validation_beyond_a_short_horizon_is_not_modelled():
    m = DangerShockModel.build(ModelConfig(country="dk", horizon_years=1))
    recs = {(r["target"], r["strategy"]): r for r in validation_records(m)}
    assert recs[("crude proportion dead by the end of follow-up", IMP)]["modelled"] is None
    assert recs[("survival at 180 days", IMP)]["modelled"] == pytest.approx(97 / 179, rel=1e-5)


# ------------------------------------------------------------------------ coherent sampling
def test_no_psa_draw_has_a_nested_quantity_out_of_order():
    scs = load_scenarios(scenarios_dir(), ModelConfig.keys())
    assert "structure_psm" in scs
    for name, sc in [("base", None), *scs.items()]:
        m = DangerShockModel.build(ModelConfig(country=(sc.settings.get("country", "dk")
                                                        if sc else "dk")), sc)
        p = m.prepare(Design.psa(psa_table(m), 500, seed=7))
        for arm in ("impella", "soc"):
            p180, q = p[f"p_death_180_{arm}"], p[f"p_death_fu_given180_{arm}"]
            assert np.all((q >= 0) & (q <= 1)), name
            crude = p180 + (1 - p180) * q  # deaths by follow-up
            assert np.all(crude >= p180), name
        assert np.all(p["followup_min_years"] < p["followup_max_years"]), name
        assert np.all(p["followup_min_years"] >= T), name
        assert np.all((p["effect_structure_draw"] >= 0) & (p["effect_structure_draw"] <= 1))
        assert np.all(p["hr_death_longterm"] > 0) and np.all(p["shape_acute_death"] > 0)


def test_psm_psa_runs_and_its_curves_are_coherent_in_every_draw():
    m = DangerShockModel.build(ModelConfig(country="dk", structure="psm"))
    p = _psm_view(m, n=300, seed=11)
    times = np.array([0, T, 1.5, 5, 10, 30])
    for arm in ("impella", "soc"):
        S = psm.os_curves(p, times, arm, m.config, m.country.gp_hazard)
        assert np.all(np.isfinite(S)) and np.all(np.diff(S, axis=1) <= 0)
    r = m.evaluate(Design.psa(psa_table(m), 100, seed=2), keep_trace=False)
    assert np.all(np.isfinite(r.outcome_matrix("qalys")))
    assert np.all(np.isfinite(r.outcome_matrix("cost")))


def test_device_price_fixed_in_the_psa_unless_asked(dk):
    fixed = Design.psa(psa_table(dk), 50, seed=1).params()["c_device"]
    assert np.all(fixed == dk.table["c_device"].value)
    sampled = Design.psa(psa_table(dk, Options(sample_price=True)), 50, seed=1).params()
    assert np.std(sampled["c_device"]) > 0
    assert "c_device" in dk.table.uncertain_names  # the table itself is unchanged


def test_structure_draw_rows_of_the_inputs_file_are_documented():
    with (ROOT / "inputs" / "danger_shock" / "clinical.csv").open(encoding="utf-8") as fh:
        rows = {r["name"]: r for r in csv.DictReader(fh)}
    for name in ("hr_death_longterm", "p_death_fu_given180_impella", "shape_acute_death",
                 "effect_structure_draw", "weight_effect_stops", "followup_min_years"):
        assert rows[name]["source"].strip(), name
