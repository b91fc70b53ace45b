"""The price-level order book of one contract.

Each side is a SortedDict of price (ticks) -> Level; a Level keeps its orders in a dict, whose
insertion order is time priority (FIFO), and the visible quantity it shows. Best prices are
cached because matching asks for them on every order. The book only stores; the rules of
matching live in exchange/matching.py and the venue.
"""

from __future__ import annotations

from sortedcontainers import SortedDict

from exchange.orders import Order


class Level:
    __slots__ = ("price", "orders", "qty")

    def __init__(self, price: int):
        self.price = price
        self.orders: dict[int, Order] = {}
        self.qty = 0  # visible quantity (iceberg hidden parts excluded)

    def __repr__(self):
        return f"Level({self.price}, qty={self.qty}, n={len(self.orders)})"


class OrderBook:
    __slots__ = ("symbol", "bids", "asks", "best_bid", "best_ask")

    def __init__(self, symbol: str):
        self.symbol = symbol
        self.bids: SortedDict = SortedDict()  # best = last key
        self.asks: SortedDict = SortedDict()  # best = first key
        self.best_bid: int | None = None
        self.best_ask: int | None = None

    # --- changes -----------------------------------------------------------------------

    def add(self, order: Order) -> Level:
        """Put an order at the back of its price level; returns the level."""
        price = order.price
        if order.side > 0:
            levels = self.bids
            # dict.get(levels, ...), not levels.get or levels[...]: on a SortedDict (a Python
            # subclass of dict) those look the method up; compiled, this is a C dict lookup
            level = dict.get(levels, price)
            if level is None:
                level = levels[price] = Level(price)
                if self.best_bid is None or price > self.best_bid:
                    self.best_bid = price
        else:
            levels = self.asks
            level = dict.get(levels, price)
            if level is None:
                level = levels[price] = Level(price)
                if self.best_ask is None or price < self.best_ask:
                    self.best_ask = price
        level.orders[order.order_id] = order
        level.qty += order.visible
        return level

    def remove(self, order: Order) -> Level:
        """Take an order out of the book; drops its level when empty. Returns the level."""
        price = order.price
        levels = self.bids if order.side > 0 else self.asks
        level = dict.get(levels, price)  # (see add)
        if level is None:
            raise KeyError(price)
        del level.orders[order.order_id]
        level.qty -= order.visible
        if not level.orders:
            del levels[price]
            self._drop_best(order.side, price)
        return level

    def drop_level(self, side: int, price: int) -> None:
        levels = self.bids if side > 0 else self.asks
        del levels[price]
        self._drop_best(side, price)

    def _drop_best(self, side: int, price: int) -> None:
        if side > 0:
            if price == self.best_bid:
                self.best_bid = self.bids.peekitem(-1)[0] if self.bids else None
        elif price == self.best_ask:
            self.best_ask = self.asks.peekitem(0)[0] if self.asks else None

    # --- views ---------------------------------------------------------------------------

    def level(self, side: int, price: int) -> Level | None:
        return (self.bids if side > 0 else self.asks).get(price)

    def depth(self, n: int | None = None) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """L2: (bids best first, asks best first) as (price, visible qty)."""
        bids = [(p, lv.qty) for p, lv in _take(reversed(self.bids.items()), n)]
        asks = [(p, lv.qty) for p, lv in _take(iter(self.asks.items()), n)]
        return bids, asks

    def orders(self, side: int):
        """L3: every resting order of a side, best price first, in time priority."""
        levels = reversed(self.bids.values()) if side > 0 else iter(self.asks.values())
        for level in levels:
            yield from level.orders.values()

    def __len__(self) -> int:
        return sum(len(lv.orders) for lv in self.bids.values()) + sum(
            len(lv.orders) for lv in self.asks.values()
        )

    def check(self) -> None:
        """Assert the book's invariants (for tests after every step)."""
        for side, levels in ((1, self.bids), (-1, self.asks)):
            for price, level in levels.items():
                assert level.price == price
                assert level.orders, f"empty level {price}"
                assert level.qty == sum(o.visible for o in level.orders.values()), price
                for o in level.orders.values():
                    assert o.side == side and o.price == price, o
                    assert 0 < o.visible <= o.remaining, o
        assert self.best_bid == (self.bids.peekitem(-1)[0] if self.bids else None)
        assert self.best_ask == (self.asks.peekitem(0)[0] if self.asks else None)
        if self.best_bid is not None and self.best_ask is not None:
            assert self.best_bid < self.best_ask, f"crossed at rest: {self.best_bid} >= {self.best_ask}"


def _take(iterator, n):
    if n is None:
        yield from iterator
        return
    for i, item in enumerate(iterator):
        if i >= n:
            return
        yield item
