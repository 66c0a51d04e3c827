"""The jobs behind ``hecon run`` and ``hecon scenarios`` for the DanGer Shock model."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd

from hecon.errors import InputError
from hecon.io_safe import csv_text
from hecon.manifest import input_frame, manifest
from hecon.models.danger_shock import analyses as an
from hecon.models.danger_shock.analyses import Options
from hecon.models.danger_shock.config import CHOICES, ModelConfig
from hecon.models.danger_shock.inputs import default_inputs_dir, parameter_files
from hecon.models.danger_shock.model import DangerShockModel
from hecon.models.danger_shock.report import clean, format_summary, summarise, summary_extras
from hecon.progress import Progress, silent
from hecon.runfolder import run_target, write_folder
from hecon.scenarios import (
    Scenario,
    did_you_mean,
    is_scenario_path,
    load_scenario,
    load_scenarios,
    local_hint,
)

COUNTRIES = CHOICES["country"]
ANALYSES = ("base", "scenarios", "oneway", "psa", "voi", "gsa", "budget")


def scenarios_dir() -> Path:
    """``scenarios/`` of the source tree."""
    return Path(__file__).resolve().parents[3] / "scenarios"


def _scenario(name: str | None) -> Scenario | None:
    if name is None:
        return None
    path = Path(name)
    if is_scenario_path(name):  # a bare name is always one of scenarios/
        return load_scenario(path, ModelConfig.keys())
    available = load_scenarios(scenarios_dir(), ModelConfig.keys())
    if name not in available:
        raise InputError(f"unknown scenario {name!r}{did_you_mean(name, available)}; "
                         "'hecon scenarios --list' lists them" + local_hint(name))
    return available[name]


def countries_for_table(path: Path) -> list[str]:
    """The country sets whose currency a user's parameter table is written in (all of them
    when no cost unit names a known currency; the unit check then explains)."""
    from hecon.models.danger_shock.inputs import load_country
    from hecon.parameters import ParameterTable

    match = []
    for c in COUNTRIES:  # a table with a country column (a run's parameters.csv) holds several
        try:
            table = ParameterTable.read(path, country=c)
        except InputError as exc:
            if "has no rows for" in str(exc):
                continue
            raise
        units = {p.unit.strip().lower().split()[0] for p in table if p.unit}
        if load_country(c).currency.lower() in units:
            match.append(c)
    return match or list(COUNTRIES)


def run_base(
    countries: list[str] | None = None,
    scenario: str | None = None,
    inputs: str | None = None,
    out: str | None = None,
    name: str | None = None,
    command: list[str] | None = None,
    analyses: tuple[str, ...] = ("base",),
    options: Options | None = None,
) -> tuple[Path, list[dict[str, Any]]]:
    """Base case (or one scenario) for the given country sets and the chosen ``analyses``
    (base, scenarios, oneway, psa, voi, gsa; voi needs psa's draws and runs it too); writes
    every table into the run folder, each file atomically."""
    opts = options or Options()
    unknown = set(analyses) - set(ANALYSES)
    if unknown:
        raise InputError(f"unknown analyses {sorted(unknown)}; choose from {', '.join(ANALYSES)}")
    sc = _scenario(scenario)
    run_name = name or (sc.name if sc is not None else "base_case")
    folder = run_target(out, run_name)
    if countries is None:
        fixed = None if sc is None else sc.settings.get("country")
        countries = [fixed] if fixed else (
            countries_for_table(Path(inputs)) if inputs else list(COUNTRIES))
    summaries, frames, traces, files = [], [], {}, []
    param_tables = []
    extra: dict[str, Any] = {}
    want_scenarios = "scenarios" in analyses and sc is None
    parts, scen = _country_parts(countries, scenario, inputs, analyses, opts, want_scenarios)
    for part in parts:
        if part is None:  # the scenario is fixed to another country set
            continue
        summaries.append(part["summary"])
        extra.update(part["extra"])
        frames.append(part["frame"])
        traces.update(part["traces"])
        param_tables.append(part["parameters"])
        files += part["files"]
    primary = summaries[0]
    summary = {
        "model": "Impella CP + standard care vs standard care in STEMI-related cardiogenic "
                 "shock (DanGer Shock)",
        "run_name": run_name,
        **primary,
        "country_sets": {s["country"]: s for s in summaries},
    }
    if want_scenarios:
        extra["scenarios.csv"] = scen
        files += sorted(scenarios_dir().glob("*.yaml"))
    _write_folder(folder, {
        **extra,
        "summary.json": clean(summary),
        "results.csv": pd.concat(frames, ignore_index=True),
        "parameters.csv": pd.concat(param_tables, ignore_index=True),
        **{f"{k}.csv": v for k, v in traces.items()},
        "manifest.json": manifest(command or sys.argv,
                                  list(dict.fromkeys(f for f in files if Path(f).is_file())),
                                  seed=opts.seed if {"psa", "voi", "gsa"} & set(analyses)
                                  else None,
                                  extra={"scenario": None if sc is None else sc.name,
                                         "analyses": list(analyses),
                                         "options": opts.as_dict()}),
    })
    return folder, summaries


def _country_part(c: str, scenario: str | None, inputs: str | None,
                  analyses: tuple[str, ...], opts: Options) -> dict[str, Any] | None:
    """One country set's share of :func:`run_base` (module level: it may run in a worker
    process): summary, analysis tables, results frame, traces, parameter table and input
    files; None when the scenario is fixed to another country set."""
    sc = _scenario(scenario)
    extra: dict[str, Any] = {}
    traces: dict[str, Any] = {}
    files: list[Path] = []
    cfg = ModelConfig(country=c)
    model = DangerShockModel.build(cfg, sc, parameters=Path(inputs) if inputs else None)
    if sc is not None and "country" in sc.settings and sc.settings["country"] != c:
        return None
    res = model.base_case()
    summ = summarise(model, res)
    summ.update(summary_extras(model, progress=opts.progress))
    extra[f"validation_{model.country.key}.csv"] = pd.DataFrame(summ["validation"])
    if isinstance(summ.get("subgroups"), dict):
        from hecon.models.danger_shock.subgroups import subgroup_table

        extra[f"subgroups_{model.country.key}.csv"] = subgroup_table(
            summ["subgroups"], model.country.key, model.country.currency)
    extra.update(_analyses(model, summ, analyses, opts))
    df = res.to_frame()
    df.insert(0, "country", model.country.key)
    for s in res.strategies:
        if res.outputs[s].trace is not None:
            tr = res.trace(s)
            traces[f"trace_{model.country.key}_{'impella' if 'Impella' in s else 'soc'}"] = tr
            if res.outputs[s].per_cycle is not None:  # the audit trail of the workbook
                traces[f"cycles_{model.country.key}_"
                       f"{'impella' if 'Impella' in s else 'soc'}"] = res.cycles(s)
    pt = input_frame(model.table, model.country.key)  # readable back by --inputs
    files += parameter_files(model.country) if not inputs else [Path(inputs)]
    files += [model.country.life_table_file,
              default_inputs_dir() / "danger_shock" / "countries.yaml"]
    if sc is not None and sc.file:
        files.append(Path(sc.file))
    files.append(default_inputs_dir() / "danger_shock" / "validation_targets.csv")
    files.append(default_inputs_dir() / "danger_shock" / "subgroups.csv")
    if "voi" in analyses:
        files.append(default_inputs_dir() / "danger_shock" / "population.yaml")
    if "budget" in analyses:
        files.append(default_inputs_dir() / "danger_shock" / "budget.yaml")
    # the analysis tables as the CSV text the run folder will hold: formatted here, in the
    # set's own process when sets run side by side, not one after another by the writer
    extra = {k: csv_text(v) if isinstance(v, pd.DataFrame) and k.endswith(".csv") else v
             for k, v in extra.items()}
    return {"summary": summ, "extra": extra, "frame": df, "traces": traces,
            "parameters": pt, "files": files}


def _parallel_countries(countries: list[str], analyses: tuple[str, ...], opts: Options) -> bool:
    """Country sets run side by side in worker processes (one per CPU) with the ``auto``
    backend when there are several sets, several CPUs and sampling work of at least
    :data:`hecon.parallel.AUTO_MIN_ROWS` rows a set (PSA draws and Sobol/Morris rows)."""
    import os

    from hecon.parallel import AUTO_MIN_ROWS

    if opts.backend != "auto" or len(countries) < 2 or int(opts.workers or os.cpu_count()
                                                            or 1) < 2:
        return False
    rows = opts.psa_draws if {"psa", "voi"} & set(analyses) else 0
    if "gsa" in analyses:
        rows += opts.sobol_n * 2 if opts.gsa_method == "sobol" else opts.morris_trajectories
    return rows >= AUTO_MIN_ROWS


def _country_parts(countries: list[str], scenario: str | None, inputs: str | None,
                   analyses: tuple[str, ...], opts: Options, want_scenarios: bool
                   ) -> tuple[list[dict[str, Any] | None], pd.DataFrame | None]:
    """Every country set's :func:`_country_part`, in order, and the scenario table (if
    wanted). With several sets and enough work (:func:`_parallel_countries`) the sets run
    side by side on the shared process pool (each evaluating in its own process; progress
    bars relayed here) while this process computes the scenario table; results are the
    same as one after another."""
    def scenarios() -> pd.DataFrame | None:
        if not want_scenarios:
            return None
        return scenario_table(inputs, progress=opts.progress, countries=countries)

    if not _parallel_countries(countries, analyses, opts):
        parts = [_country_part(c, scenario, inputs, analyses, opts) for c in countries]
        return parts, scenarios()
    import dataclasses
    import os

    from hecon.parallel import shared_pool
    from hecon.progress import relayed

    pool = shared_pool(int(opts.workers or os.cpu_count() or 1))
    with relayed(opts.progress) as remote:
        worker_opts = dataclasses.replace(opts, backend="inprocess", progress=remote)
        futures = [pool.submit(_country_part, c, scenario, inputs, analyses, worker_opts)
                   for c in countries]
        try:
            scen = scenarios()
            parts = [f.result() for f in futures]
        finally:
            for f in futures:
                f.cancel()
    return parts, scen


def _analyses(model: DangerShockModel, summ: dict[str, Any], analyses: tuple[str, ...],
              opts: Options) -> dict[str, Any]:
    """Run the chosen uncertainty analyses for one country set; headline numbers are added
    to its summary."""
    out: dict[str, Any] = {}
    if "oneway" in analyses:
        out.update(an.run_oneway(model, opts))
        t = out[f"oneway_{model.country.key}.csv"]
        summ["oneway_top"] = t.head(5)[["parameter", "inmb_low", "inmb_high"]].to_dict("records")
    if "psa" in analyses or "voi" in analyses:
        tables, design, results = an.run_psa(model, opts)
        out.update(tables)
        summ["psa"] = an.psa_headline(model, results, design, opts)
        if "voi" in analyses:
            v = an.run_voi(model, design, results, opts)
            out.update(v)
            curve = v[f"evpi_{model.country.key}.csv"]
            pop = v[f"population_{model.country.key}.json"]
            summ["voi"] = {
                "evpi_per_person": {f"{w:g}": float(curve.loc[curve["wtp"] == w,
                                                                "evpi_per_person"].iloc[0])
                                    for w in model.country.wtp},
                "population": pop,
            }
            summ["voi"]["evpi_population"] = {
                k: x * pop["discounted_patients"]
                for k, x in summ["voi"]["evpi_per_person"].items()}
    if "gsa" in analyses:
        out.update(an.run_gsa(model, opts))
    if "budget" in analyses:
        from hecon.models.danger_shock.budget import run_budget

        files, summ["budget"] = run_budget(model, opts)
        out.update(files)
    return out


_write_folder = write_folder  # the one place a run folder is written (hecon.runfolder)


def run_scenarios(out: str | None = None, inputs: str | None = None,
                  command: list[str] | None = None,
                  countries: list[str] | None = None) -> tuple[Path, pd.DataFrame]:
    """Every scenario in ``scenarios/`` for each country set (all by default), one table;
    written to ``<out>/scenarios.csv``."""
    folder = run_target(out, "scenarios")
    table = scenario_table(inputs, countries=countries)
    files = [p for p in scenarios_dir().glob("*.yaml")]
    _write_folder(folder, {"scenarios.csv": table,
                           "manifest.json": manifest(command or sys.argv, files)})
    return folder, table


BASE_NAME = "base case"


def _same(x: float, y: float) -> bool:
    """Equal within rounding (relative 1e-9 of the larger magnitude, or 1e-9 absolute)."""
    return abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))


def scenario_table(inputs: str | None = None, progress: Progress = silent,
                   countries: list[str] | None = None) -> pd.DataFrame:
    """One row per (country set, scenario, threshold), the base case first: results, change
    against the base case, whether the decision (adopt if INMB > 0) changes, and a note when
    the scenario repeats the base case. A scenario fixed to another country set is left out
    of a country's rows."""
    scs = load_scenarios(scenarios_dir(), ModelConfig.keys())
    countries = list(countries or (countries_for_table(Path(inputs)) if inputs else COUNTRIES))
    rows = []
    bar = progress("Scenarios", len(scs) * len(countries), unit="scenario")
    for country in countries:
        params = Path(inputs) if inputs else None
        base = summarise(*_model_and_results(country, None, params))
        for sc in [None, *scs.values()]:
            if sc is not None:
                bar.update(1)
                fixed = sc.settings.get("country")
                if fixed is not None and fixed != country:
                    continue
            s = base if sc is None else summarise(*_model_and_results(country, sc, params))
            rows += _scenario_rows(sc, country, s, base)
    bar.close()
    return pd.DataFrame(rows)


