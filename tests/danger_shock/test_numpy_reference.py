"""The engine's flagship results equal an independent plain-numpy re-implementation.

benchmarks/flagship_numpy.py writes the DanGer Shock model out by hand from docs/model.md
(acute tree arithmetic, monthly Markov loop, partitioned survival, life-table counting,
step-wise discounting; it imports nothing from hecon). Here every scenario file in
``scenarios/`` (for both country sets) and every subgroup is evaluated by both on the same PSA
draws, and every outcome (costs by category, QALYs, life-years, discounted and undiscounted,
alive at 180 days, the traces) must agree to 1e-9 relative. The test reads the scenario files
and inputs itself (settings and parameter overrides, discount rules, life tables, subgroup
rows): a scenario the reference cannot do fails here.

Speed: the engine's cost is per cycle, not per draw, so all runs with the
same settings (the base case, scenarios that only override parameters, the sex subgroups) are
evaluated in one engine pass over the stacked draws (each run's draws prepared by its own
model, i.e. with the engine's own scenario overrides).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from hecon.design import Design
from hecon.engine import evaluate
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.model import DangerShockModel
from hecon.models.danger_shock.subgroups import load_overrides, subgroup_model
from hecon.scenarios import load_scenario

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import flagship_numpy  # noqa: E402

INPUTS = ROOT / "inputs" / "danger_shock"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
SUBGROUPS = ["age_under_77", "age_77_plus", "men", "women"]
COUNTRIES = ["dk", "uk"]
DRAWS, SEED = 20, 5
RTOL = 1e-9
ARMS = ("impella", "soc")


def country_inputs(country: str) -> tuple[dict[str, np.ndarray], float, list]:
    """Life table (by sex), its first age and the discount segments, read from countries.yaml."""
    spec = yaml.safe_load((INPUTS / "countries.yaml").read_text())[country]
    lt = pd.read_csv(INPUTS / spec["life_table"])
    life = {"male": lt["male"].to_numpy(), "female": lt["female"].to_numpy()}
    return life, float(lt["age"].iloc[0]), [tuple(s) for s in spec["discount"]["segments"]]


def scenario_run(path: Path | None, country: str) -> dict:
    """Settings and parameter overrides of one scenario file, read with plain yaml."""
    data = yaml.safe_load(path.read_text()) if path else {}
    return {"settings": dict(data.get("settings") or {}),
            "parameters": dict(data.get("parameters") or {}), "country": country}


def overridden(params: dict[str, np.ndarray], overrides: dict) -> dict[str, np.ndarray]:
    """Apply a scenario's overrides ({value: x} or {multiply: m}) to PSA draws."""
    out = dict(params)
    for name, ov in overrides.items():
        assert set(ov) <= {"value", "multiply"}, f"override {ov} of {name} not understood"
        x = np.asarray(out[name], dtype=float)
        out[name] = x * ov["multiply"] if "multiply" in ov else np.full(x.shape, ov["value"])
    return out


def reference_outcomes(params: dict[str, np.ndarray], settings: dict, country: str) -> dict:
    """The reference's outcomes for a run's settings (every setting a scenario uses)."""
    known = {"country", "structure", "effect_duration", "horizon_years", "discounting",
             "utility_source", "waning_start_years", "waning_end_years"}
    assert set(settings) <= known, f"the reference has no option {set(settings) - known}"
    country = settings.get("country", country)
    life, first_age, segments = country_inputs(country)
    segments = {"country": segments, "flat3.5": [(0, 0.035)], "none": [(0, 0.0)]}[
        settings.get("discounting", "country")]
    return flagship_numpy.reference(
        params, life, first_age, segments,
        structure=settings.get("structure", "hybrid"),
        effect_duration=settings.get("effect_duration", "averaged"),
        horizon_years=settings.get("horizon_years"),
        utility_source=settings.get("utility_source", "base"),
        waning=(settings.get("waning_start_years", 10.0), settings.get("waning_end_years", 20.0)),
    )


