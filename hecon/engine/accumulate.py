"""Reward accumulation shared by the cohort (Markov) and partitioned-survival engines.

Given membership at consecutive time points (m_{k-1}, m_k) for each cycle, state rewards are
counted with the selected convention and discounted (see :mod:`hecon.engine.counting`);
transition (flow) rewards and one-off rewards are discounted at the cycle's discount time or at
the time they occur. Everything is vectorised over samples: arrays have a leading axis n.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hecon.engine.counting import cycle_discount_times
from hecon.engine.settings import Settings
from hecon.engine.states import rowdot


@dataclass
class Totals:
    """Per-sample totals of one model run (arrays of shape (n,))."""

    costs: dict[str, np.ndarray] = field(default_factory=dict)
    costs_undisc: dict[str, np.ndarray] = field(default_factory=dict)
    qalys: np.ndarray | None = None
    qalys_undisc: np.ndarray | None = None
    life_years: np.ndarray | None = None
    life_years_undisc: np.ndarray | None = None

    @property
    def cost(self) -> np.ndarray:
        """Total discounted cost over all categories."""
        return sum(self.costs.values(), np.zeros_like(self.qalys))

    @property
    def cost_undisc(self) -> np.ndarray:
        """Total undiscounted cost over all categories."""
        return sum(self.costs_undisc.values(), np.zeros_like(self.qalys))


class Accumulator:
    """Accumulates costs (by category), QALYs and life-years cycle by cycle."""

    def __init__(
        self,
        n: int,
        n_cycles: int,
        dt: float,
        start_time: float,
        settings: Settings,
        alive: np.ndarray,
        collapse: np.ndarray | None = None,
        record: bool = False,
    ) -> None:
        self.n, self.dt, self.alive = n, dt, np.asarray(alive, dtype=bool)
        self.T = n_cycles
        self.alive_f = self.alive.astype(float)
        self.settings = settings
        a, b = settings.counting.ab(n_cycles)
        points = start_time + dt * np.arange(n_cycles + 1)
        cyc = cycle_discount_times(n_cycles, dt, start_time, settings.timing)
        self.flow_c = settings.discount_costs.factor(cyc)
        self.flow_e = settings.discount_effects.factor(cyc)
        if settings.counting.point_discounting:
            dpc = settings.discount_costs.factor(points)
            dpe = settings.discount_effects.factor(points)
            self.wa_c, self.wb_c = a * dpc[:-1], b * dpc[1:]
            self.wa_e, self.wb_e = a * dpe[:-1], b * dpe[1:]
        else:
            self.wa_c, self.wb_c = a * self.flow_c, b * self.flow_c
            self.wa_e, self.wb_e = a * self.flow_e, b * self.flow_e
        self.wa_u, self.wb_u = a, b
        if settings.transition_rewards == "within-cycle":
            # a transition in cycle k ends at t_k: the weight of m_k in cycles k and k + 1
            self.fw_c = self.wb_c + np.append(self.wa_c[1:], 0.0)
            self.fw_e = self.wb_e + np.append(self.wa_e[1:], 0.0)
            self.fw_u = b + np.append(a[1:], 0.0)
        else:
            self.fw_c, self.fw_e, self.fw_u = self.flow_c, self.flow_e, np.ones(n_cycles)
        if settings.counting.point_discounting:
            self.dc_ab = (dpc[:-1], dpc[1:])
            self.de_ab = (dpe[:-1], dpe[1:])
        else:
            self.dc_ab = (self.flow_c, self.flow_c)
            self.de_ab = (self.flow_e, self.flow_e)
        self.collapse = collapse if collapse is not None else np.eye(self.alive.size)
        self.rec: dict[str, np.ndarray] | None = {} if record else None
        zero = np.zeros(n)
        self.t = Totals(
            qalys=zero.copy(),
            qalys_undisc=zero.copy(),
            life_years=zero.copy(),
            life_years_undisc=zero.copy(),
        )

    def _add_cost(self, cat: str, disc: np.ndarray, undisc: np.ndarray) -> None:
        if cat not in self.t.costs:
            self.t.costs[cat] = np.zeros(self.n)
            self.t.costs_undisc[cat] = np.zeros(self.n)
        self.t.costs[cat] += disc
        self.t.costs_undisc[cat] += undisc

    def declare_costs(self, categories: list[str]) -> None:
        """Make sure each category appears in the totals (zero if nothing is added)."""
        for cat in categories:
            self._add_cost(cat, 0.0, 0.0)

    def add_states(
        self,
        k: int,
        m_prev: np.ndarray,
        m_next: np.ndarray,
        costs: dict[str, np.ndarray],
        utility: np.ndarray | None,
    ) -> None:
        """Count state rewards of cycle ``k`` (1-based). Arrays are (n, S) per-cycle values;
        ``utility`` is an annual weight per state (QALYs = utility x cycle length)."""
        i = k - 1
        need_prev = self.wa_u[i] != 0
        need_next = self.wb_u[i] != 0

        def dots(v: np.ndarray) -> tuple[np.ndarray | float, np.ndarray | float]:
            xp = rowdot(m_prev, v) if need_prev else 0.0
            xn = rowdot(m_next, v) if need_next else 0.0
            return xp, xn

        for cat, v in costs.items():
            xp, xn = dots(v)
            self._add_cost(
                cat,
                self.wa_c[i] * xp + self.wb_c[i] * xn,
                self.wa_u[i] * xp + self.wb_u[i] * xn,
            )
        if self.rec is not None:
            self._record_states(i, m_prev, m_next, costs, utility)
        ap = m_prev @ self.alive_f if need_prev else 0.0
        an = m_next @ self.alive_f if need_next else 0.0
        self.t.life_years += (self.wa_e[i] * ap + self.wb_e[i] * an) * self.dt
        self.t.life_years_undisc += (self.wa_u[i] * ap + self.wb_u[i] * an) * self.dt
        if utility is not None:
            xp, xn = dots(utility)
            self.t.qalys += (self.wa_e[i] * xp + self.wb_e[i] * xn) * self.dt
            self.t.qalys_undisc += (self.wa_u[i] * xp + self.wb_u[i] * xn) * self.dt

    def add_flows(self, k: int, costs: dict[str, np.ndarray], qalys: np.ndarray | None) -> None:
        """Add rewards of transitions that happen during cycle ``k`` (already weighted by flow):
        discounted with the cycle's factor (``transition_rewards="cycle"``) or weighted like the
        state rewards at t_k (``"within-cycle"``)."""
        i = k - 1
        if self.rec is not None:
            for cat, v in costs.items():
                self._rec("flow", "cost", cat, (self.n, self.T))[:, i] += v * self.fw_c[i]
                self._rec("flow", "cost_undisc", cat, (self.n, self.T))[:, i] += v * self.fw_u[i]
            if qalys is not None:
                self._rec("flow", "qalys", "", (self.n, self.T))[:, i] += qalys * self.fw_e[i]
                self._rec("flow", "qalys_undisc", "", (self.n, self.T))[:, i] += (
                    qalys * self.fw_u[i])
        for cat, v in costs.items():
            self._add_cost(cat, v * self.fw_c[i], v * self.fw_u[i])
        if qalys is not None:
            self.t.qalys += qalys * self.fw_e[i]
            self.t.qalys_undisc += qalys * self.fw_u[i]

    def add_once(self, costs: dict[str, np.ndarray], qalys: np.ndarray | None, time: float) -> None:
        """Add one-off rewards occurring at ``time`` years (discounted to time 0)."""
        dc = float(self.settings.discount_costs.factor(time))
        de = float(self.settings.discount_effects.factor(time))
        if self.rec is not None:
            for cat, v in costs.items():
                self._rec("once", "cost", cat, (self.n,))[:] += v * dc
                self._rec("once", "cost_undisc", cat, (self.n,))[:] += v
            if qalys is not None:
                self._rec("once", "qalys", "", (self.n,))[:] += qalys * de
                self._rec("once", "qalys_undisc", "", (self.n,))[:] += qalys
        for cat, v in costs.items():
            self._add_cost(cat, v * dc, v)
        if qalys is not None:
            self.t.qalys += qalys * de
            self.t.qalys_undisc += qalys

    # ------------------------------------------------------------------ per-cycle record
    def _rec(self, kind: str, what: str, cat: str, shape: tuple[int, ...]) -> np.ndarray:
        key = f"{kind}|{what}|{cat}"
        assert self.rec is not None
        if key not in self.rec:
            self.rec[key] = np.zeros(shape)
        return self.rec[key]

    def _record_states(
        self,
        i: int,
        m_prev: np.ndarray,
        m_next: np.ndarray,
        costs: dict[str, np.ndarray],
        utility: np.ndarray | None,
    ) -> None:
        """Rewards of cycle i + 1 by (user) state: the same products as the totals, kept apart."""
        shape = (self.n, self.T, self.collapse.shape[1])
        mc = self.wa_c[i] * m_prev + self.wb_c[i] * m_next
        me = self.wa_e[i] * m_prev + self.wb_e[i] * m_next
        mu = self.wa_u[i] * m_prev + self.wb_u[i] * m_next
        col = self.collapse
        for cat, v in costs.items():
            self._rec("state", "cost", cat, shape)[:, i] += (mc * v) @ col
            self._rec("state", "cost_undisc", cat, shape)[:, i] += (mu * v) @ col
        self._rec("state", "life_years", "", shape)[:, i] += (me * self.alive_f * self.dt) @ col
        self._rec("state", "life_years_undisc", "", shape)[:, i] += (
            (mu * self.alive_f * self.dt) @ col)
        if utility is not None:
            self._rec("state", "qalys", "", shape)[:, i] += (me * utility * self.dt) @ col
            self._rec("state", "qalys_undisc", "", shape)[:, i] += (mu * utility * self.dt) @ col

    def per_cycle(self) -> dict[str, np.ndarray] | None:
        """The per-cycle record (None unless ``record=True``): reward arrays keyed
        "state|<what>|<category>" (n, T, states), "flow|..." (n, T), "once|..." (n,), and the
        conventions' weights and discount factors (T,) under "weights|<name>"."""
        if self.rec is None:
            return None
        a, b = self.wa_u, self.wb_u
        out = dict(self.rec)
        out.update({
            "weights|weight_start": a, "weights|weight_end": b,
            "weights|discount_costs_start": self.dc_ab[0],
            "weights|discount_costs_end": self.dc_ab[1],
            "weights|discount_effects_start": self.de_ab[0],
            "weights|discount_effects_end": self.de_ab[1],
            "weights|transition_weight": self.fw_u,
            "weights|transition_discount_costs": _ratio(self.fw_c, self.fw_u),
            "weights|transition_discount_effects": _ratio(self.fw_e, self.fw_u),
        })
        return out


def _ratio(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x / y where y != 0, NaN elsewhere (an effective discount factor of a zero weight)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y != 0, x / np.where(y != 0, y, 1.0), np.nan)
