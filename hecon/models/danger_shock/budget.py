"""Budget impact of the Impella CP for a hospital or a payer (``hecon budget``).

Per-patient UNDISCOUNTED costs by category in each year since entry, and the proportion alive
at each year's end, come from the model itself: the engine reports cumulative totals, so the
model is evaluated with the country's settings but no discounting for horizons of 1, 2, ..., Y
years, and year y's cost is the cumulative cost to horizon y minus that to horizon y - 1. With
the life-table (or start, end, trapezoid) convention the weights of a cycle do not depend on
the number of cycles, so the difference is exactly the cost counted in the cycles of year y
(tests/danger_shock/test_budget.py checks it against a direct sum over the trace). The
long-term phase starts at 180 days and runs in whole cycles, so "year y" ends at the cycle
boundary nearest to y years (within half a cycle, about 15 days). Horizons are a loop over at
most Y evaluations; every evaluation is vectorised over the design's rows (PSA draws).

The model's ``device`` category (pump, its system share and implantation) is split into
"Device" (pump and system share) and "Implantation" in proportion to the parameters (all
paid once, at entry, in the pump arm only). The generic arithmetic is :mod:`hecon.analysis.budget`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hecon.analysis.budget import BudgetImpact, PerPatient, budget_impact, oneway_table
from hecon.design import Design
from hecon.errors import InputError
from hecon.models.danger_shock.analyses import COMPARATOR, INTERVENTION, Options
from hecon.models.danger_shock.inputs import default_inputs_dir
from hecon.models.danger_shock.model import DangerShockModel
from hecon.scenarios import load_yaml

CATEGORIES = {  # model category -> words a reader sees, in the order of the patient's path
    "device": "Device",
    "implantation": "Implantation",
    "index_hospitalisation": "Index hospital stay",
    "adverse_events": "Adverse events",
    "acute_rrt": "Acute renal-replacement therapy",
    "follow_up": "Follow-up care",
    "dialysis": "Chronic dialysis",
}
HOSPITAL = ["device", "implantation", "index_hospitalisation", "adverse_events", "acute_rrt"]
MAX_YEARS = 30


def budget_file(inputs_dir: Path | None = None) -> Path:
    """``inputs/danger_shock/budget.yaml``."""
    return (inputs_dir or default_inputs_dir()) / "danger_shock" / "budget.yaml"


@dataclass
class BudgetOptions(Options):
    """The uncertainty-analysis options plus the budget settings of ``hecon budget``
    (``None``: the default of budget.yaml). ``patients`` is a number per year, or the words
    ``country`` (national eligible patients, the default) or ``hospital``."""

    patients: float | str | None = None
    years: int | None = None
    uptake: list[float] | None = None
    perspective: str = "payer"


def _places(x: float) -> int:
    """Decimal places for a patient count: none when whole, else one."""
    return 0 if float(x).is_integer() else 1


def _number(entry: Any, file: str, name: str) -> float:
    try:
        v = float(entry["value"] if isinstance(entry, dict) else entry)
    except (KeyError, TypeError, ValueError):
        raise InputError("needs a numeric 'value'", file=file, parameter=name) from None
    if not np.isfinite(v) or v < 0:
        raise InputError(f"value {v!r} must be a finite number >= 0", file=file, parameter=name)
    return v


def eligible_per_year(country: str, inputs_dir: Path | None = None) -> dict[str, Any]:
    """National eligible patients per year (derived from budget.yaml: AMI-CS incidence x
    STEMI share x DanGer-like share x population) and the default hospital's patients."""
    path = budget_file(inputs_dir)
    data = load_yaml(path, "budget file")
    file = str(path)
    try:
        inc, entry = data["incidence"], data[country]
    except (KeyError, TypeError):
        raise InputError(f"needs 'incidence' and {country!r} sections", file=file) from None
    x = {k: _number(inc.get(k), file, k) for k in
         ("ami_cs_cases", "ami_cs_years", "reference_population_millions", "stemi_share",
          "danger_like_share")}
    for k in ("stemi_share", "danger_like_share"):
        if x[k] > 1:
            raise InputError(f"a share must lie between 0 and 1, got {x[k]}", file=file,
                             parameter=k)
    for k in ("ami_cs_years", "reference_population_millions"):
        if x[k] <= 0:
            raise InputError("must be above 0", file=file, parameter=k)
    pop = _number(entry.get("population_millions"), file, f"{country}.population_millions")
    per_million = (x["ami_cs_cases"] / x["ami_cs_years"] / x["reference_population_millions"]
                   * x["stemi_share"] * x["danger_like_share"])
    hospital = _number(entry.get("hospital_patients_per_year"), file,
                       f"{country}.hospital_patients_per_year")
    return {"country": per_million * pop, "hospital": hospital,
            "per_million": per_million, "file": file}


