"""The venue's behaviour, one rule at a time: order types, time in force, amend, self-trade
prevention, bands, daily limits and halts, trading states, expiry, and every rejection code."""

import pytest

from clearing.reasons import Reason
from exchange.commands import (
    AdvanceTime,
    AmendOrder,
    CancelAll,
    CancelOrder,
    Deposit,
    ExpireContract,
    ListContracts,
    MarkCycle,
    NewOrder,
    OpenAccount,
    PublishIndex,
    SetMarketMakerStanding,
    SetReferencePrice,
    SetTradingState,
    Withdraw,
)
from exchange.contracts import SIT, with_rules
from exchange.orders import STP
from exchange.venue import Venue
from tests.exchange.conftest import (
    DAY,
    FOK,
    GTC,
    GTD,
    IOC,
    LIMIT,
    MARKET,
    SEC,
    STOP,
    STOP_LIMIT,
    SYM,
    T0,
    Desk,
    fills,
    kinds,
    rejected_with,
)

S = SYM


def reason(events):
    (e,) = events
    assert e.kind == "rejected"
    return e.reason


# --- limit orders, priority, prints --------------------------------------------------------

def test_limit_order_rests_and_emits_accept_and_book_delta(desk):
    ev = desk.order("a", 1, 5, 1_990)
    assert kinds(ev) == ["order_accepted", "book_delta"]
    assert ev[1].price == 1_990 and ev[1].qty == 5 and ev[1].side == 1
    assert desk.depth() == ([(1_990, 5)], [])


def test_price_time_priority_and_print_at_resting_price(desk):
    desk.order("a", -1, 3, 2_001)  # id 1
    desk.order("b", -1, 4, 2_001)  # id 2, behind 1
    desk.order("c", -1, 5, 2_000)  # id 3, better price
    ev = desk.order("d", 1, 10, 2_005)  # id 4 sweeps
    assert fills(ev) == [(3, 4, 2_000, 5), (1, 4, 2_001, 3), (2, 4, 2_001, 2)]
    assert desk.depth() == ([], [(2_001, 2)])
    fill = [e for e in ev if e.kind == "fill"][0]
    assert fill.aggressor == 1 and fill.maker_account == "c" and fill.taker_account == "d"


def test_sequence_numbers_are_gap_free_across_commands(desk):
    seqs = []
    for i in range(5):
        seqs += [e.seq for e in desk.order("a", 1, 1, 1_990 + i)]
    seqs += [e.seq for e in desk.send(CancelOrder(desk.ts, "a", 999))]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))


# --- market orders -------------------------------------------------------------------------

def test_market_order_is_protected_by_the_band_and_never_rests(desk):
    desk.order("m", -1, 5, 2_010)
    desk.order("m", -1, 5, 2_200)  # beyond the band (5% of 2,000 = 100 ticks)
    ev = desk.order("t", 1, 8, type=MARKET)
    assert fills(ev) == [(1, 3, 2_010, 5)]
    cancel = [e for e in ev if e.kind == "order_cancelled"][0]
    assert cancel.reason == "market_protection" and cancel.remaining == 3
    assert desk.depth() == ([], [(2_200, 5)])


def expired_at_once(desk, cmd, reason):
    """An order the book cannot take: accepted, then expired at once with `reason`, and
    nothing else (no book change, no fill); its client order id is used."""
    events = desk.send(cmd)
    assert [e.kind for e in events] == ["order_accepted", "order_expired"], events
    accepted, expired = events
    assert accepted.status == "new" and expired.order_id == accepted.order_id
    assert (expired.reason, expired.remaining, expired.price) == (reason, cmd.qty, cmd.price)
    assert desk.venue.order(accepted.order_id) is None
    return accepted.order_id


def test_a_market_order_meeting_no_liquidity_is_accepted_then_expired(desk):
    expired_at_once(desk, NewOrder(desk.ts, "t", S, 1, 1, None, MARKET), Reason.NO_LIQUIDITY)
    desk.order("m", -1, 5, 2_200)  # beyond the protection price (the band: 2,100)
    expired_at_once(desk, NewOrder(desk.ts, "t", S, 1, 1, None, MARKET, FOK), Reason.NO_LIQUIDITY)
    assert desk.depth() == ([], [(2_200, 5)])


