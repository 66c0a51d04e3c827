"""Error types. Every error a user can cause names where it happened and what is wrong."""

from __future__ import annotations


class HeconError(Exception):
    """Base class of every error hecon raises on purpose."""


class InputError(HeconError, ValueError):
    """Bad input data: names the file, row or cell, the parameter and what is wrong."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | str | None = None,
        parameter: str | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.parameter = parameter
        self.reason = message
        where = []
        if file is not None:
            where.append(str(file))
        if row is not None:
            where.append(f"row {row}")
        if parameter is not None:
            where.append(f"parameter '{parameter}'")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ModelError(HeconError, ValueError):
    """A model produced something impossible (e.g. a transition row not summing to 1).

    The message names the strategy, state, cycle and sample concerned.
    """
