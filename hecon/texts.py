"""Report texts of a run (the words of the workbook and plots): a plug-in's, else neutral ones
from the run's summary. Kept apart from :mod:`hecon.plugin` (which re-exports these names) so
that drawing plots or writing a workbook does not import the engine and SciPy."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


def strategy_key(plugin: Any, name: str) -> str:
    """Short key of a strategy (file names and columns): the plug-in's, or a slug."""
    keys = getattr(plugin, "strategy_keys", None) or {}
    return keys.get(name) or re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "strategy"


def default_texts(summary: Mapping[str, Any], plugin: Any = None) -> dict[str, Any]:
    """Neutral report texts from a run's summary (and the plug-in's title and question).

    Keys: ``question`` (first line of the Summary sheet), ``subtitle``, ``settings_rows``
    (label, value pairs), ``increment_label``, ``intervention_noun`` (used in sentences),
    ``comparison`` ('A vs B') and ``difference`` ('A minus B') for chart titles and axes,
    ``outcome_columns`` (extra per-strategy outcome -> column label), ``price_label`` and
    ``price_note`` (threshold price and headroom), ``lead_sentences`` (set key -> sentences
    before the generic ones), ``strategy_labels`` (short key -> label), ``state_labels``,
    ``time_label``, ``trace_title``, ``survival_title``, ``survival_marker`` ([years, label]
    or None), ``set_names`` (set key -> words in plot titles), ``parameter_labels``.
    """
    inc = summary.get("incremental", {})
    a, b = inc.get("intervention", "intervention"), inc.get("comparator", "comparator")
    title = getattr(plugin, "title", "") or summary.get("model", "")
    question = getattr(plugin, "question", "") or f"Is {a} cost-effective compared with {b}?"
    names = list(summary.get("strategies", {}))
    return {
        "question": question,
        "subtitle": f"{title}. Model: hecon." if title else "Model: hecon.",
        "settings_rows": [["Scenario", summary.get("scenario") or "base case"]],
        "increment_label": f"Increment ({a} - {b})",
        "intervention_noun": a,
        "comparison": f"{a} vs {b}",
        "difference": f"{a} minus {b}",
        "outcome_columns": {},
        "price_label": "price",
        "price_note": "",
        "lead_sentences": {},
        "strategy_labels": {strategy_key(plugin, n): n for n in names},
        "state_labels": {},
        "time_label": "Years",
        "trace_title": "State trace",
        "survival_title": "Modelled survival",
        "survival_marker": None,
        "set_names": {},
        "parameter_labels": dict(getattr(plugin, "parameter_labels", None) or {}),
    }


def resolve_texts(summary: Mapping[str, Any], texts: Mapping[str, Any] | None = None
                  ) -> dict[str, Any]:
    """Report texts for a run: ``texts`` given by the caller, else those stored in the
    summary (``summary['report']``), completed by :func:`default_texts`."""
    out = default_texts(summary)
    out.update(summary.get("report") or {})
    out.update(texts or {})
    return out