def test_market_order_rejections(desk):
    fresh = Desk(settle=None)
    rejected_with(fresh, NewOrder(fresh.ts, "t", S, 1, 1, None, MARKET), Reason.NO_REFERENCE_PRICE)
    rejected_with(desk, NewOrder(desk.ts, "t", S, 1, 1, 2_000, MARKET), Reason.INVALID_PRICE)
    rejected_with(desk, NewOrder(desk.ts, "t", S, 1, 1, None, MARKET, DAY), Reason.INVALID_TIME_IN_FORCE)


# --- time in force ---------------------------------------------------------------------------

def test_ioc_fills_what_it_can_and_cancels_the_rest(desk):
    desk.order("m", -1, 4, 2_000)
    ev = desk.order("t", 1, 10, 2_000, tif=IOC)
    assert fills(ev) == [(1, 2, 2_000, 4)]
    assert [e.reason for e in ev if e.kind == "order_cancelled"] == ["ioc"]
    assert desk.depth() == ([], [])


def test_fok_fills_in_full_or_is_accepted_then_expired(desk):
    desk.order("m", -1, 4, 2_000)
    desk.order("m", -1, 4, 2_002)
    expired_at_once(desk, NewOrder(desk.ts, "t", S, 1, 9, 2_002, LIMIT, FOK), Reason.FOK_NOT_FILLABLE)
    expired_at_once(desk, NewOrder(desk.ts, "t", S, 1, 8, 2_001, LIMIT, FOK,
                                   client_order_id="f1"), Reason.FOK_NOT_FILLABLE)
    assert desk.depth() == ([], [(2_000, 4), (2_002, 4)])
    rejected_with(desk, NewOrder(desk.ts, "t", S, 1, 8, 2_002, LIMIT, FOK, client_order_id="f1"),
                  Reason.DUPLICATE_CLIENT_ORDER_ID)  # an expired order was an order
    ev = desk.order("t", 1, 8, 2_002, tif=FOK)
    assert sum(f[3] for f in fills(ev)) == 8


def test_fok_meeting_own_order_is_expired_unless_cancel_oldest(desk):
    desk.order("t", -1, 4, 2_000)
    desk.order("m", -1, 4, 2_001)
    expired_at_once(desk, NewOrder(desk.ts, "t", S, 1, 4, 2_001, LIMIT, FOK), Reason.FOK_NOT_FILLABLE)
    ev = desk.order("t", 1, 4, 2_001, tif=FOK, stp=STP.CANCEL_OLDEST)
    assert fills(ev) == [(2, 4, 2_001, 4)]  # (order 3 was the expired one)


def test_gtd_expires_at_its_time_and_day_at_the_close(desk):
    desk.order("a", 1, 1, 1_990, tif=GTD, expire_at=desk.ts + 60 * SEC)
    desk.order("a", 1, 1, 1_991, tif=DAY)
    desk.order("a", 1, 1, 1_992)
    assert desk.later(59) == []
    ev = desk.later(1)
    assert kinds(ev) == ["book_delta", "order_expired"] and ev[1].order_id == 1
    ev = desk.send(SetTradingState(desk.ts, S, "closed"))
    assert [e.order_id for e in ev if e.kind == "order_expired"] == [2]
    assert desk.depth() == ([(1_992, 1)], [])


def test_gtd_needs_a_future_expiry(desk):
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 1, 1_990, LIMIT, GTD), Reason.INVALID_EXPIRE_TIME)
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 1, 1_990, LIMIT, GTD, expire_at=desk.ts),
            Reason.INVALID_EXPIRE_TIME)
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 1, 1_990, LIMIT, GTC, expire_at=desk.ts + SEC),
            Reason.INVALID_EXPIRE_TIME)


# --- flags -------------------------------------------------------------------------------------

def test_post_only_rejected_when_it_would_cross(desk):
    desk.order("m", -1, 1, 2_000)
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 1, 2_000, post_only=True), Reason.WOULD_CROSS_POST_ONLY)
    assert kinds(desk.order("a", 1, 1, 1_999, post_only=True)) == ["order_accepted", "book_delta"]
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 1, 1_999, LIMIT, IOC, post_only=True),
            Reason.INVALID_TIME_IN_FORCE)


def test_reduce_only_follows_the_position(desk):
    rejected_with(desk, NewOrder(desk.ts, "a", S, -1, 1, 2_000, reduce_only=True),
            Reason.REDUCE_ONLY_WOULD_INCREASE)
    desk.order("m", -1, 3, 2_000)
    desk.order("a", 1, 3, 2_000)  # a is long 3
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 1, 1_990, reduce_only=True),
            Reason.REDUCE_ONLY_WOULD_INCREASE)
    rejected_with(desk, NewOrder(desk.ts, "a", S, -1, 4, 2_010, reduce_only=True),
            Reason.REDUCE_ONLY_WOULD_INCREASE)
    assert desk.order("a", -1, 3, 2_010, reduce_only=True)[0].kind == "order_accepted"


