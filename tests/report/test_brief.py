"""The decision brief (issue 15 item 2): the first workbook sheet and ``brief_<set>.md``.

Numbers are checked against summary.json and, independently, against hand calculations from
the per-strategy results and parameters.csv (ICER = extra cost / extra QALYs; the price that
pays off = modelled price + net benefit; net benefit falls one for one with the price).
The page count comes from LibreOffice's own PDF of a workbook holding the Brief sheet only.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from hecon import runner
from hecon.models.danger_shock.plugin import COMPARATOR, INTERVENTION
from hecon.plugin import load_plugin
from hecon.report.brief import brief_for, brief_markdown, brief_sheet, write_briefs
from hecon.report.workbook import build_workbook

SETS = ("dk", "uk")


@pytest.fixture(scope="module")
def plugin():
    return load_plugin(None)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, plugin):
    """A run with the base case, one-way, a small PSA and the budget (no scenarios: slow;
    their effect on the brief is tested with a hand-made table below)."""
    out = tmp_path_factory.mktemp("brief") / "run"
    opts = plugin.options_class(psa_draws=60, seed=7)
    folder, _ = runner.run_model(plugin, list(SETS), None, None, str(out), None,
                                 analyses=("base", "oneway", "psa", "budget"), options=opts)
    summary = json.loads((folder / "summary.json").read_text())
    build_workbook(folder, texts=plugin.report_texts(summary))
    return Path(folder)


@pytest.fixture(scope="module")
def summary(run_dir):
    return json.loads((run_dir / "summary.json").read_text())


@pytest.fixture(scope="module")
def texts(plugin, summary):
    return plugin.report_texts(summary)


@pytest.fixture(scope="module")
def workbook(run_dir):
    return load_workbook(run_dir / "hecon_report.xlsx")


def blocks(ws) -> dict[str, list[tuple]]:
    """The Brief sheet's rows, split per set at each 'Decision brief: ...' title."""
    out: dict[str, list[tuple]] = {}
    current = None
    for row in ws.iter_rows(values_only=True):
        if isinstance(row[0], str) and row[0].startswith("Decision brief: "):
            current = row[0].removeprefix("Decision brief: ")
            out[current] = []
        if current is not None:
            out[current].append(row)
    return out


def figure(rows: list[tuple], label_start: str) -> tuple:
    hits = [r for r in rows if r[0] == label_start] or [
        r for r in rows if isinstance(r[0], str) and r[0].startswith(label_start)]
    assert len(hits) == 1, (label_start, hits)
    return hits[0][1:]


def price_paid(run_dir: Path, key: str, plugin) -> float:
    p = pd.read_csv(run_dir / "parameters.csv")
    row = p[(p["country"] == key) & (p["name"] == plugin.price_parameter)]
    return float(row["value"].iloc[0])


# ------------------------------------------------------------------------------- the sheet
def test_brief_is_the_first_sheet(workbook):
    assert workbook.sheetnames[0] == "Brief"
    assert workbook.sheetnames[1] == "Summary"


def test_brief_numbers_equal_summary_and_hand_calculation(workbook, summary, run_dir, plugin):
    by_set = blocks(workbook["Brief"])
    assert len(by_set) == len(SETS)
    for key in SETS:
        s = summary["country_sets"][key]
        rows = by_set[s["country_label"]]
        inc, a, b = s["incremental"], s["strategies"][INTERVENTION], s["strategies"][COMPARATOR]
        dc, dq = a["cost"] - b["cost"], a["qalys"] - b["qalys"]
        icer = figure(rows, "Cost per QALY gained")
        p0 = price_paid(run_dir, key, plugin)
        prices = figure(rows, "Highest device price")
        probs = figure(rows, "Probability cost-effective")
        for j, w in enumerate(s["wtp"]):
            k = f"{w:g}"
            assert icer[j] == pytest.approx(inc["icer"], rel=1e-12)
            assert icer[j] == pytest.approx(dc / dq, rel=1e-9)  # by hand
            assert prices[j] == pytest.approx(inc["threshold_device_price"][k], rel=1e-12)
            assert prices[j] == pytest.approx(p0 + w * dq - dc, rel=1e-9)  # by hand
            assert probs[j] == pytest.approx(s["psa"]["prob_cost_effective"][k], abs=1e-12)
            nb = figure(rows, "Net benefit per patient")[j]
            assert nb == pytest.approx(w * dq - dc, rel=1e-9, abs=1e-6 * w)
            verdict = figure(rows, "Decision at the modelled price")[j]
            assert verdict == ("cost-effective" if w * dq - dc >= 0 else "not cost-effective")


