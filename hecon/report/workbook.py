"""The Excel scenario report: one workbook per run folder, readable without Python.

``build_workbook(run_dir)`` reads what the run folder holds (summary.json, parameters.csv,
traces, scenarios.csv, manifest.json and, when present, the one-way, PSA, VOI and Sobol
outputs) and writes ``<run_dir>/hecon_report.xlsx`` atomically. Every number is a value (no
formulas, so nothing can show a formula error); currency and QALY formats, frozen headers and
column widths are set; charts are native Excel charts pointing at cells in the workbook.

The Inputs sheet is a parameter table (``hecon run --inputs hecon_report.xlsx`` reads it back);
one audit sheet per set of inputs and strategy (:mod:`hecon.report.audit_sheet`) adds up, cycle
by cycle, to the Summary; every sheet is set up for printing (:func:`finish`: landscape, one
page wide, print titles, page numbers; long tables print a sample or their charts only) and is
linked from the Contents sheet.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from hecon.io_safe import atomic_write, neutralise
from hecon.report import sections
from hecon.report.audit_sheet import audit_sheets
from hecon.report.brief import brief_sheet
from hecon.report.budget_sheet import add_budget_sheets
from hecon.report.sheets import (
    BOLD,
    PROB_FORMAT,
    QALY_FORMAT,
    TITLE,
    autosize,
    contents_sheet,
    line_chart,
    magnitude_format,
    money_format,
    print_setup,
    write_table,
)
from hecon.report.xlsx_writer import save_workbook
from hecon.texts import resolve_texts

REPORT_NAME = "hecon_report.xlsx"


def _read_csv(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.is_file() else None


def _icer_text(v: Any, currency: str) -> str:
    return f"{currency} {v:,.0f} per QALY gained" if isinstance(v, (int, float)) else str(v)


def _threshold(inc: dict[str, Any]) -> dict[str, float] | None:
    """Threshold prices of a summary (``threshold_price``; the flagship's older key too)."""
    return inc.get("threshold_price", inc.get("threshold_device_price"))


def summary_sheet(ws: Worksheet, summary: dict[str, Any], psa: dict[str, Any] | None,
                  texts: dict[str, Any] | None = None) -> None:
    """Decision question, settings, base case per set, threshold price, sentences; the words
    come from the model's report texts (:func:`hecon.plugin.resolve_texts`)."""
    tx = resolve_texts(summary, texts)
    ws.title = "Summary"
    ws["A1"] = tx["question"]
    ws["A1"].font = TITLE
    ws["A2"] = tx["subtitle"]
    info = [tuple(x) for x in tx["settings_rows"]]
    extra_cols = tx["outcome_columns"]
    r = 4
    for k, v in info:
        ws.cell(row=r, column=1, value=k).font = BOLD
        ws.cell(row=r, column=2, value=neutralise(str(v)))
        r += 1
    for key, s in summary.get("country_sets", {key: summary for key in [summary["country"]]}
                              ).items():
        r += 1
        cur = s["currency"]
        ws.cell(row=r, column=1, value=neutralise(f"{s['country_label']}")).font = TITLE
        r += 1
        ws.cell(row=r, column=1, value="Discounting")
        ws.cell(row=r, column=2, value=neutralise(s["discounting"]))
        r += 2
        rows = []
        nmb_cols = {w: f"NMB at {cur} {w:,.0f}/QALY" for w in s["wtp"]}
        inc = s["incremental"]
        strat = s["strategies"]
        extra = {k: label for k, label in extra_cols.items()
                 if all(k in v for v in strat.values())}
        for name, v in strat.items():
            rows.append({"Strategy": name, "Cost": v["cost"], "Life-years": v["life_years"],
                         "QALYs": v["qalys"], **{label: v[k] for k, label in extra.items()},
                         **{col: w * v["qalys"] - v["cost"] for w, col in nmb_cols.items()}})
        a, b = strat[inc["intervention"]], strat[inc["comparator"]]
        rows.append({"Strategy": tx["increment_label"], "Cost": inc["inc_cost"],
                     "Life-years": inc["inc_life_years"], "QALYs": inc["inc_qalys"],
                     **{label: a[k] - b[k] for k, label in extra.items()},
                     **{col: inc["inmb"][f"{w:g}"] for w, col in nmb_cols.items()}})
        df = pd.DataFrame(rows)
        first, last = write_table(ws, df, row=r, formats={
            "Cost": money_format(cur), "Life-years": QALY_FORMAT, "QALYs": QALY_FORMAT,
            **{label: PROB_FORMAT for label in extra.values()},
            **{col: money_format(cur) for col in nmb_cols.values()}}, freeze=False)
        r = last + 2
        ws.cell(row=r, column=1, value="ICER").font = BOLD
        icer = inc["icer"]
        c = ws.cell(row=r, column=2, value=neutralise(icer))
        if isinstance(icer, (int, float)):
            c.number_format = money_format(cur) + '" per QALY"'
        r += 1
        prices = _threshold(inc)
        for w in s["wtp"]:
            k = f"{w:g}"
            ws.cell(row=r, column=1, value=f"Incremental NMB at {cur} {w:,.0f}/QALY").font = BOLD
            ws.cell(row=r, column=2, value=inc["inmb"][k]).number_format = money_format(cur)
            r += 1
            if prices is not None:
                ws.cell(row=r, column=1, value=f"Threshold {tx['price_label']} at {cur} "
                        f"{w:,.0f}/QALY").font = BOLD
                ws.cell(row=r, column=2, value=prices[k]).number_format = money_format(cur)
                r += 1
            if psa and key in psa and k in psa[key]:
                ws.cell(row=r, column=1, value=f"Probability cost-effective at {cur} "
                        f"{w:,.0f}/QALY (PSA)").font = BOLD
                ws.cell(row=r, column=2, value=psa[key][k]).number_format = "0.0%"
                r += 1
            voi = s.get("voi", {})
            if k in voi.get("evpi_per_person", {}):
                ws.cell(row=r, column=1, value=f"EVPI per patient at {cur} {w:,.0f}/QALY"
                        ).font = BOLD
                ws.cell(row=r, column=2, value=voi["evpi_per_person"][k]).number_format = \
                    money_format(cur)
                r += 1
            if k in voi.get("evpi_population", {}):
                ws.cell(row=r, column=1, value=f"Population EVPI at {cur} {w:,.0f}/QALY "
                        "(VOI sheet)").font = BOLD
                ws.cell(row=r, column=2, value=voi["evpi_population"][k]).number_format = \
                    money_format(cur)
                r += 1
        r += 1
        for sentence in sentences(s, tx):
            ws.cell(row=r, column=1, value=neutralise(sentence))
            r += 1
    ws.column_dimensions["A"].width = 48
    for col in "BCDEFG":
        ws.column_dimensions[col].width = 20
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


def sentences(s: dict[str, Any], texts: dict[str, Any] | None = None) -> list[str]:
    """One plain sentence per result (the model's lead sentences first)."""
    tx = resolve_texts(s, texts)
    cur, inc = s["currency"], s["incremental"]
    noun = tx["intervention_noun"]
    prices = _threshold(inc)
    out = [
        *tx["lead_sentences"].get(s["country"], []),
        f"Over the horizon it adds {inc['inc_life_years']:.2f} discounted life-years and "
        f"{inc['inc_qalys']:.2f} QALYs per patient, at an extra cost of {cur} "
        f"{inc['inc_cost']:,.0f}.",
        f"The ICER is {_icer_text(inc['icer'], cur)}.",
    ]
    for w in s["wtp"]:
        k = f"{w:g}"
        verdict = "is" if inc["inmb"][k] >= 0 else "is not"
        if prices is None:
            out.append(f"At {cur} {w:,.0f} per QALY {noun} {verdict} cost-effective.")
            continue
        out.append(
            f"At {cur} {w:,.0f} per QALY {noun} {verdict} cost-effective at the modelled "
            f"price; it would be at a {tx['price_label']} up to {cur} {prices[k]:,.0f}.")
    if "psa" in s:
        p = s["psa"]
        probs = " and ".join(f"{x:.0%} at {cur} {float(w):,.0f}/QALY"
                             for w, x in p["prob_cost_effective"].items())
        out.append(f"Allowing for uncertainty in every input ({p['draws']:,} draws), the "
                   f"probability that {noun} is cost-effective is {probs}.")
    if "oneway_top" in s:
        names = tx["parameter_labels"]
        top = ", ".join(names.get(r["parameter"], r["parameter"]) for r in s["oneway_top"][:3])
        out.append(f"The result is most sensitive to {top} (One-way sheet).")
    if "voi" in s and "population" in s["voi"]:
        pop = s["voi"]["population"]
        w, x = next(iter(s["voi"]["evpi_population"].items()))
        out.append(f"Resolving all uncertainty would be worth up to {cur} {x:,.0f} at "
                   f"{cur} {float(w):,.0f}/QALY for {pop['incidence_per_year']:,.0f} patients "
                   f"a year over {pop['decision_years']} years (an assumed population; VOI "
                   "sheet).")
    return out


INPUT_ORDER = ("country", "name", "description", "value", "unit", "distribution", "se",
               "ci_low", "ci_high", "alpha", "beta", "shape", "scale", "meanlog", "sdlog",
               "min", "max", "mode", "group", "low", "high", "source", "file", "row")
CURRENCY_CODES = ("DKK", "GBP", "EUR", "USD", "SEK", "NOK", "CHF", "CAD", "AUD", "NZD", "JPY")


def number_format_for(unit: str, x: float) -> str:
    """A display format for one parameter's numbers: a currency with its code, else decimals
    by magnitude (the cell keeps the full value; only the display is rounded)."""
    code = str(unit).strip().split(" ")[0].upper() if isinstance(unit, str) else ""
    if code in CURRENCY_CODES:
        return money_format(code) if float(x).is_integer() else \
            f'"{code} "#,##0.00;[Red]-"{code} "#,##0.00'
    return magnitude_format(x)


def inputs_sheet(wb: Workbook, params: pd.DataFrame) -> None:
    """Every parameter with value, unit, distribution, range and source, in the input table's
    columns: the sheet is a parameter table ``hecon run --inputs hecon_report.xlsx`` reads
    back (a run's parameters.csv; older run folders show their columns as they are)."""
    ws = wb.create_sheet("Inputs")
    cols = [c for c in INPUT_ORDER if c in params.columns and params[c].notna().any()]
    cols += [c for c in params.columns if c not in cols and c in ("country",)]
    df = params[cols]
    first, last = write_table(ws, df)
    numeric = [c for c in cols if c in ("value", "se", "ci_low", "ci_high", "alpha", "beta",
                                        "shape", "scale", "meanlog", "sdlog", "min", "max",
                                        "mode", "low", "high")]
    unit_j = cols.index("unit") if "unit" in cols else None
    for i in range(first, last + 1):
        unit = ws.cell(row=i, column=unit_j + 1).value if unit_j is not None else ""
        for c in numeric:
            cell = ws.cell(row=i, column=cols.index(c) + 1)
            if isinstance(cell.value, (int, float)):
                in_unit = c not in ("alpha", "beta", "shape", "scale", "meanlog", "sdlog")
                cell.number_format = number_format_for(unit if in_unit else "", cell.value)
    widths = {"country": 8, "name": 26, "description": 40, "value": 14, "unit": 14,
              "distribution": 12, "group": 10, "source": 60, "file": 16, "row": 6}
    lines = {}
    for j, c in enumerate(cols, start=1):
        w = widths.get(c, 11)
        ws.column_dimensions[_col(j)].width = w
        if c in ("description", "source", "name", "unit"):
            for i in range(first, last + 1):
                cell = ws.cell(row=i, column=j)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                if cell.value:
                    lines[i] = max(lines.get(i, 1), -(-len(str(cell.value)) // int(w - 1)))
    for i in range(first, last + 1):
        for j in range(1, len(cols) + 1):
            cell = ws.cell(row=i, column=j)
            if not cell.alignment.wrap_text:
                cell.alignment = Alignment(vertical="top")
        ws.row_dimensions[i].height = 15 * lines.get(i, 1) + 2
    ws.auto_filter.ref = f"A1:{_col(len(cols))}{last}"
    ws.freeze_panes = "C2"


def trace_sheets(wb: Workbook, run_dir: Path) -> None:
    """Trace (state membership by cycle, per strategy) and Survival (proportion alive, both
    strategies per country set) sheets, with native line charts to the right of the data."""
    files = sorted(run_dir.glob("trace_*.csv"))
    if not files:
        return
    ws = wb.create_sheet("Trace")
    traces = {f.stem.removeprefix("trace_"): pd.read_csv(f) for f in files}
    col, placed = 1, []
    for label, tr in traces.items():
        ws.cell(row=1, column=col, value=label).font = BOLD
        first, last = write_table(ws, tr, row=2, col=col, freeze=False, formats={
            c: PROB_FORMAT for c in tr.columns if c not in ("cycle", "time_years")})
        placed.append((label, col, first, last, len(tr.columns) - 2))
        col += len(tr.columns) + 1
    for i, (label, c0, first, last, n_states) in enumerate(placed):
        line_chart(ws, f"{_col(col + 1)}{2 + 20 * i}", f"State membership: {label}",
                   "Years since randomisation", "Proportion of cohort", (c0 + 1, first, last),
                   [(c0 + 2 + j, first, last) for j in range(n_states)], header_row=2)
    ws.freeze_panes = "A3"
    # printed: the charts (the numbers per cycle print on the audit sheets)
    ws.print_area = f"{_col(col + 1)}1:{_col(col + 11)}{2 + 20 * len(placed)}"

    wsv = wb.create_sheet("Survival")
    countries: dict[str, dict[str, pd.DataFrame]] = {}
    for label, tr in traces.items():
        country, _, arm = label.partition("_")
        countries.setdefault(country, {})[arm] = tr
    col = 1
    for i, (country, arms) in enumerate(countries.items()):
        first_tr = next(iter(arms.values()))
        # the cohort is all alive at randomisation; the trace starts where the Markov phase does
        times = [0.0, *first_tr["time_years"].tolist()]
        sv = pd.DataFrame({"years since randomisation": times})
        for arm, tr in arms.items():
            sv[f"alive ({country}, {arm})"] = [1.0, *(1 - tr["dead"]).tolist()]
        wsv.cell(row=1, column=col, value=f"Overall survival, {country}").font = BOLD
        f2, l2 = write_table(wsv, sv, row=2, col=col, freeze=False,
                             formats={c: PROB_FORMAT for c in sv.columns[1:]})
        line_chart(wsv, f"{_col(len(countries) * 4 + 2)}{2 + 20 * i}",
                   f"Overall survival ({country})", "Years since randomisation",
                   "Proportion alive", (col, f2, l2),
                   [(col + 1 + j, f2, l2) for j in range(len(arms))], header_row=2)
        col += len(sv.columns) + 1
    wsv.freeze_panes = "A3"
    left = len(countries) * 4 + 2
    wsv.print_area = f"{_col(left)}1:{_col(left + 10)}{2 + 20 * len(countries)}"


def _col(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i)


def scenarios_sheet(wb: Workbook, table: pd.DataFrame,
                    summary: dict[str, Any] | None = None) -> None:
    """Every scenario on one row, the sets of inputs side by side (currency in each header):
    ICER and incremental net benefit, their change against the base case and whether the
    decision at the first threshold changes."""
    ws = wb.create_sheet("Scenarios")
    sets = (summary or {}).get("country_sets") or {}
    keys = list(dict.fromkeys(str(k) for k in table["country"])) if "country" in table \
        else ["all"]
    ws["A1"] = "Scenarios: each structural or input choice changed one at a time"
    ws["A1"].font = TITLE
    ws["A2"] = ("Change = scenario minus base case. Decision changes = the sign of the "
                "incremental net monetary benefit (INMB) at the first threshold differs from "
                "the base case. Blank: the scenario does not apply to that set of inputs.")
    rows = list(dict.fromkeys(table["scenario"]))
    out = pd.DataFrame({"Scenario": [str(table.loc[table["scenario"] == n, "description"]
                                         .iloc[0]) if "description" in table else n
                                     for n in rows]})
    fmts: dict[str, str] = {}
    for k in keys:
        sub = table[table["country"].astype(str) == k] if "country" in table else table
        if "wtp" in sub and len(sub):  # one row per scenario: the set's first threshold
            sub = sub[sub["wtp"] == sub["wtp"].iloc[0]]
        sub = sub.set_index("scenario")
        s = sets.get(k, {})
        cur = s.get("currency") or (str(sub["currency"].iloc[0]) if "currency" in sub
                                    and len(sub) else "")
        inc = s.get("incremental", {})
        w = float(sub["wtp"].iloc[0]) if len(sub) else 0.0
        base_icer = inc.get("icer")
        base_inmb = (inc.get("inmb") or {}).get(f"{w:g}")
        tag = k.upper()
        icer = pd.to_numeric(sub["icer"], errors="coerce").reindex(rows).to_numpy()
        icer_text = sub["icer"].reindex(rows).to_numpy()
        inmb = pd.to_numeric(sub["inmb"], errors="coerce").reindex(rows).to_numpy()
        c_icer = f"{tag}: ICER ({cur}/QALY)"
        out[c_icer] = [x if pd.notna(x) else (None if pd.isna(t) else str(t))
                       for x, t in zip(icer, icer_text, strict=True)]
        fmts[c_icer] = money_format(cur)
        if isinstance(base_icer, (int, float)):
            c = f"{tag}: change in ICER ({cur}/QALY)"
            out[c] = icer - float(base_icer)
            fmts[c] = money_format(cur)
        c_inmb = f"{tag}: INMB at {cur} {w:,.0f}/QALY ({cur})"
        out[c_inmb] = inmb
        fmts[c_inmb] = money_format(cur)
        if base_inmb is not None:
            c = f"{tag}: change in INMB ({cur})"
            out[c] = inmb - float(base_inmb)
            fmts[c] = money_format(cur)
            out[f"{tag}: decision changes"] = [
                None if pd.isna(x) else ("yes" if (x >= 0) != (base_inmb >= 0) else "no")
                for x in inmb]
    out["Name"] = rows
    first, last = write_table(ws, out, row=3, formats=fmts, freeze=False)
    ws.column_dimensions["A"].width = 46
    for j in range(2, len(out.columns) + 1):
        ws.column_dimensions[_col(j)].width = 15
    ws.column_dimensions[_col(len(out.columns))].width = 26
    ws.row_dimensions[3].height = 60
    for i in range(first, last + 1):
        ws.cell(row=i, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[i].height = 15 * max(1, -(-len(str(ws.cell(row=i, column=1).value))
                                                 // 44)) + 2
    ws.freeze_panes = "B4"
    ws.auto_filter.ref = f"A3:{_col(len(out.columns))}{last}"


def run_sheet(wb: Workbook, manifest: dict[str, Any] | None) -> None:
    """hecon version, command, seed, input checksums, date."""
    ws = wb.create_sheet("Run")
    if not manifest:
        ws["A1"] = "no manifest.json in the run folder"
        return
    rows = [("hecon version", manifest.get("hecon_version")),
            ("Python", manifest.get("python")),
            ("Command", " ".join(manifest.get("command", []))),
            ("Seed", manifest.get("seed")),
            ("Created (UTC)", manifest.get("created")),
            ("Git commit", (manifest.get("git") or {}).get("commit", "not run from a checkout")
             + (" (with local changes)" if (manifest.get("git") or {}).get("modified")
                else "")),
            ("Platform", manifest.get("platform"))]
    rows += [(f"package {k}", v) for k, v in manifest.get("packages", {}).items()]
    write_table(ws, pd.DataFrame(rows, columns=["item", "value"]))
    r = len(rows) + 3
    ws.cell(row=r, column=1, value="Input file").font = BOLD
    ws.cell(row=r, column=2, value="SHA-256").font = BOLD
    for i, (f, h) in enumerate(manifest.get("inputs", {}).items(), start=r + 1):
        ws.cell(row=i, column=1, value=neutralise(f))
        ws.cell(row=i, column=2, value=neutralise(h))
    autosize(ws, max_width=80)


SHEET_NOTES = {
    "Summary": "The question, the base case of each set of inputs and the answer in words",
    "Inputs": "Every parameter: value, unit, distribution, range, source (readable back by "
              "hecon run --inputs)",
    "Scenarios": "Each scenario for each set of inputs, change against the base case",
    "One-way": "Tornado on net benefit, threshold price curve, two-way table",
    "PSA": "Probabilistic analysis: summary, CE plane, acceptability curves, convergence",
    "PSA draws": "A sample of the PSA draws (all draws: psa_draws_<set>.csv)",
    "VOI": "Value of information: EVPI, EVPPI, EVSI",
    "Costs by category": "Cost per patient by category, discounted and undiscounted",
    "Budget impact": "Cost to the budget per year",
    "Trace": "State membership per cycle (charts printed; numbers on screen)",
    "Survival": "Proportion alive over time per strategy (charts printed)",
    "Run": "What produced the results: versions, command, seed, input checksums",
}
TITLE_ROWS = {"Inputs": "1:1", "Scenarios": "3:3"}


def finish(wb: Workbook) -> None:
    """Page setup on every sheet (:func:`hecon.report.sheets.print_setup`) and the Contents
    sheet (last, linking every sheet and chart)."""
    notes = dict(SHEET_NOTES)
    for ws in wb.worksheets:
        if ws.title not in notes and ws.print_title_rows:
            notes[ws.title] = "Audit trail per cycle: costs by category, QALYs, life-years, " \
                "discount factors, counting weights (totals = Summary)"
    contents_sheet(wb, notes)
    for ws in wb.worksheets:
        if ws.title == "Brief":  # its own setup: portrait, one page per country set
            ws.oddFooter.center.text = "Page &P of &N"
            continue
        print_setup(ws, TITLE_ROWS.get(ws.title))
        if ws.title in ("Trace", "Survival"):  # the charts only: one page
            ws.page_setup.fitToHeight = 1


def build_workbook(run_dir: str | Path, out: str | Path | None = None,
                   texts: dict[str, Any] | None = None) -> Path:
    """Write the workbook for a run folder (atomically) and return its path. ``texts``: the
    model's report texts (default: those stored in summary.json, else neutral ones)."""
    run_dir = Path(run_dir)
    wb = report_workbook(run_dir, texts)
    path = Path(out) if out else run_dir / REPORT_NAME
    atomic_write(path, lambda p: save_workbook(wb, p))
    return path


def report_workbook(run_dir: str | Path, texts: dict[str, Any] | None = None) -> Workbook:
    """The workbook of a run folder, not yet saved (:func:`build_workbook` saves it)."""
    run_dir = Path(run_dir)
    summary_path = run_dir / "summary.json"
    if not summary_path.is_file():
        from hecon.errors import InputError

        raise InputError("not a hecon run folder (no summary.json)", file=str(run_dir))
    summary = json.loads(summary_path.read_text())
    summary["report"] = resolve_texts(summary, texts)
    manifest = (json.loads((run_dir / "manifest.json").read_text())
                if (run_dir / "manifest.json").is_file() else None)
    wb = Workbook()
    psa_prob = sections.psa_probabilities(summary)
    summary_sheet(wb.active, summary, psa_prob, summary["report"])
    brief_sheet(wb, run_dir, summary, summary["report"])  # the first sheet
    params = _read_csv(run_dir / "parameters.csv")
    if params is not None:
        inputs_sheet(wb, params)
    scen = _read_csv(run_dir / "scenarios.csv")
    if scen is not None:
        scenarios_sheet(wb, scen, summary)
    sections.add_analysis_sheets(wb, run_dir, summary)
    add_budget_sheets(wb, run_dir, summary)
    trace_sheets(wb, run_dir)
    audit_sheets(wb, run_dir, summary)
    run_sheet(wb, manifest)
    finish(wb)
    return wb
