"""The venue with the clearinghouse as its risk gate: accounts, margin at order entry, fills
novated, marks and variation margin, a margin call, liquidation through the book, final
settlement, and replay of the whole thing from the journal."""

from clearing.clearinghouse import ClearingHouse
from clearing.config import ClearingConfig
from clearing.reasons import Reason
from exchange.commands import (Deposit, ExpireContract, ListContracts, MarkCycle, NewOrder,
                               OpenAccount, PublishIndex, Withdraw)
from exchange.contracts import SIT
from exchange.journal import Journal, replay_into
from exchange.orders import OrderType
from exchange.venue import Venue
from support.flat_margin import FlatMargin

T = 1_795_000_000 * 1_000_000_000
HOUR = 3_600 * 1_000_000_000
S = "SITF27"


def market(journal=None):
    ch = ClearingHouse(ClearingConfig(cure_period_ns=HOUR, hard_floor_bps=2_000),
                       margin=FlatMargin(11_000, 10_000))
    venue = Venue(products=(SIT,), gate=ch, journal=journal)
    venue.submit(ListContracts(T))
    venue.submit(PublishIndex(T, "SIT", 2_000_000))
    for account, cash in (("mm", 50_000_000), ("hedger", 1_000_000), ("spec", 1_000_000)):
        venue.submit(OpenAccount(T, account, market_maker=account == "mm"))
        venue.submit(Deposit(T, account, cash))
    return venue, ch


def reasons(events):
    return [e.reason for e in events if e.kind == "rejected"]


def test_margin_is_checked_at_order_entry():
    venue, ch = market()
    assert reasons(venue.submit(NewOrder(T, "spec", S, 1, 91, 1_990))) == [Reason.INSUFFICIENT_MARGIN]
    assert reasons(venue.submit(NewOrder(T, "ghost", S, 1, 1, 1_990))) == [Reason.UNKNOWN_ACCOUNT]
    assert reasons(venue.submit(NewOrder(T, "spec", S, 1, 90, 1_990))) == []


def test_trades_clear_and_variation_margin_flows_through_the_venue():
    venue, ch = market()
    venue.submit(NewOrder(T, "mm", S, -1, 50, 2_001))
    venue.submit(NewOrder(T, "hedger", S, 1, 50, None, OrderType.MARKET))
    assert ch.position("hedger", S) == 50 and ch.position("mm", S) == -50
    venue.submit(PublishIndex(T + HOUR, "SIT", 2_100_000))
    events = venue.submit(MarkCycle(T + HOUR))
    cycle = [e for e in events if e.kind == "variation_margin"][0]
    assert cycle.paid == cycle.collected > 0
    assert ch.account_summary("hedger")["cash"] > 1_000_000
    mark = ch.marks[S]
    assert ch.position_marks("hedger") == {S: (mark, 0)}  # settled at the cycle's mark
    price = venue.market(S).last_trade + 3
    assert reasons(venue.submit(NewOrder(T + HOUR, "mm", S, -1, 10, price))) == []
    assert reasons(venue.submit(NewOrder(T + HOUR, "hedger", S, 1, 10, price))) == []
    tick = ch.terms[S].tick_value
    # 10 more lots at `price`: each side's open position would receive or pay (mark - price)
    assert ch.position_marks("hedger") == {S: (mark, (mark - price) * 10 * tick)}
    assert ch.position_marks("mm") == {S: (mark, -(mark - price) * 10 * tick)}
    ch.check()
    venue.check()


def test_liquidation_closes_out_through_the_book():
    venue, ch = market()
    venue.submit(NewOrder(T, "mm", S, -1, 80, 2_001))
    venue.submit(NewOrder(T, "spec", S, 1, 80, None, OrderType.MARKET))
    # the market maker bids within the band; the index falls 8%: spec's equity goes under
    # the hard floor and its 80 lots are sold into the bid
    venue.submit(NewOrder(T, "mm", S, 1, 200, 1_920))
    venue.submit(PublishIndex(T + HOUR, "SIT", 1_840_000))
    events = venue.submit(MarkCycle(T + HOUR))
    kinds = [e.kind for e in events]
    assert "liquidation_started" in kinds
    close_out = [e for e in events if e.kind == "fill" and e.taker_account == "spec"]
    assert sum(e.qty for e in close_out) == 80 and all(e.price == 1_920 for e in close_out)
    assert ch.position("spec", S) == 0
    assert [e.reason for e in events if e.kind == "rejected"] == []
    ch.check()
    venue.check()


