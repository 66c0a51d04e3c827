"""A 3-state, 2-strategy cohort model through the public API (the README example)."""

import numpy as np

from hecon.engine import C, MarkovModel, ParamView, Settings, State, evaluate

# parameter samples: here a single base-case row (a Design gives many rows the same way)
p = ParamView({"p_sick": 0.10, "p_die": 0.02, "rr_die_sick": 3.0, "hr_trt": 0.7,
               "c_sick": 2_000.0, "c_drug": 1_500.0, "u_well": 0.90, "u_sick": 0.60})


def strategy(name: str, treated: bool) -> MarkovModel:
    return MarkovModel(
        name=name,
        states=["well", "sick", State("dead", dead=True)],
        transitions=lambda p, t: {
            ("well", "sick"): p.p_sick * (p.hr_trt if treated else 1.0),
            ("well", "dead"): p.p_die,
            ("well", "well"): C,
            ("sick", "dead"): np.minimum(p.p_die * p.rr_die_sick, 1.0),
            ("sick", "sick"): C,
        },
        start={"well": 1.0},
        costs=lambda p, t: {"care": {"sick": p.c_sick},
                            "drug": {"well": p.c_drug if treated else 0.0}},
        utilities=lambda p, t: {"well": p.u_well, "sick": p.u_sick},
        cycle_length=1.0,  # years
        n_cycles=40,
    )


results = evaluate([strategy("usual care", False), strategy("new drug", True)], p,
                   Settings(counting="life-table"))  # 3.5% costs and effects (NICE)
table = results.summary()[["cost", "qalys", "life_years"]]
print(table.round(2))
d = table.loc["new drug"] - table.loc["usual care"]
print(f"ICER: {d['cost'] / d['qalys']:,.0f} per QALY gained")


# ------------------------------------------------------------------------------------------
# The same model as a plug-in: `hecon run --model examples/three_state.py` runs its base case,
# one-way, PSA, VOI and Sobol analyses from the parameter table next to this file (the same
# base values as above; distributions and ranges are illustrative) and writes a workbook.
from pathlib import Path  # noqa: E402

from hecon.parameters import ParameterTable  # noqa: E402
from hecon.plugin import ModelPlugin, SetInfo  # noqa: E402

TABLE = Path(__file__).with_name("three_state_parameters.csv")


class ThreeState(ModelPlugin):
    """The README's 3-state model: usual care vs a new drug that slows falling sick."""

    name = "three_state"
    title = "Three-state example: new drug vs usual care"
    question = "Is the new drug cost-effective compared with usual care? (illustrative)"
    intervention, comparator = "new drug", "usual care"
    strategy_keys = {"usual care": "usual", "new drug": "drug"}
    parameter_labels = {"p_sick": "probability of falling sick", "p_die": "probability of dying",
                        "rr_die_sick": "relative risk of death when sick",
                        "hr_trt": "effect of the drug", "c_sick": "cost of sickness",
                        "c_drug": "cost of the drug", "u_well": "utility well",
                        "u_sick": "utility sick"}

    def sets(self) -> dict[str, SetInfo]:
        return {"example": SetInfo("example", "Illustrative example (GBP)", "GBP",
                                   [20_000.0, 30_000.0], "NICE thresholds (illustrative)")}

    def parameter_table(self, set_key: str, inputs: Path | None = None) -> ParameterTable:
        return ParameterTable.read(inputs or TABLE)

    def strategies(self, config: dict, table: ParameterTable) -> list[MarkovModel]:
        return [strategy("usual care", False), strategy("new drug", True)]

    def report_texts(self, summary: dict) -> dict:
        return {**super().report_texts(summary), "intervention_noun": "the new drug",
                "time_label": "Years since the start"}

    def settings(self, config: dict) -> Settings:
        return Settings(counting="life-table")  # 3.5% costs and effects, as above


HECON_MODEL = ThreeState()
