"""Budget impact analysis (ISPOR good practice: Sullivan et al., Value Health 2014;17:5-14).

Two worlds are compared year by year: the *current* world (the treatment mix without the new
technology, or with its current share) and the *new* world (the new technology taken up at a
given share of eligible patients each calendar year). Every cohort that entered in an earlier
calendar year keeps costing while its members live, so the cost of calendar year ``t`` is

    cost(t) = sum over entry years s <= t of  N_s * [ (1 - u_s) c_cur(t - s + 1)
                                                      + u_s     c_new(t - s + 1) ]

where ``N_s`` is the number of eligible patients entering in year ``s``, ``u_s`` the share
treated with the new strategy in that world, and ``c_x(y)`` the per-patient *undiscounted*
cost of strategy ``x`` in year ``y`` since entry (ISPOR: budget impact is reported
undiscounted, in the price year of the inputs). Patients alive at the end of a calendar year are
counted the same way from the proportion alive at the end of each year since entry. The net
budget impact is the new world's cost minus the current world's.

Everything is vectorised: per-patient arrays may carry any leading axes (e.g. PSA draws), and
the cohort sum is one ``einsum`` over a lower-triangular (Toeplitz) index, never a loop over
draws. A perspective is a set of cost categories: the payer counts every category, a hospital
only those of the index admission (which ones is the caller's choice).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hecon.errors import InputError


@dataclass(frozen=True)
class PerPatient:
    """Per-patient results of one strategy by year since entry (year 1, 2, ...).

    ``costs`` maps a cost category to undiscounted costs per patient in each year since entry,
    an array of shape (..., Y) (leading axes, e.g. PSA draws, are optional); ``alive`` is the
    proportion of the entering cohort alive at the end of each year since entry, (..., Y).
    """

    costs: Mapping[str, np.ndarray]
    alive: np.ndarray


def _vector(x: float | Sequence[float] | np.ndarray, t: int | None, what: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim == 0 and t is not None:
        a = np.full(t, float(a))
    if a.ndim != 1:
        raise InputError(f"{what} must be one number per calendar year, got shape {a.shape}",
                         parameter=what)
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        raise InputError(f"{what} in year {int(bad[0]) + 1} is not a finite number",
                         parameter=what)
    return a


def _shares(u: np.ndarray, what: str) -> None:
    bad = np.flatnonzero((u < 0) | (u > 1))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"{what} in year {i + 1} is {u[i]:g}; a share must lie between 0 "
                         "and 1", parameter=what)


def cohort_sum(per_patient: np.ndarray, entrants: np.ndarray) -> np.ndarray:
    """Totals per calendar year over all cohorts entered so far.

    ``per_patient`` (..., Y): a quantity per patient in each year since entry; ``entrants``
    (..., T) with T <= Y: patients entering in each calendar year. Returns (..., T) with
    ``out[t] = sum_{s <= t} entrants[s] * per_patient[t - s]`` (0-based years).
    """
    c = np.asarray(per_patient, dtype=float)
    n = np.asarray(entrants, dtype=float)
    t = n.shape[-1]
    if c.shape[-1] < t:
        raise InputError(f"per-patient results cover {c.shape[-1]} years since entry but the "
                         f"budget spans {t} calendar years; they must cover at least as many")
    lag = np.arange(t)[:, None] - np.arange(t)[None, :]  # (t, s): years since entry - 1
    mask = lag >= 0
    toeplitz = np.where(mask, c[..., np.clip(lag, 0, None)], 0.0)  # (..., T, T)
    return np.einsum("...ts,...s->...t", toeplitz, n)


@dataclass
class BudgetImpact:
    """Costs and patients of the current and the new world per calendar year.

    Arrays have shape (..., T): optional leading axes (e.g. PSA draws) and one entry per
    calendar year. ``current`` and ``new`` map each cost category to the world's cost.
    """

    patients: np.ndarray
    uptake: np.ndarray
    current_uptake: np.ndarray
    categories: list[str]
    current: dict[str, np.ndarray]
    new: dict[str, np.ndarray]
    alive_current: np.ndarray
    alive_new: np.ndarray
    hospital_categories: list[str] = field(default_factory=list)

    @property
    def years(self) -> np.ndarray:
        """Calendar years 1..T."""
        return np.arange(1, self.patients.size + 1)

    def _total(self, world: dict[str, np.ndarray], cats: Sequence[str]) -> np.ndarray:
        shape = np.broadcast_shapes(*(world[c].shape for c in self.categories))
        return sum((world[c] for c in cats), np.zeros(shape))

    @property
    def cost_current(self) -> np.ndarray:
        """Payer cost of the current world (all categories)."""
        return self._total(self.current, self.categories)

    @property
    def cost_new(self) -> np.ndarray:
        """Payer cost of the new world (all categories)."""
        return self._total(self.new, self.categories)

    @property
    def impact(self) -> np.ndarray:
        """Net budget impact for the payer: new world minus current world."""
        return self.cost_new - self.cost_current

    @property
    def hospital_cost_current(self) -> np.ndarray:
        """Hospital cost of the current world (index-admission categories)."""
        return self._total(self.current, self.hospital_categories)

    @property
    def hospital_cost_new(self) -> np.ndarray:
        """Hospital cost of the new world (index-admission categories)."""
        return self._total(self.new, self.hospital_categories)

    @property
    def hospital_impact(self) -> np.ndarray:
        """Net budget impact for the hospital."""
        return self.hospital_cost_new - self.hospital_cost_current

    def table(self) -> pd.DataFrame:
        """One row per calendar year (results without leading axes, e.g. the base case):
        patients, costs of both worlds by perspective and category, net and cumulative budget
        impact, patients alive at the year's end in each world."""
        if self.impact.ndim != 1:
            raise ValueError("table() needs results without a draws axis; use interval()")
        n, u = self.patients, self.uptake
        d = {
            "year": self.years,
            "patients_eligible": n,
            "uptake": u,
            "patients_treated": n * u,
            "patients_comparator": n * (1 - u),
            "patients_treated_current": n * self.current_uptake,
            "cost_current": self.cost_current,
            "cost_new": self.cost_new,
            "budget_impact": self.impact,
            "cumulative_budget_impact": np.cumsum(self.impact),
            "hospital_cost_current": self.hospital_cost_current,
            "hospital_cost_new": self.hospital_cost_new,
            "hospital_budget_impact": self.hospital_impact,
            "hospital_cumulative_budget_impact": np.cumsum(self.hospital_impact),
            "alive_current": self.alive_current,
            "alive_new": self.alive_new,
        }
        for c in self.categories:
            d[f"cost_current_{c}"] = self.current[c]
            d[f"cost_new_{c}"] = self.new[c]
            d[f"budget_impact_{c}"] = self.new[c] - self.current[c]
        return pd.DataFrame(d)

    def interval(self, level: float = 0.95) -> pd.DataFrame:
        """Mean and equal-tailed ``level`` interval over the first (draws) axis of the yearly
        and cumulative budget impact, payer and hospital; one row per calendar year."""
        if self.impact.ndim != 2:
            raise ValueError("interval() needs results with one draws axis")
        if not 0 < level < 1:
            raise InputError(f"interval level must lie between 0 and 1, got {level}")
        q = [(1 - level) / 2, (1 + level) / 2]
        out = {"year": self.years}
        for name, x in (("budget_impact", self.impact),
                        ("cumulative_budget_impact", np.cumsum(self.impact, axis=-1)),
                        ("hospital_budget_impact", self.hospital_impact),
                        ("hospital_cumulative_budget_impact",
                         np.cumsum(self.hospital_impact, axis=-1))):
            lo, hi = np.quantile(x, q, axis=0)
            out[f"{name}_mean"] = x.mean(axis=0)
            out[f"{name}_low"] = lo
            out[f"{name}_high"] = hi
        return pd.DataFrame(out)


