"""The venue's live orders: resting in a book or pending a trigger.

Indexed by id and by account, with the client order ids ever used (an id stays used after its
order is gone) and the count of live reduce-only orders per (account, symbol), which tells
the reduce-only rule whose orders a trade may have to cut.
"""

from __future__ import annotations

from clearing.reasons import Reason, Rejection
from exchange.orders import Order

_NO_ORDERS: dict = {}


class LiveOrders:
    __slots__ = ("by_id", "by_account", "client_ids", "reduce_only")

    def __init__(self):
        self.by_id: dict[int, Order] = {}
        self.by_account: dict[str, dict[int, Order]] = {}
        self.client_ids: set[tuple[str, str]] = set()
        self.reduce_only: dict[tuple[str, str], int] = {}

    def remember(self, o: Order) -> None:
        self.by_id[o.order_id] = o
        mine = self.by_account.get(o.account)
        if mine is None:
            mine = self.by_account[o.account] = {}
        mine[o.order_id] = o
        if o.reduce_only:
            key = (o.account, o.symbol)
            self.reduce_only[key] = self.reduce_only.get(key, 0) + 1

    def forget(self, o: Order) -> None:
        del self.by_id[o.order_id]
        del self.by_account[o.account][o.order_id]
        if o.reduce_only:
            key = (o.account, o.symbol)
            left = self.reduce_only[key] - 1
            if left:
                self.reduce_only[key] = left
            else:
                del self.reduce_only[key]

    def owned(self, account: str, order_id) -> Order:
        """The live order `order_id` if it is the account's; else a rejection."""
        # an order id is an int: True and 1.0 equal 1 and would find order 1 in the dict
        o = self.by_id.get(order_id) if type(order_id) is int else None
        if o is None:
            raise Rejection(Reason.UNKNOWN_ORDER, f"no live order {order_id!r}")
        if o.account != account:
            raise Rejection(Reason.NOT_ORDER_OWNER)
        return o

    def of_account(self, account: str):
        """The account's live orders, a read-only view."""
        return self.by_account.get(account, _NO_ORDERS).values()

    def by_age(self, account: str) -> list[Order]:
        """The account's live orders, oldest first."""
        return sorted(self.of_account(account), key=_order_id)

    def in_symbol(self, symbol: str) -> list[Order]:
        """The live orders of one contract, oldest first."""
        return sorted((o for o in self.by_id.values() if o.symbol == symbol), key=_order_id)

    def reduce_only_working(self, account: str, symbol: str, side: int) -> list[Order]:
        """The account's live reduce-only orders on one side of one contract, oldest first."""
        return sorted((o for o in self.of_account(account)
                       if o.reduce_only and o.symbol == symbol and o.side == side), key=_order_id)

    def check(self) -> None:
        counts: dict = {}
        for o in self.by_id.values():
            if o.reduce_only:
                counts[(o.account, o.symbol)] = counts.get((o.account, o.symbol), 0) + 1
        assert counts == self.reduce_only, "reduce-only counts drifted"
        assert sum(len(v) for v in self.by_account.values()) == len(self.by_id)


def _order_id(o: Order) -> int:
    return o.order_id
