"""The generic runner: base case, scenarios, one-way, PSA, value of information and Sobol for
any model plug-in (:mod:`hecon.plugin`), through the generic :mod:`hecon.analysis` modules,
into one run folder (summary.json, results.csv, parameters.csv, analysis tables, traces,
manifest) that :mod:`hecon.report` turns into plots and a workbook.

:func:`run_model` and :func:`run_scenarios` are what the command line calls: a plug-in that
defines its own ``run`` / ``run_scenarios`` (the flagship, which delegates to its own runner)
is handed the job; every other plug-in goes through :func:`run_generic`.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hecon.analysis import oneway, psa, threshold
from hecon.design import Design
from hecon.engine import Results
from hecon.errors import InputError
from hecon.limits import parameters_read, warn_unused
from hecon.manifest import input_frame, manifest
from hecon.plugin import SetInfo, strategy_key
from hecon.progress import Progress, silent
from hecon.runfolder import run_target
from hecon.scenarios import (
    Scenario,
    did_you_mean,
    is_scenario_path,
    load_scenario,
    load_scenarios,
    local_hint,
)

ANALYSES = ("base", "scenarios", "oneway", "psa", "voi", "gsa")


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
    progress: Progress = silent

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe settings for the manifest."""
        d = {k: v for k, v in self.__dict__.items() if k != "progress"}
        d["two_way"] = list(self.two_way) if self.two_way else None
        return d


# ------------------------------------------------------------------------------ entry points
def run_model(plugin: Any, sets: list[str] | None = None, scenario: str | None = None,
              inputs: str | None = None, out: str | None = None, name: str | None = None,
              command: list[str] | None = None, analyses: tuple[str, ...] = ("base",),
              options: Any = None) -> tuple[Path, list[dict[str, Any]]]:
    """Run a model's analyses into a run folder; returns the folder and one summary per set.
    A plug-in with its own ``run`` is handed the job."""
    own = getattr(plugin, "run", None)
    if callable(own):
        folder, summaries = own(sets, scenario, inputs, out, name, command=command,
                                analyses=analyses, options=options)
    else:
        folder, summaries = run_generic(plugin, sets, scenario, inputs, out, name,
                                        command=command, analyses=analyses, options=options)
    _write_briefs(plugin, Path(folder))
    return folder, summaries


def _write_briefs(plugin: Any, folder: Path) -> None:
    """``brief_<set>.md`` (:mod:`hecon.report.brief`) in the model's words; a folder that is
    not being staged is replaced whole, with the briefs added."""
    import json

    from hecon.plugin import default_texts
    from hecon.report.brief import write_briefs
    from hecon.runfolder import is_stage, staged_run

    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    texts = getattr(plugin, "report_texts", None)
    texts = summary.get("report") or (texts(summary) if callable(texts)
                                      else default_texts(summary, plugin))
    if is_stage(folder):
        write_briefs(folder, texts)
        return
    with staged_run(folder) as stage:
        stage.carry_over()
        write_briefs(stage.path, texts)


def run_scenarios(plugin: Any, out: str | None = None, inputs: str | None = None,
                  command: list[str] | None = None,
                  countries: list[str] | None = None) -> tuple[Path, pd.DataFrame]:
    """Every scenario of the model, one table, written to ``<out>/scenarios.csv``
    (``countries``: the sets to run, default all)."""
    own = getattr(plugin, "run_scenarios", None)
    if callable(own):
        return own(out, inputs, command=command, countries=countries)
    folder = run_target(out, "scenarios")
    table = scenario_table(plugin, inputs, countries)
    files = sorted(_scenarios_dir(plugin).glob("*.y*ml"))
    _write(folder, {"scenarios.csv": table,
                    "manifest.json": manifest(command or sys.argv, files)})
    return folder, table


def list_scenarios(plugin: Any) -> dict[str, Scenario]:
    """The model's named scenarios (an :class:`InputError` if it has none)."""
    return load_scenarios(_scenarios_dir(plugin), _config_keys(plugin))


# ---------------------------------------------------------------------------------- helpers
def _write(folder: Path, contents: dict[str, Any]) -> None:
    # the one place the run folder is written (shared with the flagship, atomic per file)
    from hecon.runfolder import write_folder

    write_folder(folder, contents)


def _config_keys(plugin: Any) -> list[str]:
    keys = getattr(plugin, "config_keys", None)
    return list(keys()) if callable(keys) else list(plugin.config_defaults())


