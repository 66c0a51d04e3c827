"""Run manifests: what produced a folder of results, so it can be reproduced months later."""

from __future__ import annotations

import hashlib
import os
import platform
import re
import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

PACKAGES = ("numpy", "pandas", "scipy", "SALib", "openpyxl", "defusedxml", "PyYAML",
            "matplotlib", "tqdm")
RNG = "numpy.random.default_rng (PCG64), standard normal draws through the inverse CDFs"
# lock files of exact versions written by `make lock`, in the repository's requirements/
LOCK_DIR = Path(__file__).resolve().parents[1] / "requirements"
LOCKS = ("dev.lock", "run.lock")
PROJECT = Path(__file__).resolve().parents[1]


def sha256(path: str | Path) -> str:
    """SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def _expand(files: Iterable[str | Path]) -> list[str]:
    """Files as given; a folder stands for the parameter tables it holds."""
    out: set[str] = set()
    for f in files:
        p = Path(f)
        if p.is_dir():
            out.update(str(x) for x in p.iterdir()
                       if x.is_file() and x.suffix.lower() in (".csv", ".xlsx", ".xlsm")
                       and not x.name.startswith((".", "~$")))
        else:
            out.add(str(p))
    return sorted(out)


def portable(path: str | Path, root: str | Path | None = None) -> str:
    """A path as the manifest records it, without the machine's folders: relative to
    ``root`` (the run folder) or the project when the file lies inside one of them, else
    relative to the working directory when inside it, else the bare file name."""
    p = Path(path)
    if not p.is_absolute():
        p = Path.cwd() / p
    p = Path(os.path.normpath(p))
    for base in (root, PROJECT, Path.cwd()):
        if base is None:
            continue
        b = Path(os.path.normpath(Path(base).resolve()))
        if p == b or b in p.parents:
            return p.relative_to(b).as_posix() or "."
        r = p.resolve()
        if r == b or b in r.parents:
            return r.relative_to(b).as_posix() or "."
    return p.name


def portable_command(command: Iterable[str]) -> list[str]:
    """The command line with every absolute path made portable (:func:`portable`)."""
    out = []
    for a in command:
        a = str(a)
        if "=" in a and a.startswith("--") and os.path.isabs(a.split("=", 1)[1]):
            k, v = a.split("=", 1)
            out.append(f"{k}={portable(v)}")
        elif os.path.isabs(a):
            out.append(portable(a))
        else:
            out.append(a)
    return out


def git_commit(folder: str | Path = PROJECT) -> dict[str, Any] | None:
    """The git commit of the checkout hecon runs from (and whether files differ from it),
    or None when hecon is not run from a git checkout or git is absent."""
    folder = Path(folder)
    if not any((d / ".git").exists() for d in (folder, *folder.parents)):
        return None
    try:
        head = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(folder), "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True,
                               timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": head.stdout.strip(),
            "modified": bool(dirty.stdout.strip()) if dirty.returncode == 0 else None}


def _norm(name: str) -> str:
    """A distribution name as PEP 503 compares them (case, '-', '_' and '.' alike)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: str | Path) -> dict[str, str]:
    """Exact pins ``name==version`` of a lock file (comments and other lines ignored), by
    normalised name."""
    pins: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;]+)", line)
        if m:
            pins[_norm(m.group(1))] = m.group(3)
    return pins


def installed_versions() -> dict[str, str]:
    """Versions of every installed distribution, by normalised name."""
    out: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            out.setdefault(_norm(name), dist.version)
    return out


def lock_match(lock_dir: str | Path = LOCK_DIR, locks: Iterable[str] = LOCKS,
               installed: dict[str, str] | None = None) -> dict[str, Any] | None:
    """Which lock file the environment matches: its name, SHA-256, number of pins and the
    packages whose installed version differs from the lock (``{name: {"locked": v,
    "installed": v or None}}``). Of several lock files the one with the fewest differences
    wins, then the one with more pins. None when no lock file is found (hecon installed
    without its repository)."""
    have = installed_versions() if installed is None else installed
    best: tuple[tuple[int, int], dict[str, Any]] | None = None
    for name in locks:
        path = Path(lock_dir) / name
        if not path.is_file():
            continue
        pins = read_lock(path)
        differs = {pkg: {"locked": v, "installed": have.get(pkg)}
                   for pkg, v in sorted(pins.items()) if have.get(pkg) != v}
        rec = {"file": f"requirements/{name}", "sha256": sha256(path), "pins": len(pins),
               "differs": differs}
        key = (len(differs), -len(pins))
        if best is None or key < best[0]:
            best = (key, rec)
    return None if best is None else best[1]


def manifest(command: list[str], files: Iterable[str | Path], seed: int | None = None,
             extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """hecon version, Python and package versions, the lock file the environment matches
    (see :func:`lock_match`), the git commit when run from a checkout (:func:`git_commit`),
    command, seed and the SHA-256 of every input file (a folder is expanded to the parameter
    tables it holds; the YAML files outside ``inputs/``, the scenarios, are listed again
    under ``scenarios``). Paths are
    portable (:func:`portable`): relative to the project or the working directory, never the
    machine's folders."""
    from hecon import __version__

    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    inputs: dict[str, str] = {}
    for f in _expand(files):
        inputs[portable(f)] = sha256(f)
    return {
        "hecon_version": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": versions,
        "lock": lock_match(),
        "git": git_commit(),
        "command": portable_command(command),
        "seed": seed,
        "rng": RNG,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": inputs,
        "scenarios": {k: v for k, v in inputs.items() if k.endswith((".yaml", ".yml"))
                      and not k.startswith("inputs/")},
        **(extra or {}),
    }


def input_frame(table: Any, key: str) -> pd.DataFrame:
    """A run's ``parameters.csv`` rows for one set of inputs: the parameter table in the input
    columns (:meth:`hecon.parameters.ParameterTable.to_input_frame`, so ``hecon run --inputs
    parameters.csv`` reads it back and gives the same results), with the set's key in
    ``country`` and the file and row each parameter was read from."""
    df = table.to_input_frame()
    df.insert(0, "country", key)
    df["file"] = [Path(p.file).name for p in table]
    df["row"] = [p.row for p in table]
    return df
