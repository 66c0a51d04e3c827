"""The audit trail of the report workbook: one sheet per strategy and set of inputs with, per
model cycle, the share of the cohort in each state, the counting weights, the discount factors,
the costs by category, the QALYs and the life-years, so that every total on the Summary sheet
is a sum a reader can check by hand (the "Total" row sums the rows below it).

Read from the run folder's ``cycles_<set>_<strategy>.csv`` (the engine's per-cycle audit table,
:meth:`hecon.engine.results.Results.cycles`, one row per cycle and state); generic: it knows no
particular model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from hecon.report.budget_sheet import words
from hecon.report.sheets import BOLD, TITLE, write_table

PRINTED_CYCLES = 36  # rows of cycles in the print area (the sheet holds all of them)
HEADER_ROW = 4
WEIGHTS = {
    "weight_start": "Counting weight, start of cycle",
    "weight_end": "Counting weight, end of cycle",
    "discount_costs_start": "Discount factor for costs, start",
    "discount_costs_end": "Discount factor for costs, end",
    "discount_effects_start": "Discount factor for effects, start",
    "discount_effects_end": "Discount factor for effects, end",
}


def _sets(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return summary.get("country_sets") or {summary.get("country", "dk"): summary}


def per_cycle(cycles: pd.DataFrame, currency: str = "",
              labels: dict[str, str] | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """One row per cycle from the engine's audit table (one row per cycle and state): the
    share in each state at the end of the cycle, counting weights and discount factors (of the
    state rows), then the rewards summed over the cycle's rows. Returns the table (reader's
    column names) and its number formats by column."""
    df = cycles.copy()
    df["cycle"] = df["cycle"].astype(int)
    rows = df[df["kind"] == "state"]
    cost_cats = [c for c in df.columns if c.startswith("cost_") and not c.endswith("_undisc")]
    rewards = [*cost_cats, "cost", "qalys", "life_years", "cost_undisc", "qalys_undisc",
               "life_years_undisc"]
    sums = df.groupby("cycle")[rewards].sum()
    out = pd.DataFrame(index=sums.index)
    times = df.groupby("cycle")[["time_start", "time_end"]].first()
    out["Cycle"] = sums.index
    out["Part of the model"] = ["one-off payoffs before the cycles (acute phase)"
                                if c == 0 else "cycle" for c in sums.index]
    out["Years from"] = times["time_start"]
    out["Years to"] = times["time_end"]
    fmts: dict[str, str] = {"Years from": "0.000", "Years to": "0.000"}
    if len(rows):
        share = rows.pivot_table(index="cycle", columns="state", values="membership_end",
                                 aggfunc="first", sort=False)
        for st in rows["state"].drop_duplicates():
            col = f"Share in {str(st).replace('_', ' ')} at end"
            out[col] = share[st]
            fmts[col] = "0.0000"
        first = rows.groupby("cycle")[list(WEIGHTS)].first()
        for k, label in WEIGHTS.items():
            out[label] = first[k]
            fmts[label] = "0.0000"
    money2 = (f'"{currency} "#,##0;[Red]-"{currency} "#,##0' if currency else "#,##0")
    for c in cost_cats:
        col = f"{words(c.removeprefix('cost_'), labels)} (discounted)"
        out[col] = sums[c]
        fmts[col] = money2
    named = {"cost": "Total cost (discounted)", "qalys": "QALYs (discounted)",
             "life_years": "Life-years (discounted)",
             "cost_undisc": "Total cost (undiscounted)", "qalys_undisc": "QALYs (undiscounted)",
             "life_years_undisc": "Life-years (undiscounted)"}
    for k, col in named.items():
        out[col] = sums[k]
        fmts[col] = money2 if k.startswith("cost") else "0.00000"
    return out.reset_index(drop=True), fmts


def sheet_name(key: str, strategy: str, taken: list[str]) -> str:
    """A sheet name of at most 31 characters, unique in ``taken``."""
    bad = '[]:*?/\\'
    name = "".join("-" if ch in bad else ch for ch in f"{key.upper()} {strategy}")[:31]
    i = 2
    base = name
    while name in taken:
        name = f"{base[:28]} {i}"
        i += 1
    return name


def audit_sheets(wb: Workbook, run_dir: str | Path, summary: dict[str, Any]) -> list[str]:
    """One audit sheet per ``cycles_<set>_<strategy>.csv`` of the run folder; returns their
    names. The Total row (above the cycles) is the sum of the rows below and equals the
    strategy's result on the Summary sheet."""
    run_dir = Path(run_dir)
    sets = _sets(summary)
    made: list[str] = []
    for f in sorted(run_dir.glob("cycles_*.csv")):
        cyc = pd.read_csv(f)
        if cyc.empty:
            continue
        key = f.stem.removeprefix("cycles_").split("_")[0]
        s = sets.get(key, {})
        strategy = str(cyc["strategy"].iloc[0]) if "strategy" in cyc else f.stem
        cur = s.get("currency", "")
        table, fmts = per_cycle(cyc, cur, (s.get("budget") or {}).get("category_labels"))
        name = sheet_name(key, strategy, wb.sheetnames)
        ws = wb.create_sheet(name)
        ws["A1"] = (f"Audit trail per cycle: {strategy}, {s.get('country_label', key)}"
                    f"{f' ({cur})' if cur else ''}")
        ws["A1"].font = TITLE
        ws["A2"] = ("Per person entering the model. Each row is one cycle; the first row holds "
                    "the one-off payoffs before the cycles. Reward = state value x share in the "
                    "state x counting weight x discount factor, summed over states. The Total "
                    f"row sums every row below it and equals the Summary sheet. Printed: the "
                    f"first {PRINTED_CYCLES} cycles; the sheet holds all {len(table) - 1}.")
        # the Total row sits between the header and the cycles, so it prints on page one
        first, last = write_table(ws, table, row=HEADER_ROW, formats=fmts, freeze=False,
                                  gap=1)
        ws.cell(row=first - 1, column=1, value="Total").font = BOLD
        for j, col in enumerate(table.columns, start=1):
            if col.endswith(("(discounted)", "(undiscounted)")):
                c = ws.cell(row=first - 1, column=j, value=float(table[col].sum()))
                c.number_format, c.font = fmts[col], BOLD
        ws.cell(row=first - 1, column=2, value="sum of the rows below").font = Font(
            italic=True, bold=True)
        ws.row_dimensions[HEADER_ROW].height = 48
        ws.column_dimensions["B"].width = 22
        for j in range(3, len(table.columns) + 1):
            ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = 15
        ws.freeze_panes = ws.cell(row=first, column=3)
        right = ws.cell(row=1, column=len(table.columns)).column_letter
        ws.auto_filter.ref = f"A{HEADER_ROW}:{right}{last}"
        ws.print_area = f"A1:{right}{min(last, first + PRINTED_CYCLES)}"
        ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
        made.append(name)
    return made
