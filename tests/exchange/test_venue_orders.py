"""Order types and time in force, with the exact fills a trader relies on."""


from clearing.reasons import Reason
from exchange.commands import AmendOrder
from exchange.orders import OrderStatus
from tests.exchange.conftest import (BUY, DAY, FOK, GTD, IOC, MARKET, SEC, SELL, STOP, STOP_LIMIT,
                                     SYM, fills, kinds, of_kind, rejected_with)


# --- limit --------------------------------------------------------------------------------

def test_limit_orders_fill_in_price_time_priority(desk):
    a = desk.rest("a", SELL, 2, 2_000)
    b = desk.rest("b", SELL, 3, 2_000)
    ev = desk.order("c", BUY, 4, 2_000)
    c = ev[0].order_id
    assert fills(ev) == [(a, c, 2_000, 2), (b, c, 2_000, 2)]
    assert desk.l3(SELL) == [(b, 1)]
    assert desk.venue.order(a) is None and desk.venue.order(b).status == OrderStatus.PARTIALLY_FILLED


def test_aggressive_limit_trades_at_maker_prices_then_rests(desk):
    a = desk.rest("a", SELL, 1, 2_001)
    b = desk.rest("b", SELL, 1, 2_002)
    ev = desk.order("c", BUY, 3, 2_002)
    c = ev[0].order_id
    assert fills(ev) == [(a, c, 2_001, 1), (b, c, 2_002, 1)]
    assert desk.depth() == ([(2_002, 1)], [])
    assert desk.venue.last_trade_price(SYM) == 2_002
    assert ev[-1].kind == "book_delta" and (ev[-1].side, ev[-1].price, ev[-1].qty) == (BUY, 2_002, 1)


def test_fill_event_carries_both_sides(desk):
    a = desk.rest("a", SELL, 5, 2_000)
    (f,) = of_kind(desk.order("c", BUY, 2, 2_000), "fill")
    assert (f.aggressor, f.maker_account, f.maker_remaining, f.taker_account, f.taker_remaining) == (
        BUY, "a", 3, "c", 0)
    assert f.maker_order_id == a and f.trade_id == 1


# --- market with protection -----------------------------------------------------------------

def test_market_order_trades_up_to_the_band_edge_and_never_rests(desk):
    a = desk.rest("a", SELL, 1, 2_050)
    desk.rest("b", SELL, 1, 2_150)  # beyond the +-100 band around 2,000
    ev = desk.order("c", BUY, 3, type=MARKET)
    c = ev[0].order_id
    assert fills(ev) == [(a, c, 2_050, 1)]
    (x,) = of_kind(ev, "order_cancelled")
    assert (x.order_id, x.remaining, x.reason) == (c, 2, "market_protection")
    assert desk.depth() == ([], [(2_150, 1)])
    assert desk.venue.order(c) is None


def test_market_sell_fills_several_levels(desk):
    a = desk.rest("a", BUY, 1, 1_990)
    b = desk.rest("b", BUY, 2, 1_950)
    ev = desk.order("c", SELL, 3, type=MARKET, tif=IOC)
    c = ev[0].order_id
    assert fills(ev) == [(a, c, 1_990, 1), (b, c, 1_950, 2)]
    assert "order_cancelled" not in kinds(ev)


# --- stops --------------------------------------------------------------------------------

def test_stop_market_waits_then_triggers_on_a_trade_at_its_price(desk):
    ev = desk.order("s", SELL, 2, type=STOP, stop_price=1_990)
    s = ev[0].order_id
    assert kinds(ev) == ["order_accepted"] and ev[0].status == "pending_trigger"
    assert desk.depth() == ([], [])
    x = desk.rest("x", BUY, 1, 1_990)
    y = desk.rest("y", BUY, 5, 1_980)
    ev = desk.order("z", SELL, 1, 1_990)
    z = ev[0].order_id
    assert fills(ev) == [(x, z, 1_990, 1), (y, s, 1_980, 2)]
    (t,) = of_kind(ev, "order_triggered")
    assert (t.order_id, t.stop_price, t.trigger_price) == (s, 1_990, 1_990)
    assert kinds(ev).index("order_triggered") > kinds(ev).index("fill")
    assert desk.l3(BUY) == [(y, 3)]


def test_stop_does_not_trigger_on_a_trade_short_of_its_price(desk):
    s = desk.order("s", SELL, 2, type=STOP, stop_price=1_990)[0].order_id
    desk.rest("x", BUY, 1, 1_991)
    ev = desk.order("z", SELL, 1, 1_991)
    assert "order_triggered" not in kinds(ev)
    assert desk.venue.order(s).status == OrderStatus.PENDING_TRIGGER


