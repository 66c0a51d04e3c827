"""Limits checked before a value is used: how much memory a sample of draws needs (checked
before anything is allocated), and whether every sampled or overridden value respects its unit."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

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


def row_words(label: str) -> str:
    """A design row's label in words: 'psa17' -> 'PSA draw 17', 'c_device:low' -> "one-way
    row 'c_device:low'", 'base' -> 'the base case', '5' -> 'design row 5'."""
    if label == "base":
        return "the base case"
    if label.startswith("psa") and label[3:].isdigit():
        return f"PSA draw {int(label[3:])}"
    if label.isdigit():
        return f"design row {label}"
    if ":" in label:
        return f"one-way row {label!r}"
    return f"design row {label!r}"


def check_values(params: Mapping[str, Any], table: Any, labels: Sequence[str],
                overrides: Mapping[str, str] | None = None,
                override_file: str | None = None) -> None:
    """Every sampled or overridden value of every parameter checked against its unit
    (:func:`hecon.parameters.unit_bounds`: probability and share in [0, 1], utility at most
    1, cost, duration, rate, ratio and count at least 0; always finite), over all rows at
    once. The first offending value is an InputError naming the parameter, where it came
    from (its table file and row, or the scenario file whose override ``overrides[name]``
    produced it), the design row (e.g. 'PSA draw 17') and the value."""
    from hecon.parameters import unit_bounds, value_problem

    overrides = overrides or {}
    for p in table:
        if p.name not in params:
            continue
        x = np.asarray(params[p.name], dtype=float)
        b = unit_bounds(p.unit)
        lo, hi = (-np.inf, np.inf) if b is None else b[1:]
        with np.errstate(invalid="ignore"):
            bad = ~(np.isfinite(x) & (x >= lo) & (x <= hi))
        if not bad.any():
            continue
        i = int(np.flatnonzero(np.broadcast_to(bad, np.shape(bad) or (1,)))[0])
        value = float(np.ravel(x)[i] if x.ndim else x)
        label = labels[i] if i < len(labels) else str(i)
        why = value_problem(p.unit, value)
        if p.name in overrides:
            raise InputError(f"after the scenario's override ({overrides[p.name]}), in "
                             f"{row_words(label)}: {why}", file=override_file,
                             parameter=p.name)
        drawn = (f" (drawn from its {p.distribution} distribution)"
                 if label.startswith("psa") or label.isdigit() else "")
        raise InputError(f"in {row_words(label)}{drawn}: {why}", file=p.file, row=p.row,
                         parameter=p.name)


class UnusedParameterWarning(UserWarning):
    """A parameter of the table that the model never read (a misspelt or stale row?)."""


@contextmanager
def parameters_read() -> Iterator[set[str]]:
    """Record the names of the parameters a model reads (``p[name]`` or ``p.name``) while
    the block runs: the set yielded is filled as the model evaluates. Reads made by walking
    the whole mapping (``dict(p.items())``, as hecon does to copy samples) do not count."""
    from hecon.engine.params import ParamView

    seen: set[str] = set()
    original = ParamView.__getitem__

    def getitem(self: ParamView, key: str) -> Any:
        if "_collections_abc" not in sys._getframe(1).f_code.co_filename:
            seen.add(key)
        return original(self, key)

    ParamView.__getitem__ = getitem  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        ParamView.__getitem__ = original  # type: ignore[method-assign]


def warn_unused(table: Any, read: set[str], what: str = "the base case") -> list[str]:
    """Warn (:class:`UnusedParameterWarning`, one message naming them) about the parameters
    of ``table`` the model did not read in ``what``. Returns their names."""
    unused = [n for n in table.names if n not in read]
    if unused:
        files = sorted({Path(table[n].file).name for n in unused})
        shown = ", ".join(unused[:8]) + (f" and {len(unused) - 8} more" if len(unused) > 8
                                          else "")
        warnings.warn(f"{len(unused)} parameter(s) of {', '.join(files)} not used by the "
                      f"model in {what}: {shown} (misspelt, or left over?)",
                      UnusedParameterWarning, stacklevel=2)
    return unused


def check_outcomes(results: Any) -> Any:
    """Every strategy's total costs (by category), QALYs and life-years must be finite
    numbers: inputs so large that their sums overflow (beyond about 1.8e308) are an
    InputError naming the strategy, the outcome and the design row, not an infinite or
    empty result. Returns ``results``."""
    labels = list(results.labels)
    for s in results.strategies:
        t = results.outputs[s].totals
        named = {**{f"cost ({c})": v for c, v in t.costs.items()}, "QALYs": t.qalys,
                 "life-years": t.life_years}
        for what, v in named.items():
            if v is None:
                continue
            with np.errstate(invalid="ignore"):
                bad = ~np.isfinite(np.asarray(v, dtype=float))
            if bad.any():
                i = int(np.flatnonzero(np.atleast_1d(bad))[0])
                label = labels[i] if i < len(labels) else str(i)
                raise InputError(f"strategy {s!r}, {row_words(label)}: the {what} is "
                                 f"{float(np.ravel(v)[i])!r}, not a finite number; an input is "
                                 "too large (the sums overflow): check the magnitudes of the "
                                 "cost and count parameters")
    return results
