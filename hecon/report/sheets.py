"""Small openpyxl helpers: tables with formats, frozen headers, widths and native charts."""

from __future__ import annotations

from collections.abc import Sequence
from copy import copy
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, Reference, ScatterChart, Series
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from hecon.io_safe import neutralise

HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)


def money_format(currency: str) -> str:
    """Excel number format for a currency amount, e.g. '"DKK "#,##0'."""
    return f'"{currency} "#,##0;[Red]-"{currency} "#,##0'


QALY_FORMAT = "0.000"
PROB_FORMAT = "0.000"


def _cell_value(v: Any) -> Any:
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    return neutralise(v)  # never let text become a formula


def _column_values(col: pd.Series) -> list[Any]:
    """The cell values of one column, as :func:`_cell_value` gives them cell by cell (a
    float column in one pass: NaN and infinities become empty cells)."""
    if col.dtype.kind == "f":
        arr = col.to_numpy(dtype=float)
        vals = arr.tolist()
        if not np.isfinite(arr).all():
            for i in np.flatnonzero(~np.isfinite(arr)).tolist():
                vals[i] = None
        return vals
    if col.dtype.kind in "iub":
        return col.tolist()  # Python int and bool, as _cell_value makes them
    return [_cell_value(v) for v in col]


def write_table(
    ws: Worksheet,
    df: pd.DataFrame,
    row: int = 1,
    col: int = 1,
    formats: dict[str, str] | None = None,
    freeze: bool = True,
    gap: int = 0,
) -> tuple[int, int]:
    """Write a DataFrame with a styled header; returns (first data row, last data row).
    ``gap`` rows are left empty between the header and the data (e.g. for a total row).

    Cells are written column by column; a column's number format is set on its first cell
    and its style shared by the rest (one style lookup per column, not per cell)."""
    formats = formats or {}
    for j, name in enumerate(df.columns):
        c = ws.cell(row=row, column=col + j, value=neutralise(str(name)))
        c.font, c.fill = BOLD, HEADER_FILL
        c.alignment = Alignment(wrap_text=True, vertical="top")
    cells = ws._cells
    for j in range(df.shape[1]):
        values = _column_values(df.iloc[:, j])
        fmt = formats.get(str(df.columns[j]))
        style = None  # the column's style, shared by its new cells
        for i, v in enumerate(values, start=row + 1 + gap):
            c = cells.get((i, col + j))
            if c is None:  # a new cell: what ws.cell would make, without its checks
                c = Cell(ws, row=i, column=col + j, value=v)
                ws._add_cell(c)
                if fmt:
                    if style is None:
                        c.number_format = fmt
                        style = c._style
                    else:
                        c._style = copy(style)
                continue
            if v is not None:  # an existing cell keeps its value and style otherwise
                c.value = v
            if fmt:
                c.number_format = fmt
    if freeze and row == 1 and col == 1:
        ws.freeze_panes = ws.cell(row=2, column=1)
    return row + 1 + gap, row + gap + len(df)


