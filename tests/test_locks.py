"""The lock files agree with pyproject.toml: every pin lies in the declared range, the run
lock holds no test tool, the dev lock pins the run lock's packages to the same versions, and
requirements/min.txt pins exactly the declared floors (what `make test-min` tests)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from hecon.manifest import read_lock

ROOT = Path(__file__).resolve().parents[1]
REQ = ROOT / "requirements"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _requirements(extras: tuple[str, ...] = ()) -> list[Requirement]:
    p = _project()
    reqs = [Requirement(r) for r in p["dependencies"]]
    for e in extras:
        reqs += [Requirement(r) for r in p["optional-dependencies"][e]]
    return reqs


@pytest.mark.parametrize("lock, extras", [("run.lock", ()), ("dev.lock", ("dev", "dask"))])
def test_every_declared_requirement_is_pinned_within_its_range(lock, extras):
    pins = read_lock(REQ / lock)
    for r in _requirements(extras):
        name = _norm(r.name)
        assert name in pins, f"{r.name} is declared in pyproject.toml but not pinned in {lock}"
        assert Version(pins[name]) in r.specifier, f"{lock} pins {r.name}=={pins[name]}, " \
                                                   f"outside pyproject.toml's {r.specifier}"


def test_run_lock_is_the_dev_lock_without_test_tools():
    run, dev = read_lock(REQ / "run.lock"), read_lock(REQ / "dev.lock")
    assert {k: dev.get(k) for k in run} == run  # same versions for the shared packages
    for tool in ("pytest", "hypothesis", "ruff", "dask", "distributed", "formulas"):
        assert tool not in run and tool in dev


def test_min_requirements_are_the_declared_floors():
    floors = {}
    for r in _requirements():
        lows = [s.version for s in r.specifier if s.operator == ">="]
        assert len(lows) == 1, f"{r.name} needs one '>=' floor in pyproject.toml"
        floors[_norm(r.name)] = Version(lows[0])
    mins = {k: Version(v) for k, v in read_lock(REQ / "min.txt").items()}
    assert mins == floors
