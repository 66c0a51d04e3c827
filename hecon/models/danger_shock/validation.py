"""External validation of the DanGer Shock model: modelled against published survival figures.

Every published survival figure of the trial (``inputs/danger_shock/validation_targets.csv``:
180-day survival per arm, 180-day hazard ratio, crude deaths by the end of the long-term
follow-up per arm, whole-follow-up hazard ratio, survival at the published median survival
times, restricted mean survival gain at 10 years) is set beside the value the configured model
gives in its base case. Crude deaths are modelled at each patient's own follow-up time (uniform
between ``followup_min_years`` and ``followup_max_years``); hazard ratios as the Cox estimate
expected from the modelled curves with that follow-up (censoring) pattern and 1:1
randomisation.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from hecon.engine import Results
from hecon.errors import InputError
from hecon.models.danger_shock.inputs import default_inputs_dir
from hecon.models.danger_shock.model import STRATEGY_NAMES, DangerShockModel
from hecon.models.danger_shock.structure import ACUTE_YEARS, acute_survival

ARM_NAMES = dict(zip(("impella", "soc"), STRATEGY_NAMES, strict=True))
COLUMNS = ("target", "strategy", "time_years", "observed", "low", "high", "unit", "source")


def load_targets(inputs_dir: Path | None = None) -> list[dict[str, Any]]:
    """The published survival figures with their intervals, one dict per row."""
    path = (inputs_dir or default_inputs_dir()) / "danger_shock" / "validation_targets.csv"
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError:
        raise InputError("validation targets file not found", file=str(path)) from None
    out = []
    for i, r in enumerate(rows, start=2):
        try:
            rec = {"target": r["target"].strip(),
                   "strategy": ARM_NAMES[r["strategy"]] if r["strategy"] else None,
                   "time_years": float(r["time_years"]), "observed": float(r["observed"]),
                   "low": float(r["low"]), "high": float(r["high"]),
                   "unit": r["unit"].strip(), "source": r["source"].strip()}
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"malformed validation target ({exc})", file=str(path),
                             row=i) from None
        if not rec["low"] <= rec["observed"] <= rec["high"]:
            raise InputError("observed value outside its interval", file=str(path), row=i)
        out.append(rec)
    return out


def survival_function(model: DangerShockModel, results: Results, strategy: str):
    """Modelled overall survival S(t) of one strategy in the base case (sample 0) as a function
    of years since randomisation: the acute Weibull in closed form to 180 days, then the trace
    (proportion not dead), log-linear between trace points (exact for a constant hazard within
    a cycle); NaN beyond the horizon."""
    short = "impella" if strategy == STRATEGY_NAMES[0] else "soc"
    p = model.prepare(model.base_design())
    p180, shape = float(p[f"p_death_180_{short}"][0]), float(p["shape_acute_death"][0])
    tr_t = np.array([ACUTE_YEARS])
    tr_s = np.array([1.0 - p180])
    if results.outputs[strategy].trace is not None:
        tr = results.trace(strategy)
        keep = tr["time_years"].to_numpy() > ACUTE_YEARS + 1e-9
        tr_t = np.concatenate([tr_t, tr["time_years"].to_numpy()[keep]])
        tr_s = np.concatenate([tr_s, 1.0 - tr["dead"].to_numpy()[keep]])
    with np.errstate(divide="ignore"):
        log_s = np.log(tr_s)

    def S(t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        late = np.exp(np.interp(t, tr_t, log_s))
        out = np.where(t <= ACUTE_YEARS, acute_survival(np.minimum(t, ACUTE_YEARS), p180, shape),
                       late)
        return np.where(t > tr_t[-1] + 1e-9, np.nan, out)

    return S


def followup_censoring(t: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Probability of still being under follow-up at time t when follow-up is uniform on
    [lo, hi]: 1 before lo, falling linearly to 0 at hi."""
    return np.clip((hi - np.asarray(t, dtype=float)) / (hi - lo), 0.0, 1.0)


def crude_dead(S, lo: float, hi: float, points: int = 2001) -> float:
    """Expected crude proportion dead at each patient's own follow-up time, follow-up uniform
    on [lo, hi]: 1 - (1 / (hi - lo)) int_lo^hi S(t) dt (trapezoid on a fine grid)."""
    t = np.linspace(lo, hi, points)
    return float(1.0 - np.trapezoid(S(t), t) / (hi - lo))


