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
