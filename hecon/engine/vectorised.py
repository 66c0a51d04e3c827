"""Time-vectorised evaluation of a cohort (Markov) model (``MarkovModel(vectorised=True)``).

The per-cycle path calls a model's callables once per cycle and builds a dense (n, S, S)
transition matrix each time; with a few states and hundreds of cycles most of its time is
Python overhead, whatever the number of samples. Here every callable is called **once** for all
cycles, with

* the parameters as (n, 1) columns (``p.x[i, 0]`` is sample i), and
* a :class:`~hecon.engine.markov.Cycle` whose ``k`` and ``time`` are (1, T) rows over the
  cycles and whose ``age`` is (n, T), or (1, T) when every sample starts at the same age,

so a value written with numpy broadcasting (``np.where`` instead of ``if``) comes out as an
(n, T) array by sample and cycle (or any shape that broadcasts to it: a scalar, (n, 1), (1, T)).
The same callables also work per cycle, which is how an invalid value is located: when a check
fails here, the model is re-run on the per-cycle path, whose error names the strategy, state,
cycle and sample exactly as without ``vectorised``.

Transitions are kept sparse: one (n, T) array per (from, to) entry, no (n, S, S) matrix. When
every living state moves only to itself or to absorbing states (no state-to-state progression,
as in a model of survival by state), membership is a cumulative product over cycles and the
absorbing states a cumulative sum, with no loop over cycles; otherwise one short loop over
cycles applies the entries. Rewards are counted from the whole trace at once with the same
counting and discounting weights as the per-cycle path (:class:`Accumulator`); every operation
is row-wise, so results do not depend on how samples are chunked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from hecon.engine.accumulate import Accumulator
from hecon.engine.params import ParamView
from hecon.engine.settings import Settings
from hecon.engine.states import C, Layout
from hecon.errors import ModelError, ModelSpecError

if TYPE_CHECKING:  # pragma: no cover
    from hecon.engine.markov import MarkovModel, ModelOutput

TOL = 1e-9
ROUNDING = 1e-12
MEMBERSHIP_TOL = 1e-8
#: samples are evaluated in blocks of about this many (sample, cycle) elements, so that the
#: working arrays stay in the processor's cache (results do not depend on the block size)
BLOCK_ELEMENTS = 1 << 16
#: without a trace, samples that agree on every parameter the model reads are evaluated once
#: when at least MIN_SHARED_ROWS samples are asked for and at most SHARE_DISTINCT of them are
#: distinct (results are the same either way)
MIN_SHARED_ROWS = 8
SHARE_DISTINCT = 0.75


class _Invalid(Exception):
    """A check failed: the per-cycle path re-runs the model to report it precisely."""


class ColumnParams(Mapping[str, np.ndarray]):
    """Parameter samples as (n, 1) columns, with item and attribute access like
    :class:`~hecon.engine.params.ParamView` (``p["hr"]`` or ``p.hr``); a parameter with the
    same value in every sample is a (1, 1) column."""

    def __init__(self, p: ParamView) -> None:
        self._p = p
        self._cols: dict[str, np.ndarray] = {}

    @property
    def n(self) -> int:
        """Number of samples."""
        return self._p.n

    def __getitem__(self, key: str) -> np.ndarray:
        col = self._cols.get(key)
        if col is None:
            v = self._p[key]
            # a parameter equal in every sample is a (1, 1) column: what is computed from it
            # alone is then computed once, not once per sample (same values either way)
            col = v[:1, None] if v.size and v[0] == v[-1] and (v == v[0]).all() else v[:, None]
            self._cols[key] = col
        return col

    def __getattr__(self, key: str) -> np.ndarray:
        if key.startswith("_"):
            raise AttributeError(key)
        self._p.__getattr__(key)  # raises the view's error for an unknown name
        return self[key]

    def __iter__(self):  # noqa: ANN204 - Mapping protocol
        return iter(self._p)

    def __len__(self) -> int:
        return len(self._p)


def _value(v: Any, n: int, T: int) -> np.ndarray:
    """A value as an array that broadcasts to (n, T): a scalar, (n,) by sample, or 2-D with
    rows 1 or n and columns 1 or T. Anything else is invalid."""
    arr = np.asarray(v, dtype=float)
    if arr.ndim == 0:
        return arr.reshape(1, 1)
    if arr.ndim == 1:
        if arr.shape[0] in (n, 1):
            return arr[:, None]
        raise _Invalid
    if arr.ndim == 2 and arr.shape[0] in (n, 1) and arr.shape[1] in (T, 1):
        return arr
    raise _Invalid


def _weighted_sum(w: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Row sums of ``w * v`` for (n, T) weights and a value broadcasting to (n, T), shape (n,)."""
    if v.shape[1] == 1:
        s = w.sum(axis=1)
        return s * v[:, 0] if v.shape[0] > 1 else s * float(v[0, 0])
    if v.shape[0] == 1:
        return np.einsum("nt,t->n", w, v[0])
    return np.einsum("nt,nt->n", w, v)


