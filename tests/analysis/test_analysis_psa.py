"""PSA summaries checked against hand calculations and closed forms."""

import numpy as np
import pytest
from scipy import stats

from hecon.analysis import psa
from hecon.errors import InputError

# Three draws, strategies A (free, no effect) and B (costs 10).
C = np.array([[0.0, 10.0], [0.0, 10.0], [0.0, 10.0]])
E = np.array([[0.0, 1.0], [0.0, 0.0], [0.0, 2.0]])


def test_ceac_by_hand():
    # wtp 0: NMB_B = -10 in every draw -> A always.
    # wtp 5: NMB_B = -5, -10, 0 -> draw 3 is a tie (0 vs 0), the first-listed (A) wins.
    # wtp 20: NMB_B = 10, -10, 30 -> B wins 2 of 3.
    t = psa.ceac(C, E, ["A", "B"], [0, 5, 20])
    assert t["A"].tolist() == [1.0, 1.0, pytest.approx(1 / 3)]
    assert t["B"].tolist() == [0.0, 0.0, pytest.approx(2 / 3)]
    assert np.allclose(t[["A", "B"]].sum(axis=1), 1)


def test_ceac_matches_normal_closed_form():
    # INB ~ Normal(mu, s): P(B cost-effective) = Phi(mu / s)
    rng = np.random.default_rng(3)
    n = 200_000
    dq = rng.normal(0.5, 0.2, n)
    dc = rng.normal(8000, 3000, n)
    costs = np.column_stack([dc, np.zeros(n)])
    effects = np.column_stack([dq, np.zeros(n)])
    for w in (10_000, 16_000, 30_000):
        mu, s = w * 0.5 - 8000, np.hypot(w * 0.2, 3000)
        p = stats.norm.cdf(mu / s)
        got = psa.ceac(costs, effects, ["new", "old"], w)["new"].iloc[0]
        assert abs(got - p) < 4 * np.sqrt(p * (1 - p) / n)


def test_ceaf_follows_expected_nmb_not_probability():
    # B beats A by 1 in 6 draws and loses by 10 in 4: B is more often best, but its expected
    # INB is 0.6 - 4 = -3.4, so the decision is A, cost-effective with probability 0.4.
    inb = np.array([1.0] * 6 + [-10.0] * 4)
    costs = np.column_stack([np.zeros(10), -inb])
    effects = np.zeros((10, 2))
    f = psa.ceaf(costs, effects, ["A", "B"], [1.0])
    assert f["optimal"].iloc[0] == "A"
    assert f["probability"].iloc[0] == pytest.approx(0.4)


def test_expected_loss_by_hand_and_evpi():
    # NMB at wtp 20: A = 0,0,0; B = 10,-10,30. Best per draw: 10, 0, 30.
    # loss(A) = (10 + 0 + 30)/3 = 13.33; loss(B) = (0 + 10 + 0)/3 = 3.33.
    # EVPI = E[max] - max E = 40/3 - max(0, 10) = 3.33 = min loss.
    t = psa.expected_loss(C, E, ["A", "B"], [20])
    assert t["A"].iloc[0] == pytest.approx(40 / 3)
    assert t["B"].iloc[0] == pytest.approx(10 / 3)
    assert t["evpi"].iloc[0] == pytest.approx(10 / 3)


def test_identical_strategies_have_no_loss_and_first_wins():
    c = np.tile([[5.0, 5.0]], (4, 1))
    e = np.tile([[1.0, 1.0]], (4, 1))
    assert psa.expected_loss(c, e, ["A", "B"], [0, 1e6])["evpi"].tolist() == [0, 0]
    assert psa.ceac(c, e, ["A", "B"], [100])["A"].iloc[0] == 1.0


def test_summary_mean_sd_mcse_by_hand():
    costs = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [4.0, 0.0]])
    effects = np.array([[0.1, 0.0], [0.2, 0.0], [0.3, 0.0], [0.4, 0.0]])
    s = psa.summary(costs, effects, ["A", "B"], wtp=[100]).set_index(["strategy", "outcome"])
    row = s.loc[("A", "cost")]
    # mean 2.5; sample SD sqrt(((1.5^2+0.5^2)*2)/3) = sqrt(5/3); MCSE = SD / 2
    assert row["mean"] == 2.5
    assert row["sd"] == pytest.approx(np.sqrt(5 / 3))
    assert row["mcse"] == pytest.approx(np.sqrt(5 / 3) / 2)
    # INMB at 100 = 100 * 0.1k - k = 9k, k=1..4 -> mean 22.5
    assert s.loc[("A vs B", "inmb@100"), "mean"] == pytest.approx(22.5)
    # every draw has ICER 10, so the ratio of means is 10 with zero delta-method error
    icer = s.loc[("A vs B", "icer (ratio of means)")]
    assert icer["mean"] == pytest.approx(10)
    assert icer["mcse"] == pytest.approx(0, abs=1e-9)


def test_icer_mcse_matches_replication_spread():
    # The delta-method MCSE of the ratio of means should match the spread of the ratio over
    # independent replications of the whole PSA.
    rng = np.random.default_rng(11)
    n, reps = 500, 400
    ratios, ses = [], []
    for _ in range(reps):
        de = rng.normal(0.4, 0.3, n)
        dc = 5000 + 10_000 * de + rng.normal(0, 4000, n)
        c = np.column_stack([dc, np.zeros(n)])
        e = np.column_stack([de, np.zeros(n)])
        s = psa.summary(c, e, ["A", "B"]).set_index(["strategy", "outcome"])
        r = s.loc[("A vs B", "icer (ratio of means)")]
        ratios.append(r["mean"])
        ses.append(r["mcse"])
    assert np.std(ratios) == pytest.approx(np.mean(ses), rel=0.12)


def test_convergence_ends_at_full_sample():
    rng = np.random.default_rng(0)
    c = rng.normal(size=(1000, 2))
    e = rng.normal(size=(1000, 2))
    t = psa.convergence(c, e, ["A", "B"], wtp=2.0)
    assert t["draws"].iloc[-1] == 1000
    assert t["inc_cost"].iloc[-1] == pytest.approx((c[:, 0] - c[:, 1]).mean())
    inmb = 2 * (e[:, 0] - e[:, 1]) - (c[:, 0] - c[:, 1])
    assert t["prob_cost_effective"].iloc[-1] == pytest.approx((inmb > 0).mean())
    assert t["draws"].is_monotonic_increasing


def test_ce_plane_long_table():
    t = psa.ce_plane(C, E, ["A", "B"])
    assert t["inc_cost"].tolist() == [-10.0] * 3
    assert t["inc_effect"].tolist() == [-1.0, 0.0, -2.0]


@pytest.mark.parametrize("costs, effects, names", [
    (np.zeros((3, 2)), np.zeros((3, 3)), ["A", "B"]),
    (np.zeros((3, 2)), np.zeros((3, 2)), ["A"]),
    (np.zeros((3, 2)), np.zeros((3, 2)), ["A", "A"]),
    (np.array([[0.0, np.nan]]), np.zeros((1, 2)), ["A", "B"]),
])
def test_bad_input(costs, effects, names):
    with pytest.raises(InputError):
        psa.ceac(costs, effects, names, [1.0])


def test_bad_wtp():
    with pytest.raises(InputError):
        psa.ceac(C, E, ["A", "B"], [np.inf])
