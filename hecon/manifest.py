"""Run manifests: what produced a folder of results, so it can be reproduced months later."""

from __future__ import annotations

import hashlib
import platform
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("numpy", "pandas", "scipy", "SALib", "openpyxl", "defusedxml", "PyYAML",
            "matplotlib", "tqdm")
RNG = "numpy.random.default_rng (PCG64), standard normal draws through the inverse CDFs"
# lock files of exact versions written by `make lock`, in the repository's requirements/
LOCK_DIR = Path(__file__).resolve().parents[1] / "requirements"
LOCKS = ("dev.lock", "run.lock")


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
    (see :func:`lock_match`), command, seed and the SHA-256 of every input file (a folder is
    expanded to the parameter tables it holds)."""
    from hecon import __version__

    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "hecon_version": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": versions,
        "lock": lock_match(),
        "command": command,
        "seed": seed,
        "rng": RNG,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": {f: sha256(f) for f in _expand(files)},
        **(extra or {}),
    }
