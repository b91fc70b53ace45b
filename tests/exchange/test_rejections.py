"""Every reason code the venue can produce: exactly one Rejected event, and no state change.

Each case builds a little state first (so "no change" is checked against a non-empty venue),
then the refused command.
"""

import re
from pathlib import Path

import pytest

from exchange import venue as venue_module
from clearing.reasons import Reason
from exchange.commands import (AmendOrder, CancelAll, CancelOrder, ExpireContract, NewOrder,
                               OpenAccount, PublishIndex, SetReferencePrice, SetTradingState)
from exchange.contracts import SIT, with_rules
from tests.exchange.conftest import (BUY, DAY, GTD, MARKET, SELL, STOP, STOP_LIMIT, SYM, Desk,
                                     rejected_with)

R = Reason


def new(desk, side, qty, price=None, account="x", **kw):
    return NewOrder(desk.ts, account, SYM, side, qty, price, **kw)


def book(desk):
    """A resting bid and ask from other accounts, and one trade at 2,000."""
    desk.rest("mm", BUY, 5, 1_990)
    desk.rest("mm", SELL, 5, 2_010)
    desk.rest("p", SELL, 3, 2_000)
    desk.order("q", BUY, 1, 2_000)


def _state(s):
    def setup(desk):
        book(desk)
        desk.send(SetTradingState(desk.ts, SYM, s))
        return new(desk, BUY, 1, 1_995)
    return setup


def _expired(desk):
    book(desk)
    desk.send(ExpireContract(desk.ts, SYM))
    return new(desk, BUY, 1, 1_995)


def _amend_below_filled(desk):
    book(desk)
    return AmendOrder(desk.ts, "p", 3, qty=1)  # order 3 sold 1 of 3


def _duplicate(desk):
    book(desk)
    desk.rest("x", BUY, 1, 1_980, client_order_id="c1")
    desk.send(CancelAll(desk.ts, "x"))  # ids stay used after the order is gone
    return new(desk, BUY, 1, 1_980, client_order_id="c1")


def _pre_open(kind):
    def setup(desk):
        book(desk)
        desk.send(SetTradingState(desk.ts, SYM, "pre_open"))
        if kind == "cross":
            return new(desk, BUY, 1, 2_000)
        return new(desk, BUY, 1, type=MARKET)
    return setup


CASES = {
    # validation
    R.UNKNOWN_SYMBOL: lambda d: NewOrder(d.ts, "x", "SITZ99", BUY, 1, 2_000),
    R.QTY_NOT_ON_LOT: lambda d: new(d, BUY, 3, 1_990),  # lot of 2 on this desk
    R.QTY_BELOW_MINIMUM: lambda d: new(d, BUY, 0, 1_990),
    R.QTY_ABOVE_MAXIMUM: lambda d: new(d, BUY, 10_001, 1_990),
    R.OUTSIDE_PRICE_BAND: lambda d: new(d, BUY, 1, 2_101),
    R.OUTSIDE_DAILY_LIMIT: lambda d: new(d, SELL, 1, 2_201),
    R.INVALID_PRICE: lambda d: new(d, BUY, 1, 0),
    R.MISSING_PRICE: lambda d: new(d, BUY, 1, None),
    R.MISSING_STOP_PRICE: lambda d: new(d, BUY, 1, type=STOP),
    R.INVALID_DISPLAY_QTY: lambda d: new(d, BUY, 2, 1_990, display_qty=2),
    R.INVALID_TIME_IN_FORCE: lambda d: new(d, BUY, 1, type=MARKET, tif=DAY),
    R.INVALID_EXPIRE_TIME: lambda d: new(d, BUY, 1, 1_990, tif=GTD, expire_at=d.ts),
    R.NO_REFERENCE_PRICE: lambda d: new(d, BUY, 1, type=MARKET),  # desk without a settlement
    R.INVALID_COMMAND: lambda d: new(d, 0, 1, 1_990),
    R.INVALID_AMOUNT: lambda d: PublishIndex(d.ts, "SIT", 0),
    # risk and clearing: the desk's venue runs with the permissive gate (no clearinghouse)
    R.NO_CLEARING: lambda d: OpenAccount(d.ts, "x"),
    R.REDUCE_ONLY_WOULD_INCREASE: lambda d: (book(d), new(d, SELL, 2, 2_005, account="q",
                                                          reduce_only=True))[1],
    # matching
    R.WOULD_CROSS_POST_ONLY: lambda d: (book(d), new(d, BUY, 1, 2_000, post_only=True))[1],
    R.STOP_ALREADY_TRIGGERED: lambda d: (book(d), new(d, SELL, 1, 1_990, type=STOP_LIMIT,
                                                      stop_price=2_000))[1],
    R.WOULD_CROSS_IN_PRE_OPEN: _pre_open("cross"),
    # orders
    R.UNKNOWN_ORDER: lambda d: (book(d), CancelOrder(d.ts, "q", 4))[1],  # 4 filled at once
    R.DUPLICATE_CLIENT_ORDER_ID: _duplicate,
    R.NOT_ORDER_OWNER: lambda d: (book(d), CancelOrder(d.ts, "x", 1))[1],
    R.AMEND_BELOW_FILLED: _amend_below_filled,
    R.AMEND_NOT_ALLOWED: lambda d: (book(d), AmendOrder(d.ts, "mm", 1, stop_price=1_900))[1],
    R.NOTHING_TO_AMEND: lambda d: (book(d), AmendOrder(d.ts, "mm", 1, qty=5))[1],
    # state
    R.MARKET_HALTED: _state("halted"),
    R.MARKET_CLOSED: _state("closed"),
    R.MARKET_EXPIRED: _expired,
    R.MARKET_NOT_OPEN: _pre_open("market"),
    R.INVALID_STATE_TRANSITION: lambda d: (book(d), d.send(SetTradingState(d.ts, SYM, "halted")),
                                           SetTradingState(d.ts, SYM, "pre_open"))[2],
}


