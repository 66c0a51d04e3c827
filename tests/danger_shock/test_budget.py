"""Budget impact of the DanGer Shock model: per-patient yearly costs against a direct
calculation (parameters by hand, long-term costs summed over the trace), year 1 against a hand
calculation, and the ``hecon budget`` command."""

from contextlib import nullcontext

import numpy as np
import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from hecon.cli import main
from hecon.models.danger_shock import budget
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.model import STRATEGY_NAMES, DangerShockModel
from hecon.models.danger_shock.structure import ACUTE_YEARS

IMP, SOC = STRATEGY_NAMES
YEARS = 5


@pytest.fixture(scope="module")
def model():
    return DangerShockModel.build(ModelConfig(country="dk"))


@pytest.fixture(scope="module")
def per_patient(model):
    return budget.per_patient(model, model.base_design(), YEARS)


def by_hand_index(p: dict, arm: str) -> dict[str, float]:
    """Index-admission costs per patient from the parameters (independent of the engine)."""
    g = {k: float(v[0]) for k, v in p.items()}
    pd_ = g[f"p_death_180_{arm}"]
    icu = g["icu_days_ratio_impella"] if arm == "impella" else 1.0  # fewer ICU days with it
    stay = (pd_ * (icu * g["icu_days_decedent"] * g["c_icu_day"] + g["ward_days_decedent"]
                   * g["c_ward_day"])
            + (1 - pd_) * (icu * g["icu_days_survivor"] * g["c_icu_day"]
                           + g["ward_days_survivor"] * g["c_ward_day"]))
    # the device category is the pump and its system share (controller, purge set)
    return {"device": g["c_device"] + g["c_device_system"] if arm == "impella" else 0.0,
            "implantation": g["c_implant"] if arm == "impella" else 0.0,
            "index_hospitalisation": stay,
            "adverse_events": g[f"p_safety_{arm}"] * g["c_safety_event"],
            "acute_rrt": g[f"p_rrt_{arm}"] * g["c_rrt_acute"]}


def by_hand_long_term(model, p: dict) -> dict[str, dict[str, np.ndarray]]:
    """Follow-up and dialysis costs per year since entry, and alive at each year's end, summed
    directly over the 5-year trace (life-table counting: cycle k counts the mean of the
    membership at its start and end; the cost rate is that of the cycle's start)."""
    g = {k: float(v[0]) for k, v in p.items()}
    m5 = budget._horizon_model(model, YEARS)
    res = m5.evaluate(model.base_design(), keep_trace=True)
    dt = 1 / 12  # 30.4375 days
    ends = [round((y - ACUTE_YEARS) / dt) for y in range(1, YEARS + 1)]
    out = {}
    for s in (IMP, SOC):
        tr = res.trace(s)
        alive = (tr["post_shock"] + tr["dialysis"]).to_numpy()
        dial = tr["dialysis"].to_numpy()
        k = np.arange(len(tr) - 1)
        since = ACUTE_YEARS + k * dt
        fu_rate = np.where(since < 1, g["c_followup_year1"], g["c_followup_annual"]) * dt
        fu = 0.5 * (alive[:-1] + alive[1:]) * fu_rate
        di = 0.5 * (dial[:-1] + dial[1:]) * g["c_dialysis_annual"] * dt
        bounds = [0, *ends]
        out[s] = {
            "follow_up": np.array([fu[a:b].sum() for a, b in zip(bounds, bounds[1:])]),
            "dialysis": np.array([di[a:b].sum() for a, b in zip(bounds, bounds[1:])]),
            "alive": alive[ends],
        }
    return out


def test_per_patient_years_equal_a_direct_calculation(model, per_patient):
    p = model.prepare(model.base_design())
    lt = by_hand_long_term(model, p)
    for s, arm in ((IMP, "impella"), (SOC, "soc")):
        got = per_patient[s]
        for cat, v in by_hand_index(p, arm).items():
            assert got.costs[cat][0, 0] == pytest.approx(v, rel=1e-10, abs=1e-6)
            assert np.abs(got.costs[cat][0, 1:]).max() < 1e-6 * max(v, 1.0)
        for cat in ("follow_up", "dialysis"):
            np.testing.assert_allclose(got.costs[cat][0], lt[s][cat], rtol=1e-10)
        np.testing.assert_allclose(got.alive[0], lt[s]["alive"], rtol=1e-10)
    # some survivors remain, fewer each year
    a = per_patient[IMP].alive[0]
    assert (np.diff(a) < 0).all() and a[-1] > 0


