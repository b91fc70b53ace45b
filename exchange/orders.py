"""Order vocabulary (sides, types, time in force, self-trade prevention) and the live order.

The enums are IntEnums so that the hot path compares plain ints; their lower-case names are
the wire values (`"buy"`, `"limit"`, `"GTC"`, `"cancel_newest"`).
"""

from __future__ import annotations

from enum import IntEnum

from clearing.types import BUY, SELL


class Side(IntEnum):
    BUY = BUY
    SELL = SELL

    @property
    def wire(self) -> str:
        return self.name.lower()


class OrderType(IntEnum):
    LIMIT = 1
    MARKET = 2  # with price protection: never trades outside the band, never rests
    STOP = 3  # stop-market: a market order once a trade prints at or through the stop
    STOP_LIMIT = 4  # a limit order once triggered

    @property
    def wire(self) -> str:
        return self.name.lower()


class TimeInForce(IntEnum):
    GTC = 1  # good till cancelled (until the contract expires)
    DAY = 2  # expires when the trading day closes
    GTD = 3  # good till `expire_at`
    IOC = 4  # immediate or cancel: fill what you can, cancel the rest
    FOK = 5  # fill or kill: fill all at once or reject

    @property
    def wire(self) -> str:
        return self.name


class STP(IntEnum):
    """Self-trade prevention: what happens when an order would trade against its own account
    (or its own self-match id)."""

    CANCEL_NEWEST = 1  # cancel the incoming order's remainder (default)
    CANCEL_OLDEST = 2  # cancel the resting order, keep matching
    CANCEL_BOTH = 3
    DECREMENT_AND_CANCEL = 4  # reduce both by the smaller; the smaller is cancelled

    @property
    def wire(self) -> str:
        return self.name.lower()


class OrderStatus(IntEnum):
    NEW = 1
    PARTIALLY_FILLED = 2
    FILLED = 3
    CANCELLED = 4
    EXPIRED = 5
    REJECTED = 6
    PENDING_TRIGGER = 7  # a stop waiting for its trigger

    @property
    def wire(self) -> str:
        return self.name.lower()


_NEW = OrderStatus.NEW


class Order:
    """A live order. Owned and mutated only by the venue.

    `qty` is the total ordered, `remaining` what is still open; for an iceberg, `visible` is the
    part shown in the book and the rest (`remaining - visible`) is hidden. Made by
    `make_order` (below), which takes only what every order has; the venue sets the options an
    order uses afterwards.
    """

    __slots__ = (
        "order_id", "account", "symbol", "side", "type", "price", "qty", "remaining", "visible",
        "tif", "stp", "stp_group", "ts", "status", "display_qty", "expire_at", "stop_price",
        "post_only", "reduce_only", "client_order_id", "top",
    )

    @property
    def filled(self) -> int:
        return self.qty - self.remaining

    def to_dict(self) -> dict:
        return {
            "order_id": self.order_id,
            "account": self.account,
            "symbol": self.symbol,
            "side": Side(self.side).wire,
            "type": OrderType(self.type).wire,
            "price": self.price,
            "stop_price": self.stop_price,
            "qty": self.qty,
            "filled_qty": self.qty - self.remaining,
            "remaining_qty": self.remaining,
            "display_qty": self.display_qty,
            "time_in_force": TimeInForce(self.tif).wire,
            "expire_at": self.expire_at,
            "post_only": self.post_only,
            "reduce_only": self.reduce_only,
            "client_order_id": self.client_order_id,
            "status": OrderStatus(self.status).wire,
            "ts": self.ts,
        }

    def __repr__(self):
        return (
            f"Order(id={self.order_id}, {self.account}, {self.symbol}, "
            f"{'buy' if self.side > 0 else 'sell'} {self.remaining}/{self.qty} @ {self.price})"
        )

    @staticmethod
    def make(order_id, account, symbol, side, typ, price, qty, tif, stp, stp_group, ts) -> Order:
        """A new live order, fresh (status new, all of it shown, no options).

        Not `Order.__init__`: Python 3.11 calls a class's `__init__` from C with an argument
        tuple, while a call to a plain function is inlined by the interpreter (about 700 against
        300 ns here in a micro-benchmark; 1.4% of the venue's instructions on the engine bench,
        docs/benchmarks.md). A static method, so that compiled (orders.pxd) it is a C call for
        the venue, which cimports `Order`: a module-level function that a compiled module
        cimports cannot also be imported there by name."""
        o = Order.__new__(Order)  # (compiled, Order is a C type: object.__new__ refuses it)
        o.order_id = order_id
        o.account = account
        o.symbol = symbol
        o.side = side
        o.type = typ
        o.price = price
        o.qty = qty
        o.remaining = qty
        o.visible = qty
        o.tif = tif
        o.stp = stp
        o.stp_group = account if stp_group is None else stp_group  # self-match id
        o.ts = ts
        o.status = _NEW
        o.display_qty = None  # iceberg: the part shown
        o.expire_at = None  # GTD
        o.stop_price = None
        o.post_only = False
        o.reduce_only = False
        o.client_order_id = None
        o.top = False  # pro-rata: this order set a new best price and fills first
        return o


def make_order(order_id, account, symbol, side, typ, price, qty, tif, stp, stp_group, ts) -> Order:
    """`Order.make` for callers in Python (compiled, the static method is a C call only)."""
    return Order.make(order_id, account, symbol, side, typ, price, qty, tif, stp, stp_group, ts)
