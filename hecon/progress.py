"""Progress bars for long work (tqdm on stderr); silent unless switched on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Progress = Callable[..., Any]


class _Silent:
    def update(self, n: int = 1) -> None:
        """Ignore progress."""

    def close(self) -> None:
        """Nothing to close."""

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def silent(desc: str, total: int, unit: str = "row") -> _Silent:
    """A progress bar that shows nothing (the default for library calls and tests)."""
    return _Silent()


def bars(desc: str, total: int, unit: str = "row") -> Any:
    """A tqdm progress bar on stderr (used by the command line)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, leave=False, dynamic_ncols=True)
