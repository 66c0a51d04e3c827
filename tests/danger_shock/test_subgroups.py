"""Subgroups, the horizon that follows age, and the cost-consequence view: each checked against
the published figures or a hand calculation written out here."""

import math
from pathlib import Path

import numpy as np
import pytest

from hecon.design import Design
from hecon.models.danger_shock import subgroups as sg
from hecon.models.danger_shock.config import ModelConfig
from hecon.models.danger_shock.model import STRATEGY_NAMES, DangerShockModel
from hecon.models.danger_shock.report import summarise
from hecon.parameters import ParameterTable

ROOT = Path(__file__).resolve().parents[2]
IMP, SOC = STRATEGY_NAMES
W_PUMP = 179 / 355  # share randomised to the pump (Moller et al. NEJM 2024)
DT = 30.4375 / 365.25
T_ACUTE = 180 / 365.25


def arm_risks(m: float, odds_ratio: float) -> tuple[float, float]:
    """Standard-care and pump risk with pooled risk m and odds ratio OR, arms weighted as in
    the trial: (1-w)(OR-1) p0^2 + (w OR + 1 - w - m (OR-1)) p0 - m = 0 (quadratic formula)."""
    w = W_PUMP
    a = (1 - w) * (odds_ratio - 1)
    b = w * odds_ratio + 1 - w - m * (odds_ratio - 1)
    p0 = (-b + math.sqrt(b * b + 4 * a * m)) / (2 * a)
    o1 = odds_ratio * p0 / (1 - p0)
    return p0, o1 / (1 + o1)


@pytest.fixture(scope="module")
def rows():
    return {p.name: p for p in ParameterTable.read(sg.subgroups_file())}


def test_age_subgroup_risks_are_derived_from_klein_2025(rows):
    # Klein et al. JACC 2025;85:595-603: 180-day mortality by age quartile 31/47/61/73%,
    # OR for the pump 0.45 under 77 and 1.52 at 77 or over; quartile medians 54/65/73/81 y
    p0, p1 = arm_risks((0.31 + 0.47 + 0.61) / 3, 0.45)
    assert rows["age_under_77__p_death_180_soc"].value == pytest.approx(p0, abs=2e-6)
    assert rows["age_under_77__p_death_180_impella"].value == pytest.approx(p1, abs=2e-6)
    q0, q1 = arm_risks(0.73, 1.52)
    assert rows["age_77_plus__p_death_180_soc"].value == pytest.approx(q0, abs=2e-6)
    assert rows["age_77_plus__p_death_180_impella"].value == pytest.approx(q1, abs=2e-6)
    # the pooled risk is reproduced and the odds ratio is the published one
    assert W_PUMP * p1 + (1 - W_PUMP) * p0 == pytest.approx((0.31 + 0.47 + 0.61) / 3)
    assert (q1 / (1 - q1)) / (q0 / (1 - q0)) == pytest.approx(1.52)
    assert rows["age_under_77__age"].value == (54 + 65 + 73) / 3
    assert rows["age_77_plus__age"].value == 81
    assert rows["men__male_share"].value == 1 and rows["women__male_share"].value == 0


def test_beta_counts_are_the_subgroup_sizes(rows):
    # under 77 = three quartiles of each arm, 77 or over = one quartile (rounded patients)
    sizes = {"age_under_77__p_death_180_impella": round(0.75 * 179),
             "age_under_77__p_death_180_soc": round(0.75 * 176),
             "age_77_plus__p_death_180_impella": round(0.25 * 179),
             "age_77_plus__p_death_180_soc": round(0.25 * 176)}
    assert list(sizes.values()) == [134, 132, 45, 44]
    for name, n in sizes.items():
        p = rows[name]
        assert p.dist.p["alpha"] + p.dist.p["beta"] == pytest.approx(n, abs=1e-9)
        assert p.dist.p["alpha"] == pytest.approx(p.value * n, abs=1e-3)
        assert p.dist.mean() == pytest.approx(p.value, rel=1e-4)


