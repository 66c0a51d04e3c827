"""The flagship's proposed study: EVSI of a follow-up study of the long-term effect rises with
its size and stays below the EVPPI of the same parameter; ENBS is population EVSI minus the
study cost of population.yaml (a hand calculation); the CLI flags parse; the plot is drawn."""

import numpy as np
import pytest
import yaml

from hecon.analysis import voi
from hecon.cli import build_parser
from hecon.errors import InputError
from hecon.models.danger_shock import analyses as an
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.evsi import default_group, run_evsi
from hecon.models.danger_shock.inputs import default_inputs_dir
from hecon.models.danger_shock.model import DangerShockModel

SIZES = (50, 400, 5000)


@pytest.fixture(scope="module")
def flagship():
    # the long-term effect only matters when it is assumed to last
    model = DangerShockModel.build(ModelConfig(country="dk", effect_duration="lifetime"), None)
    _, design, results = an.run_psa(model, an.Options(psa_draws=1000, seed=3))
    pop = an.population(model)
    t = run_evsi(model, design, results, SIZES, pop)["evsi_dk.csv"]
    return model, design, results, pop, t


def test_evsi_rises_and_stays_below_evppi(flagship):
    model, design, results, _, t = flagship
    assert t["n"].tolist() == list(SIZES)
    assert (t["parameter"] == "hr_death_longterm").all()
    w = model.country.wtp[0]
    nb = w * results.outcome_matrix("qalys") - results.outcome_matrix("cost")
    ev = voi.evppi(nb, design.column("hr_death_longterm"))
    v, se = t["evsi"].to_numpy(), t["se"].to_numpy()
    assert (v >= 0).all()
    # rising in n (non-decreasing within the errors) and, for a large study, clearly above 0
    assert (np.diff(v) >= -2 * np.hypot(se[1:], se[:-1])).all()
    assert v[-1] > v[0]
    assert (v <= ev.value + 2 * np.hypot(se, ev.se)).all()


def test_enbs_uses_population_yaml_costs(flagship):
    _, _, _, pop, t = flagship
    entry = yaml.safe_load((default_inputs_dir() / "danger_shock" /
                            "population.yaml").read_text())["dk"]
    # two arms of n patients, plus the fixed cost
    cost = entry["study_fixed_cost"] + entry["study_cost_per_patient"] * 2 * t["n"]
    assert t["study_cost"].to_numpy() == pytest.approx(cost.to_numpy(), rel=1e-12)
    assert t["enbs"].to_numpy() == pytest.approx(
        (t["evsi"] * pop["discounted_patients"] - cost).to_numpy(), rel=1e-9, abs=1e-6)
    assert t["optimal"].sum() <= 1


def test_default_group_and_bad_group(flagship):
    model, design, results, pop, _ = flagship
    assert default_group(["a", "hr_death_longterm"]) == "hr_death_longterm"
    assert default_group(["hr_death_longterm", "hr_death_longterm_age77"]) \
        == "hr_death_longterm_age77"
    with pytest.raises(InputError) as err:
        run_evsi(model, design, results, (10,), pop, group="no_such_parameter")
    assert err.value.parameter == "no_such_parameter"


def test_binary_study_for_a_probability(flagship):
    model, design, results, pop, _ = flagship
    t = run_evsi(model, design, results, (20, 2000), pop,
                 group="p_death_180_impella")["evsi_dk.csv"]
    assert "single-arm" in t["study"].iloc[0]
    # one arm: the study cost counts n patients once
    entry = yaml.safe_load((default_inputs_dir() / "danger_shock" /
                            "population.yaml").read_text())["dk"]
    assert t["study_cost"].iloc[1] == pytest.approx(
        entry["study_fixed_cost"] + entry["study_cost_per_patient"] * 2000)


def test_cli_flags_parse():
    args = build_parser().parse_args(["voi", "--evsi-n", "50,100,200,400",
                                      "--evsi-group", "hr_death_longterm"])
    assert args.evsi_n == (50, 100, 200, 400) and args.evsi_group == "hr_death_longterm"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["voi", "--evsi-n", "50,0"])


def test_evsi_plot_drawn(flagship, tmp_path):
    from hecon.report.analysis_plots import evsi_plot

    t = flagship[-1]
    t.to_csv(tmp_path / "evsi_dk.csv", index=False)
    assert evsi_plot(tmp_path, "dk", {"currency": "DKK", "wtp": [250000]}) \
        == tmp_path / "evsi_dk.png"
    assert (tmp_path / "evsi_dk.png").stat().st_size > 1000


@pytest.fixture(scope="module")
def age77():
    from hecon.models.danger_shock.evsi import run_evsi_subgroup

    model = DangerShockModel.build(ModelConfig(country="dk"), None)
    pop = an.population(model)
    t = run_evsi_subgroup(model, SIZES, pop, 1000, 5)["evsi_age_77_plus_dk.csv"]
    return model, pop, t


def test_age77_trial_evsi_rises_below_its_evppi(age77):
    """The proposed trial in patients aged 77 or over: EVSI rises with n and stays below the
    EVPPI of the two 180-day risks it informs, computed here on the subgroup's own PSA."""
    from hecon.design import Design
    from hecon.models.danger_shock.subgroups import load_overrides, subgroup_model

    model, _, t = age77
    sub = subgroup_model(model, load_overrides()["age_77_plus"])
    design = Design.psa(an.psa_table(sub), 1000, 5)
    res = sub.evaluate(design, keep_trace=False)
    w = model.country.wtp[0]
    nb = w * res.outcome_matrix("qalys") - res.outcome_matrix("cost")
    x = np.column_stack([design.column("p_death_180_impella"),
                         design.column("p_death_180_soc")])
    ev = voi.evppi(nb, x)
    v, se = t["evsi"].to_numpy(), t["se"].to_numpy()
    assert t["n"].tolist() == list(SIZES) and (v >= 0).all()
    assert (np.diff(v) >= -2 * np.hypot(se[1:], se[:-1])).all()
    assert (v <= ev.value + 2 * np.hypot(se, ev.se)).all()
    # a trial of 5,000 per arm learns both risks almost exactly: EVSI close to the EVPPI
    assert v[-1] == pytest.approx(ev.value, abs=3 * np.hypot(se[-1], ev.se) + 0.05 * ev.value)


def test_age77_population_is_the_subgroup_share(age77):
    _, pop, t = age77
    entry = yaml.safe_load((default_inputs_dir() / "danger_shock" /
                            "population.yaml").read_text())["dk"]
    assert entry["age_77_plus_share"] == 0.25  # the trial's fourth age quartile
    people = pop["discounted_patients"] * entry["age_77_plus_share"]
    cost = entry["study_fixed_cost"] + entry["study_cost_per_patient"] * 2 * t["n"]
    assert t["enbs"].to_numpy() == pytest.approx(
        (t["evsi"] * people - cost).to_numpy(), rel=1e-9, abs=1e-6)
