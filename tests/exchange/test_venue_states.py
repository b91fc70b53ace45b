"""Trading states, the dynamic band, daily limits and halts, session ends, expiry and listing."""

import pytest

from clearing.reasons import Reason
from exchange.commands import (AdvanceTime, ExpireContract, ListContracts, NewOrder, PublishIndex,
                               SetReferencePrice, SetTradingState)
from exchange.contracts import SIT, ContractSpec
from exchange.venue import Venue
from tests.exchange.conftest import (BUY, DAY, GTD, IOC, MARKET, SEC, SELL, STOP, STOP_LIMIT, SYM, T0, Desk, fills,
                                     kinds, of_kind, rejected_with)

NOV = "SITX26"  # last trade 2026-11-30 16:00 UTC
NOV_LAST = ContractSpec(SIT, 2026, 11).last_trade_ts


def state(desk, s, symbol=SYM):
    return desk.send(SetTradingState(desk.ts, symbol, s))


def trade(desk, price, qty=1):
    desk.rest("mm", SELL, qty, price)
    return desk.order("tk", BUY, qty, price)


# --- states ---------------------------------------------------------------------------------

def test_halt_and_reopen_by_operator(desk):
    ev = state(desk, "halted")
    assert [(e.kind, e.symbol, e.state, e.reason) for e in ev] == [
        ("trading_state", SYM, "halted", "operator")]
    rejected_with(desk, NewOrder(desk.ts, "a", SYM, BUY, 1, 2_000), Reason.MARKET_HALTED)
    state(desk, "open")
    assert desk.venue.trading_state(SYM) == "open"


@pytest.mark.parametrize("path,bad", [(["halted"], "pre_open"), ([], "expired"), ([], "bogus")])
def test_invalid_transitions(desk, path, bad):
    for s in path:
        state(desk, s)
    rejected_with(desk, SetTradingState(desk.ts, SYM, bad), Reason.INVALID_STATE_TRANSITION)


def test_state_for_every_contract_at_once(desk):
    ev = state(desk, "halted", symbol=None)
    assert len(ev) == 12 and {e.state for e in ev} == {"halted"}
    assert all(m.state == "halted" for m in desk.venue.markets())


def test_pre_open_accepts_resting_orders_only(desk):
    desk.rest("a", SELL, 1, 2_000)
    state(desk, "pre_open")
    desk.rest("b", BUY, 1, 1_999)
    rejected_with(desk, NewOrder(desk.ts, "b", SYM, BUY, 1, 2_000), Reason.WOULD_CROSS_IN_PRE_OPEN)
    rejected_with(desk, NewOrder(desk.ts, "b", SYM, BUY, 1, type=MARKET), Reason.MARKET_NOT_OPEN)
    state(desk, "open")
    assert len(fills(desk.order("b", BUY, 1, 2_000))) == 1


def test_cancel_still_works_while_halted(desk):
    a = desk.rest("a", SELL, 1, 2_000)
    state(desk, "halted")
    from exchange.commands import CancelOrder
    ev = desk.send(CancelOrder(desk.ts, "a", a))
    assert kinds(ev) == ["book_delta", "order_cancelled"] and desk.depth() == ([], [])


# --- band -----------------------------------------------------------------------------------

def test_band_follows_the_last_trade(desk):
    rejected_with(desk, NewOrder(desk.ts, "b", SYM, BUY, 1, 2_101), Reason.OUTSIDE_PRICE_BAND)
    rejected_with(desk, NewOrder(desk.ts, "s", SYM, SELL, 1, 1_899), Reason.OUTSIDE_PRICE_BAND)
    assert desk.order("b", BUY, 1, 2_100, tif=IOC)[0].kind == "order_accepted"  # the edge
    desk.rest("s", SELL, 1, 2_180)  # passive prices are free
    trade(desk, 2_050)  # new reference 2,050: band 102
    desk.rest("b", BUY, 1, 2_152)
    rejected_with(desk, NewOrder(desk.ts, "b", SYM, BUY, 1, 2_153), Reason.OUTSIDE_PRICE_BAND)
    assert desk.venue.reference_price(SYM) == 2_050


def test_a_daily_settlement_recentres_the_band_after_trades(desk):
    """The next day's band starts from the settlement, not from the last trade however long
    ago (a month's back contract that last traded at 2,050 settles at 2,180 today)."""
    trade(desk, 2_050)
    desk.send(SetReferencePrice(desk.ts, SYM, 2_180))
    assert desk.venue.reference_price(SYM) == 2_180
    assert desk.order("b", BUY, 1, 2_180 + 109, tif=IOC)[0].kind == "order_accepted"  # 5% of 2,180
    rejected_with(desk, NewOrder(desk.ts, "b", SYM, BUY, 1, 2_180 + 110), Reason.OUTSIDE_PRICE_BAND)
    trade(desk, 2_200)  # and the next trade moves it again
    assert desk.venue.reference_price(SYM) == 2_200


