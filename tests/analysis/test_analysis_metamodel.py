"""One-way and two-way curves from the PSA by a polynomial metamodel, against conditional
means worked out in closed form here, the OLS interval by hand, and a deterministic one-way
analysis of the same linear function."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hecon.analysis import metamodel
from hecon.errors import InputError

N = 20_000


@pytest.fixture(scope="module")
def draws():
    rng = np.random.default_rng(12)
    x = rng.normal(2.0, 0.5, N)
    z = rng.gamma(4.0, 0.5, N)  # mean 2
    w = rng.uniform(0, 1, N)
    return pd.DataFrame({"x": x, "z": z, "w": w}), rng


def test_one_way_recovers_conditional_mean(draws):
    values, rng = draws
    x, z = values["x"], values["z"]
    # y = 100 + 40 x - 8 x^2 + 30 z + noise: E[y | x] = 100 + 40 x - 8 x^2 + 30 E[z] (= 60)
    y = 100 + 40 * x - 8 * x**2 + 30 * z + 5 * rng.normal(size=N)
    t = metamodel.one_way(values, y.to_numpy(), ["x", "w"], points=11)
    cx = t[t["parameter"] == "x"]
    truth = 160 + 40 * cx["value"] - 8 * cx["value"] ** 2
    assert cx["value"].iloc[0] == pytest.approx(np.percentile(x, 2.5))
    assert ((cx["lower"] <= truth + 1e-9) & (truth <= cx["upper"] + 1e-9)).mean() >= 0.8
    assert np.abs(cx["estimate"] - truth).max() < 3
    # w does not enter y: a flat curve at E[y]
    cw = t[t["parameter"] == "w"]
    assert np.abs(cw["estimate"] - y.mean()).max() < 4 * cw["upper"].sub(cw["lower"]).max()
    tor = metamodel.tornado(t)
    assert tor["parameter"].tolist() == ["x", "w"]


def test_interval_by_hand():
    # a straight line through 4 points: the OLS prediction interval of the mean in closed
    # form, se(x0) = s sqrt(1/n + (x0 - xbar)^2 / Sxx), t with n - 2 degrees of freedom
    x = np.array([0.0, 1.0, 2.0, 4.0])
    y = np.array([1.0, 2.0, 2.5, 5.5])
    t = metamodel.one_way(pd.DataFrame({"x": x}), y, degree=1, points=2, level=0.9)
    xbar, sxx = x.mean(), ((x - x.mean()) ** 2).sum()
    slope = ((x - xbar) * (y - y.mean())).sum() / sxx
    icpt = y.mean() - slope * xbar
    s = np.sqrt(((y - icpt - slope * x) ** 2).sum() / 2)
    for x0, est, lo in t[["value", "estimate", "lower"]].itertuples(index=False):
        assert est == pytest.approx(icpt + slope * x0, rel=1e-12)
        half = stats.t.ppf(0.95, 2) * s * np.sqrt(1 / 4 + (x0 - xbar) ** 2 / sxx)
        assert est - lo == pytest.approx(half, rel=1e-10)


def test_linear_case_matches_deterministic_one_way(draws):
    values, _ = draws
    # y linear and inputs independent: E[y | x] equals y with the others at their means,
    # which is what a deterministic one-way analysis at the mean computes
    y = 3 * values["x"] - 2 * values["z"] + values["w"]
    t = metamodel.one_way(values, y.to_numpy(), ["z"], degree=1, points=5)
    det = 3 * 2.0 - 2 * t["value"] + 0.5
    np.testing.assert_allclose(t["estimate"], det, atol=0.03)


def test_two_way_with_interaction(draws):
    values, rng = draws
    x, z = values["x"], values["z"]
    y = 10 * x + 5 * z + 4 * x * z + rng.normal(size=N)
    t = metamodel.two_way(values, np.column_stack([y, -y]), "x", "z", points=4,
                          outcome_names=["A", "B"])
    a = t[t["outcome"] == "A"]
    truth = 10 * a["x"] + 5 * a["z"] + 4 * a["x"] * a["z"]
    assert np.abs(a["estimate"] - truth).max() < 0.2
    assert len(t) == 2 * 16 and set(t.columns) >= {"x", "z", "outcome", "estimate"}
    b = t[t["outcome"] == "B"]
    np.testing.assert_allclose(b["estimate"].to_numpy(), -a["estimate"].to_numpy())


def test_bad_input(draws):
    values, _ = draws
    with pytest.raises(InputError):
        metamodel.one_way(values, np.zeros(10))
    with pytest.raises(InputError):
        metamodel.one_way(values, np.zeros(N), ["nope"])
    with pytest.raises(InputError):
        metamodel.one_way(values.assign(c=1.0), np.zeros(N), ["c"])
    with pytest.raises(InputError):
        metamodel.two_way(values, np.zeros(N), "x", "x")
