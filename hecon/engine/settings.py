"""Evaluation settings shared by every strategy in a run: counting and discounting."""

from __future__ import annotations

from dataclasses import dataclass, field

from hecon.engine.counting import TIMINGS, TRANSITION_REWARDS, Counting
from hecon.engine.discount import DiscountSchedule
from hecon.errors import InputError


@dataclass(frozen=True)
class Settings:
    """How rewards are counted and discounted.

    Defaults: life-table counting, 3.5% discrete discounting of costs and effects (the NICE
    reference case), discount factor taken at the start of each cycle (``timing="start"``).

    ``transition_rewards`` says how a reward attached to a transition (or to the fall of a
    partitioned-survival curve) is weighted: ``"cycle"`` (default) counts it in full in the cycle
    it happens, with that cycle's discount factor; ``"within-cycle"`` gives it the same
    counting weight and discount factor as the state rewards at the time point the transition
    ends in (the DARTH convention, Alarid-Escudero et al., Med Decis Making 2023). See
    docs/conventions.md.
    """

    counting: Counting = field(default_factory=Counting)
    discount_costs: DiscountSchedule = field(default_factory=lambda: DiscountSchedule.flat(0.035))
    discount_effects: DiscountSchedule = field(default_factory=lambda: DiscountSchedule.flat(0.035))
    timing: str = "start"
    transition_rewards: str = "cycle"

    def __post_init__(self) -> None:
        if isinstance(self.counting, str):
            object.__setattr__(self, "counting", Counting(self.counting))
        if self.timing not in TIMINGS:
            raise InputError(f"unknown discount timing {self.timing!r}; choose from {TIMINGS}")
        if self.transition_rewards not in TRANSITION_REWARDS:
            raise InputError(f"unknown transition_rewards {self.transition_rewards!r}; choose "
                             f"from {TRANSITION_REWARDS}")

    @classmethod
    def undiscounted(cls, counting: str | Counting = "life-table") -> Settings:
        """Settings with no discounting (rate 0 for costs and effects)."""
        zero = DiscountSchedule.flat(0.0)
        c = Counting(counting) if isinstance(counting, str) else counting
        return cls(counting=c, discount_costs=zero, discount_effects=zero)
