"""States, the complement marker and the layout of tunnel (time-in-state) sub-states."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hecon.errors import InputError, ModelError, ModelSpecError


class _Complement:
    """Marker for 'one minus the other probabilities of this row' (heemod's C)."""

    _instance: _Complement | None = None

    def __new__(cls) -> _Complement:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "C"


C = _Complement()


@dataclass(frozen=True)
class State:
    """A health state. ``tunnel=k`` tracks time in state for k cycles (the k-th sub-state holds
    everyone who has been there k-1 cycles or more); ``dead=True`` excludes it from life-years."""

    name: str
    tunnel: int = 1
    dead: bool = False

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise InputError(f"state name must be a non-empty string, got {self.name!r}")
        if int(self.tunnel) != self.tunnel or self.tunnel < 1:
            raise InputError(f"state {self.name!r}: tunnel length must be a whole number >= 1")


class Layout:
    """Maps user states to expanded sub-states (one per time-in-state cycle)."""

    def __init__(self, states: Sequence[str | State], dead: Sequence[str] = ()) -> None:
        objs = [s if isinstance(s, State) else State(s) for s in states]
        names = [s.name for s in objs]
        dupes = {x for x in names if names.count(x) > 1}
        if dupes:
            raise InputError(f"duplicate state names: {sorted(dupes)}")
        unknown = set(dead) - set(names)
        if unknown:
            raise InputError(f"dead states {sorted(unknown)} are not among the states {names}")
        self.states = [State(s.name, s.tunnel, s.dead or s.name in dead) for s in objs]
        self.names = names
        self.index: dict[str, np.ndarray] = {}
        start = 0
        for s in self.states:
            self.index[s.name] = np.arange(start, start + s.tunnel)
            start += s.tunnel
        self.size = start
        self.alive = np.ones(self.size, dtype=bool)
        for s in self.states:
            if s.dead:
                self.alive[self.index[s.name]] = False
        self.tunnel = {s.name: s.tunnel for s in self.states}
        # matrix collapsing sub-states back to user states: (size, n_states)
        self.collapse = np.zeros((self.size, len(self.states)))
        for j, s in enumerate(self.states):
            self.collapse[self.index[s.name], j] = 1.0

    def check_state(self, name: str, what: str) -> None:
        """Raise a clear error if ``name`` is not a state."""
        if name not in self.index:
            raise ModelSpecError(f"{what}: unknown state {name!r}; states are {self.names}")

    def targets(self, src: str, dst: str) -> tuple[np.ndarray, np.ndarray]:
        """Expanded (rows, cols) of a transition src -> dst, one pair per sub-state of src."""
        rows = self.index[src]
        if src == dst:
            k = self.tunnel[src]
            cols = rows[np.minimum(np.arange(k) + 1, k - 1)]
        else:
            cols = np.full(rows.shape, self.index[dst][0])
        return rows, cols


def rowdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot product of two (n, S) arrays. For few states a sum of column products is
    several times faster than einsum over a short inner axis (same values up to rounding)."""
    S = a.shape[1]
    if S == 0:
        return np.zeros(a.shape[0])
    if S > 8:
        return np.einsum("ns,ns->n", a, b)
    out = a[:, 0] * b[:, 0]
    for j in range(1, S):
        out += a[:, j] * b[:, j]
    return out


def rowsum(a: np.ndarray) -> np.ndarray:
    """Row sums of an (n, S) array (column loop for few columns; see :func:`rowdot`)."""
    S = a.shape[1]
    if S == 0 or S > 8:
        return a.sum(axis=1)
    out = a[:, 0].copy()
    for j in range(1, S):
        out += a[:, j]
    return out


def broadcast_value(value: object, n: int, k: int, where: str) -> np.ndarray:
    """Broadcast a scalar, (n,), (k,)-by-row (1, k) or (n, k) value to shape (n, k)."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return np.broadcast_to(arr, (n, k))
    if arr.ndim == 1:
        if arr.shape[0] in (n, 1):
            return np.broadcast_to(arr[:, None], (n, k))
        raise ModelError(f"{where}: value has {arr.shape[0]} entries, expected {n} (samples)")
    if arr.ndim == 2 and arr.shape[0] in (n, 1) and arr.shape[1] in (k, 1):
        return np.broadcast_to(arr, (n, k))
    raise ModelError(f"{where}: value of shape {arr.shape} does not fit (samples={n}, tunnel={k})")


def describe(obj: Any) -> str:
    """A short description of a value for an error message."""
    if isinstance(obj, np.ndarray):
        return f"a numpy array of shape {obj.shape}"
    text = repr(obj)
    return f"{type(obj).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def category_mapping(obj: Any, where: str, inner: str, example: str) -> Mapping[str, Any]:
    """Check that ``obj`` maps cost category -> a mapping (``inner`` describes its keys).

    Costs always have a category level, e.g. ``{"drug": {"well": 100}}``; a flat
    ``{"well": 100}`` is refused with the fix spelled out."""
    if not isinstance(obj, Mapping):
        raise ModelSpecError(
            f"{where}: expected a mapping category -> {{{inner}: amount}}, got {describe(obj)}; "
            f"write it as e.g. {example}"
        )
    for cat, vals in obj.items():
        if not isinstance(vals, Mapping):
            raise ModelSpecError(
                f"{where}: costs need a category level: {{category: {{{inner}: amount}}}}, but "
                f"{cat!r} maps to {describe(vals)}; write e.g. {{'care': {{{cat!r}: ...}}}} "
                f"(one entry per cost category such as 'drug', 'hospital'), as in {example}"
            )
    return obj


def state_vector(
    values: dict[str, object] | None, layout: Layout, n: int, where: str
) -> np.ndarray:
    """Build an (n, size) array of per-state values from a {state: value} mapping (others 0)."""
    if values is not None and not isinstance(values, Mapping):
        raise ModelSpecError(
            f"{where}: expected a mapping {{state: value}}, got {describe(values)}; write e.g. "
            f"{{{layout.names[0]!r}: 0.8}} (states left out count as 0)"
        )
    out = np.zeros((n, layout.size))
    for state, v in (values or {}).items():
        layout.check_state(state, where)
        idx = layout.index[state]
        if isinstance(v, Mapping):
            raise ModelSpecError(
                f"{where}: state {state!r} maps to {describe(v)}, a mapping; give one value per "
                "state (a number or an array over samples); costs by category go in costs=, as "
                "{category: {state: amount}}"
            )
        out[:, idx] = broadcast_value(v, n, idx.size, f"{where}, state {state!r}")
    return out
