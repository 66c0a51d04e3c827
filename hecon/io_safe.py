"""Safe output files: every file is written to a temporary name and renamed into place, so an
interrupted run never leaves a half-written file behind (the previous file stays intact)."""

from __future__ import annotations

import json
import os
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


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` then rename the temporary file to ``path`` atomically.

    The temporary file sits beside ``path`` (same file system, so the rename is atomic), is
    flushed to disk before the rename and gets the usual permissions (``0o666`` less the
    umask, not the private ``0o600`` of a temporary file). If ``write`` raises, or the run is
    interrupted, the temporary file is removed and a previous ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        _fsync(tmp_path)
        os.chmod(tmp_path, 0o666 & ~_UMASK)
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write text atomically."""
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: str | Path, data: Any) -> Path:
    """Write JSON atomically (indented, UTF-8)."""
    return write_text(path, json.dumps(data, indent=2, ensure_ascii=False, default=float) + "\n")


def write_csv(path: str | Path, df: pd.DataFrame, index: bool = False) -> Path:
    """Write a DataFrame as CSV atomically."""
    return atomic_write(path, lambda p: df.to_csv(p, index=index))