def _scenarios_dir(plugin: Any) -> Path:
    folder = plugin.scenarios_dir() if hasattr(plugin, "scenarios_dir") else None
    if folder is None:
        raise InputError(f"model {plugin.name!r} defines no scenarios folder")
    return Path(folder)


def _scenario(plugin: Any, name: str | None) -> Scenario | None:
    if name is None:
        return None
    path = Path(name)
    if is_scenario_path(name):  # a bare name is always one of the model's scenarios
        return load_scenario(path, _config_keys(plugin))
    available = list_scenarios(plugin)
    if name not in available:
        raise InputError(f"unknown scenario {name!r}{did_you_mean(name, available)}; "
                         "'hecon scenarios --list' lists them" + local_hint(name))
    return available[name]


def _fixed_set(plugin: Any, sc: Scenario | None) -> str | None:
    """The set a scenario is for, when the model has a setting that selects the set (the
    flagship's ``country``) and the scenario sets it."""
    key = getattr(plugin, "set_setting", None)
    if sc is None or not key or key not in sc.settings:
        return None
    return str(sc.settings[key])


def _sides(plugin: Any, results: Results) -> tuple[str, str]:
    names = list(results.strategies)
    a = getattr(plugin, "intervention", None) or names[-1]
    b = getattr(plugin, "comparator", None) or names[0]
    for s in (a, b):
        if s not in names:
            raise InputError(f"model {plugin.name!r}: strategy {s!r} (intervention or "
                             f"comparator) is not one of its strategies {names}")
    return a, b


def icer(inc_cost: float, inc_qalys: float) -> float | str:
    """ICER, or words when it is not a ratio a reader should see."""
    if inc_qalys > 0:
        return inc_cost / inc_qalys
    if inc_qalys == 0:
        return "undefined (equal QALYs)" if inc_cost != 0 else "identical"
    return "dominated" if inc_cost >= 0 else "less costly, less effective"


