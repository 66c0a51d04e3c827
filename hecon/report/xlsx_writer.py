"""Save an openpyxl workbook faster, byte for byte as openpyxl itself writes it.

openpyxl (without lxml) serialises every cell by building an ElementTree element and passing
it through et_xmlfile's namespace-aware serialiser: about 30 µs a cell, most of the time of a
report with 10^5 cells. :func:`save_workbook` writes the same workbook through openpyxl's own
writer (:class:`openpyxl.writer.excel.ExcelWriter`) except for the cells of each worksheet's
``sheetData``, which are formatted here as text: the same elements, attributes (in the same
order), escaping and number formatting (:func:`openpyxl.compat.safe_string`) as
:func:`openpyxl.cell._writer.etree_write_cell`, so the file's parts are identical to what
``Workbook.save`` writes (tests/report/test_xlsx_writer.py compares them part by part).

Cells this module does not format itself (dates, rich text, array and data-table formulas)
and any writer other than et_xmlfile's (e.g. when lxml is installed) go through openpyxl's
own code, unchanged.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import _escape_attrib, _escape_cdata  # type: ignore[attr-defined]
from zipfile import ZIP_DEFLATED, ZipFile

from et_xmlfile.xmlfile import _IncrementalFileWriter
from openpyxl.cell._writer import write_cell
from openpyxl.comments.comment_sheet import CommentRecord
from openpyxl.compat import safe_string
from openpyxl.workbook import Workbook
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

# the cell data types written here: numbers, booleans, errors, text (inline) and formulas
_SIMPLE_TYPES = {"n": ' t="n"', "b": ' t="b"', "e": ' t="e"', "s": ' t="inlineStr"', "f": "",
                 "str": ' t="str"'}


def _t_text(value: str) -> str:
    """``<t>`` of an inline string as etree_write_cell writes it (``xml:space="preserve"``
    when the text has leading or trailing white space around something else)."""
    stripped = value.strip()
    if stripped and value != stripped:
        return f'<t xml:space="preserve">{_escape_cdata(value)}</t>'
    return f"<t>{_escape_cdata(value)}</t>"


class FastWorksheetWriter(WorksheetWriter):
    """openpyxl's worksheet writer with the cells of ``sheetData`` formatted as text."""

    def write_rows(self) -> None:
        xf = self.xf.send(True)
        write = getattr(xf, "_file", None)
        if type(xf) is not _IncrementalFileWriter or not callable(write):
            self.xf.send(None)  # another XML writer (lxml): openpyxl's own way
            super().write_rows()
            return
        styles = self.ws.parent._cell_styles
        ids: dict[tuple[int, ...], str] = {}  # a style's index, as Cell.style_id gives it
        with xf.element("sheetData"):
            for row_idx, row in self.rows():
                self._row(xf, write, row, row_idx, styles, ids)
        self.xf.send(None)  # return control to the generator

    def _row(self, xf: Any, write: Any, row: list[Any], row_idx: int, styles: Any,
             ids: dict[tuple[int, ...], str]) -> None:
        attrs = {"r": f"{row_idx}"}
        attrs.update(self.ws.row_dimensions.get(row_idx, {}))
        with xf.element("row", attrs):
            parts: list[str] = []
            for cell in row:
                if cell._comment is not None:
                    self.ws._comments.append(CommentRecord.from_cell(cell))
                style = cell._style
                styled = bool(style) and any(style)
                value = cell._value
                if value is None and not styled and not cell._comment:
                    continue
                text = self._cell(cell, value, style if styled else None, styles, ids)
                if text is None:  # not a kind formatted here: openpyxl's own writer
                    if parts:
                        write("".join(parts))
                        parts.clear()
                    write_cell(xf, self.ws, cell, styled)
                else:
                    parts.append(text)
            if parts:
                write("".join(parts))

    def _cell(self, cell: Any, value: Any, style: Any, styles: Any,
              ids: dict[tuple[int, ...], str]) -> str | None:
        """The XML of one cell, or None for a kind left to openpyxl."""
        dt = cell.data_type
        t = _SIMPLE_TYPES.get(dt)
        if t is None:
            return None
        if dt == "f":
            if not isinstance(value, str):
                return None  # array or data-table formula
        elif dt == "s":
            if value is not None and not isinstance(value, str):
                return None  # rich text
        if cell.hyperlink:
            self.ws._hyperlinks.append(cell.hyperlink)
        head = f'<c r="{_escape_attrib(cell.coordinate)}"'
        if style is not None:
            key = tuple(style)
            sid = ids.get(key)
            if sid is None:
                sid = ids[key] = f' s="{cell.style_id}"'  # registers the style in the workbook
            head += sid
        head += t
        if value is None or value == "":
            return head + " />"
        if dt == "f":
            f = value[1:]
            return f"{head}><f>{_escape_cdata(f)}</f><v /></c>" if f else \
                f"{head}><f /><v /></c>"
        if dt == "s":
            return f"{head}><is>{_t_text(value)}</is></c>"
        v = safe_string(value)
        return f"{head}><v>{_escape_cdata(v)}</v></c>" if v else f"{head}><v /></c>"


class FastExcelWriter(ExcelWriter):
    """openpyxl's workbook writer using :class:`FastWorksheetWriter` for each worksheet."""

    def write_worksheet(self, ws: Any) -> None:
        if self.workbook.write_only:
            super().write_worksheet(ws)
            return
        from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing

        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = FastWorksheetWriter(ws)
        writer.write()
        ws._rels = writer._rels
        self._archive.write(writer.out, ws.path[1:])
        self.manifest.append(ws)
        writer.cleanup()


def save_workbook(wb: Workbook, path: str | Path) -> Path:
    """Write ``wb`` to ``path`` as ``wb.save(path)`` does (same parts, same bytes but for
    the time stamp in docProps/core.xml), with the cells written faster."""
    if wb.read_only:
        raise TypeError("""Workbook is read-only""")
    if wb.write_only and not wb.worksheets:
        wb.create_sheet()
    archive = ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True)
    wb.properties.modified = datetime.datetime.now(tz=datetime.UTC).replace(
        tzinfo=None)
    FastExcelWriter(wb, archive).save()
    return Path(path)
