"""Uncertainty analyses of the DanGer Shock model: one-way, PSA, value of information, Sobol.

Each function takes a configured :class:`DangerShockModel`, builds a design, evaluates it
through the model's one vectorised evaluation path, and returns plain tables keyed by the file
name they are written under in the run folder (``<analysis>_<country>.csv``). The analysis
functions themselves live in :mod:`hecon.analysis` and know nothing about this model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from hecon.analysis import oneway, psa, threshold
from hecon.design import Design
from hecon.engine import Results
from hecon.errors import InputError
from hecon.models.danger_shock.inputs import default_inputs_dir
from hecon.models.danger_shock.model import STRATEGY_NAMES, DangerShockModel
from hecon.models.danger_shock.structure import EFFECT_STRUCTURES, effect_structure
from hecon.parameters import ParameterTable
from hecon.progress import Progress, silent

INTERVENTION, COMPARATOR = STRATEGY_NAMES
SHORT = {INTERVENTION: "impella", COMPARATOR: "soc"}


@dataclass
class Options:
    """Settings of the uncertainty analyses (the defaults are what ``hecon run`` uses)."""

    psa_draws: int = 10_000
    seed: int = 20240404
    sobol_n: int = 1024
    gsa_method: str = "sobol"
    morris_trajectories: int = 100
    chunk_size: int = 10_000
    backend: str = "auto"
    workers: int | None = None
    scheduler: str | None = None
    wtp_points: int = 101
    two_way: tuple[str, str] | None = None
    sample_price: bool = False  # the device price is a decision variable: fixed unless True
    progress: Progress = silent
    evsi_n: tuple[int, ...] = ()  # sample sizes per arm for EVSI/ENBS (empty: no EVSI)
    evsi_group: str | None = None  # parameter the proposed study informs (default: evsi.py)

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe settings for the manifest."""
        d = {k: v for k, v in self.__dict__.items() if k != "progress"}
        d["two_way"] = list(self.two_way) if self.two_way else None
        return d


def wtp_grid(model: DangerShockModel, points: int = 101) -> np.ndarray:
    """Willingness-to-pay values for curves: 0 to 4 x the country's highest threshold."""
    top = 4 * max(model.country.wtp)
    return np.unique(np.concatenate([np.linspace(0, top, points), model.country.wtp]))


PRICE = "c_device"


def psa_table(model: DangerShockModel, opts: Options | None = None) -> ParameterTable:
    """The parameter table the PSA, VOI and GSA sample: the model's, with the device price
    fixed at its value (a decision variable, reported by the threshold price and the headroom
    table) unless ``opts.sample_price``."""
    opts = opts or Options()
    if opts.sample_price or PRICE not in model.table:
        return model.table
    from dataclasses import replace

    from hecon import distributions as D

    return ParameterTable(
        replace(p, dist=D.make("fixed", value=p.value)) if p.name == PRICE else p
        for p in model.table)


def increments(results: Results) -> tuple[np.ndarray, np.ndarray]:
    """Incremental cost and QALYs (pump minus standard care) per sample."""
    dc = results.column(INTERVENTION, "cost") - results.column(COMPARATOR, "cost")
    dq = results.column(INTERVENTION, "qalys") - results.column(COMPARATOR, "qalys")
    return dc, dq


def _evaluate(model: DangerShockModel, design: Design, opts: Options, desc: str) -> Results:
    """Chunked (and optionally parallel) evaluation with a progress bar."""
    from hecon.parallel import evaluate_design

    bar = opts.progress(desc, design.n, unit="draw")
    done = [0]

    def step(rows: int, total: int) -> None:
        bar.update(rows - done[0])
        done[0] = rows

    try:
        return evaluate_design(model, design, chunk_size=opts.chunk_size, backend=opts.backend,
                               workers=opts.workers, scheduler=opts.scheduler, progress=step)
    finally:
        bar.close()