def engine_model(path: Path | None, country: str, subgroup: str | None) -> DangerShockModel:
    scen = load_scenario(path, ModelConfig.keys()) if path else None
    model = DangerShockModel.build(ModelConfig(country=country), scenario=scen)
    if subgroup:
        model = subgroup_model(model, load_overrides()[subgroup])
    return model


@functools.cache
def engine_results() -> dict:
    """Engine results of every scenario and subgroup of both country sets, by (country, run):
    the prepared draws of each run are stacked per (settings, age) and evaluated in one pass
    (a scenario fixing the other country set joins that set's base-case pass)."""
    groups: dict = {}
    for country in COUNTRIES:
        runs = {f"scenario:{p.stem}": (p, None) for p in SCENARIOS}
        runs |= {f"subgroup:{g}": (None, g) for g in SUBGROUPS}
        for key, (path, sub) in runs.items():
            model = engine_model(path, country, sub)
            design = Design.psa(model.table, DRAWS, seed=SEED)
            prepared = model.prepare(design)
            age = float(np.unique(prepared["age"]).item())
            groups.setdefault((model.config, age), []).append(
                ((country, key), model, design, prepared))
    out = {}
    for (_, age), members in groups.items():
        model = members[0][1]
        stacked = {k: np.concatenate([np.broadcast_to(m[3][k], (DRAWS,)) for m in members])
                   for k in members[0][3]}
        r = evaluate(model.strategies(age), stacked, model.settings(), keep_trace=True)
        for i, (key, _, design, _) in enumerate(members):
            rows = slice(i * DRAWS, (i + 1) * DRAWS)
            res = {}
            for s, arm in zip(r.strategies, ARMS, strict=True):
                o = r.outputs[s]
                res[arm] = {name: r.column(s, name)[rows] for name in r.outcome_names()}
                res[arm]["trace"] = None if o.trace is None else o.trace[rows]
            out[key] = (res, dict(design.params().items()))
    return out


def compare(engine: dict, ref: dict, what: str) -> None:
    for arm in ARMS:
        e, f = engine[arm], ref[arm]
        for name, value in e.items():
            if name == "trace" and value is None:
                continue  # no long-term phase (180-day horizon): p_end_* are compared
            assert name in f, f"{what}: the reference has no outcome {name!r} ({arm})"
            np.testing.assert_allclose(value, f[name], rtol=RTOL, atol=1e-12,
                                       err_msg=f"{what} {arm} {name}")


@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_scenario_equals_reference(path, country):
    engine, params = engine_results()[country, f"scenario:{path.stem}"]
    run = scenario_run(path, country)
    ref = reference_outcomes(overridden(params, run["parameters"]), run["settings"], country)
    compare(engine, ref, f"{country} {path.stem}")


@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize("subgroup", SUBGROUPS)
def test_every_subgroup_equals_reference(subgroup, country):
    engine, params = engine_results()[country, f"subgroup:{subgroup}"]
    # the subgroup's fixed replacements come from subgroups.csv, read here with pandas
    rows = pd.read_csv(INPUTS / "subgroups.csv")
    for _, row in rows[rows["name"].str.startswith(subgroup + "__")].iterrows():
        if row["distribution"] == "fixed":
            target = row["name"].split("__", 1)[1]
            np.testing.assert_allclose(params[target], row["value"], rtol=1e-12)
    ref = reference_outcomes(params, {}, country)
    compare(engine, ref, f"{country} {subgroup}")


def test_scenario_folder_is_covered():
    """Every scenario file is a parametrised case (the listing is read at collection)."""
    assert len(SCENARIOS) == len(list((ROOT / "scenarios").glob("*.yaml"))) > 20


