"""The README's three-state model runs through ``hecon run --model examples/three_state.py``:
its summary equals the README's printed numbers and the hand calculation of
tests/test_readme.py; one-way ends and a PSA draw are recomputed by hand; the workbook speaks
of the example's strategies, not the flagship's."""

import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from hecon.cli import main

ROOT = Path(__file__).resolve().parents[2]
MODEL = str(ROOT / "examples" / "three_state.py")
BASE = {"p_sick": 0.10, "p_die": 0.02, "rr_die_sick": 3.0, "hr_trt": 0.7, "c_sick": 2000.0,
        "c_drug": 1500.0, "u_well": 0.90, "u_sick": 0.60}


def readme_test_module():
    spec = importlib.util.spec_from_file_location("readme_check", ROOT / "tests" / "test_readme.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def hand(treated: bool, **changes: float) -> tuple[float, float, float]:
    """The README model as a plain loop (life-table counting, 3.5% at cycle start), any
    parameter values."""
    v = {**BASE, **changes}
    p_sick = v["p_sick"] * (v["hr_trt"] if treated else 1.0)
    p_ds = min(v["p_die"] * v["rr_die_sick"], 1.0)
    P = np.array([[1 - p_sick - v["p_die"], p_sick, v["p_die"]], [0, 1 - p_ds, p_ds],
                  [0, 0, 1]])
    cost = np.array([v["c_drug"] if treated else 0.0, v["c_sick"], 0.0])
    util = np.array([v["u_well"], v["u_sick"], 0.0])
    m = np.array([1.0, 0.0, 0.0])
    c = q = ly = 0.0
    for k in range(40):
        nxt = m @ P
        avg = (m + nxt) / 2 / 1.035**k
        c, q, ly = c + avg @ cost, q + avg @ util, ly + avg[:2].sum()
        m = nxt
    return c, q, ly


def hand_inmb(w: float, **changes: float) -> float:
    (c0, q0, _), (c1, q1, _) = hand(False, **changes), hand(True, **changes)
    return w * (q1 - q0) - (c1 - c0)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("three") / "run"
    assert main(["run", "--model", MODEL, "--analyses", "base,oneway,psa", "-n", "200",
                 "--seed", "3", "--quiet", "--out", str(out)]) == 0
    return out


def test_my_hand_loop_is_the_readme_one():
    mod = readme_test_module()
    for treated in (False, True):
        assert hand(treated) == pytest.approx(mod.hand_model(treated), rel=1e-14)


def test_summary_equals_readme_printed_numbers_and_hand_calculation(run_dir):
    s = json.loads((run_dir / "summary.json").read_text())
    _, printed = readme_test_module().readme_blocks()
    rows = {" ".join(line.split()[:-3]): [float(x) for x in line.split()[-3:]]
            for line in printed.splitlines()[2:4]}
    assert s["plugin"] == "three_state" and list(s["country_sets"]) == ["example"]
    for name, treated in (("usual care", False), ("new drug", True)):
        v = s["strategies"][name]
        got = [v["cost"], v["qalys"], v["life_years"]]
        assert got == pytest.approx(rows[name], abs=0.005)  # the README's 2 decimals
        assert got == pytest.approx(hand(treated), rel=1e-10)
    inc = s["incremental"]
    assert (inc["intervention"], inc["comparator"]) == ("new drug", "usual care")
    icer = int(re.search(r"ICER: ([\d,]+)", printed).group(1).replace(",", ""))
    assert round(inc["icer"]) == icer
    for w in (20_000, 30_000):
        assert inc["inmb"][f"{w:g}"] == pytest.approx(hand_inmb(w), rel=1e-10)
    assert "threshold_price" not in inc  # no one-off price parameter in this model


def test_oneway_ends_by_hand(run_dir):
    t = pd.read_csv(run_dir / "oneway_example.csv").set_index("parameter")
    assert set(t.index) == set(BASE)  # every parameter has a range (c_drug: low/high given)
    assert t.loc["c_drug", ["low_value", "high_value"]].tolist() == [1200.0, 1800.0]
    for name in ("c_drug", "hr_trt", "u_sick", "p_sick"):
        lo, hi = t.loc[name, "low_value"], t.loc[name, "high_value"]
        assert t.loc[name, "inmb_low"] == pytest.approx(hand_inmb(20_000, **{name: lo}),
                                                        rel=1e-9)
        assert t.loc[name, "inmb_high"] == pytest.approx(hand_inmb(20_000, **{name: hi}),
                                                         rel=1e-9)
    # the drug's cost enters linearly: each GBP of annual price costs the discounted
    # well-years under treatment
    (c1, _, _) = hand(True)
    (c1_0, _, _) = hand(True, c_drug=0.0)
    per_gbp = (c1 - c1_0) / 1500
    assert t.loc["c_drug", "inmb_low"] - t.loc["c_drug", "inmb_high"] == pytest.approx(
        600 * per_gbp, rel=1e-9)


def test_psa_draws_recomputed_by_hand(run_dir):
    d = pd.read_csv(run_dir / "psa_draws_example.csv")
    assert len(d) == 200
    assert "c_drug" not in d.columns  # a fixed parameter is not drawn
    for i in (0, 117):
        row = d.iloc[i]
        pars = {k: float(row[k]) for k in BASE if k in d.columns}
        (c0, q0, _), (c1, q1, _) = hand(False, **pars), hand(True, **pars)
        assert row["cost_usual"] == pytest.approx(c0, rel=1e-10)
        assert row["qalys_drug"] == pytest.approx(q1, rel=1e-10)
        assert row["inmb_20000"] == pytest.approx(20_000 * (q1 - q0) - (c1 - c0), rel=1e-9,
                                                  abs=1e-6)
    s = json.loads((run_dir / "summary.json").read_text())
    inmb = 20_000 * d["inc_qalys"] - d["inc_cost"]
    assert s["psa"]["prob_cost_effective"]["20000"] == pytest.approx((inmb > 0).mean())


def test_workbook_and_plots_speak_of_the_example(run_dir):
    wb = load_workbook(run_dir / "hecon_report.xlsx")
    assert wb.sheetnames[:5] == ["Brief", "Summary", "Inputs", "One-way", "PSA"]
    ws = wb["Summary"]
    assert ws["A1"].value == ("Is the new drug cost-effective compared with usual care? "
                              "(illustrative)")
    text = " ".join(str(c) for sh in wb for row in sh.iter_rows(values_only=True)
                    for c in row if isinstance(c, str))
    for flagship in ("Impella", "pump", "device", "180 days", "standard care"):
        assert flagship not in text
    assert "Increment (new drug - usual care)" in text
    assert "probability of falling sick" in text or "effect of the drug" in text
    cells = {r[0]: r for r in ws.iter_rows(values_only=True) if r[0]}
    s = json.loads((run_dir / "summary.json").read_text())
    assert cells["new drug"][1] == pytest.approx(s["strategies"]["new drug"]["cost"], rel=1e-12)
    for png in ("tornado_example.png", "ce_plane_example.png", "ceac_example.png",
                "trace_example.png"):
        assert (run_dir / png).stat().st_size > 1000


def test_report_rebuilds_without_naming_the_model(run_dir, capsys):
    assert main(["report", str(run_dir)]) == 0
    assert "Workbook written" in capsys.readouterr().out
    wb = load_workbook(run_dir / "hecon_report.xlsx")
    assert wb["Summary"]["A1"].value.startswith("Is the new drug")


def test_voi_and_gsa_without_population(tmp_path):
    out = tmp_path / "voi"
    assert main(["run", "--model", MODEL, "--analyses", "voi,gsa", "-n", "300",
                 "--sobol-n", "64", "--quiet", "--out", str(out)]) == 0
    ev = pd.read_csv(out / "evpi_example.csv")
    assert "evpi_population" not in ev.columns  # the example gives no population
    d = pd.read_csv(out / "psa_draws_example.csv")
    # EVPI at WTP 0 = E[max(-cost)] - max(E[-cost]): the drug always costs more here
    el = pd.read_csv(out / "expected_loss_example.csv")
    assert ev["evpi_per_person"].iloc[0] == pytest.approx(el["evpi"].iloc[0])
    nb0 = -np.stack([d["cost_usual"], d["cost_drug"]], axis=1)
    assert ev["evpi_per_person"].iloc[0] == pytest.approx(
        nb0.max(axis=1).mean() - nb0.mean(axis=0).max(), abs=1e-6)
    assert (out / "sobol_example.csv").is_file()
    assert load_workbook(out / "hecon_report.xlsx")["VOI"]["A2"].value.startswith(
        "No population")


def test_scenarios_of_a_model_without_them(capsys):
    assert main(["scenarios", "--model", MODEL, "--list"]) == 2
    assert "defines no scenarios folder" in capsys.readouterr().err
