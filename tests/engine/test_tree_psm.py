"""Decision tree roll-back and the partitioned-survival engine against hand calculations."""

import numpy as np
import pytest

from hecon.engine import (
    Branch,
    C,
    Chance,
    DiscountSchedule,
    Hybrid,
    MarkovModel,
    ParamView,
    PartitionedSurvivalModel,
    Settings,
    State,
    Terminal,
    evaluate,
    rollback,
)
from hecon.errors import ModelError

UNDISC = Settings.undiscounted("start")


def acute_tree():
    return Chance("acute", [
        Branch("dies", p=lambda p: p.p_die, costs={"hosp": 8000.0}, qalys=0.02,
               then=Terminal("dead")),
        Branch("survives", p=C, costs={"hosp": 12000.0}, qalys=0.3, life_years=0.5,
               then=Chance("kidney", [
                   Branch("dialysis", p=0.2, costs={"rrt": 5000.0}, then=Terminal("dialysis")),
                   Branch("recovers", p=C, then=Terminal("well")),
               ])),
    ])


def test_tree_rolled_back_by_hand():
    p = ParamView({"p_die": np.array([0.4, 0.0, 1.0])})
    rb = rollback(acute_tree(), p)
    pd = np.array([0.4, 0.0, 1.0])
    ps = 1 - pd
    np.testing.assert_allclose(rb.costs["hosp"], pd * 8000 + ps * 12000)
    np.testing.assert_allclose(rb.costs["rrt"], ps * 0.2 * 5000)
    np.testing.assert_allclose(rb.qalys, pd * 0.02 + ps * 0.3)
    np.testing.assert_allclose(rb.life_years, ps * 0.5)
    np.testing.assert_allclose(rb.terminal["dead"], pd)
    np.testing.assert_allclose(rb.terminal["dialysis"], ps * 0.2)
    np.testing.assert_allclose(rb.terminal["well"], ps * 0.8)
    total = sum(rb.terminal.values())
    np.testing.assert_allclose(total, 1.0)


@pytest.mark.parametrize(
    "branches, pattern",
    [
        ([Branch("a", 0.5, Terminal("x")), Branch("b", 0.4, Terminal("y"))], "sum to 0.9"),
        ([Branch("a", 1.3, Terminal("x")), Branch("b", C, Terminal("y"))], "outside"),
        ([Branch("a", 0.7, Terminal("x")), Branch("b", 0.6, Terminal("y")),
          Branch("c", C, Terminal("z"))], "sum to 1.3 > 1"),
        ([Branch("a", C, Terminal("x")), Branch("b", C, Terminal("y"))], "more than one"),
    ],
)
def test_tree_validation(branches, pattern):
    with pytest.raises(ModelError, match=pattern):
        rollback(Chance("n", branches), ParamView({}))


def test_hybrid_tree_then_markov_by_hand():
    # after the tree: well -> dead 0.1/yr, dialysis -> dead 0.3/yr, annual costs 100 / 1000
    long_term = MarkovModel(
        name="lt",
        states=["well", "dialysis", State("dead", dead=True)],
        transitions=lambda p, t: {("well", "dead"): 0.1, ("well", "well"): C,
                                  ("dialysis", "dead"): 0.3, ("dialysis", "dialysis"): C},
        start={"well": 1.0},
        n_cycles=2,
        costs=lambda p, t: {"care": {"well": 100.0, "dialysis": 1000.0}},
        utilities=lambda p, t: {"well": 0.8, "dialysis": 0.5},
        start_time=0.5,
    )
    h = Hybrid("impella", acute_tree(), long_term,
               extras={"alive_end_tree": lambda rb, p: 1 - rb.terminal["dead"]})
    r = 0.04
    s = Settings(counting="start", timing="start", discount_costs=DiscountSchedule.flat(r),
                 discount_effects=DiscountSchedule.flat(0.0))
    p = ParamView({"p_die": np.array([0.4])})
    row = evaluate([h], p, s).summary().loc["impella"]
    well0, dial0 = 0.6 * 0.8, 0.6 * 0.2
    # markov costs at cycle start times 0.5 and 1.5 years
    care = (well0 * 100 + dial0 * 1000) * (1 + r) ** -0.5 + (
        well0 * 0.9 * 100 + dial0 * 0.7 * 1000) * (1 + r) ** -1.5
    assert row["cost_care"] == pytest.approx(care, rel=1e-13)
    assert row["cost_hosp"] == pytest.approx(0.4 * 8000 + 0.6 * 12000)
    assert row["cost_rrt"] == pytest.approx(0.6 * 0.2 * 5000)
    qalys = 0.4 * 0.02 + 0.6 * 0.3 + (well0 * 0.8 + dial0 * 0.5) + (
        well0 * 0.9 * 0.8 + dial0 * 0.7 * 0.5)
    assert row["qalys"] == pytest.approx(qalys, rel=1e-13)
    assert row["life_years"] == pytest.approx(0.6 * 0.5 + 0.6 + (well0 * 0.9 + dial0 * 0.7))
    assert row["alive_end_tree"] == pytest.approx(0.6)
    assert row["p_end_dialysis"] == pytest.approx(0.12)


