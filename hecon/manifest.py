"""Run manifests: what produced a folder of results, so it can be reproduced months later."""

from __future__ import annotations

import hashlib
import platform
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("numpy", "pandas", "scipy", "SALib", "openpyxl", "defusedxml", "PyYAML",
            "matplotlib", "tqdm")
RNG = "numpy.random.default_rng (PCG64), standard normal draws through the inverse CDFs"


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


def manifest(command: list[str], files: Iterable[str | Path], seed: int | None = None,
             extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """hecon version, Python and package versions, command, seed and the SHA-256 of every
    input file (a folder is expanded to the parameter tables it holds)."""
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
        "command": command,
        "seed": seed,
        "rng": RNG,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": {f: sha256(f) for f in _expand(files)},
        **(extra or {}),
    }
