"""Self-trade prevention: the incoming order's mode decides, by account or by stp_group."""


from exchange.contracts import SIT, with_rules
from clearing.reasons import Reason
from exchange.orders import STP
from tests.exchange.conftest import BUY, FOK, SELL, Desk, fills, of_kind


def queue(desk):
    """b 1, then a's own 2, then c 1, all selling at 2,000."""
    return (desk.rest("b", SELL, 1, 2_000), desk.rest("a", SELL, 2, 2_000),
            desk.rest("c", SELL, 1, 2_000))


def cancels(events):
    return [(e.order_id, e.remaining, e.reason) for e in of_kind(events, "order_cancelled")]


def test_cancel_newest_stops_the_incoming_order(desk):
    b, own, c = queue(desk)
    ev = desk.order("a", BUY, 3, 2_000)
    a = ev[0].order_id
    assert fills(ev) == [(b, a, 2_000, 1)]
    assert cancels(ev) == [(a, 2, "self_trade")]
    assert desk.l3(SELL) == [(own, 2), (c, 1)]
    assert desk.depth() == ([], [(2_000, 3)])


def test_cancel_oldest_removes_the_resting_order_and_keeps_matching(desk):
    b, own, c = queue(desk)
    ev = desk.order("a", BUY, 4, 2_000, stp=STP.CANCEL_OLDEST)
    a = ev[0].order_id
    assert fills(ev) == [(b, a, 2_000, 1), (c, a, 2_000, 1)]
    assert cancels(ev) == [(own, 2, "self_trade")]
    assert desk.l3(BUY) == [(a, 2)] and desk.l3(SELL) == []


def test_cancel_both(desk):
    b, own, c = queue(desk)
    ev = desk.order("a", BUY, 3, 2_000, stp=STP.CANCEL_BOTH)
    a = ev[0].order_id
    assert fills(ev) == [(b, a, 2_000, 1)]
    assert cancels(ev) == [(own, 2, "self_trade"), (a, 2, "self_trade")]
    assert desk.l3(SELL) == [(c, 1)] and desk.l3(BUY) == []


def test_decrement_and_cancel_smaller_resting(desk):
    b = desk.rest("b", SELL, 1, 2_000)
    own = desk.rest("a", SELL, 1, 2_000)
    c = desk.rest("c", SELL, 2, 2_000)
    ev = desk.order("a", BUY, 3, 2_000, stp=STP.DECREMENT_AND_CANCEL)
    a = ev[0].order_id
    assert fills(ev) == [(b, a, 2_000, 1), (c, a, 2_000, 1)]
    assert cancels(ev) == [(own, 1, "self_trade")]
    (am,) = of_kind(ev, "order_amended")
    assert (am.order_id, am.qty, am.remaining) == (a, 2, 1)
    assert desk.l3(SELL) == [(c, 1)]


def test_decrement_and_cancel_smaller_incoming_reduces_the_resting_order(desk):
    own = desk.rest("a", SELL, 5, 2_000)
    b = desk.rest("b", SELL, 1, 2_000)
    ev = desk.order("a", BUY, 2, 2_000, stp=STP.DECREMENT_AND_CANCEL)
    assert fills(ev) == []
    am = [(e.order_id, e.qty, e.remaining, e.priority_kept) for e in of_kind(ev, "order_amended")]
    assert am[0] == (own, 3, 3, True)
    assert desk.l3(SELL) == [(own, 3), (b, 1)]
    assert desk.depth() == ([], [(2_000, 4)])


def test_decrement_that_uses_up_the_incoming_order_reports_it(desk):
    desk.rest("a", SELL, 5, 2_000)
    ev = desk.order("a", BUY, 2, 2_000, stp=STP.DECREMENT_AND_CANCEL)
    a = ev[0].order_id
    about_incoming = [e for e in ev[1:] if getattr(e, "order_id", None) == a]
    assert about_incoming and about_incoming[-1].remaining == 0


def test_stp_group_spans_accounts():
    desk = Desk()
    desk.rest("a1", SELL, 1, 2_000, stp_group="firm")
    ev = desk.order("a2", BUY, 1, 2_000, stp_group="firm")
    assert fills(ev) == [] and cancels(ev) == [(ev[0].order_id, 1, "self_trade")]
    ev = desk.order("a2", BUY, 1, 2_000)  # own group defaults to the account: trades
    assert len(fills(ev)) == 1


def test_same_account_with_different_groups_trades(desk):
    desk.rest("a", SELL, 1, 2_000, stp_group="desk1")
    ev = desk.order("a", BUY, 1, 2_000, stp_group="desk2")
    assert len(fills(ev)) == 1


def test_stp_in_pro_rata():
    desk = Desk(products=(with_rules(SIT, allocation="pro_rata"),))
    own = desk.rest("a", SELL, 2, 2_000)
    b = desk.rest("b", SELL, 2, 2_000)
    ev = desk.order("a", BUY, 2, 2_000, stp=STP.CANCEL_OLDEST)
    assert cancels(ev) == [(own, 2, "self_trade")]
    assert fills(ev) == [(b, ev[0].order_id, 2_000, 2)]
    assert desk.venue.order(own) is None


def test_fok_expires_when_it_would_meet_its_own_order(desk):
    desk.rest("a", SELL, 2, 2_000)
    desk.rest("b", SELL, 2, 2_000)
    ev = desk.order("a", BUY, 2, 2_000, tif=FOK)
    assert [(e.kind, getattr(e, "reason", None)) for e in ev] == [
        ("order_accepted", None), ("order_expired", Reason.FOK_NOT_FILLABLE)]
    ev = desk.order("a", BUY, 2, 2_000, tif=FOK, stp=STP.CANCEL_OLDEST)
    assert [f[3] for f in fills(ev)] == [2] and desk.venue.order(ev[0].order_id) is None
    assert [(c[1], c[2]) for c in cancels(ev)] == [(2, "self_trade")]
    assert desk.l3(SELL) == []
