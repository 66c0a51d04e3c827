"""Designs: matrices of parameter samples (n rows x parameters) that every analysis evaluates.

A base case is one row, a one-way analysis two rows per parameter, a PSA n seeded draws
(independent, or with given rank correlations through a Gaussian copula), a Sobol/Morris
design a unit-hypercube sample mapped through the inverse CDFs. The model receives each
parameter as an array over rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hecon.engine.params import ParamView
from hecon.errors import InputError
from hecon.limits import check_memory
from hecon.parameters import ParameterTable


@dataclass
class Design:
    """``values`` (n, p) float array; ``names`` the p parameter names; ``labels`` per row."""

    values: np.ndarray
    names: list[str]
    labels: list[str]
    kind: str = "custom"

    def __post_init__(self) -> None:
        self.values = np.asarray(self.values, dtype=float)
        if self.values.ndim != 2 or self.values.shape[1] != len(self.names):
            raise InputError(
                f"design of shape {self.values.shape} does not match "
                f"{len(self.names)} parameter names"
            )
        if len(self.labels) != self.values.shape[0]:
            raise InputError("one label per design row is needed")
        if len(set(self.names)) != len(self.names):
            raise InputError("duplicate parameter names in the design")

    @property
    def n(self) -> int:
        """Number of rows (samples)."""
        return self.values.shape[0]

    def params(self) -> ParamView:
        """Parameter samples: name -> array (n,), with attribute access."""
        return ParamView({k: self.values[:, j] for j, k in enumerate(self.names)}, n=self.n)

    def column(self, name: str) -> np.ndarray:
        """One parameter's samples."""
        return self.params()[name]

    def chunks(self, size: int) -> Iterator[Design]:
        """Consecutive sub-designs of at most ``size`` rows."""
        for lo in range(0, self.n, size):
            hi = min(lo + size, self.n)
            yield Design(self.values[lo:hi], self.names, self.labels[lo:hi], self.kind)

    def to_frame(self) -> pd.DataFrame:
        """Rows as a DataFrame with a ``label`` column."""
        df = pd.DataFrame(self.values, columns=self.names)
        df.insert(0, "label", self.labels)
        return df

    def with_columns(self, values: dict[str, np.ndarray]) -> Design:
        """A copy with some columns replaced (e.g. a scenario's overrides)."""
        out = self.values.copy()
        for k, v in values.items():
            if k not in self.names:
                raise InputError("unknown parameter", parameter=k)
            out[:, self.names.index(k)] = np.broadcast_to(np.asarray(v, dtype=float), (self.n,))
        return Design(out, self.names, self.labels, self.kind)

    # ----------------------------------------------------------------- builders
    @classmethod
    def base(cls, table: ParameterTable) -> Design:
        """One row at the base-case values."""
        b = table.base_values()
        return cls(np.array([list(b.values())]), list(b), ["base"], "base")

    @classmethod
    def one_way(cls, table: ParameterTable, names: Sequence[str] | None = None) -> Design:
        """A base row, then for each parameter a low row and a high row (others at base).

        Varying a Dirichlet member rescales the other members of its group proportionally so
        the group still sums to 1.
        """
        names = list(table.one_way_names if names is None else names)
        base = np.array(list(table.base_values().values()))
        cols = table.names
        rows, labels = [base.copy()], ["base"]
        groups = table.groups()
        for name in names:
            rng = table[name].one_way_range()
            if rng is None:
                raise InputError("no one-way range (fixed, with no low/high)", parameter=name)
            for tag, x in zip(("low", "high"), rng, strict=True):
                row = base.copy()
                j = cols.index(name)
                row[j] = x
                g = table[name].group
                if g:
                    others = [cols.index(m) for m in groups[g] if m != name]
                    rest = base[others].sum()
                    if rest > 0:
                        row[others] = base[others] * (1 - x) / rest
                rows.append(row)
                labels.append(f"{name}:{tag}")
        return cls(np.array(rows), cols, labels, "one-way")

    @classmethod
    def from_unit(cls, table: ParameterTable, u: np.ndarray, names: Sequence[str]) -> Design:
        """Map a unit-hypercube sample (n, k) for ``names`` through the inverse CDFs; other
        parameters stay at base. Dirichlet groups must be given whole (all members)."""
        u = np.asarray(u, dtype=float)
        names = list(names)
        if u.ndim != 2 or u.shape[1] != len(names):
            raise InputError(f"unit sample of shape {u.shape} does not match {len(names)} names")
        if np.any((u < 0) | (u > 1)) or np.isnan(u).any():
            raise InputError("unit-hypercube values must lie in [0, 1]")
        from scipy import stats  # here: importing scipy.stats costs ~0.5 s (the plot worker
        # imports this module through hecon.plugin and draws nothing from it)

        base = cls.base(table)
        vals = np.repeat(base.values, u.shape[0], axis=0)
        cols = table.names
        groups = table.groups()
        done: set[str] = set()
        for j, name in enumerate(names):
            p = table[name]
            if p.group:
                if p.group in done:
                    continue
                members = groups[p.group]
                missing = [m for m in members if m not in names]
                if missing:
                    raise InputError(
                        f"dirichlet group {p.group!r} must be sampled whole; missing {missing}",
                        parameter=name,
                    )
                g = np.stack(
                    [_ppf_distinct(stats.gamma(table[m].alpha).ppf, u[:, names.index(m)])
                     for m in members],
                    axis=1,
                )
                if not np.isfinite(g).all():
                    raise InputError("a unit value of 1 maps to infinity", parameter=name)
                total = g.sum(axis=1, keepdims=True)
                for i, m in enumerate(members):
                    vals[:, cols.index(m)] = g[:, i] / total[:, 0]
                done.add(p.group)
                continue
            x = _ppf_distinct(p.dist.ppf, u[:, j])
            if not np.isfinite(x).all():
                bad = int(np.flatnonzero(~np.isfinite(x))[0])
                raise InputError(
                    f"unit value {u[bad, j]:g} maps to {x[bad]} (row {bad}); "
                    "use values strictly inside (0, 1)",
                    parameter=name,
                )
            vals[:, cols.index(name)] = x
        return cls(vals, cols, [str(i) for i in range(u.shape[0])], "unit")

    @classmethod
    def psa(
        cls,
        table: ParameterTable,
        n: int,
        seed: int,
        correlation: pd.DataFrame | None = None,
        correlation_kind: str = "rank",
    ) -> Design:
        """``n`` seeded draws of every uncertain parameter; optional correlation through a
        Gaussian copula (``correlation``: a square DataFrame indexed by parameter names).

        ``correlation_kind="rank"`` (default): the entries are Spearman rank correlations. A
        Gaussian copula whose normal scores have correlation r gives the rank correlation
        (6 / pi) arcsin(r / 2), so each entry rho is applied to the normal scores as
        r = 2 sin(pi rho / 6); the draws' rank correlation is then rho (up to sampling
        error, for any marginal distributions: ranks do not depend on them). ``"normal"``:
        the entries are applied to the normal scores as they are (normal-scores correlation;
        rank correlations come out slightly smaller, 0.5819 for 0.6)."""
        if correlation_kind not in ("rank", "normal"):
            raise InputError(f"correlation_kind must be 'rank' or 'normal', got "
                             f"{correlation_kind!r}")
        if int(n) != n or n < 1:
            raise InputError(f"the number of PSA draws must be a whole number >= 1, got {n!r}")
        names = table.uncertain_names
        check_memory(int(n), len(table.names), "PSA draws")
        rng = np.random.default_rng(seed)
        z = rng.standard_normal((int(n), len(names)))
        if correlation is not None:
            if correlation_kind == "rank":
                correlation = 2 * np.sin(np.pi * correlation.astype(float) / 6)
            z = _correlate(z, names, correlation)
        from scipy import stats

        u = stats.norm.cdf(z)
        # keep away from exactly 0 and 1 (probability ~1e-300 under a normal draw)
        u = np.clip(u, np.nextafter(0, 1), np.nextafter(1, 0))
        d = cls.from_unit(table, u, names)
        return cls(d.values, d.names, [f"psa{i}" for i in range(int(n))], "psa")

    @classmethod
    def from_frame(cls, df: pd.DataFrame, table: ParameterTable | None = None) -> Design:
        """An externally built design; a ``label`` column is used if present. With ``table``,
        missing parameters are filled at base and unknown columns are errors."""
        df = df.copy()
        labels = (
            df.pop("label").astype(str).tolist()
            if "label" in df.columns
            else [str(i) for i in range(len(df))]
        )
        if table is not None:
            for c in df.columns:
                if c not in table:
                    raise InputError("design column is not a parameter", parameter=str(c))
            for name, v in table.base_values().items():
                if name not in df.columns:
                    df[name] = v
            df = df[table.names]
        return cls(df.to_numpy(dtype=float), [str(c) for c in df.columns], labels, "custom")


