"""Results of an evaluation: tidy DataFrames per (sample, strategy), traces, matrices."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hecon.engine.markov import ModelOutput

OUTCOMES = ("cost", "qalys", "life_years")


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

    def matrix(self, outcome: str) -> np.ndarray:
        """Outcome for all strategies, shape (n, k) in strategy order."""
        return np.stack([self.column(s, outcome) for s in self.strategies], axis=1)

    def outcome_names(self) -> list[str]:
        """All outcome columns of :meth:`to_frame`."""
        cats = [f"cost_{c}" for c in self.cost_categories()]
        names = ["cost", *cats, "qalys", "life_years"]
        names += [f"{x}_undisc" for x in names]
        extras: list[str] = []
        for o in self.outputs.values():
            extras += [k for k, v in o.extras.items() if np.ndim(v) == 1 and k not in extras]
        return names + extras

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per (sample, strategy)."""
        frames = []
        names = self.outcome_names()
        for s in self.strategies:
            data = {"sample": np.arange(self.n), "label": self.labels, "strategy": s}
            for col in names:
                try:
                    data[col] = self.column(s, col)
                except KeyError:
                    data[col] = np.nan
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

    def summary(self, sample: int = 0) -> pd.DataFrame:
        """One row per strategy for one sample (e.g. the base case)."""
        df = self.to_frame()
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

    def trace(self, strategy: str, sample: int = 0) -> pd.DataFrame:
        """State membership by time point for one strategy and sample."""
        o = self.outputs[strategy]
        if o.trace is None:
            raise KeyError(f"no trace kept for strategy {strategy!r}")
        df = pd.DataFrame(o.trace[sample], columns=o.states)
        df.insert(0, "time_years", o.start_time + o.times)
        df.insert(0, "cycle", np.arange(len(o.times)))
        return df
