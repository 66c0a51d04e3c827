"""The decision brief: one page per country set for a purchasing committee.

:func:`brief_for` turns one set of a run's summary.json (and, when present, the run folder's
``scenarios.csv`` and ``budget_impact_<set>.csv``) into a :class:`Brief`: the question, the
answer (cost per QALY against the set's thresholds, the price at which it pays off), how sure
the analysis is (PSA probability, the structural choices and scenarios that change the
decision), what it costs the budget per year and a small table of net benefit by price.
:func:`brief_sheet` writes every set's brief as the first sheet of the workbook ("Brief", a
page break between sets, fitted to the page width) with a native chart; :func:`write_briefs`
writes ``brief_<set>.md`` into the run folder. Both render the same :class:`Brief`, so they
state the same numbers.

The words come from the model's report texts (:func:`hecon.plugin.resolve_texts`); this
module knows no particular model. An analysis that did not run is named in a line saying how
to run it, never left blank.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from hecon.io_safe import neutralise, write_text
from hecon.report.sheets import line_chart, money_format, write_table
from hecon.texts import resolve_texts

SHEET = "Brief"
FONT = "Calibri"
TITLE = Font(name=FONT, bold=True, size=15)
HEADING = Font(name=FONT, bold=True, size=12)
BOLD = Font(name=FONT, bold=True)
SMALL = Font(name=FONT, size=9, italic=True)
WIDTHS = {"A": 44, "B": 18, "C": 18, "D": 18, "E": 18, "F": 18}
LAST_COL = len(WIDTHS)
CHARS_PER_LINE = 150  # characters of a paragraph merged across A:F on one printed line
BULLET = "\u2022 "
NO_PRICE = ("No price is a decision variable of this model, so there is no price at which it "
            "pays off.")
PRICE_POINTS = 7


@dataclass
class Brief:
    """One set's brief. ``figures``: rows of the answer table (label, one value per
    threshold; a value is a number, a probability, or words); ``formats``: per row, 'money',
    'prob', 'qaly' or '' (words); ``sections``: (heading, paragraphs); ``budget``: per-year
    table (reader's column names) or None; ``headroom``: net benefit by price, or None."""

    key: str
    title: str
    currency: str
    question: str
    wtp: list[float]
    icer: float | str
    threshold_price: dict[str, float] | None
    prob_ce: dict[str, float] | None
    figures: list[tuple[str, list[Any]]] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    budget: pd.DataFrame | None = None
    budget_formats: dict[str, str] = field(default_factory=dict)
    headroom: pd.DataFrame | None = None
    headroom_title: str = ""
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- wording
def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _money(cur: str, x: float) -> str:
    return f"{cur} {x:,.0f}" if x >= 0 else f"minus {cur} {-x:,.0f}"


def _wtp(cur: str, w: float) -> str:
    return f"{cur} {w:,.0f} per QALY"


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _threshold_prices(inc: dict[str, Any]) -> dict[str, float] | None:
    return inc.get("threshold_price", inc.get("threshold_device_price"))


def _sets(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return summary.get("country_sets") or {summary.get("country", "set"): summary}


def _inmb(s: dict[str, Any], w: float) -> float:
    inc = s["incremental"]
    k = f"{w:g}"
    if k in inc.get("inmb", {}):
        return float(inc["inmb"][k])
    return w * inc["inc_qalys"] - inc["inc_cost"]


# --------------------------------------------------------------------------- content
def brief_for(summary: dict[str, Any], key: str, run_dir: str | Path | None = None,
              texts: dict[str, Any] | None = None) -> Brief:
    """The brief of set ``key`` of a run's summary (``run_dir``: the folder whose tables
    complete it; ``texts``: the model's report texts, default those of the summary)."""
    s = _sets(summary)[key]
    tx = resolve_texts(summary, texts)
    folder = Path(run_dir) if run_dir is not None else None
    cur, inc, wtp = s["currency"], s["incremental"], [float(w) for w in s["wtp"]]
    noun, price_label = tx["intervention_noun"], tx["price_label"]
    prices = _threshold_prices(inc)
    psa = s.get("psa")
    prob = psa["prob_cost_effective"] if psa else None
    b = Brief(key=key, title=f"Decision brief: {s.get('country_label', key)}", currency=cur,
              question=tx["question"], wtp=wtp, icer=inc["icer"], threshold_price=prices,
              prob_ce=prob)

    # the answer, as a small table with one column per threshold
    icer = inc["icer"]
    b.figures = [
        ("Willingness to pay per QALY (the threshold)", list(wtp)),
        ("Extra cost per patient", [inc["inc_cost"]] * len(wtp)),
        ("Extra QALYs per patient", [inc["inc_qalys"]] * len(wtp)),
        ("Cost per QALY gained", [icer] * len(wtp)),
        ("Decision at the modelled price", [
            "cost-effective" if _inmb(s, w) >= 0 else "not cost-effective" for w in wtp]),
        ("Net benefit per patient", [_inmb(s, w) for w in wtp]),
    ]
    b.formats = ["money", "money", "qaly", "money" if isinstance(icer, (int, float)) else "",
                 "", "money"]
    if prices is not None:
        b.figures.append((f"Highest {price_label} at which it pays off",
                          [float(prices[f"{w:g}"]) for w in wtp]))
        b.formats.append("money")
    b.figures.append((
        f"Probability cost-effective ({psa['draws']:,} PSA draws)" if psa else
        "Probability cost-effective", [prob.get(f"{w:g}", "not run") if prob else "not run"
                                       for w in wtp]))
    b.formats.append("prob")

    answer = []
    dc, dq = inc["inc_cost"], inc["inc_qalys"]
    more = (f"{_money(cur, abs(dc))} {'more' if dc >= 0 else 'less'} per patient for "
            f"{abs(dq):.2f} {'more' if dq >= 0 else 'fewer'} QALYs")
    answer.append(f"{_cap(noun)} costs {cur} {icer:,.0f} per QALY gained: {more}."
                  if isinstance(icer, (int, float)) else f"Cost per QALY gained: {icer} "
                  f"({more}).")
    for w in wtp:
        k = f"{w:g}"
        verdict = "is" if _inmb(s, w) >= 0 else "is not"
        text = f"At {_wtp(cur, w)}, {noun} {verdict} cost-effective"
        if prices is not None:
            p0 = float(prices[k]) - _inmb(s, w)
            thr = float(prices[k])
            text += f" at the modelled {price_label} of {_money(cur, p0)}; "
            text += (f"it pays off at a {price_label} up to {_money(cur, thr)}." if thr >= 0
                     else f"it would not pay off even at a {price_label} of zero.")
        else:
            text += "."
        answer.append(text)
    if prices is None:
        answer.append(NO_PRICE)
    answer += list(tx["lead_sentences"].get(key, []))
    if s.get("wtp_source"):
        b.notes.append(f"Threshold: {s['wtp_source']}")
    if s.get("discounting"):
        b.notes.append(f"Costs and QALYs discounted: {s['discounting']}.")
    b.sections.append(("The answer", answer))

    # how sure we are
    sure = []
    if psa:
        probs = " and ".join(f"{_pct(x)} at {_wtp(cur, float(w))}"
                             for w, x in psa["prob_cost_effective"].items())
        sure.append(f"Allowing for uncertainty in the inputs ({psa['draws']:,} draws), the "
                    f"probability that {noun} is cost-effective is {probs}.")
        sure += _structures(psa, s, tx, cur)
    else:
        sure.append("The probabilistic sensitivity analysis did not run, so there is no "
                    "probability of being cost-effective (hecon run --analyses psa).")
    sure += _scenarios(folder, s, key, cur)
    if psa and psa.get("covers"):
        b.notes.append(f"What the probability allows for. {psa['covers']}")
    b.sections.append(("How sure we are", sure))

    # the budget
    b.sections.append(("What it costs the budget", _budget(b, folder, s, key, tx)))

    # net benefit by price (the headroom)
    if prices is not None:
        b.headroom, b.headroom_title = _headroom(s, prices, tx)
    return b


def _structures(psa: dict[str, Any], s: dict[str, Any], tx: dict[str, Any],
                cur: str) -> list[str]:
    """The PSA per structural assumption: probabilities and which assumption changes the
    decision (its mean net benefit of the other sign than the base case's)."""
    groups = {k: g for k, g in (psa.get("by_structure") or {}).items()
              if k != "model-averaged" and g.get("draws", 0) > 0}
    if len(groups) < 2:
        return []
    what = tx.get("structure_label", "the structural assumption")
    out = []
    for w in s["wtp"]:
        k = f"{float(w):g}"
        probs = ", ".join(f"{name} {_pct(g['prob_cost_effective'][k])}"
                          for name, g in groups.items())
        weights = [g.get("weight") for g in groups.values()]
        if all(isinstance(x, (int, float)) and math.isfinite(x) for x in weights):
            probs += " (weights " + ", ".join(_pct(x) for x in weights) + ")"
        base = _inmb(s, float(w)) >= 0
        flips = [name for name, g in groups.items() if (g["mean_inmb"][k] >= 0) != base]
        verdict = (f"the decision differs for: {', '.join(flips)}" if flips
                   else "none of them changes the decision")
        out.append(f"By {what}, the probability at {_wtp(cur, float(w))} is: {probs}; "
                   f"{verdict}.")
    return out


def _scenarios(folder: Path | None, s: dict[str, Any], key: str, cur: str) -> list[str]:
    """The scenarios of this set whose decision (sign of the net benefit at their threshold)
    differs from the base case's."""
    path = folder / "scenarios.csv" if folder is not None else None
    if path is None or not path.is_file():
        return ["The scenarios did not run, so no structural choice has been tested against "
                "the decision (hecon run --analyses scenarios)."]
    t = pd.read_csv(path)
    if "scenario" in t.columns:  # the base case's own rows (if the table has them) are no test
        t = t[t["scenario"].astype(str) != "base case"]
    names_all = set(t["scenario"].astype(str)) if "scenario" in t.columns else set()
    if "country" in t.columns:
        t = t[t["country"].astype(str) == str(key)]
    if t.empty:
        return ["No scenario was run for this country set."]
    several = "wtp" in t.columns and t["wtp"].nunique() > 1  # a row per threshold
    flips: list[tuple[str, float, float]] = []
    flipped: set[str] = set()
    for _, r in t.iterrows():
        w = float(r["wtp"])
        if (float(r["inmb"]) >= 0) != (_inmb(s, w) >= 0):
            what = str(r.get("description") or r["scenario"])
            flips.append((what, w, float(r["inmb"])))
            flipped.add(str(r["scenario"]))
    names = set(t["scenario"].astype(str))
    n = len(names)
    m = len(names_all - names)
    others = ("" if m == 0 else " (the other scenario is for another country set)" if m == 1
              else f" (the other {m} scenarios are for other country sets)")
    if not flips:
        return [("The one scenario run for this country set does not change" if n == 1 else
                 f"None of the {n} scenarios run for this country set changes") +
                f" the decision{others}."]
    w = flips[0][1]
    where = "at the threshold shown" if several else f"at {_wtp(cur, w)}"
    lines = [("The one scenario run for this country set changes" if n == 1 else
              f"{len(flipped)} of the {n} scenarios run for this country set change") +
             f" the decision{others}; net benefit per patient {where}:"]
    for what, wx, x in flips:
        at = f" at {_wtp(cur, wx)}" if several else ""
        lines.append(f"{BULLET}{what.rstrip('.')}: {_money(cur, x)}{at}")
    return lines


def _budget(b: Brief, folder: Path | None, s: dict[str, Any], key: str,
            tx: dict[str, Any]) -> list[str]:
    head = s.get("budget")
    path = folder / f"budget_impact_{key}.csv" if folder is not None else None
    if not head or path is None or not path.is_file():
        hint = tx.get("budget_hint")  # the model's words on how to run it, if it can
        return ["The budget impact did not run" + (
            f". {hint.format(set=key)}" if hint else ", so there is no cost per year.")]
    cur, noun = s["currency"], tx["intervention_noun"]
    t = pd.read_csv(path)
    years = len(t)
    who = {"country": "eligible patients a year in the country",
           "hospital": "patients a year in one hospital (an assumed size)",
           "given": "patients a year"}.get(head.get("population"), "patients a year")
    uptake = ", ".join(_pct(u) for u in t["uptake"])
    text = (f"For {t['patients_eligible'].iloc[0]:,.1f} {who}, with {noun} given to "
            f"{uptake} of them in years 1 to {years}, the payer's budget rises by "
            f"{_money(cur, t['budget_impact'].iloc[0])} in year 1 and by "
            f"{_money(cur, t['cumulative_budget_impact'].iloc[-1])} over {years} years")
    if "cumulative_budget_impact_low" in t.columns:
        text += (f" (95% interval {_money(cur, t['cumulative_budget_impact_low'].iloc[-1])} "
                 f"to {_money(cur, t['cumulative_budget_impact_high'].iloc[-1])})")
    text += "."
    lines = [text]
    if "hospital_cumulative_budget_impact" in t.columns:
        lines.append(f"The hospital alone (index admission) pays "
                     f"{_money(cur, t['hospital_budget_impact'].iloc[0])} more in year 1 and "
                     f"{_money(cur, t['hospital_cumulative_budget_impact'].iloc[-1])} over "
                     f"{years} years.")
    lines.append("Undiscounted, in prices of the input year; later years include the "
                 "survivors of earlier years (Budget impact sheet).")
    cols = {"year": "Year", "uptake": "Uptake",
            "patients_treated": f"Patients given {noun}",
            "budget_impact": f"Payer budget impact ({cur})",
            "hospital_budget_impact": f"Hospital budget impact ({cur})"}
    b.budget = t[[c for c in cols if c in t.columns]].rename(columns=cols)
    money = money_format(cur)
    b.budget_formats = {cols["uptake"]: "0%", cols["patients_treated"]: "#,##0.0",
                        cols["budget_impact"]: money, cols["hospital_budget_impact"]: money}
    return lines


def _headroom(s: dict[str, Any], prices: dict[str, float], tx: dict[str, Any]
              ) -> tuple[pd.DataFrame, str]:
    """Net benefit per patient at each threshold for prices from zero to past the highest
    price that pays off: net benefit falls one for one with a price paid once at the start,
    so it is the base-case net benefit minus the price change."""
    cur, wtp = s["currency"], [float(w) for w in s["wtp"]]
    p0 = float(prices[f"{wtp[0]:g}"]) - _inmb(s, wtp[0])
    top = max([p0, *(float(prices[f"{w:g}"]) for w in wtp)]) * 1.25
    step = _nice_step(top / (PRICE_POINTS - 1)) if top > 0 else 1.0
    grid = np.arange(PRICE_POINTS) * step
    label = tx["price_label"]
    df = pd.DataFrame({f"{_cap(label)} ({cur})": grid})
    for w in wtp:
        df[f"Net benefit at {cur} {w:,.0f}/QALY"] = _inmb(s, w) - (grid - p0)
    return df, f"Net benefit per patient by {label}: it pays off where the line is above zero"


def _nice_step(x: float) -> float:
    """The round number (1, 2, 2.5 or 5 times a power of ten) at or above ``x``."""
    p = 10 ** math.floor(math.log10(x))
    return next(m * p for m in (1, 2, 2.5, 5, 10) if m * p >= x)


# --------------------------------------------------------------------------- the sheet
def _lines(text: str, size: int = 11) -> int:
    per_line = CHARS_PER_LINE * 11 // size  # smaller type fits more characters
    return max(1, -(-len(text) // per_line))


def _paragraph(ws: Worksheet, row: int, text: str, font: Font | None = None) -> int:
    c = ws.cell(row=row, column=1, value=neutralise(text))
    c.alignment = Alignment(wrap_text=True, vertical="top")
    if font is not None:
        c.font = font
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=LAST_COL)
    size = 9 if font is SMALL else 11
    n = _lines(text, size)
    ws.row_dimensions[row].height = (size + 4) * n + 2
    return row + 1


def _value_format(kind: str, cur: str) -> str | None:
    return {"money": money_format(cur), "qaly": "0.00", "prob": "0%"}.get(kind)


def _header_font(ws: Worksheet, row: int, n: int) -> None:
    for j in range(1, n + 1):
        ws.cell(row=row, column=j).font = BOLD


def _block(ws: Worksheet, b: Brief, row: int) -> int:
    """One set's brief from ``row``; returns the row after it."""
    cur = b.currency
    ws.cell(row=row, column=1, value=neutralise(b.title)).font = TITLE
    row += 1
    row = _paragraph(ws, row, f"The question: {b.question}", BOLD)
    row += 1
    ws.cell(row=row, column=1, value="The answer").font = HEADING
    row += 1
    ws.cell(row=row, column=1, value="Per patient treated").font = BOLD
    for j, w in enumerate(b.wtp):
        c = ws.cell(row=row, column=2 + j, value=f"at {cur} {w:,.0f}/QALY")
        c.font, c.alignment = BOLD, Alignment(horizontal="right", wrap_text=True)
    ws.row_dimensions[row].height = 30
    row += 1
    for (label, values), kind in zip(b.figures[1:], b.formats[1:], strict=True):
        ws.cell(row=row, column=1, value=neutralise(label))
        for j, v in enumerate(values):
            c = ws.cell(row=row, column=2 + j, value=neutralise(v) if isinstance(v, str) else v)
            fmt = _value_format(kind, cur)
            if fmt and not isinstance(v, str):
                c.number_format = fmt
            c.alignment = Alignment(horizontal="right")
        row += 1
    row += 1
    for heading, paragraphs in b.sections:
        if heading != "The answer":
            row += 1
            ws.cell(row=row, column=1, value=heading).font = HEADING
            row += 1
        for text in paragraphs:
            row = _paragraph(ws, row, text)
        if heading == "What it costs the budget" and b.budget is not None:
            _, last = write_table(ws, b.budget, row=row, formats=b.budget_formats,
                                  freeze=False)
            _header_font(ws, row, len(b.budget.columns))
            ws.row_dimensions[row].height = 30
            row = last + 1
    row += 1
    if b.headroom is not None:
        ws.cell(row=row, column=1, value=neutralise(b.headroom_title)).font = HEADING
        row += 1
        cur_fmt = money_format(cur)
        first, last = write_table(ws, b.headroom, row=row, freeze=False,
                                  formats={c: cur_fmt for c in b.headroom.columns})
        _header_font(ws, row, len(b.headroom.columns))
        ws.row_dimensions[row].height = 30
        n = len(b.headroom.columns)
        ch = line_chart(ws, f"{chr(ord('A') + n)}{row}", "", str(b.headroom.columns[0]),
                        f"Net benefit ({cur})", (1, first, last),
                        [(2 + j, first, last) for j in range(n - 1)],
                        header_row=row, x_format="#,##0", y_max=None)
        ch.title = None
        ch.height, ch.width = 6.0, 3.3 * (LAST_COL - n)
        ch.y_axis.number_format = "#,##0"
        ch.x_axis.majorUnit = 2 * float(b.headroom.iloc[1, 0])
        ch.x_axis.scaling.min = 0.0
        ch.x_axis.tickLblPos = "low"  # price labels below the plot, not on the zero line
        ch.x_axis.scaling.max = float(b.headroom.iloc[-1, 0])
        row = max(last + 1, row + 13)
    row += 1
    for note in b.notes:
        row = _paragraph(ws, row, note, SMALL)
    return row


def brief_sheet(wb: Workbook, run_dir: str | Path, summary: dict[str, Any],
                texts: dict[str, Any] | None = None) -> Worksheet:
    """The "Brief" sheet, first in the workbook: every set's brief, a page break after each,
    portrait, fitted to the page width."""
    ws = wb.create_sheet(SHEET, 0)
    row = 1
    for key in _sets(summary):
        row = _block(ws, brief_for(summary, key, run_dir, texts), row)
        ws.row_breaks.append(Break(id=row - 1))
        row += 1
    if ws.row_breaks.brk:
        ws.row_breaks.brk.pop()  # none after the last set
    for col, w in WIDTHS.items():
        ws.column_dimensions[col].width = w
    ws.print_area = f"A1:{chr(ord('A') + LAST_COL - 1)}{row}"
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.sheet_view.showGridLines = False
    return ws


# --------------------------------------------------------------------------- markdown
def _md_value(v: Any, kind: str, cur: str) -> str:
    if isinstance(v, str):
        return v
    if kind == "money":
        return _money(cur, v)
    if kind == "qaly":
        return f"{v:.2f}"
    if kind == "prob":
        return _pct(v)
    return str(v)


def brief_markdown(b: Brief) -> str:
    """The brief as Markdown (``brief_<set>.md``)."""
    cur = b.currency
    out = [f"# {b.title}", "", f"**The question:** {b.question}", "", "## The answer", ""]
    out.append("| Per patient treated | " + " | ".join(f"at {cur} {w:,.0f}/QALY" for w in b.wtp)
               + " |")
    out.append("|---|" + "---:|" * len(b.wtp))
    for (label, values), kind in zip(b.figures[1:], b.formats[1:], strict=True):
        out.append(f"| {label} | " + " | ".join(_md_value(v, kind, cur) for v in values)
                   + " |")
    for heading, paragraphs in b.sections:
        if heading != "The answer":
            out += ["", f"## {heading}"]
        for p in paragraphs:
            out += [f"- {p.removeprefix(BULLET)}"] if p.startswith(BULLET) else ["", p]
        if heading == "What it costs the budget" and b.budget is not None:
            out += ["", _md_table(b.budget, b.budget_formats, cur)]
    if b.headroom is not None:
        out += ["", f"## {_cap(b.headroom_title)}", "",
                _md_table(b.headroom, {c: "money" for c in b.headroom.columns}, cur)]
    for note in b.notes:
        out += ["", f"*{note}*"]
    return "\n".join(out)


def _md_table(df: pd.DataFrame, formats: dict[str, str], cur: str) -> str:
    def cell(v: Any, fmt: str | None) -> str:
        if isinstance(v, str):
            return v
        if fmt == "0%":
            return _pct(v)
        if fmt == "money" or (fmt and cur in fmt):
            return f"{v:,.0f}"
        if fmt == "#,##0.0":
            return f"{v:,.1f}"
        return f"{v:g}" if isinstance(v, float) else str(v)

    rows = ["| " + " | ".join(str(c) for c in df.columns) + " |",
            "|" + "---:|" * len(df.columns)]
    for rec in df.itertuples(index=False):
        rows.append("| " + " | ".join(cell(v, formats.get(str(c)))
                                      for v, c in zip(rec, df.columns, strict=True)) + " |")
    return "\n".join(rows)


def write_briefs(run_dir: str | Path, texts: dict[str, Any] | None = None) -> list[Path]:
    """Write ``brief_<set>.md`` for every set of the run folder's summary.json; returns the
    paths."""
    run_dir = Path(run_dir)
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    paths = []
    for key in _sets(summary):
        b = brief_for(summary, key, run_dir, texts)
        paths.append(write_text(run_dir / f"brief_{key}.md", brief_markdown(b) + "\n"))
    return paths