# --- icebergs ------------------------------------------------------------------------------------

def test_iceberg_shows_display_qty_and_refills_at_the_back(desk):
    desk.order("ice", -1, 10, 2_000, display_qty=3)  # id 1
    desk.order("m", -1, 2, 2_000)  # id 2
    assert desk.depth() == ([], [(2_000, 5)])
    ev = desk.order("t", 1, 4, 2_000)  # takes 3 from the iceberg, then 1 from id 2
    assert fills(ev) == [(1, 3, 2_000, 3), (2, 3, 2_000, 1)]
    assert desk.l3(-1) == [(2, 1), (1, 7)]  # the refill lost priority
    assert desk.depth() == ([], [(2_000, 4)])


def test_iceberg_display_must_be_below_qty(desk):
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 5, 1_990, display_qty=5), Reason.INVALID_DISPLAY_QTY)
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 5, 1_990, display_qty=0), Reason.INVALID_DISPLAY_QTY)
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 5, 1_990, LIMIT, IOC, display_qty=2),
            Reason.INVALID_DISPLAY_QTY)


# --- stops -----------------------------------------------------------------------------------------

def test_stop_market_triggers_on_a_trade_and_cascades(desk):
    desk.order("m", 1, 5, 1_995)
    desk.order("m", 1, 5, 1_990)
    desk.order("h", -1, 2, None, STOP, stop_price=1_996)  # id 3
    desk.order("h", -1, 2, None, STOP, stop_price=1_995)  # id 4: triggered by 3's trade
    desk.order("m", -1, 1, 2_000)
    ev = desk.order("t", 1, 1, 2_000)  # a trade at 2,000: no trigger
    assert not [e for e in ev if e.kind == "order_triggered"]
    desk.order("x", -1, 1, 1_996)  # rests above the bid
    ev = desk.order("y", 1, 1, 1_996)  # prints 1,996: stop 3 triggers, sells at 1,995, stop 4 follows
    assert [e.order_id for e in ev if e.kind == "order_triggered"] == [3, 4]
    assert [(f[0], f[2], f[3]) for f in fills(ev)] == [(7, 1_996, 1), (1, 1_995, 2), (1, 1_995, 2)]


def test_stop_limit_rests_after_trigger_and_stop_checks(desk):
    desk.order("m", -1, 1, 2_000)
    desk.order("t", 1, 1, 2_000)  # last 2,000
    rejected_with(desk, NewOrder(desk.ts, "h", S, 1, 1, 2_010, STOP_LIMIT, stop_price=2_000),
            Reason.STOP_ALREADY_TRIGGERED)
    rejected_with(desk, NewOrder(desk.ts, "h", S, 1, 1, None, STOP), Reason.MISSING_STOP_PRICE)
    rejected_with(desk, NewOrder(desk.ts, "h", S, 1, 1, 2_010, LIMIT, stop_price=2_005), Reason.INVALID_PRICE)
    ev = desk.order("h", 1, 3, 2_004, STOP_LIMIT, stop_price=2_003)
    assert ev[0].status == "pending_trigger" and desk.depth() == ([], [])
    desk.order("m", -1, 1, 2_003)
    ev = desk.order("t", 1, 1, 2_003)
    assert [e.kind for e in ev if e.kind == "order_triggered"] == ["order_triggered"]
    assert desk.depth() == ([(2_004, 3)], [])


# --- cancel and amend ----------------------------------------------------------------------------

def test_cancel_and_cancel_all(desk):
    desk.order("a", 1, 1, 1_990)
    desk.order("a", 1, 1, 1_991)
    desk.order("b", 1, 1, 1_992)
    rejected_with(desk, CancelOrder(desk.ts, "b", 1), Reason.NOT_ORDER_OWNER)
    rejected_with(desk, CancelOrder(desk.ts, "a", 77), Reason.UNKNOWN_ORDER)
    ev = desk.send(CancelOrder(desk.ts, "a", 1))
    assert kinds(ev) == ["book_delta", "order_cancelled"] and ev[1].reason == "user"
    rejected_with(desk, CancelOrder(desk.ts, "a", 1), Reason.UNKNOWN_ORDER)
    ev = desk.send(CancelAll(desk.ts, "a"))
    assert [e.order_id for e in ev if e.kind == "order_cancelled"] == [2]
    assert desk.depth() == ([(1_992, 1)], [])
    rejected_with(desk, CancelAll(desk.ts, "a", "NOPE"), Reason.UNKNOWN_SYMBOL)