def test_years_add_up_to_the_horizon_total(model, per_patient):
    r = budget._horizon_model(model, YEARS).evaluate(model.base_design())
    for s in (IMP, SOC):
        total = sum(v.sum() for v in per_patient[s].costs.values())
        assert total == pytest.approx(float(r.column(s, "cost_undisc")[0]), rel=1e-12)


def test_year1_budget_impact_is_a_hand_calculation(model):
    p = model.prepare(model.base_design())
    lt = by_hand_long_term(model, p)
    year1 = {}
    for s, arm in ((IMP, "impella"), (SOC, "soc")):
        idx = by_hand_index(p, arm)
        year1[s] = (sum(idx.values()), sum(idx.values()) + lt[s]["follow_up"][0]
                    + lt[s]["dialysis"][0])
    files, head = budget.run_budget(model, budget.BudgetOptions(psa_draws=0, patients=40.0))
    t = files["budget_impact_dk.csv"]
    assert len(t) == YEARS
    n, u = 40.0, 0.3
    assert t.loc[0, "budget_impact"] == pytest.approx(
        n * u * (year1[IMP][1] - year1[SOC][1]), rel=1e-10)
    assert t.loc[0, "hospital_budget_impact"] == pytest.approx(
        n * u * (year1[IMP][0] - year1[SOC][0]), rel=1e-10)
    assert t.loc[0, "cost_current"] == pytest.approx(n * year1[SOC][1], rel=1e-10)
    # the hospital pays only for the index admission: constant cost without the pump
    np.testing.assert_allclose(t["hospital_cost_current"], n * year1[SOC][0], rtol=1e-10)
    # later years include survivors of earlier cohorts: the payer's cost without the pump grows
    assert (np.diff(t["cost_current"]) > 0).all()
    assert head["cumulative_impact"] == pytest.approx(t["budget_impact"].sum(), rel=1e-12)
    # one-way: the device price moves the impact by (price change) x patients treated
    ow = files["budget_oneway_dk.csv"].set_index("driver")
    treated = t["patients_treated"].sum()
    assert ow.loc["Device price", "cumulative_high"] - ow.loc["Device price",
                                                               "cumulative_low"] == \
        pytest.approx((200_000 - 100_000) * treated, rel=1e-9)


def test_chunks_give_identical_results(model):
    from hecon.design import Design

    d = Design.psa(model.table, 7, 3)
    one = budget.per_patient(model, d, 2)
    chunked = budget.per_patient_chunked(model, d, 2, chunk_size=3)
    for s in (IMP, SOC):
        for c, v in one[s].costs.items():
            np.testing.assert_array_equal(chunked[s].costs[c], v)
        np.testing.assert_array_equal(chunked[s].alive, one[s].alive)


@pytest.mark.parametrize("settings", [
    {"country": "dk"}, {"country": "uk"}, {"country": "dk", "structure": "psm"},
    {"country": "uk", "counting": "end", "effect_duration": "waning"},
    {"country": "dk", "counting": "simpson"}, {"country": "dk", "counting": "half-cycle"}])
def test_one_pass_equals_one_evaluation_per_horizon(settings):
    """Summing one 3-year evaluation to each year's end gives what an evaluation with a 1-,
    2- and 3-year horizon gives (a separate evaluation per horizon, as a reader would run
    them); Simpson and half-cycle weights change with the horizon, so those are evaluated
    horizon by horizon."""
    from hecon.design import Design

    m = DangerShockModel.build(ModelConfig(**settings))
    d = Design.psa(m.table, 6, 11)
    got = budget.per_patient(m, d, 3)
    want = budget.per_patient_by_horizon(m, d, 3)
    one_pass = budget._per_patient_one_pass(m, d, 3)
    assert (one_pass is None) == (settings.get("counting") in ("simpson", "half-cycle"))
    for s in (IMP, SOC):
        for c, v in want[s].costs.items():
            assert got[s].costs[c].shape == (6, 3)
            np.testing.assert_allclose(got[s].costs[c], v, rtol=1e-10,
                                       atol=1e-9 * max(1.0, np.abs(v).max()))
        np.testing.assert_allclose(got[s].alive, want[s].alive, rtol=0, atol=1e-12)


