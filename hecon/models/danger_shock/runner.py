"""The jobs behind ``hecon run`` and ``hecon scenarios`` for the DanGer Shock model."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd

from hecon.errors import InputError
from hecon.io_safe import write_csv, write_json, write_text
from hecon.manifest import input_frame, manifest
from hecon.models.danger_shock import analyses as an
from hecon.models.danger_shock.analyses import Options
from hecon.models.danger_shock.config import CHOICES, ModelConfig
from hecon.models.danger_shock.inputs import default_inputs_dir, parameter_files
from hecon.models.danger_shock.model import DangerShockModel
from hecon.models.danger_shock.report import clean, format_summary, summarise, summary_extras
from hecon.progress import Progress, silent
from hecon.runfolder import is_stage, staged_run
from hecon.scenarios import Scenario, did_you_mean, load_scenario, load_scenarios

COUNTRIES = CHOICES["country"]
ANALYSES = ("base", "scenarios", "oneway", "psa", "voi", "gsa", "budget")


def scenarios_dir() -> Path:
    """``scenarios/`` of the source tree."""
    return Path(__file__).resolve().parents[3] / "scenarios"


def _scenario(name: str | None) -> Scenario | None:
    if name is None:
        return None
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return load_scenario(path, ModelConfig.keys())
    available = load_scenarios(scenarios_dir(), ModelConfig.keys())
    if name not in available:
        raise InputError(f"unknown scenario {name!r}{did_you_mean(name, available)}; "
                         "'hecon scenarios --list' lists them")
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
    if countries is None:
        fixed = None if sc is None else sc.settings.get("country")
        countries = [fixed] if fixed else (
            countries_for_table(Path(inputs)) if inputs else list(COUNTRIES))
    summaries, frames, traces, files = [], [], {}, []
    param_tables = []
    extra: dict[str, Any] = {}
    for c in countries:
        cfg = ModelConfig(country=c)
        model = DangerShockModel.build(cfg, sc, parameters=Path(inputs) if inputs else None)
        if sc is not None and "country" in sc.settings and sc.settings["country"] != c:
            continue
        res = model.base_case()
        summ = summarise(model, res)
        summ.update(summary_extras(model))
        extra[f"validation_{model.country.key}.csv"] = pd.DataFrame(summ["validation"])
        summaries.append(summ)
        extra.update(_analyses(model, summ, analyses, opts))
        df = res.to_frame()
        df.insert(0, "country", model.country.key)
        frames.append(df)
        for s in res.strategies:
            if res.outputs[s].trace is not None:
                tr = res.trace(s)
                traces[f"trace_{model.country.key}_{'impella' if 'Impella' in s else 'soc'}"] = tr
                if res.outputs[s].per_cycle is not None:  # the audit trail of the workbook
                    traces[f"cycles_{model.country.key}_"
                           f"{'impella' if 'Impella' in s else 'soc'}"] = res.cycles(s)
        pt = input_frame(model.table, model.country.key)  # readable back by --inputs
        param_tables.append(pt)
        files += parameter_files(model.country) if not inputs else [Path(inputs)]
        files += [model.country.life_table_file,
                  default_inputs_dir() / "danger_shock" / "countries.yaml"]
        if sc is not None and sc.file:
            files.append(Path(sc.file))
        files.append(default_inputs_dir() / "danger_shock" / "validation_targets.csv")
        if "voi" in analyses:
            files.append(default_inputs_dir() / "danger_shock" / "population.yaml")
        if "budget" in analyses:
            files.append(default_inputs_dir() / "danger_shock" / "budget.yaml")
    run_name = name or (sc.name if sc is not None else "base_case")
    folder = Path(out) if out else Path("outputs") / run_name
    primary = summaries[0]
    summary = {
        "model": "Impella CP + standard care vs standard care in STEMI-related cardiogenic "
                 "shock (DanGer Shock)",
        "run_name": run_name,
        **primary,
        "country_sets": {s["country"]: s for s in summaries},
    }
    if "scenarios" in analyses and sc is None:
        extra["scenarios.csv"] = scenario_table(inputs, progress=opts.progress)
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


def _write_folder(folder: Path, contents: dict[str, Any]) -> None:
    """Write every file. Into the staging folder of a run in progress (``staged_run``) the
    files are written directly; any other folder is replaced whole, all or nothing, by a
    folder holding exactly these files."""
    if not is_stage(folder):
        with staged_run(folder) as stage:
            _write_folder(stage.path, contents)
        return
    for fname, obj in contents.items():
        path = folder / fname
        if isinstance(obj, pd.DataFrame):
            write_csv(path, obj)
        elif isinstance(obj, str):
            write_text(path, obj)
        else:
            write_json(path, obj)


def run_scenarios(out: str | None = None, inputs: str | None = None,
                  command: list[str] | None = None) -> tuple[Path, pd.DataFrame]:
    """Every scenario in ``scenarios/`` (each for its country set), one table; written to
    ``<out>/scenarios.csv``."""
    table = scenario_table(inputs)
    folder = Path(out) if out else Path("outputs") / "scenarios"
    files = [p for p in scenarios_dir().glob("*.yaml")]
    _write_folder(folder, {"scenarios.csv": table,
                           "manifest.json": manifest(command or sys.argv, files)})
    return folder, table


def scenario_table(inputs: str | None = None, progress: Progress = silent) -> pd.DataFrame:
    """One row per scenario: description, country and results."""
    scs = load_scenarios(scenarios_dir(), ModelConfig.keys())
    rows = []
    sets = countries_for_table(Path(inputs)) if inputs else list(COUNTRIES)
    runs = [(sc, c) for sc in scs.values()  # every scenario for every set it can apply to
            for c in ([sc.settings["country"]] if "country" in sc.settings else sets)]
    bar = progress("Scenarios", len(runs), unit="scenario")
    for sc, country in runs:
        bar.update(1)
        model = DangerShockModel.build(ModelConfig(country=country), sc,
                                       parameters=Path(inputs) if inputs else None)
        s = summarise(model, model.base_case())
        inc = s["incremental"]
        w = s["wtp"][0]
        rows.append({
            "scenario": sc.name, "description": sc.description, "country": country,
            "currency": s["currency"],
            "cost_impella": s["strategies"][inc["intervention"]]["cost"],
            "cost_soc": s["strategies"][inc["comparator"]]["cost"],
            "qalys_impella": s["strategies"][inc["intervention"]]["qalys"],
            "qalys_soc": s["strategies"][inc["comparator"]]["qalys"],
            "inc_cost": inc["inc_cost"], "inc_qalys": inc["inc_qalys"],
            "inc_life_years": inc["inc_life_years"],
            "icer": inc["icer"], "wtp": w, "inmb": inc["inmb"][f"{w:g}"],
            "threshold_device_price": inc["threshold_device_price"][f"{w:g}"],
        })
    bar.close()
    return pd.DataFrame(rows)


def format_scenarios(table: pd.DataFrame) -> str:
    """The scenario table for the terminal."""
    def icer_text(row: pd.Series) -> str:
        v = row["icer"]
        return f"{v:,.0f}" if isinstance(v, float) else str(v)

    t = pd.DataFrame({
        "scenario": table["scenario"],
        "country": table["country"],
        "inc cost": [f"{c} {x:,.0f}" for c, x in zip(table["currency"], table["inc_cost"],
                                                      strict=True)],
        "inc QALYs": table["inc_qalys"].map("{:.3f}".format),
        "ICER": table.apply(icer_text, axis=1),
        "INMB at WTP": [f"{c} {x:,.0f}" for c, x in zip(table["currency"], table["inmb"],
                                                         strict=True)],
        "threshold price": [f"{c} {x:,.0f}" for c, x in zip(
            table["currency"], table["threshold_device_price"], strict=True)],
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
