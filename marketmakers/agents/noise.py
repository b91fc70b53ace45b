"""Noise (zero-intelligence) traders: random side, size and price around the mid they see,
now and then a market order; they cancel their oldest order when they have too many open.
They supply the random flow that the market makers earn their spread from. Like retail traders
with limited capital they lean toward flat: the chance of a buy falls linearly from 1 at
-max_position to 0 at +max_position, so their positions mean-revert instead of random-walking
(and the market as a whole does not drift with their summed inventory)."""

from __future__ import annotations

from dataclasses import dataclass

from marketmakers.agents.base import Agent, AgentParams


@dataclass(frozen=True)
class NoiseParams(AgentParams):
    wake_s: float = 60.0
    cash_usd: int = 200_000
    market_prob: float = 0.15  # share of market (IOC) orders
    max_offset_ticks: int = 10  # limit prices from 2 ticks through to this far behind the mid
    max_size: int = 5  # lots, uniform 1..max_size
    max_open: int = 4  # more open orders than this: cancel the oldest
    max_position: int = 25  # lots: the side that would go beyond is never chosen

    def __post_init__(self):
        super().__post_init__()
        if (not 0 <= self.market_prob <= 1 or self.max_offset_ticks < 0 or self.max_size < 1
                or self.max_open < 1 or self.max_position < 1):
            raise ValueError("need 0 <= market_prob <= 1, max_offset_ticks >= 0, max_size, max_open, "
                             "max_position >= 1")


class Noise(Agent):
    __slots__ = ('p',)
    kind = "noise"

    def __init__(self, name: str, params: NoiseParams, rng):
        super().__init__(name, params, rng)
        self.p = params

    def act(self, session) -> None:
        if self.margin_called:
            self.reduce_risk(session)
            return
        p, uniform = self.p, self.random.random
        if len(self.orders) >= p.max_open:
            session.cancel(self, min(self.orders))
        symbol = self.symbol
        side = 1 if uniform() < 0.5 * (1 - self.positions.get(symbol, 0) / p.max_position) else -1
        qty = 1 + int(uniform() * p.max_size)  # uniform 1..max_size (randint costs 3x)
        if uniform() < p.market_prob:
            session.market(self, symbol, side, qty)
            return
        bid, _, ask, _, last = session.top(symbol)
        if bid is not None and ask is not None:
            ref = (bid + ask) / 2
        else:
            ref = last if last is not None else session.index_ticks(p.product)
            if ref is None:
                return
        price = round(ref) - side * (int(uniform() * (p.max_offset_ticks + 3)) - 2)  # -2..max
        if price > 0:
            session.limit(self, symbol, side, qty, price)
