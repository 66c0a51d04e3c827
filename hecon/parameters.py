"""The parameter table: one row per parameter, read from CSV or XLSX (or a folder of them).

Columns (case-insensitive; see docs/architecture.md section 1): name, description, value, unit,
distribution, se, ci_low, ci_high, alpha, beta, shape, scale, meanlog, sdlog, min, max, mode,
group, low, high, source. Every problem is an :class:`~hecon.errors.InputError` naming the file,
the row (spreadsheet numbering: the header is row 1) and the parameter. Nothing is clamped.

Units carry bounds (:func:`unit_bounds`): a probability or proportion lies in [0, 1], a utility
is at most 1, a cost, duration, rate, ratio or count is never negative. The base value, the
one-way range and the whole support of the distribution must respect them (a normal
distribution for a probability is an error, not a source of clamped draws). Workbooks are read
as values only (formulas are errors, nothing is executed), with defusedxml guarding the XML
parser and limits on file size, unpacked size and rows.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hecon import distributions as D
from hecon.errors import InputError

REQUIRED = ("name", "value", "unit", "distribution", "source")
NUMERIC = (
    "value",
    "se",
    "ci_low",
    "ci_high",
    "alpha",
    "beta",
    "shape",
    "scale",
    "meanlog",
    "sdlog",
    "min",
    "max",
    "mode",
    "low",
    "high",
)
TEXT = ("name", "description", "unit", "distribution", "group", "source")
# columns a table may carry beside the parameter columns: ``country`` selects the rows of one
# country set (see :meth:`ParameterTable.read`); the others are written by hecon's own outputs
# (the live Excel model's defined names, a run's parameters.csv) and are not read
OPTIONAL = ("country", "defined_name", "file", "row", "dist_text")
COLUMNS = (*TEXT, *NUMERIC, *OPTIONAL)
KINDS = ("fixed", "beta", "gamma", "lognormal", "normal", "uniform", "triangular", "dirichlet")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
UNIT_01 = ("probability", "proportion")
CURRENCIES = ("dkk", "gbp", "eur", "usd", "sek", "nok", "chf", "cad", "aud", "nzd", "jpy")
DURATIONS = ("year", "years", "month", "months", "week", "weeks", "day", "days", "hour", "hours")
# ParamView attributes: a parameter of this name would be shadowed by p.<name> in a model
RESERVED = ("n", "items", "keys", "values", "get")
MAX_BYTES = 20 * 2**20
MAX_UNPACKED = 10 * MAX_BYTES
MAX_ROWS = 100_000
MEAN_TOL = 0.01  # relative: base value vs the mean implied by explicit beta/gamma/dirichlet counts


def unit_bounds(unit: str) -> tuple[str, float, float] | None:
    """What a unit allows: (kind, lowest, highest), or None for units without bounds.

    probability/proportion: [0, 1]; utility: at most 1; a currency (cost), duration, rate,
    ratio, relative risk or count: at least 0.
    """
    u = unit.strip().lower()
    words = u.split()
    if not words:
        return None
    first = words[0]
    if u in UNIT_01:
        return u, 0.0, 1.0
    if u == "utility":
        return "utility", -math.inf, 1.0
    if first.startswith(CURRENCIES[:4]) or first in CURRENCIES:
        return "cost", 0.0, math.inf
    if first in DURATIONS:
        return "duration", 0.0, math.inf
    if first == "rate" or words[-1] == "ratio" or u in ("relative risk", "risk ratio", "count"):
        return ("count" if u == "count" else "rate or ratio"), 0.0, math.inf
    return None


def _bounds_text(lo: float, hi: float) -> str:
    if math.isinf(lo):
        return f"at most {hi:g}"
    if math.isinf(hi):
        return f"at least {lo:g}"
    return f"in [{lo:g}, {hi:g}]"


def value_problem(unit: str, x: float) -> str | None:
    """Why ``x`` is not an admissible value for ``unit`` (see :func:`unit_bounds`), or None."""
    if not math.isfinite(x):
        return f"value {x!r} is not a finite number"
    b = unit_bounds(unit)
    if b is None or b[1] <= x <= b[2]:
        return None
    kind = b[0]
    if kind in UNIT_01:
        return f"value {x:g} is a {kind}; it must lie in [0, 1]"
    if kind == "utility":
        return f"value {x:g} is a utility; it cannot exceed 1"
    return f"value {x:g} is a {kind}; it cannot be negative (unit {unit!r})"


def _check_value(unit: str, v: float, file: str, row: int, name: str) -> None:
    why = value_problem(unit, v)
    if why:
        raise _err(why, file, row, name)


@dataclass(frozen=True)
class Parameter:
    """One validated row of a parameter table."""

    name: str
    value: float
    unit: str
    dist: D.Dist
    source: str
    description: str = ""
    low: float | None = None
    high: float | None = None
    group: str | None = None
    alpha: float | None = None  # dirichlet count
    file: str = "<table>"
    row: int = 0
    given: tuple[tuple[str, float], ...] = ()  # distribution columns as written in the table

    @property
    def distribution(self) -> str:
        """Distribution kind (``dirichlet`` for group members)."""
        return "dirichlet" if self.group else self.dist.kind

    @property
    def uncertain(self) -> bool:
        """True unless the parameter is fixed."""
        return self.distribution != "fixed"

    def input_row(self) -> dict[str, Any]:
        """The parameter as a row of the input table's columns (explicit distribution
        parameters, full precision), so that reading the row back gives the same parameter."""
        row: dict[str, Any] = {"name": self.name, "description": self.description,
                               "value": self.value, "unit": self.unit,
                               "distribution": self.distribution}
        if self.given:  # as the table gave them (se, ci, counts, ...)
            row.update(dict(self.given))
            if self.group:
                row["group"] = self.group
        elif self.group:
            row.update(alpha=self.alpha, group=self.group)
        elif self.dist.kind == "normal":
            row["se"] = self.dist.p["sd"]
        elif self.dist.kind != "fixed":
            row.update(self.dist.p)
        if self.low is not None and self.high is not None:
            row.update(low=self.low, high=self.high)
        row["source"] = self.source
        return row

    def one_way_range(self) -> tuple[float, float] | None:
        """(low, high) for one-way analysis, or None if the parameter is left out."""
        if self.low is not None and self.high is not None:
            return self.low, self.high
        if not self.uncertain:
            return None
        return self.dist.quantile(0.025), self.dist.quantile(0.975)


def _err(msg: str, file: str, row: int | None, name: str | None) -> InputError:
    return InputError(msg, file=file, row=row, parameter=name)


def _num(raw: Any, col: str, file: str, row: int, name: str | None) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, float) and math.isnan(raw):
        return None
    if isinstance(raw, str):
        s = raw.strip()
        if s == "":
            return None
        if s.startswith("="):
            raise _err(f"column '{col}' holds a formula ({s!r}); enter a value", file, row, name)
        try:
            raw = float(s)
        except ValueError:
            hint = ""
            if s.endswith("%"):
                hint = " (write a percentage as a proportion: 15% is 0.15)"
            elif "," in s or " " in s:
                hint = " (use a decimal point and no thousands separators)"
            raise _err(f"column '{col}' is {s!r}, not a number{hint}", file, row, name) from None
    if _is_formula(raw):
        raise _err(f"column '{col}' holds a formula; enter a value", file, row, name)
    if isinstance(raw, (bool, np.bool_)) or not isinstance(
        raw, (int, float, np.integer, np.floating)
    ):
        raise _err(f"column '{col}' is {_show(raw)}, not a number", file, row, name)
    try:
        x = float(raw)
    except OverflowError:
        raise _err(f"column '{col}' is a number too large to hold", file, row, name) from None
    if not math.isfinite(x):
        raise _err(f"column '{col}' is {raw!r}; it must be a finite number", file, row, name)
    return x


def _text(raw: Any) -> str:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return ""
    return str(raw).strip()


def _is_formula(raw: Any) -> bool:
    """A worksheet formula: text starting with '=' or an openpyxl array/data-table formula."""
    if isinstance(raw, str):
        return raw.strip().startswith("=")
    return type(raw).__name__ in ("ArrayFormula", "DataTableFormula")


def _show(raw: Any) -> str:
    """A cell value for a message (short, no object addresses)."""
    if isinstance(raw, (str, int, float, bool, type(None))):
        text = repr(raw)
    else:
        text = f"a {type(raw).__name__} value"
    return text if len(text) <= 60 else text[:57] + "..."


def _build_dist(kind: str, r: dict, file: str, row: int, name: str) -> D.Dist:
    v = r["value"]
    se = r.get("se")
    lo_ci, hi_ci = r.get("ci_low"), r.get("ci_high")
    if (lo_ci is None) != (hi_ci is None):
        raise _err("give both ci_low and ci_high, or neither", file, row, name)
    if lo_ci is not None and not lo_ci < hi_ci:
        raise _err(f"ci_low {lo_ci:g} is above ci_high {hi_ci:g}", file, row, name)
    if se is not None and se <= 0:
        raise _err(f"standard error {se:g} must be > 0", file, row, name)

    def need(*cols: str) -> bool:
        return all(r.get(c) is not None for c in cols)

    try:
        if kind == "fixed":
            return D.make("fixed", value=v)
        if kind == "beta":
            if need("alpha", "beta"):
                return D.make("beta", alpha=r["alpha"], beta=r["beta"])
            if se is None and lo_ci is not None:
                se = D.se_from_ci(lo_ci, hi_ci)
            if se is not None:
                return D.beta_from_mean_se(v, se)
            raise _err("beta needs alpha and beta, or se, or ci_low/ci_high", file, row, name)
        if kind == "gamma":
            if need("shape", "scale"):
                return D.make("gamma", shape=r["shape"], scale=r["scale"])
            if se is None and lo_ci is not None:
                se = D.se_from_ci(lo_ci, hi_ci)
            if se is not None:
                return D.gamma_from_mean_se(v, se)
            raise _err("gamma needs shape and scale, or se, or ci_low/ci_high", file, row, name)
        if kind == "lognormal":
            if need("meanlog", "sdlog"):
                return D.make("lognormal", meanlog=r["meanlog"], sdlog=r["sdlog"])
            if lo_ci is not None:
                return D.lognormal_from_ci(v, lo_ci, hi_ci)
            if se is not None:
                return D.lognormal_from_mean_se(v, se)
            raise _err("lognormal needs meanlog and sdlog, ci_low/ci_high, or se", file, row, name)
        if kind == "normal":
            if se is None and lo_ci is not None:
                se = D.se_from_ci(lo_ci, hi_ci)
            if se is None:
                raise _err("normal needs se or ci_low/ci_high", file, row, name)
            return D.make("normal", mean=v, sd=se)
        if kind == "uniform":
            if not need("min", "max"):
                raise _err("uniform needs min and max", file, row, name)
            return D.make("uniform", min=r["min"], max=r["max"])
        if kind == "triangular":
            if not need("min", "max"):
                raise _err("triangular needs min and max (mode defaults to value)", file, row, name)
            mode = r["mode"] if r.get("mode") is not None else v
            return D.make("triangular", min=r["min"], mode=mode, max=r["max"])
    except D.DistributionError as exc:
        raise _err(str(exc), file, row, name) from None
    except (OverflowError, ZeroDivisionError):
        raise _err("the distribution's parameters leave the range of floating-point numbers "
                   "(a standard error or interval far too small or too large for the value)",
                   file, row, name) from None
    raise _err(f"unknown distribution {kind!r}", file, row, name)


def _check_mean(kind: str, dist: D.Dist, v: float, file: str, row: int, name: str,
                r: dict) -> None:
    """Explicit beta counts or gamma shape/scale must agree with the base value (their mean):
    otherwise the base case and the PSA describe different numbers."""
    explicit = (kind == "beta" and r.get("alpha") is not None and r.get("beta") is not None) or (
        kind == "gamma" and r.get("shape") is not None and r.get("scale") is not None)
    if not explicit:
        return
    mean = dist.mean()
    if abs(v - mean) > MEAN_TOL * abs(mean) + 1e-12:
        raise _err(f"value {v:g} disagrees with the mean {mean:.6g} of its {dist.describe()} "
                   f"(more than {MEAN_TOL:.0%} apart); fix the value or the distribution",
                   file, row, name)


def parse_row(raw: dict, file: str, row: int) -> Parameter:
    """Validate one row (a dict of column -> cell value) into a :class:`Parameter`."""
    name = _text(raw.get("name"))
    if not name:
        raise _err("the name is empty", file, row, None)
    if _is_formula(raw.get("name")) or not NAME_RE.match(name):
        raise _err(
            "a name must start with a letter or _ and hold only letters, digits and _",
            file,
            row,
            name,
        )
    if name in RESERVED:
        raise _err(f"the name {name!r} is reserved (it clashes with the sample view's "
                   f"{name!r}); rename the parameter", file, row, name)
    for col in TEXT:
        if _is_formula(raw.get(col)):
            raise _err(f"column '{col}' holds a formula; enter a value", file, row, name)
    r: dict[str, Any] = {c: _num(raw.get(c), c, file, row, name) for c in NUMERIC}
    if r["value"] is None:
        raise _err("the value is empty", file, row, name)
    unit = _text(raw.get("unit"))
    if not unit:
        raise _err("the unit is empty", file, row, name)
    source = _text(raw.get("source"))
    if not source:
        raise _err("the source is empty: cite one, or say the evidence is missing", file, row, name)
    kind = _text(raw.get("distribution")).lower()
    if kind not in KINDS:
        near = difflib.get_close_matches(kind, KINDS, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise _err(f"unknown distribution {kind!r}{hint}; choose from {KINDS}", file, row, name)
    v = r["value"]
    u = unit.lower()
    bounds = unit_bounds(unit)
    # probabilities, utilities and costs first; other bounded units after the distribution
    # (whose own message, e.g. 'gamma mean -10 must be > 0', is the more specific one)
    if bounds is not None and bounds[0] in (*UNIT_01, "utility", "cost"):
        _check_value(unit, v, file, row, name)
    group = _text(raw.get("group")) or None
    if kind == "dirichlet":
        if group is None:
            raise _err("a dirichlet parameter needs a group", file, row, name)
        if r["alpha"] is None or r["alpha"] <= 0:
            raise _err("a dirichlet parameter needs alpha > 0 (its count)", file, row, name)
        if not 0 <= v <= 1:
            raise _err(f"dirichlet value {v:g} must lie in [0, 1]", file, row, name)
        dist = D.make("fixed", value=v)
    else:
        if group is not None:
            raise _err(f"group is only for dirichlet parameters, not {kind}", file, row, name)
        dist = _build_dist(kind, r, file, row, name)
        lo, hi = dist.support()
        if kind != "fixed" and not lo <= v <= hi:
            raise _err(
                f"value {v:g} lies outside the support [{lo:g}, {hi:g}] of {kind}", file, row, name
            )
        if bounds is not None and kind != "fixed" and not (bounds[1] <= lo and hi <= bounds[2]):
            what, blo, bhi = bounds
            better = {"probability": "beta", "proportion": "beta", "utility": "beta"}.get(
                what, "gamma or lognormal")
            raise _err(
                f"a {kind} distribution takes values in [{lo:g}, {hi:g}], but a {what} must be "
                f"{_bounds_text(blo, bhi)}; draws would be impossible (use {better})",
                file, row, name)
        _check_value(unit, v, file, row, name)
        _check_mean(kind, dist, v, file, row, name, r)
    low, high = r["low"], r["high"]
    if (low is None) != (high is None):
        raise _err("give both low and high, or neither", file, row, name)
    if low is not None:
        if low > high:
            raise _err(f"low {low:g} is above high {high:g}", file, row, name)
        if not low <= v <= high:
            raise _err(f"value {v:g} lies outside its range [{low:g}, {high:g}]", file, row, name)
        if u in UNIT_01 and not (0 <= low and high <= 1):
            raise _err(f"range [{low:g}, {high:g}] of a {u} must lie in [0, 1]", file, row, name)
        if bounds is not None and not (bounds[1] <= low and high <= bounds[2]):
            raise _err(f"range [{low:g}, {high:g}] of a {bounds[0]} must be "
                       f"{_bounds_text(bounds[1], bounds[2])}", file, row, name)
    return Parameter(
        name,
        v,
        unit,
        dist,
        source,
        _text(raw.get("description")),
        low,
        high,
        group,
        r["alpha"],
        file,
        row,
        tuple((c, x) for c, x in r.items()
              if x is not None and c not in ("value", "low", "high")),
    )


# --------------------------------------------------------------------------- readers
def _os_error(exc: OSError, path: Path) -> InputError:
    reason = exc.strerror or type(exc).__name__
    return InputError(f"cannot read the file ({reason})", file=str(path))


def _records_csv(path: Path) -> Iterator[tuple[int, dict]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _os_error(exc, path) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("UTF-16 text, not UTF-8; save the file as 'CSV UTF-8' (or as XLSX)",
                         file=str(path), row=1)
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InputError("the file holds NUL bytes; it is not a text CSV (binary, or saved as "
                         "UTF-16?)", file=str(path), row=line)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as "
                         "'CSV UTF-8' (or as XLSX)", file=str(path), row=line) from None
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for cells in reader:
            rows.append(cells)
            if len(rows) > MAX_ROWS + 1:
                raise InputError(f"more than {MAX_ROWS} rows", file=str(path))
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc} (an unclosed or stray quote?)",
                         file=str(path), row=len(rows) + 1) from None
    if not rows:
        raise InputError("the file is empty", file=str(path))
    header = [h.strip().lower() for h in rows[0]]
    yield 1, {"__header__": header}
    for i, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            raise InputError(
                f"{len(cells)} cells but the header has {len(header)} columns",
                file=str(path),
                row=i,
            )
        yield i, dict(zip(header, cells, strict=False))


def _xml_refused(exc: BaseException) -> bool:
    """True if defusedxml stopped the parse (DTD, entities, external references)."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if type(e).__module__.startswith("defusedxml"):
            return True
        e = e.__cause__ or e.__context__
    return False


