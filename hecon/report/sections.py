"""Workbook sheets for the uncertainty analyses (one-way, PSA, VOI, Sobol), filled from the
files those analyses write into the run folder. Each returns quietly when its files are absent,
so the same report works for a base-case-only run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import Reference, Series
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from hecon.report.sheets import (
    BOLD,
    PROB_FORMAT,
    QALY_FORMAT,
    TITLE,
    bar_chart,
    line_chart,
    magnitude_format,
    money_format,
    point_markers,
    scatter_chart,
    thin,
    tornado_chart,
    write_table,
)
from hecon.texts import resolve_texts

PLANE_POINTS = 1000
TOP = 15


def psa_probabilities(summary: dict[str, Any]) -> dict[str, dict[str, float]] | None:
    """{country: {wtp: probability cost-effective}} from the run's summary, if a PSA ran."""
    out = {c: s["psa"]["prob_cost_effective"] for c, s in _sets(summary).items() if "psa" in s}
    return out or None


def _sets(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return summary.get("country_sets", {summary.get("country", "dk"): summary})


def _read(run_dir: Path, stem: str, country: str) -> pd.DataFrame | None:
    path = run_dir / f"{stem}_{country}.csv"
    return pd.read_csv(path) if path.is_file() else None


PLANE_COLUMNS = ("cost_", "qalys_", "life_years_", "inc_", "inmb_")


def _read_draws(run_dir: Path, country: str) -> pd.DataFrame | None:
    """The outcome columns of ``psa_draws_<country>.csv`` (draw, costs, QALYs, life-years,
    increments, INMB; not the parameters, which the workbook does not show)."""
    path = run_dir / f"psa_draws_{country}.csv"
    if not path.is_file():
        return None
    header = pd.read_csv(path, nrows=0).columns
    return pd.read_csv(path, usecols=[x for x in header
                                      if x == "draw" or str(x).startswith(PLANE_COLUMNS)])


def _words(run_dir: Path, summary: dict[str, Any]) -> dict[str, str]:
    """Parameter name -> words a reader sees: the model's label, else the description in
    parameters.csv (a code name only where neither exists)."""
    out: dict[str, str] = {}
    params = run_dir / "parameters.csv"
    if params.is_file():
        p = pd.read_csv(params)
        if "description" in p.columns:
            out = {n: d for n, d in zip(p["name"], p["description"], strict=True)
                   if isinstance(d, str) and d}
    out.update(resolve_texts(summary).get("parameter_labels") or {})
    return out


def _two_way_words(run_dir: Path, summary: dict[str, Any], tw: pd.DataFrame
                   ) -> tuple[pd.DataFrame, str, str]:
    """A two-way table for readers: the first column headed by the row parameter's words, the
    other columns by the second parameter's values to 4 significant digits; returns the table
    and the words of both parameters (the second from the run's manifest options)."""
    words = _words(run_dir, summary)
    first = str(tw.columns[0])
    second = None
    try:
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
        pair = (manifest.get("options") or {}).get("two_way") or []
        second = str(pair[1]) if len(pair) == 2 and str(pair[0]) == first else None
    except (OSError, ValueError, AttributeError):
        pass
    rows_w = words.get(first, first)
    cols_w = f"{words.get(second, second)}, at the values heading each column" if second else \
        "values of the second parameter"
    heads = {first: rows_w}
    for digits in (4, 8, 17):  # as short as keeps the column headings distinct
        try:
            values = {x: f"{float(x):.{digits}g}" for x in tw.columns[1:]}
        except ValueError:
            values = {}
            break
        if len(set(values.values())) == len(values):
            break
    heads.update(values)
    return tw.rename(columns=heads), rows_w, cols_w


def _heading(ws: Worksheet, row: int, text: str, note: str | None = None) -> int:
    ws.cell(row=row, column=1, value=text).font = TITLE
    if note:
        ws.cell(row=row + 1, column=1, value=note)
        return row + 3
    return row + 2


def _widths(ws: Worksheet, first: float = 34, rest: float = 15, n: int = 16) -> None:
    from openpyxl.utils import get_column_letter

    ws.column_dimensions["A"].width = first
    for j in range(2, n + 1):
        ws.column_dimensions[get_column_letter(j)].width = rest
    ws.page_setup.orientation = "landscape"  # print one page wide, tables and charts together
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


def _chart_col(df: pd.DataFrame) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(len(df.columns) + 2)


def oneway_sheet(wb: Workbook, run_dir: Path, summary: dict[str, Any]) -> None:
    """Tornado data (sorted by INMB swing) with a native bar chart; headroom curve; two-way."""
    tx = resolve_texts(summary)
    sets = {c: s for c, s in _sets(summary).items() if (run_dir / f"oneway_{c}.csv").is_file()}
    if not sets:
        return
    ws = wb.create_sheet("One-way")
    _widths(ws)
    r = 1
    for c, s in sets.items():
        cur = s["currency"]
        money = money_format(cur)
        t = _read(run_dir, "oneway", c)
        w = float(t["wtp"].iloc[0])
        r = _heading(ws, r, f"One-way sensitivity analysis, {s['country_label']}",
                     f"Each parameter at its low and high value, all others at base. INMB = "
                     f"incremental net monetary benefit at {cur} {w:,.0f}/QALY (positive: "
                     f"{tx['intervention_noun']} is cost-effective). ICERs are shown only "
                     "where the increment stays "
                     "in the north-east quadrant; quadrant and decision changes are flagged.")
        words = {"description": "Parameter", "base_value": "Base value",
                 "low_value": "Low value", "high_value": "High value",
                 "inmb_low": f"INMB at low value ({cur})",
                 "inmb_high": f"INMB at high value ({cur})", "swing": f"Swing ({cur})",
                 "icer_low": f"ICER at low value ({cur}/QALY)",
                 "icer_high": f"ICER at high value ({cur}/QALY)",
                 "quadrant_low": "Quadrant at low", "quadrant_high": "Quadrant at high",
                 "quadrant_change": "Quadrant changes", "decision_change": "Decision changes"}
        if "description" in t.columns:  # readers see words, not code names
            names = tx.get("parameter_labels") or {}
            t = t.assign(description=[names.get(p) or (d if isinstance(d, str) and d else p)
                                      for p, d in zip(t["parameter"], t["description"],
                                                      strict=True)])
        else:
            t = t.assign(description=t["parameter"])
        df = t[[x for x in words if x in t.columns]].rename(columns=words)
        for k in ("Quadrant changes", "Decision changes"):
            if k in df:
                df[k] = ["yes" if bool(v) else "no" for v in df[k]]
        first, last = write_table(ws, df, row=r, freeze=False, formats={
            words[k]: money for k in ("inmb_low", "inmb_high", "swing", "icer_low",
                                      "icer_high")})
        for i in range(first, last + 1):
            for j in (2, 3, 4):
                cell = ws.cell(row=i, column=j)
                if isinstance(cell.value, (int, float)):
                    cell.number_format = magnitude_format(cell.value)
            ws.cell(row=i, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[r].height = 45
        top = min(last, first + TOP - 1)
        j_lo = list(df.columns).index(words["inmb_low"]) + 1
        base = float(t["inmb_base"].iloc[0]) if "inmb_base" in t else 0.0
        for i in range(first, last + 1):  # wrapped descriptions: room for every line
            n = len(str(ws.cell(row=i, column=1).value or ""))
            ws.row_dimensions[i].height = 15 * max(1, -(-n // 32)) + 2
        ch = tornado_chart(ws, f"A{last + 2}", f"Tornado: INMB at {cur} {w:,.0f}/QALY, "
                           f"top {top - first + 1} parameters, bars from the base case ({cur} "
                           f"{base:,.0f})", f"INMB ({cur})", (1, first, top), j_lo, j_lo + 1,
                           header_row=r, base=base, number_format=money)
        r = last + 2 + int(ch.height * 2) + 2
        h = _read(run_dir, "headroom", c)
        if h is not None:
            h = thin(h)
            what = tx["price_label"]
            r = _heading(ws, r, f"Maximum justified {what}, {s['country_label']}",
                         f"{what[:1].upper()}{what[1:]} at which INMB = 0, against "
                         f"willingness to pay {tx.get('price_note', '')}".rstrip() + ".")
            f2, l2 = write_table(ws, h, row=r, freeze=False, formats={
                "price": money, "wtp": money, "max_price": money, "headroom": money})
            line_chart(ws, f"{_chart_col(h) }{r}", f"Maximum justified {what}",
                       f"Willingness to pay ({cur}/QALY)",
                       f"{what[:1].upper()}{what[1:]} ({cur})",
                       (1, f2, l2), [(2, f2, l2)], header_row=r, x_format="#,##0",
                       y_max=None)
            r = l2 + 3
        tw = _read(run_dir, "twoway", c)
        if tw is not None:
            tw, rows_w, cols_w = _two_way_words(run_dir, summary, tw)
            r = _heading(ws, r, f"Two-way analysis: INMB ({cur}), {s['country_label']}",
                         f"Rows: {rows_w}; columns: {cols_w}.")
            _, l3 = write_table(ws, tw, row=r, freeze=False,
                                formats={x: money for x in tw.columns[1:]})
            r = l3 + 3
    ws.freeze_panes = None


def psa_sheets(wb: Workbook, run_dir: Path, summary: dict[str, Any]) -> None:
    """PSA summary with Monte Carlo errors, CE plane (subsample), CEAC/CEAF, expected loss,
    convergence; the draws on a separate sheet."""
    tx = resolve_texts(summary)
    sets = {c: s for c, s in _sets(summary).items()
            if (run_dir / f"psa_summary_{c}.csv").is_file()}
    if not sets:
        return
    ws = wb.create_sheet("PSA")
    _widths(ws, first=40)
    wd = wb.create_sheet("PSA draws")
    r, col_d = 1, 1
    for c, s in sets.items():
        cur = s["currency"]
        money = money_format(cur)
        sm = _read(run_dir, "psa_summary", c)
        if "outcome" in sm:  # words, not code names
            sm["outcome"] = [_outcome_words(str(o), cur) for o in sm["outcome"]]
        draws = _read_draws(run_dir, c)
        n = len(draws) if draws is not None else 0
        r = _heading(ws, r, f"Probabilistic analysis, {s['country_label']}",
                     f"{n:,} draws of every uncertain parameter. mcse = Monte Carlo standard "
                     "error of the mean (SD / sqrt(draws)); p2.5-p97.5 = 95% interval of the "
                     "draws. Effects are QALYs.")
        _, last = write_table(ws, sm, row=r, freeze=False, formats={
            "mean": "#,##0.000", "sd": "#,##0.000", "mcse": "#,##0.0000",
            "p2.5": "#,##0.000", "p97.5": "#,##0.000"})
        r = last + 3
        if draws is not None:
            # the plane's points live on the PSA draws sheet (a sample; not printed)
            sub = draws.iloc[:: max(1, -(-n // PLANE_POINTS))]
            keep = [x for x in sub.columns if x == "draw" or x.startswith(PLANE_COLUMNS)]
            sub = sub[keep]
            wd.cell(row=1, column=col_d, value=f"{s['country_label']} ({cur}): {len(sub):,} "
                    f"of {n:,} draws (every draw with its parameter values: "
                    f"psa_draws_{c}.csv)").font = BOLD
            f2, l2 = write_table(wd, sub, row=2, col=col_d, freeze=False, formats={
                x: (money if x.startswith(("cost_", "inc_cost", "inmb_")) else QALY_FORMAT)
                for x in keep if x != "draw"})
            for j in range(col_d, col_d + len(keep)):
                wd.column_dimensions[get_column_letter(j)].width = 16
            jq = col_d + keep.index("inc_qalys")
            jc = col_d + keep.index("inc_cost")
            col_d += len(keep) + 1
            ws.cell(row=r, column=1, value=f"Cost-effectiveness plane ({len(sub):,} of {n:,} "
                    "draws, on the 'PSA draws' sheet)").font = BOLD
            ch = scatter_chart(ws, f"A{r + 1}", f"CE plane, {c.upper()}: "
                               f"{tx['comparison']}", "Incremental QALYs",
                               f"Incremental cost ({cur})", (jq, f2, l2), [], )
            pts = Series(Reference(wd, min_col=jc, min_row=f2, max_row=l2),
                         Reference(wd, min_col=jq, min_row=f2, max_row=l2), title="PSA draws")
            ch.series.append(point_markers(pts))
            # threshold lines: cost = WTP x QALYs through the origin, two points each
            xs = [min(0.0, float(sub["inc_qalys"].min())), max(0.0, float(sub["inc_qalys"].max()))]
            ch.width = 22
            lc = 12  # the lines' points beside the chart
            ws.cell(row=r + 1, column=lc, value="QALYs (line)").font = BOLD
            for i, x in enumerate(xs):
                ws.cell(row=r + 2 + i, column=lc, value=x).number_format = QALY_FORMAT
            for j, w in enumerate(s["wtp"]):
                ws.cell(row=r + 1, column=lc + 1 + j, value=f"{cur} {w:,.0f}/QALY").font = BOLD
                for i, x in enumerate(xs):
                    ws.cell(row=r + 2 + i, column=lc + 1 + j, value=w * x).number_format = money
                line = Series(Reference(ws, min_col=lc + 1 + j, min_row=r + 2, max_row=r + 3),
                              Reference(ws, min_col=lc, min_row=r + 2, max_row=r + 3),
                              title=f"{cur} {w:,.0f} per QALY")
                line.marker.symbol = "none"
                ch.series.append(line)
            r = r + 24
        ce = _read(run_dir, "ceac", c)
        cf = _read(run_dir, "ceaf", c)
        if ce is not None:
            tab = ce.copy()
            if cf is not None:
                tab["frontier (CEAF)"] = cf["probability"]
                tab["optimal strategy"] = cf["optimal"]
            tab = thin(tab)
            ws.cell(row=r, column=1, value="Acceptability curves (CEAC) and frontier (CEAF)"
                    ).font = BOLD
            f3, l3 = write_table(ws, tab, row=r + 1, freeze=False, formats={
                "wtp": money, **{x: PROB_FORMAT for x in tab.columns[1:-1]}})
            nser = len(ce.columns) - 1 + (1 if cf is not None else 0)
            line_chart(ws, f"{_chart_col(tab)}{r + 1}", f"CEAC and CEAF, {c.upper()}",
                       f"Willingness to pay ({cur}/QALY)", "Probability cost-effective",
                       (1, f3, l3), [(2 + j, f3, l3) for j in range(nser)], header_row=r + 1,
                       x_format="#,##0")
            r = l3 + 3
        el = _read(run_dir, "expected_loss", c)
        if el is not None:
            el = thin(el)
            ws.cell(row=r, column=1, value=f"Expected loss ({cur} per patient) of each choice"
                    ).font = BOLD
            f4, l4 = write_table(ws, el, row=r + 1, freeze=False,
                                 formats={x: money for x in el.columns})
            line_chart(ws, f"{_chart_col(el)}{r + 1}", f"Expected loss, {c.upper()}",
                       f"Willingness to pay ({cur}/QALY)", f"Expected loss ({cur})",
                       (1, f4, l4), [(2 + j, f4, l4) for j in range(len(el.columns) - 2)],
                       header_row=r + 1, x_format="#,##0", y_max=None)
            r = l4 + 3
        cv = _read(run_dir, "convergence", c)
        if cv is not None:
            ws.cell(row=r, column=1, value="Convergence: running means with Monte Carlo "
                    "errors as draws accumulate").font = BOLD
            f5, l5 = write_table(ws, cv, row=r + 1, freeze=False, formats={
                "inc_cost": money, "inc_cost_mcse": money, "inmb": money, "inmb_mcse": money,
                "inc_effect": "0.0000", "inc_effect_mcse": "0.0000",
                "prob_cost_effective": PROB_FORMAT})
            j = list(cv.columns).index("inmb") + 1
            line_chart(ws, f"{_chart_col(cv)}{r + 1}", f"Running mean INMB, {c.upper()}",
                       "Draws", f"INMB ({cur})", (1, f5, l5), [(j, f5, l5)],
                       header_row=r + 1, x_format="#,##0", y_max=None)
            r = l5 + 3
    wd.freeze_panes = "A3"
    wd.print_area = f"A1:{get_column_letter(max(1, col_d - 2))}{min(wd.max_row, 40)}"


def _outcome_words(code: str, cur: str) -> str:
    """A PSA summary outcome in words (``inmb@20000`` -> 'INMB at GBP 20,000/QALY')."""
    if code.startswith("inmb@"):
        try:
            return f"INMB at {cur} {float(code[5:]):,.0f}/QALY ({cur})"
        except ValueError:
            return code
    return {"cost": f"Cost ({cur})", "effect": "QALYs", "inc_cost": f"Incremental cost ({cur})",
            "inc_effect": "Incremental QALYs", "icer": f"ICER, ratio of means ({cur}/QALY)",
            "icer (ratio of means)": f"ICER, ratio of means ({cur}/QALY)",
            "life_years": "Life-years", "inc_life_years": "Incremental life-years"}.get(code, code)


def voi_sheet(wb: Workbook, run_dir: Path, summary: dict[str, Any]) -> None:
    """EVPI curve (per person and population) and EVPPI of every parameter and group."""
    sets = {c: s for c, s in _sets(summary).items() if (run_dir / f"evpi_{c}.csv").is_file()}
    if not sets:
        return
    ws = wb.create_sheet("VOI")
    words = _words(run_dir, summary)
    _widths(ws, first=44)
    r = 1
    for c, s in sets.items():
        cur = s["currency"]
        money = money_format(cur)
        pop = s.get("voi", {}).get("population")
        note = ("No population given by the model: values per person only." if not pop else
                f"Population: {pop.get('incidence_per_year', '?')} patients/year for "
                f"{pop.get('decision_years', '?')} years, discounted "
                f"({pop.get('discounted_patients', 0):,.0f} patients). Source: "
                f"{pop.get('source', 'population.yaml')}")
        r = _heading(ws, r, f"Value of information, {s['country_label']}", note)
        ev = thin(_read(run_dir, "evpi", c))
        f1, l1 = write_table(ws, ev, row=r, freeze=False, formats={x: money for x in ev.columns})
        j = list(ev.columns).index("evpi_population" if "evpi_population" in ev.columns
                                   else "evpi_per_person") + 1
        line_chart(ws, f"{_chart_col(ev)}{r}", f"{'Population' if pop else 'Per-person'} "
                   f"EVPI, {c.upper()}", f"Willingness to pay ({cur}/QALY)", f"EVPI ({cur})",
                   (1, f1, l1), [(j, f1, l1)], header_row=r, x_format="#,##0", y_max=None)
        r = max(l1, r + 20) + 3
        ep = _read(run_dir, "evppi", c)
        if ep is not None:
            ws.cell(row=r, column=1, value="EVPPI per patient and for the population, by "
                    "regression on the PSA draws (se: Monte Carlo/regression standard error; "
                    "r2: fit of the metamodel)").font = BOLD
            for w in sorted(ep["wtp"].unique()):
                e = ep[ep["wtp"] == w].sort_values("evppi", ascending=False)
                e = e.drop(columns=["wtp"])
                if "parameter" in e.columns:
                    e["parameter"] = [words.get(x, x) for x in e["parameter"]]
                ws.cell(row=r + 1, column=1, value=f"At {cur} {w:,.0f}/QALY").font = BOLD
                f2, l2 = write_table(ws, e, row=r + 2, freeze=False, formats={
                    "evppi": money, "se": money, "evppi_population": money, "r2": "0.000"})
                top = min(l2, f2 + TOP - 1)
                j = list(e.columns).index("evppi") + 1
                bar_chart(ws, f"{_chart_col(e)}{r + 2}", f"EVPPI per patient at {cur} "
                          f"{w:,.0f}/QALY, {c.upper()}", f"EVPPI ({cur})", (1, f2, top),
                          [(j, f2, top)], header_row=r + 2)
                r = max(l2, r + 22) + 3
        es = _read(run_dir, "evsi", c)
        if es is not None:
            ws.cell(row=r, column=1, value="Value of a proposed study: EVSI per patient and "
                    "for the population by sample size per arm (regression on simulated "
                    f"studies); ENBS = population EVSI - study cost. {es['study'].iloc[0]}"
                    ).font = BOLD
            es = es.drop(columns=["study", "strategies", "parameter_label"], errors="ignore")
            _, l3 = write_table(ws, es, row=r + 1, freeze=False, formats={
                x: money for x in ("evsi", "se", "se_fit", "se_mc", "evsi_population",
                                   "study_cost", "enbs", "enbs_se") if x in es.columns})
            r = l3 + 3
    ws.freeze_panes = None


def gsa_sheet(wb: Workbook, run_dir: Path, summary: dict[str, Any]) -> None:
    """Sobol first-order and total indices (or Morris) per output, with a native bar chart."""
    for method, title in (("sobol", "Sobol"), ("morris", "Morris")):
        sets = {c: s for c, s in _sets(summary).items()
                if (run_dir / f"{method}_{c}.csv").is_file()}
        if not sets:
            continue
        ws = wb.create_sheet(title)
        _widths(ws)
        words = _words(run_dir, summary)
        r = 1
        for c, s in sets.items():
            g = _read(run_dir, method, c)
            note = ("S1: share of output variance explained by the parameter alone; ST: "
                    "including its interactions; *_conf: half-width of the 95% confidence "
                    "interval (bootstrap). Outputs: INMB at each threshold, incremental cost, "
                    "incremental QALYs." if method == "sobol" else
                    "mu_star: mean absolute elementary effect (importance); sigma: spread "
                    "(non-linearity or interactions).")
            r = _heading(ws, r, f"{title} indices, {s['country_label']}", note)
            for out in g["output"].unique():
                t = g[g["output"] == out].drop(columns=["output"])
                if "parameter" in t.columns:
                    t["parameter"] = [words.get(x, x) for x in t["parameter"]]
                key = "ST" if method == "sobol" else "mu_star"
                t = t.sort_values(key, ascending=False)
                n_all = len(t)
                t = t.head(TOP)  # the most influential; every parameter: <method>_<set>.csv
                ws.cell(row=r, column=1, value=f"Output: {out} (the {len(t)} most influential "
                        f"of {n_all} parameters; all in {method}_{c}.csv)").font = BOLD
                f1, l1 = write_table(ws, t, row=r + 1, freeze=False,
                                     formats={x: "0.000" for x in t.columns[1:]})
                top = min(l1, f1 + TOP - 1)
                cols = ([list(t.columns).index("S1") + 1, list(t.columns).index("ST") + 1]
                        if method == "sobol" else [list(t.columns).index("mu_star") + 1])
                bar_chart(ws, f"{_chart_col(t)}{r + 1}", f"{title}: {out}, {c.upper()}",
                          "index", (1, f1, top), [(j, f1, top) for j in cols],
                          header_row=r + 1)
                r = max(l1, r + 22) + 3


def add_analysis_sheets(wb: Workbook, run_dir: Path, summary: dict[str, Any]) -> None:
    """One-way, PSA, VOI and Sobol sheets when their outputs exist in the run folder."""
    oneway_sheet(wb, run_dir, summary)
    psa_sheets(wb, run_dir, summary)
    voi_sheet(wb, run_dir, summary)
    gsa_sheet(wb, run_dir, summary)