def _transitions(model: MarkovModel, cp: ColumnParams, ctx: Any, n: int, T: int
                 ) -> dict[tuple[int, int], np.ndarray]:
    """Checked transition entries {(from, to) state index: array broadcasting to (n, T)}."""
    lay = model.layout
    entries = model.transitions(cp, ctx)
    if not isinstance(entries, Mapping):
        raise _Invalid
    by_src: dict[str, list[tuple[str, Any]]] = {}
    for key, value in entries.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise _Invalid
        src, dst = key
        if src not in lay.index or dst not in lay.index:
            raise _Invalid
        by_src.setdefault(src, []).append((dst, value))
    dead = {s.name for s in lay.states if s.dead}
    pos = {name: j for j, name in enumerate(lay.names)}
    P: dict[tuple[int, int], np.ndarray] = {}
    for src in lay.names:
        i = pos[src]
        items = by_src.get(src)
        if not items:  # absorbing
            P[(i, i)] = np.ones((1, 1))
            continue
        comp = [dst for dst, v in items if v is C]
        if len(comp) > 1:
            raise _Invalid
        total: Any = None
        for dst, v in items:
            if v is C:
                continue
            val = _value(v, n, T)
            if not (val.min() >= 0 and val.max() <= 1):
                raise _Invalid
            if src in dead and dst not in dead and val.max() > 0:
                raise _Invalid
            key = (i, pos[dst])
            P[key] = P[key] + val if key in P else val
            total = val if total is None else total + val
        if total is None:  # the complement alone
            total = np.zeros((1, 1))
        if comp:
            rest = 1.0 - total
            low = rest.min()
            if not low >= -ROUNDING:
                raise _Invalid
            if src in dead and comp[0] not in dead and rest.max() > 0:
                raise _Invalid
            key = (i, pos[comp[0]])
            if low < 0:  # rounding below 0 counts as 0, as on the per-cycle path
                rest = np.where(rest < 0, 0.0, rest)
            P[key] = P[key] + rest if key in P else rest
        elif not np.abs(total - 1.0).max() <= TOL:
            raise _Invalid
    return P