def test_stops_cascade_each_trade_triggering_the_next(desk):
    s1 = desk.order("s1", SELL, 1, type=STOP, stop_price=1_990)[0].order_id
    s2 = desk.order("s2", SELL, 1, type=STOP, stop_price=1_975)[0].order_id
    x = desk.rest("x", BUY, 1, 1_990)
    y = desk.rest("y", BUY, 1, 1_975)
    w = desk.rest("w", BUY, 1, 1_970)
    ev = desk.order("z", SELL, 1, 1_990)
    z = ev[0].order_id
    assert fills(ev) == [(x, z, 1_990, 1), (y, s1, 1_975, 1), (w, s2, 1_970, 1)]
    assert [t.order_id for t in of_kind(ev, "order_triggered")] == [s1, s2]
    assert desk.depth() == ([], [])


def test_stop_limit_becomes_a_resting_limit_after_its_trigger(desk):
    s = desk.order("s", BUY, 3, 2_012, type=STOP_LIMIT, stop_price=2_010)[0].order_id
    a = desk.rest("a", SELL, 1, 2_010)
    b = desk.rest("b", SELL, 1, 2_012)
    desk.rest("c", SELL, 5, 2_015)
    ev = desk.order("t", BUY, 1, 2_010)
    t = ev[0].order_id
    assert fills(ev) == [(a, t, 2_010, 1), (b, s, 2_012, 1)]
    assert desk.l3(BUY) == [(s, 2)]
    assert desk.venue.order(s).status == OrderStatus.PARTIALLY_FILLED


# --- icebergs -----------------------------------------------------------------------------

def test_iceberg_shows_its_display_qty_and_refreshes_at_the_back(desk):
    a = desk.order("a", SELL, 5, 2_000, display_qty=2)[0].order_id
    b = desk.rest("b", SELL, 2, 2_000)
    assert desk.depth() == ([], [(2_000, 4)])
    ev = desk.order("c", BUY, 2, 2_000)
    assert fills(ev) == [(a, ev[0].order_id, 2_000, 2)]
    assert desk.l3(SELL) == [(b, 2), (a, 3)]  # refreshed slice lost its place
    assert desk.depth() == ([], [(2_000, 4)])
    ev = desk.order("d", BUY, 3, 2_000)
    d = ev[0].order_id
    assert fills(ev) == [(b, d, 2_000, 2), (a, d, 2_000, 1)]
    assert desk.depth() == ([], [(2_000, 1)])  # 1 of the slice shown, 1 hidden
    ev = desk.order("e", BUY, 2, 2_000)
    e = ev[0].order_id
    assert fills(ev) == [(a, e, 2_000, 1), (a, e, 2_000, 1)]  # slice, then the last refresh
    assert desk.depth() == ([], [])


def test_taker_larger_than_iceberg_slice_takes_refreshed_slices_only_after_the_queue(desk):
    a = desk.order("a", SELL, 6, 2_000, display_qty=2)[0].order_id
    b = desk.rest("b", SELL, 1, 2_000)
    ev = desk.order("c", BUY, 5, 2_000)
    c = ev[0].order_id
    assert fills(ev) == [(a, c, 2_000, 2), (b, c, 2_000, 1), (a, c, 2_000, 2)]
    assert desk.l3(SELL) == [(a, 2)]


# --- time in force ------------------------------------------------------------------------

def test_ioc_fills_what_it_can_and_cancels_the_rest(desk):
    a = desk.rest("a", SELL, 2, 2_000)
    ev = desk.order("c", BUY, 5, 2_000, tif=IOC)
    c = ev[0].order_id
    assert fills(ev) == [(a, c, 2_000, 2)]
    (x,) = of_kind(ev, "order_cancelled")
    assert (x.order_id, x.remaining, x.reason) == (c, 3, "ioc")
    assert desk.depth() == ([], [])


def test_fok_fills_in_full_across_levels(desk):
    a = desk.rest("a", SELL, 2, 2_000)
    b = desk.rest("b", SELL, 2, 2_001)
    ev = desk.order("c", BUY, 3, 2_001, tif=FOK)
    c = ev[0].order_id
    assert fills(ev) == [(a, c, 2_000, 2), (b, c, 2_001, 1)]
    assert "order_cancelled" not in kinds(ev)


