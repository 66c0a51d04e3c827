"""PNG plots of the uncertainty analyses in a run folder: tornado, CE plane, CEAC/CEAF,
EVPI, device-price headroom and Sobol indices. Each is drawn only when its table exists."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hecon.report.plots import _save, plt, texts_of

PLANE_POINTS = 2000


def _countries(run_dir: Path) -> dict[str, dict[str, Any]]:
    path = run_dir / "summary.json"
    if not path.is_file():
        return {}
    s = json.loads(path.read_text(encoding="utf-8"))
    return s.get("country_sets", {s.get("country", "dk"): s})


def _money(cur: str) -> Any:
    return plt.FuncFormatter(lambda x, _: f"{x:,.0f}")


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def tornado_plot(run_dir: Path, country: str, info: dict[str, Any]) -> Path | None:
    """Tornado of INMB (low and high end of each parameter, top 15 by swing)."""
    path = run_dir / f"oneway_{country}.csv"
    if not path.is_file():
        return None
    t = pd.read_csv(path).head(15).iloc[::-1]
    cur = info["currency"]
    names = info.get("parameter_labels") or {}
    base = float(t["inmb_base"].iloc[0])
    fig, ax = plt.subplots(figsize=(8.5, 0.38 * len(t) + 1.6))
    y = np.arange(len(t))
    ax.barh(y, t["inmb_low"] - base, left=base, color="#4C72B0", label="parameter at low value")
    ax.barh(y, t["inmb_high"] - base, left=base, color="#DD8452",
            label="parameter at high value", alpha=0.85)
    ax.axvline(base, color="black", lw=1)
    ax.axvline(0, color="grey", lw=1, ls="--")
    labels = [f"{names.get(p, p)} ({_num(lo)} to {_num(hi)}){' *' if q else ''}"
              for p, lo, hi, q in zip(
        t["parameter"], t["low_value"], t["high_value"], t["quadrant_change"], strict=True)]
    ax.set_yticks(y, labels, fontsize=8)
    ax.xaxis.set_major_formatter(_money(cur))
    wtp = float(t["wtp"].iloc[0])
    ax.set(xlabel=f"Incremental net monetary benefit ({cur}) at {cur} {wtp:,.0f}/QALY",
           title=f"One-way sensitivity analysis, {country.upper()} (base INMB {cur} "
                 f"{base:,.0f}; dashed line = decision changes)")
    ax.legend(fontsize=8, loc="lower right")
    if t["quadrant_change"].any():
        fig.text(0.01, 0.0, "* the increment leaves the NE quadrant at one end (ICER not "
                 "comparable there)", fontsize=7)
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, run_dir / f"tornado_{country}.png")


def tornado_icer_plot(run_dir: Path, country: str, info: dict[str, Any]) -> Path | None:
    """Tornado of the ICER for parameters whose both ends stay in the north-east quadrant;
    parameters that move the increment to another quadrant are listed, not drawn, because an
    ICER is not continuous across quadrants."""
    path = run_dir / f"oneway_{country}.csv"
    if not path.is_file():
        return None
    t = pd.read_csv(path)
    base = float(t["icer_base"].iloc[0]) if len(t) else float("nan")
    if not np.isfinite(base):
        return None
    ok = t[np.isfinite(t["icer_low"]) & np.isfinite(t["icer_high"])].copy()
    ok["icer_swing"] = (ok["icer_high"] - ok["icer_low"]).abs()
    ok = ok.sort_values("icer_swing", ascending=False).head(15).iloc[::-1]
    flagged = t[~(np.isfinite(t["icer_low"]) & np.isfinite(t["icer_high"]))]["parameter"]
    cur = info["currency"]
    fig, ax = plt.subplots(figsize=(8.5, 0.38 * len(ok) + 1.9))
    y = np.arange(len(ok))
    ax.barh(y, ok["icer_low"] - base, left=base, color="#4C72B0", label="parameter at low value")
    ax.barh(y, ok["icer_high"] - base, left=base, color="#DD8452", alpha=0.85,
            label="parameter at high value")
    ax.axvline(base, color="black", lw=1)
    for w in info["wtp"]:
        ax.axvline(w, color="grey", ls="--", lw=1)
    names = info.get("parameter_labels") or {}
    ax.set_yticks(y, [names.get(p, p) for p in ok["parameter"]], fontsize=8)
    ax.xaxis.set_major_formatter(_money(cur))
    ax.set(xlabel=f"ICER ({cur} per QALY gained); dashed: thresholds",
           title=f"One-way analysis of the ICER, {country.upper()} (base {cur} {base:,.0f})")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    if len(flagged):
        fig.text(0.01, 0.0, "Not drawn (leave the NE quadrant at one end): "
                 + ", ".join(flagged), fontsize=7, wrap=True)
    return _save(fig, run_dir / f"tornado_icer_{country}.png")


def ce_plane_plot(run_dir: Path, country: str, info: dict[str, Any]) -> Path | None:
    """Incremental cost against incremental QALYs of the PSA draws, with threshold lines."""
    path = run_dir / f"psa_draws_{country}.csv"
    if not path.is_file():
        return None
    d = pd.read_csv(path, usecols=["inc_cost", "inc_qalys"])
    cur = info["currency"]
    sub = d.iloc[:: max(1, len(d) // PLANE_POINTS)]
    fig, ax = plt.subplots(figsize=(7.5, 5.2))
    ax.scatter(sub["inc_qalys"], sub["inc_cost"], s=5, alpha=0.35, color="#4C72B0",
               label=f"PSA draws ({len(sub):,} of {len(d):,} shown)")
    ax.scatter([d["inc_qalys"].mean()], [d["inc_cost"].mean()], color="red", s=40, zorder=3,
               label="mean")
    xs = np.array([min(0, sub["inc_qalys"].min()), max(0, sub["inc_qalys"].max())])
    for w in info["wtp"]:
        ax.plot(xs, w * xs, ls="--", lw=1, label=f"{cur} {w:,.0f} per QALY")
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(0, color="grey", lw=0.8)
    ax.yaxis.set_major_formatter(_money(cur))
    ax.set(xlabel=f"Incremental QALYs ({info.get('difference', 'intervention minus comparator')})",
           ylabel=f"Incremental cost ({cur})",
           title=f"Cost-effectiveness plane, {country.upper()}")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, run_dir / f"ce_plane_{country}.png")


def ceac_plot(run_dir: Path, country: str, info: dict[str, Any]) -> Path | None:
    """CEAC of each strategy with the CEAF marked."""
    path = run_dir / f"ceac_{country}.csv"
    if not path.is_file():
        return None
    c = pd.read_csv(path)
    cur = info["currency"]
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for s in [x for x in c.columns if x != "wtp"]:
        ax.plot(c["wtp"], c[s], lw=2, label=s)
    f_path = run_dir / f"ceaf_{country}.csv"
    if f_path.is_file():
        f = pd.read_csv(f_path)
        ax.plot(f["wtp"], f["probability"], color="black", lw=4, alpha=0.25,
                label="acceptability frontier (CEAF)")
    for w in info["wtp"]:
        ax.axvline(w, color="grey", ls=":", lw=1)
    ax.xaxis.set_major_formatter(_money(cur))
    ax.set(xlabel=f"Willingness to pay ({cur} per QALY)", ylabel="Probability cost-effective",
           ylim=(-0.02, 1.02), title=f"Cost-effectiveness acceptability, {country.upper()}")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, run_dir / f"ceac_{country}.png")


def evpi_plot(run_dir: Path, country: str, info: dict[str, Any]) -> Path | None:
    """Population EVPI against WTP."""
    path = run_dir / f"evpi_{country}.csv"
    if not path.is_file():
        return None
    e = pd.read_csv(path)
    cur = info["currency"]
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    if "evpi_population" in e.columns:
        ax.plot(e["wtp"], e["evpi_population"] / 1e6, lw=2)
        ylabel = f"Population EVPI ({cur} million)"
    else:
        ax.plot(e["wtp"], e["evpi_per_person"], lw=2)
        ylabel = f"EVPI per person ({cur})"
    for w in info["wtp"]:
        ax.axvline(w, color="grey", ls=":", lw=1)
    ax.xaxis.set_major_formatter(_money(cur))
    ax.set(xlabel=f"Willingness to pay ({cur} per QALY)", ylabel=ylabel,
           title=f"Expected value of perfect information, {country.upper()}")
    ax.grid(alpha=0.3)
    return _save(fig, run_dir / f"evpi_{country}.png")


def evsi_plot(run_dir: Path, country: str, info: dict[str, Any]) -> Path | None:
    """Population EVSI of the proposed study against its size (with 95% bands from the SE),
    and ENBS where study costs are given, one line per threshold."""
    path = run_dir / f"evsi_{country}.csv"
    if not path.is_file():
        return None
    e = pd.read_csv(path)
    cur = info["currency"]
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for w, t in e.groupby("wtp", sort=True):
        pop = t["evsi_population"] / t["evsi"].where(t["evsi"] != 0, np.nan)
        band = 1.96 * t["se"] * pop.fillna(0)
        line = ax.plot(t["n"], t["evsi_population"] / 1e6, lw=2, marker="o",
                       label=f"EVSI at {cur} {w:,.0f}/QALY")[0]
        ax.fill_between(t["n"], (t["evsi_population"] - band) / 1e6,
                        (t["evsi_population"] + band) / 1e6, color=line.get_color(), alpha=0.15)
        if "enbs" in t.columns:
            ax.plot(t["n"], t["enbs"] / 1e6, lw=1.5, ls="--", color=line.get_color(),
                    label=f"ENBS at {cur} {w:,.0f}/QALY")
    ax.axhline(0, color="grey", lw=0.8)
    what = e["parameter_label"].iloc[0] if "parameter_label" in e else e["parameter"].iloc[0]
    ax.set(xlabel="Patients per arm in the proposed study",
           ylabel=f"Population value ({cur} million)",
           title=f"Value of a proposed study, {country.upper()}")
    ax.text(0.01, 0.02, f"Study informs: {str(what)[:90]}", transform=ax.transAxes,
            fontsize=7, color="grey")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, run_dir / f"evsi_{country}.png")


def headroom_plot(run_dir: Path, country: str, info: dict[str, Any]) -> Path | None:
    """Maximum justified device price against WTP."""
    path = run_dir / f"headroom_{country}.csv"
    if not path.is_file():
        return None
    h = pd.read_csv(path)
    cur = info["currency"]
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    what = info.get("price_label", "price")
    ax.plot(h["wtp"], h["max_price"], lw=2, label=f"maximum justified {what}")
    price = float(h["max_price"].iloc[0] - h["headroom"].iloc[0])
    ax.axhline(price, color="red", ls="--", lw=1, label=f"price in the model ({cur} "
                                                        f"{price:,.0f})")
    for w in info["wtp"]:
        ax.axvline(w, color="grey", ls=":", lw=1)
    ax.xaxis.set_major_formatter(_money(cur))
    ax.yaxis.set_major_formatter(_money(cur))
    ax.set(xlabel=f"Willingness to pay ({cur} per QALY)",
           ylabel=f"{what[:1].upper()}{what[1:]} ({cur})",
           title=f"Price at which {info.get('intervention_noun', 'the intervention')} is "
                 f"cost-effective, {country.upper()}")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, run_dir / f"headroom_{country}.png")


def sobol_plot(run_dir: Path, country: str, info: dict[str, Any]) -> Path | None:
    """First-order and total Sobol indices on INMB at the first threshold (top 15)."""
    path = run_dir / f"sobol_{country}.csv"
    if not path.is_file():
        return None
    s = pd.read_csv(path)
    out = f"inmb_{info['wtp'][0]:g}"
    s = s[s["output"] == out].sort_values("ST", ascending=False).head(15).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(s) + 1.6))
    y = np.arange(len(s))
    ax.barh(y - 0.2, s["S1"], height=0.4, xerr=s["S1_conf"], label="first order (S1)",
            color="#4C72B0")
    ax.barh(y + 0.2, s["ST"], height=0.4, xerr=s["ST_conf"], label="total (ST)",
            color="#DD8452")
    names = info.get("parameter_labels") or {}
    ax.set_yticks(y, [names.get(p, p) for p in s["parameter"]], fontsize=8)
    cur = info["currency"]
    ax.set(xlabel="Share of the variance of INMB (95% CI)",
           title=f"Sobol indices of INMB at {cur} {info['wtp'][0]:,.0f}/QALY, "
                 f"{country.upper()}")
    ax.legend(fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, run_dir / f"sobol_{country}.png")


def budget_plot(run_dir: Path, country: str, info: dict[str, Any]) -> Path | None:
    """Net budget impact per calendar year (payer and hospital bars, with the PSA interval
    when present) and its cumulative total."""
    path = run_dir / f"budget_impact_{country}.csv"
    if not path.is_file():
        return None
    t = pd.read_csv(path)
    cur = info["currency"]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11.5, 4.2))
    fig.subplots_adjust(wspace=0.4)
    x = t["year"].to_numpy()
    for k, (col, label, colour) in enumerate((
            ("budget_impact", "payer (all health-care costs)", "#4C72B0"),
            ("hospital_budget_impact", "hospital (index admission)", "#DD8452"))):
        err = None
        if f"{col}_low" in t:
            err = np.abs(np.vstack([t[col] - t[f"{col}_low"], t[f"{col}_high"] - t[col]]))
        ax.bar(x + (k - 0.5) * 0.38, t[col], width=0.38, yerr=err, capsize=3, color=colour,
               label=label)
        cum = f"cumulative_{col}" if col == "budget_impact" else \
            "hospital_cumulative_budget_impact"
        ax2.plot(x, t[cum], marker="o", color=colour, label=label)
        if f"{cum}_low" in t:
            ax2.fill_between(x, t[f"{cum}_low"], t[f"{cum}_high"], color=colour, alpha=0.15)
    ax.axhline(0, color="black", lw=0.8)
    for a in (ax, ax2):
        a.yaxis.set_major_formatter(_money(cur))
        a.set_xticks(x)
        a.set_xlabel("Calendar year after adoption")
        a.grid(axis="y", alpha=0.3)
        a.legend(fontsize=8)
    n = t["patients_eligible"].iloc[0]
    ax.set(ylabel=f"Net budget impact ({cur}, undiscounted)",
           title=f"Per year, {n:,.0f} eligible patients a year, {country.upper()}")
    ax2.set(ylabel=f"Cumulative net budget impact ({cur})", title="Cumulative (shaded: 95% "
            "interval over PSA draws)" if "budget_impact_low" in t else "Cumulative")
    return _save(fig, run_dir / f"budget_impact_{country}.png")


def analysis_jobs(run_dir: str | Path, texts: dict[str, Any] | None = None
                  ) -> list[tuple[str, Callable[[], Path | None]]]:
    """The uncertainty-analysis plots of a run folder as (name, draw) pairs, one per set and
    kind of plot; ``draw()`` returns the PNG written, or None when the folder has no data
    for it. The list is the same in every process (names decide who draws what,
    :func:`hecon.report.plots.plots_meanwhile`)."""
    run_dir = Path(run_dir)
    tx = texts_of(run_dir, texts)
    jobs = []
    for country, info in _countries(run_dir).items():
        info = {**tx, **info}  # the set's currency and thresholds, the model's words
        for f in (tornado_plot, tornado_icer_plot, headroom_plot, ce_plane_plot, ceac_plot,
                  evpi_plot, evsi_plot, sobol_plot, budget_plot):
            jobs.append((f"{f.__name__}:{country}", partial(f, run_dir, country, info)))
    return jobs


def analysis_plots(run_dir: str | Path, texts: dict[str, Any] | None = None) -> list[Path]:
    """Every uncertainty-analysis plot the run folder has data for (labels from the model's
    report texts: ``texts``, else those in summary.json)."""
    return [p for _, draw in analysis_jobs(run_dir, texts) if (p := draw()) is not None]