def _propagate(P: dict[tuple[int, int], np.ndarray], m0: np.ndarray, n: int, T: int
               ) -> np.ndarray:
    """Membership (S, n, T + 1) from the start (n, S) under the entries ``P``."""
    S = m0.shape[1]
    M = np.empty((S, n, T + 1))
    M[:, :, 0] = m0.T
    sinks = {
        s for s in range(S)
        if all(j == s for i, j in P if i == s) and (s, s) in P and bool(np.all(P[(s, s)] == 1.0))
    }
    simple = all(j == i or j in sinks for i, j in P)
    if simple:
        for s in range(S):
            if s in sinks:
                continue
            stay = P.get((s, s))
            if stay is None:
                M[s, :, 1:] = 0.0
                continue
            # the running product starts from m0, so M[s, :, k] = ((m0 * p1) * p2) ... * pk,
            # the per-cycle path's own order of operations
            M[s, :, 1:] = stay
            np.cumprod(M[s], axis=1, out=M[s])
        tmp = np.empty((n, T))
        for d in sinks:
            # M[d, :, k] = m0 + inflow_1 + ... + inflow_k, the running sum starting from m0
            row = M[d, :, 1:]
            row[:] = 0.0
            for (i, j), v in P.items():
                if j == d and i != d:
                    row += np.multiply(M[i, :, :-1], v, out=tmp)
            np.cumsum(M[d], axis=1, out=M[d])
        return M
    full = {key: np.broadcast_to(v, (n, T)) for key, v in P.items()}
    for k in range(T):
        nxt = np.zeros((S, n))
        for (i, j), v in full.items():
            nxt[j] += M[i, :, k] * v[:, k]
        M[:, :, k + 1] = nxt
    return M


def _state_values(values: Any, lay: Layout, n: int, T: int) -> dict[int, np.ndarray]:
    """{state index: value broadcasting to (n, T)} from a {state: value} mapping."""
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise _Invalid
    pos = {name: j for j, name in enumerate(lay.names)}
    out: dict[int, np.ndarray] = {}
    for state, v in values.items():
        if state not in pos or isinstance(v, Mapping):
            raise _Invalid
        out[pos[state]] = _value(v, n, T)
    return out


def _categories(obj: Any) -> Mapping[str, Any]:
    if not isinstance(obj, Mapping) or not all(isinstance(v, Mapping) for v in obj.values()):
        raise _Invalid
    return obj


def _all_cycles(model: Any, age0: np.ndarray | None, n: int) -> Any:
    """The :class:`~hecon.engine.markov.Cycle` of every cycle at once: ``k`` and ``time`` as
    (1, T) rows, ``age`` (n, T), or (1, T) when every sample starts at the same age."""
    from hecon.engine.markov import Cycle

    T, dt = int(model.n_cycles), float(model.cycle_length)
    time = (np.arange(T, dtype=float) * dt)[None, :]
    if age0 is None:
        age = None
    elif age0.size and float(age0.min()) == float(age0.max()):
        age = float(age0[0]) + time
    else:
        age = age0[:, None] + time
    return Cycle(np.arange(1, T + 1)[None, :], dt, time, age, n, model.layout)


def _if_hint(model: Any, exc: ValueError) -> ModelError:
    """A Python ``if`` on a vectorised callable's arrays: what to write instead."""
    return ModelError(
        f"model {model.name!r} is vectorised, so its callables receive parameters as "
        "(n, 1) columns and time as a (1, T) row of all cycles; a Python 'if' on them "
        f"fails ({exc}); write np.where(condition, a, b) instead")


def _run(model: MarkovModel, p: ParamView, settings: Settings, keep_trace: bool, start: Any
         ) -> ModelOutput:
    from hecon.engine.markov import ModelOutput

    lay, n = model.layout, p.n
    T, dt = int(model.n_cycles), float(model.cycle_length)
    acc, age0, m0, cohort = model.start_run(p, settings, keep_trace, start)
    ctx = _all_cycles(model, age0, n)
    cp = ColumnParams(p)
    P = _transitions(model, cp, ctx, n, T)
    M = _propagate(P, m0, n, T)
    total = M.sum(axis=0)
    if not (np.abs(total - 1.0).max() <= MEMBERSHIP_TOL and M.min() >= -ROUNDING):
        raise _Invalid
    _state_rewards(model, cp, ctx, M, acc, n, T, dt)
    if model.transition_costs or model.transition_qalys:
        _flows(model, cp, ctx, M, P, acc, n, T)
    trace = np.ascontiguousarray(np.moveaxis(M, 0, 2)) if keep_trace else None
    times = dt * np.arange(T + 1)
    diagnostics = {"cohort_size": cohort} if model.start_as == "counts" else {}
    return ModelOutput(acc.t, trace, list(lay.names), times, model.start_time, {},
                       diagnostics, per_cycle=acc.per_cycle())


