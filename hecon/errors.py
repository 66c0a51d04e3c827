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


class ModelSpecError(ModelError):
    """A model or strategy is defined in a shape the engine cannot use (e.g. a bare decision
    tree passed to ``evaluate``, costs without a category level, a matrix as transitions).

    The message says what was given, what is expected and how to write it.
    """


class UnknownParameterError(InputError, KeyError):
    """A model asks for a parameter the samples do not contain. ``parameter`` names it; the
    message suggests close names and says to add it to the parameter table."""

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter

    def __str__(self) -> str:  # not KeyError's quoted form
        return str(self.args[0]) if self.args else ""


class UnknownParameterAttributeError(UnknownParameterError, AttributeError):
    """:class:`UnknownParameterError` raised by attribute access (``p.name``), so that
    ``hasattr`` and ``getattr(p, name, default)`` keep working."""