def test_amend_decrease_keeps_priority_increase_or_reprice_loses_it(desk):
    desk.order("a", 1, 5, 1_990)  # 1
    desk.order("b", 1, 5, 1_990)  # 2
    ev = desk.send(AmendOrder(desk.ts, "a", 1, qty=3))
    assert ev[0].priority_kept is True and desk.l3(1) == [(1, 3), (2, 5)]
    ev = desk.send(AmendOrder(desk.ts, "a", 1, qty=4))
    assert [e.priority_kept for e in ev if e.kind == "order_amended"] == [False]
    assert desk.l3(1) == [(2, 5), (1, 4)]
    desk.send(AmendOrder(desk.ts, "b", 2, price=1_989))
    assert desk.l3(1) == [(1, 4), (2, 5)]


def test_amend_to_a_crossing_price_trades(desk):
    desk.order("m", -1, 2, 2_000)
    desk.order("a", 1, 5, 1_990)
    ev = desk.send(AmendOrder(desk.ts, "a", 2, price=2_000))
    assert fills(ev) == [(1, 2, 2_000, 2)]
    assert desk.depth() == ([(2_000, 3)], [])


def test_amend_rejections(desk):
    desk.order("m", -1, 2, 2_000)
    desk.order("a", 1, 5, 1_990, post_only=True)
    desk.order("t", -1, 2, 1_990)  # fills 2 of a's 5
    rejected_with(desk, AmendOrder(desk.ts, "a", 2), Reason.NOTHING_TO_AMEND)
    rejected_with(desk, AmendOrder(desk.ts, "a", 2, qty=2), Reason.AMEND_BELOW_FILLED)
    rejected_with(desk, AmendOrder(desk.ts, "a", 2, price=2_000), Reason.WOULD_CROSS_POST_ONLY)
    rejected_with(desk, AmendOrder(desk.ts, "b", 2, qty=4), Reason.NOT_ORDER_OWNER)
    rejected_with(desk, AmendOrder(desk.ts, "a", 99, qty=4), Reason.UNKNOWN_ORDER)
    rejected_with(desk, AmendOrder(desk.ts, "a", 2, stop_price=1_900), Reason.AMEND_NOT_ALLOWED)
    rejected_with(desk, AmendOrder(desk.ts, "a", 2, qty=20_000), Reason.QTY_ABOVE_MAXIMUM)


def test_amend_a_pending_stop(desk):
    desk.order("h", -1, 2, None, STOP, stop_price=1_950)
    ev = desk.send(AmendOrder(desk.ts, "h", 1, stop_price=1_940, qty=3))
    assert ev[0].stop_price == 1_940 and ev[0].qty == 3
    rejected_with(desk, AmendOrder(desk.ts, "h", 1, stop_price=2_050), Reason.STOP_ALREADY_TRIGGERED)
    rejected_with(desk, AmendOrder(desk.ts, "h", 1, price=1_900), Reason.AMEND_NOT_ALLOWED)


# --- self-trade prevention ---------------------------------------------------------------------------

@pytest.mark.parametrize("mode,resting_left,taker_fills,taker_cancelled", [
    (STP.CANCEL_NEWEST, [(1, 5)], [], True),
    (STP.CANCEL_OLDEST, [], [(2, 3, 2_001, 5)], False),
    (STP.CANCEL_BOTH, [], [], True),
])
def test_self_trade_prevention_modes(desk, mode, resting_left, taker_fills, taker_cancelled):
    desk.order("a", -1, 5, 2_000)  # 1: own order at the touch
    desk.order("m", -1, 5, 2_001)  # 2
    ev = desk.order("a", 1, 5, 2_001, stp=mode)  # 3
    assert fills(ev) == taker_fills
    assert [(o, q) for o, q in desk.l3(-1) if o == 1] == resting_left
    assert any(e.kind == "order_cancelled" and e.order_id == 3 for e in ev) == taker_cancelled


