"""Issue 14, the cases the first catalogue missed: each gives one ``hecon: error:`` line (exit
2) or the correct result, never a traceback, a silently wrong number or a live formula.

Scenario names that a folder in the working directory would shadow; thresholds that are not
a list of positive amounts; API run folders checked before computing; sampled and overridden
values outside their unit (PSA draw named); ages beyond the model's maximum age, lifetime
horizons that follow each row's age, life tables that do not cover the ages visited; the
unused-parameter warning; overflowing costs; control characters and formula text in the live
Excel model; a Word line break inside a CSV field; wrongly typed scenario settings; ``hecon
report`` on run folders whose summary is missing, damaged or foreign. The table mapping every
case of the issue to its test is tests/robustness/README.md.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from hecon.cli import main
from hecon.design import Design
from hecon.errors import InputError
from hecon.io_safe import write_text
from hecon.limits import UnusedParameterWarning, check_values, row_words
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.inputs import load_country
from hecon.models.danger_shock.model import DangerShockModel
from hecon.models.danger_shock.structure import ACUTE_YEARS, MAX_AGE
from hecon.parameters import ParameterTable
from hecon.runfolder import seal
from hecon.scenarios import Scenario, check_setting_types, is_scenario_path, load_scenario
from hecon.survival.lifetable import LifeTable

ROOT = Path(__file__).resolve().parents[2]
INPUTS = ROOT / "inputs"
THREE = ROOT / "examples" / "three_state.py"
THREE_TABLE = ROOT / "examples" / "three_state_parameters.csv"


def one_error_line(err: str) -> str:
    lines = [x for x in err.strip().splitlines() if not x.startswith("hecon: warning:")]
    assert len(lines) == 1, err
    assert lines[0].startswith("hecon: error: ") and "Traceback" not in err
    return lines[0]


@pytest.fixture(scope="module")
def dk() -> DangerShockModel:
    return DangerShockModel.build(ModelConfig(country="dk"))


# ------------------------------------------------------------------ scenario names (item 6)


def test_scenario_name_or_path():
    assert not is_scenario_path("horizon_5y")
    for given in ("my.yaml", "x.yml", "./horizon_5y", "sub/horizon_5y", "odd.txt"):
        assert is_scenario_path(given), given


@pytest.mark.parametrize("shadow", ["folder", "file"])
def test_a_folder_named_like_a_scenario_does_not_shadow_it(tmp_path, monkeypatch, shadow):
    from hecon.cli import _run_name, build_parser
    from hecon.models.danger_shock.runner import _scenario

    monkeypatch.chdir(tmp_path)
    if shadow == "folder":
        (tmp_path / "horizon_5y").mkdir()
    else:
        (tmp_path / "horizon_5y").write_text("description: [not a scenario\n")
    sc = _scenario("horizon_5y")
    assert Path(sc.file) == ROOT / "scenarios" / "horizon_5y.yaml"
    assert sc.settings == {"horizon_years": 5}
    args = build_parser().parse_args(["run", "--scenario", "horizon_5y"])
    assert _run_name(args) == "horizon_5y"
    with pytest.raises(InputError, match="horizon_5y"):  # given as a path: the local one
        _scenario("./horizon_5y")


# ------------------------------------------------------------------ thresholds (item 5)


def _inputs_copy(tmp: Path) -> Path:
    dest = tmp / "inputs"
    shutil.copytree(INPUTS, dest)
    return dest


@pytest.mark.parametrize("wtp", ["[]", "'250000'", "[0]", "[-20000, 30000]", "[.nan]",
                                 "[yes]", "~"])
def test_thresholds_must_be_a_list_of_positive_amounts(tmp_path, wtp):
    inputs = _inputs_copy(tmp_path)
    path = inputs / "danger_shock" / "countries.yaml"
    text = path.read_text().replace("wtp: [250000]", f"wtp: {wtp}")
    assert text != path.read_text()
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_country("dk", inputs)
    assert "countries.yaml" in str(info.value) and "'wtp'" in str(info.value)
    assert load_country("uk", inputs).wtp == [20000.0, 30000.0]  # the other set is intact


# ------------------------------------------------------------------ output path via the API


def test_api_run_checks_the_folder_before_computing(tmp_path, monkeypatch):
    from hecon.models.danger_shock import runner as flagship
    from hecon.plugin import load_plugin
    from hecon.runner import run_generic

    (tmp_path / "afile").write_text("x")
    monkeypatch.setattr(DangerShockModel, "build",
                        lambda *a, **k: pytest.fail("the model ran before the check"))
    with pytest.raises(InputError, match="is an existing file"):
        flagship.run_base(["dk"], out=str(tmp_path / "afile"))
    with pytest.raises(InputError, match="is an existing file"):
        flagship.run_scenarios(out=str(tmp_path / "afile"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="path separator"):
        flagship.run_base(["dk"], name="../..")
    plugin = load_plugin(str(THREE))
    monkeypatch.setattr(type(plugin), "build",
                        lambda *a, **k: pytest.fail("the model ran before the check"))
    with pytest.raises(InputError, match="is an existing file"):
        run_generic(plugin, out=str(tmp_path / "afile"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


# ------------------------------------------------------------------ values against units (3)


def test_row_words():
    assert row_words("psa17") == "PSA draw 17"
    assert row_words("base") == "the base case"
    assert row_words("age:low") == "one-way row 'age:low'"
    assert row_words("4") == "design row 4"


@pytest.mark.parametrize("name, bad, words", [
    ("u_post_shock_base", 1.27, "cannot exceed 1"),
    ("c_device", -5000.0, "cannot be negative"),
    ("male_share", 1.5, "must lie in [0, 1]"),
    ("p_rrt_soc", np.nan, "not a finite number"),
])
def test_a_draw_outside_its_unit_is_named(dk, name, bad, words):
    n = 5
    params = {k: np.full(n, v) for k, v in dk.table.base_values().items()}
    params[name][3] = bad
    labels = [f"psa{i}" for i in range(n)]
    with pytest.raises(InputError) as info:
        check_values(params, dk.table, labels)
    msg = str(info.value)
    p = dk.table[name]
    for w in (Path(p.file).name, f"row {p.row}", f"parameter '{name}'", "PSA draw 3", words):
        assert w in msg, (w, msg)
    params[name][3] = params[name][0]
    check_values(params, dk.table, labels)  # the same draws within their units pass


def test_a_negative_price_from_a_scenario_is_refused(tmp_path):
    path = tmp_path / "cheap.yaml"
    path.write_text("description: d\nparameters:\n  c_device: {multiply: -1}\n")
    sc = load_scenario(path, ModelConfig.keys())
    model = DangerShockModel.build(ModelConfig(country="dk"), sc)
    with pytest.raises(InputError) as info:
        model.base_case()
    for w in ("cheap.yaml", "c_device", "x -1", "the base case", "-150000", "negative"):
        assert w in str(info.value)


def test_psa_draws_of_age_beyond_the_maximum_age_cli(tmp_path, capsys):
    table = pd.read_csv(INPUTS / "danger_shock" / "clinical.csv", dtype=str,
                        keep_default_na=False)
    table.loc[table["name"] == "age", ["distribution", "min", "max", "low", "high"]] = [
        "uniform", "40", "110", "", ""]
    folder = tmp_path / "tables"
    folder.mkdir()
    table.to_csv(folder / "clinical.csv", index=False)
    for f in ("resource_use.csv", "utilities.csv", "utility_norms_dk.csv", "costs_dk.csv"):
        shutil.copy(INPUTS / "danger_shock" / f, folder / f)
    out = tmp_path / "out"
    assert main(["psa", "-n", "30", "--quiet", "--country", "dk", "--inputs", str(folder),
                 "--out", str(out)]) == 2
    line = one_error_line(capsys.readouterr().err)
    for w in ("clinical.csv", "parameter 'age'", "PSA draw", "maximum age 100"):
        assert w in line, (w, line)
    assert not out.exists()


# ------------------------------------------------------------------ ages and horizons (4)


def test_lifetime_horizon_follows_each_rows_age(dk):
    """Rows of one design with ages 60, 67 and 75 each equal the base case of a model whose
    table says that age (each evaluated alone, to age 100), not a horizon sized for 67.
    Annual cycles keep the test fast; the grouping does not depend on the cycle length."""
    dk = replace(dk, config=replace(dk.config, cycle_days=365.25))
    base = Design.base(dk.table)
    ages = [60.0, 67.0, 75.0]
    vals = np.repeat(base.values, 3, axis=0)
    vals[:, base.names.index("age")] = ages
    res = dk.evaluate(Design(vals, base.names, ["age:low", "base", "age:high"], "one-way"))
    dt = dk.config.cycle_days / 365.25
    for i, a in enumerate(ages):
        alone = replace(dk, table=dk.table.with_values({"age": a})).base_case()
        for s in res.strategies:
            for outcome in ("cost", "qalys", "life_years"):
                got = res.column(s, outcome)[i]
                want = alone.column(s, outcome)[0]
                assert got == pytest.approx(want, rel=1e-12), (a, s, outcome)
        # the single-age run itself reaches age 100: its trace spans 100 - a - 180 days
        tr = alone.outputs[res.strategies[0]].times
        assert a + ACUTE_YEARS + tr[-1] == pytest.approx(MAX_AGE, abs=dt / 2 + 1e-9)
    # a horizon sized for 67 would give the 60-year-olds fewer life-years than this
    young = res.column(res.strategies[1], "life_years_undisc")[0]
    capped = replace(dk, table=dk.table.with_values({"age": 60.0}))
    short = replace(capped, config=replace(dk.config, horizon_years=100 - 67))
    assert young > short.base_case().column(res.strategies[1], "life_years_undisc")[0]


@pytest.mark.parametrize("age", [99.5, 100.0, 104.0])
def test_an_age_without_a_long_term_phase_is_refused(dk, age):
    model = replace(dk, table=dk.table.with_values({"age": age}))
    with pytest.raises(InputError) as info:
        model.base_case()
    msg = str(info.value)
    assert "clinical.csv" in msg and "parameter 'age'" in msg and "maximum age 100" in msg


@pytest.mark.parametrize("ages, words", [
    (range(70, 100), "starts at age 70"),
    (range(0, 81), "ends at age 80"),
])
def test_a_life_table_must_cover_every_age_visited(dk, ages, words):
    a = np.asarray(list(ages), dtype=float)
    lt = LifeTable(a, male=np.full(a.size, 0.02), female=np.full(a.size, 0.015))
    model = replace(dk, country=replace(dk.country, life_table=lt))
    with pytest.raises(InputError) as info:
        model.base_case()
    assert words in str(info.value) and "denmark_2010_2012.csv" in str(info.value)


def test_a_short_horizon_needs_the_life_table_only_to_its_end(dk):
    a = np.arange(0, 81, dtype=float)  # covers 67 + 10 years
    lt = LifeTable(a, male=np.full(a.size, 0.02), female=np.full(a.size, 0.015))
    model = replace(dk, country=replace(dk.country, life_table=lt),
                    config=replace(dk.config, horizon_years=10))
    assert np.isfinite(model.base_case().column(model.base_case().strategies[0], "cost")[0])


# ------------------------------------------------------------------ unused parameters (4)


def test_an_unused_parameter_is_named_in_a_warning(tmp_path, capsys):
    from hecon.plugin import load_plugin
    from hecon.runner import run_generic

    table = tmp_path / "params.csv"
    table.write_text(THREE_TABLE.read_text().rstrip("\n")
                     + "\nc_unused,never read,5,GBP 2024,fixed,,,,,,test\n")
    with pytest.warns(UnusedParameterWarning, match=r"params.csv .*: c_unused"):
        run_generic(load_plugin(str(THREE)), inputs=str(table), out=str(tmp_path / "api"))
    assert main(["run", "--model", str(THREE), "--inputs", str(table), "--analyses", "base",
                 "--out", str(tmp_path / "cli")]) == 0
    err = capsys.readouterr().err
    assert [x for x in err.splitlines() if x.startswith("hecon: warning:")] == [
        x for x in err.splitlines() if "c_unused" in x]
    assert "c_unused" in err


def test_no_warning_when_every_parameter_is_used(tmp_path, recwarn):
    from hecon.plugin import load_plugin
    from hecon.runner import run_generic

    run_generic(load_plugin(str(THREE)), out=str(tmp_path / "api"))
    assert not [w for w in recwarn if issubclass(w.category, UnusedParameterWarning)]


# ------------------------------------------------------------------ overflowing costs (5)


def test_overflowing_costs_are_refused(dk, tmp_path, capsys):
    model = replace(dk, table=dk.table.with_values({"c_icu_day": 1e308}))
    with np.errstate(over="ignore"), pytest.raises(InputError) as info:
        model.base_case()
    msg = str(info.value)
    assert "not a finite number" in msg and "the base case" in msg and "index_hospitalisation" \
        in msg
    table = pd.concat([pd.read_csv(INPUTS / "danger_shock" / f, dtype=str,
                                   keep_default_na=False)
                       for f in ("clinical.csv", "resource_use.csv", "utilities.csv",
                                 "utility_norms_dk.csv", "costs_dk.csv")])
    table.loc[table["name"] == "c_icu_day", ["value", "distribution", "se", "low", "high"]] = [
        "1e308", "fixed", "", "", ""]
    table.to_csv(tmp_path / "big.csv", index=False)
    out = tmp_path / "out"
    assert main(["run", "--analyses", "base", "--country", "dk", "--inputs",
                 str(tmp_path / "big.csv"), "--out", str(out)]) == 2
    assert "not a finite number" in one_error_line(capsys.readouterr().err)
    assert not out.exists()


# ------------------------------------------------------------------ text in the live model (2)


def test_live_model_neutralises_formula_text_and_control_characters(dk, tmp_path):
    from hecon.models.danger_shock.excel_model import build_excel_model

    texts = {"c_device": ("description", '+HYPERLINK("http://evil.example","x")'),
             "c_implant": ("source", "=1+1"),
             "c_ward_day": ("source", "Smith\x0bet al.\x01 2020")}
    params = []
    for p in dk.table:
        if p.name in texts:
            col, text = texts[p.name]
            p = replace(p, **{col: text})
        params.append(p)
    model = replace(dk, table=ParameterTable(params))
    path = build_excel_model(tmp_path / "hecon_model.xlsx", {"dk": model})
    wb = openpyxl.load_workbook(path)
    ws = wb["Inputs"]
    head = [c.value for c in ws[1]]
    rows = {r[head.index("name")]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["c_device"][head.index("description")] == "'" + texts["c_device"][1]
    assert rows["c_implant"][head.index("source")] == "'=1+1"
    assert rows["c_ward_day"][head.index("source")] == "Smith et al.  2020"
    for sheet in ("Inputs", "Settings"):
        for row in wb[sheet].iter_rows():
            for c in row:
                assert c.data_type != "f", (sheet, c.coordinate, c.value)


def test_word_line_break_inside_a_csv_field_keeps_the_row(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"name,value,unit,distribution,source\n"
                     b'a,0.5,probability,fixed,"Smith\x0bet al. 2020"\n'
                     b"b,2,years,fixed,Jones\x0bet al.\n")
    table = ParameterTable.read(path)
    assert table.names == ["a", "b"]
    assert table["a"].source == "Smith\x0bet al. 2020" and table["b"].row == 3


# ------------------------------------------------------------------ typed settings (5)


@pytest.mark.parametrize("setting, words", [
    ("cycle_days: yes", "'cycle_days' is True"),
    ("horizon_years: ten", "'horizon_years' is 'ten'"),
    ("horizon_years: [1, 2]", "'horizon_years' is [1, 2]"),
    ("country: 1", "'country' is 1"),
    ("structure: {a: 1}", "'structure' is {'a': 1}"),
    ("cycle_days: .nan", "'cycle_days' is nan"),
])
def test_wrongly_typed_scenario_settings(tmp_path, setting, words):
    path = tmp_path / "typed.yaml"
    path.write_text(f"description: d\nsettings:\n  {setting}\n")
    with pytest.raises(InputError) as info:
        DangerShockModel.build(ModelConfig(), load_scenario(path, ModelConfig.keys()))
    assert "typed.yaml" in str(info.value) and words in str(info.value)


@pytest.mark.parametrize("value, ok", [(5, True), (2.5, True), (True, False), ("5", False),
                                       (float("inf"), False), (None, False)])
def test_plugin_settings_keep_the_type_of_their_default(value, ok):
    defaults = {"years": 40, "label": "x", "flag": False, "free": None}
    if ok:
        check_setting_types({"years": value}, defaults, "s.yaml")
        return
    with pytest.raises(InputError, match=r"s.yaml: setting 'years' .* a finite number"):
        check_setting_types({"years": value}, defaults, "s.yaml")
    with pytest.raises(InputError, match="true or false"):
        check_setting_types({"flag": 1}, defaults, "s.yaml")
    with pytest.raises(InputError, match="text"):
        check_setting_types({"label": 3}, defaults, "s.yaml")
    check_setting_types({"free": [1, 2]}, defaults, "s.yaml")


def test_plugin_scenario_with_a_typed_setting_through_build():
    from hecon.plugin import load_plugin

    base = type(load_plugin(str(THREE)))

    class WithSettings(base):  # the example model with two settings
        def config_defaults(self) -> dict:
            return {"years": 40, "label": "x"}

    plugin = WithSettings()
    key = next(iter(plugin.sets()))
    for bad, words in (({"years": True}, "'years' is True"), ({"label": 3}, "'label' is 3")):
        with pytest.raises(InputError, match=f"s.yaml: setting {words}"):
            plugin.build(key, Scenario("s", "d", bad, {}, "s.yaml"))
    model = plugin.build(key, Scenario("s", "d", {"years": 20.5}, {}, "s.yaml"))
    assert model.config == {"years": 20.5, "label": "x"}


# ------------------------------------------------------------------ hecon report (1, 5)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small") / "run"
    assert main(["run", "--model", str(THREE), "--analyses", "base", "--out", str(out)]) == 0
    return out


def _resealed(src: Path, dest: Path, edit) -> Path:
    shutil.copytree(src, dest)
    edit(dest)
    seal(dest)  # the manifest agrees: only the content is foreign
    return dest


@pytest.mark.parametrize("edit, words", [
    (lambda d: (d / "summary.json").unlink(), "no summary.json"),
    (lambda d: write_text(d / "summary.json", "{not json"), "summary.json is damaged"),
    (lambda d: write_text(d / "summary.json", "[1, 2]"), "no country_sets"),
    (lambda d: write_text(d / "summary.json", json.dumps({"country_sets": 5})),
     "no country_sets"),
    (lambda d: write_text(d / "summary.json", json.dumps({"country_sets": {"x": {}},
                                                          "report": {}})),
     "not what hecon writes"),
])
def test_report_on_a_folder_with_a_foreign_summary(small_run, tmp_path, capsys, edit, words):
    run = _resealed(small_run, tmp_path / "run", edit)
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    assert main(["report", str(run)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert words in line and str(run) in line
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_report_on_a_scenario_table_folder(tmp_path, capsys):
    run = tmp_path / "scen"
    run.mkdir()
    write_text(run / "scenarios.csv", "scenario\nx\n")
    write_text(run / "manifest.json", "{}")
    seal(run)
    assert main(["report", str(run)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "no summary.json" in line and str(run) in line and ".staging-" not in line


def test_report_rebuilds_the_small_run(small_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(small_run, run)
    (run / "hecon_report.xlsx").unlink()
    assert main(["report", str(run)]) == 0
    assert (run / "hecon_report.xlsx").is_file()


# ------------------------------------------------------------------ parsed inputs (4, 5)

BOMB = "description: d\nsettings:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
BOMB += "".join(
    f"  {b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi"))


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path, capsys):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    assert len(BOMB) < 600  # a few hundred bytes that would expand to 9^9 strings
    with pytest.raises(InputError, match=r"bomb.yaml: line 4: a YAML alias"):
        load_scenario(path, ModelConfig.keys())
    assert main(["run", "--scenario", str(path), "--analyses", "base",
                 "--out", str(tmp_path / "out")]) == 2
    assert "alias" in one_error_line(capsys.readouterr().err)


def test_an_anchor_without_alias_is_plain_yaml(tmp_path):
    path = tmp_path / "anchor.yaml"
    path.write_text("description: d\nsettings: &s\n  horizon_years: 5\n")
    assert load_scenario(path, ModelConfig.keys()).settings == {"horizon_years": 5}


@pytest.mark.parametrize("unit, dist, cols", [
    ("probability", "normal", {"value": 0.5, "se": 0.1}),
    ("DKK 2024", "normal", {"value": 100, "se": 10}),
    ("utility", "normal", {"value": 0.8, "se": 0.05}),
    ("years", "normal", {"value": 67, "se": 5}),
    ("probability", "uniform", {"value": 0.5, "min": 0, "max": 1.2}),
    ("utility", "lognormal", {"value": 0.8, "meanlog": -0.2, "sdlog": 0.1}),
    ("proportion", "gamma", {"value": 0.5, "se": 0.1}),
    ("probability", "triangular", {"value": 0.5, "min": -0.1, "max": 0.9}),
])
def test_a_distribution_that_leaves_its_unit_is_refused_when_read(unit, dist, cols):
    df = pd.DataFrame([{"name": "x", "unit": unit, "distribution": dist, "source": "s",
                        **cols}])
    with pytest.raises(InputError, match=f"parameter 'x': a {dist} distribution takes values"):
        ParameterTable.from_frame(df, "t.csv")


def _xlsx(path: Path, extra=None, hidden_first: bool = False) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    if hidden_first:
        ws.title = "notes"
        ws.append(["old notes, not a table"])
        ws.sheet_state = "hidden"
        ws = wb.create_sheet("params")
    ws.append(["name", "value", "unit", "distribution", "source"])
    ws.append(["c_x", 1.0, "DKK 2024", "fixed", "test"])
    if extra:
        extra(ws)
    wb.save(path)
    return path


def test_a_cell_far_away_does_not_hang_the_reader(tmp_path):
    far = _xlsx(tmp_path / "far.xlsx", lambda ws: ws.cell(1048576, 16384, 1))
    assert far.stat().st_size < 20_000
    with pytest.raises(InputError, match="far.xlsx: more than 100000 rows"):
        ParameterTable.read(far)
    wide = _xlsx(tmp_path / "wide.xlsx", lambda ws: ws.cell(2, 16384, 1))
    with pytest.raises(InputError, match="row 2: a value stands right of the last header"):
        ParameterTable.read(wide)


def test_the_visible_sheet_is_read_not_a_hidden_first_one(tmp_path):
    table = ParameterTable.read(_xlsx(tmp_path / "h.xlsx", hidden_first=True))
    assert table.names == ["c_x"] and table["c_x"].source == "test"


def test_a_formula_in_a_text_column_of_an_xlsx_is_refused(tmp_path):
    path = _xlsx(tmp_path / "f.xlsx", lambda ws: ws.cell(2, 5, '=HYPERLINK("http://x")'))
    with pytest.raises(InputError, match=r"f.xlsx, row 2, parameter 'c_x': column 'source' "
                                         "holds a formula"):
        ParameterTable.read(path)


@pytest.mark.parametrize("target, words", [
    ("dangling.xlsx", "dangling link"),
    ("afile/x.xlsx", "is an existing file, not a folder"),
    ("r" * 300 + ".xlsx", "too long for the file system"),
])
def test_excel_output_checked_before_the_model_is_built(tmp_path, monkeypatch, capsys,
                                                        target, words):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "dangling.xlsx").symlink_to(tmp_path / "nowhere")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(DangerShockModel, "build",
                        lambda *a, **k: pytest.fail("the model ran before the check"))
    assert main(["excel", "--out", target]) == 2
    assert words in one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize("text, words", [
    ("description: d\nsettings:\n  horizon_years: 5\n  horizon_years: 10\n",
     "line 4: key 'horizon_years' appears twice"),
    ("description: d\nparameters:\n  c_device: {multiply: yes}\n", "needs a finite number"),
    ("description: d\nparameters:\n  c_device: true\n", "must be a number or a mapping"),
])
def test_duplicate_keys_and_booleans_in_a_scenario(tmp_path, text, words):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_scenario(path, ModelConfig.keys(), ["c_device"])
    assert "s.yaml" in str(info.value) and words in str(info.value)


def test_an_unknown_bare_name_hints_at_the_local_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").write_text("description: d\n")
    assert main(["run", "--scenario", "mine", "--analyses", "base", "--out", "o"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "unknown scenario 'mine'" in line and "give it as a path (./mine)" in line
