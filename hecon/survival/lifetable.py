"""General-population mortality: life tables, cohort survival and combination with disease curves.

A life table holds annual mortality hazard rates (deaths per person-year) by single year of age
for men and women; the last age is open-ended. The hazard is piecewise constant: at a fractional
age a it is the rate of age floor(a), so cumulative hazards and survival are exact.

A cohort of a given starting age and share of men is a mixture of the male and female survival
curves, S(t) = p S_m(t) + (1 - p) S_f(t), not a curve with a mixed hazard: as the cohort ages
its survivors become more female because men die faster.

A table may also hold one sex only (usable for cohorts of that sex: male share 0 or 1) or one
sex-neutral column (``both=``, the same hazards for everyone). ``LifeTable.from_bands`` builds a
table from age bands of probabilities (qx) or rates (mx); docs/survival.md gives the conversion.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hecon.errors import InputError
from hecon.survival._utils import (
    ArrayLike,
    as_param,
    as_times,
    common_n,
    finish,
    integrate_increments,
)
from hecon.survival.curves import SurvivalCurve

SEXES = ("male", "female")
METHODS = ("floor", "additive", "smr")
KINDS = ("qx", "mx")
PERIODS = ("year", "band")


class LifeTable:
    """Annual mortality hazards by single year of age (`ages` consecutive integers) and sex.

    Give ``male`` and ``female``, one of them (a table for one sex), or ``both`` (sex-neutral:
    the same hazards for men and women)."""

    def __init__(self, ages: ArrayLike, male: ArrayLike | None = None,
                 female: ArrayLike | None = None, source: str | None = None, *,
                 both: ArrayLike | None = None) -> None:
        where = source
        a = np.asarray(ages, dtype=float).ravel()
        if both is not None and (male is not None or female is not None):
            raise InputError("give either both= (sex-neutral hazards) or male=/female=, not "
                             "both kinds", file=where, parameter="both")
        given = {"male": both, "female": both} if both is not None else {
            s: v for s, v in (("male", male), ("female", female)) if v is not None}
        if not given:
            raise InputError("no hazards given: pass male= and female=, one of them, or both= "
                             "for a sex-neutral table", file=where)
        rates = {s: np.asarray(v, dtype=float).ravel() for s, v in given.items()}
        if a.size == 0 or any(v.size != a.size for v in rates.values()):
            raise InputError(f"ages and {' and '.join(rates)} must be non-empty and of equal "
                             "length", file=where)
        if np.any(a != np.round(a)) or np.any(np.diff(a) != 1):
            raise InputError("ages must be consecutive whole years (one row per year of age)",
                             file=where, parameter="age")
        for name, v in rates.items():
            bad = ~np.isfinite(v) | (v < 0)
            if np.any(bad):
                raise InputError(f"hazard must be a finite number >= 0 (age {a[bad][0]:g})",
                                 file=where, parameter="both" if both is not None else name)
        self.ages = a.astype(int)
        self.rates = rates
        self.sex_neutral = both is not None
        self.source = source
        # cumulative hazard from the first age to the start of each age
        self._cum = {s: np.concatenate([[0.0], np.cumsum(v)]) for s, v in self.rates.items()}

    # --- input / output ----------------------------------------------------------------------
    @classmethod
    def from_csv(cls, path: str | Path) -> LifeTable:
        """Read a CSV with columns `age`, `male`, `female` (annual hazards; any letter case)."""
        p = Path(path)
        try:
            df = pd.read_csv(p)
        except (OSError, pd.errors.ParserError) as err:
            raise InputError(f"cannot read life table: {err}", file=str(p)) from err
        df.columns = [str(c).strip().lower() for c in df.columns]
        missing = [c for c in ("age", "male", "female") if c not in df.columns]
        if missing:
            raise InputError(f"missing column(s) {', '.join(missing)}; need age, male, female",
                             file=str(p))
        for c in ("age", "male", "female"):
            values = pd.to_numeric(df[c], errors="coerce")
            bad = values.isna()
            if bad.any():
                row = int(np.nonzero(bad.to_numpy())[0][0]) + 2  # header is row 1
                raise InputError(f"'{df[c].iloc[row - 2]}' is not a number", file=str(p), row=row,
                                 parameter=c)
            df[c] = values
        df = df.sort_values("age")
        return cls(df["age"], df["male"], df["female"], source=str(p))

    @classmethod
    def from_bands(cls, lower: ArrayLike, values: ArrayLike | None = None, *,
                   male: ArrayLike | None = None, female: ArrayLike | None = None,
                   kind: str, period: str = "year", last_width: float | None = None,
                   source: str | None = None) -> LifeTable:
        """A single-year table from age bands.

        ``lower``: the first age of each band (whole years, increasing); band i covers
        [lower_i, lower_{i+1}) and the last band is open-ended. Values per band: ``values``
        (sex-neutral), or ``male`` and/or ``female``. ``kind``:

        - ``"mx"``: death rates per person-year; the hazard is the rate (constant within the
          band);
        - ``"qx"``: probabilities of death; with ``period="year"`` an annual probability,
          hazard -ln(1 - q); with ``period="band"`` the probability of dying within the band
          (the demographers' nqx over its width n), hazard -ln(1 - nqx) / n, where the last,
          open-ended band needs its width ``last_width`` (its nqx would otherwise be 1).

        Every single year of age in a band gets the band's hazard.
        """
        where = source
        if kind not in KINDS:
            raise InputError(f"kind must be 'qx' (probabilities of death) or 'mx' (death rates "
                             f"per person-year), got {kind!r}", file=where, parameter="kind")
        if period not in PERIODS:
            raise InputError(f"period must be 'year' (annual probabilities) or 'band' "
                             f"(probability over the band's width), got {period!r}",
                             file=where, parameter="period")
        lo = np.asarray(lower, dtype=float).ravel()
        if lo.size == 0 or np.any(lo != np.round(lo)) or np.any(np.diff(lo) <= 0):
            raise InputError("band lower ages must be whole years, increasing", file=where,
                             parameter="age")
        width = np.diff(lo)
        if kind == "qx" and period == "band":
            if last_width is None or not last_width > 0:
                raise InputError("period='band' needs last_width= (years) for the open-ended "
                                 "last band", file=where, parameter="last_width")
            width = np.append(width, float(last_width))
        else:
            width = np.append(width, 1.0)
        if values is not None and (male is not None or female is not None):
            raise InputError("give either values (sex-neutral) or male=/female=, not both kinds",
                             file=where, parameter="values")
        given = {"both": values} if values is not None else {
            s: v for s, v in (("male", male), ("female", female)) if v is not None}
        if not given:
            raise InputError("no values given: pass values (sex-neutral), or male= and/or "
                             "female=", file=where)
        hazards = {}
        for name, v in given.items():
            x = np.asarray(v, dtype=float).ravel()
            if x.size != lo.size:
                raise InputError(f"{x.size} values for {lo.size} bands", file=where,
                                 parameter=name)
            ok = np.isfinite(x) & (x >= 0) & ((x < 1) if kind == "qx" else True)
            if not ok.all():
                i = int(np.flatnonzero(~ok)[0])
                what = ("a probability in [0, 1) (1 would be an infinite hazard)" if kind == "qx"
                        else "a rate >= 0")
                raise InputError(f"band from age {lo[i]:g}: {float(x[i])!r} is not {what}",
                                 file=where, parameter=name)
            h = x if kind == "mx" else -np.log1p(-x) / (width if period == "band" else 1.0)
            hazards[name] = h
        ages = np.arange(int(lo[0]), int(lo[-1]) + 1)
        band = np.searchsorted(lo, ages, side="right") - 1
        per_year = {k: v[band] for k, v in hazards.items()}
        if "both" in per_year:
            return cls(ages, both=per_year["both"], source=source)
        return cls(ages, per_year.get("male"), per_year.get("female"), source=source)

    def to_frame(self) -> pd.DataFrame:
        """The table as a DataFrame with columns age and male, female (or both)."""
        if self.sex_neutral:
            return pd.DataFrame({"age": self.ages, "both": self.rates["male"]})
        return pd.DataFrame({"age": self.ages, **self.rates})

    def to_csv(self, path: str | Path) -> None:
        """Write the table as CSV (age, male, female)."""
        self.to_frame().to_csv(path, index=False)

    @property
    def sexes(self) -> tuple[str, ...]:
        """The sexes the table has hazards for."""
        return tuple(s for s in SEXES if s in self.rates)

    # --- lookups -----------------------------------------------------------------------------
    def _sex(self, sex: str) -> str:
        s = sex.strip().lower()
        if s not in SEXES:
            raise InputError(f"sex must be 'male' or 'female', got '{sex}'", parameter="sex")
        if s not in self.rates:
            only = self.sexes[0]
            raise InputError(f"this life table has {only} hazards only: use it for a cohort of "
                             f"{'men' if only == 'male' else 'women'} (male share "
                             f"{1 if only == 'male' else 0}), or add {s} hazards",
                             file=self.source, parameter="sex")
        return s

    def _needs(self, male_share: np.ndarray) -> tuple[bool, bool]:
        """Whether the male and female curves are needed for these male shares; a missing sex
        with a share above 0 is an InputError."""
        need_m, need_f = bool(np.any(male_share > 0)), bool(np.any(male_share < 1))
        for sex, need in (("male", need_m), ("female", need_f)):
            if need and sex not in self.rates:
                self._sex(sex)
        return need_m, need_f

    def _check_age(self, age: np.ndarray) -> None:
        if np.any(age < self.ages[0]):
            raise InputError(f"age {np.min(age):g} is below the table's first age "
                             f"{self.ages[0]}", file=self.source, parameter="age")

    def hazard(self, age: ArrayLike, sex: str) -> np.ndarray:
        """Annual hazard at (possibly fractional) ages: the rate of age floor(age); ages past the
        last row use the last (open-ended) row."""
        a = np.asarray(age, dtype=float)
        self._check_age(a)
        idx = np.clip(np.floor(a).astype(int) - self.ages[0], 0, self.ages.size - 1)
        return self.rates[self._sex(sex)][idx]

    def _cum_to_age(self, age: np.ndarray, sex: str) -> np.ndarray:
        """Cumulative hazard from the first age of the table to `age` (exact)."""
        s = self._sex(sex)
        rel = age - self.ages[0]
        k = np.clip(np.floor(rel).astype(int), 0, self.ages.size - 1)
        return self._cum[s][k] + self.rates[s][k] * (rel - k)

    def cumhaz(self, start_age: float, t: ArrayLike, sex: str) -> np.ndarray:
        """Cumulative hazard from `start_age` to `start_age + t`, shape (T,)."""
        tt = as_times(t)
        a0 = np.asarray(float(start_age))
        self._check_age(a0)
        return self._cum_to_age(a0 + tt, sex) - self._cum_to_age(a0, sex)

    def survival(self, start_age: float, t: ArrayLike, male_share: float) -> np.ndarray:
        """Cohort survival p S_m(t) + (1 - p) S_f(t) from `start_age`, shape (T,)."""
        p = _check_share(male_share)[0]
        need_m, need_f = self._needs(np.asarray([p]))
        s_m = np.exp(-self.cumhaz(start_age, t, "male")) if need_m else 0.0
        s_f = np.exp(-self.cumhaz(start_age, t, "female")) if need_f else 0.0
        return p * s_m + (1 - p) * s_f

    def cohort(self, start_age: float, male_share: ArrayLike, smr: ArrayLike = 1.0,
               ) -> BackgroundMortality:
        """General-population survival of a cohort as a curve (SMR x the life-table hazards)."""
        return BackgroundMortality(None, self, start_age, male_share, method="smr", smr=smr)


def _check_share(male_share: ArrayLike) -> np.ndarray:
    p = as_param(male_share, "male_share")
    if np.any((p < 0) | (p > 1)):
        raise InputError("must lie in [0, 1]", parameter="male_share")
    return p


class BackgroundMortality(SurvivalCurve):
    """A disease curve combined with general-population mortality, per sex, then mixed.

    For each sex s with life-table hazard h_s (times `smr`, default 1):
    - "floor":    h = max(h_disease, smr h_s)  (the hazard never falls below the population's)
    - "additive": h = h_disease + smr h_s      (relative-survival style: h_disease is the excess)
    - "smr":      h = smr h_s                  (no disease curve: pass `curve=None`)
    The cohort curve is S(t) = p S_male(t) + (1 - p) S_female(t) with p the male share at t=0,
    so the disease hazard is assumed the same for men and women. "additive" and "smr" are
    exact; "floor" integrates on a grid of width `step` (years): over each grid interval the
    cumulative-hazard increment is max(dH_disease, smr dH_s), which is exact unless the two
    hazards cross inside that interval.
    """

    def __init__(self, curve: SurvivalCurve | None, lifetable: LifeTable, start_age: float,
                 male_share: ArrayLike, method: str = "floor", smr: ArrayLike = 1.0,
                 step: float = 1 / 52) -> None:
        m = method.strip().lower()
        if m not in METHODS:
            raise InputError(f"method must be one of {', '.join(METHODS)}, got '{method}'",
                             parameter="method")
        if m == "smr" and curve is not None:
            raise InputError("method 'smr' uses only the general-population hazard: pass "
                             "curve=None, or use 'floor'/'additive' to combine with a curve",
                             parameter="method")
        if m != "smr" and curve is None:
            raise InputError(f"method '{m}' needs a disease curve", parameter="curve")
        self.curve = curve
        self.lifetable = lifetable
        self.start_age = float(as_param(start_age, "start_age")[0])
        lifetable._check_age(np.asarray(self.start_age))
        self.male_share = _check_share(male_share)
        self._need = lifetable._needs(self.male_share)
        self.smr = as_param(smr, "smr")
        if np.any(self.smr < 0):
            raise InputError("must be >= 0", parameter="smr")
        self.method = m
        self.step = float(step)
        sizes = [self.male_share.size, self.smr.size] + ([curve.n] if curve is not None else [])
        self._n = common_n(*sizes)

    @property
    def n(self) -> int:
        return self._n

    def _gp_cumhaz(self, t: np.ndarray, sex: str) -> np.ndarray:  # (n_smr, T)
        return self.smr[:, None] * self.lifetable.cumhaz(self.start_age, t, sex)[None, :]

    def _gp_hazard(self, t: np.ndarray, sex: str) -> np.ndarray:
        return self.smr[:, None] * self.lifetable.hazard(self.start_age + t, sex)[None, :]

    def _sex_cumhaz(self, t: np.ndarray, sex: str) -> np.ndarray:
        if self.method == "smr":
            return self._gp_cumhaz(t, sex)
        if self.method == "additive":
            return self.curve.cumhaz(t) + self._gp_cumhaz(t, sex)

        return integrate_increments(
            t,
            lambda x: [self.curve.cumhaz(x), self._gp_cumhaz(x, sex)],
            lambda d, a, b: np.maximum(d[0], d[1]),
            self.step,
        )

    def _sex_hazard(self, t: np.ndarray, sex: str) -> np.ndarray:
        gp = self._gp_hazard(t, sex)
        if self.method == "smr":
            return gp
        hd = self.curve.hazard(t)
        return np.maximum(hd, gp) if self.method == "floor" else hd + gp

    def _parts(self, t: ArrayLike):
        tt = as_times(t)
        p = self.male_share[:, None]
        need_m, need_f = self._need
        s_m = np.exp(-self._sex_cumhaz(tt, "male")) if need_m else None
        s_f = np.exp(-self._sex_cumhaz(tt, "female")) if need_f else None
        s_m = np.zeros_like(s_f) if s_m is None else s_m  # a sex with share 0 everywhere
        s_f = np.zeros_like(s_m) if s_f is None else s_f
        return tt, p, s_m, s_f

    def survival(self, t: ArrayLike) -> np.ndarray:
        """p S_male(t) + (1 - p) S_female(t), shape (n, T)."""
        tt, p, s_m, s_f = self._parts(t)
        return finish(p * s_m + (1 - p) * s_f, self._n, tt)

    def cumhaz(self, t: ArrayLike) -> np.ndarray:
        """-log S(t) of the mixed cohort, shape (n, T)."""
        with np.errstate(divide="ignore"):
            return -np.log(self.survival(t))

    def hazard(self, t: ArrayLike) -> np.ndarray:
        """Hazard of the mixed cohort: the sexes' hazards weighted by their share of survivors
        (NaN once S = 0: nobody is left to have a hazard)."""
        tt, p, s_m, s_f = self._parts(t)
        need_m, need_f = self._need
        with np.errstate(divide="ignore", invalid="ignore"):
            w_m = np.where(s_m > 0, p * s_m * self._sex_hazard(tt, "male"), 0.0) if need_m \
                else 0.0
            w_f = np.where(s_f > 0, (1 - p) * s_f * self._sex_hazard(tt, "female"), 0.0) \
                if need_f else 0.0
            den = p * s_m + (1 - p) * s_f
            h = np.where(den > 0, (w_m + w_f) / np.where(den > 0, den, 1.0), np.nan)
        return finish(h, self._n, tt)


def with_background_mortality(curve: SurvivalCurve | None, lifetable: LifeTable,
                              start_age: float, male_share: ArrayLike, method: str = "floor",
                              smr: ArrayLike = 1.0, step: float = 1 / 52) -> BackgroundMortality:
    """Combine a disease curve with general-population mortality by name: "floor"
    (h = max(h_d, smr h_gp)), "additive" (h = h_d + smr h_gp) or "smr" (h = smr h_gp, no
    curve). See `BackgroundMortality`."""
    return BackgroundMortality(curve, lifetable, start_age, male_share, method, smr, step)


# --- converters ------------------------------------------------------------------------------
def lifetable_from_denmark_csv(path: str | Path, year: int) -> LifeTable:
    """Life table for one calendar year from the Statistics Denmark file (R package Epi, M.dk).

    Columns year, sex, age, deaths, person_years, rate_per_1000; the hazard is
    rate_per_1000 / 1000 per person-year; the last age (99 = 99+) is open-ended.
    """
    p = Path(path)
    df = pd.read_csv(p)
    need = {"year", "sex", "age", "rate_per_1000"}
    if not need <= set(df.columns):
        raise InputError(f"need columns {', '.join(sorted(need))}", file=str(p))
    sub = df[df["year"] == int(year)]
    if sub.empty:
        raise InputError(f"no rows for year {year} (years {df['year'].min()}-"
                         f"{df['year'].max()})", file=str(p), parameter="year")
    wide = sub.pivot_table(index="age", columns="sex", values="rate_per_1000", aggfunc="first")
    wide.columns = [str(c).lower() for c in wide.columns]
    if not {"male", "female"} <= set(wide.columns) or wide[["male", "female"]].isna().any().any():
        raise InputError(f"year {year} lacks male or female rates for some ages", file=str(p))
    wide = wide.sort_index()
    return LifeTable(wide.index.to_numpy(), wide["male"].to_numpy() / 1000,
                     wide["female"].to_numpy() / 1000, source=f"{p} (year {year})")


def lifetable_from_usa_mx_csv(path: str | Path, year: int | None = None) -> LifeTable:
    """Life table from a US Mx file with columns Year, Age, Female, Male, Total (hazard rates)."""
    p = Path(path)
    df = pd.read_csv(p)
    need = {"Age", "Female", "Male"}
    if not need <= set(df.columns):
        raise InputError(f"need columns {', '.join(sorted(need))}", file=str(p))
    if "Year" in df.columns:
        years = sorted(df["Year"].unique())
        if year is None:
            if len(years) > 1:
                raise InputError(f"several years {years}: choose one", file=str(p),
                                 parameter="year")
            year = int(years[0])
        df = df[df["Year"] == int(year)]
        if df.empty:
            raise InputError(f"no rows for year {year}", file=str(p), parameter="year")
    df = df.sort_values("Age")
    return LifeTable(df["Age"].to_numpy(), df["Male"].to_numpy(), df["Female"].to_numpy(),
                     source=f"{p}" + (f" (year {year})" if year is not None else ""))
