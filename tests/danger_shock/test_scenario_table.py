"""The scenario table's change-against-base and decision-change columns, by hand; the docs name
only scenarios that exist; each new item-6 input is pinned to its source value."""

import re
from pathlib import Path

import pytest

from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.runner import _scenario_rows, scenarios_dir
from hecon.parameters import ParameterTable
from hecon.scenarios import Scenario, load_scenarios

ROOT = Path(__file__).resolve().parents[2]
INPUTS = ROOT / "inputs" / "danger_shock"
IMP, SOC = "Impella CP + standard care", "Standard care"


def summary(dc: float, dq: float, wtp=(20000.0, 30000.0)) -> dict:
    inc = {"intervention": IMP, "comparator": SOC, "inc_cost": dc, "inc_qalys": dq,
           "inc_life_years": dq, "icer": dc / dq,
           "inmb": {f"{w:g}": w * dq - dc for w in wtp},
           "threshold_device_price": {f"{w:g}": 15000 + w * dq - dc for w in wtp},
           "inc_index_cost": 1.0, "inc_alive_180d": 0.1,
           "index_cost_per_extra_survivor_180d": 10.0}
    strat = {IMP: {"cost": dc, "qalys": dq}, SOC: {"cost": 0.0, "qalys": 0.0}}
    return {"currency": "GBP", "wtp": list(wtp), "incremental": inc, "strategies": strat}


def test_decision_changes_at_each_threshold_by_hand():
    # base: 10,000 for 0.4 QALYs: INMB -2,000 at 20k (reject), +2,000 at 30k (adopt)
    base = summary(10_000.0, 0.4)
    sc = Scenario("cheaper", "cheaper", {})
    rows = _scenario_rows(sc, "uk", summary(7_000.0, 0.4), base)  # INMB +1,000 / +5,000
    assert [r["wtp"] for r in rows] == [20000.0, 30000.0]
    assert [r["decision"] for r in rows] == ["adopt", "adopt"]
    assert [r["decision_changes"] for r in rows] == ["yes", "no"]
    assert rows[0]["change_inmb"] == pytest.approx(3_000.0)
    assert rows[0]["change_inc_cost"] == pytest.approx(-3_000.0)
    assert rows[0]["change_inc_qalys"] == pytest.approx(0.0, abs=1e-15)
    assert not rows[0]["repeats_base_case"]


def test_a_scenario_equal_to_the_base_case_is_marked():
    base = summary(10_000.0, 0.4)
    rows = _scenario_rows(Scenario("same", "same", {}), "uk", summary(10_000.0, 0.4), base)
    assert all(r["repeats_base_case"] and r["note"] for r in rows)
    assert all(r["decision_changes"] == "no" for r in rows)
    first = _scenario_rows(None, "uk", base, base)  # the base row itself is not "repeating"
    assert first[0]["scenario"] == "base case" and not first[0]["repeats_base_case"]


def test_docs_name_only_scenarios_that_exist():
    names = set(load_scenarios(scenarios_dir(), ModelConfig.keys()))
    assert "hospital_perspective" not in names
    prefixes = ("horizon_", "effect_", "country_", "device_", "dialysis_", "discount_",
                "utility_", "structure_", "icu_", "hospital_")
    settings = set(ModelConfig.keys())
    params = {n for f in INPUTS.glob("*.csv") if f.name != "validation_targets.csv"
              for n in ParameterTable.read(f).names}  # (the targets are not parameters)
    code = "\n".join(p.read_text() for p in (ROOT / "hecon").rglob("*.py"))
    functions = set(re.findall(r"def ([a-z0-9_]+)\(", code))  # e.g. horizon_cycles
    for doc in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for token in re.findall(r"`([a-z0-9_]+)`", doc.read_text()):
            if token.startswith(prefixes) and token not in settings | params | functions:
                if doc.name == "model.md" and token == "hospital_perspective":
                    continue  # named once as the scenario that was removed, and why
                assert token in names, f"{doc.name} names scenario {token!r}"


def test_new_inputs_are_their_source_values():
    t = ParameterTable.read(INPUTS / "resource_use.csv", INPUTS / "utility_norms_uk.csv")
    # ICU ratio: (0.15 x 2 + 0.85 x (3 + 12)) / (0.29 x 2 + 0.71 x (3 + 13))
    ratio = (0.15 * 2 + 0.85 * 15) / (0.29 * 2 + 0.71 * 16)
    assert t["icu_days_ratio_impella"].value == pytest.approx(ratio, abs=5e-4)
    # Ara & Brazier 2010
    for n, v in (("u_norm_intercept", 0.9508566), ("u_norm_male", 0.0212126),
                 ("u_norm_age", -0.0002587), ("u_norm_age2", -0.0000332)):
        assert t[n].value == v
    dk = ParameterTable.read(INPUTS / "utility_norms_dk.csv")
    # Sorensen 2009: 0.93 at 20-29 (mid 25) and 0.83 at 70-79 (mid 75), straight line
    at = dk["u_norm_intercept"].value + dk["u_norm_age"].value * 25
    assert at == pytest.approx(0.93)
    assert dk["u_norm_intercept"].value + dk["u_norm_age"].value * 75 == pytest.approx(0.83)
    uk = ParameterTable.read(INPUTS / "costs_uk.csv")
    # controller GBP 35,000 per 2 (NICE MIB89), NHSCII 2016/17 -> 2023/24, 100 uses, + 300
    nhscii = 1.0124 * 1.0160 * 1.0214 * 1.0249 * 1.0258 * 1.0732 * 1.0247
    assert uk["c_device_system"].value == pytest.approx(35_000 / 2 * nhscii / 100 + 300,
                                                        abs=25)
    # 2019/20 -> 2023/24 factor on the device proxy GBP 15,000
    f = 1.0249 * 1.0258 * 1.0732 * 1.0247
    assert uk["c_device"].value == pytest.approx(15_000 * f, abs=5)
    assert uk["c_dialysis_annual"].value == pytest.approx(23_700 * 1.0247, abs=5)
    assert {p.unit for p in uk} == {"GBP 2023/24"}
    dkc = ParameterTable.read(INPUTS / "costs_dk.csv")
    cpi_2024 = sum([117.8, 118.4, 118.4, 118.5, 118.5, 118.5, 119.8, 119.3, 118.9, 119.6,
                    119.2, 118.9]) / 12
    assert dkc["c_safety_event"].value == pytest.approx(12_384 * 7.46 * cpi_2024 / 100, abs=50)
    assert {p.unit for p in dkc} == {"DKK 2024"}


def test_countries_name_one_price_year_and_index():
    from hecon.models.danger_shock.inputs import load_country

    for key, year in (("dk", "2024"), ("uk", "2023/24")):
        c = load_country(key)
        assert c.price_year == year and c.inflation_index
        units = {p.unit for p in ParameterTable.read(c.costs_file)}
        assert units == {f"{c.currency} {year}"}
