"""Command-line interface: ``hecon --help``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hecon import __version__
from hecon.errors import HeconError, InputError

ANALYSES = ("base", "scenarios", "oneway", "psa", "voi", "gsa", "budget")
JOBS = {  # the analyses each sub-command runs (the base case always)
    "dsa": ("base", "oneway"),
    "psa": ("base", "psa"),
    "voi": ("base", "psa", "voi"),
    "gsa": ("base", "gsa"),
    "budget": ("base", "budget"),
}


def _analyses(text: str) -> tuple[str, ...]:
    if text == "all":
        return ANALYSES
    chosen = tuple(x.strip() for x in text.split(",") if x.strip())
    for a in chosen:
        if a not in ANALYSES:
            from hecon.scenarios import did_you_mean

            raise InputError(f"unknown analysis {a!r}{did_you_mean(a, ANALYSES)}; choose from "
                             + ", ".join(ANALYSES))
    return tuple(dict.fromkeys(("base", *chosen)))


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--country", choices=["dk", "uk"], action="append",
                   help="country set (repeatable; default: all)")
    p.add_argument("--scenario", help="scenario name (see 'hecon scenarios --list') or a "
                   "YAML file")
    p.add_argument("--inputs", help="parameter table (CSV/XLSX file or folder) replacing the "
                   "default inputs")
    p.add_argument("--out", help="output folder (default outputs/<run name>)")
    p.add_argument("--name", help="run name (default: the command, or the scenario name)")


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {v}")
    return v


def _analysis_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("uncertainty analyses")
    g.add_argument("-n", "--draws", type=_positive, default=10_000,
                   help="PSA draws (default 10000)")
    g.add_argument("--seed", type=int, default=20240404, help="random seed (default 20240404)")
    g.add_argument("--sobol-n", type=_positive, default=1024,
                   help="Sobol base sample size, a power of 2 (default 1024)")
    g.add_argument("--chunk-size", type=_positive, default=10_000,
                   help="rows evaluated at once (bounds memory; default 10000)")
    g.add_argument("--backend", choices=["inprocess", "processes", "dask"],
                   default="inprocess", help="where chunks run (default in this process)")
    g.add_argument("--workers", type=_positive, help="worker processes (processes/dask)")
    g.add_argument("--scheduler", help="Dask scheduler address (default: a local cluster)")
    g.add_argument("--quiet", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level argument parser with one sub-command per job."""
    parser = argparse.ArgumentParser(
        prog="hecon",
        description="Health-economic evaluation: Impella CP vs standard care in "
        "STEMI-related cardiogenic shock (DanGer Shock), and a general cohort-model engine.",
    )
    parser.add_argument("--version", action="version", version=f"hecon {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="the main job: every analysis for both country sets",
                         description="Run the DanGer Shock model on the embedded default inputs "
                         "(or --inputs): base case, all scenarios, one-way, PSA, value of "
                         "information and Sobol, for both country sets; writes tables, PNG "
                         "plots, a manifest and an Excel workbook into the run folder.")
    _common(run)
    run.add_argument("--analyses", default="all",
                     help="comma-separated subset of: " + ",".join(ANALYSES) + " (default all; "
                     "e.g. --analyses base for a quick look)")
    _analysis_options(run)

    helps = {
        "dsa": ("one-way (tornado), threshold price and optional two-way analysis",
                "Every parameter at its low and high value: tornado data on INMB and ICER, "
                "the device-price headroom curve, and with --two-way A,B a 9 x 9 grid."),
        "psa": ("probabilistic analysis: CE plane, CEAC, CEAF, expected loss",
                "N seeded draws of every uncertain parameter, evaluated in chunks."),
        "voi": ("value of information: EVPI and EVPPI (runs the PSA first)",
                "EVPI per person and for the population; EVPPI of every parameter and group "
                "by regression on the PSA draws."),
        "gsa": ("global sensitivity analysis: Sobol indices or Morris screening (SALib)",
                "Sobol first-order and total indices (or Morris) on INMB, incremental cost "
                "and incremental QALYs; the SALib sample is the design."),
    }
    for job, (short, long) in helps.items():
        p = sub.add_parser(job, help=short, description=long)
        _common(p)
        _analysis_options(p)
        if job == "dsa":
            p.add_argument("--two-way", metavar="A,B", help="two parameters for a two-way grid")
        if job == "gsa":
            p.add_argument("--method", choices=["sobol", "morris"], default="sobol")

    _budget_parser(sub)

    rep = sub.add_parser("report", help="rebuild the Excel workbook of a run folder",
                         description="Rebuild <RUN_DIR>/hecon_report.xlsx from what the run "
                         "folder holds.")
    rep.add_argument("run_dir", metavar="RUN_DIR")

    scen = sub.add_parser("scenarios", help="run every named scenario; one table",
                          description="Run every scenario in scenarios/ and print one table.")
    scen.add_argument("--list", action="store_true", help="only list the scenarios")
    scen.add_argument("--inputs", help="parameter table replacing the default inputs")
    scen.add_argument("--out", help="output folder (default outputs/scenarios)")
    return parser


