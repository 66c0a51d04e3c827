"""Base-case and scenario results of the DanGer Shock model as plain tables and JSON."""

from __future__ import annotations

from typing import Any

import pandas as pd

from hecon.engine import Results
from hecon.models.danger_shock.model import STRATEGY_NAMES, DangerShockModel
from hecon.progress import Progress, silent
from hecon.runner import clean  # noqa: F401 (the one JSON cleaner; re-exported)

INTERVENTION, COMPARATOR = STRATEGY_NAMES
# costs of the index admission (all paid within the 180-day acute phase, at time 0)
INDEX_CATEGORIES = ("device", "index_hospitalisation", "adverse_events", "acute_rrt")


def icer(inc_cost: float, inc_qalys: float) -> float | str:
    """ICER, or a word when it is not a ratio a reader should see."""
    if inc_qalys > 0:
        return inc_cost / inc_qalys
    if inc_qalys == 0:
        return "undefined (equal QALYs)" if inc_cost != 0 else "identical"
    return "dominated" if inc_cost >= 0 else "less costly, less effective"


def per_extra_survivor(inc_cost: float, extra_survivors: float) -> float | str:
    """Cost per extra survivor, or a word when the pump saves no one (or costs nothing)."""
    if extra_survivors > 0:
        return inc_cost / extra_survivors
    if extra_survivors == 0:
        return "undefined (equal survival)" if inc_cost != 0 else "identical"
    return "fewer survivors, higher cost" if inc_cost >= 0 else "fewer survivors, lower cost"


def summarise(model: DangerShockModel, results: Results, sample: int = 0) -> dict[str, Any]:
    """One country set's base case: per-strategy outcomes, increments, ICER, NMB, threshold."""
    s = results.summary(sample)
    keep = ["cost", "qalys", "life_years", "alive_180d", "cost_undisc", "qalys_undisc",
            "life_years_undisc"]
    cats = [c for c in s.columns if c.startswith("cost_") and not c.endswith("_undisc")]
    strategies = {
        name: {k: float(s.loc[name, k]) for k in keep + cats if k in s.columns}
        for name in results.strategies
    }
    a, b = s.loc[INTERVENTION], s.loc[COMPARATOR]
    dc, dq, dl = float(a["cost"] - b["cost"]), float(a["qalys"] - b["qalys"]), float(
        a["life_years"] - b["life_years"])
    wtp = model.country.wtp
    index_cost = {k: float(sum(s.loc[k].get(f"cost_{c}", 0.0) for c in INDEX_CATEGORIES))
                  for k in (INTERVENTION, COMPARATOR)}
    d_index = index_cost[INTERVENTION] - index_cost[COMPARATOR]
    d_alive = float(a.get("alive_180d", float("nan")) - b.get("alive_180d", float("nan")))
    inc = {
        "intervention": INTERVENTION,
        "comparator": COMPARATOR,
        "inc_cost": dc,
        "inc_qalys": dq,
        "inc_life_years": dl,
        "icer": icer(dc, dq),
        "icer_per_life_year": icer(dc, dl),
        "inmb": {f"{w:g}": w * dq - dc for w in wtp},
        # the device cost is paid once at time 0 in the intervention arm only, so INMB falls
        # one for one with the price: the price at which INMB = 0 is price + INMB
        "threshold_device_price": {
            f"{w:g}": float(model.prepare(model.base_design())["c_device"][0]) + w * dq - dc
            for w in wtp
        },
        # cost-consequence view of the index admission (replaces the former hospital-
        # perspective "ICER", which divided index costs by lifetime QALYs): extra index-
        # admission cost per extra patient alive at 180 days
        "inc_index_cost": d_index,
        "inc_alive_180d": d_alive,
        "index_cost_per_extra_survivor_180d": per_extra_survivor(d_index, d_alive),
    }
    return {
        "country": model.country.key,
        "country_label": model.country.label,
        "currency": model.country.currency,
        "wtp": wtp,
        "wtp_source": model.country.wtp_source,
        "discounting": model.settings().discount_costs.describe(),
        "settings": model.config.as_dict(),
        "scenario": None if model.scenario is None else model.scenario.name,
        "strategies": strategies,
        "incremental": inc,
        "icer": inc["icer"],
    }


