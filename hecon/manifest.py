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

PACKAGES = ("numpy", "pandas", "scipy", "SALib", "openpyxl", "PyYAML", "matplotlib")


def sha256(path: str | Path) -> str:
    """SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def manifest(command: list[str], files: Iterable[str | Path], seed: int | None = None,
             extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """hecon version, Python and package versions, command, seed and input checksums."""
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
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": {str(Path(f)): sha256(f) for f in sorted({str(Path(x)) for x in files})},
        **(extra or {}),
    }