# ------------------------------------------------------------------------------- one-way
def run_oneway(model: DangerShockModel, opts: Options | None = None) -> dict[str, Any]:
    """Every parameter with a range at its low and high: tornado data on INMB at the first
    threshold (ICER columns flag quadrant changes), a headroom curve for the device price,
    and a two-way grid when ``opts.two_way`` names two parameters."""
    opts = opts or Options()
    c = model.country.key
    w = model.country.wtp[0]
    d = Design.one_way(model.table)
    r = model.evaluate(d, keep_trace=False)
    dc, dq = increments(r)
    t = oneway.tornado(d.labels, dc, dq, w, model.table, d)
    t.insert(0, "wtp", w)
    b = d.labels.index("base")
    price = float(model.prepare(Design.base(model.table))["c_device"][0])
    head = threshold.headroom(dc[b], dq[b], price, wtp_grid(model, opts.wtp_points))
    head.insert(0, "price", price)
    out: dict[str, Any] = {f"oneway_{c}.csv": t, f"headroom_{c}.csv": head}
    if opts.two_way:
        a, b2 = opts.two_way
        grid = []
        for name in (a, b2):
            rng = model.table[name].one_way_range()
            if rng is None:
                raise InputError("a two-way analysis needs a low/high range", parameter=name)
            grid.append(np.linspace(rng[0], rng[1], 9))
        d2 = oneway.two_way_design(model.table, a, grid[0], b2, grid[1])
        dc2, dq2 = increments(model.evaluate(d2, keep_trace=False))
        tw = oneway.two_way_table(d2, a, b2, w * dq2 - dc2)
        out[f"twoway_{c}.csv"] = tw.reset_index()
    return out


# ----------------------------------------------------------------------------------- PSA
def run_psa(model: DangerShockModel, opts: Options | None = None
            ) -> tuple[dict[str, Any], Design, Results]:
    """``opts.psa_draws`` seeded draws of every uncertain parameter, evaluated in chunks:
    draws (outcomes and parameters), summary with Monte Carlo errors, CE plane, CEAC, CEAF,
    expected loss and convergence tables."""
    opts = opts or Options()
    c = model.country.key
    table = psa_table(model, opts)
    d = Design.psa(table, opts.psa_draws, opts.seed)
    r = _evaluate(model, d, opts, f"PSA {c.upper()}")
    names = list(r.strategies)
    costs, qalys = r.outcome_matrix("cost"), r.outcome_matrix("qalys")
    grid = wtp_grid(model, opts.wtp_points)
    draws = pd.DataFrame({"draw": np.arange(d.n)})
    for s in names:
        for o in ("cost", "qalys", "life_years"):
            draws[f"{o}_{SHORT[s]}"] = r.column(s, o)
    dc, dq = increments(r)
    draws["inc_cost"], draws["inc_qalys"] = dc, dq
    for w in model.country.wtp:
        draws[f"inmb_{w:g}"] = w * dq - dc
    params = d.to_frame().drop(columns=["label"])[table.uncertain_names]
    draws = pd.concat([draws, params], axis=1)
    draws.insert(1, "effect_structure", structure_labels(model, d))
    out = {
        f"psa_draws_{c}.csv": draws,
        f"psa_summary_{c}.csv": psa.summary(costs, qalys, names, COMPARATOR, model.country.wtp),
        f"icer_table_{c}.csv": psa.icer_table(costs, qalys, names, COMPARATOR,
                                              model.country.wtp),
        f"ceac_{c}.csv": psa.ceac(costs, qalys, names, grid),
        f"ceaf_{c}.csv": psa.ceaf(costs, qalys, names, grid),
        f"expected_loss_{c}.csv": psa.expected_loss(costs, qalys, names, grid),
        f"convergence_{c}.csv": psa.convergence(costs, qalys, names, model.country.wtp[0],
                                                INTERVENTION, COMPARATOR),
        f"psa_by_structure_{c}.csv": by_structure(model, d, r, grid),
    }
    out.update(psa_one_way(model, params, dq, dc))
    return out, d, r