_PEEK = 256  # leading rows looked at before sorting a whole column for its distinct values


def _ppf_distinct(ppf: Callable[[np.ndarray], np.ndarray], col: np.ndarray) -> np.ndarray:
    """``ppf(col)``, evaluated once per distinct value of ``col`` when values repeat a lot.

    A Saltelli design holds about 2N distinct values per column among N (k + 2) rows, a Morris
    design a handful of levels; scipy's beta and gamma inverse CDFs cost about a microsecond a
    value, so mapping only the distinct values and gathering is much cheaper. An inverse CDF
    acts value by value, so the result is bit-identical to ``ppf(col)``. A first look at
    the leading rows keeps the sort off columns of distinct draws (a PSA)."""
    if col.size < 64 or 2 * np.unique(col[:_PEEK]).size > min(col.size, _PEEK):
        return ppf(col)
    uniq, inverse = np.unique(col, return_inverse=True)
    if 2 * uniq.size > col.size:
        return ppf(col)
    return np.asarray(ppf(uniq))[inverse.reshape(col.shape)]


def _correlate(z: np.ndarray, names: list[str], corr: pd.DataFrame) -> np.ndarray:
    rows, cols = list(map(str, corr.index)), list(map(str, corr.columns))
    if rows != cols:
        raise InputError("the correlation matrix must have the same names on rows and columns")
    for c in rows:
        if c not in names:
            raise InputError("correlated parameter is fixed or unknown", parameter=c)
    m = corr.to_numpy(dtype=float)
    if not np.allclose(m, m.T, atol=1e-12):
        raise InputError("the correlation matrix is not symmetric")
    if not np.allclose(np.diag(m), 1.0):
        raise InputError("the correlation matrix needs 1 on its diagonal")
    try:
        L = np.linalg.cholesky(m)
    except np.linalg.LinAlgError:
        raise InputError("the correlation matrix is not positive definite") from None
    idx = [names.index(c) for c in rows]
    z = z.copy()
    z[:, idx] = z[:, idx] @ L.T
    return z
