"""Subgroups of the DanGer Shock model: age under 77 / 77 or over, men / women.

Each subgroup's model is the all-comers model with some parameters replaced by rows of
``inputs/danger_shock/subgroups.csv``. A row named ``<subgroup>__<parameter>`` replaces
``<parameter>`` (its value, distribution, range and source) in that subgroup; everything else,
including a scenario's overrides, stays as in the all-comers model. The age subgroups are
post hoc (Klein et al. JACC 2025;85:595-603); no sex-specific effect is published.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from hecon.design import Design
from hecon.errors import InputError
from hecon.models.danger_shock.inputs import default_inputs_dir
from hecon.models.danger_shock.model import DangerShockModel, _unit_kind
from hecon.parameters import Parameter, ParameterTable
from hecon.progress import Progress, silent

SEP = "__"
SUBGROUPS = {  # name -> label a reader sees
    "age_under_77": "Age under 77 years",
    "age_77_plus": "Age 77 years or over",
    "men": "Men",
    "women": "Women",
}
PSA_DRAWS = 2_000
NOTE = ("The age subgroups are post hoc: DanGer Shock was not powered for them and the 77-year "
        "cut-point comes from the trial's own age analysis (Klein et al. JACC 2025;85:595-603), "
        "so their results are hypothesis-generating. The sex subgroups change only the life "
        "table (no sex-specific treatment effect or baseline risk is published). P(cost-"
        "effective) comes from a PSA of each subgroup's model with fewer draws than the "
        "all-comers PSA.")


def subgroups_file(inputs_dir: Path | None = None) -> Path:
    """``inputs/danger_shock/subgroups.csv``."""
    return (inputs_dir or default_inputs_dir()) / "danger_shock" / "subgroups.csv"


def load_overrides(inputs_dir: Path | None = None) -> dict[str, dict[str, Parameter]]:
    """Subgroup -> {all-comers parameter name -> replacement row}. A row whose name does not
    read ``<subgroup>__<parameter>`` with a known subgroup is an :class:`InputError`."""
    path = subgroups_file(inputs_dir)
    table = ParameterTable.read(path)
    out: dict[str, dict[str, Parameter]] = {k: {} for k in SUBGROUPS}
    for p in table:
        group, sep, target = p.name.partition(SEP)
        if not sep or not target or group not in SUBGROUPS:
            raise InputError(f"a subgroup row must be named <subgroup>{SEP}<parameter> with a "
                             f"subgroup among {', '.join(SUBGROUPS)}", file=p.file, row=p.row,
                             parameter=p.name)
        out[group][target] = p
    return out


def subgroup_model(model: DangerShockModel, overrides: dict[str, Parameter]) -> DangerShockModel:
    """The all-comers model with the given parameters replaced (value, distribution, range and
    source); an override of a parameter the model does not have is an :class:`InputError`."""
    for target, p in overrides.items():
        if target not in model.table:
            raise InputError("the subgroup row replaces a parameter the model does not have",
                             file=p.file, row=p.row, parameter=p.name)
        if _unit_kind(model.table[target].unit) != _unit_kind(p.unit):
            raise InputError(f"unit {p.unit!r} differs from the model's "
                             f"{model.table[target].unit!r} for {target}", file=p.file,
                             row=p.row, parameter=p.name)
    table = ParameterTable(replace(overrides[p.name], name=p.name) if p.name in overrides
                           else p for p in model.table)
    return DangerShockModel(model.config, model.country, table, model.scenario)


def subgroup_block(model: DangerShockModel, draws: int = PSA_DRAWS,
                   seed: int = 20240404) -> dict[str, Any]:
    """One subgroup's results: the keys of the all-comers ``incremental`` block, plus costs,
    QALYs, life-years and 180-day survival per strategy and P(cost-effective) from a PSA."""
    from hecon.models.danger_shock.analyses import increments
    from hecon.models.danger_shock.report import summarise

    s = summarise(model, model.base_case())
    out = dict(s["incremental"])
    out["strategies"] = {name: {k: v[k] for k in ("cost", "qalys", "life_years", "alive_180d")}
                         for name, v in s["strategies"].items()}
    out["age"] = model.start_age
    out["male_share"] = float(model.table["male_share"].value)
    if draws > 0:
        dc, dq = increments(model.evaluate(Design.psa(model.table, draws, seed),
                                           keep_trace=False))
        out["prob_cost_effective"] = {f"{w:g}": float((w * dq - dc > 0).mean())
                                      for w in model.country.wtp}
    else:
        out["prob_cost_effective"] = None
    out["psa_draws"] = draws
    return out


def run_subgroups(model: DangerShockModel, draws: int = PSA_DRAWS, seed: int = 20240404,
                  inputs_dir: Path | None = None, progress: Progress = silent
                  ) -> dict[str, Any]:
    """Every subgroup of one country set: ``{"note": ..., "psa_draws": n, <name>: block}``."""
    blocks: dict[str, Any] = {"note": NOTE, "psa_draws": draws}
    overrides = load_overrides(inputs_dir)
    bar = progress(f"Subgroups {model.country.key.upper()}", len(overrides), unit="subgroup")
    try:
        for name, ov in overrides.items():
            sub = subgroup_model(model, ov)
            blocks[name] = {"label": SUBGROUPS[name],
                            "replaced": {k: float(p.value) for k, p in ov.items()},
                            **subgroup_block(sub, draws, seed)}
            bar.update(1)
    finally:
        bar.close()
    return blocks


def subgroup_table(blocks: dict[str, Any], country: str, currency: str) -> pd.DataFrame:
    """One row per subgroup and threshold (``subgroups_<country>.csv``)."""
    rows = []
    for name, b in blocks.items():
        if not isinstance(b, dict):
            continue
        (imp, a), (soc, c) = list(b["strategies"].items())
        for w, inmb in b["inmb"].items():
            pce = b["prob_cost_effective"]
            rows.append({
                "country": country, "subgroup": name, "label": b["label"], "currency": currency,
                "age": b["age"], "male_share": b["male_share"],
                "alive_180d_impella": a["alive_180d"], "alive_180d_soc": c["alive_180d"],
                "cost_impella": a["cost"], "cost_soc": c["cost"],
                "qalys_impella": a["qalys"], "qalys_soc": c["qalys"],
                "inc_cost": b["inc_cost"], "inc_qalys": b["inc_qalys"],
                "inc_life_years": b["inc_life_years"], "icer": b["icer"], "wtp": float(w),
                "inmb": inmb, "threshold_device_price": b["threshold_device_price"][w],
                "prob_cost_effective": None if pce is None else pce[w],
                "psa_draws": b["psa_draws"], "post_hoc": name.startswith("age_"),
            })
    return pd.DataFrame(rows)
