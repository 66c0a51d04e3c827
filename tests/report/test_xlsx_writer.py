"""hecon.report.xlsx_writer.save_workbook writes the same file as openpyxl's Workbook.save:
every part of the zip byte for byte (but the time stamps in docProps/core.xml), for a workbook
with every kind of cell and for the report workbook of a run with every analysis."""

import datetime
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.chart import LineChart, Reference
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.formula import ArrayFormula

from hecon.cli import main
from hecon.report.workbook import report_workbook
from hecon.report.xlsx_writer import save_workbook

STAMP = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:(created|modified)>")


def parts(path: Path) -> dict[str, bytes]:
    """Every part of an xlsx file, the creation and modification times taken out."""
    with zipfile.ZipFile(path) as z:
        out = {n: z.read(n) for n in z.namelist()}
    out["docProps/core.xml"] = STAMP.sub(b"", out["docProps/core.xml"])
    return out


def assert_same_file(make, tmp_path: Path) -> dict[str, bytes]:
    """Build the workbook twice (``make()``), save one with openpyxl and one with
    save_workbook; the parts must be identical, in the same order."""
    old, new = tmp_path / "old.xlsx", tmp_path / "new.xlsx"
    make().save(old)
    assert save_workbook(make(), new) == new
    a, b = parts(old), parts(new)
    assert list(a) == list(b)
    for name in a:
        assert a[name] == b[name], name
    return b


def every_kind_of_cell() -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "Cells & <sheet>"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE7F0")
    values = [
        1.5, -0.0, 0.1, 1e-20, 1e16, 123456789.123456789, 3, -7, 10**20, True, False,
        float("nan"), float("inf"), float("-inf"),
        "plain", "", " leading", "trailing ", "   ", "a < b & c > d \"q\" 'a'", "line\nbreak",
        "tab\there", "carriage\rreturn", "ünïcødé ✓ 中文", "]]>", "#N/A",
        "=SUM(A1:A3)", '=IF(A1<2,"<&>",A2)', "=", "=A1&\" \"&B1",
        datetime.datetime(2024, 5, 6, 7, 8, 9), datetime.date(2024, 1, 2),
        CellRichText([TextBlock(InlineFont(b=True), "bold"), " rest"]),
        None,
    ]
    for i, v in enumerate(values, start=1):
        c = ws.cell(row=i, column=1, value=v)
        if i % 3 == 0:
            c.font = bold
        if i % 4 == 0:
            c.fill, c.number_format = fill, '"DKK "#,##0;[Red]-"DKK "#,##0'
        if i % 5 == 0:
            c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(row=i, column=3, value=i * 0.25).number_format = "0.000"
    ws.cell(row=2, column=2).font = bold  # styled, no value
    ws.cell(row=3, column=2)  # neither: not written
    ws["E1"] = "#DIV/0!"  # an error value
    ws["E2"] = ArrayFormula("E2:E3", "=A1:A2*2")
    ws["F1"] = "link"
    ws["F1"].hyperlink = "https://example.org/a?b=1&c=2"
    ws["F2"] = "inside"
    ws["F2"].hyperlink = "#'Cells & <sheet>'!A1"
    ws["G1"] = "note"
    ws["G1"].comment = Comment("a comment & <more>", "hecon")
    ws.row_dimensions[5].height = 40
    ws.row_dimensions[60].height = 20  # a styled row with no cells
    ws.merge_cells("H1:I2")
    ws.freeze_panes = "B2"
    ws.column_dimensions["A"].width = 30
    ch = LineChart()
    ch.add_data(Reference(ws, min_col=3, min_row=1, max_row=10))
    ws.add_chart(ch, "K2")
    ws2 = wb.create_sheet("Second")
    for r in range(1, 200):
        for c in range(1, 12):
            ws2.cell(row=r, column=c, value=r * c / 7 if c % 2 else f"t{r}-{c}")
    ws2.print_title_rows = "1:1"
    return wb


def test_every_kind_of_cell_is_written_as_openpyxl_writes_it(tmp_path):
    written = assert_same_file(every_kind_of_cell, tmp_path)
    assert "xl/comments/comment1.xml" in written  # the cell comment went through
    wb = load_workbook(tmp_path / "new.xlsx")
    ws = wb["Cells & <sheet>"]
    assert ws["A1"].value == 1.5 and ws["A10"].value is True
    assert ws["A20"].value == "a < b & c > d \"q\" 'a'"
    assert ws["A28"].value == '=IF(A1<2,"<&>",A2)'
    assert ws["A31"].value == datetime.datetime(2024, 5, 6, 7, 8, 9)
    assert ws["F1"].hyperlink.target == "https://example.org/a?b=1&c=2"


def test_write_only_and_read_only_workbooks(tmp_path):
    def make() -> Workbook:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("W")
        for r in range(20):
            ws.append([r, r / 3, f"row {r}", "=A1*2"])
        return wb

    assert_same_file(make, tmp_path)
    with pytest.raises(TypeError):
        save_workbook(load_workbook(tmp_path / "new.xlsx", read_only=True), tmp_path / "x.xlsx")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "r"
    assert main(["run", "--analyses", "base,scenarios,oneway,psa,voi,gsa,budget", "--draws",
                 "300", "--sobol-n", "32", "--quiet", "--seed", "5", "--out", str(out)]) == 0
    return out


def test_report_workbook_is_the_file_openpyxl_writes(run_dir, tmp_path):
    written = assert_same_file(lambda: report_workbook(run_dir), tmp_path)
    sheets = [n for n in written if n.startswith("xl/worksheets/sheet")]
    assert len(sheets) >= 15 and any(n.startswith("xl/charts/") for n in written)
    # the file the run wrote is the same workbook (it was saved with save_workbook)
    ran = parts(run_dir / "hecon_report.xlsx")
    assert [n for n in ran if n.startswith("xl/worksheets/")] == \
        [n for n in written if n.startswith("xl/worksheets/")]
