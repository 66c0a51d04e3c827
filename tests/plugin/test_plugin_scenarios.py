"""Scenarios of a plug-in model through the generic runner: parameter overrides recomputed by
hand, settings a scenario may change, bad scenarios named with their file."""

import importlib.util
import json
from pathlib import Path

import pytest

from hecon.errors import InputError
from hecon.plugin import load_plugin
from hecon.runner import list_scenarios, run_generic, scenario_table

ROOT = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("plugin_three_state_checks",
                                              ROOT / "test_plugin_three_state.py")
checks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(checks)


@pytest.fixture()
def model(tmp_path):
    base = load_plugin(str(ROOT.parents[1] / "examples" / "three_state.py"))
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "free_drug.yaml").write_text(
        "description: the drug costs nothing\nparameters:\n  c_drug: {value: 0}\n")
    (folder / "sicker.yaml").write_text(
        "description: half as likely again to fall sick\nparameters:\n"
        "  p_sick: {multiply: 1.5}\n")

    class WithScenarios(type(base)):
        def scenarios_dir(self):
            return folder

    return WithScenarios(), folder


def test_scenario_table_by_hand(model):
    plugin, _ = model
    assert list(list_scenarios(plugin)) == ["free_drug", "sicker"]
    t = scenario_table(plugin).set_index("scenario")
    for name, change in (("free_drug", {"c_drug": 0.0}), ("sicker", {"p_sick": 0.15})):
        (c0, q0, _), (c1, q1, _) = checks.hand(False, **change), checks.hand(True, **change)
        assert t.loc[name, "inc_cost"] == pytest.approx(c1 - c0, rel=1e-10)
        assert t.loc[name, "inc_qalys"] == pytest.approx(q1 - q0, rel=1e-10)
        assert t.loc[name, "cost_drug"] == pytest.approx(c1, rel=1e-10)
        assert t.loc[name, "inmb"] == pytest.approx(20_000 * (q1 - q0) - (c1 - c0), rel=1e-10)
    assert t.loc["free_drug", "country"] == "example"


def test_run_one_scenario(model, tmp_path):
    plugin, _ = model
    folder, (s,) = run_generic(plugin, scenario="free_drug", out=str(tmp_path / "run"),
                               command=["x"])
    assert folder.name == "run"
    saved = json.loads((folder / "summary.json").read_text())
    assert saved["scenario"] == "free_drug" and saved["run_name"] == "free_drug"
    (c1, _, _) = checks.hand(True, c_drug=0.0)
    assert s["strategies"]["new drug"]["cost"] == pytest.approx(c1, rel=1e-10)
    assert saved["report"]["settings_rows"] == [["Scenario", "free_drug"]]


def test_bad_scenarios_name_their_file(model, tmp_path):
    plugin, folder = model
    (folder / "typo.yaml").write_text(
        "description: misspelt\nparameters:\n  c_drgu: {value: 0}\n")
    with pytest.raises(InputError, match=r"typo.yaml, parameter 'c_drgu': scenario overrides "
                                         r"unknown parameter \(did you mean 'c_drug'\?\)"):
        run_generic(plugin, scenario="typo", out=str(tmp_path / "r"))
    assert not (tmp_path / "r").exists()
    (folder / "typo.yaml").write_text("description: a setting\nsettings:\n  horizon: 10\n")
    with pytest.raises(InputError, match="typo.yaml: unknown setting 'horizon'"):
        run_generic(plugin, scenario="typo", out=str(tmp_path / "r"))
    (folder / "typo.yaml").unlink()
    with pytest.raises(InputError, match=r"unknown scenario 'free_drugs' \(did you mean "
                                         r"'free_drug'\?\)"):
        run_generic(plugin, scenario="free_drugs", out=str(tmp_path / "r"))
    with pytest.raises(InputError, match="model 'three_state' has no set 'uk'"):
        run_generic(plugin, ["uk"], out=str(tmp_path / "r"))
