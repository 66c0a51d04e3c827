"""From digitised Kaplan-Meier points to per-cycle probabilities for a cohort model.

ALL TRIAL DATA HERE ARE SYNTHETIC: the script simulates a two-arm trial, draws its Kaplan-Meier
curves and "digitises" them (foot of each step, with jitter and rounding, as a digitiser would).
No published curve is used. The steps are those of a real analysis:

1. reconstruct pseudo patient data from the digitised points and numbers at risk (Guyot 2012);
2. fit six parametric families to the control arm and rank them by AIC/BIC;
3. extrapolate the best fit with general-population mortality as a floor (life table);
4. apply the treatment effect (hazard ratio from the reconstructed data, waning after 5 years);
5. evaluate the curves on the model grid, convert to per-cycle probabilities and run a two-state
   cohort model with hecon's engine, for the base case and for PSA draws.

Usage:
    python examples/survival_example.py [OUTPUT_DIR] [--life-table CSV | --denmark-csv CSV]

OUTPUT_DIR defaults to outputs/survival_example/. --life-table takes a generic CSV (age, male,
female annual hazards); --denmark-csv the Statistics Denmark file (with --year). Without either,
a synthetic Gompertz-Makeham life table is used (and the output says so).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from hecon.engine import C, MarkovModel, Settings, evaluate
from hecon.survival import (
    LifeTable,
    LogNormal,
    WaningHazardRatio,
    cox_binary,
    fit_all,
    kaplan_meier,
    lifetable_from_denmark_csv,
    model_times,
    on_grid,
    per_cycle_probability,
    reconstruct_ipd,
    with_background_mortality,
)
from hecon.survival.plots import plot_curves, plot_hazards, plot_km_fits, write_fit_table

START_AGE, MALE_SHARE = 67.0, 0.79  # cohort description used for the life table
TRUE_CONTROL = LogNormal(meanlog=0.3, sdlog=2.2)  # synthetic truth: high early hazard
TRUE_HR, N_PER_ARM, FOLLOW_UP = 0.74, 180, 5.0
RISK_TIMES = np.arange(0.0, FOLLOW_UP - 0.25, 0.5)  # 0, 0.5, ..., 4.5 years
CYCLE, HORIZON = 1 / 12, 35.0  # monthly cycles to age 102


def simulate_trial(rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Synthetic two-arm trial: PH treatment effect, staggered entry (censoring 1-5 years)."""
    arms = {}
    for arm, hr in (("control", 1.0), ("treatment", TRUE_HR)):
        u = rng.random(N_PER_ARM)
        # S_trt = S_ctrl^hr  =>  draw from the control quantile at 1 - (1 - u)^(1/hr)
        event = TRUE_CONTROL.quantile(1 - (1 - u) ** (1 / hr))[0]
        event = np.maximum(event, 1 / 365.25)  # nobody dies before day 1
        cens = rng.uniform(1.0, FOLLOW_UP, N_PER_ARM)
        arms[arm] = (np.minimum(event, cens), (event <= cens).astype(int))
    return arms