def test_decrement_and_cancel(desk):
    desk.order("a", -1, 3, 2_000)  # 1
    desk.order("m", -1, 5, 2_001)  # 2
    ev = desk.order("a", 1, 5, 2_001, stp=STP.DECREMENT_AND_CANCEL)  # 3: 3 lots decremented away
    assert [e.order_id for e in ev if e.kind == "order_cancelled"] == [1]
    assert fills(ev) == [(2, 3, 2_001, 2)]
    assert desk.l3(-1) == [(2, 3)]


def test_stp_by_self_match_group_across_accounts(desk):
    desk.order("desk-1", -1, 5, 2_000, stp_group="firm")
    ev = desk.order("desk-2", 1, 5, 2_000, stp_group="firm")
    assert fills(ev) == [] and desk.l3(-1) == [(1, 5)]
    ev = desk.order("desk-3", 1, 5, 2_000)
    assert fills(ev) == [(1, 3, 2_000, 5)]


# --- pro-rata ---------------------------------------------------------------------------------------------

def test_pro_rata_top_order_first_then_proportional_then_time():
    desk = Desk(products=(with_rules(SIT, allocation="pro_rata"),))
    desk.order("a", -1, 10, 2_000)  # 1: set the best offer: top order
    desk.order("b", -1, 30, 2_000)  # 2
    desk.order("c", -1, 10, 2_000)  # 3
    ev = desk.order("t", 1, 25, 2_000)
    # top order 1 takes 10; 15 left shared 30:10 -> 11.25, 3.75 -> 11, 3, leftover 1 to the first in time
    assert fills(ev) == [(1, 4, 2_000, 10), (2, 4, 2_000, 12), (3, 4, 2_000, 3)]
    assert desk.l3(-1) == [(2, 18), (3, 7)]


# --- bands, limits, halts, states -----------------------------------------------------------------------------

def test_price_band_rejects_only_aggressive_prices(desk):
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 1, 2_101), Reason.OUTSIDE_PRICE_BAND)
    rejected_with(desk, NewOrder(desk.ts, "a", S, -1, 1, 1_899), Reason.OUTSIDE_PRICE_BAND)
    assert desk.order("a", 1, 1, 1_899)[0].kind == "order_accepted"  # passive: fine
    assert desk.order("a", -1, 1, 2_101)[0].kind == "order_accepted"


def test_daily_limit_and_halt_then_widening(desk):
    assert (desk.venue.market(S).limit_low, desk.venue.market(S).limit_high) == (1_800, 2_200)
    rejected_with(desk, NewOrder(desk.ts, "a", S, -1, 1, 2_201), Reason.OUTSIDE_DAILY_LIMIT)
    # walk the price up to the limit within the band
    for p in (2_090, 2_180, 2_200):
        desk.order("m", -1, 1, p)
        ev = desk.order("t", 1, 1, p)
    state = [e for e in ev if e.kind == "trading_state"]
    assert state and state[0].state == "halted" and state[0].reason == "limit"
    rejected_with(desk, NewOrder(desk.ts, "t", S, 1, 1, 2_100), Reason.MARKET_HALTED)
    assert desk.later(119) == []
    ev = desk.later(1)
    assert ev[0].kind == "trading_state" and ev[0].state == "open"
    assert (ev[0].limit_low, ev[0].limit_high) == (1_600, 2_400)


def test_new_settlement_resets_limits_and_cancels_orders_beyond(desk):
    desk.order("a", -1, 1, 2_150)
    ev = desk.send(SetReferencePrice(desk.ts, S, 1_900))
    assert [e.reason for e in ev if e.kind == "order_cancelled"] == ["outside_limit"]
    assert (desk.venue.market(S).limit_low, desk.venue.market(S).limit_high) == (1_710, 2_090)


def test_trading_states(desk):
    desk.order("m", -1, 1, 2_000)
    desk.send(SetTradingState(desk.ts, S, "pre_open"))
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 1, 2_000), Reason.WOULD_CROSS_IN_PRE_OPEN)
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 1, 1_990, LIMIT, IOC), Reason.MARKET_NOT_OPEN)
    assert desk.order("a", 1, 1, 1_990)[0].kind == "order_accepted"
    desk.send(SetTradingState(desk.ts, S, "open"))
    desk.send(SetTradingState(desk.ts, S, "halted"))
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 1, 1_990), Reason.MARKET_HALTED)
    assert desk.send(CancelOrder(desk.ts, "a", 2))[-1].kind == "order_cancelled"  # cancels allowed
    rejected_with(desk, SetTradingState(desk.ts, S, "pre_open"), Reason.INVALID_STATE_TRANSITION)
    rejected_with(desk, SetTradingState(desk.ts, S, "expired"), Reason.INVALID_STATE_TRANSITION)
    desk.send(SetTradingState(desk.ts, S, "closed"))
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 1, 1_990), Reason.MARKET_CLOSED)


