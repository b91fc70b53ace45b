"""The order store and the hub's book, folded from events, agree with the venue itself."""

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from api.hub import Hub, Subscriber
from api.store import OrderStore
from exchange.commands import CancelOrder, ListContracts, NewOrder, PublishIndex
from exchange.orders import OrderType, TimeInForce
from exchange.venue import Venue

T0 = 1_795_000_000 * 1_000_000_000
ACCOUNTS = ("a", "b", "c")

step = st.one_of(
    st.tuples(st.just("new"), st.sampled_from(ACCOUNTS), st.sampled_from((1, -1)),
              st.integers(1, 6), st.integers(1_990, 2_010), st.sampled_from(("GTC", "IOC", "MKT"))),
    st.tuples(st.just("cancel"), st.sampled_from(ACCOUNTS), st.integers(1, 40)),
)


class Fmt:
    def price(self, symbol, ticks):
        return None if ticks is None else str(ticks)

    def event(self, e):
        return e.to_dict()

    def ticker(self, symbol):
        return {}

    def position(self, account, symbol):
        return {}


def fresh_venue():
    venue = Venue()
    venue.submit(ListContracts(T0))
    venue.submit(PublishIndex(T0, "SIT", 2_000_000))
    return venue, venue.contracts()[1].symbol


def commands(steps, sym):
    ts = T0
    for s in steps:
        ts += 1_000
        if s[0] == "new":
            _, acct, side, qty, price, kind = s
            if kind == "MKT":
                yield NewOrder(ts, acct, sym, side, qty, None, OrderType.MARKET, TimeInForce.IOC)
            else:
                yield NewOrder(ts, acct, sym, side, qty, price, OrderType.LIMIT, TimeInForce[kind])
        else:
            yield CancelOrder(ts, s[1], s[2])


def run(steps):
    venue, sym = fresh_venue()
    store, hub = OrderStore(), Hub()
    hub.formatter = Fmt()
    hub.load_books(venue)
    sub = Subscriber()
    hub.add(sub)
    hub.subscribe(sub, "book." + sym)
    for cmd in commands(steps, sym):
        events = venue.submit(cmd)
        store.apply(events)
        hub.publish(events)
    return venue, sym, store, hub, sub


@given(st.lists(step, max_size=60))
def test_store_and_hub_agree_with_the_venue(steps):
    venue, sym, store, hub, sub = run(steps)
    for acct in ACCOUNTS:
        live = {o.order_id: (o.remaining, o.qty - o.remaining) for o in venue.open_orders(acct)}
        mine = {o["order_id"]: (o["remaining_qty"], o["filled_qty"]) for o in store.open_orders(acct)}
        assert mine == live
        assert store.positions.get(acct, {}).get(sym, 0) == venue.gate.position(acct, sym)
    store.check()
    assert hub.depth(sym, 100) == venue.book(sym).depth(100)
    # the deltas a subscriber got chain without a gap, up to the hub's latest book seq
    msgs = []
    while not sub.queue.empty():
        msgs.append(sub.queue.get_nowait())
    for a, b in pairwise(msgs):
        assert b["prev_seq"] == a["seq"]
    if msgs:
        assert msgs[-1]["seq"] == hub.book_seq[sym]


def test_client_order_ids_map_to_their_orders():
    venue = Venue()
    venue.submit(ListContracts(T0))
    venue.submit(PublishIndex(T0, "SIT", 2_000_000))
    sym = venue.contracts()[1].symbol
    store = OrderStore()
    store.apply(venue.submit(NewOrder(T0 + 1, "a", sym, 1, 2, 1_990, client_order_id="x")))
    oid = store.by_client_id[("a", "x")]
    assert store.orders[oid]["client_order_id"] == "x"
    assert store.order_of("a", oid) is not None and store.order_of("b", oid) is None


@given(st.lists(step, max_size=60), st.integers(0, 60))
def test_retiring_moves_only_closed_orders_and_old_fills_and_loses_nothing(steps, cut):
    """What `retire` takes out plus what stays is what a store that never retires holds; open
    orders always stay; an order leaves only once it is closed."""
    _, _, whole, _, _ = run(steps)
    venue, sym = fresh_venue()
    part = OrderStore()
    for cmd in commands(steps, sym):
        part.apply(venue.submit(cmd))
    horizon = T0 + cut * 1_000
    orders, fills = part.retire(horizon)
    retired = {o["order_id"]: o for o, _ in orders}
    assert set(retired) | set(part.orders) == set(whole.orders)
    assert not set(retired) & set(part.orders)
    for oid, o in retired.items():
        assert o == whole.orders[oid] and o["status"] in ("filled", "cancelled", "expired")
    for acct in ACCOUNTS:
        assert part.open_orders(acct) == whole.open_orders(acct)
        assert [f for a, f in fills if a == acct] + list(part.fills.get(acct, ())) == \
            list(whole.fills.get(acct, ()))
    assert all(f["ts"] < horizon for _, f in fills)
    assert all(f["ts"] >= horizon for mine in part.fills.values() for f in mine)



def test_an_order_decremented_to_nothing_is_cancelled_in_the_store_as_in_the_venue():
    """Self-trade prevention `decrement_and_cancel` can take all of the incoming order: the
    venue's order is cancelled (there is no cancel event, an amend to 0), and so is the store's,
    which then lets it leave memory like any closed order."""
    from exchange.orders import STP

    venue, sym = fresh_venue()
    store = OrderStore()
    store.apply(venue.submit(NewOrder(T0 + 1, "a", sym, -1, 2, 1_990)))
    events = venue.submit(NewOrder(T0 + 2, "a", sym, 1, 2, 1_990, stp=STP.DECREMENT_AND_CANCEL))
    store.apply(events)
    taker = events[0].order_id
    assert store.orders[taker]["status"] == "cancelled" and store.orders[taker]["remaining_qty"] == 0
    orders, _ = store.retire(T0 + 3)
    assert taker in {o["order_id"] for o, _ in orders}