def digitise(times: np.ndarray, events: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """What a digitiser reads off a published KM plot: the foot of each step and the end of the
    curve, slightly off (times +-1.5 days, survival +-0.002, both rounded)."""
    km = kaplan_meier(times, events)
    step = km.n_event > 0
    step[-1] = True  # the end of the curve
    x = np.round(np.clip(km.time[step] + rng.normal(0, 0.004, step.sum()), 0, None), 3)
    y = np.round(np.clip(km.survival[step] + rng.normal(0, 0.002, step.sum()), 0, 1), 3)
    return pd.DataFrame({"time_years": x, "survival": y})


def synthetic_life_table() -> LifeTable:
    """Gompertz-Makeham hazards (synthetic, roughly Danish 2012 levels at age 60-80)."""
    ages = np.arange(0, 111)
    male = 0.0005 + 3.0e-5 * np.exp(0.095 * ages)
    return LifeTable(ages, np.minimum(male, 1.5), np.minimum(0.6 * male, 1.5),
                     source="synthetic Gompertz-Makeham")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("output", nargs="?", default="outputs/survival_example")
    ap.add_argument("--life-table", help="CSV with columns age, male, female (annual hazards)")
    ap.add_argument("--denmark-csv", help="Statistics Denmark mortality CSV (year, sex, age, ...)")
    ap.add_argument("--year", type=int, default=2012, help="calendar year for --denmark-csv")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--n-psa", type=int, default=500)
    args = ap.parse_args(argv)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)

    # 1. synthetic digitised curves + risk table, then Guyot reconstruction ----------------
    ipd_parts, kms_true, kms_rec = [], {}, {}
    trial = simulate_trial(rng)
    for arm, (t, e) in trial.items():
        km = kaplan_meier(t, e)
        points = digitise(t, e, rng)
        points.insert(0, "arm", arm)
        points.to_csv(out / f"digitised_{arm}_SYNTHETIC.csv", index=False)
        risk = pd.DataFrame({"time_years": RISK_TIMES, "n_risk": km.at_risk(RISK_TIMES)})
        risk.to_csv(out / f"risk_table_{arm}_SYNTHETIC.csv", index=False)
        ipd = reconstruct_ipd(points.time_years, points.survival, risk.time_years, risk.n_risk,
                              total_events=int(e.sum()))
        ipd.insert(0, "arm", arm)
        ipd_parts.append(ipd)
        kms_true[f"{arm} (synthetic 'published' KM)"] = km
        kms_rec[arm] = kaplan_meier(ipd.time, ipd.event)
    ipd = pd.concat(ipd_parts, ignore_index=True)
    ipd.to_csv(out / "reconstructed_ipd.csv", index=False)
    cox = cox_binary(ipd.time, ipd.event, (ipd.arm == "treatment").astype(int))
    lo, hi = cox.ci()
    sim = cox_binary(np.concatenate([trial[a][0] for a in trial]),
                     np.concatenate([trial[a][1] for a in trial]), np.repeat([0, 1], N_PER_ARM))
    print(f"Reconstructed IPD: {len(ipd)} patients, {ipd.event.sum()} events; Cox HR "
          f"{cox.hr:.3f} ({lo:.3f}-{hi:.3f}); in the simulated patients {sim.hr:.3f}; "
          f"simulation truth {TRUE_HR}")
    for arm, k in kms_rec.items():
        grid = np.linspace(0, FOLLOW_UP * 0.95, 500)
        true_km = kms_true[f"{arm} (synthetic 'published' KM)"]
        print(f"  {arm}: max |KM reconstructed - KM simulated| = "
              f"{np.abs(k.at(grid) - true_km.at(grid)).max():.3f}")

    # 2. fit the control arm ---------------------------------------------------------------
    ctrl = ipd[ipd.arm == "control"]
    fits = fit_all(ctrl.time, ctrl.event)
    table = write_fit_table(fits, out / "fit_table.csv", out / "fit_table.png")
    print(table[["family", "aic", "bic", "delta_aic", "parameters"]].to_string(index=False))
    best = fits[table.family.iloc[0]]
    print(f"Best by AIC: {best.family}")
    plot_km_fits(ctrl.time, ctrl.event, fits, 20.0, out / "km_fits.png",
                 title="Control arm (reconstructed from SYNTHETIC digitised curve)",
                 risk_times=np.arange(0, FOLLOW_UP, 1.0))
    plot_hazards(fits, 20.0, out / "hazards.png", times=ctrl.time, events=ctrl.event,
                 title="Control arm: fitted and observed hazards (SYNTHETIC data)")

    # 3. life table ------------------------------------------------------------------------
    if args.life_table:
        lt = LifeTable.from_csv(args.life_table)
    elif args.denmark_csv:
        lt = lifetable_from_denmark_csv(args.denmark_csv, args.year)
    else:
        lt = synthetic_life_table()
    print(f"Life table: {lt.source}")

    # 4. curves for base case and PSA -------------------------------------------------------
    def curves(dist, hr):
        control = with_background_mortality(dist, lt, START_AGE, MALE_SHARE, "floor")
        effect = WaningHazardRatio(dist, hr, start=5.0, end=10.0)
        treated = with_background_mortality(effect, lt, START_AGE, MALE_SHARE, "floor")
        return control, treated

    base_ctrl, base_trt = curves(best.distribution, cox.hr)
    psa_dist = best.draw(args.n_psa, rng)
    psa_hr = np.exp(rng.normal(cox.log_hr, cox.se, args.n_psa))
    psa_ctrl, psa_trt = curves(psa_dist, psa_hr)
    gp = lt.cohort(START_AGE, MALE_SHARE)
    plot_curves(
        {f"Control: {best.family}, life-table floor": base_ctrl,
         "Treatment: HR waning 5-10 y, floor": base_trt,
         "Control PSA": psa_ctrl,
         f"General population (age {START_AGE:g}, {MALE_SHARE:.0%} men)": gp,
         f"Control: {best.family}, no floor": best.distribution},
        HORIZON, out / "extrapolation.png", km=kms_true,
        title="Extrapolated overall survival (SYNTHETIC trial data)",
        linestyles={f"Control: {best.family}, no floor": ":"})

    # 5. hand-off to the engine --------------------------------------------------------------
    times = model_times(int(round(HORIZON / CYCLE)), CYCLE)
    probs = {}
    for arm, (b, p) in {"control": (base_ctrl, psa_ctrl), "treatment": (base_trt,
                                                                         psa_trt)}.items():
        s = np.vstack([on_grid(b, times), on_grid(p, times)])  # row 0 = base case
        probs[arm] = per_cycle_probability(s)
    pd.DataFrame({"time_years": times, "control": on_grid(base_ctrl, times)[0],
                  "treatment": on_grid(base_trt, times)[0],
                  "general_population": on_grid(gp, times)[0]}).to_csv(
        out / "survival_on_grid.csv", index=False)
    pd.DataFrame({"cycle": np.arange(1, times.size), "start_years": times[:-1],
                  "p_death_control": probs["control"][0],
                  "p_death_treatment": probs["treatment"][0]}).to_csv(
        out / "per_cycle_probabilities.csv", index=False)

    def model(arm: str) -> MarkovModel:
        prob = probs[arm]
        return MarkovModel(
            name=arm, states=["alive", "dead"], dead=["dead"], start={"alive": 1.0},
            transitions=lambda p, cyc: {("alive", "dead"): prob[p.row.astype(int), cyc.k - 1],
                                        ("alive", "alive"): C},
            utilities=lambda p, cyc: {"alive": 1.0},
            n_cycles=times.size - 1, cycle_length=CYCLE,
        )

    rows = {"row": np.arange(1 + args.n_psa, dtype=float)}  # row 0 = base case
    res = evaluate([model("control"), model("treatment")], rows,
                   Settings.undiscounted("life-table")).to_frame()
    ly = res.pivot(index="sample", columns="strategy", values="life_years")
    gain = ly["treatment"] - ly["control"]
    base_rmst = {a: float(c.rmst(HORIZON)[0]) for a, c in (("control", base_ctrl),
                                                          ("treatment", base_trt))}
    print(f"Base case life years (engine, life-table counting): control "
          f"{ly['control'].iloc[0]:.3f}, treatment {ly['treatment'].iloc[0]:.3f}; "
          f"area under the curves {base_rmst['control']:.3f}, {base_rmst['treatment']:.3f}")
    q = np.percentile(gain.iloc[1:], [2.5, 50, 97.5])
    print(f"Life-year gain: base case {gain.iloc[0]:.3f}; PSA median {q[1]:.3f} "
          f"(95% interval {q[0]:.3f} to {q[2]:.3f}) over {args.n_psa} draws")
    ly.rename(index={0: "base case"}).to_csv(out / "life_years_by_sample.csv")
    print(f"Wrote plots and tables to {out}/")


if __name__ == "__main__":
    main()
