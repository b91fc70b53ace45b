"""Shared helpers for the exchange tests: a venue with SIT listed and settled at 2.000 USD.

With the SIT defaults a settlement of 2,000 ticks gives a dynamic band of +-100 ticks
(5%) and daily limits of [1,800, 2,200] (10%).
"""

import pytest

from exchange.commands import AdvanceTime, ListContracts, NewOrder, SetReferencePrice
from exchange.contracts import SIT
from exchange.orders import OrderType, TimeInForce
from exchange.venue import Venue

T0 = 1_795_000_000 * 1_000_000_000  # 2026-11-18 11:06:40 UTC
SEC = 1_000_000_000
SYM = "SITF27"
BUY, SELL = 1, -1
LIMIT, MARKET, STOP, STOP_LIMIT = (OrderType.LIMIT, OrderType.MARKET, OrderType.STOP,
                                   OrderType.STOP_LIMIT)
GTC, DAY, GTD, IOC, FOK = (TimeInForce.GTC, TimeInForce.DAY, TimeInForce.GTD, TimeInForce.IOC,
                           TimeInForce.FOK)


class Desk:
    """A venue plus a clock that only moves forward; every step checks the venue invariants."""

    def __init__(self, products=(SIT,), settle=2_000, **venue_kw):
        self.venue = Venue(products=products, **venue_kw)
        self.ts = T0
        self.venue.submit(ListContracts(self.ts))
        if settle is not None:
            self.venue.submit(SetReferencePrice(self.ts, SYM, settle))

    def send(self, cmd):
        self.ts = max(cmd.ts, self.ts)
        cmd.ts = self.ts
        events = self.venue.submit(cmd)
        self.venue.check()
        return events

    def order(self, account, side, qty, price=None, type=LIMIT, tif=GTC, symbol=SYM, **kw):
        return self.send(NewOrder(self.ts, account, symbol, side, qty, price, type, tif, **kw))

    def rest(self, account, side, qty, price, **kw) -> int:
        """Place a limit order that must rest untouched; return its id."""
        events = self.order(account, side, qty, price, **kw)
        assert kinds(events) == ["order_accepted", "book_delta"], events
        return events[0].order_id

    def later(self, seconds):
        self.ts += seconds * SEC
        return self.send(AdvanceTime(self.ts))

    def depth(self):
        return self.venue.book(SYM).depth()

    def l3(self, side):
        return [(o.order_id, o.remaining) for o in self.venue.book(SYM).orders(side)]


def kinds(events):
    return [e.kind for e in events]


def fills(events):
    """(maker id, taker id, price, qty) of each fill, in order."""
    return [(e.maker_order_id, e.taker_order_id, e.price, e.qty) for e in events if e.kind == "fill"]


def of_kind(events, kind):
    return [e for e in events if e.kind == kind]


def rejected_with(desk, cmd, reason):
    """Submit `cmd`; assert exactly one Rejected event with `reason` and no state change."""
    before = desk.venue.digest(with_clock=False)
    events = desk.send(cmd)
    assert [(e.kind, getattr(e, "reason", None)) for e in events] == [("rejected", reason)], events
    assert desk.venue.digest(with_clock=False) == before
    return events[0]


@pytest.fixture
def desk():
    return Desk()