def psa_one_way(model: DangerShockModel, params: pd.DataFrame, dq: np.ndarray,
                dc: np.ndarray) -> dict[str, pd.DataFrame]:
    """One-way analysis from the PSA draws, beside the deterministic tornado (dampack's
    ``owsa``): INMB at the first threshold regressed on a quadratic in each sampled parameter
    (:func:`hecon.analysis.metamodel.one_way`), i.e. the expected INMB at each value of the
    parameter averaged over the uncertainty in all the others, with its 95% band;
    ``psa_oneway_<c>.csv`` (curves) and ``psa_tornado_<c>.csv`` (swing between the 2.5th and
    97.5th percentiles, largest first). Parameters with a single value in the draws (e.g. the
    effect-structure weights) are left out."""
    from hecon.analysis import metamodel

    c = model.country.key
    w = model.country.wtp[0]
    varying = [p for p in params.columns
               if np.ptp(params[p].to_numpy(dtype=float)) > 0]
    if not varying or len(params) < 10:
        return {}
    curves = metamodel.one_way(params[varying], w * dq - dc, outcome_names=[f"inmb_{w:g}"])
    return {f"psa_oneway_{c}.csv": curves, f"psa_tornado_{c}.csv": metamodel.tornado(curves)}


def structure_labels(model: DangerShockModel, design: Design) -> np.ndarray:
    """The effect-duration structure beyond the observed follow-up of each draw: 'stops',
    'wanes' or 'persists' (drawn when ``effect_duration`` is ``averaged``, else the one the
    setting fixes; 'none after 180 days' for ``trial``)."""
    fixed = {"followup": "stops", "waning": "wanes", "lifetime": "persists",
             "trial": "none after 180 days"}
    mode = model.config.effect_duration
    if mode in fixed:
        return np.full(design.n, fixed[mode], dtype=object)
    k = effect_structure(model.prepare(design))
    return np.asarray(EFFECT_STRUCTURES, dtype=object)[k]


def structure_weights(model: DangerShockModel) -> dict[str, float]:
    """Weights of the effect-duration structures (from the parameter table)."""
    t = model.table
    ws, ww = t["weight_effect_stops"].value, t["weight_effect_wanes"].value
    return dict(zip(EFFECT_STRUCTURES, (ws, ww, round(1.0 - ws - ww, 12)), strict=True))


def by_structure(model: DangerShockModel, design: Design, results: Results,
                 wtp: np.ndarray) -> pd.DataFrame:
    """PSA results per effect-duration structure and model-averaged (all draws, each
    structure in proportion to its weight): per WTP the probability the pump is
    cost-effective (a CEAC), mean increments, mean INMB and EVPI (expected value of perfect
    information within the group: mean of the best net benefit minus the best mean)."""
    labels = structure_labels(model, design)
    weights = structure_weights(model) if model.config.effect_duration == "averaged" else {}
    costs, qalys = results.outcome_matrix("cost"), results.outcome_matrix("qalys")
    dc, dq = increments(results)
    groups = [(s, labels == s) for s in dict.fromkeys(
        [*(x for x in EFFECT_STRUCTURES if weights), *labels])]
    if weights:
        groups.append(("model-averaged", np.ones(design.n, dtype=bool)))
    rows = []
    for name, mask in groups:
        n = int(mask.sum())
        for w in wtp:
            nb = w * qalys[mask] - costs[mask]
            inmb = w * dq[mask] - dc[mask]
            rows.append({
                "structure": name,
                "weight": weights.get(name, 1.0 if name == "model-averaged" or not weights
                                      else np.nan),
                "draws": n, "wtp": float(w),
                "prob_cost_effective": float((inmb > 0).mean()) if n else np.nan,
                "mean_inc_cost": float(dc[mask].mean()) if n else np.nan,
                "mean_inc_qalys": float(dq[mask].mean()) if n else np.nan,
                "mean_inmb": float(inmb.mean()) if n else np.nan,
                "evpi": float(nb.max(axis=1).mean() - nb.mean(axis=0).max()) if n else np.nan,
            })
    return pd.DataFrame(rows)


