"""Pro-rata allocation with top-order priority."""

from exchange.contracts import SIT, with_rules
from tests.exchange.conftest import BUY, SELL, Desk, fills


def pro_rata_desk():
    return Desk(products=(with_rules(SIT, allocation="pro_rata"),))


def test_top_order_fills_first_then_pro_rata_with_leftovers_in_time_order():
    desk = pro_rata_desk()
    a = desk.rest("a", SELL, 2, 2_000)  # sets the best offer: top order
    b = desk.rest("b", SELL, 2, 2_000)
    c = desk.rest("c", SELL, 6, 2_000)
    ev = desk.order("t", BUY, 5, 2_000)
    t = ev[0].order_id
    # 3 left after the top: b 2*3//8 = 0, c 6*3//8 = 2, the leftover lot to b (earlier)
    assert fills(ev) == [(a, t, 2_000, 2), (b, t, 2_000, 1), (c, t, 2_000, 2)]
    assert desk.l3(SELL) == [(b, 1), (c, 4)]


def test_pro_rata_shares_in_proportion_to_size():
    desk = pro_rata_desk()
    a = desk.rest("a", SELL, 1, 2_000)
    desk.order("t", BUY, 1, 2_000)  # uses up the top order
    b = desk.rest("b", SELL, 10, 2_000)  # new best after the level emptied: top
    c = desk.rest("c", SELL, 30, 2_000)
    d = desk.rest("d", SELL, 60, 2_000)
    ev = desk.order("t", BUY, 30, 2_000)
    t = ev[0].order_id
    # top b takes 10; the other 20 split 30:60 -> 6 and 13, leftover 1 to c (earlier)
    assert fills(ev) == [(b, t, 2_000, 10), (c, t, 2_000, 7), (d, t, 2_000, 13)]
    assert a not in [o for o, _ in desk.l3(SELL)]


def test_top_priority_is_used_once():
    desk = pro_rata_desk()
    a = desk.rest("a", SELL, 4, 2_000)
    b = desk.rest("b", SELL, 4, 2_000)
    desk.order("t", BUY, 1, 2_000)  # top a takes it
    ev = desk.order("t", BUY, 2, 2_000)
    t = ev[0].order_id
    # no top any more: a 3*2//7 = 0, b 4*2//7 = 1, leftover to a
    assert fills(ev) == [(a, t, 2_000, 1), (b, t, 2_000, 1)]
    assert desk.venue.order(a).top is False


def test_joining_an_existing_best_price_is_not_top():
    desk = pro_rata_desk()
    desk.rest("a", SELL, 1, 2_001)
    b = desk.rest("b", SELL, 1, 2_000)  # improves: top
    c = desk.rest("c", SELL, 1, 2_000)  # joins
    assert (desk.venue.order(b).top, desk.venue.order(c).top) == (True, False)


def test_taker_larger_than_level_fills_everyone_then_next_level():
    desk = pro_rata_desk()
    a = desk.rest("a", SELL, 2, 2_000)
    b = desk.rest("b", SELL, 3, 2_000)
    c = desk.rest("c", SELL, 5, 2_001)
    ev = desk.order("t", BUY, 7, 2_001)
    t = ev[0].order_id
    assert fills(ev) == [(a, t, 2_000, 2), (b, t, 2_000, 3), (c, t, 2_001, 2)]
    assert desk.l3(SELL) == [(c, 3)]


def test_pro_rata_uses_visible_size_of_icebergs():
    desk = pro_rata_desk()
    desk.rest("x", SELL, 1, 2_000)
    desk.order("t", BUY, 1, 2_000)  # clears the level; next order is top
    a = desk.rest("a", BUY, 1, 1_990)  # unrelated bid
    b = desk.order("b", SELL, 20, 2_000, display_qty=2)[0].order_id  # top, shows 2
    c = desk.rest("c", SELL, 4, 2_000)
    d = desk.rest("d", SELL, 2, 2_000)
    ev = desk.order("t", BUY, 5, 2_000)
    t = ev[0].order_id
    # top b fills its 2 visible and refreshes to the back; 3 left over b 2, c 4, d 2 (total 8):
    # c 4*3//8 = 1, d 2*3//8 = 0, b 2*3//8 = 0; the 2 leftovers go in time order to the
    # first with room: c
    assert fills(ev) == [(b, t, 2_000, 2), (c, t, 2_000, 3)]
    assert desk.l3(SELL) == [(c, 1), (d, 2), (b, 18)]
    assert a in [o for o, _ in desk.l3(BUY)]
