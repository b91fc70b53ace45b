"""Momentum speculators: long when a fast moving average of the mid is above a slow one by
more than a threshold, short when below, flat in between."""

from __future__ import annotations

from dataclasses import dataclass

from marketmakers.agents.base import Agent, AgentParams, mid_of


@dataclass(frozen=True)
class MomentumParams(AgentParams):
    wake_s: float = 120.0
    fast: float = 0.3  # weight of a new observation in the fast average
    slow: float = 0.05  # ... in the slow average
    threshold_ticks: float = 2.0
    size: int = 5  # lots held when in a position
    slippage_ticks: int = 1

    def __post_init__(self):
        super().__post_init__()
        if not (0 < self.slow < self.fast <= 1) or self.size < 1 or self.threshold_ticks < 0:
            raise ValueError("need 0 < slow < fast <= 1, size >= 1, threshold_ticks >= 0")


class Momentum(Agent):
    __slots__ = ('fast_avg', 'p', 'slow_avg')
    kind = "momentum"

    def __init__(self, name: str, params: MomentumParams, rng):
        super().__init__(name, params, rng)
        self.p = params
        self.fast_avg: float | None = None
        self.slow_avg: float | None = None

    def act(self, session) -> None:
        if self.margin_called:
            self.reduce_risk(session)
            return
        mid = mid_of(session.top(self.symbol))
        if mid is None:
            return
        p = self.p
        if self.fast_avg is None:
            self.fast_avg = self.slow_avg = mid
            return
        self.fast_avg += p.fast * (mid - self.fast_avg)
        self.slow_avg += p.slow * (mid - self.slow_avg)
        signal = self.fast_avg - self.slow_avg
        target = p.size if signal > p.threshold_ticks else -p.size if signal < -p.threshold_ticks else 0
        self.trade_toward(session, target, p.size, p.slippage_ticks)
