"""Safe output files: every file is written to a temporary name and renamed into place, so an
interrupted run never leaves a half-written file behind (the previous file stays intact); and
no text a user typed can run as a spreadsheet formula (:func:`neutralise`)."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def current_umask() -> int:
    """The process umask now (read from /proc where possible: setting it to read it would
    briefly expose files other threads create; elsewhere the umask at import)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return _UMASK


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    if text != text.strip():
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True


# control characters a worksheet cannot hold and that split CSV rows in some readers (a Word
# line break is \x0b); tab, line feed and carriage return stay
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula, made inert (OWASP CSV injection):
    a leading ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a single quote in
    front; control characters (which no worksheet can hold) become spaces. Numbers, and
    text that is a plain number such as ``-5`` or ``+1e3``, are left alone; anything that is
    not text is returned unchanged."""
    if not isinstance(value, str):
        return value
    if _CONTROL.search(value):
        value = _CONTROL.sub(" ", value)
    if value.startswith(FORMULA_START) and not _is_number(value):
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with :func:`neutralise` applied to its column names and to every
    text cell (numeric columns are untouched)."""
    out = df.rename(columns=lambda c: neutralise(c) if isinstance(c, str) else c)
    for j in range(out.shape[1]):
        col = out.iloc[:, j]
        if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
            out.isetitem(j, col.map(neutralise))
    if out.index.dtype == object:
        out.index = out.index.map(neutralise)
    return out


def _fsync(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (best effort: not every platform can open a directory)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# folders whose files are made durable together by their owner (a run's staging folder:
# :func:`hecon.runfolder.seal` flushes every file once, before the folder is swapped in), so a
# file written there is not flushed on its own
_BATCHED: set[Path] = set()


def _batched(folder: Path) -> bool:
    folder = Path(os.path.abspath(folder))
    return any(p in _BATCHED for p in (folder, *folder.parents))


def sync_folder(folder: str | Path) -> None:
    """Flush every file under ``folder``, then every folder's entries, to disk (best effort
    for folders): what :func:`atomic_write` does file by file, once for a whole folder."""
    folder = Path(folder)
    dirs = [folder]
    for p in sorted(folder.rglob("*")):
        if p.is_dir():
            dirs.append(p)
        elif p.is_file():
            _fsync(p)
    for d in dirs:
        _fsync_dir(d)


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` then rename the temporary file to ``path`` atomically.

    The temporary file sits beside ``path`` (same file system, so the rename is atomic), is
    flushed to disk before the rename (inside a run's staging folder: with the whole folder,
    by :func:`sync_folder`, before the folder is swapped in) and gets the usual permissions
    (``0o666`` less the umask, not the private ``0o600`` of a temporary file). If ``write``
    raises, or the run is interrupted, the temporary file is removed and a previous ``path``
    is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    batched = _batched(path.parent)  # flushed with its folder (sync_folder), not alone
    try:
        write(tmp_path)
        if not batched:
            _fsync(tmp_path)
        os.chmod(tmp_path, 0o666 & ~current_umask())
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    if not batched:
        _fsync_dir(path.parent)
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write text atomically."""
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: str | Path, data: Any) -> Path:
    """Write JSON atomically (indented, UTF-8)."""
    return write_text(path, json.dumps(data, indent=2, ensure_ascii=False, default=float) + "\n")


def csv_text(df: pd.DataFrame) -> str:
    """The text :func:`write_csv` writes for ``df`` (without the index), to be written later
    with :func:`write_text` (same bytes: lines end in ``\n``, which text mode turns into the
    platform's line end, as pandas does when it writes a file)."""
    return neutralise_frame(df).to_csv(index=False, lineterminator="\n")


def write_csv(path: str | Path, df: pd.DataFrame, index: bool = False) -> Path:
    """Write a DataFrame as CSV atomically; text fields are neutralised (:func:`neutralise`)
    so that no field a user typed runs as a formula when the file is opened in a
    spreadsheet."""
    safe = neutralise_frame(df)
    return atomic_write(path, lambda p: safe.to_csv(p, index=index))