def desk_for(reason):
    if reason == R.QTY_NOT_ON_LOT:
        return Desk(products=(with_rules(SIT, lot_size=2),))
    if reason == R.NO_REFERENCE_PRICE:
        return Desk(settle=None)
    return Desk()


@pytest.mark.parametrize("reason", list(CASES), ids=lambda r: r.name)
def test_rejection(reason):
    desk = desk_for(reason)
    cmd = CASES[reason](desk)
    e = rejected_with(desk, cmd, reason)
    assert e.command == cmd.tag and e.text


# not rejections: an order the book cannot take at once is accepted, then expired with one of
# these (tests/exchange/test_venue.py)
EXPIRED_AT_ONCE = {R.FOK_NOT_FILLABLE, R.NO_LIQUIDITY}


def test_every_code_the_exchange_raises_has_a_case():
    source = "".join(p.read_text() for p in Path(venue_module.__file__).parent.glob("*.py"))
    raised = {R[name] for name in re.findall(r"\bReason\.([A-Z_]+)", source)}
    assert raised == set(CASES) | {R.TIME_WENT_BACKWARDS} | EXPIRED_AT_ONCE


def test_time_went_backwards():
    desk = Desk()
    book(desk)
    before = desk.venue.digest(with_clock=False)
    ev = desk.venue.submit(NewOrder(desk.ts - 1, "x", SYM, BUY, 1, 1_990))
    assert [(e.kind, e.reason) for e in ev] == [("rejected", R.TIME_WENT_BACKWARDS)]
    assert desk.venue.digest(with_clock=False) == before
    assert desk.venue.clock == desk.ts


def test_not_a_command():
    desk = Desk()
    before = desk.venue.digest(with_clock=False)
    ev = desk.venue.submit(object())
    assert [(e.kind, e.reason) for e in ev] == [("rejected", R.INVALID_COMMAND)]
    assert desk.venue.digest(with_clock=False) == before


