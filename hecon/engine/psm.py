"""Partitioned-survival model: N states from N - 1 nested survival curves.

``curves(p, times)`` returns N - 1 arrays of shape (n, T + 1), ordered from the innermost (e.g.
progression-free survival) to the outermost (overall survival). Each curve is the probability
of being in its state or an earlier one, so membership is

    state 1 = S_1,   state j = S_j - S_{j-1},   last (dead) state = 1 - S_{N-1}.

Curves can cross (an inner curve above an outer one, e.g. PFS above OS after extrapolation).
The policy is explicit and reported in ``ModelOutput.extras["crossings"]`` (the number of
(sample, time point, curve pair) cells affected) and, per sample, in
``ModelOutput.diagnostics["crossing_cycles"]`` (cycles with a crossing at either end);
:meth:`hecon.engine.Results.crossings` gives the share of samples and of cycles affected.

* ``"cap"`` (default): the inner curve is capped at the outer one, from the outside in
  (PFS lowered to OS: more deaths, membership of the inner state reduced);
* ``"floor"``: the outer curve is floored at the inner one, from the inside out (OS raised to
  PFS, the DARTH partitioned-survival tutorial's rule): stable = PFS, progressed =
  max(OS - PFS, 0), dead = 1 - max(OS, PFS);
* ``"error"``: a :class:`~hecon.errors.ModelError` names the curves, sample and time.

Rewards use the same counting and discounting machinery as the cohort model; transition
rewards are not defined (there are no transitions), but ``curve_drop_costs`` can attach a
one-off cost to the fall of a curve (e.g. a cost of death on the fall of overall survival).
With ``vectorised=True`` the reward callables are called once for all cycles, as in a
vectorised Markov model (:mod:`hecon.engine.vectorised`: parameters as (n, 1) columns, time
as a (1, T) row, ``np.where`` instead of ``if``); an invalid value hands over to the per-cycle
path, whose error names it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hecon.engine.accumulate import Accumulator
from hecon.engine.markov import (
    Cycle,
    ModelOutput,
    _start_age,
    add_start_rewards,
    check_membership,
    cycle_rewards,
)
from hecon.engine.params import ParamView
from hecon.engine.settings import Settings
from hecon.engine.states import Layout, State, broadcast_value, describe
from hecon.errors import ModelError, ModelSpecError

CROSSING = ("cap", "floor", "error")


@dataclass
class PartitionedSurvivalModel:
    """A partitioned-survival model (see module docstring)."""

    states: Sequence[str | State]
    curves: Callable[[ParamView, np.ndarray], Sequence[np.ndarray]]
    n_cycles: int
    cycle_length: float = 1.0
    name: str = "model"
    dead: Sequence[str] = ()
    costs: Callable[[ParamView, Cycle], Mapping[str, Mapping[str, Any]]] | None = None
    utilities: Callable[[ParamView, Cycle], Mapping[str, Any]] | None = None
    start_costs: Callable[[ParamView], Mapping[str, Any]] | None = None
    start_qalys: Callable[[ParamView], Any] | None = None
    curve_drop_costs: Callable[[ParamView], Mapping[str, Sequence[Any]]] | None = None
    start_age: float | str | Callable[[ParamView], Any] | None = None
    start_time: float = 0.0
    crossing: str = "cap"
    #: call ``costs`` and ``utilities`` once for all cycles (parameters as (n, 1) columns,
    #: time as (1, T) rows, as a vectorised Markov model's); same results, a loop fewer
    vectorised: bool = False

    def __post_init__(self) -> None:
        self.layout = Layout(self.states, self.dead or [self._last_name()])
        if any(s.tunnel > 1 for s in self.layout.states):
            raise ModelError(f"model {self.name!r}: tunnel states are not used in a PSM")
        if self.crossing not in CROSSING:
            raise ModelError(f"model {self.name!r}: crossing policy must be one of {CROSSING}")
        if int(self.n_cycles) != self.n_cycles or self.n_cycles < 1:
            raise ModelError(f"model {self.name!r}: n_cycles must be a whole number >= 1")

    def _last_name(self) -> str:
        s = self.states[-1]
        return s.name if isinstance(s, State) else s

    def membership(self, p: ParamView) -> tuple[np.ndarray, int]:
        """State membership (n, T + 1, N) and the number of crossing cells corrected."""
        m, crossings, _ = self._membership(p)
        return m, crossings

    def _membership(self, p: ParamView) -> tuple[np.ndarray, int, np.ndarray]:
        """Membership, crossing cells corrected, and a (n, T + 1) mask of time points with a
        crossing (any curve pair)."""
        n, T, N = p.n, int(self.n_cycles), len(self.layout.names)
        times = self.cycle_length * np.arange(T + 1)
        raw = list(self.curves(p, times))
        if len(raw) != N - 1:
            raise ModelError(f"model {self.name!r}: {N} states need {N - 1} curves, got {len(raw)}")
        curves = []
        for j, c in enumerate(raw):
            arr = np.broadcast_to(np.asarray(c, dtype=float), (n, T + 1)).copy()
            bad = np.argwhere(~((arr >= 0) & (arr <= 1)))
            if bad.size:
                i, t = (int(x) for x in bad[0])
                raise ModelError(
                    f"model {self.name!r}: curve {j + 1} is {float(arr[i, t]):.12g} outside [0, 1] "
                    f"at time {times[t]:g} years, sample {i}"
                )
            rises = np.argwhere(np.diff(arr, axis=1) > 1e-12)
            if rises.size:
                i, t = (int(x) for x in rises[0])
                raise ModelError(
                    f"model {self.name!r}: curve {j + 1} increases between {times[t]:g} and "
                    f"{times[t + 1]:g} years, sample {i}"
                )
            curves.append(arr)
        crossings = 0
        mask = np.zeros((n, T + 1), dtype=bool)
        pairs = range(len(curves) - 1) if self.crossing == "floor" else range(len(curves) - 2,
                                                                                -1, -1)
        for j in pairs:  # floor: inside out; cap and error: outside in
            over = curves[j] > curves[j + 1]
            if over.any():
                if self.crossing == "error":
                    i, t = (int(x) for x in np.argwhere(over)[0])
                    raise ModelError(
                        f"model {self.name!r}: curve {j + 1} lies above curve {j + 2} at time "
                        f"{times[t]:g} years, sample {i} (crossing policy 'error'); choose "
                        "crossing='cap' (lower the inner curve) or 'floor' (raise the outer "
                        "one), or fix the curves"
                    )
                crossings += int(over.sum())
                mask |= over
                if self.crossing == "floor":
                    curves[j + 1] = np.maximum(curves[j + 1], curves[j])
                else:
                    curves[j] = np.minimum(curves[j], curves[j + 1])
        m = np.empty((n, T + 1, N))
        prev = np.zeros((n, T + 1))
        for j, c in enumerate(curves):
            m[:, :, j] = c - prev
            prev = c
        m[:, :, N - 1] = 1.0 - prev
        return m, crossings, mask

    def run(
        self, params: ParamView, settings: Settings | None = None, keep_trace: bool = True
    ) -> ModelOutput:
        """Evaluate for all samples at once."""
        settings = settings or Settings()
        p, lay, n = params, self.layout, params.n
        T, dt = int(self.n_cycles), float(self.cycle_length)
        m, crossings, mask = self._membership(p)
        for k in (0, T):
            check_membership(m[:, k], f"strategy {self.name!r}", k, lay.names)
        acc = Accumulator(n, T, dt, self.start_time, settings, lay.alive, lay.collapse,
                          record=keep_trace)
        age0 = _start_age(self.start_age, p)
        add_start_rewards(self, p, acc)
        drops = self.curve_drop_costs(p) if self.curve_drop_costs else {}
        if not isinstance(drops, Mapping):
            raise ModelSpecError(
                f"strategy {self.name!r}, curve drop costs: expected a mapping category -> one "
                f"value per curve (None for no cost), got {describe(drops)}; write e.g. "
                "{'death': [None, 5000]} for a cost on the fall of the second (outer) curve"
            )
        done = False
        if self.vectorised:
            from hecon.engine.vectorised import run_psm_vectorised

            done = run_psm_vectorised(self, p, settings, keep_trace, m, acc, age0, drops)
        for k in range(1, T + 1) if not done else ():
            time = (k - 1) * dt
            ctx = Cycle(k, dt, time, None if age0 is None else age0 + time, n, lay)
            costs, util = cycle_rewards(self, p, ctx, lay)
            acc.add_states(k, m[:, k - 1], m[:, k], costs, util)
            if drops:
                flows = {}
                for cat, per_curve in drops.items():
                    total = np.zeros(n)
                    for j, v in enumerate(per_curve):
                        if v is None:
                            continue
                        outer = m[:, :, : j + 1].sum(axis=2)
                        total += (outer[:, k - 1] - outer[:, k]) * broadcast_value(
                            v, n, 1, f"curve drop cost {cat!r}"
                        )[:, 0]
                    flows[cat] = total
                acc.add_flows(k, flows, None)
        trace = m if keep_trace else None
        return ModelOutput(
            acc.t,
            trace,
            list(lay.names),
            dt * np.arange(T + 1),
            self.start_time,
            {"crossings": np.array(crossings), "crossing_policy": np.array(self.crossing)},
            diagnostics={"crossing_cycles": (mask[:, :-1] | mask[:, 1:]).sum(axis=1)},
            per_cycle=acc.per_cycle(),
        )
