"""Draw the uncertainty-analysis plots of a run folder in a separate Python process:
``python -m hecon.report.plot_worker RUN_DIR`` with the report texts as JSON on standard input
(``null``: those in summary.json). Started by :func:`hecon.report.plots.plots_meanwhile`;
exit status 0 when every such plot is written, 1 (and the error on standard error) otherwise."""

from __future__ import annotations

import json
import sys


def main(argv: list[str] | None = None) -> int:
    """Read the texts from standard input and draw the analysis plots of run folder argv[0]."""
    args = sys.argv[1:] if argv is None else argv
    texts = json.loads(sys.stdin.read() or "null")
    from hecon.report.analysis_plots import analysis_plots

    try:
        analysis_plots(args[0], texts)
    except Exception as exc:  # the parent draws again in its own process to raise it
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
