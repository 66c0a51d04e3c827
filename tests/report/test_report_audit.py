"""The report workbook as an audit trail and an input file: the per-cycle sheets add up to the
Summary, every sheet is linked from Contents and set up for printing, and the run's
parameters.csv, the report's Inputs sheet and the live model are all read back by --inputs and
reproduce the run."""

import json
import math

import pandas as pd
import pytest
from openpyxl import load_workbook

from hecon.cli import main

BASE = ["run", "--analyses", "base", "--quiet"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("audit") / "r"
    assert main([*BASE, "--out", str(out)]) == 0
    return out


def _summary(folder):
    return json.loads((folder / "summary.json").read_text())["country_sets"]


@pytest.mark.parametrize("source", ["parameters.csv", "hecon_report.xlsx", "hecon_model.xlsx"])
def test_inputs_round_trip(run_dir, tmp_path, source):
    """Each file the run wrote is a parameter table that reproduces the run to 1e-9."""
    out = tmp_path / "again"
    assert main([*BASE, "--inputs", str(run_dir / source), "--out", str(out)]) == 0
    a, b = _summary(run_dir), _summary(out)
    assert set(a) == set(b) == {"dk", "uk"}
    for c in a:
        for name, v in a[c]["strategies"].items():
            for k in ("cost", "qalys", "life_years"):
                assert b[c]["strategies"][name][k] == pytest.approx(v[k], rel=1e-9)
        assert b[c]["incremental"]["icer"] == pytest.approx(a[c]["incremental"]["icer"],
                                                            rel=1e-9)


def test_parameters_csv_in_input_columns(run_dir):
    p = pd.read_csv(run_dir / "parameters.csv")
    assert {"country", "name", "value", "unit", "distribution", "source"} <= set(p.columns)
    # plain distribution names, their parameters in their own columns
    assert set(p["distribution"]) <= {"fixed", "beta", "gamma", "lognormal", "normal",
                                      "uniform", "triangular", "dirichlet"}
    beta = p[p["distribution"] == "beta"]
    assert beta[["alpha", "beta"]].notna().all().all() or beta["se"].notna().any()


def _audit(ws):
    """Header row, Total row and the cycle rows of an audit sheet, as a DataFrame."""
    rows = list(ws.iter_rows(values_only=True))
    h = next(i for i, r in enumerate(rows) if r[0] == "Cycle")
    header = list(rows[h])
    assert rows[h + 1][0] == "Total"
    total = dict(zip(header, rows[h + 1], strict=False))
    body = pd.DataFrame([r[:len(header)] for r in rows[h + 2:]], columns=header)
    return total, body


def test_audit_sheets_add_up_to_the_summary(run_dir):
    s = _summary(run_dir)
    wb = load_workbook(run_dir / "hecon_report.xlsx")
    seen = 0
    for c, cs in s.items():
        for name, v in cs["strategies"].items():
            ws = wb[f"{c.upper()} {name}"[:31]]
            total, body = _audit(ws)
            seen += 1
            # a reader's sum of each column equals the Total row and the Summary
            for col, key in (("Total cost (discounted)", "cost"), ("QALYs (discounted)", "qalys"),
                             ("Life-years (discounted)", "life_years")):
                assert body[col].sum() == pytest.approx(v[key], rel=1e-9)
                assert total[col] == pytest.approx(v[key], rel=1e-9)
            # the categories add up to the total cost in every row
            cats = [k for k in body.columns if k.endswith("(discounted)")
                    and not k.startswith(("Total", "QALYs", "Life-years"))]
            assert len(cats) >= 5
            assert body[cats].sum(axis=1).to_numpy() == pytest.approx(
                body["Total cost (discounted)"].to_numpy(), rel=1e-9, abs=1e-9)
            # discount factors: by hand from the country's rate and the cycle's time
            cyc = body[body["Cycle"] > 0]
            assert (cyc["Discount factor for costs, start"] <= 1).all()
            assert (cyc["Counting weight, start of cycle"] + cyc["Counting weight, end of cycle"]
                    ).to_numpy() == pytest.approx(1.0)
            if c == "uk":  # flat 3.5% a year, factor at the cycle's start time
                t = cyc["Years from"].to_numpy()
                assert cyc["Discount factor for costs, start"].to_numpy() == pytest.approx(
                    1.035 ** -t, rel=1e-6) or cyc["Discount factor for costs, start"].to_numpy(
                ) == pytest.approx(1.035 ** -pd.Series(t).apply(math.floor).to_numpy(), rel=1e-9)
            # the shares of the states add up to one
            shares = [k for k in body.columns if str(k).startswith("Share in ")]
            assert cyc[shares].sum(axis=1).to_numpy() == pytest.approx(1.0, abs=1e-9)
            assert ws.print_title_rows and ws.freeze_panes and ws.auto_filter.ref
    assert seen == 4


def test_contents_links_every_sheet_and_chart(run_dir):
    wb = load_workbook(run_dir / "hecon_report.xlsx")
    ws = wb["Contents"]
    links = {c.hyperlink.location for row in ws.iter_rows() for c in row if c.hyperlink}
    for name in wb.sheetnames:
        if name != "Contents":
            assert f"'{name}'!A1" in links, name
    n_charts = sum(len(w._charts) for w in wb.worksheets)
    chart_links = [c for row in ws.iter_rows(min_col=3, max_col=3) for c in row if c.hyperlink]
    assert len(chart_links) == n_charts > 0


def test_every_sheet_is_set_up_for_printing(run_dir):
    wb = load_workbook(run_dir / "hecon_report.xlsx")
    for ws in wb.worksheets:
        # landscape, except the Brief: one portrait page per country set
        assert ws.page_setup.orientation == ("portrait" if ws.title == "Brief"
                                             else "landscape"), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToWidth == 1, ws.title
        assert "&P" in (ws.oddFooter.center.text or ""), ws.title
    assert wb["Inputs"].print_title_rows == "$1:$1" or wb["Inputs"].print_title_rows == "1:1"
    # Inputs: the sheet is a table with filter and frozen header, and no 16-digit display
    ws = wb["Inputs"]
    assert ws.auto_filter.ref and ws.freeze_panes
    header = [c.value for c in ws[1]]
    j = header.index("value") + 1
    units = header.index("unit") + 1
    for r in range(2, ws.max_row + 1):
        cell = ws.cell(row=r, column=j)
        assert cell.number_format != "General"
        unit = str(ws.cell(row=r, column=units).value)
        if unit.split(" ")[0] in ("DKK", "GBP"):
            assert f'"{unit.split(" ")[0]} "' in cell.number_format
    # descriptions wrap inside their own row
    d = header.index("description") + 1
    assert all(ws.cell(row=r, column=d).alignment.wrap_text for r in range(2, ws.max_row + 1))