def settings(model: DangerShockModel, opts: Options | None = None,
             inputs_dir: Path | None = None) -> dict[str, Any]:
    """Patients per year, years, uptake by year, current uptake, one-way factors and the
    perspective: budget.yaml's defaults, replaced by what ``opts`` (a BudgetOptions) sets."""
    path = budget_file(inputs_dir)
    data = load_yaml(path, "budget file")
    file = str(path)
    years = getattr(opts, "years", None) or int(_number(data.get("years"), file, "years"))
    if not 1 <= years <= MAX_YEARS:
        raise InputError(f"years must be between 1 and {MAX_YEARS}, got {years}",
                         parameter="years")
    uptake = getattr(opts, "uptake", None)
    if uptake is None:
        try:
            uptake = [float(u) for u in data["uptake"]["value"]]
        except (KeyError, TypeError, ValueError):
            raise InputError("needs a list of shares under uptake: value", file=file,
                             parameter="uptake") from None
    if not uptake:
        raise InputError("uptake needs at least one value", parameter="uptake")
    uptake = list(uptake)[:years] + [uptake[-1]] * max(0, years - len(uptake))
    who = getattr(opts, "patients", None)
    pops = eligible_per_year(model.country.key, inputs_dir)
    if who is None or who == "country":
        patients, population = pops["country"], "country"
    elif who == "hospital":
        patients, population = pops["hospital"], "hospital"
    else:
        patients, population = float(who), "given"
        if not np.isfinite(patients) or patients < 0:
            raise InputError(f"patients per year must be a number >= 0, got {who!r}",
                             parameter="patients")
    ow = data.get("oneway") or {}
    try:
        factors = {k: (float(ow[k]["low"]), float(ow[k]["high"]))
                   for k in ("patients_factor", "uptake_factor")}
    except (KeyError, TypeError, ValueError):
        raise InputError("needs oneway: patients_factor and uptake_factor with low and high",
                         file=file) from None
    perspective = getattr(opts, "perspective", "payer")
    if perspective not in ("payer", "hospital"):
        raise InputError(f"perspective must be payer or hospital, got {perspective!r}")
    return {"patients": patients, "population": population, "years": years,
            "uptake": uptake,
            "current_uptake": _number(data.get("current_uptake", 0.0), file, "current_uptake"),
            "factors": factors, "perspective": perspective, "file": file}


def _horizon_model(model: DangerShockModel, years: float) -> DangerShockModel:
    cfg = dataclasses.replace(model.config, horizon_years=float(years), discounting="none",
                              perspective="payer")
    return DangerShockModel(cfg, model.country, model.table, model.scenario)


# counting conventions under which a cycle's weights do not depend on the horizon, so the
# first cycles of a long run are those of a shorter one (half-cycle, Simpson and custom
# weights change with the number of cycles: those are evaluated horizon by horizon)
PREFIX_COUNTING = ("start", "end", "life-table", "trapezoid")


def _split_device(model: DangerShockModel, design: Design) -> np.ndarray:
    """Share of the model's device category that is "Device" (pump and its system share;
    the rest is implantation), per design row."""
    params = model.prepare(design)
    dev = (np.asarray(params["c_device"], float)
           + np.asarray(params["c_device_system"], float))
    imp = np.asarray(params["c_implant"], float)
    tot = dev + imp
    return np.divide(dev, tot, out=np.zeros_like(tot), where=tot != 0)


def _per_year(cum: dict[str, dict[str, list[np.ndarray]]], alive: dict[str, list[np.ndarray]]
              ) -> dict[str, PerPatient]:
    """Cumulative costs at each year's end (lists over years) -> costs in each year."""
    out = {}
    for s in (INTERVENTION, COMPARATOR):
        costs = {c: np.diff(np.stack(parts, axis=1), axis=1, prepend=0.0)
                 for c, parts in cum[s].items()}
        out[s] = PerPatient(costs, np.stack(alive[s], axis=1))
    return out


