"""Sizes checked before anything is allocated: how much memory a sample of draws needs."""

from __future__ import annotations

import os

from hecon.errors import InputError

BYTES_PER_VALUE = 8
# copies of each draw's values alive at once: normal scores, uniforms, parameter values, the
# draws table, outcomes per strategy and their tables, the CSV text being written
COPIES = 16
FALLBACK_LIMIT = 4 * 1024**3


def memory_limit() -> int:
    """Bytes a run may plan to use: half of this machine's physical memory (4 GB when the
    operating system does not say)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")) // 2
    except (ValueError, OSError, AttributeError):
        return FALLBACK_LIMIT


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1024 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} PB"  # pragma: no cover


def memory_needed(rows: int, columns: int, copies: int = COPIES) -> int:
    """Estimated bytes for ``rows`` draws of ``columns`` values: rows x columns x 8 bytes x
    the number of copies alive at once."""
    return int(rows) * max(int(columns), 1) * BYTES_PER_VALUE * copies


def check_memory(rows: int, columns: int, what: str, option: str = "-n",
                 limit: int | None = None) -> None:
    """Refuse (InputError, one line) a sample whose estimated memory exceeds the limit, saying
    how many rows fit and how to split the work into runs that fit. ``columns`` of 1 is a
    lower bound (before the number of parameters is known)."""
    limit = memory_limit() if limit is None else limit
    need = memory_needed(rows, columns)
    if need <= limit:
        return
    fit = (f"at most {max(limit // memory_needed(1, columns), 1):,}" if columns > 1
           else "fewer")
    size = (f"at least {_size(need)}" if columns <= 1 else
            f"about {_size(need)} ({int(columns):,} parameters each)")
    raise InputError(
        f"{what}: {int(rows):,} rows need {size} of memory, more than the "
        f"{_size(limit)} allowed (half of this "
        f"machine's memory); use {fit} per run ({option}) and pool several runs "
        "made with different --seed values (--chunk-size only bounds the rows evaluated at "
        "once)")