def test_band_is_never_narrower_than_its_minimum():
    desk = Desk(settle=300)  # 5% = 15 ticks, minimum 20; limits [270, 330]
    desk.rest("b", BUY, 1, 320)
    rejected_with(desk, NewOrder(desk.ts, "b", SYM, BUY, 1, 321), Reason.OUTSIDE_PRICE_BAND)


# --- daily limits, halt, widening --------------------------------------------------------------

def test_settlement_sets_daily_limits(desk):
    m = desk.venue.market(SYM)
    assert (m.limit_low, m.limit_high) == (1_800, 2_200)
    rejected_with(desk, NewOrder(desk.ts, "s", SYM, SELL, 1, 2_201), Reason.OUTSIDE_DAILY_LIMIT)
    rejected_with(desk, NewOrder(desk.ts, "b", SYM, BUY, 1, 1_799), Reason.OUTSIDE_DAILY_LIMIT)


def test_new_settlement_moves_limits_and_cancels_orders_beyond_them(desk):
    low = desk.rest("b", BUY, 1, 1_810)
    keep = desk.rest("b", BUY, 1, 1_950)
    ev = desk.send(SetReferencePrice(desk.ts, SYM, 2_100))
    assert [(e.order_id, e.reason) for e in of_kind(ev, "order_cancelled")] == [(low, "outside_limit")]
    (r,) = of_kind(ev, "reference_price")
    assert (r.price, r.settlement, r.limit_low, r.limit_high) == (2_100, True, 1_890, 2_310)
    assert desk.l3(BUY) == [(keep, 1)]


def test_non_settlement_reference_moves_only_the_band(desk):
    desk.send(SetReferencePrice(desk.ts, SYM, 2_050, settlement=False))
    m = desk.venue.market(SYM)
    assert (m.reference, m.settlement, m.limit_low, m.limit_high) == (2_050, 2_000, 1_800, 2_200)


def test_trade_at_the_limit_halts_for_two_minutes_then_limits_widen(desk):
    trade(desk, 2_100)
    ev = trade(desk, 2_200)
    assert fills(ev)[0][2:] == (2_200, 1)
    (h,) = of_kind(ev, "trading_state")
    assert (h.state, h.reason, h.until) == ("halted", "limit", desk.ts + 120 * SEC)
    rejected_with(desk, NewOrder(desk.ts, "b", SYM, BUY, 1, 2_150), Reason.MARKET_HALTED)
    assert desk.later(119) == []
    ev = desk.later(1)
    assert [(e.kind, e.state, e.reason, e.limit_low, e.limit_high) for e in ev] == [
        ("trading_state", "open", "halt_ended", 1_600, 2_400)]
    assert len(fills(trade(desk, 2_210))) == 1  # beyond the old limit, inside the band


def test_stop_triggered_at_the_limit_waits_for_the_halt(desk):
    for price in (1_900, 1_805):  # walk down: the band is 5% of the last trade
        desk.rest("mm", BUY, 1, price)
        desk.order("tk", SELL, 1, price)
    s = desk.order("s", SELL, 1, type=STOP, stop_price=1_800)[0].order_id
    desk.rest("mm", BUY, 1, 1_800)
    ev = desk.order("tk", SELL, 1, 1_800)
    assert of_kind(ev, "trading_state")[0].state == "halted"
    assert "order_triggered" not in kinds(ev)
    assert desk.venue.order(s) is not None


# --- session end, GTD, last trade ---------------------------------------------------------------

def test_day_orders_expire_at_the_close_gtc_stay(desk):
    g = desk.rest("a", BUY, 1, 1_990)
    d = desk.rest("a", BUY, 1, 1_991, tif=DAY)
    ds = desk.order("a", SELL, 1, 1_940, type=STOP_LIMIT, tif=DAY, stop_price=1_950)[0].order_id
    ev = state(desk, "closed")
    assert kinds(ev)[0] == "trading_state"
    assert [e.order_id for e in of_kind(ev, "order_expired")] == [d, ds]
    assert desk.l3(BUY) == [(g, 1)]
    rejected_with(desk, NewOrder(desk.ts, "a", SYM, BUY, 1, 1_990), Reason.MARKET_CLOSED)
    state(desk, "open")
    assert desk.l3(BUY) == [(g, 1)]