def test_expiry_cancels_orders_and_lists_the_next_month(desk):
    desk.order("a", 1, 1, 1_990)
    ev = desk.send(ExpireContract(desk.ts, S))
    assert [e.reason for e in ev if e.kind == "order_cancelled"] == ["contract_expired"]
    assert desk.venue.trading_state(S) == "expired"
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 1, 1_990), Reason.MARKET_EXPIRED)
    rejected_with(desk, ExpireContract(desk.ts, S), Reason.MARKET_EXPIRED)
    assert len([c for c in desk.venue.contracts() if c.product.code == "SIT"]) == 11


def test_last_trading_time_closes_the_contract(desk):
    last = desk.venue.contract("SITZ26").last_trade_ts
    ev = desk.send(AdvanceTime(last))
    assert any(e.kind == "trading_state" and e.symbol == "SITX26" for e in ev)
    assert any(e.kind == "trading_state" and e.symbol == "SITZ26" and e.state == "closed" for e in ev)


def test_listing_calendar_lists_twelve_months_with_month_codes():
    venue = Venue(products=(SIT,))
    ev = venue.submit(ListContracts(T0))
    assert [e.symbol for e in ev][:3] == ["SITX26", "SITZ26", "SITF27"] and len(ev) == 12
    assert venue.submit(ListContracts(T0)) == []  # idempotent
    assert venue.contract("SITF27").name == "SIT Futures Jan 2027"


# --- the remaining rejection codes ---------------------------------------------------------------

def test_validation_rejections(desk):
    rejected_with(desk, NewOrder(desk.ts, "a", "NOPE", 1, 1, 2_000), Reason.UNKNOWN_SYMBOL)
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 0, 2_000), Reason.QTY_BELOW_MINIMUM)
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 10_001, 2_000), Reason.QTY_ABOVE_MAXIMUM)
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 1, None), Reason.MISSING_PRICE)
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 1, -5), Reason.INVALID_PRICE)
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 1, "2.000"), Reason.INVALID_PRICE)
    rejected_with(desk, NewOrder(desk.ts, "a", S, 2, 1, 2_000), Reason.INVALID_COMMAND)
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 1, 2_000, 9), Reason.INVALID_COMMAND)
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 1, 2_000, LIMIT, 9), Reason.INVALID_TIME_IN_FORCE)
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 1, 2_000, stp=7), Reason.INVALID_COMMAND)
    desk.order("a", 1, 1, 1_990, client_order_id="x1")
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 1, 1_990, client_order_id="x1"),
            Reason.DUPLICATE_CLIENT_ORDER_ID)
    assert desk.order("b", 1, 1, 1_990, client_order_id="x1")[0].kind == "order_accepted"


def test_time_going_backwards_is_rejected(desk):
    desk.later(5)
    ev = desk.venue.submit(NewOrder(desk.ts - 1, "a", S, 1, 1, 2_000))
    assert reason(ev) == Reason.TIME_WENT_BACKWARDS


def test_lot_size_is_enforced():
    desk = Desk(products=(with_rules(SIT, lot_size=5, min_qty=5),))
    rejected_with(desk, NewOrder(desk.ts, "a", S, 1, 7, 2_000), Reason.QTY_NOT_ON_LOT)


def test_clearing_commands_without_a_clearinghouse_are_refused(desk):
    for cmd in (OpenAccount(desk.ts, "a"), Deposit(desk.ts, "a", 100), Withdraw(desk.ts, "a", 1),
                SetMarketMakerStanding(desk.ts, "a", False), MarkCycle(desk.ts)):
        rejected_with(desk, cmd, Reason.NO_CLEARING)
    rejected_with(desk, PublishIndex(desk.ts, "SIT", 0), Reason.INVALID_AMOUNT)
    assert reason(desk.venue.submit(object())) == Reason.INVALID_COMMAND


def test_index_publication_sets_the_reference_of_new_contracts():
    desk = Desk(settle=None)
    ev = desk.send(PublishIndex(desk.ts, "SIT", 2_345_678))
    refs = {e.symbol: e.price for e in ev if e.kind == "reference_price"}
    assert refs[S] == 2_346  # nearest tick
