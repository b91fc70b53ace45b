"""The small port through which a session reaches a venue.

A session sends commands and reads public reference data and the clearinghouse's account
figures through this port only, so the same runner can drive the in-process venue
(`LocalVenue`) or, later, a remote one that speaks the REST/WebSocket API (api/ implements that
side; marketmakers/ never imports api/).
"""

from __future__ import annotations

from typing import Protocol

from exchange.orders import OrderStatus
from exchange.venue import Venue

_PENDING = OrderStatus.PENDING_TRIGGER


class VenuePort(Protocol):
    def submit(self, cmd) -> list:
        """Apply one command; the events it caused, in order."""

    def top(self, symbol: str) -> tuple:
        """(best bid, lots there, best ask, lots there, last trade): ticks and lots, None when
        absent."""

    def listed(self, product: str) -> list[tuple[str, int]]:
        """(symbol, last trade ts) of the product's tradable expiries, nearest first."""

    def own_top(self, account: str, symbol: str) -> tuple:
        """(best bid, lots, best ask, lots) of one account's own orders in one contract."""

    def equity(self, account: str) -> int:
        """Cash plus unsettled variation margin, cents."""

    def positions(self, account: str) -> dict[str, int]:
        """symbol -> signed lots."""

    def mark(self, symbol: str) -> int | None:
        """The clearinghouse's mark, ticks."""

    def index_value(self, name: str) -> int | None:
        """The latest index value the venue holds, micro-USD."""


class LocalVenue:
    """The in-process venue behind the port."""

    def __init__(self, venue: Venue):
        self.venue = venue
        self.submit = venue.submit  # the hot path: no extra frame per command
        self.gate = venue.gate

    def top(self, symbol: str) -> tuple:
        m = self.venue.market(symbol)
        book = m.book
        bid, ask = book.best_bid, book.best_ask
        # dict.get(levels, price), not levels[price]: a SortedDict is a dict subclass, whose
        # subscript goes through a slow generic slot (exchange/book.py)
        bid_qty = ask_qty = 0
        if bid is not None:
            bid_level = dict.get(book.bids, bid)
            bid_qty = bid_level.qty
        if ask is not None:
            ask_level = dict.get(book.asks, ask)
            ask_qty = ask_level.qty
        return (bid, bid_qty, ask, ask_qty, m.last_trade)

    def listed(self, product: str) -> list[tuple[str, int]]:
        specs = [s for s in self.venue.contracts() if s.product.code == product
                 and self.venue.trading_state(s.symbol) in ("open", "pre_open", "halted")]
        return sorted(((s.symbol, s.last_trade_ts) for s in specs), key=lambda x: x[1])

    def own_top(self, account: str, symbol: str) -> tuple:
        bid = ask = None
        bid_qty = ask_qty = 0
        for o in self.venue.live_orders(account):
            price, qty = o.price, o.visible
            if o.symbol != symbol or price is None or not qty or o.status == _PENDING:
                continue
            if o.side > 0:
                if bid is None or price > bid:
                    bid, bid_qty = price, qty
                elif price == bid:
                    bid_qty += qty
            elif ask is None or price < ask:
                ask, ask_qty = price, qty
            elif price == ask:
                ask_qty += qty
        return bid, bid_qty, ask, ask_qty

    def equity(self, account: str) -> int:
        return self.gate.equity(account)

    def positions(self, account: str) -> dict[str, int]:
        return self.gate.positions(account)

    def mark(self, symbol: str) -> int | None:
        return self.gate.mark(symbol)

    def index_value(self, name: str) -> int | None:
        return self.venue.index_value(name)
