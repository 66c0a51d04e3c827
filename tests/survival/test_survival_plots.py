"""Plots are written as PNG (content is checked by eye in the example; here: they render)."""

import numpy as np
import pandas as pd

from hecon.survival import HazardRatio, Weibull, fit_all, kaplan_meier
from hecon.survival.plots import plot_curves, plot_hazards, plot_km_fits, write_fit_table


def test_plots_render(tmp_path):
    rng = np.random.default_rng(1)
    ev = Weibull(1.3, 2.0).sample(rng, 300)[0]
    c = rng.uniform(0, 4, 300)
    t, e = np.minimum(ev, c), (ev <= c).astype(int)
    fits = fit_all(t, e, ["exponential", "weibull", "lognormal"])
    paths = [
        plot_km_fits(t, e, fits, 10, tmp_path / "km.png"),
        plot_hazards(fits, 10, tmp_path / "hz.png", times=t, events=e),
        plot_curves({"Weibull": fits["weibull"].distribution,
                     "PSA": HazardRatio(fits["weibull"].draw(50, rng), 0.7)},
                    10, tmp_path / "curves.png", km=kaplan_meier(t, e)),
    ]
    table = write_fit_table(fits, tmp_path / "fits.csv", tmp_path / "fits.png")
    for p in [*paths, tmp_path / "fits.png"]:
        assert p.exists() and p.stat().st_size > 5000
    assert pd.read_csv(tmp_path / "fits.csv")["family"].tolist() == table["family"].tolist()