def test_probability_is_the_share_of_draws_with_positive_net_benefit(summary, run_dir):
    for key in SETS:
        d = pd.read_csv(run_dir / f"psa_draws_{key}.csv")
        for w in summary["country_sets"][key]["wtp"]:
            brief = brief_for(summary, key, run_dir)
            j = brief.wtp.index(w)
            label, values = next(f for f in brief.figures if f[0].startswith("Probability"))
            assert values[j] == pytest.approx(((w * d["inc_qalys"] - d["inc_cost"]) > 0).mean())
            assert f"{d.shape[0]:,} PSA draws" in label


def test_net_benefit_by_price_is_linear_and_crosses_zero_at_the_threshold_price(
        workbook, summary, run_dir, plugin):
    for key in SETS:
        s = summary["country_sets"][key]
        brief = brief_for(summary, key, run_dir)
        h = brief.headroom
        a, b = s["strategies"][INTERVENTION], s["strategies"][COMPARATOR]
        dc, dq = a["cost"] - b["cost"], a["qalys"] - b["qalys"]
        p0 = price_paid(run_dir, key, plugin)
        price = h.iloc[:, 0].to_numpy()
        assert price[0] == 0 and (price[1:] > price[:-1]).all()
        for j, w in enumerate(s["wtp"]):
            by_hand = w * dq - dc - (price - p0)
            assert h.iloc[:, 1 + j].to_numpy() == pytest.approx(by_hand, rel=1e-9, abs=1e-6)
            thr = s["incremental"]["threshold_device_price"][f"{w:g}"]
            assert price[-1] > thr  # the grid passes the price that pays off
    ws = workbook["Brief"]
    assert len(ws._charts) == len(SETS)


def test_budget_on_the_brief_equals_the_budget_table(summary, run_dir):
    for key in SETS:
        t = pd.read_csv(run_dir / f"budget_impact_{key}.csv")
        brief = brief_for(summary, key, run_dir)
        cur = summary["country_sets"][key]["currency"]
        assert brief.budget is not None and len(brief.budget) == len(t)
        assert brief.budget.iloc[:, 3].to_numpy() == pytest.approx(t["budget_impact"], rel=1e-12)
        assert brief.budget.iloc[:, 4].to_numpy() == pytest.approx(
            t["hospital_budget_impact"], rel=1e-12)
        text = " ".join(dict(brief.sections)["What it costs the budget"])
        assert f"{cur} {t['budget_impact'].iloc[0]:,.0f} in year 1" in text
        assert f"{cur} {t['cumulative_budget_impact'].iloc[-1]:,.0f} over {len(t)} years" in text
        # the cumulative impact is the sum of the years (hand check of the table's arithmetic)
        assert t["cumulative_budget_impact"].iloc[-1] == pytest.approx(
            t["budget_impact"].sum(), rel=1e-12)


# ------------------------------------------------------------------------- words, not codes
def _code_names(run_dir: Path) -> set[str]:
    return set(pd.read_csv(run_dir / "parameters.csv")["name"])


def test_no_cell_on_the_brief_is_a_parameter_code_name(workbook, run_dir):
    names = _code_names(run_dir)
    for row in workbook["Brief"].iter_rows(values_only=True):
        for v in row:
            if isinstance(v, str):
                assert v.strip() not in names
                assert not any(re.search(rf"\b{n}\b", v) for n in names if "_" in n), v


