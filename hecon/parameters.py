"""The parameter table: one row per parameter, read from CSV or XLSX (or a folder of them).

Columns (case-insensitive; see docs/architecture.md section 1): name, description, value, unit,
distribution, se, ci_low, ci_high, alpha, beta, shape, scale, meanlog, sdlog, min, max, mode,
group, low, high, source. Every problem is an :class:`~hecon.errors.InputError` naming the file,
the row (spreadsheet numbering: the header is row 1) and the parameter. Nothing is clamped.
"""

from __future__ import annotations

import csv
import difflib
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
COLUMNS = (*TEXT, *NUMERIC)
KINDS = ("fixed", "beta", "gamma", "lognormal", "normal", "uniform", "triangular", "dirichlet")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
UNIT_01 = ("probability", "proportion")
MAX_BYTES = 20 * 2**20
MAX_ROWS = 100_000


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

    @property
    def distribution(self) -> str:
        """Distribution kind (``dirichlet`` for group members)."""
        return "dirichlet" if self.group else self.dist.kind

    @property
    def uncertain(self) -> bool:
        """True unless the parameter is fixed."""
        return self.distribution != "fixed"

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
            raise _err(f"column '{col}' is {s!r}, not a number", file, row, name) from None
    if isinstance(raw, bool) or not isinstance(raw, (int, float, np.integer, np.floating)):
        raise _err(f"column '{col}' is {raw!r}, not a number", file, row, name)
    x = float(raw)
    if not math.isfinite(x):
        raise _err(f"column '{col}' is {raw!r}; it must be a finite number", file, row, name)
    return x


def _text(raw: Any) -> str:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return ""
    return str(raw).strip()


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
    raise _err(f"unknown distribution {kind!r}", file, row, name)


def parse_row(raw: dict, file: str, row: int) -> Parameter:
    """Validate one row (a dict of column -> cell value) into a :class:`Parameter`."""
    name = _text(raw.get("name"))
    if not name:
        raise _err("the name is empty", file, row, None)
    if not NAME_RE.match(name):
        raise _err(
            "a name must start with a letter or _ and hold only letters, digits and _",
            file,
            row,
            name,
        )
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
    if u in UNIT_01 and not 0 <= v <= 1:
        raise _err(f"value {v:g} is a {u}; it must lie in [0, 1]", file, row, name)
    if u == "utility" and v > 1:
        raise _err(f"value {v:g} is a utility; it cannot exceed 1", file, row, name)
    if u.startswith(("dkk", "gbp", "eur", "usd")) and v < 0:
        raise _err(f"value {v:g} is a cost; it cannot be negative", file, row, name)
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
    )


# --------------------------------------------------------------------------- readers
def _records_csv(path: Path) -> Iterator[tuple[int, dict]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not a UTF-8 text file (is it a CSV?)", file=str(path)) from None
    try:
        rows = list(csv.reader(text.splitlines()))
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", file=str(path)) from None
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


def _records_xlsx(path: Path) -> Iterator[tuple[int, dict]]:
    import zipfile

    try:
        import defusedxml  # noqa: F401  (openpyxl uses it for safe XML parsing when installed)
        from openpyxl import load_workbook
    except ImportError as exc:  # pragma: no cover
        raise InputError(f"cannot read XLSX: {exc}", file=str(path)) from None
    try:
        with zipfile.ZipFile(path) as z:
            total = sum(i.file_size for i in z.infolist())
            if total > 10 * MAX_BYTES:
                raise InputError(
                    f"the workbook unpacks to {total / 2**20:.0f} MiB; refusing "
                    "to read more than 200 MiB",
                    file=str(path),
                )
            if any(n.startswith("xl/externalLinks/") for n in z.namelist()):
                raise InputError(
                    "the workbook has external links; paste values instead", file=str(path)
                )
        wb = load_workbook(path, read_only=True, data_only=False)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"not a readable XLSX workbook ({type(exc).__name__})", file=str(path)
        ) from None
    ws = wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    try:
        header_row = next(it)
    except StopIteration:
        raise InputError("the workbook's first sheet is empty", file=str(path)) from None
    header = [_text(h).lower() for h in header_row]
    yield 1, {"__header__": header}
    for i, cells in enumerate(it, start=2):
        if i > MAX_ROWS:
            raise InputError(f"more than {MAX_ROWS} rows", file=str(path))
        if not any(c is not None and _text(c) for c in cells):
            continue
        rec = {}
        for h, c in zip(header, cells, strict=False):
            if isinstance(c, str) and c.startswith("=") and h in NUMERIC:
                raise InputError(
                    f"column '{h}' holds a formula ({c!r}); enter a value",
                    file=str(path),
                    row=i,
                    parameter=_text(rec.get("name")) or None,
                )
            rec[h] = c
        yield i, rec
    wb.close()


def read_file(path: str | Path) -> list[Parameter]:
    """Read and validate one CSV or XLSX parameter file."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=str(path))
    if not path.is_file():
        raise InputError("not a file", file=str(path))
    if path.stat().st_size > MAX_BYTES:
        raise InputError("file larger than 20 MiB; is it really a parameter table?", file=str(path))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        records = _records_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        records = _records_xlsx(path)
    else:
        raise InputError("a parameter table must be .csv or .xlsx", file=str(path))
    _, head = next(records)
    header = head["__header__"]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        unknown = [h for h in header if h and h not in COLUMNS]
        hints = [f"{u!r} -> {difflib.get_close_matches(u, missing, n=1)[0]!r}" for u in unknown
                 if difflib.get_close_matches(u, missing, n=1)]
        hint = f" (misspelt? {', '.join(hints)})" if hints else ""
        raise InputError(f"missing column(s): {', '.join(missing)}{hint}", file=str(path),
                         row=1)
    dup = sorted({h for h in header if h and header.count(h) > 1})
    if dup:
        raise InputError(f"duplicated column(s): {', '.join(dup)}", file=str(path), row=1)
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        near = difflib.get_close_matches(unknown[0], COLUMNS, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise InputError(f"unknown column {unknown[0]!r}{hint}", file=str(path), row=1)
    return [parse_row(rec, str(path), i) for i, rec in records]


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
                    f"dirichlet group {g!r} values sum to {total:.12g}, not 1",
                    file=first.file,
                    row=first.row,
                    parameter=first.name,
                )

    @classmethod
    def read(cls, *paths: str | Path) -> ParameterTable:
        """Read CSV/XLSX files, or folders of them (every *.csv and *.xlsx, sorted)."""
        params: list[Parameter] = []
        if not paths:
            raise InputError("no parameter files given")
        for path in paths:
            path = Path(path)
            if path.is_dir():
                files = sorted(list(path.glob("*.csv")) + list(path.glob("*.xlsx")))
                if not files:
                    raise InputError(
                        "no .csv or .xlsx parameter files in the folder", file=str(path)
                    )
                for f in files:
                    params += read_file(f)
            else:
                params += read_file(path)
        return cls(params)

    @classmethod
    def from_frame(cls, df: pd.DataFrame, file: str = "<frame>") -> ParameterTable:
        """Build from a DataFrame with the table's columns."""
        cols = [str(c).strip().lower() for c in df.columns]
        missing = [c for c in REQUIRED if c not in cols]
        if missing:
            raise InputError(f"missing column(s): {', '.join(missing)}", file=file, row=1)
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
