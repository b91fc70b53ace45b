"""Mean-reversion speculators: they fade a mid that strays from its moving average, and go
flat once it is back within half the threshold."""

from __future__ import annotations

from dataclasses import dataclass

from marketmakers.agents.base import Agent, AgentParams, mid_of


@dataclass(frozen=True)
class MeanReversionParams(AgentParams):
    wake_s: float = 120.0
    alpha: float = 0.05  # weight of a new observation in the moving average
    threshold_ticks: float = 4.0
    size: int = 5
    slippage_ticks: int = 1

    def __post_init__(self):
        super().__post_init__()
        if not 0 < self.alpha <= 1 or self.size < 1 or self.threshold_ticks < 0:
            raise ValueError("need 0 < alpha <= 1, size >= 1, threshold_ticks >= 0")


class MeanReversion(Agent):
    __slots__ = ('avg', 'p')
    kind = "mean_reversion"

    def __init__(self, name: str, params: MeanReversionParams, rng):
        super().__init__(name, params, rng)
        self.p = params
        self.avg: float | None = None

    def act(self, session) -> None:
        if self.margin_called:
            self.reduce_risk(session)
            return
        mid = mid_of(session.top(self.symbol))
        if mid is None:
            return
        p = self.p
        if self.avg is None:
            self.avg = mid
            return
        self.avg += p.alpha * (mid - self.avg)
        dev = mid - self.avg
        pos = self.position()
        if dev > p.threshold_ticks:
            target = -p.size
        elif dev < -p.threshold_ticks:
            target = p.size
        elif abs(dev) < p.threshold_ticks / 2:
            target = 0
        else:
            target = pos
        self.trade_toward(session, target, p.size, p.slippage_ticks)