def test_withdrawal_only_up_to_the_excess():
    venue, ch = market()
    venue.submit(NewOrder(T, "mm", S, -1, 10, 2_001))
    venue.submit(NewOrder(T, "hedger", S, 1, 10, 2_001))
    venue.submit(NewOrder(T, "hedger", S, 1, 30, 1_990))  # resting: margin at its worst
    excess = ch.excess("hedger")
    summary = ch.account_summary("hedger")
    assert summary["excess"] == excess and summary["order_margin"] > 0
    assert excess == summary["equity"] - summary["initial_margin"] - summary["order_margin"]
    assert summary["initial_margin"] == ch.requirement("hedger")[0]
    assert summary["withdrawable"] == excess  # nothing unsettled: the mark is the trade price
    assert reasons(venue.submit(Withdraw(T, "hedger", excess + 1))) == [Reason.INSUFFICIENT_FUNDS]
    assert reasons(venue.submit(Withdraw(T, "hedger", excess))) == []


def test_gains_not_yet_paid_count_as_margin_but_cannot_be_withdrawn():
    venue, ch = market()
    venue.submit(NewOrder(T, "mm", S, -1, 10, 2_001))
    venue.submit(NewOrder(T, "hedger", S, 1, 10, 2_001))  # the first trade sets the mark: 2.001
    venue.submit(NewOrder(T, "mm", S, 1, 10, 1_995))
    venue.submit(NewOrder(T, "hedger", S, -1, 10, 1_995))  # flat, 6 ticks lost against the mark
    venue.submit(NewOrder(T, "spec", S, 1, 10, 2_000))
    venue.submit(NewOrder(T, "mm", S, -1, 10, 2_000))  # mm: short 10 again, 50 lot-ticks up
    summary = ch.account_summary("mm")
    gain = ch.unsettled("mm")
    assert gain > 0 and summary["withdrawable"] == summary["excess"] - gain
    assert reasons(venue.submit(Withdraw(T, "mm", summary["withdrawable"] + 1))) == [Reason.INSUFFICIENT_FUNDS]
    venue.submit(PublishIndex(T + HOUR, "SIT", 2_000_000))
    venue.submit(MarkCycle(T + HOUR))  # the cycle pays the gain: now it is cash to withdraw
    assert ch.unsettled("mm") <= 0
    after = ch.account_summary("mm")
    assert after["withdrawable"] == after["excess"]
    assert reasons(venue.submit(Withdraw(T + HOUR, "mm", after["withdrawable"]))) == []
    assert ch.cash("mm") >= 0


def test_expiry_settles_on_the_monthly_index_average():
    venue, ch = market()
    front = "SITX26"
    venue.submit(NewOrder(T, "mm", front, -1, 10, 2_001))
    venue.submit(NewOrder(T, "hedger", front, 1, 10, 2_001))
    for day in range(1, 6):  # daily index values through November
        venue.submit(PublishIndex(T + day * 24 * HOUR - 2 * HOUR, "SIT", 2_000_000 + day * 10_000))
    events = venue.submit(ExpireContract(T + 6 * 24 * HOUR, front))
    fs = [e for e in events if e.kind == "final_settlement"][0]
    assert fs.open_interest == 10 and fs.price == 2_025  # fixings 2.000, 2.010 .. 2.050
    assert ch.open_interest(front) == 0
    ch.check()


def test_replay_rebuilds_the_cleared_market(tmp_path):
    path = str(tmp_path / "j.sqlite")
    journal = Journal(path)
    venue, ch = market(journal)
    venue.submit(NewOrder(T, "mm", S, -1, 80, 2_001))
    venue.submit(NewOrder(T, "spec", S, 1, 80, None, OrderType.MARKET))
    venue.submit(NewOrder(T, "mm", S, 1, 200, 1_900))
    venue.submit(PublishIndex(T + HOUR, "SIT", 1_840_000))
    venue.submit(MarkCycle(T + HOUR))
    journal.close()
    fresh_ch = ClearingHouse(ClearingConfig(cure_period_ns=HOUR, hard_floor_bps=2_000),
                             margin=FlatMargin(11_000, 10_000))
    fresh = Venue(products=(SIT,), gate=fresh_ch)
    replay_into(fresh, Journal(path))
    assert fresh.digest() == venue.digest()


def test_a_market_makers_standing_is_a_command_with_an_event():
    from exchange.commands import SetMarketMakerStanding

    venue, ch = market()
    before = venue.digest(with_clock=False)
    assert reasons(venue.submit(SetMarketMakerStanding(T, "spec", False))) == [Reason.INVALID_COMMAND]
    assert reasons(venue.submit(SetMarketMakerStanding(T, "ghost", False))) == [Reason.UNKNOWN_ACCOUNT]
    assert reasons(venue.submit(SetMarketMakerStanding(T, "mm", "no"))) == [Reason.INVALID_COMMAND]
    assert venue.digest(with_clock=False) == before  # refused commands change nothing
    out = venue.submit(SetMarketMakerStanding(T, "mm", False))
    assert [(e.kind, e.account, e.good) for e in out] == [("mm_standing", "mm", False)]
    assert ch.members["mm"].mm_in_good_standing is False
    assert venue.digest(with_clock=False) != before  # the standing is state, and in the digest
