"""Cohort state-transition (Markov) model, vectorised over parameter samples.

A model reads like its diagram::

    model = MarkovModel(
        name="treatment",
        states=["healthy", "sick", State("dead", dead=True)],
        transitions=lambda p, t: {
            ("healthy", "sick"): p.p_sick,
            ("healthy", "dead"): p.p_die,
            ("healthy", "healthy"): C,
            ("sick", "dead"): p.p_die_sick,
            ("sick", "sick"): C,
        },
        start={"healthy": 1.0},
        costs=lambda p, t: {"care": {"sick": p.c_sick}},
        utilities=lambda p, t: {"healthy": 1.0, "sick": p.u_sick},
        cycle_length=1.0,
        n_cycles=40,
    )

Callables receive the parameter samples ``p`` (each an array of shape (n,)) and a :class:`Cycle`
``t`` (cycle number, time, age). Values may be scalars, (n,) arrays, or for a tunnel state
(n, k) / (1, k) arrays by time in state. ``C`` is the complement of the row. A state with no
outgoing entries is absorbing; any other row must sum to 1 within 1e-9.

Invariants checked on every run (a violation is a :class:`~hecon.errors.ModelError` naming the
strategy, state, cycle and sample): every transition probability in [0, 1]; rows summing to 1
(or a non-negative complement); no transition from a dead state to a living one (survival never
rises); state membership non-negative and summing to 1 after every cycle.

With ``vectorised=True`` the callables are called once for all cycles instead, with the
parameters as (n, 1) columns and ``t.k``, ``t.time`` as (1, T) rows (``t.age`` (n, T) or
(1, T)); write them with numpy broadcasting (``np.where``, not ``if``) and they work both ways
(:mod:`hecon.engine.vectorised`; same results, far less Python overhead per cycle).

Rewards: ``costs`` are amounts per cycle by category; ``utilities`` annual weights (QALYs per
cycle = utility x cycle length); ``transition_costs`` / ``transition_qalys`` one-off amounts
per transition (e.g. the cost of death or of a procedure); ``start_costs`` / ``start_qalys``
one-off amounts at the model's start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hecon.engine.accumulate import Accumulator, Totals
from hecon.engine.params import ParamView
from hecon.engine.settings import Settings
from hecon.engine.states import (
    C,
    Layout,
    State,
    broadcast_value,
    category_mapping,
    describe,
    rowsum,
    state_vector,
)
from hecon.errors import ModelError, ModelSpecError

TOL = 1e-9
START_AS = ("proportions", "counts")
ROUNDING = 1e-12

Transitions = Callable[[ParamView, "Cycle"], Mapping[tuple[str, str], Any]]


@dataclass(frozen=True)
class Cycle:
    """What a model callable knows about the current cycle.

    ``k``: cycle number (1-based); ``time``: years since this model's start at the start of the
    cycle; ``dt``: cycle length in years. Ages (arrays (n,), or None when the model has no start
    age), for cycle k spanning [start_age + (k-1) dt, start_age + k dt]:

    * ``age_start`` = start_age + (k-1) dt, the age at the start of the cycle (DARTH's
      convention: the first cycle uses the starting age);
    * ``age_mid`` = age_start + dt/2, the age in the middle of the cycle;
    * ``age_end`` = age_start + dt, the age at the end of the cycle (heemod's
      ``age_init + model_time`` with annual cycles, its model time starting at 1);
    * ``age`` is the same as ``age_start`` (kept for existing models).

    See docs/conventions.md ("Age and time in a cycle").
    """

    k: int
    dt: float
    time: float
    age: np.ndarray | None
    n: int
    layout: Layout

    def _age(self, which: str) -> np.ndarray:
        if self.age is None:
            raise ModelSpecError(
                f"t.{which} was asked for, but the model has no start age; give the model "
                "start_age= (a number, a parameter name, or a callable of the parameters)"
            )
        return self.age

    @property
    def age_start(self) -> np.ndarray:
        """Age at the start of the cycle (the same value as ``age``)."""
        return self._age("age_start")

    @property
    def age_mid(self) -> np.ndarray:
        """Age in the middle of the cycle: ``age_start + dt / 2``."""
        return self._age("age_mid") + 0.5 * self.dt

    @property
    def age_end(self) -> np.ndarray:
        """Age at the end of the cycle: ``age_start + dt``."""
        return self._age("age_end") + self.dt

    @property
    def time_end(self) -> float:
        """Years since this model's start at the end of the cycle: ``time + dt``."""
        return self.time + self.dt

    def time_in_state(self, state: str) -> np.ndarray:
        """Cycles already spent in a tunnel state, shape (1, k): 0, 1, ..., k-1 ('or more')."""
        return np.arange(self.layout.tunnel[state], dtype=float)[None, :]


