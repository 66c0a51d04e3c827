"""Survival plots as PNG files (matplotlib's Agg canvas; no pyplot global state).

- `plot_km_fits`: Kaplan-Meier with censoring marks and numbers at risk, plus every fitted
  family extrapolated beyond the data.
- `plot_hazards`: fitted hazards with the observed hazard (events / person-years per interval).
- `plot_curves`: any curves (e.g. extrapolated, life-table-floored, treated), with a median and
  95% band over samples when a curve has more than one.
- `write_fit_table`: the AIC/BIC table as CSV and as a PNG image.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from hecon.survival.curves import SurvivalCurve
from hecon.survival.fit import FitResult, fit_table
from hecon.survival.km import KaplanMeier, check_survival_data, kaplan_meier

_LABELS = {"exponential": "Exponential", "weibull": "Weibull", "gompertz": "Gompertz",
           "loglogistic": "Log-logistic", "lognormal": "Log-normal",
           "gengamma": "Generalised gamma"}


def _save(fig: Figure, path: str | Path, tight: bool = False) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(p, dpi=120, bbox_inches="tight" if tight else None)
    return p


def _draw_km(ax, km: KaplanMeier, label: str = "Kaplan-Meier", color: str = "black") -> None:
    x, y = km.steps()
    ax.step(x, y, where="post", color=color, lw=1.6, label=label, zorder=5)
    cens = km.n_censor > 0
    ax.plot(km.time[cens], km.survival[cens], "|", color=color, ms=5, alpha=0.6, zorder=5)


def plot_km_fits(times, events, fits: Mapping[str, FitResult], t_max: float,
                 path: str | Path, title: str = "Kaplan-Meier and fitted survival curves",
                 time_unit: str = "years", risk_times: np.ndarray | None = None) -> Path:
    """KM of (times, events) with all fitted families drawn to `t_max` (legend sorted by AIC)
    and the numbers at risk at `risk_times` (default: 6 times over the follow-up); writes a PNG.
    """
    t, e = check_survival_data(times, events)
    km = kaplan_meier(t, e)
    table = fit_table(fits)
    by_name = {f.family: f for f in fits.values()}
    fig = Figure(figsize=(9.5, 6.2))
    ax = fig.add_axes((0.08, 0.22, 0.6, 0.7))
    grid = np.linspace(0, t_max, 400)
    for name, aic in zip(table["family"], table["aic"], strict=True):
        s = by_name[name].distribution.survival(grid)[0]
        ax.plot(grid, s, lw=1.3, label=f"{_LABELS.get(name, name)} (AIC {aic:.1f})")
    _draw_km(ax, km)
    end = float(t.max())
    ax.axvline(end, color="grey", ls=":", lw=1)
    ax.text(end, 0.98, " end of follow-up", color="grey", fontsize=8, va="top")
    ax.set_xlim(0, t_max)
    ax.set_ylim(0, 1.0)
    ax.set_xlabel(f"Time ({time_unit})")
    ax.set_ylabel("Survival probability")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    order = [len(labels) - 1, *range(len(labels) - 1)]  # KM first, then fits by AIC
    ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="upper left",
              bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False,
              title="Fits by AIC (lower is better)", title_fontsize=8)
    rt = np.asarray(risk_times, dtype=float) if risk_times is not None else np.linspace(0, end, 6)
    rt = rt[rt <= min(t_max, end)]
    axr = fig.add_axes((0.08, 0.04, 0.6, 0.06))
    axr.set_xlim(0, t_max)
    axr.set_ylim(0, 1)
    axr.axis("off")
    axr.text(0, 1.1, "Number at risk", fontsize=8, transform=axr.transAxes)
    for x, n in zip(rt, km.at_risk(rt), strict=True):
        axr.text(x, 0.2, str(int(n)), ha="center", fontsize=8)
    return _save(fig, path)


def _observed_hazard(t: np.ndarray, e: np.ndarray, width: float) -> tuple[np.ndarray, np.ndarray]:
    edges = np.arange(0, t.max() + width, width)
    exposure = np.clip(t[:, None] - edges[None, :-1], 0, width).sum(axis=0)
    idx = np.clip(np.searchsorted(edges, t[e == 1], side="right") - 1, 0, edges.size - 2)
    events = np.bincount(idx, minlength=edges.size - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(exposure > 0, events / exposure, np.nan)
    return edges, rate


def plot_hazards(fits: Mapping[str, FitResult], t_max: float, path: str | Path,
                 times=None, events=None, interval: float = 0.5,
                 title: str = "Fitted hazard functions", time_unit: str = "years") -> Path:
    """Fitted hazards to `t_max`; with data, also the observed hazard per `interval`."""
    fig = Figure(figsize=(9.5, 5.5))
    ax = fig.add_axes((0.09, 0.11, 0.6, 0.8))
    grid = np.linspace(t_max / 400, t_max, 400)
    top = 0.0
    unit = time_unit[:-1] if time_unit.endswith("s") else time_unit
    if times is not None and events is not None:
        t, e = check_survival_data(times, events)
        edges, rate = _observed_hazard(t, e, interval)
        ax.stairs(rate, edges, color="black", lw=1.4,
                  label=f"Observed ({interval:g}-{unit} bins)")
        top = np.nanmax(rate)
        ax.axvline(float(t.max()), color="grey", ls=":", lw=1)
    for name, f in fits.items():
        h = f.distribution.hazard(grid)[0]
        ax.plot(grid, h, lw=1.3, label=_LABELS.get(name, name))
        top = max(top, float(np.nanmax(h[grid > t_max / 50])))
    ax.set_xlim(0, t_max)
    ax.set_ylim(0, top * 1.15 if top > 0 else 1)
    ax.set_xlabel(f"Time ({time_unit})")
    ax.set_ylabel(f"Hazard (events per person-{unit})")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    return _save(fig, path)


def plot_curves(curves: Mapping[str, SurvivalCurve], t_max: float, path: str | Path,
                km: KaplanMeier | Mapping[str, KaplanMeier] | None = None,
                title: str = "Survival curves", time_unit: str = "years",
                points: int = 400, linestyles: Mapping[str, str] | None = None) -> Path:
    """Several curves to `t_max` (median and 95% band across samples when n > 1), optionally
    over one or more Kaplan-Meier estimates. `linestyles` maps curve labels to matplotlib line
    styles (default solid; medians of multi-sample curves dashed)."""
    styles = dict(linestyles or {})
    fig = Figure(figsize=(9.5, 5.5))
    ax = fig.add_axes((0.09, 0.11, 0.58, 0.8))
    grid = np.linspace(0, t_max, points)
    kms = {"Kaplan-Meier": km} if isinstance(km, KaplanMeier) else dict(km or {})
    for (label, k), color in zip(kms.items(), ["black", "dimgrey", "grey"], strict=False):
        _draw_km(ax, k, label=label, color=color)
    for label, c in curves.items():
        s = c.survival(grid)
        if s.shape[0] == 1:
            ax.plot(grid, s[0], lw=1.4, ls=styles.get(label, "-"), label=label)
        else:
            lo, med, hi = np.percentile(s, [2.5, 50, 97.5], axis=0)
            (line,) = ax.plot(grid, med, lw=1.2, ls=styles.get(label, "--"),
                              label=f"{label} (median, 95% band)")
            ax.fill_between(grid, lo, hi, color=line.get_color(), alpha=0.2, lw=0)
    ax.set_xlim(0, t_max)
    ax.set_ylim(0, 1.0)
    ax.set_xlabel(f"Time ({time_unit})")
    ax.set_ylabel("Survival probability")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    return _save(fig, path)


def write_fit_table(fits: Mapping[str, FitResult] | pd.DataFrame, csv_path: str | Path,
                    png_path: str | Path | None = None) -> pd.DataFrame:
    """Write the AIC/BIC table as CSV and, if `png_path` is given, as an image."""
    table = fits if isinstance(fits, pd.DataFrame) else fit_table(fits)
    p = Path(csv_path)
    p.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(p, index=False)
    if png_path is not None:
        shown = table.copy()
        shown["family"] = [_LABELS.get(f, f) for f in shown["family"]]
        for c in ("loglik", "aic", "bic", "delta_aic", "delta_bic"):
            shown[c] = shown[c].map(lambda v: f"{v:.2f}")
        cols = {"family": "Family", "n_par": "k", "loglik": "Log-likelihood", "aic": "AIC",
                "bic": "BIC", "delta_aic": "\u0394AIC", "delta_bic": "\u0394BIC",
                "parameters": "Estimates"}
        fig = Figure(figsize=(10, 0.3 * (len(shown) + 1)))
        ax = fig.add_axes((0, 0, 1, 1))
        ax.axis("off")
        tab = ax.table(cellText=shown[list(cols)].to_numpy(), colLabels=list(cols.values()),
                       loc="center", cellLoc="left", colLoc="left")
        tab.auto_set_font_size(False)
        tab.set_fontsize(9)
        tab.scale(1, 1.4)
        tab.auto_set_column_width(list(range(len(cols))))
        ax.set_title("Model fit, sorted by AIC (lower is better; k = number of parameters)",
                     fontsize=10)
        _save(fig, png_path, tight=True)
    return table
