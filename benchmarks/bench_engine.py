"""Engine benchmark: 10,000 samples x 2 strategies x 4 states x 400 monthly cycles.

Age-dependent background mortality (Gompertz-like hazard by age), a treatment hazard ratio, and
costs and utilities per state. The hecon run (``evaluate`` on a parameter design, validation of
every matrix and trace included) is compared with a plain numpy kernel doing the same arithmetic
in the same process. Prints evaluations per second (samples x strategies / s), the ratio, and
peak traced memory of each. Usage::

    python benchmarks/bench_engine.py [--n 10000] [--cycles 400] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from hecon.engine import C, MarkovModel, ParamView, Settings, State, evaluate

STATES = ["well", "sick", "sicker", "dead"]


def make_params(n: int, seed: int = 1) -> ParamView:
    rng = np.random.default_rng(seed)
    return ParamView({
        "p_ws": rng.beta(20, 380, n),  # well -> sick, per month
        "p_ss": rng.beta(30, 570, n),  # sick -> sicker, per month
        "hr_sick": rng.lognormal(np.log(2.0), 0.1, n),
        "hr_sicker": rng.lognormal(np.log(4.0), 0.1, n),
        "hr_trt": rng.lognormal(np.log(0.8), 0.1, n),
        "c_sick": rng.gamma(100, 10, n),
        "c_sicker": rng.gamma(100, 30, n),
        "c_trt": rng.gamma(100, 5, n),
        "u_well": rng.beta(80, 20, n),
        "u_sick": rng.beta(60, 40, n),
        "u_sicker": rng.beta(40, 60, n),
    })


def gp_hazard(age: np.ndarray | float) -> np.ndarray:
    """Annual background mortality hazard: Gompertz 5e-5 * exp(0.09 * age)."""
    return 5e-5 * np.exp(0.09 * np.asarray(age))


def hecon_models(n_cycles: int) -> list[MarkovModel]:
    dt = 1 / 12

    def build(name: str, treated: bool) -> MarkovModel:
        def transitions(p, t):
            h = gp_hazard(t.age) * dt
            hr = p.hr_trt if treated else 1.0
            return {
                ("well", "sick"): p.p_ws * hr, ("well", "dead"): -np.expm1(-h),
                ("well", "well"): C,
                ("sick", "sicker"): p.p_ss * hr, ("sick", "dead"): -np.expm1(-h * p.hr_sick),
                ("sick", "sick"): C,
                ("sicker", "dead"): -np.expm1(-h * p.hr_sicker), ("sicker", "sicker"): C,
            }

        def costs(p, t):
            extra = p.c_trt if treated else 0.0
            return {"care": {"sick": p.c_sick, "sicker": p.c_sicker},
                    "drug": {"well": extra, "sick": extra, "sicker": extra}}

        return MarkovModel(
            name=name, states=["well", "sick", "sicker", State("dead", dead=True)],
            transitions=transitions, start={"well": 1.0}, n_cycles=n_cycles, cycle_length=dt,
            costs=costs, utilities=lambda p, t: {"well": p.u_well, "sick": p.u_sick,
                                                 "sicker": p.u_sicker},
            start_age=60.0,
        )

    return [build("standard", False), build("treatment", True)]


def numpy_kernel(p: ParamView, n_cycles: int, treated: bool) -> tuple[np.ndarray, np.ndarray]:
    """The same arithmetic in plain numpy: life-table counting, 3.5% discount at cycle start."""
    n, dt = p.n, 1 / 12
    m = np.zeros((n, 4))
    m[:, 0] = 1.0
    cost = np.zeros(n)
    qaly = np.zeros(n)
    d = 1.035 ** -(dt * np.arange(n_cycles))
    hr = p.hr_trt if treated else 1.0
    extra = p.c_trt if treated else np.zeros(n)
    c = np.stack([extra, p.c_sick + extra, p.c_sicker + extra, np.zeros(n)], axis=1)
    u = np.stack([p.u_well, p.u_sick, p.u_sicker, np.zeros(n)], axis=1)
    P = np.zeros((n, 4, 4))
    P[:, 3, 3] = 1.0
    for k in range(n_cycles):
        h = gp_hazard(60.0 + k * dt) * dt
        P[:, 0, 1] = p.p_ws * hr
        P[:, 0, 3] = -np.expm1(-h)
        P[:, 0, 0] = 1 - P[:, 0, 1] - P[:, 0, 3]
        P[:, 1, 2] = p.p_ss * hr
        P[:, 1, 3] = -np.expm1(-h * p.hr_sick)
        P[:, 1, 1] = 1 - P[:, 1, 2] - P[:, 1, 3]
        P[:, 2, 3] = -np.expm1(-h * p.hr_sicker)
        P[:, 2, 2] = 1 - P[:, 2, 3]
        m_next = np.einsum("ns,nst->nt", m, P)
        mm = 0.5 * (m + m_next) * d[k]
        cost += (mm * c).sum(axis=1)
        qaly += (mm * u).sum(axis=1) * dt
        m = m_next
    return cost, qaly


def measure(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, elapsed, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--cycles", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    p = make_params(a.n)
    models = hecon_models(a.cycles)
    settings = Settings(counting="life-table", timing="start")
    best_h = best_b = np.inf
    for _ in range(a.repeat):
        res, th, mem_h = measure(lambda: evaluate(models, p, settings, keep_trace=False))
        base, tb, mem_b = measure(lambda: [numpy_kernel(p, a.cycles, t) for t in (False, True)])
        best_h, best_b = min(best_h, th), min(best_b, tb)
    # the two must agree before their speed means anything
    for j, s in enumerate(res.strategies):
        np.testing.assert_allclose(res.column(s, "cost"), base[j][0], rtol=1e-10)
        np.testing.assert_allclose(res.column(s, "qalys"), base[j][1], rtol=1e-10)
    evals = a.n * 2
    print(f"engine benchmark: {a.n} samples x 2 strategies x 4 states x {a.cycles} cycles")
    print(f"  hecon evaluate : {best_h:7.3f} s  {evals / best_h:10.0f} evaluations/s  "
          f"peak {mem_h / 2**20:7.1f} MiB")
    print(f"  numpy kernel   : {best_b:7.3f} s  {evals / best_b:10.0f} evaluations/s  "
          f"peak {mem_b / 2**20:7.1f} MiB")
    print(f"  ratio hecon / numpy = {best_h / best_b:.2f} (goal: within 3x); results agree "
          f"to 1e-10")


if __name__ == "__main__":
    main()
