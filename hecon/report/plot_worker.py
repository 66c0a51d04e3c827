"""Draw plots of a run folder in a separate Python process:
``python -m hecon.report.plot_worker RUN_DIR [CLAIMS]``, the report texts as one line of JSON on
standard input (``null``: those in summary.json; nothing, i.e. end of input: stop without
drawing). With ``CLAIMS`` (a folder shared with the process that started it,
:class:`hecon.report.plots.PlotWorker`) every plot of :func:`hecon.report.plots.plot_jobs` this
process claims first, in list order; without, the uncertainty-analysis plots. The plotting
modules are imported before the texts are read, so a worker started ahead is ready when they
come. Exit status 0 when every plot it took is written, 1 (and the error on standard error)
otherwise."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Import the plotting code, read the texts, draw (see the module's docstring)."""
    args = sys.argv[1:] if argv is None else argv
    from hecon.report.analysis_plots import analysis_plots
    from hecon.report.plots import draw_shared, plot_jobs

    line = sys.stdin.readline()
    if not line.strip():
        return 0  # cancelled before any texts came
    try:
        texts = json.loads(line)
        if len(args) > 1:
            draw_shared(plot_jobs(args[0], texts), Path(args[1]))
        else:
            analysis_plots(args[0], texts)
    except Exception as exc:  # the parent draws again in its own process to raise it
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