def _budget_parser(sub: argparse._SubParsersAction) -> None:
    """``hecon budget``: budget impact per calendar year for a hospital or a payer."""
    p = sub.add_parser(
        "budget", help="budget impact per year for a hospital or a payer (ISPOR 2014)",
        description="Undiscounted costs per calendar year with and without the pump, counting "
        "every earlier cohort's survivors; payer and hospital (index admission) perspectives; "
        "PSA interval and a one-way on device price, uptake and patients. Writes "
        "budget_impact_<country>.csv, budget_oneway_<country>.csv, a PNG and the workbook.")
    _common(p)
    _analysis_options(p)
    p.set_defaults(draws=1000)
    for action in p._actions:
        if action.dest == "draws":
            action.help = "PSA draws for the budget interval (default 1000)"
    g = p.add_argument_group("budget")
    g.add_argument("--patients", help="eligible patients per year: a number (e.g. one "
                   "hospital's), or 'country' (default, derived in inputs/danger_shock/"
                   "budget.yaml) or 'hospital' (the default hospital size there)")
    g.add_argument("--years", type=_positive, help="calendar years (default 5)")
    g.add_argument("--uptake", help="share treated with the pump by year, e.g. "
                   "0.3,0.6,0.8,0.9,0.9 (default); the last value continues for later years")
    g.add_argument("--perspective", choices=["payer", "hospital"], default="payer",
                   help="headline perspective (the tables hold both; default payer)")


def _budget_options(opts: object, args: argparse.Namespace) -> object:
    from dataclasses import asdict

    from hecon.models.danger_shock.budget import BudgetOptions

    patients: float | str | None = args.patients
    if patients is not None and patients not in ("country", "hospital"):
        try:
            patients = float(patients)
        except ValueError:
            raise InputError(f"--patients must be a number, 'country' or 'hospital', got "
                             f"{args.patients!r}") from None
    uptake = None
    if args.uptake is not None:
        try:
            uptake = [float(x) for x in args.uptake.split(",") if x.strip()]
        except ValueError:
            raise InputError(f"--uptake must be shares separated by commas, got "
                             f"{args.uptake!r}") from None
        bad = [u for u in uptake if not 0 <= u <= 1]
        if bad or not uptake:
            raise InputError(f"--uptake needs shares between 0 and 1, got {args.uptake!r}")
    return BudgetOptions(**asdict(opts), patients=patients, years=args.years, uptake=uptake,
                         perspective=args.perspective)


def _options(args: argparse.Namespace) -> object:
    from hecon.models.danger_shock.analyses import Options
    from hecon.progress import bars, silent

    two = getattr(args, "two_way", None)
    pair = None
    if two:
        pair = tuple(x.strip() for x in two.split(","))
        if len(pair) != 2:
            raise InputError(f"--two-way needs two parameter names A,B, got {two!r}")
    opts = Options(psa_draws=args.draws, seed=args.seed, sobol_n=args.sobol_n,
                   gsa_method=getattr(args, "method", "sobol"), chunk_size=args.chunk_size,
                   backend=args.backend, workers=args.workers, scheduler=args.scheduler,
                   two_way=pair, progress=silent if args.quiet else bars)
    return _budget_options(opts, args) if args.command == "budget" else opts


def _run(args: argparse.Namespace, argv: list[str]) -> int:
    from hecon.models.danger_shock.report import format_summary
    from hecon.models.danger_shock.runner import format_analyses, run_base
    from hecon.report.plots import all_plots
    from hecon.report.workbook import build_workbook

    job = args.command
    analyses = _analyses(args.analyses) if job == "run" else JOBS[job]
    name = args.name or (None if job == "run" else job)
    folder, summaries = run_base(args.country, args.scenario, args.inputs, args.out, name,
                                 command=["hecon", *argv], analyses=analyses,
                                 options=_options(args))
    all_plots(folder)
    build_workbook(folder)
    title = "DanGer Shock model: Impella CP + standard care vs standard care"
    if args.scenario:
        title += f" (scenario {args.scenario})"
    print(title)
    for s in summaries:
        print()
        print(format_summary(s))
        extra = format_analyses(s)
        if extra:
            print(extra)
    print(f"\nResults written to {folder}/ (workbook: {folder}/hecon_report.xlsx)")
    return 0


def _report(args: argparse.Namespace, argv: list[str]) -> int:
    from hecon.report.workbook import build_workbook

    print(f"Workbook written to {build_workbook(args.run_dir)}")
    return 0


def _scenarios(args: argparse.Namespace, argv: list[str]) -> int:
    from hecon.models.danger_shock.config import ModelConfig
    from hecon.models.danger_shock.runner import format_scenarios, run_scenarios, scenarios_dir
    from hecon.scenarios import load_scenarios

    if args.list:
        for name, sc in load_scenarios(scenarios_dir(), ModelConfig.keys()).items():
            print(f"{name:28s} {sc.description}")
        return 0
    folder, table = run_scenarios(args.out, args.inputs, command=["hecon", *argv])
    print(format_scenarios(table))
    print(f"\nScenario table written to {folder}/scenarios.csv")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hecon`` command. Returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    jobs = {"run": _run, "scenarios": _scenarios, "report": _report,
            **{j: _run for j in JOBS}}
    try:
        return jobs[args.command](args, argv)
    except HeconError as exc:
        print(f"hecon: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hecon: interrupted; finished files were kept, no partial file was written",
              file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