def _sheet_rows(path: Path) -> list[tuple[int, tuple]]:
    """(row number, cell values) of the parameter sheet's non-empty rows (the sheet named
    'Inputs' if there is one, else the first visible sheet), read as stored values
    (no formula is evaluated: ``data_only=False`` shows formulas, which are errors)."""
    import zipfile

    try:
        import defusedxml  # noqa: F401  (openpyxl uses it for safe XML parsing when installed)
        from openpyxl import load_workbook
    except ImportError as exc:  # pragma: no cover
        raise InputError(f"cannot read XLSX: {exc}", file=str(path)) from None
    with open(path, "rb") as f:
        magic = f.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError("a password-protected workbook or an old .xls file; save it as .xlsx "
                         "without a password", file=str(path))
    wb = None
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            total = sum(i.file_size for i in infos)
            if total > MAX_UNPACKED or len(infos) > 10_000:
                raise InputError(
                    f"the workbook unpacks to {total / 2**20:.0f} MiB in {len(infos)} parts; "
                    f"refusing to read more than {MAX_UNPACKED // 2**20} MiB",
                    file=str(path),
                )
            names = [i.filename for i in infos]
            if any(n.startswith("xl/externalLinks/") for n in names):
                raise InputError(
                    "the workbook has external links; paste values instead", file=str(path)
                )
        wb = load_workbook(path, read_only=True, data_only=False, keep_vba=False,
                           keep_links=False)
        sheets = wb.worksheets
        if not sheets:
            raise InputError("the workbook has no worksheet", file=str(path))
        named = [w for w in sheets if w.title.strip().lower() == "inputs"]
        visible = [w for w in sheets if getattr(w, "sheet_state", "visible") == "visible"]
        if not (named or visible):
            raise InputError("the workbook has no visible worksheet", file=str(path))
        ws = (named or visible)[0]
        sheets = [ws] + [w for w in sheets if w is not ws]
        ws.reset_dimensions()  # do not trust a stored dimension (it could claim 16384 columns)
        out: list[tuple[int, tuple]] = []
        for i, cells in enumerate(ws.iter_rows(values_only=True), start=1):
            if i > MAX_ROWS + 1:
                raise InputError(f"more than {MAX_ROWS} rows", file=str(path))
            if i == 1 or any(c is not None and _text(c) for c in cells):
                out.append((i, tuple(cells)))
        for other in sheets[1:]:
            head = next(other.iter_rows(max_row=1, values_only=True), ())
            cols = {_text(h).lower() for h in head if isinstance(h, str)}
            if {"name", "value"} <= cols:
                raise InputError(
                    f"sheet {other.title!r} also looks like a parameter table, but only "
                    f"sheet {ws.title!r} is read; put every parameter on one sheet or "
                    "use one file per table",
                    file=str(path),
                )
        return out
    except InputError:
        raise
    except Exception as exc:
        if _xml_refused(exc):
            raise InputError("the workbook's XML declares a DTD or entities (an XML bomb or "
                             "external reference?); refusing to read it",
                             file=str(path)) from None
        raise InputError(
            f"not a readable XLSX workbook ({type(exc).__name__})", file=str(path)
        ) from None
    finally:
        if wb is not None:
            wb.close()