def per_patient(model: DangerShockModel, design: Design, years: int) -> dict[str, PerPatient]:
    """Per-patient undiscounted costs by category (:data:`CATEGORIES`) in each year since
    entry, and the proportion alive at each year's end, for both arms: arrays (rows, years)
    over the design's rows (one row for the base case, many for PSA draws).

    One evaluation over ``years`` whose per-cycle record is summed to each year's end (the
    year-``y`` horizon's own cycles, checked on the first row against an evaluation with that
    horizon); a counting convention whose weights depend on the horizon is evaluated once
    per horizon (:func:`per_patient_by_horizon`), as is any model whose check fails."""
    fast = _per_patient_one_pass(model, design, years)
    return fast if fast is not None else per_patient_by_horizon(model, design, years)


def per_patient_by_horizon(model: DangerShockModel, design: Design,
                           years: int) -> dict[str, PerPatient]:
    """:func:`per_patient` by one evaluation per horizon of 1, 2, ..., ``years`` years (any
    counting convention; the reference the one-pass path is tested against)."""
    share = _split_device(model, design)
    cum: dict[str, dict[str, list[np.ndarray]]] = {s: {c: [] for c in CATEGORIES}
                                                   for s in (INTERVENTION, COMPARATOR)}
    alive: dict[str, list[np.ndarray]] = {INTERVENTION: [], COMPARATOR: []}
    for y in range(1, years + 1):
        r = _horizon_model(model, y).evaluate(design, keep_trace=True)
        for s in (INTERVENTION, COMPARATOR):
            both = r.column(s, "cost_device_undisc")
            cum[s]["device"].append(both * share)
            cum[s]["implantation"].append(both * (1 - share))
            for c in list(CATEGORIES)[2:]:
                cum[s][c].append(r.column(s, f"cost_{c}_undisc"))
            o = r.outputs[s]
            alive[s].append(1.0 - o.trace[:, -1, o.states.index("dead")])
    return _per_year(cum, alive)


def _cumulative_undisc(rec: dict[str, np.ndarray], category: str, n: int,
                       cycles: int) -> np.ndarray:
    """Undiscounted cost of one category up to the end of each cycle, (n, T + 1): column 0
    holds what is paid before the cycles (tree payoffs, starting rewards), column k adds
    cycles 1..k (state and transition rewards), from the engine's per-cycle record."""
    once = np.zeros(n)
    per_cycle = None
    for key, v in rec.items():
        kind, what, cat = (key.split("|") + ["", ""])[:3]
        if kind == "weights" or what != "cost_undisc" or cat != category:
            continue
        if kind == "state":
            v = v.sum(axis=2)
        if np.ndim(v) == 1:
            once = once + v
        else:
            per_cycle = v if per_cycle is None else per_cycle + v
    if per_cycle is None:
        per_cycle = np.zeros((n, cycles))
    return np.concatenate([once[:, None], once[:, None] + np.cumsum(per_cycle, axis=1)],
                          axis=1)


def _grids(strategy: Any) -> set[tuple[int, float, float]]:
    """(cycles, cycle length, start time) of every cohort model inside a strategy (through
    mixtures and tree -> cohort hybrids); empty when a part has none (a tree alone)."""
    if hasattr(strategy, "components"):  # a mixture of subgroups
        parts = [_grids(s) for _, s, _ in strategy.components]
        return set().union(*parts) if parts and all(parts) else set()
    if hasattr(strategy, "n_cycles"):
        return {(int(strategy.n_cycles), float(strategy.cycle_length),
                 float(getattr(strategy, "start_time", 0.0)))}
    inner = getattr(strategy, "model", None)
    return set() if inner is None else _grids(inner)


def _year_end_cycles(model: DangerShockModel, years: int) -> dict[str, list[int]] | None:
    """Per strategy, the cycles of a y-year horizon for y = 1..years (the strategies' own
    count), when every horizon runs on one grid (same cycle length and start) that the
    longest horizon extends; None otherwise."""
    grids = {y: {st.name: _grids(st) for st in _horizon_model(model, y).strategies()}
             for y in range(1, years + 1)}
    out: dict[str, list[int]] = {}
    for name, g_long in grids[years].items():
        if len(g_long) != 1:
            return None
        (_, dt, start), = g_long
        out[name] = []
        for y in range(1, years + 1):
            g = grids[y].get(name, set())
            if len(g) != 1:
                return None
            (k, dt_y, start_y), = g
            if dt_y != dt or start_y != start:
                return None
            out[name].append(k)
    return out