def test_reference_hand_checks():
    """The reference against closed forms at extremes: a 180-day horizon with shape 1
    (constant hazard) gives decedents' mean time alive 1/lam - T (1 - p) / p; with no
    discounting the discounted and undiscounted outcomes coincide; identical arms and no
    device cost give equal costs."""
    life, first_age, _ = country_inputs("dk")
    model = DangerShockModel.build(ModelConfig())
    p = dict(Design.psa(model.table, 5, seed=1).params().items())
    p["shape_acute_death"] = np.ones(5)
    ref = flagship_numpy.reference(p, life, first_age, [(0, 0.0)], horizon_years=0.5)
    T = 180 / 365.25
    for arm in ARMS:
        pd_ = p[f"p_death_180_{arm}"]
        lam = -np.log1p(-pd_) / T
        dec = 1 / lam - T * (1 - pd_) / pd_
        np.testing.assert_allclose(ref[arm]["life_years"], pd_ * dec + (1 - pd_) * T, rtol=1e-12)
        np.testing.assert_allclose(ref[arm]["cost"], ref[arm]["cost_undisc"], rtol=1e-12)
    same = dict(p)
    for name in ("p_death_180", "p_safety", "p_rrt", "p_death_fu_given180"):
        same[f"{name}_impella"] = same[f"{name}_soc"]
    same.update(c_device=np.zeros(5), c_implant=np.zeros(5), c_device_system=np.zeros(5),
                icu_days_ratio_impella=np.ones(5))
    for structure in ("hybrid", "psm"):
        r = flagship_numpy.reference(same, life, first_age, [(0, 0.035)], structure=structure,
                                     effect_duration="trial")
        for o in ("cost", "qalys", "life_years"):
            np.testing.assert_allclose(r["impella"][o], r["soc"][o], rtol=1e-12)


@pytest.mark.parametrize("country", COUNTRIES)
def test_default_flagship_entry_point(country):
    """The benchmarks' entry point (scalar loop and matrix form) equals the full reference
    in the default configuration."""
    life, first_age, segments = country_inputs(country)
    model = DangerShockModel.build(ModelConfig(country=country))
    p = dict(Design.psa(model.table, 20, seed=5).params().items())
    full = flagship_numpy.reference(p, life, first_age, segments)
    for matrix in (False, True):
        ref = flagship_numpy.flagship(p, life, first_age, segments, matrix=matrix)
        for arm in ARMS:
            for o in ("cost", "qalys", "life_years"):
                np.testing.assert_allclose(ref[f"{o}_{arm}"], full[arm][o], rtol=1e-10)


@pytest.mark.parametrize("country", COUNTRIES)
def test_psm_charges_no_follow_up_during_index_admission(country):
    """Bug found by the reference: the partitioned-survival structure charged follow-up and
    chronic dialysis costs from randomisation, on top of the tree's index-admission costs
    (the hybrid starts them at 180 days; the year-1 follow-up rate is the months 6-12 cost).
    Over a 180-day horizon both structures must cost exactly the acute tree: device, stay,
    safety events and acute RRT, each the arm's proportion times its unit cost."""
    runs = {}
    for structure in ("hybrid", "psm"):
        model = DangerShockModel.build(ModelConfig(country=country, structure=structure,
                                                   horizon_years=0.5))
        d = Design.psa(model.table, 5, seed=3)
        runs[structure] = model.evaluate(d)
    p = dict(d.params().items())
    r = runs["psm"]
    for s, arm in zip(r.strategies, ARMS, strict=True):
        for cat in ("follow_up", "dialysis"):
            np.testing.assert_array_equal(r.column(s, f"cost_{cat}"), 0.0)
        np.testing.assert_allclose(r.column(s, "cost_adverse_events"),
                                   p[f"p_safety_{arm}"] * p["c_safety_event"], rtol=1e-12)
        np.testing.assert_allclose(r.column(s, "cost_acute_rrt"),
                                   p[f"p_rrt_{arm}"] * p["c_rrt_acute"], rtol=1e-12)
        np.testing.assert_allclose(r.column(s, "cost"), runs["hybrid"].column(s, "cost"),
                                   rtol=1e-12)