def psa_covers(model: DangerShockModel, opts: Options | None = None) -> str:
    """What the PSA does and does not cover, in words for the summary."""
    opts = opts or Options()
    n = len(psa_table(model, opts).uncertain_names)
    mode = model.config.effect_duration
    if mode == "averaged":
        w = structure_weights(model)
        struct = ("structural uncertainty about the treatment effect beyond the observed "
                  "follow-up: stops, wanes or persists, drawn with weights "
                  + " / ".join(f"{v:.0%}" for v in w.values()))
    else:
        struct = (f"one effect-duration structure only ({mode}; the base case draws among "
                  "stops / wanes / persists)")
    price = ("the device price is sampled" if opts.sample_price else
             "the device price is fixed at its value (a decision variable: see the threshold "
             "price and the headroom table)")
    return (f"Covers: joint parameter uncertainty of the {n} parameters with a distribution "
            f"in inputs/ (independent draws), and {struct}; {price}. Does not cover: the "
            "choice of structure (hybrid or partitioned survival), the acute hazard shape and "
            "the follow-up distribution (fixed; one-way ranges), correlation between "
            "parameters, the life table, discounting, the utility source, or differences "
            "between subgroups of patients.")


def psa_headline(model: DangerShockModel, results: Results,
                 design: Design | None = None, opts: Options | None = None) -> dict[str, Any]:
    """Probability that the pump is cost-effective at each threshold, mean increments, what
    the PSA covers, and (given the design) the same per effect-duration structure."""
    dc, dq = increments(results)
    out: dict[str, Any] = {
        "draws": int(dc.size),
        "prob_cost_effective": {f"{w:g}": float((w * dq - dc > 0).mean())
                                for w in model.country.wtp},
        "mean_inc_cost": float(dc.mean()),
        "mean_inc_qalys": float(dq.mean()),
        "covers": psa_covers(model, opts),
    }
    if design is not None:
        t = by_structure(model, design, results, np.asarray(model.country.wtp, dtype=float))
        out["by_structure"] = {
            name: {"weight": float(g["weight"].iloc[0]), "draws": int(g["draws"].iloc[0]),
                   "prob_cost_effective": {f"{w:g}": float(x) for w, x in
                                           zip(g["wtp"], g["prob_cost_effective"], strict=True)},
                   "mean_inmb": {f"{w:g}": float(x) for w, x in
                                 zip(g["wtp"], g["mean_inmb"], strict=True)},
                   "evpi_per_person": {f"{w:g}": float(x) for w, x in
                                       zip(g["wtp"], g["evpi"], strict=True)}}
            for name, g in t.groupby("structure", sort=False)}
    return out


# ----------------------------------------------------------------------------------- VOI
def population(model: DangerShockModel, inputs_dir: Path | None = None) -> dict[str, Any]:
    """Incidence and decision horizon for population VOI (``population.yaml``), with the
    discounted number of patients over the horizon (annual cohorts, first year undiscounted,
    the country's cost discount schedule)."""
    path = (inputs_dir or default_inputs_dir()) / "danger_shock" / "population.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        entry = data[model.country.key]
        inc = float(entry["incidence_per_year"])
        years = int(entry["decision_years"])
    except FileNotFoundError:
        raise InputError("population file not found", file=str(path)) from None
    except (KeyError, TypeError, ValueError, yaml.YAMLError) as exc:
        raise InputError(f"needs incidence_per_year and decision_years for "
                         f"{model.country.key!r} ({exc})", file=str(path)) from None
    if inc < 0 or years < 1 or int(entry["decision_years"]) != entry["decision_years"]:
        raise InputError("incidence must be >= 0 and decision_years a whole number >= 1",
                         file=str(path))
    factor = float(np.sum(model.settings().discount_costs.factor(np.arange(years, dtype=float))))
    return {"incidence_per_year": inc, "decision_years": years,
            "discounted_patients": inc * factor,
            "source": str(entry.get("incidence_source", "")).strip(), "file": str(path)}