def test_year_end_cycles_are_the_horizons_own_cycles(model):
    """Monthly cycles after the 180-day acute phase: round((y - 0.5) x 12) at year y."""
    dt = model.config.cycle_days / 365.25
    ends = budget._year_end_cycles(model, YEARS)
    assert ends == {s: [round((y - ACUTE_YEARS) / dt) for y in range(1, YEARS + 1)]
                    for s in (IMP, SOC)}
    assert ends[IMP] == [6, 18, 30, 42, 54]


def test_eligible_patients_follow_the_stated_derivation():
    data = yaml.safe_load(budget.budget_file().read_text())
    inc = {k: v["value"] for k, v in data["incidence"].items()}
    per_million = (inc["ami_cs_cases"] / inc["ami_cs_years"]
                   / inc["reference_population_millions"] * inc["stemi_share"]
                   * inc["danger_like_share"])
    for c in ("dk", "uk"):
        e = budget.eligible_per_year(c)
        want = per_million * data[c]["population_millions"]["value"]
        assert e["country"] == pytest.approx(want, rel=1e-12)
        assert e["hospital"] == data[c]["hospital_patients_per_year"]["value"]
    assert budget.eligible_per_year("dk")["country"] == pytest.approx(72, abs=1)


def test_voi_population_is_the_budget_population():
    """population.yaml (value of information) uses the budget derivation, to whole patients:
    one figure for both analyses."""
    pop = yaml.safe_load((budget.budget_file().parent / "population.yaml").read_text())
    for c in ("dk", "uk"):
        assert pop[c]["incidence_per_year"] == round(budget.eligible_per_year(c)["country"])


def test_uptake_continues_with_its_last_value(model):
    st = budget.settings(model, budget.BudgetOptions(years=7, uptake=[0.2, 0.5]))
    assert st["uptake"] == [0.2, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    st = budget.settings(model, budget.BudgetOptions(years=2))
    assert st["uptake"] == [0.3, 0.6]


def cost_columns(t: pd.DataFrame) -> list[str]:
    return [c for c in t.columns if ("cost" in c or "impact" in c)]


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory):
    out = {}
    for n in (40, 80):
        d = tmp_path_factory.mktemp(f"b{n}")
        assert main(["budget", "--country", "dk", "--patients", str(n), "--years", "5",
                     "-n", "30", "--quiet", "--out", str(d)]) == 0
        out[n] = d
    return out