def autosize(ws: Worksheet, max_width: int = 60, min_width: int = 8) -> None:
    """Column widths from the longest value (capped); long text wraps."""
    widths: dict[int, int] = {}
    for r in ws.iter_rows():
        for c in r:
            if c.value is None:
                continue
            n = len(str(c.value)) if not isinstance(c.value, float) else 12
            widths[c.column] = max(widths.get(c.column, 0), n)
    lines: dict[int, int] = {}
    for col, w in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = max(min_width, min(max_width, w + 2))
        if w > max_width:
            for cell in ws[get_column_letter(col)]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                if cell.value is not None:
                    n = -(-len(str(cell.value)) // max_width)
                    lines[cell.row] = max(lines.get(cell.row, 1), n)
    for r, n in lines.items():  # wrapped rows need an explicit height (LibreOffice, Excel)
        if n > 1:
            ws.row_dimensions[r].height = 15 * n + 2
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


def line_chart(ws: Worksheet, anchor: str, title: str, x_title: str, y_title: str,
               x_ref: tuple[int, int, int], series: Sequence[tuple[int, int, int]],
               header_row: int, x_format: str = "0",
               y_max: float | None = 1.0) -> ScatterChart:
    """A native line chart on a numeric x axis (a scatter chart drawn with lines).
    ``x_ref``/``series`` are (column, first data row, last data row); series titles are the
    header cells in ``header_row``."""
    ch = ScatterChart()
    ch.title, ch.x_axis.title, ch.y_axis.title = title, x_title, y_title
    ch.height, ch.width = 9, 18
    if y_max is not None:
        ch.y_axis.scaling.min, ch.y_axis.scaling.max = 0.0, y_max
    xc, x0, x1 = x_ref
    xs = Reference(ws, min_col=xc, min_row=x0, max_row=x1)
    for col, r0, r1 in series:
        s = Series(Reference(ws, min_col=col, min_row=r0, max_row=r1), xs,
                   title_from_data=False, title=str(ws.cell(row=header_row, column=col).value))
        s.marker.symbol = "none"
        s.smooth = False
        ch.series.append(s)
    ch.x_axis.number_format = x_format
    ch.x_axis.delete = False
    ch.y_axis.delete = False
    ch.legend.position = "b"
    ws.add_chart(ch, anchor)
    return ch


def scatter_chart(
    ws: Worksheet,
    anchor: str,
    title: str,
    x_title: str,
    y_title: str,
    x_ref: tuple[int, int, int],
    series: Sequence[tuple[str, int, int, int]],
    markers_only: bool = True,
) -> ScatterChart:
    """A native scatter chart; ``series`` items are (title, y column, first row, last row)."""
    ch = ScatterChart()
    ch.title, ch.x_axis.title, ch.y_axis.title = title, x_title, y_title
    ch.height, ch.width = 10, 18
    xc, _, _ = x_ref
    for name, col, r0, r1 in series:
        s = Series(
            Reference(ws, min_col=col, min_row=r0, max_row=r1),
            Reference(ws, min_col=xc, min_row=r0, max_row=r1),
            title=name,
        )
        if markers_only:
            point_markers(s)
        ch.series.append(s)
    ch.x_axis.delete = False
    ch.y_axis.delete = False
    # axis labels at the plot's edges, clear of the points (the axes cross at zero)
    ch.x_axis.tickLblPos = "low"
    ch.y_axis.tickLblPos = "low"
    ch.legend.position = "b"
    ws.add_chart(ch, anchor)
    return ch


def bar_chart(
    ws: Worksheet,
    anchor: str,
    title: str,
    y_title: str,
    cats: tuple[int, int, int],
    series: Sequence[tuple[int, int, int]],
    header_row: int,
    horizontal: bool = True,
) -> BarChart:
    """A native (clustered) bar chart; ``series`` are (column, first row, last row)."""
    ch = BarChart()
    ch.type = "bar" if horizontal else "col"
    ch.title, ch.y_axis.title = title, y_title
    ch.height, ch.width = 10, 18
    for col, _, r1 in series:
        ch.add_data(
            Reference(ws, min_col=col, min_row=header_row, max_row=r1), titles_from_data=True
        )
    c, r0, r1 = cats
    ch.set_categories(Reference(ws, min_col=c, min_row=r0, max_row=r1))
    ch.x_axis.tickLblPos = "low"  # category labels beside the axis, not across the bars
    ch.x_axis.delete = False
    ch.y_axis.delete = False
    ch.legend.position = "b"
    ws.add_chart(ch, anchor)
    return ch


def print_setup(ws: Worksheet, title_rows: str | None = None) -> None:
    """Page setup for printing: landscape, one page wide, the sheet name in the header, "page
    N of M" in the footer and, when given, the rows repeated on every page (e.g. "1:1")."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddHeader.center.text = "&A"
    ws.oddFooter.center.text = "Page &P of &N"
    ws.oddFooter.right.text = "&F"
    if title_rows and not ws.print_title_rows:
        ws.print_title_rows = title_rows


def chart_title(ch: Any) -> str:
    """The plain text of a chart's title ('' when it has none)."""
    t = getattr(ch, "title", None)
    if t is None:
        return ""
    if isinstance(t, str):
        return t
    try:
        return "".join(r.t for p in t.tx.rich.p for r in (p.r or []))
    except AttributeError:
        return ""


def contents_sheet(wb: Any, descriptions: dict[str, str] | None = None) -> Worksheet:
    """A "Contents" sheet: every sheet (with a hyperlink) and every chart on it (with a
    hyperlink to the cell it is anchored at)."""
    from openpyxl.worksheet.hyperlink import Hyperlink

    descriptions = descriptions or {}
    ws = wb.create_sheet("Contents")
    ws["A1"] = "Contents"
    ws["A1"].font = TITLE
    ws["A2"] = "Click a name to go to the sheet or chart."
    for j, h in enumerate(("Sheet", "What it holds", "Charts on the sheet"), start=1):
        c = ws.cell(row=4, column=j, value=h)
        c.font, c.fill = BOLD, HEADER_FILL
    r = 5
    link_font = Font(color="0563C1", underline="single")
    for sheet in wb.worksheets:
        if sheet is ws:
            continue
        name = sheet.title
        c = ws.cell(row=r, column=1, value=neutralise(name))
        c.hyperlink = Hyperlink(ref=c.coordinate, location=f"'{name}'!A1", display=name)
        c.font = link_font
        note = descriptions.get(name, "")
        ws.cell(row=r, column=2, value=neutralise(note))
        ws.row_dimensions[r].height = 15 * max(1, -(-len(note) // 56)) + 2
        r += 1
        for ch in sheet._charts:
            anchor = ch.anchor if isinstance(ch.anchor, str) else "A1"
            c = ws.cell(row=r, column=3, value=neutralise(chart_title(ch) or "chart"))
            c.hyperlink = Hyperlink(ref=c.coordinate, location=f"'{name}'!{anchor}")
            c.font = link_font
            r += 1
        for _ in sheet._images:
            ws.cell(row=r, column=3, value="picture (PNG plot)")
            r += 1
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 70
    for row in ws.iter_rows(min_row=5, max_row=r):
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A5"
    return ws


def point_markers(s: Series) -> Series:
    """Show a scatter series as small blue dots without a line (e.g. PSA draws)."""
    s.marker.symbol = "circle"
    s.marker.size = 3
    s.marker.graphicalProperties = GraphicalProperties(solidFill="4C72B0")
    s.marker.graphicalProperties.line.solidFill = "4C72B0"
    s.graphicalProperties.line.noFill = True
    return s


def magnitude_format(x: float) -> str:
    """Decimals by magnitude, so that no cell shows 16 digits (the value keeps them)."""
    a = abs(float(x))
    if a >= 1000:
        return "#,##0"
    if a >= 10:
        return "#,##0.00"
    return "0.0000" if a >= 0.001 or a == 0 else "0.00E+00"


def thin(df: pd.DataFrame, n: int = 21) -> pd.DataFrame:
    """At most ``n`` rows spread evenly over the table (first and last kept): a printable
    version of a long curve; the run folder's CSV keeps every row."""
    if len(df) <= n:
        return df
    idx = sorted({int(round(i)) for i in np.linspace(0, len(df) - 1, n)})
    return df.iloc[idx]


def tornado_chart(ws: Worksheet, anchor: str, title: str, x_title: str,
                  cats: tuple[int, int, int], low_col: int, high_col: int, header_row: int,
                  base: float, number_format: str = "#,##0") -> BarChart:
    """A tornado diagram as a native chart: horizontal bars of the result at each parameter's
    low and high value, drawn from the base-case result (the category axis crosses the value
    axis there), first table row (largest swing) at the top, every label shown at the left
    edge."""
    ch = BarChart()
    ch.type = "bar"
    ch.grouping = "clustered"
    ch.overlap = 100
    ch.gapWidth = 40
    ch.title, ch.y_axis.title = title, x_title
    c, r0, r1 = cats
    ch.height, ch.width = max(9.0, 0.9 * (r1 - r0 + 1) + 4), 30
    for col in (low_col, high_col):
        s = Series(Reference(ws, min_col=col, min_row=r0, max_row=r1),
                   title=str(ws.cell(row=header_row, column=col).value))
        ch.series.append(s)
    ch.set_categories(Reference(ws, min_col=c, min_row=r0, max_row=r1))
    ch.x_axis.scaling.orientation = "maxMin"  # first row (largest swing) at the top
    ch.x_axis.crossesAt = float(base)  # bars start at the base-case value
    ch.x_axis.tickLblPos = "low"  # labels at the left edge, clear of the bars
    ch.x_axis.tickLblSkip = 1
    ch.x_axis.delete = False
    ch.y_axis.delete = False
    ch.y_axis.number_format = number_format
    ch.y_axis.majorGridlines = None
    ch.legend.position = "b"
    ws.add_chart(ch, anchor)
    return ch
