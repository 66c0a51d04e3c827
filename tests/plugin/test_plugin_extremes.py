"""Extremes through the generic runner and workbook: identical strategies, zero costs,
probability of death 1 and 0, a one-cycle horizon and no discounting, each worked by hand."""

import json

import pandas as pd
import pytest
from openpyxl import load_workbook

from hecon.engine import C, DiscountSchedule, MarkovModel, Settings, State
from hecon.parameters import ParameterTable
from hecon.plugin import ModelPlugin, SetInfo
from hecon.report.workbook import build_workbook
from hecon.runner import run_generic


class Tiny(ModelPlugin):
    """Two strategies of a 2-state model over one yearly cycle; B may have its own death
    probability and cost."""

    name, title, question = "tiny", "Tiny model", "Is B worth it?"
    intervention, comparator = "B", "A"

    def __init__(self, p_a: float, p_b: float, c_b: float) -> None:
        self.values = {"p_a": p_a, "p_b": p_b, "c_b": c_b}

    def sets(self):
        return {"only": SetInfo("only", "Only set", "EUR", [10_000.0])}

    def parameter_table(self, set_key, inputs=None):
        rows = [{"name": k, "value": v, "unit": "EUR" if k == "c_b" else "probability",
                 "distribution": "fixed", "source": "test"} for k, v in self.values.items()]
        return ParameterTable.from_frame(pd.DataFrame(rows))

    def strategies(self, config, table):
        def arm(name, p, c):
            return MarkovModel(name=name, states=["alive", State("dead", dead=True)],
                               transitions=lambda q, t: {("alive", "dead"): q[p],
                                                         ("alive", "alive"): C},
                               start={"alive": 1.0},
                               costs=lambda q, t: {"care": {"alive": q[c] if c else 0.0}},
                               utilities=lambda q, t: {"alive": 1.0},
                               cycle_length=1.0, n_cycles=1)
        return [arm("A", "p_a", None), arm("B", "p_b", "c_b")]

    def settings(self, config):
        none = DiscountSchedule.flat(0.0)
        return Settings(counting="life-table", discount_costs=none, discount_effects=none)


def run(tmp_path, plugin):
    folder, (s,) = run_generic(plugin, out=str(tmp_path / "r"), command=["x"])
    build_workbook(folder)
    return folder, s


def test_identical_strategies(tmp_path):
    folder, s = run(tmp_path, Tiny(0.5, 0.5, 0.0))
    inc = s["incremental"]
    assert inc["inc_cost"] == 0 and inc["inc_qalys"] == 0
    assert inc["icer"] == "identical"
    assert s["strategies"]["A"]["cost"] == 0.0
    # life-table counting over one cycle: (1 + 0.5) / 2 = 0.75 life-years
    assert s["strategies"]["A"]["life_years"] == pytest.approx(0.75, rel=1e-12)
    ws = load_workbook(folder / "hecon_report.xlsx")["Summary"]
    rows = {r[0]: r for r in ws.iter_rows(values_only=True) if r[0]}
    assert rows["ICER"][1] == "identical"


def test_death_certain_against_death_impossible(tmp_path):
    # A: everyone dies in the cycle -> (1 + 0)/2 = 0.5 QALYs; B: nobody dies -> 1 QALY and
    # cost 1000 x (1 + 1)/2 = 1000; ICER 1000 / 0.5 = 2000; INMB 10000 x 0.5 - 1000 = 4000
    folder, s = run(tmp_path, Tiny(1.0, 0.0, 1000.0))
    inc = s["incremental"]
    assert s["strategies"]["A"]["qalys"] == pytest.approx(0.5, rel=1e-12)
    assert s["strategies"]["B"]["qalys"] == pytest.approx(1.0, rel=1e-12)
    assert inc["inc_cost"] == pytest.approx(1000.0, rel=1e-12)
    assert inc["icer"] == pytest.approx(2000.0, rel=1e-12)
    assert inc["inmb"]["10000"] == pytest.approx(4000.0, rel=1e-12)
    saved = json.loads((folder / "summary.json").read_text())
    assert saved["country_sets"]["only"]["incremental"]["icer"] == pytest.approx(2000.0)


def test_less_effective_and_costlier_is_dominated(tmp_path):
    _, s = run(tmp_path, Tiny(0.0, 1.0, 10.0))
    assert s["incremental"]["icer"] == "dominated"
    assert s["incremental"]["inmb"]["10000"] == pytest.approx(-10_000 * 0.5 - 5.0, rel=1e-12)
