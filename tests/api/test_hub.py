"""The hub: private channels per account, slow consumers cut off, index updates."""

from api.hub import Hub, Subscriber
from exchange.events import OrderAccepted


class Fmt:
    def event(self, e):
        return {"order_id": e.order_id}


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