def test_hybrid_tree_only():
    p = ParamView({"p_die": np.array([0.25])})
    row = evaluate([Hybrid("acute", acute_tree())], p, UNDISC).summary().loc["acute"]
    assert row["life_years"] == pytest.approx(0.75 * 0.5)
    assert row["cost"] == pytest.approx(0.25 * 8000 + 0.75 * 12000 + 0.75 * 0.2 * 5000)


def exp_psm(lam_pfs, lam_os, T, dt, crossing="cap"):
    return PartitionedSurvivalModel(
        name="psm",
        states=["pf", "progressed", State("dead", dead=True)],
        curves=lambda p, t: [np.exp(-np.outer(p.lp, t)), np.exp(-np.outer(p.lo, t))],
        n_cycles=T,
        cycle_length=dt,
        utilities=lambda p, t: {"pf": 1.0, "progressed": 1.0},
        costs=lambda p, t: {"c": {"pf": 1.0}},
        crossing=crossing,
    )


def test_psm_exponential_restricted_means():
    lp, lo = np.array([0.5, 0.2]), np.array([0.2, 0.1])
    p = ParamView({"lp": lp, "lo": lo})
    T, dt = 200, 0.05
    r = evaluate([exp_psm(lp, lo, T, dt)], p, Settings.undiscounted("trapezoid"))
    h, horizon = dt, T * dt
    # discrete trapezoid of exp(-l t): h (1 + e^{-lh})/2 * (1 - e^{-lTh}) / (1 - e^{-lh})
    trap = lambda lam: h * (1 + np.exp(-lam * h)) / 2 * (  # noqa: E731
        1 - np.exp(-lam * horizon)) / (1 - np.exp(-lam * h))
    np.testing.assert_allclose(r.column("psm", "life_years"), trap(lo), rtol=1e-12)
    # and the continuous restricted mean (1 - e^{-lT}) / l within the trapezoid error bound
    rmst = (1 - np.exp(-lo * horizon)) / lo
    bound = lo**2 * h**2 * horizon / 12
    assert np.all(np.abs(r.column("psm", "life_years") - rmst) <= bound)
    # a cost of 1 per cycle in pf: the trapezoid sum of PFS in cycles (not years)
    np.testing.assert_allclose(r.column("psm", "cost"), trap(lp) / dt, rtol=1e-12)