def _model_and_results(country: str, sc: Scenario | None, params: Path | None):
    model = DangerShockModel.build(ModelConfig(country=country), sc, parameters=params)
    return model, model.base_case()


def _scenario_rows(sc: Scenario | None, country: str, s: dict[str, Any],
                   base: dict[str, Any]) -> list[dict[str, Any]]:
    inc, b = s["incremental"], base["incremental"]
    strat = s["strategies"]
    repeats = sc is not None and _same(inc["inc_cost"], b["inc_cost"]) and _same(
        inc["inc_qalys"], b["inc_qalys"]) and _same(inc["inc_life_years"], b["inc_life_years"])
    rows = []
    for w in s["wtp"]:
        k = f"{w:g}"
        adopt, adopt0 = inc["inmb"][k] > 0, b["inmb"][k] > 0
        rows.append({
            "scenario": BASE_NAME if sc is None else sc.name,
            "description": ("All-comers base case" if sc is None else sc.description),
            "country": country, "currency": s["currency"],
            "cost_impella": strat[inc["intervention"]]["cost"],
            "cost_soc": strat[inc["comparator"]]["cost"],
            "qalys_impella": strat[inc["intervention"]]["qalys"],
            "qalys_soc": strat[inc["comparator"]]["qalys"],
            "inc_cost": inc["inc_cost"], "inc_qalys": inc["inc_qalys"],
            "inc_life_years": inc["inc_life_years"],
            "icer": inc["icer"], "wtp": w, "inmb": inc["inmb"][k],
            "threshold_device_price": inc["threshold_device_price"][k],
            "inc_index_cost": inc["inc_index_cost"], "inc_alive_180d": inc["inc_alive_180d"],
            "index_cost_per_extra_survivor_180d": inc["index_cost_per_extra_survivor_180d"],
            "change_inc_cost": inc["inc_cost"] - b["inc_cost"],
            "change_inc_qalys": inc["inc_qalys"] - b["inc_qalys"],
            "change_inmb": inc["inmb"][k] - b["inmb"][k],
            "decision": "adopt" if adopt else "reject",
            "decision_changes": "yes" if adopt != adopt0 else "no",
            "repeats_base_case": repeats,
            "note": ("same results as the base case for this country set" if repeats else ""),
        })
    return rows


