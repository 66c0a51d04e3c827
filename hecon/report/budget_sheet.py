"""Workbook sheets for purchasing committees: "Budget impact" (per calendar year, both
worlds, payer and hospital, with a native chart and the one-way table) and "Costs by category"
(per-patient costs of each strategy, discounted and undiscounted).

Both read only the run folder (``budget_impact_<country>.csv``, ``budget_oneway_<country>.csv``,
``results.csv``, ``summary.json``), so they serve any model whose results use these tables.
Readers see words: category names come from the summary (``budget.category_labels``) when the
model gives them, else from :data:`CATEGORY_WORDS`, else the code name made readable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from hecon.report.sheets import BOLD, TITLE, bar_chart, money_format, write_table

CATEGORY_WORDS = {
    "device": "Device and implantation",
    "implantation": "Implantation",
    "index_hospitalisation": "Index hospital stay",
    "adverse_events": "Adverse events",
    "acute_rrt": "Acute renal-replacement therapy",
    "follow_up": "Follow-up care",
    "dialysis": "Chronic dialysis",
}
COUNT_FORMAT = "#,##0.0"


def words(code: str, labels: dict[str, str] | None = None) -> str:
    """Reader's words for a cost category code."""
    if labels and code in labels:
        return labels[code]
    return CATEGORY_WORDS.get(code, code.replace("_", " ").strip().capitalize())