def test_implied_log_or_se_matches_the_published_interval(rows):
    # SE of the log OR implied by the beta counts vs (ln hi - ln lo) / 3.92 of the paper
    for g, lo, hi in (("age_under_77", 0.28, 0.73), ("age_77_plus", 0.57, 4.08)):
        n1, n0 = (134, 132) if g == "age_under_77" else (45, 44)
        p1 = rows[f"{g}__p_death_180_impella"].value
        p0 = rows[f"{g}__p_death_180_soc"].value
        se = math.sqrt(1 / (n1 * p1 * (1 - p1)) + 1 / (n0 * p0 * (1 - p0)))
        assert se == pytest.approx((math.log(hi) - math.log(lo)) / 3.92, rel=0.05)


def test_subgroup_model_replaces_only_its_parameters():
    m = DangerShockModel.build(ModelConfig())
    ov = sg.load_overrides()
    sub = sg.subgroup_model(m, ov["age_77_plus"])
    assert sub.start_age == 81
    for p in m.table:
        if p.name in ov["age_77_plus"]:
            assert sub.table[p.name].value == ov["age_77_plus"][p.name].value
        else:
            assert sub.table[p.name].value == p.value
    s = sub.base_case().summary()
    assert s.loc[IMP, "alive_180d"] == pytest.approx(1 - 0.770705, abs=1e-12)
    assert s.loc[SOC, "alive_180d"] == pytest.approx(1 - 0.688601, abs=1e-12)


def test_a_subgroup_row_with_a_bad_name_is_an_input_error(tmp_path):
    import shutil

    from hecon.errors import InputError

    folder = tmp_path / "danger_shock"
    folder.mkdir()
    text = sg.subgroups_file().read_text().replace("men__male_share", "boys__male_share")
    (folder / "subgroups.csv").write_text(text)
    shutil.copy(sg.subgroups_file(), tmp_path / "unused.csv")
    with pytest.raises(InputError, match="subgroup"):
        sg.load_overrides(tmp_path)


def test_subgroup_block_has_the_incremental_keys():
    country = "uk"  # two thresholds
    m = DangerShockModel.build(ModelConfig(country=country))
    blocks = sg.run_subgroups(m, draws=20)
    inc_keys = set(summarise(m, m.base_case())["incremental"])
    assert "post hoc" in blocks["note"]
    assert set(sg.SUBGROUPS) <= set(blocks)
    for name in sg.SUBGROUPS:
        b = blocks[name]
        assert inc_keys <= set(b)
        assert {"strategies", "prob_cost_effective", "psa_draws", "age", "male_share"} <= set(b)
        assert set(b["prob_cost_effective"]) == {f"{w:g}" for w in m.country.wtp}
        for w, x in b["prob_cost_effective"].items():
            assert 0 <= x <= 1
            assert b["inmb"][w] == pytest.approx(float(w) * b["inc_qalys"] - b["inc_cost"])
        a, c = b["strategies"][IMP], b["strategies"][SOC]
        assert b["inc_cost"] == pytest.approx(a["cost"] - c["cost"])
    t = sg.subgroup_table(blocks, country, m.country.currency)
    assert len(t) == 4 * len(m.country.wtp)
    assert t.loc[t["subgroup"].str.startswith("age_"), "post_hoc"].all()


def test_sex_subgroups_weight_men_and_women_as_the_all_comers_mixture():
    # all-comers outcomes = male_share x men + (1 - male_share) x women (same risks)
    m = DangerShockModel.build(ModelConfig(country="uk"))
    ov = sg.load_overrides()
    share = m.table["male_share"].value
    allc = m.base_case().summary()
    men = sg.subgroup_model(m, ov["men"]).base_case().summary()
    women = sg.subgroup_model(m, ov["women"]).base_case().summary()
    for o in ("cost", "qalys", "life_years"):
        mix = share * men[o] + (1 - share) * women[o]
        np.testing.assert_allclose(allc[o].to_numpy(), mix.to_numpy(), rtol=1e-12)