@pytest.mark.parametrize("cmd,reason", [
    (lambda d: CancelAll(d.ts, "x", "SITZ99"), R.UNKNOWN_SYMBOL),
    (lambda d: SetReferencePrice(d.ts, SYM, 0), R.INVALID_PRICE),
    (lambda d: SetReferencePrice(d.ts, "SITZ99", 2_000), R.UNKNOWN_SYMBOL),
    (lambda d: ExpireContract(d.ts, SYM, 0), R.INVALID_PRICE),
    (lambda d: new(d, BUY, 1, 1_990, type=9), R.INVALID_COMMAND),
    (lambda d: new(d, 1.0, 1, 1_990), R.INVALID_COMMAND),  # equal to 1, but no side
    (lambda d: new(d, True, 1, 1_990), R.INVALID_COMMAND),
    (lambda d: new(d, "1", 1, 1_990), R.INVALID_COMMAND),
    (lambda d: new(d, BUY, 1, 1_990, stp=9), R.INVALID_COMMAND),
    (lambda d: new(d, BUY, 1, 1_990, tif=9), R.INVALID_TIME_IN_FORCE),
    (lambda d: new(d, BUY, 1, 1_990, stop_price=1_900), R.INVALID_PRICE),
    (lambda d: new(d, BUY, 1, 2_000, type=MARKET), R.INVALID_PRICE),
    (lambda d: new(d, BUY, 1, 1_990, tif=4, post_only=True), R.INVALID_TIME_IN_FORCE),
    (lambda d: new(d, BUY, 1, 1_990, expire_at=d.ts + 1), R.INVALID_EXPIRE_TIME),
    (lambda d: new(d, BUY, 1, type=STOP, stop_price=2_050, display_qty=1), R.INVALID_DISPLAY_QTY),
], ids=lambda x: getattr(x, "name", ""))
def test_more_ways_to_be_refused(cmd, reason):
    desk = Desk()
    book(desk)
    rejected_with(desk, cmd(desk), reason)


# fields the venue keeps as given: of their kind, or refused (True equals 1, 1.0 equals 1)
@pytest.mark.parametrize("fields,reason", [
    ({"account": None}, R.INVALID_COMMAND),
    ({"account": 7}, R.INVALID_COMMAND),
    ({"account": ""}, R.INVALID_COMMAND),
    ({"account": b"x"}, R.INVALID_COMMAND),
    ({"type": True}, R.INVALID_COMMAND),
    ({"type": 1.0}, R.INVALID_COMMAND),
    ({"tif": True}, R.INVALID_TIME_IN_FORCE),
    ({"tif": 1.0}, R.INVALID_TIME_IN_FORCE),
    ({"stp": True}, R.INVALID_COMMAND),
    ({"stp": 1.0}, R.INVALID_COMMAND),
    ({"post_only": 1}, R.INVALID_COMMAND),
    ({"post_only": None}, R.INVALID_COMMAND),
    ({"post_only": "yes"}, R.INVALID_COMMAND),
    ({"reduce_only": 0}, R.INVALID_COMMAND),
    ({"reduce_only": ""}, R.INVALID_COMMAND),
    ({"client_order_id": 5}, R.INVALID_COMMAND),
    ({"client_order_id": ""}, R.INVALID_COMMAND),
    ({"client_order_id": ("a",)}, R.INVALID_COMMAND),
    ({"stp_group": 5}, R.INVALID_COMMAND),
    ({"stp_group": ""}, R.INVALID_COMMAND),
], ids=repr)
def test_an_order_field_of_the_wrong_kind_is_refused(fields, reason):
    desk = Desk()
    book(desk)
    rejected_with(desk, new(desk, BUY, 1, 1_990, **fields), reason)


@pytest.mark.parametrize("order_id", [True, 1.0, "1", None])
def test_an_order_id_that_only_equals_an_id_finds_no_order(order_id):
    desk = Desk()
    book(desk)  # order 1 is live
    rejected_with(desk, CancelOrder(desk.ts, "mm", order_id), R.UNKNOWN_ORDER)
    rejected_with(desk, AmendOrder(desk.ts, "mm", order_id, 4), R.UNKNOWN_ORDER)


@pytest.mark.parametrize("account", [None, 5, ""])
def test_a_cancel_all_for_no_account_is_refused(account):
    desk = Desk()
    book(desk)
    rejected_with(desk, CancelAll(desk.ts, account), R.INVALID_COMMAND)


def test_the_same_order_with_fields_of_the_right_kind_is_accepted():
    """(the cases above differ from a valid order only in the field they set)"""
    desk = Desk()
    book(desk)
    ev = desk.venue.submit(new(desk, BUY, 1, 1_990, client_order_id="c1", stp_group="g",
                                post_only=True, reduce_only=False))
    assert ev[0].kind == "order_accepted"

