"""Command-line interface: ``hecon --help``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hecon import __version__
from hecon.errors import HeconError, InputError

ANALYSES = ("base", "scenarios", "oneway", "psa", "voi", "gsa")
JOBS = {  # the analyses each sub-command runs (the base case always)
    "dsa": ("base", "oneway"),
    "psa": ("base", "psa"),
    "voi": ("base", "psa", "voi"),
    "gsa": ("base", "gsa"),
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


def _model_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="NAME_OR_PATH",
                   help="the model: a registered name (default danger_shock) or a .py file "
                   "or package defining HECON_MODEL")


def _common(p: argparse.ArgumentParser) -> None:
    _model_option(p)
    p.add_argument("--country", "--set", dest="country", action="append",
                   help="set of inputs, e.g. a country set (repeatable; default: all the "
                   "model's sets)")
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
        description="Health-economic evaluation of cohort models: base case, scenarios, "
        "one-way, probabilistic, value-of-information and global sensitivity analyses, "
        "written to a run folder with an Excel workbook. --model chooses the model (default: "
        "the flagship, danger_shock).",
    )
    parser.add_argument("--version", action="version", version=f"hecon {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="the main job: every analysis for every set of inputs",
                         description="Run the model (--model; default danger_shock) on its "
                         "default inputs (or --inputs): base case, all scenarios, one-way, "
                         "PSA, value of information and Sobol, for each of its sets (e.g. "
                         "country sets); writes tables, PNG plots, a manifest and an Excel "
                         "workbook into the run folder.")
    _common(run)
    run.add_argument("--analyses", default="all",
                     help="comma-separated subset of: " + ",".join(ANALYSES) + " (default all; "
                     "e.g. --analyses base for a quick look)")
    _analysis_options(run)

    helps = {
        "dsa": ("one-way (tornado), threshold price and optional two-way analysis",
                "Every parameter at its low and high value: tornado data on INMB and ICER, "
                "the price headroom curve (models with a price parameter), and with "
                "--two-way A,B a 9 x 9 grid."),
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

    rep = sub.add_parser("report", help="rebuild the Excel workbook of a run folder",
                         description="Rebuild <RUN_DIR>/hecon_report.xlsx from what the run "
                         "folder holds.")
    rep.add_argument("run_dir", metavar="RUN_DIR")
    rep.add_argument("--model", metavar="NAME_OR_PATH",
                     help="the model whose report texts to use (default: the one named in "
                     "the run folder's summary.json, else danger_shock)")

    scen = sub.add_parser("scenarios", help="run every named scenario; one table",
                          description="Run every scenario in scenarios/ and print one table.")
    _model_option(scen)
    scen.add_argument("--list", action="store_true", help="only list the scenarios")
    scen.add_argument("--inputs", help="parameter table replacing the default inputs")
    scen.add_argument("--out", help="output folder (default outputs/scenarios)")
    return parser


def _options(args: argparse.Namespace, plugin: object = None) -> object:
    """The analysis options of the command line, in the plug-in's ``options_class`` (the
    flagship's) or :class:`hecon.runner.Options`; options a model's class lacks are left out
    (they do not apply to that model)."""
    from dataclasses import fields

    from hecon.progress import bars, silent
    from hecon.runner import Options as Generic

    cls = getattr(plugin, "options_class", None) or Generic
    known = {f.name for f in fields(cls)}

    def Options(**kw: object) -> object:  # noqa: N802 (stands for the class)
        return cls(**{k: v for k, v in kw.items() if k in known})

    two = getattr(args, "two_way", None)
    pair = None
    if two:
        pair = tuple(x.strip() for x in two.split(","))
        if len(pair) != 2:
            raise InputError(f"--two-way needs two parameter names A,B, got {two!r}")
    return Options(psa_draws=args.draws, seed=args.seed, sobol_n=args.sobol_n,
                   gsa_method=getattr(args, "method", "sobol"), chunk_size=args.chunk_size,
                   backend=args.backend, workers=args.workers, scheduler=args.scheduler,
                   two_way=pair, progress=silent if args.quiet else bars)


def _texts(plugin: object, folder: object) -> dict:
    """Report texts of a run folder: the plug-in's, from the folder's summary.json."""
    import json
    from pathlib import Path

    summary = json.loads((Path(str(folder)) / "summary.json").read_text(encoding="utf-8"))
    return summary.get("report") or plugin.report_texts(summary)  # type: ignore[attr-defined]


def _run(args: argparse.Namespace, argv: list[str]) -> int:
    from hecon import runner
    from hecon.plugin import load_plugin
    from hecon.report.plots import all_plots
    from hecon.report.workbook import build_workbook

    plugin = load_plugin(args.model)
    job = args.command
    analyses = _analyses(args.analyses) if job == "run" else JOBS[job]
    name = args.name or (None if job == "run" else job)
    folder, summaries = runner.run_model(plugin, args.country, args.scenario, args.inputs,
                                         args.out, name, command=["hecon", *argv],
                                         analyses=analyses, options=_options(args, plugin))
    texts = _texts(plugin, folder)
    all_plots(folder, texts=texts)
    build_workbook(folder, texts=texts)
    format_summary = getattr(plugin, "format_summary", runner.format_summary)
    format_analyses = getattr(plugin, "format_analyses", None) or (
        lambda s: runner.format_analyses(s, texts.get("parameter_labels")))
    title = plugin.title
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
    import json
    from pathlib import Path

    from hecon.plugin import load_plugin
    from hecon.report.workbook import build_workbook

    path = Path(args.run_dir) / "summary.json"
    texts = None
    if path.is_file():
        summary = json.loads(path.read_text(encoding="utf-8"))
        if args.model or not summary.get("report"):
            plugin = load_plugin(args.model or summary.get("plugin"))
            texts = plugin.report_texts(summary)
    print(f"Workbook written to {build_workbook(args.run_dir, texts=texts)}")
    return 0


def _scenarios(args: argparse.Namespace, argv: list[str]) -> int:
    from hecon import runner
    from hecon.plugin import load_plugin

    plugin = load_plugin(args.model)
    if args.list:
        for name, sc in runner.list_scenarios(plugin).items():
            print(f"{name:28s} {sc.description}")
        return 0
    folder, table = runner.run_scenarios(plugin, args.out, args.inputs,
                                         command=["hecon", *argv])
    fmt = getattr(plugin, "format_scenarios", None)
    print(fmt(table) if callable(fmt) else table.to_string(index=False))
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