def test_gtc_and_day_orders_rest(desk):
    g = desk.rest("a", BUY, 1, 1_990)
    d = desk.rest("a", BUY, 1, 1_991, tif=DAY)
    assert desk.l3(BUY) == [(d, 1), (g, 1)]


def test_gtd_order_expires_at_its_time(desk):
    o = desk.rest("a", BUY, 1, 1_990, tif=GTD, expire_at=desk.ts + 10 * SEC)
    assert desk.later(9) == []
    ev = desk.later(1)
    assert kinds(ev) == ["book_delta", "order_expired"]
    assert (ev[1].order_id, ev[1].remaining, ev[1].ts) == (o, 1, desk.ts)
    assert desk.depth() == ([], []) and desk.venue.order(o) is None


def test_gtd_expiry_runs_before_a_later_command_in_the_same_submit(desk):
    o = desk.rest("a", SELL, 1, 2_000, tif=GTD, expire_at=desk.ts + 5 * SEC)
    desk.ts += 6 * SEC
    ev = desk.order("b", BUY, 1, 2_000)
    assert kinds(ev)[:2] == ["book_delta", "order_expired"] and ev[1].order_id == o
    assert ev[1].ts == desk.ts - SEC  # expired at its own time, not the command's
    assert fills(ev) == []


# --- post-only and reduce-only ---------------------------------------------------------------

def test_post_only_rests_when_it_does_not_cross(desk):
    desk.rest("a", SELL, 1, 2_001)
    p = desk.rest("b", BUY, 1, 2_000, post_only=True)
    assert desk.venue.order(p).post_only and desk.depth() == ([(2_000, 1)], [(2_001, 1)])


def test_reduce_only_uses_the_gates_position(desk):
    desk.rest("b", SELL, 2, 2_000)
    desk.order("a", BUY, 2, 2_000)
    assert desk.venue.gate.position("a", SYM) == 2
    assert desk.venue.gate.position("b", SYM) == -2
    r = desk.rest("a", SELL, 2, 2_005, reduce_only=True)
    assert desk.venue.order(r).reduce_only
    c = desk.rest("b", BUY, 1, 1_995, reduce_only=True)
    assert desk.venue.order(c).reduce_only


def test_reduce_only_orders_never_flip_the_position(desk):
    desk.rest("b", SELL, 2, 2_000)
    desk.order("a", BUY, 2, 2_000)  # a long 2
    desk.rest("a", SELL, 2, 2_005, reduce_only=True)
    second = desk.order("a", SELL, 2, 2_006, reduce_only=True)
    desk.order("c", BUY, 4, 2_006)
    assert desk.venue.gate.position("a", SYM) >= 0, second


def test_amend_cannot_grow_a_reduce_only_order_beyond_the_position(desk):
    desk.rest("b", SELL, 2, 2_000)
    desk.order("a", BUY, 2, 2_000)  # a long 2
    r = desk.rest("a", SELL, 1, 2_005, reduce_only=True)
    rejected_with(desk, AmendOrder(desk.ts, "a", r, qty=5), Reason.REDUCE_ONLY_WOULD_INCREASE)


def test_cancel_reasons_are_one_vocabulary_written_as_before(desk):
    """A trade that closes a position cancels the reduce-only order it leaves with nothing to
    reduce: reason `reduce_only`, a CancelReason (once missing from the documented list),
    carried as the plain string the event log and the JSON always wrote."""
    from exchange.events import CancelReason, StatusReason

    desk.rest("b", SELL, 2, 2_000)
    desk.order("a", BUY, 2, 2_000)  # a long 2
    r = desk.rest("a", SELL, 2, 2_005, reduce_only=True)
    desk.rest("a", SELL, 2, 1_990)  # no bid: it rests, in front of the reduce-only order
    ev = desk.order("c", BUY, 2, 1_990)  # a is flat: its reduce-only order has nothing to reduce
    cancelled = [e for e in ev if e.kind == "order_cancelled"]
    assert [(e.order_id, e.reason) for e in cancelled] == [(r, CancelReason.REDUCE_ONLY)]
    assert type(cancelled[0].reason) is str and cancelled[0].to_dict()["reason"] == "reduce_only"
    assert {c.value for c in CancelReason} == {
        "user", "cancel_all", "ioc", "fok", "market_protection", "self_trade", "outside_limit",
        "liquidation", "contract_expired", "reduce_only"}
    assert {s.value for s in StatusReason} == {"operator", "limit", "halt_ended", "last_trade", "expiry"}