def test_no_reader_cell_of_the_workbook_is_a_parameter_code_name(workbook, run_dir):
    """Every sheet but the Run sheet and the Inputs sheet's code-name column."""
    names = _code_names(run_dir)
    found = []
    for ws in workbook:
        if ws.title == "Run":
            continue
        skip = None
        if ws.title == "Inputs":
            header = [c.value for c in ws[1]]
            skip = header.index("name") + 1
        for row in ws.iter_rows():
            for c in row:
                if c.column != skip and isinstance(c.value, str) and c.value.strip() in names:
                    found.append((ws.title, c.coordinate, c.value))
    assert not found, found[:10]


def test_survival_difference_in_percentage_points_and_relative_percent(plugin, summary):
    s = copy.deepcopy(summary)
    for key in SETS:
        st = s["country_sets"][key]["strategies"]
        st[INTERVENTION]["alive_180d"], st[COMPARATOR]["alive_180d"] = 0.6, 0.4
    lead = plugin.report_texts(s)["lead_sentences"]["dk"][0]
    # 0.6 - 0.4 = 20 percentage points; 0.6 / 0.4 - 1 = 50% more in relative terms
    assert "20.0 percentage points more patients alive" in lead
    assert "50% more in relative terms" in lead
    st = s["country_sets"]["dk"]["strategies"]
    st[INTERVENTION]["alive_180d"], st[COMPARATOR]["alive_180d"] = 0.3, 0.4
    lead = plugin.report_texts(s)["lead_sentences"]["dk"][0]
    assert "10.0 percentage points fewer" in lead and "25% fewer in relative terms" in lead
    st[INTERVENTION]["alive_180d"], st[COMPARATOR]["alive_180d"] = 0.4, 0.4  # identical arms
    lead = plugin.report_texts(s)["lead_sentences"]["dk"][0]
    assert "0.0 percentage points" in lead and "0% more in relative terms" in lead


def test_summary_sheet_speaks_in_percentage_points(workbook):
    text = " ".join(str(v) for ws in (workbook["Summary"], workbook["Brief"])
                    for row in ws.iter_rows(values_only=True) for v in row if v)
    assert "percentage points more patients alive" in text
    assert not re.search(r"\d+(\.\d+)?% more patients", text)


# ------------------------------------------------------------------------------ markdown
def test_markdown_brief_states_the_same_numbers(run_dir, summary):
    for key in SETS:
        path = run_dir / f"brief_{key}.md"
        assert path.is_file()
        md = path.read_text()
        s = summary["country_sets"][key]
        cur, inc = s["currency"], s["incremental"]
        assert f"{cur} {inc['icer']:,.0f} per QALY gained" in md
        for w in s["wtp"]:
            k = f"{w:g}"
            assert f"{cur} {inc['threshold_device_price'][k]:,.0f}" in md
            assert f"{s['psa']['prob_cost_effective'][k]:.0%} at {cur} {w:,.0f} per QALY" in md
        t = pd.read_csv(run_dir / f"budget_impact_{key}.csv")
        assert f"{cur} {t['budget_impact'].iloc[0]:,.0f} in year 1" in md
        assert md.startswith(f"# Decision brief: {s['country_label']}")
        assert not any(re.search(rf"\b{n}\b", md) for n in _code_names(run_dir) if "_" in n)
    m = json.loads((run_dir / "manifest.json").read_text())
    assert {f"brief_{k}.md" for k in SETS} <= set(m["files"])  # sealed with the run


def test_markdown_and_sheet_come_from_one_brief(summary, run_dir, texts):
    md = brief_markdown(brief_for(summary, "uk", run_dir, texts))
    assert md + "\n" == (run_dir / "brief_uk.md").read_text()