def expected_cox_hr(S1, S0, grid: np.ndarray, n1: float, n0: float,
                    censor=None) -> float:
    """The hazard ratio a Cox model would estimate from expected data: arms of size n1, n0
    with survival S1, S0 and the probability of remaining under follow-up ``censor(t)``; the
    score equation sum_j [d1_j - (d0_j + d1_j) r1_j e^b / (r1_j e^b + r0_j)] = 0 on the grid
    (expected deaths d and numbers at risk r per interval, at risk at the interval's geometric
    mean survival), solved by bisection."""
    t0, t1 = grid[:-1], grid[1:]
    c = np.ones_like(t0) if censor is None else censor(0.5 * (t0 + t1))
    a0, a1 = S0(t0), S0(t1)
    b0, b1 = S1(t0), S1(t1)
    d0, d1 = n0 * (a0 - a1) * c, n1 * (b0 - b1) * c
    r0, r1 = n0 * np.sqrt(a0 * a1) * c, n1 * np.sqrt(b0 * b1) * c
    lo, hi = -10.0, 10.0
    for _ in range(200):
        b = 0.5 * (lo + hi)
        e = np.exp(b)
        score = np.sum(d1 - (d0 + d1) * r1 * e / np.maximum(r1 * e + r0, 1e-300))
        lo, hi = (b, hi) if score > 0 else (lo, b)
    return float(np.exp(0.5 * (lo + hi)))


def _grid(end: float) -> np.ndarray:
    """Times for the expected Cox fit: geometric near 0 (the acute hazard is front-loaded),
    then weekly to ``end``."""
    acute = np.concatenate([[0.0], ACUTE_YEARS * np.geomspace(1e-7, 1.0, 400)])
    if end <= ACUTE_YEARS:
        return acute
    late = np.arange(ACUTE_YEARS, end, 7 / 365.25)[1:]
    return np.concatenate([acute, late, [end]])


def validation_records(model: DangerShockModel, results: Results | None = None,
                       inputs_dir: Path | None = None) -> list[dict[str, Any]]:
    """One record per published survival figure: ``{target, strategy, time_years, observed,
    low, high, modelled, unit, inside, source}`` (strategy None for between-arm figures;
    modelled None when the figure lies beyond the model's horizon)."""
    results = results if results is not None else model.base_case()
    imp, soc = STRATEGY_NAMES
    S = {s: survival_function(model, results, s) for s in (imp, soc)}
    p = model.prepare(model.base_design())
    lo, hi = float(p["followup_min_years"][0]), float(p["followup_max_years"][0])
    horizon = min(float(np.nanmax([_last_time(S[s]) for s in S])), 1e9)
    records = []
    for t in load_targets(inputs_dir):
        target, arm, when = t["target"], t["strategy"], t["time_years"]
        value: float | None
        if target.startswith("survival at"):
            value = float(S[arm](np.array([when]))[0])
        elif target == "crude proportion dead by the end of follow-up":
            value = crude_dead(S[arm], lo, hi) if hi <= horizon + 1e-9 else None
        elif target == "hazard ratio for death by 180 days":
            value = expected_cox_hr(S[imp], S[soc], _grid(ACUTE_YEARS), 1.0, 1.0)
        elif target == "hazard ratio for death over the whole follow-up":
            value = expected_cox_hr(S[imp], S[soc], _grid(hi), 1.0, 1.0,
                                    lambda x: followup_censoring(x, lo, hi)) \
                if hi <= horizon + 1e-9 else None
        elif target.startswith("restricted mean survival gain"):
            g = np.concatenate([_grid(ACUTE_YEARS), np.linspace(ACUTE_YEARS, when, 4001)[1:]])
            value = float(np.trapezoid(S[imp](g) - S[soc](g), g) * 365.25) \
                if when <= horizon + 1e-9 else None
        else:
            raise InputError(f"no modelled counterpart for validation target {target!r}")
        if value is not None and not np.isfinite(value):
            value = None
        records.append({
            "target": target, "strategy": arm, "time_years": when,
            "observed": t["observed"], "low": t["low"], "high": t["high"],
            "modelled": value, "unit": t["unit"],
            "inside": None if value is None else bool(t["low"] <= value <= t["high"]),
            "source": t["source"],
        })
    return records


def _last_time(S) -> float:
    """The last time with a modelled survival (the horizon), to a tenth of a day."""
    lo, hi = ACUTE_YEARS, 200.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if np.isfinite(S(np.array([mid]))[0]) else (lo, mid)
    return lo


__all__ = ["crude_dead", "expected_cox_hr", "followup_censoring", "load_targets",
           "survival_function", "validation_records"]