def _per_patient_one_pass(model: DangerShockModel, design: Design,
                          years: int) -> dict[str, PerPatient] | None:
    """:func:`per_patient` from one evaluation over ``years``: costs summed over the cycles of
    each year's own horizon. None when the horizons do not share one grid, or when the
    per-cycle record does not add up to the totals of the evaluation, or when the counting
    convention's weights depend on the horizon (:data:`PREFIX_COUNTING`)."""
    if model.config.counting not in PREFIX_COUNTING:
        return None
    cycles = _year_end_cycles(model, years)
    if cycles is None:
        return None
    share = _split_device(model, design)
    r = _horizon_model(model, years).evaluate(design, keep_trace=True)
    cum: dict[str, dict[str, list[np.ndarray]]] = {s: {c: [] for c in CATEGORIES}
                                                   for s in (INTERVENTION, COMPARATOR)}
    alive: dict[str, list[np.ndarray]] = {INTERVENTION: [], COMPARATOR: []}
    for s in (INTERVENTION, COMPARATOR):
        o = r.outputs[s]
        if o.per_cycle is None or o.trace is None or s not in cycles:
            return None
        by_cat = {}
        for c in ("device", *list(CATEGORIES)[2:]):
            v = _cumulative_undisc(o.per_cycle, c, design.n, len(o.times) - 1)
            want = r.column(s, f"cost_{c}_undisc")
            if not np.allclose(v[:, -1], want, rtol=1e-9, atol=1e-9 * (1 + np.abs(want).max())):
                return None
            by_cat[c] = v
        dead = o.states.index("dead")
        for k in cycles[s]:
            both = by_cat["device"][:, k]
            cum[s]["device"].append(both * share)
            cum[s]["implantation"].append(both * (1 - share))
            for c in list(CATEGORIES)[2:]:
                cum[s][c].append(by_cat[c][:, k].copy())
            alive[s].append(1.0 - o.trace[:, k, dead])
    return _per_year(cum, alive)


def per_patient_chunked(model: DangerShockModel, design: Design, years: int,
                        chunk_size: int = 10_000, backend: str = "inprocess",
                        workers: int | None = None) -> dict[str, PerPatient]:
    """:func:`per_patient` in chunks of rows (bounds memory; identical results). ``backend``
    ``"auto"`` puts one chunk per worker on the shared process pool for a large design on a
    machine with more than one CPU, as :func:`hecon.parallel.evaluate_design` does;
    ``"processes"`` puts the chunks of ``chunk_size`` rows there; anything else (``"dask"``
    too) evaluates them here. The engine's arithmetic is row by row, so the results are the
    same whatever the chunks and backend."""
    from hecon.parallel import auto_backend, map_tasks

    if backend == "auto":
        backend, chunk_size = auto_backend(design.n, chunk_size, workers)
    if design.n <= chunk_size:
        return per_patient(model, design, years)
    parts = map_tasks(per_patient, [(model, c, years) for c in design.chunks(chunk_size)],
                      backend="processes" if backend == "processes" else "inprocess",
                      workers=workers)
    return {s: PerPatient({c: np.concatenate([p[s].costs[c] for p in parts])
                           for c in parts[0][s].costs},
                          np.concatenate([p[s].alive for p in parts]))
            for s in parts[0]}


def _row(pp: dict[str, PerPatient], i: int) -> dict[str, PerPatient]:
    return {s: PerPatient({c: v[i] for c, v in p.costs.items()}, p.alive[i])
            for s, p in pp.items()}


def _impact(pp: dict[str, PerPatient], st: dict[str, Any], patients: float | None = None,
            uptake: list[float] | None = None) -> BudgetImpact:
    return budget_impact(pp[COMPARATOR], pp[INTERVENTION],
                         st["patients"] if patients is None else patients,
                         st["uptake"] if uptake is None else uptake,
                         current_uptake=st["current_uptake"], hospital_categories=HOSPITAL)


def _pct(u: list[float]) -> str:
    return ", ".join(f"{x:.0%}" for x in u)