def _sets(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return summary.get("country_sets") or {summary.get("country", "dk"): summary}


def _note(ws: Worksheet, row: int, text: str, bold: bool = False) -> int:
    c = ws.cell(row=row, column=1, value=text)
    if bold:
        c.font = BOLD
    return row + 1


def budget_sheet(wb: Workbook, run_dir: Path, summary: dict[str, Any]) -> None:
    """The "Budget impact" sheet, one block per country set with a budget table."""
    sets = {k: s for k, s in _sets(summary).items()
            if (run_dir / f"budget_impact_{k}.csv").is_file()}
    if not sets:
        return
    ws = wb.create_sheet("Budget impact")
    ws["A1"] = "Budget impact: what adopting the new technology costs per year"
    ws["A1"].font = TITLE
    ws["A2"] = ("Undiscounted costs in the price year of the inputs (ISPOR good practice, "
                "Sullivan et al. Value Health 2014). Each year counts every patient treated "
                "that year and the survivors of earlier years. 'Without': the current mix; "
                "'with': the new technology taken up as shown.")
    r = 4
    for key, s in sets.items():
        t = pd.read_csv(run_dir / f"budget_impact_{key}.csv")
        cur = s.get("currency", str(t["currency"].iloc[0]) if "currency" in t else "")
        money = money_format(cur)
        b = s.get("budget", {})
        labels = b.get("category_labels")
        ws.cell(row=r, column=1, value=s.get("country_label", key)).font = TITLE
        r += 1
        who = {"country": "eligible patients in the country (derived; see Inputs)",
               "hospital": "patients in one hospital (assumed size)",
               "given": "patients (given on the command line)"}.get(b.get("population"), "")
        r = _note(ws, r, f"Eligible patients per year: {t['patients_eligible'].iloc[0]:,.1f} "
                  f"{who}".rstrip())
        if b.get("hospital_categories"):
            cats = ", ".join(words(c, labels).lower() for c in b["hospital_categories"])
            r = _note(ws, r, f"Hospital perspective counts the index admission only: {cats}. "
                      "Payer perspective counts every health-care cost.")
        r += 1
        cols = {
            "year": "Year",
            "patients_eligible": "Eligible patients",
            "uptake": "Uptake of the new technology",
            "patients_treated": "Treated with the new technology",
            "cost_current": "Payer cost without",
            "cost_new": "Payer cost with",
            "budget_impact": "Net budget impact, payer",
            "cumulative_budget_impact": "Cumulative, payer",
            "cumulative_budget_impact_low": "Cumulative, payer: 95% interval low",
            "cumulative_budget_impact_high": "Cumulative, payer: 95% interval high",
            "hospital_cost_current": "Hospital cost without",
            "hospital_cost_new": "Hospital cost with",
            "hospital_budget_impact": "Net budget impact, hospital",
            "hospital_cumulative_budget_impact": "Cumulative, hospital",
            "hospital_cumulative_budget_impact_low": "Cumulative, hospital: 95% interval low",
            "hospital_cumulative_budget_impact_high":
                "Cumulative, hospital: 95% interval high",
            "alive_current": "Patients alive at year end, without",
            "alive_new": "Patients alive at year end, with",
        }
        df = t[[c for c in cols if c in t]].rename(columns=cols)
        fmts = {v: money for k, v in cols.items() if "cost" in k or "impact" in k}
        fmts.update({cols[k]: COUNT_FORMAT for k in ("patients_eligible", "patients_treated",
                                                     "alive_current", "alive_new")})
        fmts[cols["uptake"]] = "0%"
        first, last = write_table(ws, df, row=r, formats=fmts, freeze=False)
        ws.row_dimensions[r].height = 45
        header = r
        names = list(df.columns)
        bar_chart(ws, f"B{last + 2}", f"Net budget impact per year, {key.upper()} ({cur})",
                  cur, (1, first, last),
                  [(names.index(cols[c]) + 1, first, last)
                   for c in ("budget_impact", "hospital_budget_impact")],
                  header_row=header, horizontal=False)
        r = last + 2 + 21
        cats = [c.removeprefix("budget_impact_") for c in t.columns
                if c.startswith("budget_impact_") and c.removeprefix("budget_impact_")
                not in ("mean", "low", "high")]
        if cats:
            r = _note(ws, r, "Net budget impact by cost category (payer)", bold=True)
            bycat = pd.DataFrame({"Cost category": [words(c, labels) for c in cats]})
            for i, y in enumerate(t["year"]):
                bycat[f"Year {y}"] = [float(t[f"budget_impact_{c}"].iloc[i]) for c in cats]
            bycat["All years"] = bycat.iloc[:, 1:].sum(axis=1)
            _, last = write_table(ws, bycat, row=r, freeze=False,
                                  formats={c: money for c in bycat.columns[1:]})
            r = last + 2
        ow_path = run_dir / f"budget_oneway_{key}.csv"
        if ow_path.is_file():
            ow = pd.read_csv(ow_path)
            n_years = len(t)
            r = _note(ws, r, f"One-way sensitivity of the cumulative {n_years}-year budget "
                      "impact", bold=True)
            ocols = {"driver": "Driver", "low_setting": "Low setting",
                     "high_setting": "High setting",
                     "cumulative_low": "Payer, at low", "cumulative_base": "Payer, base",
                     "cumulative_high": "Payer, at high",
                     "hospital_cumulative_low": "Hospital, at low",
                     "hospital_cumulative_base": "Hospital, base",
                     "hospital_cumulative_high": "Hospital, at high"}
            odf = ow[[c for c in ocols if c in ow]].rename(columns=ocols)
            _, last = write_table(ws, odf, row=r, freeze=False,
                                  formats={v: money for k, v in ocols.items()
                                           if "cumulative" in k})
            r = last + 2
        r += 1
    ws.column_dimensions["A"].width = 34
    for j in range(2, 20):
        ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = 17
    ws.freeze_panes = "A4"
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


def cost_breakdown(results: pd.DataFrame, country: str | None = None,
                   sample: int = 0) -> pd.DataFrame:
    """Per-patient cost by category of each strategy, discounted and undiscounted, from a
    tidy results table (``results.csv``: one row per sample and strategy, columns
    ``cost_<category>`` and ``cost_<category>_undisc``). One row per (strategy, category)
    plus a total row per strategy; codes in column ``category``."""
    df = results
    if country is not None and "country" in df:
        df = df[df["country"] == country]
    df = df[df["sample"] == sample]
    cats = [c.removeprefix("cost_") for c in df.columns
            if c.startswith("cost_") and not c.endswith("_undisc")]
    rows = []
    for _, rec in df.iterrows():
        for c in [*cats, "total"]:
            col = "cost" if c == "total" else f"cost_{c}"
            rows.append({"strategy": rec["strategy"], "category": c,
                         "discounted": float(rec[col]),
                         "undiscounted": float(rec[f"{col}_undisc"])})
    return pd.DataFrame(rows)


def costs_sheet(wb: Workbook, run_dir: Path, summary: dict[str, Any]) -> None:
    """The "Costs by category" sheet: where the money goes per patient, for each strategy,
    discounted and undiscounted, and the difference between the strategies."""
    path = run_dir / "results.csv"
    if not path.is_file():
        return
    results = pd.read_csv(path)
    ws = wb.create_sheet("Costs by category")
    ws["A1"] = "Costs per patient by category (base case)"
    ws["A1"].font = TITLE
    ws["A2"] = ("Discounted: as in the cost-effectiveness result. Undiscounted: the money as "
                "paid, over the model's horizon.")
    r = 4
    for key, s in _sets(summary).items():
        cb = cost_breakdown(results, key if "country" in results else None)
        if cb.empty:
            continue
        cur = s.get("currency", "")
        money = money_format(cur)
        ws.cell(row=r, column=1, value=s.get("country_label", key)).font = TITLE
        r += 1
        strategies = list(dict.fromkeys(cb["strategy"]))
        inc = s.get("incremental", {})
        pair = (inc.get("intervention"), inc.get("comparator"))
        order = [*CATEGORY_WORDS, "total"]
        cats = sorted(dict.fromkeys(cb["category"]),
                      key=lambda c: order.index(c) if c in order else len(CATEGORY_WORDS))
        table = pd.DataFrame({"Cost category": [
            "Total" if c == "total" else words(c) for c in cats]})
        for st in strategies:
            sub = cb[cb["strategy"] == st].set_index("category")
            table[f"{st}, discounted"] = [sub.loc[c, "discounted"] for c in cats]
            table[f"{st}, undiscounted"] = [sub.loc[c, "undiscounted"] for c in cats]
        if all(p in strategies for p in pair):
            for kind in ("discounted", "undiscounted"):
                table[f"Difference ({pair[0]} minus {pair[1]}), {kind}"] = (
                    table[f"{pair[0]}, {kind}"] - table[f"{pair[1]}, {kind}"])
        first, last = write_table(ws, table, row=r, freeze=False,
                                  formats={c: money for c in table.columns[1:]})
        ws.row_dimensions[r].height = 45
        ycols = [j + 2 for j, c in enumerate(table.columns[1:]) if c.endswith(", undiscounted")
                 and not c.startswith("Difference")]
        bar_chart(ws, f"B{last + 2}", f"Undiscounted cost per patient by category, "
                  f"{key.upper()} ({cur})", cur, (1, first, last - 1),
                  [(j, first, last - 1) for j in ycols], header_row=r)
        r = last + 2 + 21
    ws.column_dimensions["A"].width = 34
    for j in range(2, 10):
        ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = 22
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


def add_budget_sheets(wb: Workbook, run_dir: str | Path, summary: dict[str, Any]) -> None:
    """"Costs by category" (whenever results.csv exists) and "Budget impact" (when the run
    folder has a budget table)."""
    run_dir = Path(run_dir)
    costs_sheet(wb, run_dir, summary)
    budget_sheet(wb, run_dir, summary)