def test_cli_writes_five_rows_and_the_sheets(cli_runs):
    d = cli_runs[40]
    t = pd.read_csv(d / "budget_impact_dk.csv")
    assert list(t["year"]) == [1, 2, 3, 4, 5]
    for c in ("year", "patients_treated", "cost_current", "cost_new", "budget_impact",
              "hospital_cost_current", "hospital_cost_new", "hospital_budget_impact",
              "cumulative_budget_impact", "alive_current", "alive_new", "cost_new_device",
              "budget_impact_dialysis", "budget_impact_low", "budget_impact_high"):
        assert c in t.columns, c
    assert (t["budget_impact_low"] <= t["budget_impact_high"]).all()
    assert (d / "budget_oneway_dk.csv").is_file()
    assert (d / "budget_impact_dk.png").stat().st_size > 0
    wb = load_workbook(d / "hecon_report.xlsx")
    assert "Budget impact" in wb.sheetnames and "Costs by category" in wb.sheetnames
    ws = wb["Budget impact"]
    assert len(ws._charts) == 1
    cells = [v for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert "Net budget impact, payer" in cells
    assert not any(isinstance(v, str) and ("_" in v and " " not in v) for v in cells), \
        "a code name reached the sheet"


def test_costs_by_category_sheet_equals_results(cli_runs):
    d = cli_runs[40]
    res = pd.read_csv(d / "results.csv")
    ws = load_workbook(d / "hecon_report.xlsx")["Costs by category"]
    rows = {r[0]: r for r in ws.iter_rows(values_only=True) if r and r[0]}
    head = rows["Cost category"]
    base = res[res["sample"] == 0].set_index("strategy")
    for s in (IMP, SOC):
        j = head.index(f"{s}, undiscounted")
        assert rows["Chronic dialysis"][j] == pytest.approx(base.loc[s, "cost_dialysis_undisc"],
                                                            rel=1e-12)
        assert rows["Total"][head.index(f"{s}, discounted")] == pytest.approx(
            base.loc[s, "cost"], rel=1e-12)
    assert "Index hospital stay" in rows and "index_hospitalisation" not in rows


def test_doubling_patients_doubles_every_cost_column(cli_runs):
    a = pd.read_csv(cli_runs[40] / "budget_impact_dk.csv")
    b = pd.read_csv(cli_runs[80] / "budget_impact_dk.csv")
    cols = cost_columns(a)
    assert len(cols) > 30
    for c in cols + ["alive_current", "alive_new", "patients_treated"]:
        np.testing.assert_allclose(b[c], 2 * a[c], rtol=1e-10, err_msg=c)


@pytest.mark.parametrize("args, words", [
    (["--uptake", "0.3,1.2"], "uptake"),
    (["--patients", "many"], "--patients"),
    (["--years", "0"], None),
])
def test_bad_budget_arguments_exit_2_without_output(tmp_path, capsys, args, words):
    out = tmp_path / "o"
    with nullcontext():
        code = main(["budget", "--country", "dk", "-n", "2", "--quiet", "--out", str(out),
                     *args])
        assert code == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and (words is None or words in err)
    assert not (out / "budget_impact_dk.csv").exists()


def test_perspective_and_population_choices(model):
    files, head = budget.run_budget(model, budget.BudgetOptions(
        psa_draws=0, patients="hospital", perspective="hospital", years=3))
    t = files["budget_impact_dk.csv"]
    assert head["population"] == "hospital" and head["years"] == 3 and len(t) == 3
    assert t["patients_eligible"].iloc[0] == budget.eligible_per_year("dk")["hospital"]
    assert head["cumulative_impact"] == pytest.approx(
        t["hospital_budget_impact"].sum(), rel=1e-12)
    text = budget.format_budget({"currency": "DKK", "budget": head})
    assert "hospital" in text and "3 years" in text
    st = budget.settings(model, budget.BudgetOptions())
    assert st["population"] == "country"
    assert st["patients"] == pytest.approx(budget.eligible_per_year("dk")["country"])


@pytest.mark.parametrize("old, new, parameter", [
    ("    value: 0.284\n", "    value: 1.284\n", "danger_like_share"),
    ("    value: 5.9\n", "    value: -5.9\n", "dk.population_millions"),
    ("    value: 13.5\n", "    value: many\n", "reference_population_millions"),
])
def test_bad_budget_file_names_file_and_parameter(tmp_path, old, new, parameter):
    from hecon.errors import InputError

    folder = tmp_path / "danger_shock"
    folder.mkdir()
    text = budget.budget_file().read_text()
    assert old in text
    (folder / "budget.yaml").write_text(text.replace(old, new, 1))
    with pytest.raises(InputError) as e:
        budget.eligible_per_year("dk", tmp_path)
    assert e.value.parameter == parameter
    assert e.value.file.endswith("budget.yaml")


def test_chunks_on_the_process_pool_give_identical_results(model, monkeypatch):
    from hecon import parallel
    from hecon.design import Design

    d = Design.psa(model.table, 9, 5)
    one = budget.per_patient(model, d, 3)
    calls = []
    real = parallel.map_tasks

    def spy(fn, tasks, **kw):
        calls.append((len(tasks), kw["backend"]))
        return real(fn, tasks, **kw)

    monkeypatch.setattr(parallel, "map_tasks", spy)
    monkeypatch.setattr(parallel, "AUTO_MIN_ROWS", 9)
    runs = {"processes": budget.per_patient_chunked(model, d, 3, 4, "processes", 2),
            "auto": budget.per_patient_chunked(model, d, 3, 10_000, "auto", 2)}
    assert calls == [(3, "processes"), (2, "processes")]  # chunks of 4; one per worker
    for chunked in runs.values():
        for s in (IMP, SOC):
            assert list(chunked[s].costs) == list(one[s].costs)
            for c, v in one[s].costs.items():
                np.testing.assert_array_equal(chunked[s].costs[c], v)
            np.testing.assert_array_equal(chunked[s].alive, one[s].alive)
