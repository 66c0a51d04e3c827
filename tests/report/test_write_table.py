"""``write_table`` (column by column, one shared style per column) writes the values and
number formats a cell-by-cell writer gives, saved and read back from the file."""

import math

import numpy as np
import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from hecon.report.sheets import BOLD, write_table


def table() -> pd.DataFrame:
    return pd.DataFrame({
        "cost": [1.5, np.nan, np.inf, -2.25],
        "n": np.array([1, 2, 3, 4], dtype=np.int64),
        "flag": [True, False, True, False],
        "text": ["=1+1", "plain", None, "-5"],
        "mixed": [1, "a", np.float64(2.5), np.nan],
    })


def test_values_and_formats_read_back_from_the_file(tmp_path):
    wb = Workbook()
    ws = wb.active
    first, last = write_table(ws, table(), row=3, col=2, formats={"cost": "0.00", "n": "#,##0"})
    assert (first, last) == (4, 7)
    wb.save(tmp_path / "t.xlsx")
    back = load_workbook(tmp_path / "t.xlsx").active
    rows = [[back.cell(row=r, column=c).value for c in range(2, 7)] for r in range(3, 8)]
    assert rows[0] == ["cost", "n", "flag", "text", "mixed"]
    # NaN and infinities are empty cells; text that would be a formula is made inert, a plain
    # number in text is left alone
    assert rows[1:] == [[1.5, 1, True, "'=1+1", 1], [None, 2, False, "plain", "a"],
                        [None, 3, True, None, 2.5], [-2.25, 4, False, "-5", None]]
    for r in range(4, 8):
        assert back.cell(row=r, column=2).number_format == "0.00"
        assert back.cell(row=r, column=3).number_format == "#,##0"
        assert back.cell(row=r, column=4).number_format == "General"
    assert back.cell(row=3, column=2).font.b  # the header is bold
    assert not back.cell(row=4, column=2).font.b


def test_cells_share_one_style_but_change_alone(tmp_path):
    """A format shared by a column's cells: changing one cell's font leaves the others."""
    wb = Workbook()
    ws = wb.active
    write_table(ws, table(), formats={"cost": "0.00"})
    ws.cell(row=2, column=1).font = Font(italic=True)
    assert ws.cell(row=3, column=1).font.i is False
    assert ws.cell(row=3, column=1).number_format == "0.00"
    assert ws.cell(row=2, column=1).number_format == "0.00"


def test_existing_cells_keep_their_style_and_value_where_the_table_is_empty():
    wb = Workbook()
    ws = wb.active
    ws.cell(row=3, column=1, value="kept").font = BOLD
    ws.cell(row=2, column=1, value="replaced").font = BOLD
    write_table(ws, table(), formats={"cost": "0.00"})
    assert ws.cell(row=3, column=1).value == "kept"  # NaN writes nothing over it
    assert ws.cell(row=2, column=1).value == 1.5
    for r in (2, 3):
        assert ws.cell(row=r, column=1).font.b
        assert ws.cell(row=r, column=1).number_format == "0.00"
    assert ws.cell(row=4, column=1).value is None and not ws.cell(row=4, column=1).font.b


def test_float_column_values_are_python_floats():
    wb = Workbook()
    ws = wb.active
    write_table(ws, pd.DataFrame({"x": np.array([0.1, np.inf, -0.0], dtype=np.float32)}))
    got = [ws.cell(row=r, column=1).value for r in (2, 3, 4)]
    assert all(type(v) is float or v is None for v in got)
    assert got[0] == float(np.float32(0.1)) and got[1] is None  # infinite: empty
    assert math.copysign(1.0, got[2]) == -1.0
    ws.append([1])  # appending continues below the table
    assert ws.cell(row=5, column=1).value == 1


def test_gap_leaves_rows_between_header_and_data():
    wb = Workbook()
    ws = wb.active
    first, last = write_table(ws, pd.DataFrame({"a": [1, 2]}), row=4, gap=1)
    assert (first, last) == (6, 7)
    assert [ws.cell(row=r, column=1).value for r in range(4, 8)] == ["a", None, 1, 2]