def test_gtd_stop_expires_at_its_time(desk):
    s = desk.order("a", SELL, 1, 1_940, type=STOP_LIMIT, tif=GTD, stop_price=1_950,
                   expire_at=desk.ts + 10 * SEC)[0].order_id
    ev = desk.later(10)
    assert [e.order_id for e in of_kind(ev, "order_expired")] == [s]


def test_last_trade_time_closes_the_contract():
    desk = Desk()
    day = desk.order("a", BUY, 1, 1_990, symbol=NOV, tif=DAY)[0].order_id
    gtc = desk.order("a", BUY, 1, 1_990, symbol=NOV)[0].order_id
    desk.ts = NOV_LAST - 1
    assert desk.send(AdvanceTime(desk.ts)) == []
    ev = desk.send(AdvanceTime(NOV_LAST))
    assert [(e.kind, getattr(e, "state", None)) for e in ev][0] == ("trading_state", "closed")
    assert ev[0].symbol == NOV and ev[0].reason == "last_trade"
    assert [e.order_id for e in of_kind(ev, "order_expired")] == [day]
    assert desk.venue.order(gtc) is not None
    assert desk.venue.trading_state(SYM) == "open"


def test_contract_past_its_last_trade_cannot_reopen():
    desk = Desk()
    desk.send(AdvanceTime(NOV_LAST))
    rejected_with(desk, SetTradingState(desk.ts, NOV, "open"), Reason.INVALID_STATE_TRANSITION)


# --- expiry and listing ---------------------------------------------------------------------------

def test_expire_contract_cancels_orders_and_relists():
    desk = Desk()
    a = desk.order("a", BUY, 1, 1_990, symbol=NOV)[0].order_id
    s = desk.order("a", SELL, 1, symbol=NOV, type=STOP, stop_price=1_950)
    desk.send(AdvanceTime(NOV_LAST))
    ev = desk.send(ExpireContract(desk.ts, NOV, 2_010))
    assert [(e.order_id, e.reason) for e in of_kind(ev, "order_cancelled")] == [
        (a, "contract_expired"), (s[0].order_id, "contract_expired")]
    st = of_kind(ev, "trading_state")
    assert [(e.symbol, e.state, e.reason) for e in st] == [(NOV, "expired", "expiry")]
    assert [e.symbol for e in of_kind(ev, "contract_listed")] == ["SITX27"]
    assert NOV not in [c.symbol for c in desk.venue.contracts()]
    assert len(desk.venue.contracts()) == 12
    rejected_with(desk, NewOrder(desk.ts, "a", NOV, BUY, 1, 1_990), Reason.MARKET_EXPIRED)
    rejected_with(desk, ExpireContract(desk.ts, NOV), Reason.MARKET_EXPIRED)


def test_list_contracts_lists_the_next_twelve_months_once():
    v = Venue(products=(SIT,))
    ev = v.submit(ListContracts(T0))
    assert [e.symbol for e in ev] == [ContractSpec(SIT, 2026 + (10 + i) // 12, (10 + i) % 12 + 1).symbol
                                      for i in range(12)]
    assert ev[0].symbol == "SITX26" and ev[-1].symbol == "SITV27"
    assert (ev[0].product, ev[0].year, ev[0].month, ev[0].last_trade_ts) == ("SIT", 2026, 11, NOV_LAST)
    assert v.submit(ListContracts(T0 + SEC)) == []


def test_listing_after_last_trade_adds_the_new_month():
    v = Venue(products=(SIT,))
    v.submit(ListContracts(T0))
    ev = v.submit(ListContracts(NOV_LAST))
    assert [e.kind for e in ev] == ["trading_state", "contract_listed"]
    assert ev[1].symbol == "SITX27"


def test_index_publication_sets_first_reference_and_listing_uses_it():
    v = Venue(products=(SIT,))
    v.submit(ListContracts(T0))
    ev = v.submit(PublishIndex(T0, "SIT", 2_000_400))  # 2.0004 USD -> 2,000 ticks
    refs = [e for e in ev if e.kind == "reference_price"]
    assert len(refs) == 12 and {(e.price, e.limit_low, e.limit_high) for e in refs} == {(2_000, 1_800, 2_200)}
    ev = v.submit(ListContracts(NOV_LAST))
    assert [e.kind for e in ev] == ["trading_state", "contract_listed", "reference_price"]
    assert ev[2].price == 2_000