def run_budget(model: DangerShockModel, opts: Options | None = None,
               inputs_dir: Path | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Budget impact for one country set: ``budget_impact_<c>.csv`` (per calendar year: both
    worlds by perspective and category, cumulative, alive, PSA interval columns) and
    ``budget_oneway_<c>.csv`` (device price, uptake, patients). Returns the files and a
    headline for the summary."""
    opts = opts or BudgetOptions()
    st = settings(model, opts, inputs_dir)
    c, cur = model.country.key, model.country.currency
    years = st["years"]
    # base case and the device price at its one-way low and high: one design, one pass a year
    d = Design.one_way(model.table, names=["c_device"])
    pp = per_patient(model, d, years)
    base = _impact(_row(pp, 0), st)
    table = base.table()
    draws = getattr(opts, "psa_draws", 0)
    if draws:
        dp = Design.psa(model.table, draws, opts.seed)
        pp_draws = per_patient_chunked(model, dp, years, getattr(opts, "chunk_size", 10_000),
                                       getattr(opts, "backend", "inprocess"),
                                       getattr(opts, "workers", None))
        iv = _impact(pp_draws, st).interval(0.95)
        table = table.merge(iv, on="year")
    table.insert(1, "currency", cur)
    price = model.prepare(d)["c_device"]
    (pl, fl), (ul, uh) = st["factors"]["patients_factor"], st["factors"]["uptake_factor"]
    n = st["patients"]
    u_lo = [u * ul for u in st["uptake"]]
    u_hi = [min(1.0, u * uh) for u in st["uptake"]]
    capped = " (capped at 100%)" if any(u * uh > 1 for u in st["uptake"]) else ""
    ow = oneway_table(base, {
        "Device price": {"low": (f"{cur} {price[1]:,.0f}", _impact(_row(pp, 1), st)),
                         "high": (f"{cur} {price[2]:,.0f}", _impact(_row(pp, 2), st))},
        "Uptake of the pump": {
            "low": (f"x{ul:g}: {_pct(u_lo)}", _impact(_row(pp, 0), st, uptake=u_lo)),
            "high": (f"x{uh:g}: {_pct(u_hi)}{capped}", _impact(_row(pp, 0), st, uptake=u_hi))},
        "Eligible patients per year": {
            "low": (f"{n * pl:,.1f}", _impact(_row(pp, 0), st, patients=n * pl)),
            "high": (f"{n * fl:,.1f}", _impact(_row(pp, 0), st, patients=n * fl))},
    })
    ow.insert(1, "currency", cur)
    key = "" if st["perspective"] == "payer" else "hospital_"
    headline = {
        "perspective": st["perspective"],
        "population": st["population"],
        "patients_per_year": n,
        "years": years,
        "uptake": st["uptake"],
        "year1_impact": float(table[f"{key}budget_impact"].iloc[0]),
        "cumulative_impact": float(table[f"{key}cumulative_budget_impact"].iloc[-1]),
        "payer_cumulative_impact": float(table["cumulative_budget_impact"].iloc[-1]),
        "hospital_cumulative_impact": float(
            table["hospital_cumulative_budget_impact"].iloc[-1]),
        "psa_draws": int(draws),
        "category_labels": dict(CATEGORIES),
        "hospital_categories": list(HOSPITAL),
    }
    if draws:
        headline["cumulative_interval"] = [
            float(table[f"{key}cumulative_budget_impact_low"].iloc[-1]),
            float(table[f"{key}cumulative_budget_impact_high"].iloc[-1])]
    return {f"budget_impact_{c}.csv": table, f"budget_oneway_{c}.csv": ow}, headline


def format_budget(summary: dict[str, Any]) -> str:
    """The budget headline for the terminal ('' when no budget analysis ran)."""
    b = summary.get("budget")
    if not b:
        return ""
    cur = summary["currency"]
    who = {"country": "eligible patients in the country", "hospital": "patients in one "
           "hospital", "given": "patients"}[b["population"]]
    text = (f"Budget impact ({b['perspective']}, undiscounted): {cur} "
            f"{b['year1_impact']:,.0f} in year 1 and {cur} {b['cumulative_impact']:,.0f} over "
            f"{b['years']} years for {b['patients_per_year']:,.{_places(b['patients_per_year'])}f}"
            f" {who} a year (uptake "
            f"{_pct(b['uptake'])})")
    if "cumulative_interval" in b:
        lo, hi = b["cumulative_interval"]
        text += f"; 95% interval {cur} {lo:,.0f} to {cur} {hi:,.0f}"
    return text


def per_patient_table(pp: dict[str, PerPatient], row: int = 0) -> pd.DataFrame:
    """Per-patient costs by category and year since entry for one design row, one row per
    (arm, year since entry), with the proportion alive at the year's end."""
    rows = []
    for s, p in _row(pp, row).items():
        for y in range(p.alive.shape[-1]):
            rows.append({"strategy": s, "year_since_entry": y + 1,
                         **{c: float(v[..., y]) for c, v in p.costs.items()},
                         "alive_end": float(p.alive[..., y])})
    return pd.DataFrame(rows)