def run_voi(model: DangerShockModel, design: Design, results: Results,
            opts: Options | None = None, inputs_dir: Path | None = None) -> dict[str, Any]:
    """EVPI per person and for the population over the WTP grid; EVPPI of every uncertain
    parameter (and of parameter groups) at each threshold, by regression on the PSA draws."""
    from hecon.analysis import voi

    opts = opts or Options()
    c = model.country.key
    names = list(results.strategies)
    costs, qalys = results.outcome_matrix("cost"), results.outcome_matrix("qalys")
    pop = population(model, inputs_dir)
    loss = psa.expected_loss(costs, qalys, names, wtp_grid(model, opts.wtp_points))
    curve = pd.DataFrame({"wtp": loss["wtp"], "evpi_per_person": loss["evpi"],
                          "evpi_population": loss["evpi"] * pop["discounted_patients"]})
    values = design.to_frame().drop(columns=["label"])[psa_table(model, opts).uncertain_names]
    frames = []
    groups = parameter_groups(model, opts)
    bar = opts.progress(f"EVPPI {c.upper()}", len(model.country.wtp) * (
        values.shape[1] + len(groups)), unit="fit")
    try:  # every fit of every threshold at once (on the process pool when it pays)
        tables = voi.evppi_tables([w * qalys - costs for w in model.country.wtp], values,
                                  groups=groups, on_fit=lambda: bar.update(1),
                                  backend=opts.backend, workers=opts.workers)
    finally:
        bar.close()
    for w, t in zip(model.country.wtp, tables, strict=True):
        t.insert(0, "wtp", w)
        t["evppi_population"] = t["evppi"] * pop["discounted_patients"]
        frames.append(t)
    out = {f"evpi_{c}.csv": curve, f"evppi_{c}.csv": pd.concat(frames, ignore_index=True),
           f"population_{c}.json": pop}
    if opts.evsi_n:
        from hecon.models.danger_shock.evsi import run_evsi

        out.update(run_evsi(model, design, results, tuple(opts.evsi_n), pop, opts.evsi_group,
                            inputs_dir))
        if opts.evsi_group is None and model.scenario is None:
            # the flagship's second proposed study: a trial in patients aged 77 or over
            from hecon.models.danger_shock.evsi import run_evsi_subgroup

            out.update(run_evsi_subgroup(model, tuple(opts.evsi_n), pop, opts.psa_draws,
                                         opts.seed, opts, inputs_dir))
    return out


def parameter_groups(model: DangerShockModel, opts: Options | None = None
                     ) -> dict[str, list[str]]:
    """Groups of parameters for EVPPI (parameters that a single study would inform), among
    those the PSA samples."""
    names = psa_table(model, opts).uncertain_names
    un = set(names)
    groups = {
        "acute trial outcomes (180-d death, safety, RRT)": [
            "p_death_180_impella", "p_death_180_soc", "p_safety_impella", "p_safety_soc",
            "p_rrt_impella", "p_rrt_soc"],
        "long-term survival": ["hr_death_longterm", "effect_structure_draw",
                               "p_death_fu_given180_impella", "p_death_fu_given180_soc",
                               "smr_year1", "smr_after_year1"],
        "long-term treatment effect (landmark HR and its duration)": [
            "hr_death_longterm", "effect_structure_draw"],
        "utilities": [n for n in names if n.startswith(("u_", "du_"))],
        "costs": [n for n in names if n.startswith("c_")],
    }
    return {k: [n for n in v if n in un] for k, v in groups.items() if any(n in un for n in v)}


# ----------------------------------------------------------------------------------- GSA
def run_gsa(model: DangerShockModel, opts: Options | None = None) -> dict[str, Any]:
    """Sobol first-order and total indices (or Morris screening) of every uncertain parameter
    on INMB at each threshold, incremental cost and incremental QALYs; the SALib sample is the
    design, evaluated in one chunked pass."""
    from hecon.analysis import gsa

    opts = opts or Options()
    c = model.country.key
    table = psa_table(model, opts)
    if opts.gsa_method == "sobol":
        gd = gsa.sobol_design(table, n=opts.sobol_n, seed=opts.seed)
    elif opts.gsa_method == "morris":
        gd = gsa.morris_design(table, r=opts.morris_trajectories, seed=opts.seed)
    else:
        raise InputError(f"unknown GSA method {opts.gsa_method!r}; choose sobol or morris")
    r = _evaluate(model, gd.design, opts, f"{opts.gsa_method.title()} {c.upper()}")
    dc, dq = increments(r)
    outputs = {f"inmb_{w:g}": w * dq - dc for w in model.country.wtp}
    outputs.update(inc_cost=dc, inc_qalys=dq)
    frames = []
    for name, y in outputs.items():
        t = (gsa.sobol_indices(gd, y) if opts.gsa_method == "sobol"
             else gsa.morris_indices(gd, y))
        t.insert(0, "output", name)
        frames.append(t)
    return {f"{opts.gsa_method}_{c}.csv": pd.concat(frames, ignore_index=True)}