def budget_impact(
    current: PerPatient,
    new: PerPatient,
    patients: float | Sequence[float] | np.ndarray,
    uptake: Sequence[float] | np.ndarray,
    current_uptake: float | Sequence[float] | np.ndarray = 0.0,
    hospital_categories: Sequence[str] = (),
) -> BudgetImpact:
    """Budget impact of adopting ``new`` instead of ``current`` care.

    ``patients``: eligible patients entering per calendar year (one number for every year, or
    one per year); ``uptake``: share of them treated with the new strategy in the new world
    each calendar year (its length sets the number of years T); ``current_uptake``: that share
    in the current world (0: the current mix without the new technology). Per-patient results
    must cover at least T years since entry. A category missing from one strategy costs 0
    there. ``hospital_categories`` are the categories a hospital pays (each must be a
    category of the results). Returns a :class:`BudgetImpact`.
    """
    u = _vector(uptake, None, "uptake")
    t = u.size
    if t < 1:
        raise InputError("uptake needs at least one calendar year", parameter="uptake")
    n = _vector(patients, t, "patients")
    u0 = _vector(current_uptake, t, "current uptake")
    for a, what in ((n, "patients"), (u0, "current uptake")):
        if a.size != t:
            raise InputError(f"{what} has {a.size} years but uptake has {t}", parameter=what)
    neg = np.flatnonzero(n < 0)
    if neg.size:
        raise InputError(f"patients in year {int(neg[0]) + 1} is negative", parameter="patients")
    _shares(u, "uptake")
    _shares(u0, "current uptake")
    cats = list(dict.fromkeys([*current.costs, *new.costs]))
    unknown = [c for c in hospital_categories if c not in cats]
    if unknown:
        raise InputError(f"hospital cost categories {unknown} are not among the results' "
                         f"categories {cats}", parameter="hospital_categories")
    for who, pp in (("current", current), ("new", new)):
        for c, v in pp.costs.items():
            if not np.all(np.isfinite(v)):
                raise InputError(f"per-patient {c} costs of the {who} strategy are not all "
                                 "finite numbers", parameter=c)
        a = np.asarray(pp.alive, dtype=float)
        if not np.all((a >= 0) & (a <= 1)):
            raise InputError(f"proportion alive of the {who} strategy must lie between 0 "
                             "and 1", parameter="alive")

    def world(share: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        on_new, on_cur = n * share, n * (1 - share)
        costs = {}
        for c in cats:
            cc, cn = current.costs.get(c), new.costs.get(c)
            ref = np.asarray(cc if cc is not None else cn, dtype=float)
            cc = np.zeros_like(ref) if cc is None else cc
            cn = np.zeros_like(ref) if cn is None else cn
            costs[c] = cohort_sum(cc, on_cur) + cohort_sum(cn, on_new)
        alive = cohort_sum(current.alive, on_cur) + cohort_sum(new.alive, on_new)
        return costs, alive

    cost_cur, alive_cur = world(u0)
    cost_new, alive_new = world(u)
    return BudgetImpact(n, u, u0, cats, cost_cur, cost_new, alive_cur, alive_new,
                        list(hospital_categories))


def oneway_table(base: BudgetImpact, variations: Mapping[str, Mapping[str, tuple[str,
                 BudgetImpact]]]) -> pd.DataFrame:
    """One-way sensitivity of the budget impact to its drivers.

    ``variations`` maps a driver (e.g. "Device price") to ``{"low": (setting, result),
    "high": (setting, result)}``, each result computed with that driver alone changed. Returns
    one row per driver, sorted by the swing of the cumulative payer impact: the setting at
    each end, year-1 and cumulative impact (payer and hospital) at each end and at base.
    """
    def totals(r: BudgetImpact) -> dict[str, float]:
        return {"year1": float(r.impact[..., 0]), "cumulative": float(r.impact.sum(axis=-1)),
                "hospital_year1": float(r.hospital_impact[..., 0]),
                "hospital_cumulative": float(r.hospital_impact.sum(axis=-1))}

    b = totals(base)
    rows = []
    for driver, ends in variations.items():
        row: dict[str, object] = {"driver": driver}
        for end in ("low", "high"):
            setting, res = ends[end]
            row[f"{end}_setting"] = setting
            for k, v in totals(res).items():
                row[f"{k}_{end}"] = v
        for k, v in b.items():
            row[f"{k}_base"] = v
        row["swing"] = abs(row["cumulative_high"] - row["cumulative_low"])
        rows.append(row)
    cols = ["driver", "low_setting", "high_setting", "cumulative_base", "cumulative_low",
            "cumulative_high", "year1_base", "year1_low", "year1_high",
            "hospital_cumulative_base", "hospital_cumulative_low", "hospital_cumulative_high",
            "hospital_year1_base", "hospital_year1_low", "hospital_year1_high", "swing"]
    return (pd.DataFrame(rows, columns=cols).sort_values("swing", ascending=False,
                                                          kind="stable")
            .reset_index(drop=True))
