"""The one evaluation path: every analysis calls :func:`evaluate` on a matrix of samples."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hecon.engine.markov import ModelOutput
from hecon.engine.params import ParamView, as_params
from hecon.engine.results import Results
from hecon.engine.settings import Settings
from hecon.engine.states import describe
from hecon.engine.strategy import combine_per_cycle, run_strategy
from hecon.engine.tree import Chance
from hecon.errors import ModelError, ModelSpecError

TRACE_LIMIT = 100
_SAMPLE = re.compile(r"\bsample (\d+)\b")


def _locate(exc: ModelError, lo: int, labels: Sequence[str]) -> ModelError:
    """The same error with the chunk-relative sample made a row of the whole design, and that
    row's label (e.g. 'psa1234' or 'c_device:high'), so chunking never changes the message."""
    def row(m: re.Match) -> str:
        i = lo + int(m.group(1))
        label = labels[i] if i < len(labels) else None
        return f"sample {i} (row {label!r})" if label not in (None, str(i)) else f"sample {i}"

    msg = str(exc)
    if not _SAMPLE.search(msg) or "(row " in msg:
        return exc
    return type(exc)(_SAMPLE.sub(row, msg, count=1))  # keeps the subclass (ModelSpecError)


def _check_strategy(s: Any, where: str) -> None:
    if isinstance(s, Chance):
        raise ModelSpecError(
            f"{where} is a bare decision tree (Chance {s.label!r}); wrap it in a strategy: "
            "Hybrid(name='...', tree=tree) for the tree alone, or Hybrid(name='...', tree=tree, "
            "model=a MarkovModel) for a tree followed by a cohort model"
        )
    if not (callable(getattr(s, "run", None)) and isinstance(getattr(s, "name", None), str)):
        raise ModelSpecError(
            f"{where} is {describe(s)}, not a strategy; give a MarkovModel, "
            "PartitionedSurvivalModel, Hybrid or Mixture (each with a name)"
        )


def _strategies(strategies: Any) -> dict[str, Any]:
    if isinstance(strategies, Mapping):
        out = dict(strategies)
        for key, s in out.items():
            _check_strategy(s, f"strategy {key!r}")
    else:
        if isinstance(strategies, (Chance, str)) or hasattr(strategies, "run"):
            strategies = [strategies]
        strategies = list(strategies)
        for i, s in enumerate(strategies):
            _check_strategy(s, f"strategy {i + 1} of {len(strategies)}")
        out = {s.name: s for s in strategies}
        if len(out) != len(strategies):
            raise ModelError("strategy names must be unique")
    if not out:
        raise ModelError("no strategies to evaluate")
    return out


def _slice(p: ParamView, lo: int, hi: int) -> ParamView:
    return p.rows(lo, hi)


def concat_outputs(parts: list[ModelOutput]) -> ModelOutput:
    """Outputs of consecutive sample chunks joined into one (totals, traces, extras, record)."""
    first = parts[0]
    if len(parts) == 1:
        return first
    t = first.totals
    cat = np.concatenate
    t.costs = {k: cat([q.totals.costs[k] for q in parts]) for k in t.costs}
    t.costs_undisc = {k: cat([q.totals.costs_undisc[k] for q in parts]) for k in t.costs_undisc}
    for f in ("qalys", "qalys_undisc", "life_years", "life_years_undisc"):
        setattr(t, f, cat([getattr(q.totals, f) for q in parts]))
    trace = None if first.trace is None else cat([q.trace for q in parts])
    extras = {
        k: (cat([q.extras[k] for q in parts]) if np.ndim(v) == 1 else v)
        for k, v in first.extras.items()
    }
    diagnostics = {k: cat([q.diagnostics[k] for q in parts]) for k in first.diagnostics}
    per_cycle = combine_per_cycle([q.per_cycle for q in parts])
    return ModelOutput(t, trace, first.states, first.times, first.start_time, extras,
                       diagnostics, per_cycle)


def evaluate(
    strategies: Sequence[Any] | Mapping[str, Any],
    design: Any,
    settings: Settings | None = None,
    keep_trace: bool | None = None,
    chunk_size: int | None = None,
    labels: Sequence[str] | None = None,
) -> Results:
    """Evaluate every strategy on every row of ``design`` in vectorised passes.

    ``design`` is a :class:`hecon.design.Design`, a Params view, or a mapping of parameter
    name -> array (n,). ``chunk_size`` bounds memory by evaluating rows in chunks (results are
    identical to one pass). Traces are kept by default when there are at most 100 rows.
    """
    settings = settings or Settings()
    strats = _strategies(strategies)
    p = as_params(design)
    n = p.n
    if labels is None:
        labels = list(getattr(design, "labels", None) or [str(i) for i in range(n)])
    if len(labels) != n:
        raise ModelError(f"{len(labels)} labels for {n} samples")
    keep = n <= TRACE_LIMIT if keep_trace is None else keep_trace
    size = n if not chunk_size else max(1, int(chunk_size))
    outputs: dict[str, ModelOutput] = {}
    for name, strat in strats.items():
        parts = []
        for lo in range(0, n, size):
            try:
                parts.append(run_strategy(
                    strat, _slice(p, lo, min(lo + size, n)) if size < n else p, settings, keep))
            except ModelError as exc:
                raise _locate(exc, lo, labels) from exc
        outputs[name] = concat_outputs(parts)
    return Results(list(strats), list(labels), outputs)
