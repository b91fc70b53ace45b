import pytest

from exchange.book import OrderBook
from exchange.orders import STP, TimeInForce, make_order


def order(oid, side, price, qty, visible=None):
    o = make_order(oid, "a", "SITF27", side, 1, price, qty, TimeInForce.GTC, STP.CANCEL_NEWEST, None, 0)
    if visible is not None:
        o.display_qty = o.visible = visible
    return o


def test_best_prices_follow_adds_and_removes():
    b = OrderBook("SITF27")
    bids = [order(1, 1, 100, 5), order(2, 1, 101, 3), order(3, 1, 99, 1)]
    asks = [order(4, -1, 105, 2), order(5, -1, 103, 4)]
    for o in bids + asks:
        b.add(o)
    b.check()
    assert (b.best_bid, b.best_ask) == (101, 103)
    assert b.depth() == ([(101, 3), (100, 5), (99, 1)], [(103, 4), (105, 2)])
    assert b.depth(1) == ([(101, 3)], [(103, 4)])
    b.remove(bids[1])
    b.remove(asks[1])
    b.check()
    assert (b.best_bid, b.best_ask) == (100, 105)
    assert len(b) == 3


def test_level_keeps_time_priority_and_visible_qty():
    b = OrderBook("SITF27")
    for o in (order(1, 1, 100, 5), order(2, 1, 100, 7, visible=2), order(3, 1, 100, 1)):
        b.add(o)
    assert [o.order_id for o in b.orders(1)] == [1, 2, 3]
    assert b.level(1, 100).qty == 8  # hidden iceberg part excluded
    b.remove(b.level(1, 100).orders[1])
    assert b.level(1, 100).qty == 3
    assert b.level(-1, 100) is None


def test_removing_last_order_drops_the_level():
    b = OrderBook("SITF27")
    o = order(1, -1, 100, 5)
    b.add(o)
    b.remove(o)
    assert b.best_ask is None and b.depth() == ([], []) and len(b) == 0
    b.check()


def test_orders_are_listed_best_price_first():
    b = OrderBook("SITF27")
    for o in (order(1, -1, 105, 1), order(2, -1, 103, 1), order(3, -1, 104, 1)):
        b.add(o)
    assert [o.order_id for o in b.orders(-1)] == [2, 3, 1]


def test_check_catches_a_crossed_book():
    b = OrderBook("SITF27")
    b.add(order(1, 1, 105, 1))
    b.add(order(2, -1, 104, 1))
    with pytest.raises(AssertionError):
        b.check()