def _state_rewards(model: Any, cp: ColumnParams, ctx: Any, M: np.ndarray, acc: Accumulator,
                   n: int, T: int, dt: float) -> None:
    """State costs (by category), life-years and QALYs of the membership ``M`` (S, n, T + 1)
    into ``acc`` (and its per-cycle record), from the model's ``costs`` and ``utilities``
    called once for all cycles; shared by the Markov and partitioned-survival paths."""
    lay = model.layout
    costs = {cat: _state_values(v, lay, n, T) for cat, v in _categories(
        model.costs(cp, ctx) if model.costs else {}).items()}
    util = _state_values(model.utilities(cp, ctx), lay, n, T) if model.utilities else None

    weights = {"c": (acc.wa_c, acc.wb_c), "e": (acc.wa_e, acc.wb_e), "u": (acc.wa_u, acc.wb_u)}
    # kinds with the same weights share their arrays (costs and effects discounted alike)
    alias = {k: next(j for j in weights if np.array_equal(weights[j][0], weights[k][0])
                     and np.array_equal(weights[j][1], weights[k][1])) for k in weights}
    cache: dict[tuple[str, int], np.ndarray] = {}
    sums: dict[int, np.ndarray] = {}

    def weighted(kind: str, s: int) -> np.ndarray:
        """Membership of state s attributed to each cycle, with the cost ('c'), effect ('e')
        or undiscounted ('u') weights, shape (n, T)."""
        key = (alias[kind], s)
        if key not in cache:
            wa, wb = weights[key[0]]
            if np.array_equal(wa, wb):  # e.g. life-table counting: (m_{k-1} + m_k) * w_k
                if s not in sums:
                    sums[s] = M[s, :, :-1] + M[s, :, 1:]
                cache[key] = sums[s] * wa
            else:
                cache[key] = M[s, :, :-1] * wa + M[s, :, 1:] * wb
        return cache[key]

    rec = acc.rec
    S = len(lay.names)
    shape = (n, T, S)

    def record(name: str, s: int, w: np.ndarray, v: np.ndarray | float) -> None:
        if rec is None:
            return
        if name not in rec:
            rec[name] = np.zeros(shape)
        rec[name][:, :, s] += w * v

    for cat, by_state in costs.items():
        disc, undisc = np.zeros(n), np.zeros(n)
        for s, v in by_state.items():
            disc = disc + _weighted_sum(weighted("c", s), v)
            undisc = undisc + _weighted_sum(weighted("u", s), v)
        acc._add_cost(cat, disc, undisc)
        if rec is not None:
            for what in ("cost", "cost_undisc"):
                rec.setdefault(f"state|{what}|{cat}", np.zeros(shape))
            for s, v in by_state.items():
                record(f"state|cost|{cat}", s, weighted("c", s), v)
                record(f"state|cost_undisc|{cat}", s, weighted("u", s), v)
    for s in np.flatnonzero(lay.alive):
        acc.t.life_years += weighted("e", s).sum(axis=1) * dt
        acc.t.life_years_undisc += weighted("u", s).sum(axis=1) * dt
    if rec is not None:
        for what in ("life_years", "life_years_undisc"):
            rec.setdefault(f"state|{what}|", np.zeros(shape))
        for s in np.flatnonzero(lay.alive):
            record("state|life_years|", s, weighted("e", s), dt)
            record("state|life_years_undisc|", s, weighted("u", s), dt)
    if util is not None:
        for s, v in util.items():
            acc.t.qalys += _weighted_sum(weighted("e", s), v) * dt
            acc.t.qalys_undisc += _weighted_sum(weighted("u", s), v) * dt
        if rec is not None:
            for what in ("qalys", "qalys_undisc"):
                rec.setdefault(f"state|{what}|", np.zeros(shape))
            for s, v in util.items():
                record("state|qalys|", s, weighted("e", s), v * dt)
                record("state|qalys_undisc|", s, weighted("u", s), v * dt)


