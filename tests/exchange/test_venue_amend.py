"""Amend: a pure quantity decrease keeps queue priority; a price change or increase loses it."""

import pytest

from clearing.reasons import Reason
from exchange.commands import AmendOrder, SetTradingState
from tests.exchange.conftest import (BUY, SELL, STOP, STOP_LIMIT, fills, kinds, of_kind,
                                     rejected_with)


def amend(desk, account, oid, **kw):
    return desk.send(AmendOrder(desk.ts, account, oid, **kw))


def test_quantity_decrease_keeps_priority(desk):
    a = desk.rest("a", SELL, 5, 2_000)
    b = desk.rest("b", SELL, 5, 2_000)
    ev = amend(desk, "a", a, qty=3)
    assert kinds(ev) == ["order_amended", "book_delta"]
    assert (ev[0].qty, ev[0].remaining, ev[0].priority_kept) == (3, 3, True)
    assert ev[1].qty == 8
    assert desk.l3(SELL) == [(a, 3), (b, 5)]
    t = desk.order("t", BUY, 4, 2_000)
    assert fills(t) == [(a, t[0].order_id, 2_000, 3), (b, t[0].order_id, 2_000, 1)]


def test_quantity_increase_loses_priority(desk):
    a = desk.rest("a", SELL, 5, 2_000)
    b = desk.rest("b", SELL, 5, 2_000)
    ev = amend(desk, "a", a, qty=6)
    assert of_kind(ev, "order_amended")[0].priority_kept is False
    assert desk.l3(SELL) == [(b, 5), (a, 6)]
    assert desk.depth() == ([], [(2_000, 11)])


def test_price_change_loses_priority_even_back_to_the_same_price(desk):
    a = desk.rest("a", SELL, 2, 2_000)
    b = desk.rest("b", SELL, 2, 2_000)
    amend(desk, "a", a, price=2_001)
    assert desk.depth() == ([], [(2_000, 2), (2_001, 2)])
    amend(desk, "a", a, price=2_000)
    assert desk.l3(SELL) == [(b, 2), (a, 2)]


def test_amend_to_a_crossing_price_trades(desk):
    c = desk.rest("c", BUY, 1, 1_999)
    a = desk.rest("a", SELL, 3, 2_000)
    ev = amend(desk, "a", a, price=1_999)
    assert fills(ev) == [(c, a, 1_999, 1)]
    assert desk.l3(SELL) == [(a, 2)]


def test_quantity_is_total_including_what_filled(desk):
    a = desk.rest("a", SELL, 5, 2_000)
    desk.order("t", BUY, 2, 2_000)
    ev = amend(desk, "a", a, qty=4)
    assert (ev[0].qty, ev[0].remaining, ev[0].priority_kept) == (4, 2, True)
    assert desk.l3(SELL) == [(a, 2)]


def test_amending_a_pending_stop_moves_its_trigger(desk):
    s = desk.order("s", SELL, 2, type=STOP, stop_price=1_990)[0].order_id
    ev = amend(desk, "s", s, stop_price=1_980, qty=3)
    assert kinds(ev) == ["order_amended"]
    assert (ev[0].stop_price, ev[0].qty, ev[0].priority_kept) == (1_980, 3, False)
    desk.rest("x", BUY, 1, 1_990)
    assert "order_triggered" not in kinds(desk.order("z", SELL, 1, 1_990))
    y = desk.rest("y", BUY, 1, 1_980)
    w = desk.rest("w", BUY, 5, 1_970)
    ev = desk.order("z", SELL, 1, 1_980)
    assert fills(ev) == [(y, ev[0].order_id, 1_980, 1), (w, s, 1_970, 3)]


def test_amending_a_stop_limit_price(desk):
    s = desk.order("s", BUY, 1, 2_012, type=STOP_LIMIT, stop_price=2_010)[0].order_id
    ev = amend(desk, "s", s, price=2_015)
    assert (ev[0].price, ev[0].stop_price) == (2_015, 2_010)
    desk.rest("a", SELL, 1, 2_010)
    b = desk.rest("b", SELL, 1, 2_014)
    ev = desk.order("t", BUY, 1, 2_010)
    assert fills(ev)[-1] == (b, s, 2_014, 1)


