"""Value of a proposed study for the DanGer Shock decision: EVSI over sample sizes and ENBS.

The proposed study informs one parameter (``--evsi-group``; default the long-term effect
``hr_death_longterm``, or a subgroup effect such as age >= 77 when the parameter table has
one). Its design follows the parameter's kind:

* a hazard ratio (name ``hr_*``): a two-arm randomised follow-up study of n 180-day survivors
  per arm, each followed ``study_follow_up_years`` (``population.yaml``); deaths are
  exponential with the standard-care rate implied by the base-case 180-day and long-term
  standard-care mortality, -ln((1 - p_10y) / (1 - p_180d)) / (follow-up - 0.5 years) (0.030
  a year at the default inputs), and the pump arm's rate is that times the drawn hazard
  ratio; summary: the observed log rate ratio;
* a probability (beta distribution): a single-arm study of n patients, summary: observed
  log-odds.

EVSI (regression method, :mod:`hecon.analysis.evsi`) is computed at each of the country's
thresholds on the PSA draws; ENBS uses the study costs in ``population.yaml`` (an evidence gap,
stated there) and the discounted population of the VOI analysis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from hecon.analysis import evsi as ev
from hecon.design import Design
from hecon.engine import Results
from hecon.errors import InputError
from hecon.models.danger_shock.inputs import default_inputs_dir

DEFAULT_GROUPS = ("hr_death_longterm_age77", "hr_death_age77", "hr_death_longterm")
"""Parameters a default study informs, first present first: a >= 77 subgroup effect if the
table has one, else the long-term effect."""


def default_group(names: list[str]) -> str:
    """The parameter a proposed study informs by default (see :data:`DEFAULT_GROUPS`)."""
    for g in DEFAULT_GROUPS:
        if g in names:
            return g
    raise InputError("no default parameter for the proposed study; name one with "
                     "--evsi-group", parameter=DEFAULT_GROUPS[-1])


def study_costs(country: str, inputs_dir: Path | None = None) -> dict[str, Any]:
    """Per-patient and fixed study cost and follow-up from ``population.yaml`` (missing
    costs: no ENBS)."""
    path = (inputs_dir or default_inputs_dir()) / "danger_shock" / "population.yaml"
    try:
        entry = yaml.safe_load(path.read_text(encoding="utf-8"))[country]
    except (FileNotFoundError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise InputError(f"no entry for {country!r} ({exc})", file=str(path)) from None
    out: dict[str, Any] = {"file": str(path)}
    for key in ("study_cost_per_patient", "study_fixed_cost", "study_follow_up_years"):
        v = entry.get(key)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v) or v < 0:
            raise InputError(f"{key} must be a number >= 0, got {v!r}", file=str(path),
                             parameter=key)
        out[key] = float(v)
    if out.get("study_follow_up_years") == 0:
        raise InputError("study_follow_up_years must be > 0", file=str(path),
                         parameter="study_follow_up_years")
    return out


def simulator(model: Any, values: pd.DataFrame, group: str, follow_up: float):
    """``simulate(n, rng)`` for the study informing ``group`` and a description of it."""
    table = model.table
    if group not in table:
        raise InputError("unknown parameter for the proposed study (--evsi-group)",
                         parameter=group)
    if group not in values.columns:
        raise InputError("the proposed study's parameter is fixed: there is nothing to learn",
                         parameter=group)
    base = table.base_values()
    x = values[group].to_numpy(dtype=float)
    if group.startswith("hr_"):
        # standard-care mortality of 180-day survivors at the base case: crude deaths among
        # them over the mean follow-up after day 180 (uniform follow-up, docs/model.md); the
        # study informs the ratio only
        q = float(base["p_death_fu_given180_soc"])
        horizon = (float(base["followup_min_years"]) + float(base["followup_max_years"])) / 2 \
            - 180 / 365.25
        rate = -np.log(1 - q) / horizon if horizon > 0 else float("nan")
        if not (np.isfinite(rate) and rate > 0):
            raise InputError("standard-care mortality after 180 days (from "
                             "p_death_fu_given180_soc at base) must be positive",
                             parameter="p_death_fu_given180_soc")
        control = np.full(x.size, rate)
        rates = np.column_stack([control * x, control])

        def simulate(n: int, rng: np.random.Generator) -> np.ndarray:
            return ev.survival_statistic(rates, n, follow_up, rng)

        return simulate, (f"two-arm follow-up study of 180-day survivors, {follow_up:g} years; "
                          f"summary: log rate ratio (informs {group})"), 2
    if table[group].distribution == "beta":
        def simulate_b(n: int, rng: np.random.Generator) -> np.ndarray:
            return ev.binary_statistic(x, n, rng)

        return simulate_b, f"single-arm study; summary: observed log-odds of {group}", 1
    raise InputError("no study design for this parameter: choose a hazard ratio (hr_*) or a "
                     "probability with a beta distribution", parameter=group)


def run_evsi(model: Any, design: Design, results: Results, sizes: tuple[int, ...],
             pop: dict[str, Any], group: str | None = None,
             inputs_dir: Path | None = None) -> dict[str, pd.DataFrame]:
    """``evsi_<country>.csv``: EVSI per person (regression method) with its SE for every
    sample size per arm and threshold, the population EVSI and, with study costs, the study
    cost and ENBS (``optimal`` marks the best n)."""
    c = model.country.key
    values = design.to_frame().drop(columns=["label"])[model.table.uncertain_names]
    group = group or default_group(list(values.columns))
    costs_ = study_costs(c, inputs_dir)
    follow = costs_.get("study_follow_up_years", 3.0)
    simulate, what, arms = simulator(model, values, group, follow)
    names = list(results.strategies)
    out = _evsi_table(model, results, simulate, sizes, costs_, arms,
                      pop["discounted_patients"], group, group)
    out["study"] = what
    out["parameter_label"] = model.table[group].description or group
    out["strategies"] = " vs ".join(names)
    return {f"evsi_{c}.csv": out}


def _evsi_table(model: Any, results: Results, simulate: Any, sizes: tuple[int, ...],
                costs_: dict[str, Any], arms: int, people: float, name: str,
                parameter: str) -> pd.DataFrame:
    """EVSI per person over ``sizes`` at each of the country's thresholds (regression
    method on the PSA's net benefits), with ENBS when both study costs are given, else the
    population EVSI (``people``: the discounted population)."""
    costs, qalys = results.outcome_matrix("cost"), results.outcome_matrix("qalys")
    frames = []
    for w in model.country.wtp:
        t = ev.evsi_curve(w * qalys - costs, simulate, list(sizes), name=name)
        if {"study_cost_per_patient", "study_fixed_cost"} <= set(costs_):
            t = ev.enbs(t, costs_["study_cost_per_patient"], costs_["study_fixed_cost"],
                        arms=arms, population=people)
        else:
            t["evsi_population"] = t["evsi"] * people
        t.insert(0, "wtp", w)
        t.insert(1, "parameter", parameter)
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


SUBGROUP_STUDY = "age_77_plus"
"""The subgroup of the proposed subgroup trial (:func:`run_evsi_subgroup`)."""


def subgroup_share(country: str, subgroup: str = SUBGROUP_STUDY,
                   inputs_dir: Path | None = None) -> float:
    """Share of the eligible population in ``subgroup`` (``population.yaml``,
    ``<subgroup>_share``), for the population EVSI of a study in that subgroup."""
    path = (inputs_dir or default_inputs_dir()) / "danger_shock" / "population.yaml"
    key = f"{subgroup}_share"
    try:
        v = yaml.safe_load(path.read_text(encoding="utf-8"))[country][key]
    except (FileNotFoundError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise InputError(f"needs {key} for {country!r} ({exc})", file=str(path),
                         parameter=key) from None
    if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1:
        raise InputError(f"{key} must be a share in [0, 1], got {v!r}", file=str(path),
                         parameter=key)
    return float(v)


def run_evsi_subgroup(model: Any, sizes: tuple[int, ...], pop: dict[str, Any],
                      draws: int, seed: int, opts: Any = None,
                      inputs_dir: Path | None = None,
                      subgroup: str = SUBGROUP_STUDY) -> dict[str, pd.DataFrame]:
    """``evsi_<subgroup>_<country>.csv``: EVSI of a two-arm randomised trial of n patients
    per arm in the subgroup (default aged 77 or over), with 180-day death as its outcome.

    The subgroup's model (:mod:`subgroups`: its own 180-day risks per arm) is run on its own
    PSA (``draws``, ``seed``; the device price fixed as in the all-comers PSA); each draw's
    study is summarised by the observed log-odds of death in each arm (two statistics), and
    EVSI is the regression method's value on them. The population is the all-comers
    discounted population times the subgroup's share (``population.yaml``); ENBS uses the
    same study costs as the all-comers study."""
    from hecon.models.danger_shock.analyses import psa_table
    from hecon.models.danger_shock.subgroups import SUBGROUPS, load_overrides, subgroup_model

    c = model.country.key
    sub = subgroup_model(model, load_overrides(inputs_dir)[subgroup])
    design = Design.psa(psa_table(sub, opts), draws, seed)
    results = sub.evaluate(design, keep_trace=False)
    params = sub.prepare(design)
    p1 = np.asarray(params["p_death_180_impella"], dtype=float)
    p0 = np.asarray(params["p_death_180_soc"], dtype=float)

    def simulate(n: int, rng: np.random.Generator) -> np.ndarray:
        return np.column_stack([ev.binary_statistic(p1, n, rng),
                                ev.binary_statistic(p0, n, rng)])

    share = subgroup_share(c, subgroup, inputs_dir)
    people = pop["discounted_patients"] * share
    out = _evsi_table(model, results, simulate, sizes, study_costs(c, inputs_dir), 2, people,
                      subgroup, "p_death_180_impella, p_death_180_soc")
    out["subgroup"] = SUBGROUPS[subgroup]
    out["population_share"] = share
    out["study"] = (f"two-arm randomised trial in the subgroup ({SUBGROUPS[subgroup]}), n per "
                    "arm; outcome death by 180 days; summary: observed log-odds per arm")
    out["strategies"] = " vs ".join(results.strategies)
    return {f"evsi_{subgroup}_{c}.csv": out}