def format_scenarios(table: pd.DataFrame) -> str:
    """The scenario table for the terminal: one line per scenario, country and threshold."""
    def icer_text(v: Any) -> str:
        return f"{v:,.0f}" if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)

    cur = table["currency"]
    t = pd.DataFrame({
        "scenario": table["scenario"],
        "country": table["country"],
        "WTP": [f"{c} {x:,.0f}" for c, x in zip(cur, table["wtp"], strict=True)],
        "inc cost": [f"{c} {x:,.0f}" for c, x in zip(cur, table["inc_cost"], strict=True)],
        "inc QALYs": table["inc_qalys"].map("{:.3f}".format),
        "ICER": table["icer"].map(icer_text),
        "INMB": [f"{c} {x:,.0f}" for c, x in zip(cur, table["inmb"], strict=True)],
        "INMB change": [f"{c} {x:+,.0f}" for c, x in zip(cur, table["change_inmb"],
                                                          strict=True)],
        "decision changes": table["decision_changes"],
        "note": table["note"].map(lambda x: "repeats base case" if x else ""),
    })
    return t.to_string(index=False)


def format_analyses(summary: dict[str, Any]) -> str:
    """Headline numbers of the uncertainty analyses for the terminal ('' when none ran)."""
    cur = summary["currency"]
    lines = []
    if "oneway_top" in summary:
        top = ", ".join(r["parameter"] for r in summary["oneway_top"][:3])
        lines.append(f"One-way: largest INMB swings from {top}")
    if "psa" in summary:
        p = summary["psa"]
        probs = "; ".join(f"{x:.0%} at {cur} {float(w):,.0f}/QALY"
                          for w, x in p["prob_cost_effective"].items())
        lines.append(f"PSA ({p['draws']:,} draws): probability the pump is cost-effective "
                     f"{probs}")
    if "voi" in summary:
        v = summary["voi"]
        pop = v["population"]
        for w, x in v["evpi_per_person"].items():
            lines.append(
                f"EVPI at {cur} {float(w):,.0f}/QALY: {cur} {x:,.0f} per patient; "
                f"{cur} {v['evpi_population'][w]:,.0f} for {pop['incidence_per_year']:,.0f} "
                f"patients/year over {pop['decision_years']} years (incidence is an assumption)")
    if "budget" in summary:
        from hecon.models.danger_shock.budget import format_budget

        lines.append(format_budget(summary))
    return "\n".join(lines)


__all__ = ["format_scenarios", "format_summary", "run_base", "run_scenarios"]
