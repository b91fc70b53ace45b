"""The bare baseline book: a SortedDict of prices -> dict of orders, FIFO matching, nothing else.

No validation, no events, no self-trade prevention, no risk gate: the floor that the full
venue is measured against in the same process (see bench/engine.py). It does the least a
matching engine must: match FIFO, rest the remainder, and report each fill (maker id, taker
id, price, qty) to its caller. It also regenerates the
benchmark stream, because it knows which orders are alive after each step.
"""

from __future__ import annotations

from sortedcontainers import SortedDict


class BaselineBook:
    __slots__ = ("bids", "asks", "orders", "next_id", "fills")

    def __init__(self):
        self.bids = SortedDict()  # price -> {order_id: [order_id, side, price, qty]}
        self.asks = SortedDict()
        self.orders: dict[int, list] = {}
        self.next_id = 0
        self.fills: list[tuple[int, int, int, int]] = []

    def limit(self, side: int, price: int, qty: int) -> int:
        """Match, then rest the remainder. Returns the order id (ids count from 1, as the venue's)."""
        self.next_id += 1
        oid = self.next_id
        if side > 0:
            asks = self.asks
            while qty and asks:
                best, level = asks.peekitem(0)
                if best > price:
                    break
                qty = self._take(level, qty, oid, best)
                if not level:
                    del asks[best]
            if qty:
                level = self.bids.get(price)
                if level is None:
                    level = self.bids[price] = {}
                level[oid] = self.orders[oid] = [oid, side, price, qty]
        else:
            bids = self.bids
            while qty and bids:
                best, level = bids.peekitem(-1)
                if best < price:
                    break
                qty = self._take(level, qty, oid, best)
                if not level:
                    del bids[best]
            if qty:
                level = self.asks.get(price)
                if level is None:
                    level = self.asks[price] = {}
                level[oid] = self.orders[oid] = [oid, side, price, qty]
        return oid

    def _take(self, level: dict, qty: int, taker: int, price: int) -> int:
        orders = self.orders
        fills = self.fills
        while qty and level:
            maker = next(iter(level.values()))
            fill = qty if qty < maker[3] else maker[3]
            maker[3] -= fill
            qty -= fill
            fills.append((maker[0], taker, price, fill))
            if not maker[3]:
                del level[maker[0]]
                del orders[maker[0]]
        return qty

    def cancel(self, oid: int) -> bool:
        order = self.orders.pop(oid, None)
        if order is None:
            return False
        side_levels = self.bids if order[1] > 0 else self.asks
        level = side_levels[order[2]]
        del level[oid]
        if not level:
            del side_levels[order[2]]
        return True

    def best(self) -> tuple[int | None, int | None]:
        return (self.bids.peekitem(-1)[0] if self.bids else None,
                self.asks.peekitem(0)[0] if self.asks else None)
