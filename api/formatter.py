"""The formatter: venue state and events (ticks, lots, minor units) as the wire shows them.

One place turns an integer price into its decimal string for every view the API serves: the
REST answers, the hub's WebSocket messages and the service's order results. It reads the
service's durable views (the order store, the hub's book) and the venue's contracts.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from api import wire

if TYPE_CHECKING:
    from api.service import Service


class Formatter:
    """Ticks -> wire strings for the hub and the REST views."""

    def __init__(self, service: Service):
        self.s = service
        self._tick: dict[str, Decimal] = {}
        # the few hundred prices near the touch are formatted once (a Decimal product and
        # str() cost more than the rest of writing a fill)
        self._text = lru_cache(maxsize=1 << 16)(self._format)

    def knows(self, symbol: str) -> bool:
        """Listed at some point (expired contracts still answer with their history)."""
        try:
            self.s.venue.market(symbol)
        except KeyError:
            return False
        return True

    def tick(self, symbol: str) -> Decimal:
        t = self._tick.get(symbol)
        if t is None:
            t = self._tick[symbol] = self.s.venue.market(symbol).spec.product.tick_size
        return t

    def price(self, symbol: str, ticks: int | None) -> str | None:
        return None if ticks is None else self._text(symbol, ticks)

    def _format(self, symbol: str, ticks: int) -> str:
        return wire.ticks_to_price(ticks, self.tick(symbol))

    def order(self, o: dict) -> dict:
        return dict(o, price=self.price(o["symbol"], o["price"]),
                    stop_price=self.price(o["symbol"], o["stop_price"]))

    def fill(self, f: dict) -> dict:
        return dict(f, price=self.price(f["symbol"], f["price"]))

    def event(self, e) -> dict:
        d = e.to_dict()
        symbol = d.get("symbol")
        if symbol is not None and self.knows(symbol):
            for k in ("price", "stop_price", "trigger_price"):
                if isinstance(d.get(k), int):
                    d[k] = self.price(symbol, d[k])
        if isinstance(d.get("side"), int):
            d["side"] = "buy" if d["side"] > 0 else "sell"
        return d

    def position(self, account: str, symbol: str) -> dict:
        """A position as the `positions` channel carries it: the store's quantity, folded
        event by event (a mark or PnL read now would be the whole batch's, not this event's)."""
        return {"symbol": symbol, "qty": self.s.store.positions.get(account, {}).get(symbol, 0)}

    def open_positions(self, account: str) -> list[tuple[str, int]]:
        """(symbol, signed qty) of the account's open positions, by symbol (the order store's)."""
        return [(symbol, qty) for symbol, qty in sorted(self.s.store.positions.get(account, {}).items())
                if qty]

    def position_views(self, account: str) -> list[dict]:
        """The open positions as GET /v1/positions shows them: the quantity, the
        clearinghouse's mark and the variation margin unsettled since the last cycle."""
        s = self.s
        marks = s.venue.gate.position_marks(account) if account in s.accounts else {}
        out = []
        for symbol, qty in self.open_positions(account):
            mark, unsettled = marks.get(symbol, (None, None))
            out.append({"symbol": symbol, "qty": qty, "mark": self.price(symbol, mark),
                        "unsettled_pnl": wire.cents_to_amount(unsettled)})
        return out

    def ticker(self, symbol: str) -> dict:
        s = self.s
        bids, asks = s.hub.depth(symbol, 1)
        m = s.venue.market(symbol)
        return {"symbol": symbol,
                "best_bid": self.price(symbol, bids[0][0]) if bids else None,
                "best_ask": self.price(symbol, asks[0][0]) if asks else None,
                "last": self.price(symbol, m.last_trade),
                "reference": self.price(symbol, s.venue.reference_price(symbol)),
                "volume": s.store.volume.get(symbol, 0),
                "trading_state": m.state}