def clean(x: Any) -> Any:
    """JSON-safe values (no NaN/inf, numpy scalars to Python)."""
    if isinstance(x, dict):
        return {str(k): clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    if isinstance(x, (np.floating, float)):
        return float(x) if math.isfinite(float(x)) else None
    if isinstance(x, np.integer):
        return int(x)
    return x


def _price(model: Any, price: str) -> float:
    base = Design.base(model.table)
    prep = getattr(model, "prepare", None)
    values = prep(base) if callable(prep) else dict(base.params().items())
    return float(np.asarray(values[price], dtype=float)[0])


def increments(plugin: Any, results: Results) -> tuple[np.ndarray, np.ndarray]:
    """Incremental cost and QALYs (intervention minus comparator) per sample."""
    a, b = _sides(plugin, results)
    return (results.column(a, "cost") - results.column(b, "cost"),
            results.column(a, "qalys") - results.column(b, "qalys"))


def wtp_grid(info: SetInfo, points: int = 101) -> np.ndarray:
    """Willingness-to-pay values for curves: 0 to 4 x the set's highest threshold."""
    return np.unique(np.concatenate([np.linspace(0, 4 * max(info.wtp), points), info.wtp]))


# -------------------------------------------------------------------------------- base case
def summarise(plugin: Any, model: Any, info: SetInfo, results: Results,
              sample: int = 0) -> dict[str, Any]:
    """One set's base case: outcomes per strategy, increments, ICER, NMB at each threshold and
    (with a ``price_parameter``) the price at which INMB = 0."""
    s = results.summary(sample)
    keep = ["cost", "qalys", "life_years", *getattr(plugin, "extra_outcomes", ()),
            "cost_undisc", "qalys_undisc", "life_years_undisc"]
    cats = [c for c in s.columns if c.startswith("cost_") and not c.endswith("_undisc")]
    strategies = {n: {k: float(s.loc[n, k]) for k in keep + cats if k in s.columns}
                  for n in results.strategies}
    a, b = _sides(plugin, results)
    dc = float(s.loc[a, "cost"] - s.loc[b, "cost"])
    dq = float(s.loc[a, "qalys"] - s.loc[b, "qalys"])
    dl = float(s.loc[a, "life_years"] - s.loc[b, "life_years"])
    inc: dict[str, Any] = {
        "intervention": a, "comparator": b, "inc_cost": dc, "inc_qalys": dq,
        "inc_life_years": dl, "icer": icer(dc, dq), "icer_per_life_year": icer(dc, dl),
        "inmb": {f"{w:g}": w * dq - dc for w in info.wtp},
    }
    price = getattr(plugin, "price_parameter", None)
    if price:
        # a one-off price paid at time 0 in the intervention arm only: INMB falls one for one
        # with it, so the price at which INMB = 0 is price + INMB
        p0 = _price(model, price)
        inc["threshold_price"] = {f"{w:g}": p0 + w * dq - dc for w in info.wtp}
    settings = model.settings() if callable(getattr(model, "settings", None)) else None
    sc = getattr(model, "scenario", None)
    return {
        "country": info.key, "country_label": info.label, "currency": info.currency,
        "wtp": list(info.wtp), "wtp_source": info.wtp_source,
        "discounting": settings.discount_costs.describe() if settings is not None else "",
        "settings": plugin.describe_settings(model) if hasattr(plugin, "describe_settings")
        else {},
        "scenario": None if sc is None else sc.name,
        "strategies": strategies, "incremental": inc, "icer": inc["icer"],
    }


def run_generic(plugin: Any, sets: list[str] | None = None, scenario: str | None = None,
                inputs: str | None = None, out: str | None = None, name: str | None = None,
                command: list[str] | None = None, analyses: tuple[str, ...] = ("base",),
                options: Any = None) -> tuple[Path, list[dict[str, Any]]]:
    """Base case (or one scenario) of every chosen set and the chosen ``analyses`` through the
    generic analysis modules; writes the run folder. Returns it and one summary per set."""
    opts = options or Options()
    unknown = set(analyses) - set(ANALYSES)
    if unknown:
        raise InputError(f"unknown analyses {sorted(unknown)}; choose from {', '.join(ANALYSES)}")
    available = plugin.sets()
    for k in sets or []:
        if k not in available:
            raise InputError(f"model {plugin.name!r} has no set {k!r}"
                             f"{did_you_mean(k, available)}; sets: {', '.join(available)}")
    sc = _scenario(plugin, scenario)
    run_name = name or (sc.name if sc is not None else "base_case")
    folder = run_target(out, run_name)
    fixed = _fixed_set(plugin, sc)
    chosen = list(sets or ([fixed] if fixed else available))
    if fixed and fixed not in chosen:
        raise InputError(f"scenario {sc.name!r} is for set {fixed!r}, not "
                         f"{', '.join(chosen)}", file=sc.file)
    chosen = [fixed] if fixed else chosen
    inputs_path = Path(inputs) if inputs else None
    summaries, frames, tables, traces, files = [], [], [], {}, []
    extra: dict[str, Any] = {}
    for key in chosen:
        info = available[key]
        model = plugin.build(key, sc, inputs_path)
        with parameters_read() as read:
            res = model.base_case() if hasattr(model, "base_case") else model.evaluate(
                Design.base(model.table))
        if inputs_path is not None:  # a user's table: a row the model never reads is named
            warn_unused(model.table, read, f"the base case of set {key!r}")
        summ = summarise(plugin, model, info, res)
        summ.update(plugin.summary_extras(model) if hasattr(plugin, "summary_extras") else {})
        summaries.append(summ)
        extra.update(run_analyses(plugin, model, info, summ, analyses, opts))
        if hasattr(plugin, "extra_files"):
            extra.update(plugin.extra_files(model, analyses))
        df = res.to_frame()
        df.insert(0, "country", key)
        frames.append(df)
        for s in res.strategies:
            if res.outputs[s].trace is not None:
                traces[f"trace_{key}_{strategy_key(plugin, s)}.csv"] = res.trace(s)
                if res.outputs[s].per_cycle is not None:  # the audit trail of the workbook
                    traces[f"cycles_{key}_{strategy_key(plugin, s)}.csv"] = res.cycles(s)
        pt = input_frame(model.table, key)  # readable back by --inputs
        tables.append(pt)
        files += plugin.input_files(model, inputs_path) if hasattr(plugin, "input_files") \
            else []
        if sc is not None and sc.file:
            files.append(Path(sc.file))
    summary: dict[str, Any] = {"model": plugin.title, "plugin": plugin.name,
                               "run_name": run_name, **summaries[0],
                               "country_sets": {s["country"]: s for s in summaries}}
    summary["report"] = plugin.report_texts(summary)
    if "scenarios" in analyses and sc is None and getattr(plugin, "scenarios_dir", None) \
            and plugin.scenarios_dir() is not None:
        extra["scenarios.csv"] = scenario_table(plugin, inputs, progress=opts.progress)
        files += sorted(Path(plugin.scenarios_dir()).glob("*.yaml"))
    _write(folder, {
        **extra,
        "summary.json": clean(summary),
        "results.csv": pd.concat(frames, ignore_index=True),
        "parameters.csv": pd.concat(tables, ignore_index=True),
        **traces,
        "manifest.json": manifest(command or sys.argv,
                                  list(dict.fromkeys(f for f in files if Path(f).is_file())),
                                  seed=opts.seed if {"psa", "voi", "gsa"} & set(analyses)
                                  else None,
                                  extra={"model": plugin.name,
                                         "scenario": None if sc is None else sc.name,
                                         "analyses": list(analyses),
                                         "options": opts.as_dict()}),
    })
    return folder, summaries


# ---------------------------------------------------------------------------------- analyses
def _evaluate(model: Any, design: Design, opts: Any, desc: str) -> Results:
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


def run_analyses(plugin: Any, model: Any, info: SetInfo, summ: dict[str, Any],
                 analyses: tuple[str, ...], opts: Any) -> dict[str, Any]:
    """The chosen uncertainty analyses of one set; headline numbers go into its summary."""
    out: dict[str, Any] = {}
    if "oneway" in analyses:
        out.update(run_oneway(plugin, model, info, opts))
        t = out[f"oneway_{info.key}.csv"]
        summ["oneway_top"] = t.head(5)[["parameter", "inmb_low", "inmb_high"]].to_dict("records")
    if "psa" in analyses or "voi" in analyses:
        tables, design, results = run_psa(plugin, model, info, opts)
        out.update(tables)
        dc, dq = increments(plugin, results)
        summ["psa"] = {"draws": int(dc.size),
                       "prob_cost_effective": {f"{w:g}": float((w * dq - dc > 0).mean())
                                               for w in info.wtp},
                       "mean_inc_cost": float(dc.mean()), "mean_inc_qalys": float(dq.mean())}
        if "voi" in analyses:
            v = run_voi(plugin, model, info, design, results, opts)
            out.update(v)
            curve = v[f"evpi_{info.key}.csv"]
            summ["voi"] = {"evpi_per_person": {
                f"{w:g}": float(curve.loc[curve["wtp"] == w, "evpi_per_person"].iloc[0])
                for w in info.wtp}}
            pop = v.get(f"population_{info.key}.json")
            if pop is not None:
                summ["voi"]["population"] = pop
                summ["voi"]["evpi_population"] = {
                    k: x * pop["discounted_patients"]
                    for k, x in summ["voi"]["evpi_per_person"].items()}
    if "gsa" in analyses:
        out.update(run_gsa(plugin, model, info, opts))
    return out


def run_oneway(plugin: Any, model: Any, info: SetInfo, opts: Any) -> dict[str, Any]:
    """Tornado data on INMB at the first threshold (ICER columns flag quadrant changes), a
    headroom curve when the model names a price parameter, and an optional two-way grid."""
    c, w = info.key, info.wtp[0]
    d = Design.one_way(model.table)
    dc, dq = increments(plugin, model.evaluate(d, keep_trace=False))
    t = oneway.tornado(d.labels, dc, dq, w, model.table, d)
    t.insert(0, "wtp", w)
    out: dict[str, Any] = {f"oneway_{c}.csv": t}
    price = getattr(plugin, "price_parameter", None)
    if price:
        b = d.labels.index("base")
        out[f"headroom_{c}.csv"] = threshold.headroom(dc[b], dq[b], _price(model, price),
                                                      wtp_grid(info, opts.wtp_points))
    if opts.two_way:
        a, b2 = opts.two_way
        grid = []
        for n in (a, b2):
            if n not in model.table:
                raise InputError(f"no such parameter{did_you_mean(n, model.table.names)}",
                                 parameter=n)
            rng = model.table[n].one_way_range()
            if rng is None:
                raise InputError("a two-way analysis needs a low/high range", parameter=n)
            grid.append(np.linspace(rng[0], rng[1], 9))
        d2 = oneway.two_way_design(model.table, a, grid[0], b2, grid[1])
        dc2, dq2 = increments(plugin, model.evaluate(d2, keep_trace=False))
        out[f"twoway_{c}.csv"] = oneway.two_way_table(d2, a, b2, w * dq2 - dc2).reset_index()
    return out


def run_psa(plugin: Any, model: Any, info: SetInfo, opts: Any
            ) -> tuple[dict[str, Any], Design, Results]:
    """Seeded draws of every uncertain parameter: draws, summary with Monte Carlo errors,
    CEAC, CEAF, expected loss and convergence tables."""
    c = info.key
    d = Design.psa(model.table, opts.psa_draws, opts.seed)
    r = _evaluate(model, d, opts, f"PSA {c.upper()}")
    names = list(r.strategies)
    a, b = _sides(plugin, r)
    costs, qalys = r.outcome_matrix("cost"), r.outcome_matrix("qalys")
    grid = wtp_grid(info, opts.wtp_points)
    draws = pd.DataFrame({"draw": np.arange(d.n)})
    for s in names:
        for o in ("cost", "qalys", "life_years"):
            draws[f"{o}_{strategy_key(plugin, s)}"] = r.column(s, o)
    dc, dq = increments(plugin, r)
    draws["inc_cost"], draws["inc_qalys"] = dc, dq
    for w in info.wtp:
        draws[f"inmb_{w:g}"] = w * dq - dc
    params = d.to_frame().drop(columns=["label"])[model.table.uncertain_names]
    draws = pd.concat([draws, params], axis=1)
    out = {
        f"psa_draws_{c}.csv": draws,
        f"psa_summary_{c}.csv": psa.summary(costs, qalys, names, b, info.wtp),
        f"ceac_{c}.csv": psa.ceac(costs, qalys, names, grid),
        f"ceaf_{c}.csv": psa.ceaf(costs, qalys, names, grid),
        f"expected_loss_{c}.csv": psa.expected_loss(costs, qalys, names, grid),
        f"convergence_{c}.csv": psa.convergence(costs, qalys, names, info.wtp[0], a, b),
    }
    return out, d, r


def run_voi(plugin: Any, model: Any, info: SetInfo, design: Design, results: Results,
            opts: Any) -> dict[str, Any]:
    """EVPI per person (and for the population when the model gives one) over the WTP grid;
    EVPPI of every uncertain parameter (and group) at each threshold."""
    from hecon.analysis import voi

    c = info.key
    names = list(results.strategies)
    costs, qalys = results.outcome_matrix("cost"), results.outcome_matrix("qalys")
    pop = plugin.population(model) if hasattr(plugin, "population") else None
    n_pop = pop["discounted_patients"] if pop else None
    loss = psa.expected_loss(costs, qalys, names, wtp_grid(info, opts.wtp_points))
    curve = pd.DataFrame({"wtp": loss["wtp"], "evpi_per_person": loss["evpi"]})
    if n_pop is not None:
        curve["evpi_population"] = loss["evpi"] * n_pop
    values = design.to_frame().drop(columns=["label"])[model.table.uncertain_names]
    groups = plugin.parameter_groups(model) if hasattr(plugin, "parameter_groups") else None
    frames = []
    tables = voi.evppi_tables([w * qalys - costs for w in info.wtp], values,
                              groups=groups or None, backend=opts.backend, workers=opts.workers)
    for w, t in zip(info.wtp, tables, strict=True):
        t.insert(0, "wtp", w)
        if n_pop is not None:
            t["evppi_population"] = t["evppi"] * n_pop
        frames.append(t)
    out: dict[str, Any] = {f"evpi_{c}.csv": curve,
                           f"evppi_{c}.csv": pd.concat(frames, ignore_index=True)}
    if pop is not None:
        out[f"population_{c}.json"] = pop
    return out


def run_gsa(plugin: Any, model: Any, info: SetInfo, opts: Any) -> dict[str, Any]:
    """Sobol indices (or Morris screening) on INMB at each threshold, incremental cost and
    incremental QALYs; the SALib sample is the design."""
    from hecon.analysis import gsa

    c = info.key
    if opts.gsa_method == "sobol":
        gd = gsa.sobol_design(model.table, n=opts.sobol_n, seed=opts.seed)
    elif opts.gsa_method == "morris":
        gd = gsa.morris_design(model.table, r=opts.morris_trajectories, seed=opts.seed)
    else:
        raise InputError(f"unknown GSA method {opts.gsa_method!r}; choose sobol or morris")
    r = _evaluate(model, gd.design, opts, f"{opts.gsa_method.title()} {c.upper()}")
    dc, dq = increments(plugin, r)
    outputs = {f"inmb_{w:g}": w * dq - dc for w in info.wtp}
    outputs.update(inc_cost=dc, inc_qalys=dq)
    frames = []
    for n, y in outputs.items():
        t = gsa.sobol_indices(gd, y) if opts.gsa_method == "sobol" else gsa.morris_indices(gd, y)
        t.insert(0, "output", n)
        frames.append(t)
    return {f"{opts.gsa_method}_{c}.csv": pd.concat(frames, ignore_index=True)}


# --------------------------------------------------------------------------------- scenarios
def scenario_table(plugin: Any, inputs: str | None = None, countries: list[str] | None = None,
                   progress: Progress = silent) -> pd.DataFrame:
    """One row per scenario and set (``countries``, default the first set; a scenario that
    names its set runs in that set only): results at the set's first threshold."""
    scs = list_scenarios(plugin)
    sets = plugin.sets()
    keys = list(countries) if countries else [next(iter(sets))]
    for key in keys:
        if key not in sets:
            raise InputError(f"unknown country set {key!r}; the model has: "
                             f"{', '.join(sets)}")
    rows = []
    bar = progress("Scenarios", len(scs), unit="scenario")
    for sc in scs.values():
        bar.update(1)
        fixed = _fixed_set(plugin, sc)
        for key in [fixed] if fixed else keys:
            model = plugin.build(key, sc, Path(inputs) if inputs else None)
            s = summarise(plugin, model, sets[key], model.evaluate(Design.base(model.table)))
            inc, w = s["incremental"], s["wtp"][0]
            a, b = inc["intervention"], inc["comparator"]
            row = {"scenario": sc.name, "description": sc.description, "country": key,
                   "currency": s["currency"],
                   f"cost_{strategy_key(plugin, a)}": s["strategies"][a]["cost"],
                   f"cost_{strategy_key(plugin, b)}": s["strategies"][b]["cost"],
                   f"qalys_{strategy_key(plugin, a)}": s["strategies"][a]["qalys"],
                   f"qalys_{strategy_key(plugin, b)}": s["strategies"][b]["qalys"],
                   "inc_cost": inc["inc_cost"], "inc_qalys": inc["inc_qalys"],
                   "inc_life_years": inc["inc_life_years"], "icer": inc["icer"], "wtp": w,
                   "inmb": inc["inmb"][f"{w:g}"]}
            if "threshold_price" in inc:
                row["threshold_price"] = inc["threshold_price"][f"{w:g}"]
            rows.append(row)
    bar.close()
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- for terminals
def format_summary(summary: dict[str, Any]) -> str:
    """One set's base case for the terminal."""
    cur = summary["currency"]
    rows = [{"strategy": n, "cost": v["cost"], "QALYs": v["qalys"],
             "life-years": v["life_years"]} for n, v in summary["strategies"].items()]
    inc = summary["incremental"]
    rows.append({"strategy": "increment", "cost": inc["inc_cost"], "QALYs": inc["inc_qalys"],
                 "life-years": inc["inc_life_years"]})
    text = pd.DataFrame(rows).set_index("strategy").to_string(formatters={
        "cost": lambda x: f"{cur} {x:,.2f}", "QALYs": "{:.3f}".format,
        "life-years": "{:.3f}".format})
    i = inc["icer"]
    icer_text = f"{cur} {i:,.0f} per QALY gained" if isinstance(i, float) else i
    lines = [f"{summary['country_label']} ({cur}; discounting {summary['discounting']})", text,
             f"ICER ({inc['intervention']} vs {inc['comparator']}): {icer_text}"]
    for w in summary["wtp"]:
        lines.append(f"At {cur} {w:,.0f}/QALY: incremental NMB {cur} "
                     f"{inc['inmb'][f'{w:g}']:,.0f}")
    return "\n".join(lines)


def format_analyses(summary: dict[str, Any], labels: dict[str, str] | None = None) -> str:
    """Headline numbers of the uncertainty analyses for the terminal ('' when none ran);
    ``labels``: words for parameter names."""
    cur, lines, labels = summary["currency"], [], labels or {}
    if "oneway_top" in summary:
        top = ", ".join(labels.get(r["parameter"], r["parameter"])
                        for r in summary["oneway_top"][:3])
        lines.append(f"One-way: largest INMB swings from {top}")
    if "psa" in summary:
        p = summary["psa"]
        probs = "; ".join(f"{x:.0%} at {cur} {float(w):,.0f}/QALY"
                          for w, x in p["prob_cost_effective"].items())
        lines.append(f"PSA ({p['draws']:,} draws): probability "
                     f"{summary['incremental']['intervention']} is cost-effective {probs}")
    if "voi" in summary:
        for w, x in summary["voi"]["evpi_per_person"].items():
            lines.append(f"EVPI at {cur} {float(w):,.0f}/QALY: {cur} {x:,.0f} per person")
    return "\n".join(lines)