def _flows(model: MarkovModel, cp: ColumnParams, ctx: Any, M: np.ndarray,
           P: dict[tuple[int, int], np.ndarray], acc: Accumulator, n: int, T: int) -> None:
    """One-off rewards of transitions (``transition_costs`` / ``transition_qalys``)."""
    lay = model.layout
    pos = {name: j for j, name in enumerate(lay.names)}

    def flow(entries: Any) -> np.ndarray:
        if not isinstance(entries, Mapping):
            raise _Invalid
        out = np.zeros((n, T))
        for key, v in entries.items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise _Invalid
            src, dst = key
            if src not in pos or dst not in pos:
                raise _Invalid
            i, j = pos[src], pos[dst]
            prob = P.get((i, j))
            if prob is None:
                continue
            out += M[i, :, :-1] * prob * _value(v, n, T)
        return out

    given = _categories(model.transition_costs(cp, ctx) if model.transition_costs else {})
    rec = acc.rec
    for cat, entries in given.items():
        f = flow(entries)
        acc._add_cost(cat, (f * acc.fw_c).sum(axis=1), (f * acc.fw_u).sum(axis=1))
        if rec is not None:
            rec[f"flow|cost|{cat}"] = f * acc.fw_c
            rec[f"flow|cost_undisc|{cat}"] = f * acc.fw_u
    if model.transition_qalys:
        f = flow(model.transition_qalys(cp, ctx))
        acc.t.qalys += (f * acc.fw_e).sum(axis=1)
        acc.t.qalys_undisc += (f * acc.fw_u).sum(axis=1)
        if rec is not None:
            rec["flow|qalys|"] = f * acc.fw_e
            rec["flow|qalys_undisc|"] = f * acc.fw_u


def run_vectorised(model: MarkovModel, p: ParamView, settings: Settings, keep_trace: bool,
                   start: Any) -> ModelOutput:
    """Evaluate ``model`` with every callable called once for all cycles (module docstring).
    Without a trace, samples that agree on every parameter the model reads (and on their
    starting membership) are evaluated once (:func:`_run_distinct`). A failed check re-runs
    the per-cycle path, which raises the precise error (or, if its own checks pass, returns
    its result)."""
    if any(s.tunnel > 1 for s in model.layout.states):
        raise ModelSpecError(f"model {model.name!r}: vectorised=True needs states without "
                             "tunnels (time in state); use the per-cycle path for tunnels")
    try:
        out = None
        if not keep_trace and p.n >= MIN_SHARED_ROWS:
            out = _run_distinct(model, p, settings, start)
        return out if out is not None else _run_blocks(model, p, settings, keep_trace, start)
    except _Invalid:
        return model._run_cycles(p, settings, keep_trace, start)
    except ValueError as exc:
        if "truth value of an array" not in str(exc):
            raise
        raise _if_hint(model, exc) from None


def _start_rows(start: Any, n: int, rows: np.ndarray | slice) -> Any:
    """The starting membership of some samples: a per-sample (n, S) array is cut to the
    rows; anything else (a mapping, a callable, one membership for all) is the same for all."""
    if isinstance(start, np.ndarray) and start.ndim == 2 and start.shape[0] == n:
        return start[rows]
    return start


