"""Results of an evaluation: tidy DataFrames per (sample, strategy), traces, per-cycle tables.

Totals are per person (per member of the starting cohort). A model whose starting cohort is
given as counts (``MarkovModel(start_as="counts")``) also has a cohort size; ``per="cohort"``
multiplies costs, QALYs, life-years and membership by it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hecon.engine.markov import ModelOutput
from hecon.errors import InputError

OUTCOMES = ("cost", "qalys", "life_years")
PER = ("person", "cohort")
KINDS = ("state", "transition", "start", "tree")


def _per(per: str) -> str:
    if per not in PER:
        raise InputError(f"per={per!r}: choose 'person' (results per member of the starting "
                         "cohort) or 'cohort' (per cohort of the starting size)", parameter="per")
    return per


@dataclass
class Results:
    """Outputs of :func:`hecon.engine.evaluate` for every strategy and sample."""

    strategies: list[str]
    labels: list[str]
    outputs: dict[str, ModelOutput]

    @property
    def n(self) -> int:
        """Number of samples."""
        return len(self.labels)

    def cost_categories(self) -> list[str]:
        """All cost categories used by any strategy, in order of first appearance."""
        cats: list[str] = []
        for o in self.outputs.values():
            cats += [c for c in o.totals.costs if c not in cats]
        return cats

    def column(self, strategy: str, outcome: str) -> np.ndarray:
        """One outcome for one strategy, shape (n,). Outcomes: cost, cost_<category>, qalys,
        life_years, each also with suffix ``_undisc``, or any extra output of the strategy."""
        o = self.outputs[strategy]
        t = o.totals
        undisc = outcome.endswith("_undisc")
        base = outcome.removesuffix("_undisc")
        zero = np.zeros(self.n)
        if base == "cost":
            return t.cost_undisc if undisc else t.cost
        if base.startswith("cost_"):
            src = t.costs_undisc if undisc else t.costs
            return src.get(base[5:], zero)
        if base in ("qalys", "life_years"):
            return getattr(t, base + ("_undisc" if undisc else ""))
        if outcome in o.extras:
            return np.broadcast_to(o.extras[outcome], (self.n,))
        raise KeyError(f"unknown outcome {outcome!r}")

    def outcome_matrix(self, outcome: str) -> np.ndarray:
        """One outcome for all strategies, shape (n samples, k strategies) in strategy order
        (e.g. ``outcome_matrix("cost")`` for the decision-analysis functions)."""
        return np.stack([self.column(s, outcome) for s in self.strategies], axis=1)

    def matrix(self, outcome: str) -> np.ndarray:
        """Deprecated alias of :meth:`outcome_matrix` (it returns outcomes, not transition
        matrices; for those see :func:`hecon.engine.transition_matrix`)."""
        warnings.warn("Results.matrix is deprecated: use Results.outcome_matrix (outcomes by "
                      "sample and strategy)", DeprecationWarning, stacklevel=2)
        return self.outcome_matrix(outcome)

    def cohort_size(self, strategy: str) -> np.ndarray:
        """Size of the strategy's starting cohort per sample, shape (n,): the total of the
        starting counts (``start_as="counts"``), else 1."""
        size = self.outputs[strategy].diagnostics.get("cohort_size")
        return np.ones(self.n) if size is None else np.asarray(size, dtype=float)

    def outcome_names(self) -> list[str]:
        """All outcome columns of :meth:`to_frame`."""
        cats = [f"cost_{c}" for c in self.cost_categories()]
        names = ["cost", *cats, "qalys", "life_years"]
        names += [f"{x}_undisc" for x in names]
        extras: list[str] = []
        for o in self.outputs.values():
            extras += [k for k, v in o.extras.items() if np.ndim(v) == 1 and k not in extras]
        return names + extras

    def to_frame(self, per: str = "person") -> pd.DataFrame:
        """Tidy table: one row per (sample, strategy). Outcomes are per person; with
        ``per="cohort"`` costs, QALYs and life-years are per cohort and a ``cohort_size``
        column says how large the cohort is."""
        frames = []
        names = self.outcome_names()
        scaled = {"cost", "qalys", "life_years"}
        for s in self.strategies:
            data = {"sample": np.arange(self.n), "label": self.labels, "strategy": s}
            size = self.cohort_size(s) if _per(per) == "cohort" else None
            for col in names:
                try:
                    data[col] = self.column(s, col)
                except KeyError:
                    data[col] = np.nan
                base = col.removesuffix("_undisc")
                if size is not None and (base in scaled or base.startswith("cost_")):
                    data[col] = data[col] * size
            if size is not None:
                data["cohort_size"] = size
            frames.append(pd.DataFrame(data))
        return (
            pd.concat(frames, ignore_index=True)
            .sort_values(
                ["sample", "strategy"],
                key=lambda c: c.map(self.strategies.index) if c.name == "strategy" else c,
                kind="stable",
            )
            .reset_index(drop=True)
        )

    def summary(self, sample: int = 0, per: str = "person") -> pd.DataFrame:
        """One row per strategy for one sample (e.g. the base case), per person or per cohort
        (see :meth:`to_frame`)."""
        df = self.to_frame(per)
        return df[df["sample"] == sample].drop(columns=["sample"]).set_index("strategy")

    def crossings(self) -> pd.DataFrame:
        """Partitioned-survival curve crossings, one row per strategy that reports them: the
        policy, and how many samples and cycles had a crossing (a cycle counts when a crossing
        is at its start or end) and their shares of all samples and of all sample-cycles."""
        rows = []
        for s in self.strategies:
            o = self.outputs[s]
            c = o.diagnostics.get("crossing_cycles")
            if c is None:
                continue
            c = np.asarray(c)
            n_cycles = len(o.times) - 1
            rows.append({
                "strategy": s,
                "policy": str(o.extras.get("crossing_policy", "")),
                "samples": c.size,
                "samples_affected": int((c > 0).sum()),
                "share_samples_affected": float((c > 0).mean()),
                "cycles": c.size * n_cycles,
                "cycles_affected": int(c.sum()),
                "share_cycles_affected": float(c.sum() / (c.size * n_cycles)),
            })
        cols = ["strategy", "policy", "samples", "samples_affected", "share_samples_affected",
                "cycles", "cycles_affected", "share_cycles_affected"]
        return pd.DataFrame(rows, columns=cols).set_index("strategy")

    def trace(self, strategy: str, sample: int = 0, per: str = "person") -> pd.DataFrame:
        """State membership by time point for one strategy and sample: shares (``per=
        "person"``) or numbers of people (``per="cohort"``)."""
        o = self.outputs[strategy]
        if o.trace is None:
            raise KeyError(f"no trace kept for strategy {strategy!r}")
        size = self.cohort_size(strategy)[sample] if _per(per) == "cohort" else 1.0
        df = pd.DataFrame(o.trace[sample] * size, columns=o.states)
        df.insert(0, "time_years", o.start_time + o.times)
        df.insert(0, "cycle", np.arange(len(o.times)))
        return df

    def cycles(self, strategy: str, sample: int = 0, per: str = "person") -> pd.DataFrame:
        """Per-cycle audit table of one strategy and sample; its reward columns sum to the
        totals of :meth:`summary`.

        One row per cycle and state (``kind="state"``), one per cycle with transition rewards
        (``"transition"``), and one-off rows at cycle 0 for starting rewards (``"start"``)
        and a decision tree's payoffs (``"tree"``). Columns: cycle, time_start and time_end
        (years since the evaluation's start), kind, state, membership_start and membership_end
        (m_{k-1}, m_k), weight_start and weight_end (the counting weights a_k, b_k), the
        discount factors applied to them for costs and effects (for a transition row:
        weight_end is its weight and the discount factors are the effective ones), then cost,
        cost_<category>, qalys, life_years and their ``_undisc`` twins. Per person, or per
        cohort (``per="cohort"``: membership as numbers of people, rewards per cohort).
        Needs the per-cycle record, kept with the trace (at most 100 samples by default, or
        ``evaluate(..., keep_trace=True)``).
        """
        o = self.outputs[strategy]
        rec = o.per_cycle
        if rec is None:
            raise KeyError(f"no per-cycle record kept for strategy {strategy!r}: evaluate with "
                           "keep_trace=True")
        size = float(self.cohort_size(strategy)[sample]) if _per(per) == "cohort" else 1.0
        cats: list[str] = []
        for key in rec:
            kind, what, cat = (key.split("|") + [""])[:3]
            if kind != "weights" and what.startswith("cost") and cat not in cats:
                cats.append(cat)
        rewards = (["cost"] + [f"cost_{c}" for c in cats] + ["qalys", "life_years"])
        rewards += [f"{r}_undisc" for r in rewards]
        T = len(o.times) - 1
        k = np.arange(1, T + 1)
        frames = []

        def rec_value(kind: str, what: str, cat: str, index: tuple) -> np.ndarray | float:
            arr = rec.get(f"{kind}|{what}|{cat}")
            return 0.0 if arr is None else np.ravel(arr[index])

        def fill(df: pd.DataFrame, kind: str, index: tuple) -> pd.DataFrame:
            for u in ("", "_undisc"):
                total = 0.0
                for c in cats:
                    v = rec_value(kind, "cost" + u, c, index)
                    df[f"cost_{c}{u}"] = v
                    total = total + v
                df[f"cost{u}"] = total
                df[f"qalys{u}"] = rec_value(kind, "qalys" + u, "", index)
                df[f"life_years{u}"] = rec_value(kind, "life_years" + u, "", index)
            return df

        w = {key.split("|")[1]: v for key, v in rec.items() if key.startswith("weights|")}
        t0 = o.start_time + o.times[:-1]
        t1 = o.start_time + o.times[1:]
        if o.trace is not None:
            S = len(o.states)
            df = pd.DataFrame({
                "cycle": np.repeat(k, S), "time_start": np.repeat(t0, S),
                "time_end": np.repeat(t1, S), "kind": "state", "state": np.tile(o.states, T),
                "membership_start": o.trace[sample, :-1].ravel(),
                "membership_end": o.trace[sample, 1:].ravel(),
            })
            for name in ("weight_start", "weight_end", "discount_costs_start",
                         "discount_costs_end", "discount_effects_start", "discount_effects_end"):
                df[name] = np.repeat(w[name], S)
            frames.append(fill(df, "state", (sample, slice(None), slice(None))))
        if any(key.startswith("flow|") for key in rec):
            df = pd.DataFrame({"cycle": k, "time_start": t0, "time_end": t1,
                               "kind": "transition", "state": "",
                               "weight_end": w["transition_weight"],
                               "discount_costs_end": w["transition_discount_costs"],
                               "discount_effects_end": w["transition_discount_effects"]})
            frames.append(fill(df, "flow", (sample, slice(None))))
        for kind, label, time in (("once", "start", o.start_time),
                                  ("tree", "tree", float(w.get("tree_time", 0.0)))):
            if any(key.startswith(f"{kind}|") for key in rec):
                df = pd.DataFrame({"cycle": [0], "time_start": [time], "time_end": [time],
                                   "kind": [label], "state": [""]})
                frames.append(fill(df, kind, (slice(sample, sample + 1),)))
        cols = ["cycle", "time_start", "time_end", "kind", "state", "membership_start",
                "membership_end", "weight_start", "weight_end", "discount_costs_start",
                "discount_costs_end", "discount_effects_start", "discount_effects_end"]
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
        out = out.reindex(columns=cols + rewards)
        if size != 1.0:
            out[["membership_start", "membership_end"] + rewards] *= size
        out = out.sort_values(["cycle", "kind"], key=lambda c: c.map(KINDS.index)
                              if c.name == "kind" else c, kind="stable").reset_index(drop=True)
        out.insert(0, "sample", sample)
        out.insert(0, "strategy", strategy)
        out["per"] = "cohort" if per == "cohort" else "person"
        return out
