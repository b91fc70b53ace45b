"""Index arbitrageurs: they trade the futures against the SIT index, the contract's fair
value (it settles on the index's monthly average), when the book strays from it by more than a
threshold, and unwind once the book is back near it. Each publication is noisy (providers'
noise and outliers), so they read fair value from a moving average of the publications they
have seen, as the settlement average itself smooths them."""

from __future__ import annotations

from dataclasses import dataclass

from marketmakers.agents.base import IOC, Agent, AgentParams


@dataclass(frozen=True)
class ArbitrageurParams(AgentParams):
    wake_s: float = 30.0
    cash_usd: int = 1_000_000
    threshold_ticks: int = 8  # trade when bid or ask is this far beyond fair value
    size: int = 10  # lots per trade
    max_position: int = 300  # lots either way
    alpha: float = 0.2  # weight of a new index reading in its moving average

    def __post_init__(self):
        super().__post_init__()
        if self.threshold_ticks < 0 or self.size < 1 or self.max_position < 1 or not 0 < self.alpha <= 1:
            raise ValueError("need threshold_ticks >= 0, size >= 1, max_position >= 1, 0 < alpha <= 1")


class Arbitrageur(Agent):
    __slots__ = ('fair', 'p')
    kind = "arbitrageur"

    def __init__(self, name: str, params: ArbitrageurParams, rng):
        super().__init__(name, params, rng)
        self.p = params
        self.fair: float | None = None

    def act(self, session) -> None:
        if self.margin_called:
            self.reduce_risk(session)
            return
        if self.in_flight:
            return
        index = session.index_ticks(self.p.product)
        if index is None:
            return
        p = self.p
        self.fair = index if self.fair is None else self.fair + p.alpha * (index - self.fair)
        fair = self.fair
        bid, bid_qty, ask, ask_qty, _ = session.top(self.symbol)
        pos = self.position()
        if bid is not None and bid > fair + p.threshold_ticks and pos > -p.max_position:
            session.limit(self, self.symbol, -1, min(p.size, bid_qty, pos + p.max_position), bid, IOC)
        elif ask is not None and ask < fair - p.threshold_ticks and pos < p.max_position:
            session.limit(self, self.symbol, 1, min(p.size, ask_qty, p.max_position - pos), ask, IOC)
        elif pos and bid is not None and ask is not None and bid <= fair <= ask:
            side = -1 if pos > 0 else 1  # the gap closed: take the profit
            session.limit(self, self.symbol, side, min(abs(pos), p.size), bid if side < 0 else ask, IOC)
