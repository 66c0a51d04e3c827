"""Command-line interface: ``hecon --help``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hecon import __version__
from hecon.errors import HeconError


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level argument parser with one sub-command per job."""
    parser = argparse.ArgumentParser(
        prog="hecon",
        description="Health-economic evaluation: Impella CP vs standard care in "
        "STEMI-related cardiogenic shock (DanGer Shock), and a general cohort-model engine.",
    )
    parser.add_argument("--version", action="version", version=f"hecon {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="run the main job on the default inputs")
    run.add_argument("--out", default=None, help="output folder (default outputs/<run name>)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hecon`` command. Returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        if args.command == "run":
            from hecon.example import run_example

            run_example()
            return 0
    except HeconError as exc:
        print(f"hecon: error: {exc}", file=sys.stderr)
        return 2
    parser.print_help()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
