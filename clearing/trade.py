"""`ClearedTrade`: one fill as the clearinghouse novates it (buyer and seller each face the CCP).

Its own module, compiled with the matching core (setup.py; trade.pxd declares its C type):
the venue makes one per fill and hands it to the risk gate, which reads its fields, so both
are C-level in the compiled build. `clearing.types` re-exports it.

Units: price in ticks, qty in lots (> 0), ts in ns; `aggressor` is BUY (+1) if the buyer was
the taker, SELL (-1) if the seller was. Treat it as immutable.
"""

from __future__ import annotations

# what a compiled module's star import takes: a function that its .pxd also cimports can only
# be imported so (clearing/fast_events.py); the class is imported by name, as usual
__all__ = ["make_trade"]


class ClearedTrade:
    """Written out rather than a dataclass: a C type cannot take a dataclass's methods."""

    _fields = ("trade_id", "symbol", "price", "qty", "buyer", "seller", "aggressor", "ts")
    __slots__ = _fields

    def __init__(self, trade_id: int, symbol: str, price: int, qty: int, buyer: str, seller: str,
                 aggressor: int, ts: int):
        self.trade_id = trade_id
        self.symbol = symbol
        self.price = price
        self.qty = qty
        self.buyer = buyer
        self.seller = seller
        self.aggressor = aggressor
        self.ts = ts

    def astuple(self) -> tuple:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self.astuple() == other.astuple()

    __hash__ = None  # mutable fields, as the dataclass it replaces: not hashable

    def __repr__(self) -> str:
        body = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"ClearedTrade({body})"


def make_trade(trade_id, symbol, price, qty, buyer, seller, aggressor, ts) -> ClearedTrade:
    """A ClearedTrade, made by the venue's matching: a C call in the compiled build (a call of
    the class goes through its argument parsing)."""
    t = ClearedTrade.__new__(ClearedTrade)
    t.trade_id = trade_id
    t.symbol = symbol
    t.price = price
    t.qty = qty
    t.buyer = buyer
    t.seller = seller
    t.aggressor = aggressor
    t.ts = ts
    return t
