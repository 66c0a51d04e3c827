"""Load the DanGer Shock model's inputs: parameter tables, country sets and life tables."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hecon.engine import DiscountSchedule
from hecon.errors import InputError
from hecon.parameters import ParameterTable
from hecon.scenarios import load_yaml
from hecon.survival.lifetable import LifeTable


def default_inputs_dir() -> Path:
    """``inputs/`` of the source tree (the embedded default inputs)."""
    return Path(__file__).resolve().parents[3] / "inputs"


@dataclass
class Country:
    """A country set: currency, discounting, thresholds, life table and their sources."""

    key: str
    label: str
    currency: str
    costs_file: Path
    life_table: LifeTable
    life_table_file: Path
    life_table_source: str
    discount: DiscountSchedule
    discount_source: str
    wtp: list[float]
    wtp_source: str
    price_year: str = ""
    inflation_index: str = ""
    utility_norms_file: Path | None = None

    def gp_cumhaz(self, age: np.ndarray, male: np.ndarray) -> np.ndarray:
        """Cumulative general-population hazard from the table's first age to ``age`` (exact
        for the table's piecewise-constant hazard); ages beyond the last use the last rate.
        The result has the broadcast shape of ``age`` and ``male``, except that for one sex
        throughout it keeps the shape of ``age`` (which broadcasts to it)."""
        lt = self.life_table
        age = np.asarray(age, dtype=float)
        male = np.asarray(male, dtype=float)
        shape = np.broadcast(age, male).shape
        if age.size > 1 and male.size > 1:
            a0, m0 = age.flat[0], male.flat[0]
            if (age == a0).all() and (male == m0).all():  # one cohort age and sex: compute once
                return np.full(shape, self.gp_cumhaz(np.array([a0]), np.array([m0]))[0])

        def cumhaz(a: np.ndarray, sex: str) -> np.ndarray:
            a = a - lt.ages[0]
            rates = lt.rates[sex]
            k = np.clip(np.floor(a).astype(int), 0, rates.size - 1)
            cum = np.concatenate([[0.0], np.cumsum(rates)])
            return cum[k] + rates[k] * (a - k)

        is_male = male >= 0.5
        if is_male.all() or not is_male.any():  # one sex: no masks, ages keep their shape
            return cumhaz(age, "male" if is_male.all() else "female")
        out = np.empty(shape)
        full_age = np.broadcast_to(age, shape)
        for sex, mask in (("male", is_male), ("female", ~is_male)):
            mask = np.broadcast_to(mask, shape)
            out[mask] = cumhaz(full_age[mask], sex)
        return out

    def gp_hazard(self, age: np.ndarray, male: np.ndarray) -> np.ndarray:
        """General-population annual hazard for ages (n,) and sex indicator (n,) (1 = male)."""
        age = np.asarray(age, dtype=float)
        return np.where(np.asarray(male) >= 0.5, self.life_table.hazard(age, "male"),
                        self.life_table.hazard(age, "female"))


def load_countries(inputs_dir: Path | None = None) -> dict[str, dict[str, Any]]:
    """The raw country-set definitions."""
    folder = (inputs_dir or default_inputs_dir()) / "danger_shock"
    path = folder / "countries.yaml"
    data = load_yaml(path, "country sets file")
    if not isinstance(data, dict):
        raise InputError("the country sets file must be a mapping", file=str(path))
    return data


def load_country(key: str, inputs_dir: Path | None = None) -> Country:
    """One country set, with its life table read and discounting built."""
    folder = (inputs_dir or default_inputs_dir()) / "danger_shock"
    data = load_countries(inputs_dir)
    file = str(folder / "countries.yaml")
    if key not in data:
        raise InputError(f"unknown country set {key!r}; available: {sorted(data)}", file=file)
    c = data[key]
    wtp = c.get("wtp") if isinstance(c, dict) else None
    if not isinstance(wtp, list) or not wtp or not all(
            isinstance(w, (int, float)) and not isinstance(w, bool) and math.isfinite(w)
            and w > 0 for w in wtp):
        raise InputError(f"country set {key!r}: 'wtp' must list one or more thresholds per "
                         f"QALY, each a positive number, e.g. [250000] (got {wtp!r})",
                         file=file)
    try:
        lt_file = (folder / c["life_table"]).resolve()
        segments = [(float(s), float(r)) for s, r in c["discount"]["segments"]]
        country = Country(
            key=key, label=str(c["label"]), currency=str(c["currency"]),
            costs_file=folder / c["costs"], life_table=LifeTable.from_csv(lt_file),
            life_table_file=lt_file, life_table_source=str(c["life_table_source"]),
            discount=DiscountSchedule.stepwise(segments),
            discount_source=str(c["discount"]["source"]),
            wtp=[float(x) for x in c["wtp"]], wtp_source=str(c["wtp_source"]),
            price_year=str(c["price_year"]), inflation_index=str(c["inflation_index"]),
            utility_norms_file=folder / c["utility_norms"],
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"country set {key!r} is incomplete or malformed ({exc})",
                         file=file) from None
    return country


def parameter_files(country: Country, inputs_dir: Path | None = None) -> list[Path]:
    """The parameter files of a country set: clinical, resource use, utilities, the country's
    general-population utility norms and its costs."""
    folder = (inputs_dir or default_inputs_dir()) / "danger_shock"
    norms = [country.utility_norms_file] if country.utility_norms_file else []
    return [folder / "clinical.csv", folder / "resource_use.csv", folder / "utilities.csv",
            *norms, country.costs_file]


def load_parameters(country: Country, inputs_dir: Path | None = None,
                    override: Path | None = None) -> ParameterTable:
    """The parameter table of a country set; ``override`` replaces it by a user's table
    (a CSV/XLSX file or a folder of them)."""
    if override is not None:
        return ParameterTable.read(override, country=country.key)
    return ParameterTable.read(*parameter_files(country, inputs_dir))
