"""Command-line interface: ``hecon --help``."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

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


MAX_CHUNK = 10_000_000  # rows evaluated at once; more is never faster and may exhaust memory
MAX_SEED = 2**64 - 1


class _Parser(argparse.ArgumentParser):
    """Argument errors as one ``hecon: error:`` line (exit 2), like every other error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sub = self.prog.removeprefix("hecon").strip()
        print(f"hecon: error: {sub + ': ' if sub else ''}{message} (see 'hecon "
              f"{sub + ' ' if sub else ''}--help')", file=sys.stderr)
        sys.exit(2)


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


def _whole(text: str) -> int:
    """A whole number, also written as 1e4 or 10_000."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        x = float(text)
    except ValueError:
        x = float("nan")
    if not x.is_integer():
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    return int(x)


def _positive(text: str) -> int:
    v = _whole(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {v}")
    return v


def _seed(text: str) -> int:
    v = _whole(text)
    if not 0 <= v <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"a seed is a whole number from 0 to 2^64 - 1, got {v}")
    return v


def _chunk(text: str) -> int:
    v = _positive(text)
    if v > MAX_CHUNK:
        raise argparse.ArgumentTypeError(f"at most {MAX_CHUNK:,} rows at once, got {v:,}; "
                                         "larger chunks are not faster and may exhaust memory")
    return v


def _analysis_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("uncertainty analyses")
    g.add_argument("-n", "--draws", type=_positive, default=10_000,
                   help="PSA draws (default 10000)")
    g.add_argument("--seed", type=_seed, default=20240404, help="random seed (default 20240404)")
    g.add_argument("--sobol-n", type=_positive, default=1024,
                   help="Sobol base sample size, a power of 2 (default 1024)")
    g.add_argument("--chunk-size", type=_chunk, default=10_000,
                   help="rows evaluated at once (bounds memory; default 10000)")
    g.add_argument("--backend", choices=["auto", "inprocess", "processes", "dask"],
                   default="auto", help="where chunks run (default auto: both CPUs' worth of "
                   "processes for designs of 4,000 rows or more, else this process)")
    g.add_argument("--workers", type=_positive, help="worker processes (processes/dask)")
    g.add_argument("--scheduler", help="Dask scheduler address (default: a local cluster)")
    g.add_argument("--quiet", action="store_true", help="no progress bars")


def _sizes(text: str) -> tuple[int, ...]:
    out = tuple(_positive(x.strip()) for x in text.split(",") if x.strip())
    if not out:
        raise argparse.ArgumentTypeError(f"expected sample sizes such as 50,100,200, got "
                                         f"{text!r}")
    return out


def _evsi_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("value of a proposed study (EVSI, ENBS)")
    g.add_argument("--evsi-n", type=_sizes, default=(), metavar="N1,N2,...",
                   help="sample sizes per arm: writes evsi_<country>.csv (EVSI, SE, ENBS)")
    g.add_argument("--evsi-group", metavar="NAME", help="parameter the study informs "
                   "(default: the long-term effect hr_death_longterm)")


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level argument parser with one sub-command per job."""
    parser = _Parser(
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
        if job == "voi":
            _evsi_options(p)

    _budget_parser(sub)

    xl = sub.add_parser("excel", help="write the live Excel formula model of the base case",
                        description="Write hecon_model.xlsx: the base case of the flagship "
                        "model in worksheet formulas (named inputs, trace per arm and sex, "
                        "results as defined names), readable back with --inputs.")
    xl.add_argument("--country", action="append", help="country set (repeatable; default all)")
    xl.add_argument("--inputs", help="parameter table replacing the default inputs")
    xl.add_argument("--out", default="outputs/hecon_model.xlsx",
                    help="the workbook to write (default outputs/hecon_model.xlsx)")
    xl.add_argument("--model", metavar="NAME_OR_PATH", help="model (default danger_shock)")

    rep = sub.add_parser("report", help="rebuild the Excel workbook of a run folder",
                         description="Rebuild <RUN_DIR>/hecon_report.xlsx from what the run "
                         "folder holds.")
    rep.add_argument("run_dir", metavar="RUN_DIR")
    rep.add_argument("--model", metavar="NAME_OR_PATH",
                     help="the model whose report texts to use (default: the one named in "
                     "the run folder's summary.json, else danger_shock)")

    scen = sub.add_parser("scenarios", help="run every named scenario; one table",
                          description="Run every scenario in scenarios/ for a country set "
                          "(default: every set) at each of its thresholds; one table with the "
                          "change against the base case and whether the decision changes.")
    _model_option(scen)
    scen.add_argument("--list", action="store_true", help="only list the scenarios")
    scen.add_argument("--country", action="append", metavar="SET",
                      help="country set, e.g. dk (repeatable; default: every set of the model)")
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


def _budget_options(opts: object, args: argparse.Namespace, plugin: object = None) -> object:
    """The analysis options plus the budget settings, in the plug-in's
    ``budget_options_class`` (a model without one has no budget analysis)."""
    from dataclasses import asdict

    budget_options = getattr(plugin, "budget_options_class", None)
    if budget_options is None:
        raise InputError(f"model {getattr(plugin, 'name', plugin)!r} has no budget impact "
                         "analysis")
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
    return budget_options(**asdict(opts), patients=patients, years=args.years, uptake=uptake,
                          perspective=args.perspective)


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
    opts = Options(psa_draws=args.draws, seed=args.seed, sobol_n=args.sobol_n,
                   gsa_method=getattr(args, "method", "sobol"), chunk_size=args.chunk_size,
                   backend=args.backend, workers=args.workers, scheduler=args.scheduler,
                   two_way=pair, progress=silent if args.quiet else bars,
                   evsi_n=getattr(args, "evsi_n", ()),
                   evsi_group=getattr(args, "evsi_group", None))
    return _budget_options(opts, args, plugin) if args.command == "budget" else opts


def _run_name(args: argparse.Namespace) -> str:
    """The run's name, checked to be a plain folder name: --name, else the command (dsa,
    psa, ...), else the scenario's name, else base_case."""
    from hecon.runfolder import check_name

    if args.name is not None:
        return check_name(args.name)
    if args.command != "run":
        return args.command
    if not args.scenario:
        return "base_case"
    from hecon.scenarios import is_scenario_path

    p = Path(args.scenario)
    stem = p.stem if is_scenario_path(args.scenario) else args.scenario
    return check_name(stem, "run name taken from the scenario (give --name)")


def _check_sizes(args: argparse.Namespace, analyses: tuple[str, ...]) -> None:
    """Refuse, before any computation, a sample too large for this machine's memory (a
    lower bound: one value per row; the designs check again with every parameter)."""
    from hecon.limits import check_memory

    if {"psa", "voi"} & set(analyses):
        check_memory(args.draws, 1, "PSA draws")
    if "gsa" in analyses:
        check_memory(args.sobol_n * 4, 1, "Sobol' design", option="--sobol-n")


def _texts(plugin: object, folder: object) -> dict:
    """Report texts of a run folder: the plug-in's, from the folder's summary.json."""
    import json
    from pathlib import Path

    summary = json.loads((Path(str(folder)) / "summary.json").read_text(encoding="utf-8"))
    return summary.get("report") or plugin.report_texts(summary)  # type: ignore[attr-defined]


def _run(args: argparse.Namespace, argv: list[str]) -> int:
    from hecon import runner
    from hecon.plugin import load_plugin
    from hecon.progress import bars, silent
    from hecon.report.plots import plot_worker, plots_meanwhile
    from hecon.report.workbook import build_workbook
    from hecon.runfolder import check_target, staged_run

    plugin = load_plugin(args.model)
    job = args.command
    analyses = _analyses(args.analyses) if job == "run" else JOBS[job]
    _check_sizes(args, analyses)
    name = _run_name(args)
    folder = check_target(Path(args.out) if args.out else Path("outputs") / name)
    with staged_run(folder) as stage, plot_worker(stage.path) as worker:
        # all or nothing: the folder is replaced at the end; the plot process is started
        # now, so that its imports overlap the analyses
        _, summaries = runner.run_model(plugin, args.country, args.scenario, args.inputs,
                                        str(stage.path), name, command=["hecon", *argv],
                                        analyses=analyses, options=_options(args, plugin))
        texts = _texts(plugin, stage.path)
        live = getattr(plugin, "live_model", None)
        live = live if callable(live) and job == "run" and not args.scenario else None
        bar = (silent if args.quiet else bars)("Workbooks and plots", 2 if live else 1,
                                               unit="workbook")
        try:
            # the plots shared with the other process
            with plots_meanwhile(stage.path, texts=texts, worker=worker):
                build_workbook(stage.path, texts=texts)
                bar.update(1)
                if live is not None:  # the base case in formulas
                    live(stage.path, [s["country"] for s in summaries], args.inputs)
                    bar.update(1)
        finally:
            bar.close()
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


def _excel(args: argparse.Namespace, argv: list[str]) -> int:
    from hecon.plugin import load_plugin

    plugin = load_plugin(args.model)
    live = getattr(plugin, "live_model", None)
    if not callable(live):
        raise InputError(f"model {plugin.name!r} has no live Excel model")
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise InputError(f"--out must name an .xlsx file, got {args.out!r}")
    from hecon.runfolder import check_file_target

    check_file_target(out)  # before the model is built
    if out.is_dir():
        raise InputError(f"--out {args.out!r} is a folder; name the .xlsx file to write")
    sets = args.country or list(plugin.sets())
    written = live(out.parent, sets, args.inputs)
    if written.name != out.name:
        written = written.replace(out)
    print(f"Live Excel model written to {written}")
    return 0


def _report(args: argparse.Namespace, argv: list[str]) -> int:
    from hecon.plugin import load_plugin
    from hecon.report.workbook import REPORT_NAME, build_workbook
    from hecon.runfolder import read_summary, staged_run, verify

    verify(args.run_dir, rebuildable=(REPORT_NAME,))
    summary = read_summary(args.run_dir)
    texts = None
    try:
        if args.model or not summary.get("report"):
            plugin = load_plugin(args.model or summary.get("plugin"))
            texts = plugin.report_texts(summary)
        with staged_run(args.run_dir) as stage:  # the folder is replaced whole, or left alone
            verify(args.run_dir, rebuildable=(REPORT_NAME,))  # again, under the lock
            stage.carry_over(exclude=(REPORT_NAME,))
            build_workbook(stage.path, texts=texts)
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
        if isinstance(exc, HeconError):
            raise
        raise InputError(f"the run folder's summary or tables are not what hecon writes "
                         f"({type(exc).__name__}: {str(exc)[:80]}); run the analysis again",
                         file=args.run_dir) from None
    print(f"Workbook written to {Path(args.run_dir) / REPORT_NAME}")
    return 0


def _scenarios(args: argparse.Namespace, argv: list[str]) -> int:
    from hecon import runner
    from hecon.plugin import load_plugin

    plugin = load_plugin(args.model)
    if args.list:
        for name, sc in runner.list_scenarios(plugin).items():
            print(f"{name:28s} {sc.description}")
        return 0
    from hecon.runfolder import check_target

    check_target(args.out or Path("outputs") / "scenarios")
    folder, table = runner.run_scenarios(plugin, args.out, args.inputs,
                                         command=["hecon", *argv],
                                         countries=args.country)
    fmt = getattr(plugin, "format_scenarios", None)
    print(fmt(table) if callable(fmt) else table.to_string(index=False))
    print(f"\nScenario table written to {folder}/scenarios.csv")
    return 0


def _show_warning(message: Warning | str, category: type[Warning], *args: object,
                  **kwargs: object) -> None:
    print(f"hecon: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hecon`` command. Returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argument errors (one line, exit 2), --help and --version
        return exc.code if isinstance(exc.code, int) else 2
    if args.command is None:
        parser.print_help()
        return 0
    jobs = {"run": _run, "scenarios": _scenarios, "report": _report, "excel": _excel,
            **{j: _run for j in JOBS}}
    try:
        with warnings.catch_warnings():  # hecon's warnings as one 'hecon: warning:' line each
            warnings.simplefilter("always", UserWarning)
            warnings.showwarning = _show_warning
            return jobs[args.command](args, argv)
    except HeconError as exc:
        print(f"hecon: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the file system refused (disk full, permissions, ...)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"hecon: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        from hecon.runfolder import Terminated

        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        state = ("the run had just been written in full" if getattr(exc, "run_written", False)
                 else "the output folder was left as it was before this run")
        print(f"hecon: {what}; {state} (no partial or temporary file)", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