@dataclass
class ModelOutput:
    """Result of one model run over n samples."""

    totals: Totals
    trace: np.ndarray | None  # (n, T + 1, states) collapsed to user states
    states: list[str]
    times: np.ndarray  # (T + 1,) years since this model's start
    start_time: float
    extras: dict[str, np.ndarray]
    # per-sample checks that are not outcomes, e.g. "crossing_cycles" of a partitioned-survival
    # model (arrays (n,), concatenated over chunks, not columns of Results.to_frame)
    diagnostics: dict[str, np.ndarray] = field(default_factory=dict)
    # per-cycle audit record (kept with the trace; see Accumulator.per_cycle, Results.cycles)
    per_cycle: dict[str, np.ndarray] | None = None


def _resolve(value: Any, p: ParamView) -> Any:
    return value(p) if callable(value) else value


def _start_age(start_age: Any, p: ParamView) -> np.ndarray | None:
    if start_age is None:
        return None
    if isinstance(start_age, str):
        return np.asarray(p[start_age], dtype=float)
    return np.broadcast_to(np.asarray(_resolve(start_age, p), dtype=float), (p.n,))


def check_membership(m: np.ndarray, where: str, cycle: int, states: Sequence[str]) -> None:
    """Mass conservation and non-negativity of a trace row; names cycle, sample and state."""
    total = rowsum(m)
    if np.abs(total - 1.0).max() <= 1e-8 and m.min() >= -ROUNDING:
        return
    bad = np.flatnonzero(~(np.abs(total - 1.0) <= 1e-8))
    if bad.size:
        i = int(bad[0])
        raise ModelError(
            f"{where}: state membership sums to {total[i]:.12g}, not 1, at cycle {cycle}, "
            f"sample {i}"
        )
    neg = np.argwhere(m < -ROUNDING)
    if neg.size:
        i, s = (int(x) for x in neg[0])
        raise ModelError(
            f"{where}: negative membership {m[i, s]:.3g} in state {states[s]!r} at cycle {cycle}, "
            f"sample {i}"
        )


def add_start_rewards(model: Any, p: ParamView, acc: Accumulator) -> None:
    """Count a model's one-off starting costs and QALYs at its start time."""
    if model.start_costs is None and model.start_qalys is None:
        return
    n = p.n
    given = model.start_costs(p) if model.start_costs else {}
    if not isinstance(given, Mapping):
        raise ModelSpecError(
            f"strategy {model.name!r}, start costs: expected a mapping category -> amount, got "
            f"{describe(given)}; write e.g. {{'procedure': 25000}}"
        )
    sc = {
        k: broadcast_value(v, n, 1, f"strategy {model.name!r}, start cost {k!r}")[:, 0]
        for k, v in given.items()
    }
    sq = (
        broadcast_value(model.start_qalys(p), n, 1, f"strategy {model.name!r}, start QALYs")[:, 0]
        if model.start_qalys
        else None
    )
    acc.add_once(sc, sq, model.start_time)


def cycle_rewards(
    model: Any, p: ParamView, ctx: Cycle, lay: Layout
) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """A model's state costs by category and utilities for one cycle, as (n, S) arrays."""
    given = category_mapping(
        model.costs(p, ctx) if model.costs else {}, f"strategy {model.name!r}, costs", "state",
        f"{{'care': {{{lay.names[0]!r}: 1000}}}}",
    )
    costs = {
        cat: state_vector(vals, lay, p.n, f"strategy {model.name!r}, cost {cat!r}")
        for cat, vals in given.items()
    }
    util = (
        state_vector(model.utilities(p, ctx), lay, p.n, f"strategy {model.name!r}, utility")
        if model.utilities
        else None
    )
    return costs, util


