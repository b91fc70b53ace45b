"""The hub: private channels per account, slow consumers cut off, index updates."""

import pytest

from api.hub import Hub, Subscriber
from exchange.events import Fill, OrderAccepted


class Fmt:
    def event(self, e):
        return {"order_id": e.order_id}

    def price(self, symbol, ticks):
        return f"{ticks / 1000:.3f}"

    def ticker(self, symbol):
        return {"symbol": symbol}

    def position(self, account, symbol):
        return {"account": account, "symbol": symbol}


def accepted(seq, account):
    return OrderAccepted(seq, 0, seq, account, "SITZ26", 1, 1, 2000, 1, None, 1, None, None, "new")


def test_private_channels_reach_only_their_account():
    hub = Hub()
    hub.formatter = Fmt()
    a, b = Subscriber("a"), Subscriber("b")
    for s in (a, b):
        hub.add(s)
        hub.subscribe(s, "orders")
    hub.publish([accepted(1, "a"), accepted(2, "b"), accepted(3, "a")])
    got_a = [a.queue.get_nowait()["data"]["order_id"] for _ in range(a.queue.qsize())]
    got_b = [b.queue.get_nowait()["data"]["order_id"] for _ in range(b.queue.qsize())]
    assert got_a == [1, 3] and got_b == [2]
    hub.remove(a)
    hub.publish([accepted(4, "a")])
    assert a.queue.empty()


def test_a_slow_subscriber_is_marked_not_waited_for():
    hub = Hub()
    hub.formatter = Fmt()
    slow = Subscriber("a", maxsize=2)
    hub.add(slow)
    hub.subscribe(slow, "orders")
    hub.publish([accepted(i, "a") for i in range(1, 6)])
    assert slow.overflowed and slow.queue.qsize() == 2


def test_index_updates_go_to_their_channel():
    hub = Hub()
    s = Subscriber()
    hub.add(s)
    hub.subscribe(s, "index.SIT")
    hub.publish_index("GPU", "2.500000", 5)
    hub.publish_index("SIT", "2.000000", 6)
    msg = s.queue.get_nowait()
    assert msg["data"] == {"name": "SIT", "value": "2.000000", "timestamp": 6} and s.queue.empty()


@pytest.mark.parametrize("account, channel, kind", [
    (None, "trades.SITZ26", "trade"), (None, "ticker.SITZ26", "update"),
    ("maker", "fills", "fill"), ("taker", "fills", "fill"),
    ("maker", "positions", "update"), ("taker", "positions", "update"),
])
def test_a_fill_reaches_every_channel_that_carries_it(account, channel, kind):
    """A fill's messages are built only when someone follows one of its channels: each of
    them alone still gets it (and the other symbol's trades channel does not)."""
    hub = Hub()
    hub.formatter = Fmt()
    s, other = Subscriber(account), Subscriber()
    for sub in (s, other):
        hub.add(sub)
    hub.subscribe(s, channel)
    hub.subscribe(other, "trades.SITH27")
    hub.publish([Fill(7, 0, 5, "SITZ26", 2001, 3, 1, 11, "maker", 0, 12, "taker", 2)])
    msg = s.queue.get_nowait()
    assert msg["type"] == kind and msg["seq"] == 7 and s.queue.empty()
    assert other.queue.empty()