def _records_xlsx(path: Path) -> Iterator[tuple[int, dict]]:
    rows = _sheet_rows(path)
    if not rows or not any(c is not None and _text(c) for c in rows[0][1]):
        raise InputError("the workbook's first sheet is empty", file=str(path))
    header = [_text(h).lower() for h in rows[0][1]]
    yield 1, {"__header__": header}
    for i, cells in rows[1:]:
        rec: dict[str, Any] = {}
        for h, c in zip(header, cells, strict=False):
            rec[h] = c
        for h, c in zip(header, cells, strict=False):
            if _is_formula(c):
                where = f"column '{h}'" if h else "a cell"
                raise InputError(f"{where} holds a formula; enter a value",
                                 file=str(path), row=i,
                                 parameter=_text(rec.get("name")) or None)
        if len(cells) > len(header) and any(c is not None and _text(c)
                                             for c in cells[len(header):]):
            raise InputError(f"a value stands right of the last header column "
                             f"({len(header)} columns)", file=str(path), row=i)
        yield i, rec


def check_header(header: list[str], file: str) -> None:
    """Required, duplicated and unknown columns (with 'did you mean' hints)."""
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        unknown = [h for h in header if h and h not in COLUMNS]
        hints = [f"{u!r} -> {difflib.get_close_matches(u, missing, n=1)[0]!r}" for u in unknown
                 if difflib.get_close_matches(u, missing, n=1)]
        hint = f" (misspelt? {', '.join(hints)})" if hints else ""
        if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
            sep = next(sep for sep in ";\t|" if sep in header[0])
            hint = (f" (the header looks separated by {sep!r}; save the table with commas, "
                    "or as XLSX)")
        raise InputError(f"missing column(s): {', '.join(missing)}{hint}", file=file, row=1)
    dup = sorted({h for h in header if h and header.count(h) > 1})
    if dup:
        raise InputError(f"duplicated column(s): {', '.join(dup)}", file=file, row=1)
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        near = difflib.get_close_matches(unknown[0], COLUMNS, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise InputError(f"unknown column {unknown[0]!r}{hint}", file=file, row=1)


def _select_country(records: list[tuple[int, dict]], country: str | None,
                    file: str) -> list[tuple[int, dict]]:
    """The rows of one country set when the table has a ``country`` column."""
    keys = {_text(rec.get("country")).lower() for _, rec in records}
    keys.discard("")
    if country is None:
        if len(keys) > 1:
            raise InputError(f"the table holds the parameters of several country sets "
                             f"({', '.join(sorted(keys))}); choose one (--country)", file=file)
        return records
    want = country.strip().lower()
    if keys and want not in keys:
        raise InputError(f"the table's country column has no rows for {country!r} (it has "
                         f"{', '.join(sorted(keys))})", file=file)
    return [(i, rec) for i, rec in records
            if _text(rec.get("country")).lower() in ("", want)]


def read_file(path: str | Path, country: str | None = None) -> list[Parameter]:
    """Read and validate one CSV or XLSX parameter file. A table with a ``country`` column
    holds several country sets: ``country`` selects its rows (rows with an empty country
    cell belong to every set)."""
    path = Path(path)
    try:
        if not path.exists():
            raise InputError("file not found", file=str(path))
        if not path.is_file():
            raise InputError("not a file", file=str(path))
        size = path.stat().st_size
    except OSError as exc:
        raise _os_error(exc, path) from None
    if size > MAX_BYTES:
        raise InputError("file larger than 20 MiB; is it really a parameter table?", file=str(path))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        records = _records_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        records = _records_xlsx(path)
    elif suffix in (".xls", ".ods", ".numbers"):
        raise InputError(f"{suffix} workbooks cannot be read; save the table as .xlsx or .csv",
                         file=str(path))
    else:
        raise InputError("a parameter table must be .csv or .xlsx", file=str(path))
    _, head = next(records)
    check_header(head["__header__"], str(path))
    rows = list(records)
    if "country" in head["__header__"]:
        rows = _select_country(rows, country, str(path))
    params = [parse_row(rec, str(path), i) for i, rec in rows]
    if not params:
        raise InputError("no parameter rows below the header", file=str(path))
    return params


TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm")
FOREIGN_SUFFIXES = (".xls", ".ods", ".numbers")


def folder_files(folder: Path) -> list[Path]:
    """The parameter files of a folder: every .csv/.xlsx/.xlsm (any case), sorted by name;
    hidden files and Excel lock files (``~$...``) are skipped; .xls/.ods are errors."""
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        raise InputError(f"cannot list the folder ({exc.strerror or type(exc).__name__})",
                         file=str(folder)) from None
    files = []
    for f in entries:
        if f.name.startswith((".", "~$")) or f.is_dir():
            continue
        suffix = f.suffix.lower()
        if suffix in FOREIGN_SUFFIXES:
            raise InputError(f"{suffix} workbooks cannot be read; save the table as .xlsx or "
                             ".csv (or move it out of the folder)", file=str(f))
        if suffix in TABLE_SUFFIXES:
            files.append(f)
    if not files:
        raise InputError("no .csv or .xlsx parameter files in the folder", file=str(folder))
    return files


class ParameterTable:
    """Validated parameters, in order, with unique names and consistent Dirichlet groups."""

    def __init__(self, params: Iterable[Parameter]) -> None:
        self._params: dict[str, Parameter] = {}
        for p in params:
            if p.name in self._params:
                first = self._params[p.name]
                raise InputError(
                    f"duplicated name (first defined in {first.file}, row {first.row})",
                    file=p.file,
                    row=p.row,
                    parameter=p.name,
                )
            self._params[p.name] = p
        if not self._params:
            raise InputError("the parameter table has no parameters")
        self._check_groups()

    def _check_groups(self) -> None:
        for g, members in self.groups().items():
            first = self._params[members[0]]
            if len(members) < 2:
                raise InputError(
                    f"dirichlet group {g!r} has only one member",
                    file=first.file,
                    row=first.row,
                    parameter=first.name,
                )
            total = sum(self._params[m].value for m in members)
            if abs(total - 1) > 1e-9:
                raise InputError(
                    f"dirichlet group {g!r} values sum to {total:.12g}, not 1 (members: "
                    f"{', '.join(members)})",
                    file=first.file,
                    row=first.row,
                    parameter=first.name,
                )
            counts = sum(self._params[m].alpha or 0.0 for m in members)
            for m in members:
                p = self._params[m]
                mean = (p.alpha or 0.0) / counts
                if abs(p.value - mean) > MEAN_TOL * mean + 1e-12:
                    raise InputError(
                        f"dirichlet value {p.value:g} disagrees with its share of the group's "
                        f"counts ({p.alpha:g} of {counts:g} = {mean:.6g}); fix the value or "
                        "the count",
                        file=p.file,
                        row=p.row,
                        parameter=p.name,
                    )

    @classmethod
    def read(cls, *paths: str | Path, country: str | None = None) -> ParameterTable:
        """Read CSV/XLSX files, or folders of them (see :func:`folder_files`); ``country``
        selects one country set's rows in tables with a ``country`` column."""
        params: list[Parameter] = []
        if not paths:
            raise InputError("no parameter files given")
        for path in paths:
            path = Path(path)
            try:
                is_dir = path.is_dir()
            except OSError as exc:
                raise _os_error(exc, path) from None
            if is_dir:
                for f in folder_files(path):
                    params += read_file(f, country)
            else:
                params += read_file(path, country)
        return cls(params)

    def to_input_frame(self) -> pd.DataFrame:
        """The table in the input columns (:meth:`Parameter.input_row`), readable by
        :meth:`read` and giving the same parameters back."""
        cols = [c for c in COLUMNS if c not in OPTIONAL]
        return pd.DataFrame([p.input_row() for p in self], columns=cols)

    @classmethod
    def from_frame(cls, df: pd.DataFrame, file: str = "<frame>") -> ParameterTable:
        """Build from a DataFrame with the table's columns."""
        cols = [str(c).strip().lower() for c in df.columns]
        check_header(cols, file)
        recs = df.set_axis(cols, axis=1).to_dict("records")
        return cls(parse_row(r, file, i) for i, r in enumerate(recs, start=2))

    # ---------------------------------------------------------------- access
    def __getitem__(self, name: str) -> Parameter:
        try:
            return self._params[name]
        except KeyError:
            near = difflib.get_close_matches(name, list(self._params), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise InputError(f"unknown parameter{hint}", parameter=name) from None

    def __contains__(self, name: object) -> bool:
        return name in self._params

    def __len__(self) -> int:
        return len(self._params)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._params.values())

    @property
    def names(self) -> list[str]:
        """Parameter names in table order."""
        return list(self._params)

    def base_values(self) -> dict[str, float]:
        """Base-case value of every parameter."""
        return {n: p.value for n, p in self._params.items()}

    @property
    def uncertain_names(self) -> list[str]:
        """Parameters that vary in PSA (not fixed)."""
        return [n for n, p in self._params.items() if p.uncertain]

    @property
    def one_way_names(self) -> list[str]:
        """Parameters with a one-way range."""
        return [n for n, p in self._params.items() if p.one_way_range() is not None]

    def groups(self) -> dict[str, list[str]]:
        """Dirichlet groups: group -> member names."""
        out: dict[str, list[str]] = {}
        for n, p in self._params.items():
            if p.group:
                out.setdefault(p.group, []).append(n)
        return out

    def with_values(self, values: dict[str, float]) -> ParameterTable:
        """A copy with new base values (unknown names are errors)."""
        for n in values:
            self[n]  # raises with a suggestion
        return ParameterTable(
            replace(p, value=float(values[p.name])) if p.name in values else p for p in self
        )

    def to_frame(self) -> pd.DataFrame:
        """Tidy table for reports: one row per parameter."""
        rows = []
        for p in self:
            rng = p.one_way_range()
            dist = (
                f"dirichlet(alpha={p.alpha:g}, group={p.group})" if p.group else p.dist.describe()
            )
            rows.append(
                {
                    "name": p.name,
                    "description": p.description,
                    "value": p.value,
                    "unit": p.unit,
                    "distribution": dist,
                    "low": None if rng is None else rng[0],
                    "high": None if rng is None else rng[1],
                    "source": p.source,
                    "file": Path(p.file).name,
                    "row": p.row,
                }
            )
        return pd.DataFrame(rows)