def _run_blocks(model: MarkovModel, p: ParamView, settings: Settings, keep_trace: bool,
                start: Any) -> ModelOutput:
    """:func:`_run` over blocks of samples small enough for the processor's cache."""
    from hecon.engine.evaluate import concat_outputs

    n, T = p.n, int(model.n_cycles)
    blocks = max(1, -(-n * T // BLOCK_ELEMENTS))
    size = -(-n // blocks)
    if blocks == 1:
        return _run(model, p, settings, keep_trace, start)
    parts = []
    for lo in range(0, n, size):
        hi = min(lo + size, n)
        parts.append(_run(model, p.rows(lo, hi), settings, keep_trace,
                          _start_rows(start, n, slice(lo, hi))))
    return concat_outputs(parts)


class _Reading(ParamView):
    """A view of the same samples that notes the name of every parameter read (``read``),
    also through the views of its blocks of rows."""

    def __init__(self, p: ParamView, read: set[str] | None = None) -> None:  # noqa: D107
        self._n = p.n
        self._values = p._values
        self.read: set[str] = set() if read is None else read

    def __getitem__(self, key: str) -> np.ndarray:
        self.read.add(key)
        return super().__getitem__(key)

    def rows(self, lo: int, hi: int) -> ParamView:
        return _Reading(super().rows(lo, hi), self.read)


def _run_distinct(model: MarkovModel, p: ParamView, settings: Settings, start: Any
                  ) -> ModelOutput | None:
    """Evaluate only the distinct samples and copy their results to the others, or None
    when that does not pay (most samples distinct) or cannot be shown to be exact.

    A model's results for a sample depend only on the values of the parameters its callables
    read and on the sample's starting membership (every operation is row-wise). The names
    read are found by evaluating the first sample alone; samples are then grouped by the
    bits of those values and of their starting membership (so 0.0 and -0.0 differ), and one
    sample per group is evaluated. In a Sobol (Saltelli) design most rows differ from another
    row in one parameter only, and a parameter of another part of the model (an acute-phase
    cost, say) leaves this model's rows identical. If the distinct samples' evaluation reads a
    parameter the first sample's did not, the grouping is not trusted and None is returned.
    """
    n = p.n
    probe = _Reading(p.rows(0, 1))
    try:
        _run(model, probe, settings, False, _start_rows(start, n, slice(0, 1)))
    except Exception:  # noqa: BLE001 - the evaluation of every sample reports it
        return None
    names = sorted(k for k in probe.read if k in p)
    cols = [np.asarray(p[k], dtype=float) for k in names]
    given = _start_rows(start, n, slice(None))
    if isinstance(given, np.ndarray) and given.ndim == 2 and given.shape[0] == n:
        cols.extend(np.asarray(given, dtype=float).T)
    first, inverse = _distinct_rows(cols, n)
    if first.size > SHARE_DISTINCT * n:
        return None
    # evaluate the distinct samples in their original order (blocks as for all samples)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    rows = first[order]
    sub = _Reading(p.take(rows))
    out = _run_blocks(model, sub, settings, False, _start_rows(start, n, rows))
    if not sub.read <= set(names) | (set(probe.read) - set(p)):
        return None
    return _take_outputs(out, rank[inverse])


def _distinct_rows(cols: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Groups of samples whose values in every column have the same bits: the first row of
    each group and each row's group, as ``np.unique(..., axis=0)`` returns them. Rows are
    grouped by a 64-bit hash of their bits, then every row is compared with its group's first
    row; only if two different rows share a hash are they grouped exactly (slower)."""
    if not cols:
        return np.zeros(1, dtype=np.intp), np.zeros(n, dtype=np.intp)
    bits = np.ascontiguousarray(np.column_stack(cols)).view(np.uint64)
    h = np.zeros(n, dtype=np.uint64)
    for j in range(bits.shape[1]):  # FNV-style mixing of 64-bit words (wraps modulo 2**64)
        h ^= bits[:, j]
        h *= np.uint64(0x100000001B3)
        h ^= h >> np.uint64(29)
    _, first, inverse = np.unique(h, return_index=True, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    if not np.array_equal(bits[first[inverse]], bits):  # a collision: group exactly
        _, first, inverse = np.unique(bits, axis=0, return_index=True, return_inverse=True)
        inverse = np.asarray(inverse).reshape(-1)
    return first, inverse


def _take_outputs(out: ModelOutput, idx: np.ndarray) -> ModelOutput:
    """Per-sample results of ``out`` at the row indices ``idx`` (no trace or record)."""
    from hecon.engine.accumulate import Totals
    from hecon.engine.markov import ModelOutput

    t = out.totals
    totals = Totals(
        costs={k: v[idx] for k, v in t.costs.items()},
        costs_undisc={k: v[idx] for k, v in t.costs_undisc.items()},
        **{f: getattr(t, f)[idx] for f in ("qalys", "qalys_undisc", "life_years",
                                             "life_years_undisc")})
    extras = {k: (v[idx] if np.ndim(v) == 1 else v) for k, v in out.extras.items()}
    diagnostics = {k: v[idx] for k, v in out.diagnostics.items()}
    return ModelOutput(totals, None, out.states, out.times, out.start_time, extras,
                       diagnostics, None)


def run_psm_vectorised(model: Any, p: ParamView, settings: Settings, keep_trace: bool,
                       m: np.ndarray, acc: Accumulator, age0: np.ndarray | None,
                       drops: Mapping[str, Any]) -> bool:
    """State and curve-drop rewards of a partitioned-survival model
    (``PartitionedSurvivalModel(vectorised=True)``) whose membership ``m`` (n, T + 1, S) is
    known, with ``costs`` and ``utilities`` called once for all cycles, into ``acc``. False
    (``acc`` untouched) when a value is invalid: the per-cycle path then reports it."""
    lay, n = model.layout, p.n
    T, dt = int(model.n_cycles), float(model.cycle_length)
    ctx = _all_cycles(model, age0, n)
    M = np.moveaxis(m, 2, 0)
    scratch = Accumulator(n, T, dt, model.start_time, settings, lay.alive, lay.collapse,
                          record=keep_trace)
    try:
        _state_rewards(model, ColumnParams(p), ctx, M, scratch, n, T, dt)
        flows: dict[str, np.ndarray] = {}
        for cat, per_curve in drops.items():
            total = np.zeros((n, T))
            for j, v in enumerate(per_curve):
                if v is None:
                    continue
                outer = m[:, :, : j + 1].sum(axis=2)
                val = np.asarray(v, dtype=float)
                if val.ndim > 1 or (val.ndim == 1 and val.shape[0] not in (1, n)):
                    raise _Invalid
                total += (outer[:, :-1] - outer[:, 1:]) * np.broadcast_to(val, (n,))[:, None]
            flows[cat] = total
    except _Invalid:
        return False
    except ValueError as exc:
        if "truth value of an array" not in str(exc):
            raise
        raise _if_hint(model, exc) from None
    # the scratch accumulator's totals and record are added to ``acc`` (which holds the
    # starting rewards): the same sums as cycle by cycle
    t, u = acc.t, scratch.t
    for cat in u.costs:
        acc._add_cost(cat, u.costs[cat], u.costs_undisc[cat])
    for f in ("qalys", "qalys_undisc", "life_years", "life_years_undisc"):
        setattr(t, f, getattr(t, f) + getattr(u, f))
    if acc.rec is not None and scratch.rec is not None:
        acc.rec.update(scratch.rec)
    for cat, f in flows.items():
        acc._add_cost(cat, (f * acc.fw_c).sum(axis=1), (f * acc.fw_u).sum(axis=1))
        if acc.rec is not None:
            acc.rec[f"flow|cost|{cat}"] = f * acc.fw_c
            acc.rec[f"flow|cost_undisc|{cat}"] = f * acc.fw_u
    return True