def test_one_way_on_age_moves_the_horizon():
    m = DangerShockModel.build(ModelConfig())
    d = Design.one_way(m.table, names=["age"])
    r = m.evaluate(d)
    # hand: whole monthly cycles from 180 days to age 100
    for age in (60.0, 67.0, 75.0):
        assert m.horizon_cycles(np.array([age]))[0] == round((100 - age - T_ACUTE) / DT)
    # each one-way row equals a model whose base-case age is that row's age (own horizon)
    for label, age in (("age:low", 60.0), ("age:high", 75.0)):
        ref = DangerShockModel(m.config, m.country, m.table.with_values({"age": age}))
        rb = ref.base_case()
        i = d.labels.index(label)
        for s in r.strategies:
            for o in ("cost", "qalys", "life_years"):
                assert r.column(s, o)[i] == pytest.approx(rb.column(s, o)[0], rel=1e-12)
    # an older cohort lives fewer undiscounted years after 180 days
    ly = r.column(IMP, "life_years_undisc")
    assert ly[d.labels.index("age:high")] < ly[d.labels.index("base")] < ly[
        d.labels.index("age:low")]


def test_cost_per_extra_survivor_by_hand():
    m = DangerShockModel.build(ModelConfig(country="dk"))
    p = {k: float(v[0]) for k, v in m.base_design().params().items()}
    inc = summarise(m, m.base_case())["incremental"]

    def stay(survived: bool, ratio: float) -> float:
        who = "survivor" if survived else "decedent"
        return (p[f"icu_days_{who}"] * ratio * p["c_icu_day"]
                + p[f"ward_days_{who}"] * p["c_ward_day"])

    def index_cost(arm: str) -> float:
        d = p[f"p_death_180_{arm}"]
        r = p["icu_days_ratio_impella"] if arm == "impella" else 1.0
        c = (p[f"p_safety_{arm}"] * p["c_safety_event"] + p[f"p_rrt_{arm}"] * p["c_rrt_acute"]
             + d * stay(False, r) + (1 - d) * stay(True, r))
        if arm == "impella":
            c += p["c_device"] + p["c_implant"] + p["c_device_system"]
        return c

    d_cost = index_cost("impella") - index_cost("soc")
    d_alive = p["p_death_180_soc"] - p["p_death_180_impella"]
    assert inc["inc_index_cost"] == pytest.approx(d_cost, rel=1e-12)
    assert inc["inc_alive_180d"] == pytest.approx(d_alive, rel=1e-12)
    assert inc["index_cost_per_extra_survivor_180d"] == pytest.approx(d_cost / d_alive,
                                                                       rel=1e-12)


def test_cost_per_extra_survivor_words_at_the_extremes():
    from hecon.models.danger_shock.report import per_extra_survivor

    assert per_extra_survivor(100.0, 0.0) == "undefined (equal survival)"
    assert per_extra_survivor(0.0, 0.0) == "identical"
    assert per_extra_survivor(100.0, -0.1) == "fewer survivors, higher cost"
    assert per_extra_survivor(-100.0, -0.1) == "fewer survivors, lower cost"
    assert per_extra_survivor(100.0, 0.5) == pytest.approx(200.0)


def test_age_utility_factor_by_hand():
    from hecon.engine import ParamView
    from hecon.models.danger_shock.structure import age_utility_factor

    coef = {"u_norm_intercept": 0.9508566, "u_norm_male": 0.0212126,
            "u_norm_age": -0.0002587, "u_norm_age2": -0.0000332}
    p = ParamView({**{k: np.array([v, v]) for k, v in coef.items()},
                   "male": np.array([1.0, 0.0]), "age": np.array([67.0, 67.0])})

    def ara(age, male):  # Ara & Brazier 2010
        return 0.9508566 + 0.0212126 * male - 0.0002587 * age - 0.0000332 * age ** 2

    a0 = 67.0 + T_ACUTE
    got = age_utility_factor(p, np.array([90.0, 90.0]))
    np.testing.assert_allclose(got, [ara(90, 1) / ara(a0, 1), ara(90, 0) / ara(a0, 0)],
                               rtol=1e-12)
    np.testing.assert_allclose(age_utility_factor(p, np.array([a0, a0])), 1.0, rtol=1e-12)
    flat = ParamView({**{k: p[k] for k in p.keys()}, "u_norm_age": np.zeros(2),
                      "u_norm_age2": np.zeros(2)})
    np.testing.assert_allclose(age_utility_factor(flat, np.array([95.0, 95.0])), 1.0)
