"""Sampled mutation testing of hecon with cosmic-ray (``make mutation``; docs/testing.md).

Each target is a group of source modules and the test files that exercise them. For each
target the driver asks cosmic-ray for every mutant of the modules, drops operators that only
make type errors on floats (bit and shift operators), draws a seeded random sample, and runs
each sampled mutant against the target's own test files (``pytest -x``) in a private copy of
the repository under ``outputs/mutation/work`` (the worktree is never mutated). A target stops
when its share of the time budget is spent; what ran is scored. Results: one cosmic-ray
session database per target (``outputs/mutation/<target>.sqlite``, readable with
``cr-report``), ``outputs/mutation/report.md`` (score per target and per module, the diff of
every surviving mutant) and ``outputs/mutation/results.json``.

Usage:
    nice -n 19 python tools/mutation.py [--budget-minutes 30] [--only engine,voi] [--seed 18]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "outputs" / "mutation"
WORK = OUT / "work"

#: operators left out: on float arrays they raise TypeError at once (killed for free) and say
#: nothing about the tests' strength
EXCLUDED_OPERATOR_PARTS = ("RShift", "LShift", "BitOr", "BitAnd", "BitXor", "Invert")


@dataclass(frozen=True)
class Target:
    """A group of modules, the tests that exercise them, and their share of the budget."""

    name: str
    modules: tuple[str, ...]
    tests: tuple[str, ...]
    sample: int  # mutants drawn (at most)
    share: float  # fraction of the time budget


ENGINE = tuple(
    f"hecon/engine/{m}.py"
    for m in (
        "accumulate", "counting", "discount", "evaluate", "markov", "matrices", "params",
        "psm", "rates", "results", "settings", "states", "strategy", "tree", "vectorised",
    )
)

#: the time-vectorised Markov path and the modules it changed (sampled on their own so that
#: new code gets a sample of its own size)
ENGINE_VECTORISED = tuple(f"hecon/engine/{m}.py" for m in ("vectorised", "markov", "accumulate"))

#: tests written to kill surviving mutants of the analyses (docs/testing.md)
MUTANT_TESTS = "tests/analysis/test_analysis_mutants.py"

TARGETS: tuple[Target, ...] = (
    Target("engine", ENGINE, ("tests/engine",), 80, 0.22),
    Target("engine_vectorised", ENGINE_VECTORISED, ("tests/engine",), 30, 0.10),
    Target("voi", ("hecon/analysis/voi.py",), (
        "tests/analysis/test_analysis_voi.py", "tests/analysis/test_analysis_voi_independent.py",
        "tests/analysis/test_analysis_voi_gp.py", "tests/analysis/test_analysis_voi_survivors.py",
        MUTANT_TESTS,
    ), 20, 0.14),
    Target("incremental", ("hecon/analysis/incremental.py",),
           ("tests/analysis/test_analysis_incremental.py",
            "tests/analysis/test_analysis_grouping.py", MUTANT_TESTS), 20, 0.10),
    Target("psa", ("hecon/analysis/psa.py",), (
        "tests/analysis/test_analysis_psa.py", "tests/analysis/test_analysis_grouping.py",
        MUTANT_TESTS,
    ), 20, 0.08),
    Target("threshold_oneway", ("hecon/analysis/threshold.py", "hecon/analysis/oneway.py"),
           ("tests/analysis/test_analysis_threshold_oneway.py", MUTANT_TESTS,
            "tests/analysis/test_analysis_design_mutants.py"), 20, 0.08),
    Target("design", ("hecon/design.py",), (
        "tests/test_design.py", "tests/analysis/test_analysis_design_correlation.py",
        "tests/analysis/test_analysis_design_mutants.py",
    ), 20, 0.08),
    Target("distributions", ("hecon/distributions.py",),
           ("tests/test_parameters.py", "tests/test_design.py",
            "tests/analysis/test_analysis_distribution_mutants.py"), 20, 0.08),
    Target("danger_shock", (
        "hecon/models/danger_shock/model.py", "hecon/models/danger_shock/structure.py",
        "hecon/models/danger_shock/psm.py",
    ), (
        "tests/danger_shock/test_numpy_reference.py", "tests/danger_shock/test_long_term.py",
        "tests/danger_shock/test_model_mutants.py",
    ), 15, 0.22),
)

#: what is copied into the private work tree (tests may read docs, inputs, scenarios)
COPIED = ("hecon", "tests", "inputs", "scenarios", "examples", "docs", "benchmarks",
          "pyproject.toml", "README.md")


def _copy_tree() -> None:
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, WORK / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, WORK / name)


def _test_command(target: Target) -> str:
    tests = " ".join(t for t in target.tests if (WORK / t).exists())
    return f"{sys.executable} -m pytest -x -q -p no:cacheprovider {tests}"


def _baseline(command: str) -> float:
    start = time.monotonic()
    proc = subprocess.run(command.split(), cwd=WORK, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"the unmutated tests fail, fix them first:\n{proc.stdout[-3000:]}")
    return time.monotonic() - start


def run_target(target: Target, budget_s: float, seed: int, previous: dict | None = None) -> dict:
    """Sample and run the mutants of one target; return its tallies and survivors. With
    ``previous`` (this target's earlier result), run again only the mutants that survived
    it and keep its other outcomes (to check that new tests kill them)."""
    from cosmic_ray.commands.init import init
    from cosmic_ray.mutating import mutate_and_test
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

    command = _test_command(target)
    base = _baseline(command)
    timeout = max(30.0, 4.0 * base)
    db_path = OUT / f"{target.name}.sqlite"
    db_path.unlink(missing_ok=True)
    with use_db(str(db_path), WorkDB.Mode.create) as db:
        init([Path(m) for m in target.modules], db, {})
        items = [
            w for w in db.work_items
            if not any(p in w.mutations[0].operator_name for p in EXCLUDED_OPERATOR_PARTS)
        ]
        n_total = len(items)
        rng = random.Random(f"{seed}:{target.name}")
        rng.shuffle(items)
        chosen = items[: target.sample]
        kept: list[dict] = []
        if previous is not None:
            again = {(r["module"], r["operator"], r["occurrence"])
                     for r in previous["rows"] if r["outcome"] == "survived"}
            chosen = [w for w in items if (str(w.mutations[0].module_path),
                                           w.mutations[0].operator_name,
                                           w.mutations[0].occurrence) in again]
            kept = [r for r in previous["rows"] if r["outcome"] != "survived"]
            budget_s = float("inf")
        chosen_ids = {w.job_id for w in chosen}
        skipped = [w.job_id for w in db.work_items if w.job_id not in chosen_ids]
        db.set_multiple_results(skipped, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))
        start = time.monotonic()
        rows = []
        for i, item in enumerate(chosen):
            if time.monotonic() - start > budget_s:
                print(f"  {target.name}: budget spent after {i} mutants", flush=True)
                break
            result = mutate_and_test(item.mutations, command, timeout)
            db.set_result(item.job_id, result)
            m = item.mutations[0]
            if result.worker_outcome == WorkerOutcome.NO_TEST:
                outcome = "no-test"
            elif result.output == "timeout":
                outcome = "timeout"
            else:
                outcome = str(result.test_outcome.value) if result.test_outcome else "error"
            rows.append({
                "module": str(m.module_path), "operator": m.operator_name,
                "occurrence": m.occurrence, "line": m.start_pos[0],
                "function": m.definition_name, "outcome": outcome,
                "diff": result.diff if outcome == TestOutcome.SURVIVED.value else None,
            })
            print(f"  {target.name} {i + 1}/{len(chosen)} {m.module_path}:{m.start_pos[0]} "
                  f"{m.operator_name} -> {outcome}", flush=True)
    # restore the copy in case an interrupted mutation left a file changed
    for mod in target.modules:
        shutil.copy2(ROOT / mod, WORK / mod)
    sampled = previous["sampled"] if previous is not None else len(chosen)
    return {"target": target.name, "modules": list(target.modules), "tests": list(target.tests),
            "mutants_total": n_total, "sampled": sampled, "baseline_s": round(base, 1),
            "elapsed_s": round(time.monotonic() - start, 1), "rows": kept + rows}


def _tally(rows: list[dict]) -> dict:
    killed = sum(r["outcome"] in ("killed", "timeout") for r in rows)
    survived = sum(r["outcome"] == "survived" for r in rows)
    other = len(rows) - killed - survived
    run = killed + survived
    return {"run": run, "killed": killed, "survived": survived, "not_run": other,
            "score": round(100.0 * killed / run, 1) if run else None}


def write_report(results: list[dict], budget_min: float, seed: int) -> None:
    """Write report.md and results.json under outputs/mutation/."""
    lines = ["# Mutation testing report", "",
             f"cosmic-ray, seed {seed}, budget {budget_min:g} min, one worker; "
             "score = killed / (killed + survived) of the mutants run.", "",
             "| target | module | mutants | sampled | run | killed | survived | score % |",
             "|---|---|---|---|---|---|---|---|"]
    for res in results:
        t = _tally(res["rows"])
        lines.append(f"| {res['target']} | (all) | {res['mutants_total']} | {res['sampled']} | "
                     f"{t['run']} | {t['killed']} | {t['survived']} | {t['score']} |")
        for mod in res["modules"]:
            rows = [r for r in res["rows"] if r["module"] == mod]
            if rows:
                m = _tally(rows)
                lines.append(f"| | {mod} | | | {m['run']} | {m['killed']} | {m['survived']} | "
                             f"{m['score']} |")
    lines += ["", "## Surviving mutants", ""]
    for res in results:
        for r in res["rows"]:
            if r["outcome"] == "survived":
                lines += [f"### {r['module']}:{r['line']} `{r['function']}` {r['operator']}", "",
                          "```diff", (r["diff"] or "").strip(), "```", ""]
    (OUT / "report.md").write_text("\n".join(lines) + "\n")
    (OUT / "results.json").write_text(json.dumps(results, indent=1))


def main(argv: list[str] | None = None) -> int:
    """Run the sampled mutation testing of every target (or those named by --only)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget-minutes", type=float, default=30.0)
    ap.add_argument("--only", default="", help="comma-separated target names")
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every sample size")
    ap.add_argument("--fresh", action="store_true", help="forget earlier results")
    ap.add_argument("--survivors", action="store_true",
                    help="run again only the mutants that survived the last run (after new "
                         "tests), keeping the other outcomes")
    args = ap.parse_args(argv)
    wanted = {s for s in args.only.split(",") if s}
    targets = [t for t in TARGETS if not wanted or t.name in wanted]
    unknown = wanted - {t.name for t in TARGETS}
    if unknown:
        ap.error(f"unknown target(s) {sorted(unknown)}; known: {[t.name for t in TARGETS]}")
    OUT.mkdir(parents=True, exist_ok=True)
    if args.fresh:
        (OUT / "results.json").unlink(missing_ok=True)
    _copy_tree()
    os.chdir(WORK)
    os.environ["PYTHONPATH"] = str(WORK)  # the tests import the mutated copy, nothing else
    check = subprocess.run([sys.executable, "-c", "import hecon; print(hecon.__file__)"],
                           capture_output=True, text=True, cwd=WORK).stdout.strip()
    if not check.startswith(str(WORK)):
        raise SystemExit(f"hecon imports from {check}, not from the copy {WORK}")
    share = sum(t.share for t in targets)
    # keep earlier results of targets not run this time (a report can be built in parts)
    old = json.loads((OUT / "results.json").read_text()) if (OUT / "results.json").exists() else []
    names = {t.name for t in targets}
    results = [r for r in old if r["target"] not in names]
    before = {r["target"]: r for r in old}
    for t in targets:
        t = Target(t.name, t.modules, t.tests, max(1, round(t.sample * args.scale)), t.share)
        budget = 60.0 * args.budget_minutes * t.share / share
        print(f"{t.name}: {t.sample} of its mutants, {budget / 60:.1f} min", flush=True)
        prev = before.get(t.name) if args.survivors else None
        if args.survivors and prev is None:
            print(f"{t.name}: no earlier result, skipped", flush=True)
            continue
        results.append(run_target(t, budget, args.seed, prev))
        write_report(results, args.budget_minutes, args.seed)
    print(f"report: {OUT / 'report.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
