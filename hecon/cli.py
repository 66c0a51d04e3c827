"""Command-line interface: ``hecon --help``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hecon import __version__
from hecon.errors import HeconError, InputError

ANALYSES = ("base", "scenarios", "oneway", "psa", "voi", "gsa")


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


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level argument parser with one sub-command per job."""
    parser = argparse.ArgumentParser(
        prog="hecon",
        description="Health-economic evaluation: Impella CP vs standard care in "
        "STEMI-related cardiogenic shock (DanGer Shock), and a general cohort-model engine.",
    )
    parser.add_argument("--version", action="version", version=f"hecon {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="the main job: base case for both country sets",
                         description="Run the DanGer Shock model on the embedded default inputs "
                         "(or --inputs) and write summary.json, CSVs and a manifest.")
    run.add_argument("--country", choices=["dk", "uk"], action="append",
                     help="country set (repeatable; default: all)")
    run.add_argument("--scenario", help="scenario name (see 'hecon scenarios --list') or a "
                     "YAML file")
    run.add_argument("--inputs", help="parameter table (CSV/XLSX file or folder) replacing the "
                     "default inputs")
    run.add_argument("--out", help="output folder (default outputs/<run name>)")
    run.add_argument("--name", help="run name (default: base_case or the scenario name)")
    run.add_argument("--analyses", default="all",
                     help="comma-separated subset of: " + ",".join(ANALYSES) + " (default all; "
                     "e.g. --analyses base for a quick look)")

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


def _run(args: argparse.Namespace, argv: list[str]) -> int:
    from hecon.models.danger_shock.report import format_summary
    from hecon.models.danger_shock.runner import run_base
    from hecon.report.workbook import build_workbook

    analyses = _analyses(args.analyses)
    folder, summaries = run_base(args.country, args.scenario, args.inputs, args.out, args.name,
                                 command=["hecon", *argv], analyses=analyses)
    from hecon.report.plots import base_plots

    base_plots(folder)
    build_workbook(folder)
    title = "DanGer Shock model: Impella CP + standard care vs standard care"
    if args.scenario:
        title += f" (scenario {args.scenario})"
    print(title)
    for s in summaries:
        print()
        print(format_summary(s))
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
    jobs = {"run": _run, "scenarios": _scenarios, "report": _report}
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
