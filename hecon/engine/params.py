"""A read-only view of parameter samples: name -> float array of shape (n,)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np


class ParamView(Mapping[str, np.ndarray]):
    """Parameter samples with item and attribute access (``p["hr"]`` or ``p.hr``).

    Every value is a float64 array of shape (n,); scalars given at construction are broadcast.
    """

    def __init__(self, values: Mapping[str, Any], n: int | None = None) -> None:
        arrays = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in values.items()}
        sizes = {a.shape[0] for a in arrays.values() if a.shape[0] != 1}
        if len(sizes) > 1:
            raise ValueError(f"parameter arrays have different lengths: {sorted(sizes)}")
        size = n if n is not None else (sizes.pop() if sizes else 1)
        self._n = int(size)
        self._values = {
            k: (np.broadcast_to(a, (self._n,)) if a.shape[0] == 1 else a) for k, a in arrays.items()
        }

    @property
    def n(self) -> int:
        """Number of samples."""
        return self._n

    def __getitem__(self, key: str) -> np.ndarray:
        try:
            return self._values[key]
        except KeyError:
            near = difflib.get_close_matches(key, list(self._values), n=3)
            hint = f"; did you mean {', '.join(repr(x) for x in near)}?" if near else ""
            raise KeyError(f"unknown parameter {key!r}{hint}") from None

    def __getattr__(self, key: str) -> np.ndarray:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self[key]
        except KeyError as exc:
            raise AttributeError(exc.args[0]) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def as_params(obj: Any) -> ParamView:
    """Accept a ParamView, a Design (``.params()``), a hecon Params or any mapping of arrays."""
    if isinstance(obj, ParamView):
        return obj
    if hasattr(obj, "params") and callable(obj.params):
        obj = obj.params()
    n = getattr(obj, "n", None)
    return ParamView(dict(obj.items()), n=n)
