"""--quiet silences every progress bar of hecon run/psa/voi/gsa/dsa.

Every bar is made by the ``progress`` factory in the analysis options (``hecon.progress.bars``
on the command line, ``hecon.progress.silent`` with --quiet), and tqdm is imported nowhere
else; an end-to-end ``hecon psa --quiet`` that captures stderr is in
tests/robustness/test_robust_properties.py (the manifest test).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hecon import cli
from hecon.progress import bars, silent

JOBS = ("run", "psa", "voi", "gsa", "dsa")
BAR = re.compile(r"\d+%\||\d+/\d+ \[")  # what a tqdm bar prints: '40%|' or '2/5 ['


@pytest.mark.parametrize("job", JOBS)
def test_quiet_selects_the_silent_progress_for_every_job(job):
    parser = cli.build_parser()
    assert cli._options(parser.parse_args([job, "--quiet"])).progress is silent
    assert cli._options(parser.parse_args([job])).progress is bars


def test_bars_show_on_stderr_and_silent_shows_nothing(capfd):
    # the pattern the --quiet checks look for is what a bar really prints
    with bars("PSA UK", 5, unit="draw") as b:
        b.update(2)
    err = capfd.readouterr().err
    assert "PSA UK" in err and BAR.search(err)
    with silent("PSA UK", 5, unit="draw") as s:
        s.update(5)
    out = capfd.readouterr()
    assert out.err == "" and out.out == ""


def test_tqdm_is_used_only_through_hecon_progress():
    # a bar made directly with tqdm would ignore --quiet: route it through the options'
    # progress factory (hecon.progress) instead
    root = Path(cli.__file__).resolve().parent
    direct = [str(p.relative_to(root)) for p in root.rglob("*.py")
              if p.name != "progress.py" and re.search(r"^\s*(from|import)\s+tqdm\b",
                                                       p.read_text(encoding="utf-8"), re.M)]
    assert direct == []