def test_psm_membership_by_differences_and_markov_equivalence():
    # progressive 3-state Markov; its PFS and OS curves fed to a PSM give the same trace
    a, b, d = 0.2, 0.1, 0.3  # pf->prog, pf->dead, prog->dead (per cycle)
    mk = MarkovModel(
        name="mk", states=["pf", "progressed", State("dead", dead=True)],
        transitions=lambda p, t: {("pf", "progressed"): a, ("pf", "dead"): b, ("pf", "pf"): C,
                                  ("progressed", "dead"): d, ("progressed", "progressed"): C},
        start={"pf": 1.0}, n_cycles=10,
        utilities=lambda p, t: {"pf": 0.9, "progressed": 0.6},
    )
    tr = evaluate([mk], {}, Settings()).trace("mk")
    pfs, os_ = tr["pf"].to_numpy(), (tr["pf"] + tr["progressed"]).to_numpy()
    psm = PartitionedSurvivalModel(
        name="ps", states=["pf", "progressed", "dead"],
        curves=lambda p, t: [pfs[None, :], os_[None, :]], n_cycles=10,
        utilities=lambda p, t: {"pf": 0.9, "progressed": 0.6},
    )
    r = evaluate([mk, psm], {}, Settings())
    np.testing.assert_allclose(r.trace("ps")[["pf", "progressed", "dead"]].to_numpy(),
                               tr[["pf", "progressed", "dead"]].to_numpy(), atol=1e-15)
    assert r.summary().loc["ps", "qalys"] == pytest.approx(r.summary().loc["mk", "qalys"])


def test_psm_crossing_policy_cap_reported_and_error():
    p = ParamView({"lp": np.array([0.1]), "lo": np.array([0.3])})  # PFS above OS after t=0
    r = evaluate([exp_psm(None, None, 10, 1.0)], p, Settings())
    assert int(r.outputs["psm"].extras["crossings"]) == 10
    tr = r.trace("psm")
    np.testing.assert_allclose(tr["progressed"], 0.0, atol=1e-15)
    np.testing.assert_allclose(tr["pf"], np.exp(-0.3 * np.arange(11)), rtol=1e-14)
    with pytest.raises(ModelError, match="curve 1 lies above curve 2 at time 1 years, sample 0"):
        evaluate([exp_psm(None, None, 10, 1.0, crossing="error")], p, Settings())


def test_psm_rejects_increasing_or_out_of_range_curves():
    def m(curve):
        return PartitionedSurvivalModel(name="x", states=["alive", "dead"],
                                        curves=lambda p, t: [curve], n_cycles=2)
    with pytest.raises(ModelError, match="increases"):
        evaluate([m(np.array([[1.0, 0.8, 0.9]]))], {}, Settings())
    with pytest.raises(ModelError, match="outside"):
        evaluate([m(np.array([[1.0, 1.2, 0.9]]))], {}, Settings())


def test_mixture_of_subgroups_by_hand():
    # men die at 0.2 per cycle, women at 0.1; 60% men; 3 cycles, start counting, no discount
    from hecon.engine import Mixture

    m = MarkovModel(
        name="cohort", states=["alive", State("dead", dead=True)],
        transitions=lambda p, t: {("alive", "dead"): np.where(p.male == 1, 0.2, 0.1),
                                  ("alive", "alive"): C},
        start={"alive": 1.0}, n_cycles=3, costs=lambda p, t: {"c": {"alive": 10.0}},
    )
    mix = Mixture("mix", [(lambda p: p.share_men, m, {"male": 1.0}),
                          (lambda p: 1 - p.share_men, m, {"male": 0.0})])
    p = ParamView({"share_men": np.array([0.6, 1.0]), "male": np.array([0.0, 0.0])})
    r = evaluate([mix], p, Settings.undiscounted("start"))
    le_m = 1 + 0.8 + 0.64
    le_f = 1 + 0.9 + 0.81
    np.testing.assert_allclose(r.column("mix", "life_years"),
                               [0.6 * le_m + 0.4 * le_f, le_m], rtol=1e-14)
    np.testing.assert_allclose(r.column("mix", "cost"),
                               10 * np.array([0.6 * le_m + 0.4 * le_f, le_m]), rtol=1e-14)
    np.testing.assert_allclose(r.trace("mix")["alive"].iloc[1], 0.6 * 0.8 + 0.4 * 0.9)
    bad = Mixture("bad", [(0.5, m, {"male": 1.0}), (0.4, m, {"male": 0.0})])
    with pytest.raises(ModelError, match="weights sum to 0.9"):
        evaluate([bad], p, Settings())
