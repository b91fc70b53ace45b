"""Hedgers: application-layer enterprises that buy their expected token consumption forward.

Each month it expects to consume `monthly_lots` contracts' worth of tokens, so it holds that
many lots long in each of the next `months` expiries (a strip). As an expiry comes within
`roll_days` of its last trading day the hedger sells it out and buys the next month: the roll.
It works its orders in clips through marketable IOC limits and pays margin like everyone else.
"""

from __future__ import annotations

from dataclasses import dataclass

from marketmakers.agents.base import NS, Agent, AgentParams


@dataclass(frozen=True)
class HedgerParams(AgentParams):
    wake_s: float = 600.0
    cash_usd: int = 2_000_000
    monthly_lots: int = 20  # expected consumption per month, in contracts
    months: int = 2  # the strip: this many expiries hedged ahead
    roll_days: float = 5.0  # sell an expiry out this close to its last trading day
    clip: int = 2  # lots per order
    slippage_ticks: int = 2  # how far through the touch it is willing to pay

    def __post_init__(self):
        super().__post_init__()
        if self.monthly_lots < 0 or self.months < 1 or self.clip < 1 or self.roll_days < 0:
            raise ValueError("need monthly_lots >= 0, months >= 1, clip >= 1, roll_days >= 0")


class Hedger(Agent):
    __slots__ = ('p',)
    kind = "hedger"

    def __init__(self, name: str, params: HedgerParams, rng):
        super().__init__(name, params, rng)
        self.p = params

    def targets(self, session) -> dict[str, int]:
        """symbol -> lots it wants to hold now."""
        roll_ns = round(self.p.roll_days * 86_400 * NS)
        out = {}
        held = 0
        for symbol, last_trade_ts in session.listed(self.p.product):
            if last_trade_ts - session.now > roll_ns and held < self.p.months:
                out[symbol] = self.p.monthly_lots
                held += 1
            else:
                out[symbol] = 0
        return out

    def act(self, session) -> None:
        if self.margin_called:
            self.reduce_risk(session)
            return
        for symbol, lots in self.targets(session).items():
            if lots != self.position(symbol):
                self.symbol = symbol
                self.trade_toward(session, lots, self.p.clip, self.p.slippage_ticks)
                return  # one order per wake-up
