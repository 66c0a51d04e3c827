"""A read-only view of parameter samples: name -> float array of shape (n,)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from hecon.errors import InputError, UnknownParameterAttributeError, UnknownParameterError


class ParamView(Mapping[str, np.ndarray]):
    """Parameter samples with item and attribute access (``p["hr"]`` or ``p.hr``).

    Every value is a float64 array of shape (n,); scalars given at construction are broadcast.
    """

    def __init__(self, values: Mapping[str, Any], n: int | None = None) -> None:
        arrays = {}
        for k, v in values.items():
            try:
                a = np.atleast_1d(np.asarray(v, dtype=float))
            except (TypeError, ValueError):
                raise InputError(f"value {v!r} is not a number or an array of numbers; give "
                                 "one float, or one float per sample", parameter=k) from None
            if a.ndim != 1:
                raise InputError(f"value has shape {a.shape}; give one number, or a 1-D "
                                 "array with one number per sample", parameter=k)
            arrays[k] = a
        sizes = {a.shape[0] for a in arrays.values() if a.shape[0] != 1}
        if len(sizes) > 1:
            by_size = {m: [k for k, a in arrays.items() if a.shape[0] == m] for m in sorted(sizes)}
            shown = "; ".join(f"{m}: {', '.join(ks[:3])}" for m, ks in by_size.items())
            raise InputError(f"parameter arrays have different lengths ({shown}); give every "
                             "parameter one value per sample (or a single value to broadcast)")
        if n is not None and sizes and sizes != {n}:
            raise InputError(f"parameter arrays have {sizes.pop()} values but n={n} samples "
                             "were asked for; give one value per sample")
        size = n if n is not None else (sizes.pop() if sizes else 1)
        self._n = int(size)
        self._values = {
            k: (np.broadcast_to(a, (self._n,)) if a.shape[0] == 1 else a) for k, a in arrays.items()
        }

    def rows(self, lo: int, hi: int) -> ParamView:
        """The samples lo..hi-1 (views of the same arrays, no copy and no re-check)."""
        out = ParamView.__new__(ParamView)
        out._n = hi - lo
        out._values = {k: v[lo:hi] for k, v in self._values.items()}
        return out

    def take(self, rows: np.ndarray) -> ParamView:
        """The samples at the given row indices, in that order (no re-check)."""
        out = ParamView.__new__(ParamView)
        out._n = len(rows)
        out._values = {k: v[rows] for k, v in self._values.items()}
        return out

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
            raise UnknownParameterError(
                f"unknown parameter {key!r}{hint}; add it to the parameter table (or the "
                "mapping passed to evaluate), or correct its name in the model",
                parameter=key,
            ) from None

    def __getattr__(self, key: str) -> np.ndarray:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self[key]
        except UnknownParameterError as exc:
            raise UnknownParameterAttributeError(str(exc), parameter=key) from None

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
