"""A live Excel formula model of the DanGer Shock base case (``hecon_model.xlsx``).

The workbook re-computes the flagship's base case in plain worksheet formulas, so an assessor
can change an input and watch the results move, and trace every total back to its inputs:

* ``Inputs``: every parameter of each country set (value, unit, distribution, range and source)
  and every setting (cycle length, acute phase, horizon, discounting, thresholds, counting
  weights). Each value is a workbook-level defined name ``<country>_<parameter>``
  (e.g. ``dk_c_device``). The sheet is also a parameter table ``hecon run --inputs`` reads.
* ``Life table <country>``: the general-population hazards by single year of age and sex and
  their cumulative sums (the exact piecewise-constant cumulative hazard).
* ``Acute <country>``: the acute decision tree (randomisation to 180 days) rolled back per arm.
* ``<country> <arm> <sex>``: the monthly Markov trace from 180 days with, per cycle, the
  general-population hazard, SMR, hazard ratio, transition probabilities, state membership,
  counting weights, discount factor, costs by category, QALYs and life-years.
* ``Results``: totals per arm (acute tree + the sex-weighted Markov totals), increments, ICER,
  net monetary benefit and the threshold device price, as defined names
  ``<country>_<strategy>_cost`` ... ``<country>_icer``, ``<country>_threshold_price``.

No macros, no external links; one formula pattern per column. The formulas follow
docs/model.md, and the tests recalculate the workbook (LibreOffice headless) and compare every
result name with the Python engine to 1e-6 relative. Only the base-case configuration is
written in formulas (hybrid structure, payer perspective, the country's discounting, life-table
counting with the discount factor at the start of each cycle); scenarios that change the
structure are run in Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.worksheet import Worksheet

from hecon.errors import InputError
from hecon.io_safe import atomic_write, neutralise
from hecon.models.danger_shock.model import DangerShockModel
from hecon.models.danger_shock.structure import ACUTE_YEARS, MAX_AGE, n_long_term_cycles
from hecon.report.xlsx_writer import save_workbook

ARM_KEYS = {"impella": "Impella CP + standard care", "soc": "Standard care"}
SEXES = {"male": "men", "female": "women"}
SEGMENTS = 3  # discount schedule segments written (unused ones have rate 0 and start 1E+6)
INPUT_COLUMNS = ("country", "name", "description", "value", "unit", "distribution", "se",
                 "ci_low", "ci_high", "alpha", "beta", "shape", "scale", "meanlog", "sdlog",
                 "min", "max", "mode", "group", "low", "high", "source")
HEAD = Font(bold=True, color="FFFFFF")
FILL = PatternFill("solid", fgColor="1F4E78")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
TITLE = Font(bold=True, size=14)


def supported(model: DangerShockModel) -> str | None:
    """Why this configuration cannot be written as a formula model (None if it can)."""
    cfg = model.config
    checks = {
        "structure": ("hybrid", cfg.structure),
        "perspective": ("payer", cfg.perspective),
        "counting": ("life-table", cfg.counting),
        "timing": ("start", cfg.timing),
        "effect_duration": ("averaged", cfg.effect_duration),
        "utility_source": ("base", cfg.utility_source),
    }
    for key, (want, got) in checks.items():
        if got != want:
            return f"setting {key!r} is {got!r}; the live Excel model covers {want!r} only"
    if cfg.horizon_years is not None:
        return "the live Excel model covers the lifetime horizon only"
    return None


# ----------------------------------------------------------------------------- helpers
def _name(wb: Workbook, name: str, sheet: str, ref: str) -> None:
    wb.defined_names[name] = DefinedName(name, attr_text=f"'{sheet}'!{ref}")


def _abs(col: int, row: int) -> str:
    return f"${get_column_letter(col)}${row}"


def _header(ws: Worksheet, row: int, labels: list[str]) -> None:
    for j, text in enumerate(labels, start=1):
        c = ws.cell(row, j, text)
        c.font, c.fill = HEAD, FILL
        c.alignment = Alignment(wrap_text=True, vertical="top")


def _page(ws: Worksheet, title_rows: str | None = None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.center.text = "&A - page &P of &N"
    if title_rows:
        ws.print_title_rows = title_rows


# ------------------------------------------------------------------------------ Inputs
def _settings_rows(model: DangerShockModel) -> list[tuple[str, str, float, str, str]]:
    """(name, label, value, unit, source) of every setting the formulas use."""
    cfg, c = model.config, model.country
    dt = cfg.cycle_days / 365.25
    d = model.settings().discount_costs
    rows = [
        ("cycle_years", "Cycle length", dt, "years", f"{cfg.cycle_days:g} days / 365.25"),
        ("acute_years", "Acute phase (decision tree) duration", ACUTE_YEARS, "years",
         "180 days / 365.25: the trial's primary end point"),
        ("max_age", "Lifetime horizon: age at which the model stops", MAX_AGE, "years",
         "docs/model.md"),
        ("waning_start", "Effect beyond follow-up, 'wanes': log hazard ratio full until year",
         float(cfg.waning_start_years), "years", "docs/model.md (structural assumption)"),
        ("waning_end", "Effect beyond follow-up, 'wanes': log hazard ratio zero from year",
         float(cfg.waning_end_years), "years", "docs/model.md (structural assumption)"),
        ("weight_start", "Counting weight on membership at the start of a cycle", 0.5,
         "weight", "life-table counting (docs/conventions.md)"),
        ("weight_end", "Counting weight on membership at the end of a cycle", 0.5,
         "weight", "life-table counting (docs/conventions.md)"),
    ]
    if d.method != "discrete":
        raise InputError("the live Excel model writes discrete discounting only")
    starts = list(d.starts) + [1e6] * (SEGMENTS - len(d.starts))
    rates = list(d.rates) + [0.0] * (SEGMENTS - len(d.rates))
    if len(d.starts) > SEGMENTS:
        raise InputError(f"the live Excel model writes at most {SEGMENTS} discount segments")
    for i in range(SEGMENTS):
        used = i < len(d.starts)
        rows.append((f"disc_start_{i + 1}", f"Discounting: segment {i + 1} starts at year",
                     starts[i], "years", c.discount_source if used else "not used"))
        rows.append((f"disc_rate_{i + 1}", f"Discounting: rate in segment {i + 1}", rates[i],
                     "rate per year", c.discount_source if used else "not used"))
    for i, w in enumerate(c.wtp):
        rows.append((f"wtp_{i + 1}", f"Willingness to pay per QALY ({i + 1})", float(w),
                     f"{c.currency} per QALY", c.wtp_source))
    return rows


def _inputs_sheet(wb: Workbook, models: Mapping[str, DangerShockModel]) -> Worksheet:
    """Every parameter of every country set, in the input table's columns (readable by
    ``hecon run --inputs``), each value a defined name ``<country>_<parameter>``."""
    ws = wb.active
    ws.title = "Inputs"
    _header(ws, 1, [*INPUT_COLUMNS, "defined_name"])
    row = 2
    for key, model in models.items():
        base = model.prepare(model.base_design())
        for p in model.table:
            cells = {"country": key, **p.input_row(),
                     "value": float(np.asarray(base[p.name])[0])}
            for j, col in enumerate(INPUT_COLUMNS, start=1):
                v = cells.get(col)
                if v is not None:
                    ws.cell(row, j, neutralise(v))  # user text never runs as a formula
            name = f"{key}_{p.name}"
            ws.cell(row, len(INPUT_COLUMNS) + 1, name)
            ws.cell(row, 4).fill = INPUT_FILL
            _name(wb, name, "Inputs", _abs(4, row))
            row += 1
    widths = {"country": 8, "name": 28, "description": 50, "value": 14, "unit": 16,
              "distribution": 12, "group": 10, "source": 70, "defined_name": 34}
    for j, col in enumerate([*INPUT_COLUMNS, "defined_name"], start=1):
        ws.column_dimensions[get_column_letter(j)].width = widths.get(col, 9)
    for r in range(2, row):
        for j in (3, len(INPUT_COLUMNS)):
            ws.cell(r, j).alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(INPUT_COLUMNS) + 1)}{row - 1}"
    _page(ws, "1:1")
    return ws


def _settings_sheet(wb: Workbook, models: Mapping[str, DangerShockModel]) -> None:
    """The settings the formulas use, each a defined name ``<country>_<setting>``."""
    ws = wb.create_sheet("Settings")
    _header(ws, 1, ["country", "setting", "description", "value", "unit", "source"])
    row = 2
    for key, model in models.items():
        for name, label, value, unit, source in _settings_rows(model):
            for j, v in enumerate((key, name, label, value, unit, source), start=1):
                ws.cell(row, j, neutralise(v))
            ws.cell(row, 4).fill = INPUT_FILL
            _name(wb, f"{key}_{name}", "Settings", _abs(4, row))
            row += 1
    for col, w in zip("ABCDEF", (8, 16, 52, 14, 16, 70), strict=True):
        ws.column_dimensions[col].width = w
    ws.freeze_panes = "A2"
    _page(ws, "1:1")


# ------------------------------------------------------------------------- life table
def _life_table_sheet(wb: Workbook, key: str, model: DangerShockModel) -> None:
    lt = model.country.life_table
    ws = wb.create_sheet(f"Life table {key}")
    ws["A1"] = f"General-population mortality: {model.country.life_table_source}"
    ws["A1"].font = Font(bold=True)
    ws["A2"] = ("Hazard per year by single year of age (piecewise constant); cumulative hazard "
                "from the first age to the start of each age.")
    _header(ws, 4, ["age", "hazard, men", "hazard, women", "cumulative hazard to this age, men",
                    "cumulative hazard to this age, women"])
    first = 5
    n = lt.ages.size
    for i, age in enumerate(lt.ages):
        r = first + i
        ws.cell(r, 1, int(age))
        ws.cell(r, 2, float(lt.rates["male"][i]))
        ws.cell(r, 3, float(lt.rates["female"][i]))
        if i == 0:
            ws.cell(r, 4, 0.0)
            ws.cell(r, 5, 0.0)
        else:
            ws.cell(r, 4, f"=D{r - 1}+B{r - 1}")
            ws.cell(r, 5, f"=E{r - 1}+C{r - 1}")
    last = first + n - 1
    sheet = ws.title
    _name(wb, f"{key}_lt_first_age", sheet, _abs(1, first))
    _name(wb, f"{key}_lt_rows", sheet, "$G$5")
    ws["F5"], ws["G5"] = "rows", n
    _name(wb, f"{key}_lt_h_male", sheet, f"$B${first}:$B${last}")
    _name(wb, f"{key}_lt_h_female", sheet, f"$C${first}:$C${last}")
    _name(wb, f"{key}_lt_cum_male", sheet, f"$D${first}:$D${last}")
    _name(wb, f"{key}_lt_cum_female", sheet, f"$E${first}:$E${last}")
    for col, w in zip("ABCDE", (8, 14, 14, 22, 22), strict=True):
        ws.column_dimensions[col].width = w
    ws.freeze_panes = "A5"
    _page(ws, "4:4")


# ------------------------------------------------------------------------------ acute
ACUTE_ROWS = [
    ("p_death", "Probability of death by 180 days", "={c}_p_death_180_{a}"),
    ("p_safety", "Probability of a composite safety event", "={c}_p_safety_{a}"),
    ("p_rrt", "Probability of acute renal-replacement therapy", "={c}_p_rrt_{a}"),
    ("hazard", "Weibull acute cumulative hazard to 180 days, c = -ln(1 - p)",
     "=-LN(1-{r[p_death]})"),
    ("dec_years", "Mean years alive of those who die by 180 days (Weibull, shape k): "
     "(T Gamma(1/k) P(1/k, c) / (k c^(1/k)) - T (1 - p)) / p",
     "=IF({r[p_death]}<1E-9,{c}_acute_years*{c}_shape_acute_death/({c}_shape_acute_death+1),"
     "IF({r[p_death]}>=1,0,({c}_acute_years*EXP(GAMMALN(1/{c}_shape_acute_death))"
     "*GAMMADIST({r[hazard]},1/{c}_shape_acute_death,1,TRUE)"
     "/({c}_shape_acute_death*{r[hazard]}^(1/{c}_shape_acute_death))"
     "-{c}_acute_years*(1-{r[p_death]}))/{r[p_death]}))"),
    ("icu_x", "Intensive-care days relative to standard care", None),
    ("cost_device", "Cost: device (pump and system share) and implantation", None),
    ("cost_adverse_events", "Cost: adverse (safety) events", "={r[p_safety]}*{c}_c_safety_event"),
    ("cost_acute_rrt", "Cost: acute renal-replacement therapy", "={r[p_rrt]}*{c}_c_rrt_acute"),
    ("cost_index_hospitalisation", "Cost: index hospital stay",
     "={r[p_death]}*({r[icu_x]}*{c}_icu_days_decedent*{c}_c_icu_day"
     "+{c}_ward_days_decedent*{c}_c_ward_day)"
     "+(1-{r[p_death]})*({r[icu_x]}*{c}_icu_days_survivor*{c}_c_icu_day"
     "+{c}_ward_days_survivor*{c}_c_ward_day)"),
    ("life_years", "Life-years in the acute phase",
     "={r[p_death]}*{r[dec_years]}+(1-{r[p_death]})*{c}_acute_years"),
    ("qalys", "QALYs in the acute phase",
     "={r[life_years]}*{c}_u_acute-{r[p_safety]}*{c}_du_safety_event"),
    ("share_dead", "Share dead at 180 days", "={r[p_death]}"),
    ("share_dialysis", "Share alive and dialysis-dependent at 180 days",
     "=(1-{r[p_death]})*{r[p_rrt]}*{c}_p_dialysis_dependent"),
    ("share_post_shock", "Share alive, not on dialysis, at 180 days",
     "=(1-{r[p_death]})-{r[share_dialysis]}"),
]


def _acute_sheet(wb: Workbook, key: str) -> dict[str, dict[str, str]]:
    """The acute tree rolled back per arm; returns {arm: {row key: absolute reference}}."""
    ws = wb.create_sheet(f"Acute {key}")
    ws["A1"] = "Acute phase: randomisation to 180 days (decision tree rolled back, time 0)"
    ws["A1"].font = Font(bold=True)
    ws["A2"] = ("Safety events, acute RRT and death by 180 days are independent within an arm; "
                "costs and QALYs of the acute phase are counted at time 0 (undiscounted).")
    _header(ws, 4, ["quantity", *ARM_KEYS.values()])
    refs: dict[str, dict[str, str]] = {a: {} for a in ARM_KEYS}
    for i, (rk, _, _) in enumerate(ACUTE_ROWS):
        for j, a in enumerate(ARM_KEYS):
            refs[a][rk] = f"'{ws.title}'!{_abs(2 + j, 5 + i)}"
    for i, (rk, label, pattern) in enumerate(ACUTE_ROWS):
        r = 5 + i
        ws.cell(r, 1, label)
        for j, a in enumerate(ARM_KEYS):
            local = {k: _abs(2 + j, 5 + ACUTE_ROWS.index(next(x for x in ACUTE_ROWS
                                                              if x[0] == k)))
                     for k, _, _ in ACUTE_ROWS}
            if rk == "cost_device":
                f = (f"={key}_c_device+{key}_c_implant+{key}_c_device_system"
                     if a == "impella" else "=0")
            elif rk == "icu_x":
                f = f"={key}_icu_days_ratio_impella" if a == "impella" else "=1"
            else:
                f = pattern.format(c=key, a=a, r=local)
            ws.cell(r, 2 + j, f)
    ws.column_dimensions["A"].width = 62
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 24
    _page(ws, "4:4")
    return refs


# ------------------------------------------------------------------------------ Markov
MARKOV_COLUMNS = [
    ("k", "cycle"),
    ("since", "years since randomisation at cycle start"),
    ("age", "age at cycle start"),
    ("row0", "life-table row at cycle start"),
    ("H0", "cumulative population hazard at cycle start"),
    ("row1", "life-table row at cycle end"),
    ("H1", "cumulative population hazard at cycle end"),
    ("h_gp", "population hazard (cycle average, per year)"),
    ("smr", "excess mortality (SMR)"),
    ("hr", "treatment hazard ratio after 180 days"),
    ("h_post", "post-shock hazard (per year)"),
    ("q_post", "P(death) post-shock this cycle"),
    ("h_dial", "dialysis hazard (per year)"),
    ("q_dial", "P(death) on dialysis this cycle"),
    ("post0", "post-shock at cycle start"),
    ("dial0", "dialysis at cycle start"),
    ("post1", "post-shock at cycle end"),
    ("dial1", "dialysis at cycle end"),
    ("uf", "utility age factor: population EQ-5D at this age / at 180 days"),
    ("dead1", "dead at cycle end (incl. acute deaths)"),
    ("wa", "counting weight, cycle start"),
    ("wb", "counting weight, cycle end"),
    ("disc", "discount factor (cycle start)"),
    ("m_post", "post-shock counted"),
    ("m_dial", "dialysis counted"),
    ("c_fu", "follow-up cost (undiscounted)"),
    ("c_dial", "dialysis cost (undiscounted)"),
    ("q", "QALYs (undiscounted)"),
    ("ly", "life-years (undiscounted)"),
    ("dc_fu", "follow-up cost (discounted)"),
    ("dc_dial", "dialysis cost (discounted)"),
    ("dq", "QALYs (discounted)"),
    ("dly", "life-years (discounted)"),
]
COL = {k: get_column_letter(i + 1) for i, (k, _) in enumerate(MARKOV_COLUMNS)}
COL_INDEX = {k: i + 1 for i, (k, _) in enumerate(MARKOV_COLUMNS)}
TOTALS = ("c_fu", "c_dial", "q", "ly", "dc_fu", "dc_dial", "dq", "dly")
FIRST = 8  # first data row of a Markov sheet


def _markov_formulas(c: str, arm: str, sex: str, r: int, acute: Mapping[str, str]) -> dict:
    """The formula of every column in row ``r`` (one pattern per column)."""
    L = COL  # noqa: N806 - column letters
    prev = r - 1
    first = r == FIRST
    lt = f"{c}_lt_"
    male = 1 if sex == "male" else 0
    since = f"{L['since']}{r}"
    # the landmark HR within the observed follow-up; beyond it the draw's structure (stops /
    # wanes / persists, docs/model.md); 1 in standard care
    hr = "1" if arm != "impella" else (
        f"IF({since}<{c}_followup_max_years,{c}_hr_death_longterm,"
        f"IF({c}_effect_structure_draw<{c}_weight_effect_stops,1,"
        f"IF({c}_effect_structure_draw<{c}_weight_effect_stops+{c}_weight_effect_wanes,"
        f"EXP((1-MIN(MAX(({since}-{c}_waning_start)/({c}_waning_end-{c}_waning_start),0),1))"
        f"*LN({c}_hr_death_longterm)),{c}_hr_death_longterm)))")
    return {
        "k": f"={r - FIRST + 1}" if first else f"={L['k']}{prev}+1",
        "since": f"={c}_acute_years+({L['k']}{r}-1)*{c}_cycle_years",
        "age": f"={c}_age+{L['since']}{r}",
        "row0": f"=MIN(MAX(INT({L['age']}{r}-{lt}first_age),0),{lt}rows-1)",
        "H0": f"=INDEX({lt}cum_{sex},{L['row0']}{r}+1)+INDEX({lt}h_{sex},{L['row0']}{r}+1)"
              f"*({L['age']}{r}-{lt}first_age-{L['row0']}{r})",
        "row1": f"=MIN(MAX(INT({L['age']}{r}+{c}_cycle_years-{lt}first_age),0),{lt}rows-1)",
        "H1": f"=INDEX({lt}cum_{sex},{L['row1']}{r}+1)+INDEX({lt}h_{sex},{L['row1']}{r}+1)"
              f"*({L['age']}{r}+{c}_cycle_years-{lt}first_age-{L['row1']}{r})",
        "h_gp": f"=({L['H1']}{r}-{L['H0']}{r})/{c}_cycle_years",
        "smr": f"=IF({L['since']}{r}<1,{c}_smr_year1,{c}_smr_after_year1)",
        "hr": f"={hr}",
        "h_post": f"={L['h_gp']}{r}*{L['smr']}{r}*{L['hr']}{r}",
        "q_post": f"=1-EXP(-{L['h_post']}{r}*{c}_cycle_years)",
        "h_dial": f"=MAX({c}_rate_death_dialysis,{L['h_post']}{r})",
        "q_dial": f"=1-EXP(-{L['h_dial']}{r}*{c}_cycle_years)",
        "post0": f"={acute['share_post_shock']}" if first else f"={L['post1']}{prev}",
        "dial0": f"={acute['share_dialysis']}" if first else f"={L['dial1']}{prev}",
        "post1": f"={L['post0']}{r}*(1-{L['q_post']}{r})",
        "dial1": f"={L['dial0']}{r}*(1-{L['q_dial']}{r})",
        "dead1": f"=1-{L['post1']}{r}-{L['dial1']}{r}",
        "wa": f"={c}_weight_start",
        "wb": f"={c}_weight_end",
        "disc": (f"=(1+{c}_disc_rate_1)^-(MIN({L['since']}{r},{c}_disc_start_2)-{c}_disc_start_1)"
                 f"*(1+{c}_disc_rate_2)^-MAX(0,MIN({L['since']}{r},{c}_disc_start_3)"
                 f"-{c}_disc_start_2)"
                 f"*(1+{c}_disc_rate_3)^-MAX(0,{L['since']}{r}-{c}_disc_start_3)"),
        "m_post": f"={L['wa']}{r}*{L['post0']}{r}+{L['wb']}{r}*{L['post1']}{r}",
        "m_dial": f"={L['wa']}{r}*{L['dial0']}{r}+{L['wb']}{r}*{L['dial1']}{r}",
        "c_fu": f"=IF({L['since']}{r}<1,{c}_c_followup_year1,{c}_c_followup_annual)"
                f"*{c}_cycle_years*({L['m_post']}{r}+{L['m_dial']}{r})",
        "c_dial": f"={c}_c_dialysis_annual*{c}_cycle_years*{L['m_dial']}{r}",
        "uf": f"=({c}_u_norm_intercept+{c}_u_norm_male*{male}+{c}_u_norm_age*{L['age']}{r}"
              f"+{c}_u_norm_age2*{L['age']}{r}^2)/({c}_u_norm_intercept+{c}_u_norm_male*{male}"
              f"+{c}_u_norm_age*({c}_age+{c}_acute_years)"
              f"+{c}_u_norm_age2*({c}_age+{c}_acute_years)^2)",
        "q": f"=({c}_u_post_shock_base*{L['m_post']}{r}+{c}_u_dialysis*{L['m_dial']}{r})"
             f"*{L['uf']}{r}*{c}_cycle_years",
        "ly": f"=({L['m_post']}{r}+{L['m_dial']}{r})*{c}_cycle_years",
        "dc_fu": f"={L['disc']}{r}*{L['c_fu']}{r}",
        "dc_dial": f"={L['disc']}{r}*{L['c_dial']}{r}",
        "dq": f"={L['disc']}{r}*{L['q']}{r}",
        "dly": f"={L['disc']}{r}*{L['ly']}{r}",
    }


def _markov_sheet(wb: Workbook, key: str, arm: str, sex: str, n_cycles: int,
                  acute: Mapping[str, str]) -> dict[str, str]:
    """One arm and sex; returns {total key: absolute reference of its sum}."""
    ws = wb.create_sheet(f"{key} {arm} {SEXES[sex]}")
    ws["A1"] = (f"{ARM_KEYS[arm]}, {SEXES[sex]}: monthly Markov model from 180 days to age "
                f"{MAX_AGE:g} ({n_cycles} cycles)")
    ws["A1"].font = Font(bold=True)
    ws["A2"] = ("post-shock -> dead: population hazard x SMR x HR; dialysis -> dead: "
                "max(dialysis mortality, post-shock hazard). Counted membership = weight at "
                "start x start + weight at end x end; rewards x discount factor.")
    ws["A4"] = "Totals"
    ws["A4"].font = Font(bold=True)
    last = FIRST + n_cycles - 1
    out = {}
    for t in TOTALS:
        col = COL[t]
        ws[f"{col}4"] = f"=SUM({col}{FIRST}:{col}{last})"
        ws[f"{col}4"].font = Font(bold=True)
        out[t] = f"'{ws.title}'!${col}$4"
    _header(ws, FIRST - 1, [label for _, label in MARKOV_COLUMNS])
    ws.row_dimensions[FIRST - 1].height = 60
    for r in range(FIRST, last + 1):
        for k, f in _markov_formulas(key, arm, sex, r, acute).items():
            ws.cell(r, COL_INDEX[k], f)
    for i in range(len(MARKOV_COLUMNS)):
        ws.column_dimensions[get_column_letter(i + 1)].width = 12
    ws.freeze_panes = f"D{FIRST}"
    _page(ws, f"{FIRST - 1}:{FIRST - 1}")
    return out


# ----------------------------------------------------------------------------- Results
RESULT_ROWS = [
    ("cost_device", "Cost: device and implantation"),
    ("cost_adverse_events", "Cost: adverse (safety) events"),
    ("cost_acute_rrt", "Cost: acute renal-replacement therapy"),
    ("cost_index_hospitalisation", "Cost: index hospital stay"),
    ("cost_follow_up", "Cost: follow-up (discounted)"),
    ("cost_dialysis", "Cost: chronic dialysis (discounted)"),
    ("cost", "Total cost (discounted)"),
    ("qalys", "QALYs (discounted)"),
    ("life_years", "Life-years (discounted)"),
]


def _results_sheet(wb: Workbook, models: Mapping[str, DangerShockModel],
                   acute: Mapping[str, Mapping[str, Mapping[str, str]]],
                   markov: Mapping[tuple[str, str, str], Mapping[str, str]]) -> Worksheet:
    ws = wb.create_sheet("Results", 1)
    ws["A1"] = "Results of the live formula model (base case)"
    ws["A1"].font = TITLE
    ws["A2"] = ("Every number below is a formula of the Inputs sheet; change a yellow input "
                "cell there and these results follow. Defined names: <country>_<strategy>_cost,"
                " _qalys, _life_years, <country>_inc_cost, _inc_qalys, _icer, _threshold_price.")
    ws["A2"].alignment = Alignment(wrap_text=True)
    ws.merge_cells("A2:E2")
    ws.row_dimensions[2].height = 45
    row = 4
    for key, model in models.items():
        cur = model.country.currency
        ws.cell(row, 1, model.country.label).font = Font(bold=True, size=12)
        row += 1
        _header(ws, row, ["quantity", *ARM_KEYS.values(), "difference"])
        row += 1
        refs: dict[str, dict[str, str]] = {}
        for rk, label in RESULT_ROWS:
            ws.cell(row, 1, label)
            for j, arm in enumerate(ARM_KEYS):
                a = acute[key][arm]
                m, f = markov[(key, arm, "male")], markov[(key, arm, "female")]
                ms = f"{key}_male_share"

                def mix(t: str, m=m, f=f, ms=ms) -> str:
                    return f"{ms}*{m[t]}+(1-{ms})*{f[t]}"

                col = 2 + j
                if rk.startswith("cost_") and rk in a:
                    fml = f"={a[rk]}"
                elif rk == "cost_follow_up":
                    fml = f"={mix('dc_fu')}"
                elif rk == "cost_dialysis":
                    fml = f"={mix('dc_dial')}"
                elif rk == "cost":
                    first = row - 6
                    fml = f"=SUM({get_column_letter(col)}{first}:{get_column_letter(col)}{row - 1})"
                elif rk == "qalys":
                    fml = f"={a['qalys']}+{mix('dq')}"
                else:
                    fml = f"={a['life_years']}+{mix('dly')}"
                ws.cell(row, col, fml)
                refs.setdefault(arm, {})[rk] = _abs(col, row)
                if rk in ("cost", "qalys", "life_years"):
                    _name(wb, f"{key}_{arm}_{rk}", "Results", _abs(col, row))
            ws.cell(row, 4, f"=B{row}-C{row}")
            if rk.startswith("cost"):
                for col in (2, 3, 4):
                    ws.cell(row, col).number_format = f'#,##0 "{cur}"'
            else:
                for col in (2, 3, 4):
                    ws.cell(row, col).number_format = "0.0000"
            row += 1
        row += 1
        lines = [
            ("inc_cost", "Incremental cost", f"={refs['impella']['cost']}-{refs['soc']['cost']}",
             f'#,##0 "{cur}"'),
            ("inc_qalys", "Incremental QALYs",
             f"={refs['impella']['qalys']}-{refs['soc']['qalys']}", "0.0000"),
            ("inc_life_years", "Incremental life-years",
             f"={refs['impella']['life_years']}-{refs['soc']['life_years']}", "0.0000"),
            ("icer", "Incremental cost per QALY gained (ICER)",
             f"=IF({key}_inc_qalys>0,{key}_inc_cost/{key}_inc_qalys,NA())",
             f'#,##0 "{cur}"'),
        ]
        for w_i, w in enumerate(model.country.wtp, start=1):
            lines.append((f"inmb_{w_i}", f"Incremental net monetary benefit at {cur} {w:,.0f} "
                          "per QALY", f"={key}_wtp_{w_i}*{key}_inc_qalys-{key}_inc_cost",
                          f'#,##0 "{cur}"'))
        lines.append(("threshold_price",
                      f"Device price at which the pump is cost-effective at {cur} "
                      f"{model.country.wtp[0]:,.0f} per QALY",
                      f"={key}_c_device+{key}_wtp_1*{key}_inc_qalys-{key}_inc_cost",
                      f'#,##0 "{cur}"'))
        for nm, label, fml, fmt in lines:
            ws.cell(row, 1, label)
            c = ws.cell(row, 2, fml)
            c.number_format = fmt
            c.font = Font(bold=True)
            _name(wb, f"{key}_{nm}", "Results", _abs(2, row))
            row += 1
        row += 2
    ws.column_dimensions["A"].width = 64
    for col in "BCD":
        ws.column_dimensions[col].width = 22
    _page(ws)
    return ws


def _readme_sheet(wb: Workbook, models: Mapping[str, DangerShockModel]) -> None:
    ws = wb.create_sheet("Read me", 0)
    ws["A1"] = "hecon live formula model: Impella CP + standard care vs standard care"
    ws["A1"].font = TITLE
    lines = [
        "This workbook recomputes the hecon base case in worksheet formulas. It has no macros "
        "and no links to other files.",
        "To change an input: edit its yellow value cell on the Inputs sheet (each is a defined "
        "name such as dk_c_device); Excel or LibreOffice recalculates Results at once.",
        "The same file is a parameter table: 'hecon run --inputs hecon_model.xlsx --country "
        "dk' reads the Inputs sheet's rows (value, distribution and source columns) for that "
        "country, so Python and Excel can be compared after any change.",
        "Sheets: Inputs; Results; Acute <country> (the 180-day decision tree per arm); "
        "<country> <arm> <men|women> (the monthly Markov trace with every per-cycle quantity); "
        "Life table <country>.",
        "Covered: the base-case configuration (hybrid tree -> Markov, payer perspective, "
        "lifetime horizon, the country's discounting, life-table counting). Scenarios that "
        "change the structure run in Python (hecon scenarios).",
        "Lowering the age adds cycles to the lifetime horizon: the Markov sheets hold the rows "
        "of the age they were written for; regenerate with 'hecon excel' after changing age.",
    ]
    for i, text in enumerate(lines, start=3):
        c = ws.cell(i, 1, text)
        c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[i].height = 48
    ws.column_dimensions["A"].width = 110
    _page(ws)


# ------------------------------------------------------------------------------- build
def build_excel_model(path: str | Path, models: Mapping[str, DangerShockModel]) -> Path:
    """Write the live formula model of the given country sets' base cases to ``path``.

    ``models`` maps a country key (``dk``, ``uk``) to its built :class:`DangerShockModel`
    (default or user inputs). Raises :class:`InputError` for a configuration the formula model
    does not cover (see :func:`supported`).
    """
    wb = excel_model_workbook(models)
    return atomic_write(path, lambda tmp: save_workbook(wb, tmp))


def excel_model_workbook(models: Mapping[str, DangerShockModel]) -> Workbook:
    """The live formula model's workbook, not yet saved (:func:`build_excel_model`)."""
    for key, model in models.items():
        why = supported(model)
        if why:
            raise InputError(f"cannot write the live Excel model for {key!r}: {why}")
    wb = Workbook()
    _inputs_sheet(wb, models)
    _settings_sheet(wb, models)
    acute: dict[str, Any] = {}
    markov: dict[tuple[str, str, str], dict[str, str]] = {}
    for key, model in models.items():
        _life_table_sheet(wb, key, model)
        acute[key] = _acute_sheet(wb, key)
        n = n_long_term_cycles(model.config, model.start_age)
        for arm in ARM_KEYS:
            for sex in SEXES:
                markov[(key, arm, sex)] = _markov_sheet(wb, key, arm, sex, n, acute[key][arm])
    _results_sheet(wb, models, acute, markov)
    _readme_sheet(wb, models)
    wb.calculation.fullCalcOnLoad = True
    return wb