@dataclass
class MarkovModel:
    """A cohort state-transition model (see module docstring)."""

    states: Sequence[str | State]
    transitions: Transitions
    start: Mapping[str, Any] | Callable[[ParamView], Any]
    n_cycles: int
    cycle_length: float = 1.0
    name: str = "model"
    dead: Sequence[str] = ()
    costs: Callable[[ParamView, Cycle], Mapping[str, Mapping[str, Any]]] | None = None
    utilities: Callable[[ParamView, Cycle], Mapping[str, Any]] | None = None
    transition_costs: Callable[[ParamView, Cycle], Mapping[str, Mapping[tuple[str, str], Any]]] | (
        None
    ) = None
    transition_qalys: Callable[[ParamView, Cycle], Mapping[tuple[str, str], Any]] | None = None
    start_costs: Callable[[ParamView], Mapping[str, Any]] | None = None
    start_qalys: Callable[[ParamView], Any] | None = None
    start_age: float | str | Callable[[ParamView], Any] | None = None
    start_time: float = 0.0
    time_homogeneous: bool = False
    cost_categories: Sequence[str] = ()
    start_as: str = "proportions"
    vectorised: bool = False

    def __post_init__(self) -> None:
        if int(self.n_cycles) != self.n_cycles or self.n_cycles < 1:
            raise ModelError(f"model {self.name!r}: n_cycles must be a whole number >= 1")
        if self.start_as not in START_AS:
            raise ModelSpecError(f"model {self.name!r}: start_as is {self.start_as!r}; choose "
                                 f"{START_AS[0]!r} (shares summing to 1) or {START_AS[1]!r} "
                                 "(numbers of people, e.g. {'well': 1000})")
        if not self.cycle_length > 0:
            raise ModelError(f"model {self.name!r}: cycle_length must be > 0 years")
        self.layout = Layout(self.states, self.dead)

    # ----------------------------------------------------------------- transitions
    def transition_matrix(self, p: ParamView, ctx: Cycle) -> np.ndarray:
        """The validated (n, S, S) transition matrix over expanded sub-states for one cycle."""
        lay, n = self.layout, p.n
        where = f"strategy {self.name!r}, cycle {ctx.k}"
        entries = self.transitions(p, ctx)
        if not isinstance(entries, Mapping):
            names = lay.names
            raise ModelSpecError(
                f"{where}: transitions must return a mapping {{(from, to): probability}}, got "
                f"{describe(entries)}; write e.g. {{({names[0]!r}, {names[-1]!r}): p.x, "
                f"({names[0]!r}, {names[0]!r}): C}}; from a matrix P whose rows and columns "
                f"follow the states {names}: {{(a, b): P[i, j] for i, a in enumerate(states) "
                "for j, b in enumerate(states)}"
            )
        P = np.zeros((n, lay.size, lay.size))
        by_src: dict[str, list[tuple[str, Any]]] = {}
        for key, value in entries.items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise ModelError(f"{where}: transition keys must be (from, to), got {key!r}")
            src, dst = key
            lay.check_state(src, where)
            lay.check_state(dst, where)
            by_src.setdefault(src, []).append((dst, value))
        dead = {s.name for s in lay.states if s.dead}
        for src in lay.names:
            rows_all = lay.index[src]
            k = rows_all.size
            items = by_src.get(src)
            if not items:  # absorbing
                r, c = lay.targets(src, src)
                P[:, r, c] = 1.0
                continue
            comp = [dst for dst, v in items if v is C]
            if len(comp) > 1:
                raise ModelError(f"{where}: state {src!r} has more than one complement (C)")
            total = np.zeros((n, k))
            for dst, v in items:
                if v is C:
                    continue
                val = broadcast_value(v, n, k, f"{where}, transition {src!r}->{dst!r}")
                self._check_entry(val, src, dst, ctx)
                if src in dead and dst not in dead:
                    self._check_no_revival(val, src, dst, ctx)
                r, c = lay.targets(src, dst)
                P[:, r, c] += val
                total = total + val
            if comp:
                rest = 1.0 - total
                self._check_complement(rest, src, comp[0], ctx)
                if src in dead and comp[0] not in dead:
                    self._check_no_revival(rest, src, comp[0], ctx)
                r, c = lay.targets(src, comp[0])
                P[:, r, c] += np.where(rest < 0, 0.0, rest)
            else:
                self._check_rowsum(total, src, ctx)
        return P

    def _sub(self, src: str, j: int) -> str:
        return f" (time in state {j})" if self.layout.tunnel[src] > 1 else ""

    def _check_entry(self, val: np.ndarray, src: str, dst: str, ctx: Cycle) -> None:
        if val.min() >= 0 and val.max() <= 1:  # fast path (NaN fails both comparisons)
            return
        bad = np.argwhere(~((val >= 0) & (val <= 1)))
        if bad.size:
            i, j = (int(x) for x in bad[0])
            raise ModelError(
                f"strategy {self.name!r}: transition probability {src!r}->{dst!r}"
                f"{self._sub(src, j)} is {float(val[i, j]):.12g}, outside [0, 1], "
                f"at cycle {ctx.k}, sample {i}"
            )

    def _check_no_revival(self, val: np.ndarray, src: str, dst: str, ctx: Cycle) -> None:
        if val.max() <= 0:
            return
        i, j = (int(x) for x in np.argwhere(val > 0)[0])
        raise ModelError(
            f"strategy {self.name!r}: transition {src!r}->{dst!r}{self._sub(src, j)} from a dead "
            f"state to a living one is {float(val[i, j]):.12g}, so survival would rise, at "
            f"cycle {ctx.k}, sample {i}"
        )

    def _check_complement(self, rest: np.ndarray, src: str, dst: str, ctx: Cycle) -> None:
        if rest.min() >= -ROUNDING:
            return
        bad = np.argwhere(rest < -ROUNDING)
        if bad.size:
            i, j = (int(x) for x in bad[0])
            raise ModelError(
                f"strategy {self.name!r}: transition probabilities out of state {src!r}"
                f"{self._sub(src, j)} sum to {1 - rest[i, j]:.12g} > 1, so the complement "
                f"{src!r}->{dst!r} would be negative, at cycle {ctx.k}, sample {i}"
            )

    def _check_rowsum(self, total: np.ndarray, src: str, ctx: Cycle) -> None:
        if np.abs(total - 1.0).max() <= TOL:
            return
        bad = np.argwhere(~(np.abs(total - 1.0) <= TOL))
        if bad.size:
            i, j = (int(x) for x in bad[0])
            raise ModelError(
                f"strategy {self.name!r}: transition probabilities out of state {src!r}"
                f"{self._sub(src, j)} sum to {total[i, j]:.12g}, not 1 (tolerance 1e-9), "
                f"at cycle {ctx.k}, sample {i}"
            )

    def cycle(self, p: ParamView, k: int) -> Cycle:
        """The :class:`Cycle` that model callables receive in cycle ``k`` (1-based)."""
        age0 = _start_age(self.start_age, p)
        time = (k - 1) * float(self.cycle_length)
        return Cycle(k, float(self.cycle_length), time, None if age0 is None else age0 + time,
                     p.n, self.layout)

    # ----------------------------------------------------------------- run
    def initial(self, p: ParamView, start: Any = None) -> np.ndarray:
        """Initial membership (n, S) over expanded states; ``start`` overrides the model's."""
        m0, _ = self._initial(p, start)
        return m0

    def _initial(self, p: ParamView, start: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Initial shares (n, S) and the cohort size (n,): 1, or the total of starting counts
        (``start_as="counts"``; the shares are the counts over their total)."""
        lay, n = self.layout, p.n
        spec = self.start if start is None else start
        spec = _resolve(spec, p)
        where = f"strategy {self.name!r}, starting distribution"
        if isinstance(spec, Mapping):
            m0 = np.zeros((n, lay.size))
            for state, v in spec.items():
                lay.check_state(state, where)
                m0[:, lay.index[state][0]] = broadcast_value(v, n, 1, where)[:, 0]
        else:
            arr = np.asarray(spec, dtype=float)
            if arr.shape[-1] != len(lay.names):
                raise ModelError(f"{where}: needs one column per state {lay.names}")
            arr = np.broadcast_to(arr, (n, len(lay.names)))
            m0 = np.zeros((n, lay.size))
            for j, s in enumerate(lay.names):
                m0[:, lay.index[s][0]] = arr[:, j]
        size = np.ones(n)
        if self.start_as == "counts" and start is None:
            size = m0.sum(axis=1)
            bad = np.flatnonzero(~((m0 >= 0).all(axis=1) & (size > 0) & np.isfinite(size)))
            if bad.size:
                i = int(bad[0])
                raise ModelError(f"{where}: starting counts must be >= 0 with a total > 0, got "
                                 f"a total of {size[i]:.12g}, sample {i}")
            m0 = m0 / size[:, None]
        elif self.start_as == "proportions" and start is None:
            total = m0.sum(axis=1)
            i = int(np.argmax(np.abs(total - 1.0)))
            if abs(total[i] - 1.0) > 1e-8 and (m0 >= 0).all():
                raise ModelError(
                    f"{where}: membership sums to {total[i]:.12g}, not 1, sample {i}; give "
                    "shares summing to 1, or numbers of people with start_as='counts' (results "
                    "stay per person; Results.summary(per='cohort') gives them per cohort)"
                )
        check_membership(m0, where, 0, self._expanded_names())
        return m0, size

    def _expanded_names(self) -> list[str]:
        out = []
        for s in self.layout.states:
            out += [s.name] if s.tunnel == 1 else [f"{s.name}[{j}]" for j in range(s.tunnel)]
        return out

    def run(
        self,
        params: ParamView,
        settings: Settings | None = None,
        keep_trace: bool = True,
        start: Any = None,
    ) -> ModelOutput:
        """Evaluate the model for all samples at once; returns totals and (optionally) trace.

        With ``vectorised=True`` every callable is called once for all cycles
        (:mod:`hecon.engine.vectorised`); otherwise once per cycle."""
        settings = settings or Settings()
        if self.vectorised:
            from hecon.engine.vectorised import run_vectorised

            return run_vectorised(self, params, settings, keep_trace, start)
        return self._run_cycles(params, settings, keep_trace, start)

    def start_run(self, p: ParamView, settings: Settings, keep_trace: bool, start: Any
                  ) -> tuple[Accumulator, np.ndarray | None, np.ndarray, np.ndarray]:
        """What both evaluation paths start from: the accumulator (categories declared,
        starting rewards counted), the start ages, the initial membership and cohort size."""
        lay = self.layout
        acc = Accumulator(p.n, int(self.n_cycles), float(self.cycle_length), self.start_time,
                          settings, lay.alive, lay.collapse, record=keep_trace)
        acc.declare_costs(list(self.cost_categories))
        age0 = _start_age(self.start_age, p)
        m, cohort = self._initial(p, start)
        add_start_rewards(self, p, acc)
        return acc, age0, m, cohort

    def _run_cycles(
        self, params: ParamView, settings: Settings, keep_trace: bool, start: Any
    ) -> ModelOutput:
        """The per-cycle path: callables called and invariants checked cycle by cycle."""
        p, lay, n = params, self.layout, params.n
        T, dt = int(self.n_cycles), float(self.cycle_length)
        acc, age0, m, cohort = self.start_run(p, settings, keep_trace, start)
        names = self._expanded_names()
        trace = np.empty((n, T + 1, len(lay.names))) if keep_trace else None
        if trace is not None:
            trace[:, 0] = m @ lay.collapse
        P = None
        for k in range(1, T + 1):
            time = (k - 1) * dt
            ctx = Cycle(k, dt, time, None if age0 is None else age0 + time, n, lay)
            if P is None or not self.time_homogeneous:
                P = self.transition_matrix(p, ctx)
            m_next = np.einsum("ns,nst->nt", m, P)
            check_membership(m_next, f"strategy {self.name!r}", k, names)
            costs, util = cycle_rewards(self, p, ctx, lay)
            acc.add_states(k, m, m_next, costs, util)
            if self.transition_costs or self.transition_qalys:
                self._add_flows(acc, p, ctx, m, P)
            m = m_next
            if trace is not None:
                trace[:, k] = m @ lay.collapse
        times = dt * np.arange(T + 1)
        diagnostics = {"cohort_size": cohort} if self.start_as == "counts" else {}
        return ModelOutput(acc.t, trace, list(lay.names), times, self.start_time, {},
                           diagnostics, per_cycle=acc.per_cycle())

    def _flow(
        self,
        p: ParamView,
        ctx: Cycle,
        m: np.ndarray,
        P: np.ndarray,
        key: tuple[str, str],
        value: Any,
        what: str,
    ) -> np.ndarray:
        src, dst = key
        where = f"strategy {self.name!r}, {what} {src!r}->{dst!r}"
        self.layout.check_state(src, where)
        self.layout.check_state(dst, where)
        r, c = self.layout.targets(src, dst)
        val = broadcast_value(value, p.n, r.size, where)
        return np.einsum("nj,nj->n", m[:, r] * P[:, r, c], val)

    def _add_flows(
        self, acc: Accumulator, p: ParamView, ctx: Cycle, m: np.ndarray, P: np.ndarray
    ) -> None:
        costs: dict[str, np.ndarray] = {}
        given = category_mapping(
            self.transition_costs(p, ctx) if self.transition_costs else {},
            f"strategy {self.name!r}, transition costs", "(from, to)",
            "{'death': {('sick', 'dead'): 5000}}",
        )
        for cat, entries in given.items():
            costs[cat] = sum(
                (
                    self._flow(p, ctx, m, P, key, v, f"transition cost {cat!r}")
                    for key, v in entries.items()
                ),
                np.zeros(p.n),
            )
        qalys = None
        if self.transition_qalys:
            qalys = sum(
                (
                    self._flow(p, ctx, m, P, key, v, "transition QALYs")
                    for key, v in self.transition_qalys(p, ctx).items()
                ),
                np.zeros(p.n),
            )
        acc.add_flows(ctx.k, costs, qalys)
