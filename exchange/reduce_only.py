"""Reduce-only orders: accepted only while they (with the account's other working reduce-only
orders on that side) do not exceed the position they reduce; cut back, oldest kept first,
when a trade shrinks that position.
"""

from __future__ import annotations

from clearing.fast_events import *  # make(EventClass, values): see there
from exchange.events import BookDelta, CancelReason, OrderAmended
from exchange.orders import OrderStatus
from exchange.rules import check_reduce_only, reduce_only_room

_PENDING = OrderStatus.PENDING_TRIGGER
_REDUCE_ONLY = CancelReason.REDUCE_ONLY.value


class ReduceOnly:
    __slots__ = ("markets", "seq", "live", "matcher", "gate")

    def __init__(self, markets: dict, seq, live, matcher, gate):
        self.markets = markets
        self.seq = seq
        self.live = live
        self.matcher = matcher  # its `touched`: who traded while reduce-only orders were live
        self.gate = gate  # the positions

    def check(self, account: str, symbol: str, side: int, qty: int) -> None:
        """Refuse a reduce-only order (or increase) of `qty` that would not only reduce."""
        working = 0
        for o in self.live.reduce_only_working(account, symbol, side):
            working += o.remaining
        check_reduce_only(self.gate.position(account, symbol), working, side, qty)

    def trim(self, ts: int, out: list) -> None:
        """After trades: cut the working reduce-only orders of the accounts that traded down to
        what their new positions allow (oldest first keep their size), cancelling what is left."""
        touched = self.matcher.touched
        if not touched:
            return
        keys = dict.fromkeys(touched)
        del touched[:]
        for account, symbol in keys:
            if (account, symbol) not in self.live.reduce_only:
                continue
            pos = self.gate.position(account, symbol)
            m = self.markets[symbol]
            for side in (1, -1):
                allowed = reduce_only_room(pos, side)
                for o in self.live.reduce_only_working(account, symbol, side):
                    if o.remaining <= allowed:
                        allowed -= o.remaining
                        continue
                    if allowed == 0:
                        self.matcher.cancel(m, o, _REDUCE_ONLY, ts, out)
                        continue
                    cut = o.remaining - allowed
                    allowed = 0
                    o.qty -= cut
                    o.remaining -= cut
                    self.matcher.gate_working(o.account, symbol, o.side, -cut,
                                              o.price if o.price is not None else o.stop_price)
                    seq = self.seq
                    seq.last += 1
                    out.append(make(OrderAmended, (seq.last, ts, o.order_id, o.account, symbol,
                                                  o.side, o.price, o.qty, o.remaining, o.stop_price, True)))
                    if o.status != _PENDING and o.visible > o.remaining:
                        level = m.book.level(o.side, o.price)
                        level.qty -= o.visible - o.remaining
                        o.visible = o.remaining
                        seq.last += 1
                        out.append(make(BookDelta, (seq.last, ts, symbol, o.side, o.price, level.qty)))
