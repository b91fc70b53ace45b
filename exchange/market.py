"""The per-contract trading state: the book, the trading state, reference prices, the dynamic
price band's anchor, the daily price limits with their halt-and-widen rule, and pending stop
orders. (The checks against the band and the limits are exchange/rules.py's.)

Rules (documented defaults in exchange/contracts.py ProductSpec):
- Price band: an order may not be priced more aggressively than the band around the reference
  price (the last trade, else the last settlement): a buy above `ref + band`, a sell below
  `ref - band` is rejected (CME-style banding; passive prices are free). Market orders are
  protected at the band edge.
- Daily limits: +-`daily_limit_bps` of the prior settlement. Orders priced beyond them are
  rejected. A trade at a limit halts the contract for `halt_seconds`; when it reopens the limits
  are widened by `limit_widen_bps` (as equity-index futures do).
"""

from __future__ import annotations

from sortedcontainers import SortedDict

from exchange.book import OrderBook
from exchange.contracts import PRO_RATA, ContractSpec

PRE_OPEN = "pre_open"
OPEN = "open"
HALTED = "halted"
CLOSED = "closed"
EXPIRED = "expired"
STATES = (PRE_OPEN, OPEN, HALTED, CLOSED, EXPIRED)

# Operator transitions: from -> allowed targets (expiry happens only through ExpireContract or
# the last trading time).
TRANSITIONS = {
    PRE_OPEN: {OPEN, CLOSED, HALTED},
    OPEN: {HALTED, CLOSED, PRE_OPEN},
    HALTED: {OPEN, CLOSED},
    CLOSED: {PRE_OPEN, OPEN},
    EXPIRED: set(),
}


class Market:
    __slots__ = (
        "spec",
        "symbol",
        "book",
        "state",
        "pro_rata",
        "last_trade",
        "band_anchor",
        "settlement",
        "reference",
        "limit_low",
        "limit_high",
        "widenings",
        "halt_until",
        "buy_stops",
        "sell_stops",
        "volume",
        "trades",
        "band_bps",
        "band_min",
        "max_qty",
        "min_qty",
        "lot",
    )

    def __init__(self, spec: ContractSpec, state: str = OPEN):
        p = spec.product
        self.spec = spec
        self.symbol = spec.symbol
        self.book = OrderBook(spec.symbol)
        self.state = state
        self.pro_rata = p.allocation == PRO_RATA
        self.last_trade: int | None = None
        # the price band's centre: the last trade, or a daily settlement set after it (a new
        # day's band starts from the settlement, however long ago the last trade was)
        self.band_anchor: int | None = None
        self.settlement: int | None = None  # prior settlement price (ticks)
        self.reference: int | None = None  # band reference when there is no trade yet
        self.limit_low: int | None = None
        self.limit_high: int | None = None
        self.widenings = 0
        self.halt_until: int | None = None
        # stop price -> {order_id: order}, FIFO within a price
        self.buy_stops: SortedDict = SortedDict()
        self.sell_stops: SortedDict = SortedDict()
        self.volume = 0
        self.trades = 0
        self.band_bps = p.band_bps
        self.band_min = p.band_min_ticks
        self.max_qty = p.max_qty
        self.min_qty = p.min_qty
        self.lot = p.lot_size

    def set_settlement(self, price: int) -> None:
        """A new prior settlement: it becomes the band reference and resets the daily limits."""
        self.settlement = price
        self.reference = price
        self.band_anchor = price
        self.widenings = 0
        self._set_limits()

    def widen_limits(self) -> None:
        self.widenings += 1
        self._set_limits()

    def _set_limits(self) -> None:
        p = self.spec.product
        bps = p.daily_limit_bps + self.widenings * p.limit_widen_bps
        width = self.settlement * bps // 10_000
        self.limit_low = max(1, self.settlement - width)
        self.limit_high = self.settlement + width

    def at_limit(self, price: int) -> bool:
        return (self.limit_high is not None and price >= self.limit_high) or (
            self.limit_low is not None and price <= self.limit_low
        )

    def stops(self, side: int) -> SortedDict:
        return self.buy_stops if side > 0 else self.sell_stops

    def add_stop(self, o) -> None:
        """A stop order waits for its trigger, behind the earlier ones at its stop price."""
        stops = self.buy_stops if o.side > 0 else self.sell_stops
        bucket = stops.get(o.stop_price)
        if bucket is None:
            bucket = stops[o.stop_price] = {}
        bucket[o.order_id] = o

    def remove_stop(self, o) -> None:
        stops = self.buy_stops if o.side > 0 else self.sell_stops
        bucket = stops[o.stop_price]
        del bucket[o.order_id]
        if not bucket:
            del stops[o.stop_price]


def book_tops(markets: dict) -> dict:
    """symbol -> (best bid, best ask, last trade) of the contracts not expired, for marking."""
    return {s: (m.book.best_bid, m.book.best_ask, m.last_trade)
            for s, m in markets.items() if m.state != EXPIRED}