# ----------------------------------------------------------- analyses that did not run
def test_analyses_not_run_are_named_not_left_blank(summary, texts):
    s = copy.deepcopy(summary)
    for st in s["country_sets"].values():
        st.pop("psa", None)
        st.pop("budget", None)
    b = brief_for(s, "dk", None, texts)
    words = " ".join(p for _, ps in b.sections for p in ps)
    assert "probabilistic sensitivity analysis did not run" in words
    assert "scenarios did not run" in words
    assert "budget impact did not run" in words and "hecon budget --country dk" in words
    generic = dict(texts, budget_hint=None)  # a model that cannot run one: no false hint
    words = " ".join(dict(brief_for(s, "dk", None, generic).sections)["What it costs the budget"])
    assert words == "The budget impact did not run, so there is no cost per year."
    assert dict(b.figures)["Probability cost-effective"] == ["not run"]
    assert b.budget is None


def test_scenarios_whose_decision_differs_are_named(summary, run_dir, texts, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(run_dir, folder)
    dk = summary["country_sets"]["dk"]
    w = dk["wtp"][0]
    base_nb = dk["incremental"]["inmb"][f"{w:g}"]
    assert base_nb > 0  # the base case is cost-effective: a negative scenario flips it
    uk_nb = summary["country_sets"]["uk"]["incremental"]["inmb"]["20000"]
    flip_uk = -5.0 if uk_nb >= 0 else 5.0  # opposite in sign to the UK base case at 20,000
    pd.DataFrame([
        {"scenario": "a", "description": "Shorter horizon", "country": "dk", "wtp": w,
         "inmb": -1234.0},
        {"scenario": "b", "description": "Cheaper pump", "country": "dk", "wtp": w,
         "inmb": base_nb + 10.0},
        {"scenario": "c", "description": "Other country", "country": "uk", "wtp": 20000.0,
         "inmb": flip_uk},
        {"scenario": "d", "description": "Zero net benefit", "country": "dk", "wtp": w,
         "inmb": 0.0},  # INMB = 0: still cost-effective (ties go to adoption, as the Summary)
    ]).to_csv(folder / "scenarios.csv", index=False)
    words = dict(brief_for(summary, "dk", folder, texts).sections)["How sure we are"]
    text = "\n".join(words)
    assert "1 of the 3 scenarios run for this country set change the decision" in text
    assert f"Shorter horizon: minus {dk['currency']} 1,234" in text
    assert "Cheaper pump" not in text and "Other country" not in text
    assert "Zero net benefit" not in text
    uk_words = " ".join(dict(brief_for(summary, "uk", folder, texts).sections)["How sure we are"])
    assert "The one scenario run for this country set changes the decision (the other 3 " \
        "scenarios are for other country sets)" in uk_words
    assert "Other country" in uk_words


def test_structure_that_changes_the_decision_is_named(summary, run_dir, texts):
    s = copy.deepcopy(summary)
    dk = s["country_sets"]["dk"]
    k = f"{dk['wtp'][0]:g}"
    groups = dk["psa"]["by_structure"]
    assert {"stops", "wanes", "persists"} <= set(groups)
    for name, g in groups.items():
        g["mean_inmb"][k] = -1.0 if name == "stops" else 1.0
    text = " ".join(dict(brief_for(s, "dk", None, texts).sections)["How sure we are"])
    assert "the decision differs for: stops" in text
    assert "beyond the observed follow-up" in text  # the plug-in's words for the structure
    for g in groups.values():
        g["mean_inmb"][k] = 1.0
    text = " ".join(dict(brief_for(s, "dk", None, texts).sections)["How sure we are"])
    assert "none of them changes the decision" in text


def test_identical_arms_and_a_price_that_never_pays_off(summary, texts):
    s = copy.deepcopy(summary)
    dk = s["country_sets"]["dk"]
    w = dk["wtp"][0]
    k = f"{w:g}"
    inc = dk["incremental"]
    inc.update(inc_cost=0.0, inc_qalys=0.0, icer="identical", inmb={k: 0.0})
    inc["threshold_device_price"] = {k: 150_000.0}
    b = brief_for(s, "dk", None, texts)
    assert dict(b.figures)["Cost per QALY gained"] == ["identical"]
    assert "Cost per QALY gained: identical" in " ".join(dict(b.sections)["The answer"])
    assert b.headroom.iloc[:, 1].to_numpy() == pytest.approx(150_000 - b.headroom.iloc[:, 0])
    # extra cost 200,000 and no QALYs: the price would have to fall below zero
    inc.update(inc_cost=200_000.0, icer="dominated", inmb={k: -200_000.0})
    inc["threshold_device_price"] = {k: -50_000.0}
    b = brief_for(s, "dk", None, texts)
    answer = " ".join(dict(b.sections)["The answer"])
    assert "is not cost-effective at the modelled device price of DKK 150,000" in answer
    assert "would not pay off even at a device price of zero" in answer
    # less costly and less effective: words, not negative amounts
    inc.update(inc_cost=-1000.0, inc_qalys=-0.5, icer="less costly, less effective")
    answer = " ".join(dict(brief_for(s, "dk", None, texts).sections)["The answer"])
    assert "DKK 1,000 less per patient for 0.50 fewer QALYs" in answer
    brief_markdown(b)  # renders


def test_no_price_parameter_says_so(summary, texts, tmp_path):
    s = copy.deepcopy(summary)
    dk = s["country_sets"]["dk"]
    dk["incremental"].pop("threshold_device_price")
    s["country_sets"] = {"dk": dk}
    b = brief_for(s, "dk", None, texts)
    assert b.headroom is None and b.threshold_price is None
    assert not any(label.startswith("Highest") for label, _ in b.figures)
    wb = Workbook()
    brief_sheet(wb, tmp_path, s, texts)
    cells = [v for row in wb["Brief"].iter_rows(values_only=True) for v in row if v]
    assert any("no price at which it pays off" in str(v) for v in cells)
    assert not wb["Brief"]._charts


# ---------------------------------------------------------------------- the printed page
def test_prints_one_page_per_country(run_dir, summary, texts, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdfinfo") is None:
        pytest.skip("LibreOffice or pdfinfo is not installed on this machine")
    for sets in (SETS, ("uk",)):
        s = dict(summary, country_sets={k: summary["country_sets"][k] for k in sets})
        wb = Workbook()
        brief_sheet(wb, run_dir, s, texts)
        del wb["Sheet"]
        x = tmp_path / f"brief_{len(sets)}.xlsx"
        wb.save(x)
        profile = (tmp_path / "lo_profile").as_uri()  # private profile: parallel runs
        r = subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless",
                            "--convert-to", "pdf", "--outdir", str(tmp_path), str(x)],
                           capture_output=True, text=True, timeout=180)
        assert r.returncode == 0, r.stderr
        info = subprocess.run(["pdfinfo", str(x.with_suffix(".pdf"))], capture_output=True,
                              text=True, check=True).stdout
        pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
        assert pages == len(sets)


def test_write_briefs_writes_one_file_per_set(run_dir, texts, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(run_dir, folder)
    for key in SETS:
        (folder / f"brief_{key}.md").unlink()
    paths = write_briefs(folder, texts)
    assert sorted(p.name for p in paths) == [f"brief_{k}.md" for k in SETS]
    assert (folder / "brief_dk.md").read_text() == (run_dir / "brief_dk.md").read_text()


def test_report_workbook_keeps_the_brief_page_setup(run_dir):
    """The finished report workbook (page setup of every other sheet, Contents) leaves the
    Brief's own setup: portrait, fitted to width, a page break between country sets."""
    from openpyxl import load_workbook

    ws = load_workbook(run_dir / "hecon_report.xlsx")["Brief"]
    assert ws.page_setup.orientation == "portrait"
    assert ws.page_setup.fitToWidth == 1
    assert len(ws.row_breaks.brk) == len(SETS) - 1
