"""Decision trees whose terminal nodes hand their distribution to a cohort model.

::

    tree = Chance("acute", [
        Branch("dies", p=lambda p: p.p_death, costs={"hospital": lambda p: p.c_stay_dead},
               then=Terminal("dead")),
        Branch("survives", p=C, costs={"hospital": lambda p: p.c_stay}, qalys=lambda p: 0.3,
               then=Chance("renal", [
                   Branch("dialysis", p=lambda p: p.p_dial, then=Terminal("dialysis")),
                   Branch("no dialysis", p=C, then=Terminal("alive")),
               ])),
    ])

Probabilities, costs and QALYs may be numbers or callables of the parameter samples; each
chance node's branch probabilities must sum to 1 (within 1e-9), with at most one complement
``C``. Rolling back gives the expected costs (by category) and QALYs, and the probability of
reaching each terminal state: the starting distribution of the cohort model that follows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hecon.engine.params import ParamView
from hecon.engine.states import C
from hecon.errors import ModelError, ModelSpecError

Value = float | Callable[[ParamView], Any]


@dataclass(frozen=True)
class Terminal:
    """End of a path: the cohort enters ``state`` of the following model."""

    state: str


@dataclass(frozen=True)
class Branch:
    """A branch of a chance node: probability, payoffs incurred on it, and what follows."""

    label: str
    p: Value | Any
    then: Chance | Terminal
    costs: Mapping[str, Value] = field(default_factory=dict)
    qalys: Value | None = None
    life_years: Value | None = None


@dataclass(frozen=True)
class Chance:
    """A chance node."""

    label: str
    branches: Sequence[Branch]


@dataclass
class Rollback:
    """Expected payoffs of a tree, per sample (arrays of shape (n,))."""

    costs: dict[str, np.ndarray]
    qalys: np.ndarray
    life_years: np.ndarray
    terminal: dict[str, np.ndarray]  # state -> probability of ending there
    paths: dict[str, np.ndarray]  # "a > b > c" -> probability of the path


def _value(v: Any, p: ParamView, where: str) -> np.ndarray:
    arr = np.asarray(v(p) if callable(v) else v, dtype=float)
    try:
        return np.broadcast_to(arr, (p.n,))
    except ValueError:
        raise ModelError(
            f"{where}: value of shape {arr.shape} does not fit {p.n} samples"
        ) from None


def rollback(node: Chance, p: ParamView, name: str = "tree") -> Rollback:
    """Roll the tree back: expected costs by category, QALYs, life-years and terminal shares."""
    n = p.n
    out = Rollback({}, np.zeros(n), np.zeros(n), {}, {})

    def visit(nd: Chance, reach: np.ndarray, path: str) -> None:
        where = f"{name}: node {path or nd.label!r}"
        probs: list[np.ndarray | None] = []
        comp = [b for b in nd.branches if b.p is C]
        if len(comp) > 1:
            raise ModelError(f"{where}: more than one complement (C)")
        if not nd.branches:
            raise ModelError(f"{where}: a chance node needs branches")
        total = np.zeros(n)
        for b in nd.branches:
            if b.p is C:
                probs.append(None)
                continue
            pr = _value(b.p, p, f"{where}, branch {b.label!r}")
            bad = np.flatnonzero(~((pr >= 0) & (pr <= 1)))
            if bad.size:
                i = int(bad[0])
                raise ModelError(
                    f"{where}, branch {b.label!r}: probability {float(pr[i]):.12g} outside "
                    f"[0, 1], sample {i}"
                )
            probs.append(pr)
            total = total + pr
        if comp:
            rest = 1.0 - total
            bad = np.flatnonzero(rest < -1e-12)
            if bad.size:
                i = int(bad[0])
                raise ModelError(
                    f"{where}: branch probabilities sum to {total[i]:.12g} > 1, sample {i}"
                )
            probs = [np.maximum(rest, 0.0) if q is None else q for q in probs]
        else:
            bad = np.flatnonzero(~(np.abs(total - 1.0) <= 1e-9))
            if bad.size:
                i = int(bad[0])
                raise ModelError(
                    f"{where}: branch probabilities sum to {total[i]:.12g}, not 1, sample {i}"
                )
        for b, pr in zip(nd.branches, probs, strict=True):
            w = reach * pr
            bw = f"{where}, branch {b.label!r}"
            if not isinstance(b.costs, Mapping):
                raise ModelSpecError(
                    f"{bw}: costs must map category -> amount, got {b.costs!r}; write e.g. "
                    "costs={'hospital': 12000} (or a callable of the parameters per category)"
                )
            for cat, v in b.costs.items():
                out.costs[cat] = out.costs.get(cat, np.zeros(n)) + w * _value(v, p, bw)
            if b.qalys is not None:
                out.qalys += w * _value(b.qalys, p, bw)
            if b.life_years is not None:
                out.life_years += w * _value(b.life_years, p, bw)
            label = f"{path} > {b.label}" if path else f"{nd.label}: {b.label}"
            if isinstance(b.then, Terminal):
                st = b.then.state
                out.terminal[st] = out.terminal.get(st, np.zeros(n)) + w
                out.paths[label] = w
            else:
                visit(b.then, w, label)

    visit(node, np.ones(n), "")
    return out