def summary_extras(model: DangerShockModel, progress: Progress = silent) -> dict[str, Any]:
    """Extra blocks of one country set's summary after :func:`summarise`: ``validation``
    (modelled against every published survival figure,
    :mod:`hecon.models.danger_shock.validation`) and ``subgroups`` (age under 77 / 77 or over,
    men / women), each with the keys of the ``incremental`` block, costs and QALYs per strategy
    and P(cost-effective) from a PSA of the subgroup's model)."""
    from hecon.models.danger_shock.subgroups import run_subgroups
    from hecon.models.danger_shock.validation import validation_records

    return {"validation": validation_records(model),
            "subgroups": run_subgroups(model, progress=progress)}


def base_case_table(summary: dict[str, Any]) -> pd.DataFrame:
    """A printable table of one country set's base case."""
    rows = []
    for name, v in summary["strategies"].items():
        rows.append({"strategy": name, "cost": v["cost"], "QALYs": v["qalys"],
                     "life-years": v["life_years"], "alive at 180 d": v["alive_180d"]})
    inc = summary["incremental"]
    rows.append({"strategy": "increment", "cost": inc["inc_cost"], "QALYs": inc["inc_qalys"],
                 "life-years": inc["inc_life_years"], "alive at 180 d": float(
                     summary["strategies"][INTERVENTION]["alive_180d"]
                     - summary["strategies"][COMPARATOR]["alive_180d"])})
    return pd.DataFrame(rows).set_index("strategy")


def format_summary(summary: dict[str, Any]) -> str:
    """Human-readable base case for the terminal."""
    cur = summary["currency"]
    t = base_case_table(summary)
    text = t.to_string(formatters={
        "cost": lambda x: f"{cur} {x:,.0f}", "QALYs": "{:.3f}".format,
        "life-years": "{:.3f}".format, "alive at 180 d": "{:.3f}".format})
    inc = summary["incremental"]
    i = inc["icer"]
    icer_text = f"{cur} {i:,.0f} per QALY gained" if isinstance(i, float) else i
    lines = [f"{summary['country_label']} ({cur}; discounting {summary['discounting']})", text,
             f"ICER: {icer_text}"]
    for w in summary["wtp"]:
        k = f"{w:g}"
        lines.append(
            f"At {cur} {w:,.0f}/QALY: incremental NMB {cur} {inc['inmb'][k]:,.0f}; device price "
            f"at which the pump is cost-effective: {cur} {inc['threshold_device_price'][k]:,.0f}")
    per = inc.get("index_cost_per_extra_survivor_180d")
    if per is not None:
        lines.append(f"Index admission: {cur} {inc['inc_index_cost']:,.0f} more per patient, "
                     f"{100 * inc['inc_alive_180d']:.1f} percentage points more alive at 180 "
                     "days: " + (f"{cur} {per:,.0f} per extra survivor" if isinstance(per, float)
                                 else str(per)))
    subs = summary.get("subgroups")
    if isinstance(subs, dict):
        lines.append(f"Subgroups (age subgroups post hoc; P(cost-effective) from "
                     f"{subs.get('psa_draws', 0):,} PSA draws each):")
        for b in subs.values():
            if not isinstance(b, dict):
                continue
            i = b["icer"]
            txt = f"{cur} {i:,.0f} per QALY" if isinstance(i, float) else str(i)
            pce = b.get("prob_cost_effective") or {}
            probs = ", ".join(f"{x:.0%} at {cur} {float(w):,.0f}" for w, x in pce.items())
            lines.append(f"  {b['label']}: ICER {txt}; P(cost-effective) {probs}")
    return "\n".join(lines)


def results_frame(results: Results) -> pd.DataFrame:
    """Tidy per-(sample, strategy) results."""
    return results.to_frame()


