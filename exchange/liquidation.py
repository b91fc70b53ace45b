"""The mark cycle and the close-out of the accounts it hands back.

Marks, variation margin and margin checks are the clearing's (ClearingPort.mark_cycle); the
close-out goes through this venue's books: the account's working orders are cancelled, then
protected market orders (IOC at the band's edge, reduce-only) are sent for every position.
What the book cannot absorb, and any loss beyond the account's resources, the clearing
settles in `finish_liquidation` (its default waterfall).
"""

from __future__ import annotations

from clearing.port import ClearingPort
from clearing.reasons import Rejection
from exchange import commands as C
from exchange.events import CancelReason, rejected
from exchange.market import book_tops
from exchange.orders import STP, OrderType, TimeInForce

_LIQUIDATION = CancelReason.LIQUIDATION.value


class Liquidation:
    __slots__ = ("markets", "seq", "live", "matcher", "entry", "gate")

    def __init__(self, markets: dict, seq, live, matcher, entry, gate: ClearingPort):
        self.markets = markets
        self.seq = seq
        self.live = live
        self.matcher = matcher  # cancels the working orders
        self.entry = entry  # sends the closing orders
        self.gate = gate

    def mark_cycle(self, c: C.MarkCycle, out: list) -> None:
        to_liquidate = self.gate.mark_cycle(c.ts, book_tops(self.markets), out, end_of_day=c.end_of_day)
        for account in to_liquidate or ():
            self.liquidate(account, c.ts, out)

    def liquidate(self, account: str, ts: int, out: list) -> None:
        for o in self.live.by_age(account):
            self.matcher.cancel(self.markets[o.symbol], o, _LIQUIDATION, ts, out)
        for symbol, side, qty in self.gate.liquidation_plan(account):
            m = self.markets.get(symbol)
            while qty > 0 and m is not None:
                lot = min(qty, m.max_qty)
                order = C.NewOrder(ts, account, symbol, side, lot, None, OrderType.MARKET,
                                   TimeInForce.IOC, reduce_only=True, stp=STP.CANCEL_OLDEST)
                mark = self.seq.last
                try:
                    self.entry.new_order_full(order, out)
                except Rejection as r:  # no liquidity, halted...: clearing takes the rest
                    assert self.seq.last == mark
                    out.append(rejected(self.seq, ts, order, r))
                    break
                qty -= lot
        self.gate.finish_liquidation(account, ts, out)