# --- rejections: each leaves the venue unchanged ---------------------------------------------

def test_unknown_and_foreign_orders(desk):
    a = desk.rest("a", SELL, 5, 2_000)
    rejected_with(desk, AmendOrder(desk.ts, "a", 999, qty=3), Reason.UNKNOWN_ORDER)
    rejected_with(desk, AmendOrder(desk.ts, "b", a, qty=3), Reason.NOT_ORDER_OWNER)


def test_nothing_to_amend(desk):
    a = desk.rest("a", SELL, 5, 2_000)
    rejected_with(desk, AmendOrder(desk.ts, "a", a, qty=5, price=2_000), Reason.NOTHING_TO_AMEND)
    rejected_with(desk, AmendOrder(desk.ts, "a", a), Reason.NOTHING_TO_AMEND)


def test_amend_below_filled(desk):
    a = desk.rest("a", SELL, 5, 2_000)
    desk.order("t", BUY, 2, 2_000)
    rejected_with(desk, AmendOrder(desk.ts, "a", a, qty=2), Reason.AMEND_BELOW_FILLED)


def test_amend_not_allowed(desk):
    a = desk.rest("a", SELL, 5, 2_000)
    rejected_with(desk, AmendOrder(desk.ts, "a", a, stop_price=2_100), Reason.AMEND_NOT_ALLOWED)
    s = desk.order("s", SELL, 2, type=STOP, stop_price=1_990)[0].order_id
    rejected_with(desk, AmendOrder(desk.ts, "s", s, price=1_980), Reason.AMEND_NOT_ALLOWED)


def test_amend_quantity_rules(desk):
    a = desk.rest("a", SELL, 5, 2_000)
    rejected_with(desk, AmendOrder(desk.ts, "a", a, qty=0), Reason.QTY_BELOW_MINIMUM)
    rejected_with(desk, AmendOrder(desk.ts, "a", a, qty=10_001), Reason.QTY_ABOVE_MAXIMUM)
    i = desk.order("i", SELL, 5, 2_000, display_qty=2)[0].order_id
    rejected_with(desk, AmendOrder(desk.ts, "i", i, qty=2), Reason.INVALID_DISPLAY_QTY)


def test_amend_price_rules(desk):
    a = desk.rest("a", BUY, 5, 1_990)
    rejected_with(desk, AmendOrder(desk.ts, "a", a, price=2_101), Reason.OUTSIDE_PRICE_BAND)
    rejected_with(desk, AmendOrder(desk.ts, "a", a, price=1_799), Reason.OUTSIDE_DAILY_LIMIT)
    rejected_with(desk, AmendOrder(desk.ts, "a", a, price=0), Reason.INVALID_PRICE)
    desk.rest("b", SELL, 1, 2_000)
    p = desk.rest("p", BUY, 1, 1_995, post_only=True)
    rejected_with(desk, AmendOrder(desk.ts, "p", p, price=2_000), Reason.WOULD_CROSS_POST_ONLY)


def test_amend_stop_through_the_last_price(desk):
    s = desk.order("s", SELL, 2, type=STOP, stop_price=1_990)[0].order_id
    rejected_with(desk, AmendOrder(desk.ts, "s", s, stop_price=2_000), Reason.STOP_ALREADY_TRIGGERED)


@pytest.mark.parametrize("state,reason", [("halted", Reason.MARKET_HALTED),
                                          ("closed", Reason.MARKET_CLOSED)])
def test_amend_refused_when_not_trading(desk, state, reason):
    a = desk.rest("a", SELL, 5, 2_000)
    desk.send(SetTradingState(desk.ts, "SITF27", state))
    rejected_with(desk, AmendOrder(desk.ts, "a", a, qty=3), reason)


def test_amend_crossing_in_pre_open(desk):
    desk.rest("b", SELL, 1, 2_000)
    a = desk.rest("a", BUY, 1, 1_990)
    desk.send(SetTradingState(desk.ts, "SITF27", "pre_open"))
    rejected_with(desk, AmendOrder(desk.ts, "a", a, price=2_000), Reason.WOULD_CROSS_IN_PRE_OPEN)
    ev = desk.send(AmendOrder(desk.ts, "a", a, price=1_995))
    assert kinds(ev) == ["book_delta", "order_amended", "book_delta"]
