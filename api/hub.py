"""Fan-out of the event stream to WebSocket subscribers, and the L2 book they are served from.

The hub sees events only after they are durable, in order. It keeps its own price-level book
per symbol from `BookDelta`s, so a `book.X` snapshot and the deltas after it always agree
(the venue itself may already be a batch ahead). Each book message carries `seq` and
`prev_seq`: a client that sees `prev_seq` differ from the last `seq` it has lost a message.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

from api.mailbox import Mailbox

PRIVATE = ("orders", "fills", "positions", "margin")
_ORDER_KINDS = {"order_accepted", "order_cancelled", "order_expired", "order_amended",
                "order_triggered"}


class Subscriber:
    """One connection's outbox. A consumer too slow to keep up is cut off, never waited for."""

    def __init__(self, account: str | None = None, maxsize: int = 10_000):
        self.account = account
        self.channels: set[str] = set()
        self.queue = Mailbox(maxsize)
        self.overflowed = False
        self.dropped = 0  # messages not delivered once the outbox overflowed

    def send(self, message: dict) -> None:
        if self.overflowed:
            self.dropped += 1
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True
            self.dropped += 1


class Hub:
    def __init__(self):
        self.levels: dict[str, dict[int, dict[int, int]]] = defaultdict(lambda: {1: {}, -1: {}})
        self.book_seq: dict[str, int] = defaultdict(int)
        self.seq = 0  # last event seq published
        self.subscribers: set[Subscriber] = set()
        self.by_channel: dict[str, set[Subscriber]] = defaultdict(set)
        self.formatter = None  # set by the service: turns ticks into wire prices
        self.dropped_by_gone = 0  # messages dropped for connections since closed

    def load_books(self, venue) -> None:
        """Start the L2 mirror from the venue (after replay, before any new command)."""
        for m in venue.markets():
            bids, asks = m.book.depth(1 << 30)
            self.levels[m.spec.symbol] = {1: dict(bids), -1: dict(asks)}
            self.book_seq[m.spec.symbol] = venue.seq
        self.seq = venue.seq

    def dropped(self) -> int:
        """Messages dropped for slow consumers since the start (closed connections included)."""
        return self.dropped_by_gone + sum(sub.dropped for sub in self.subscribers)

    def depth(self, symbol: str, n: int) -> tuple[list, list]:
        lv = self.levels.get(symbol) or {1: {}, -1: {}}
        bids = sorted(lv[1].items(), reverse=True)[:n]
        asks = sorted(lv[-1].items())[:n]
        return bids, asks

    # ---------------------------------------------------------------- subscriptions

    def add(self, sub: Subscriber) -> None:
        self.subscribers.add(sub)

    def remove(self, sub: Subscriber) -> None:
        if sub in self.subscribers:
            self.dropped_by_gone += sub.dropped
        self.subscribers.discard(sub)
        for ch in sub.channels:
            self.by_channel[ch].discard(sub)

    def subscribe(self, sub: Subscriber, channel: str) -> None:
        key = self._key(sub, channel)
        sub.channels.add(key)
        self.by_channel[key].add(sub)

    def unsubscribe(self, sub: Subscriber, channel: str) -> None:
        key = self._key(sub, channel)
        sub.channels.discard(key)
        self.by_channel[key].discard(sub)

    @staticmethod
    def _key(sub: Subscriber, channel: str) -> str:
        # private channels are per account: "orders" of A is not "orders" of B
        return f"{channel}@{sub.account}" if channel in PRIVATE else channel

    def _send(self, key: str, message: dict) -> None:
        for sub in self.by_channel.get(key, ()):
            sub.send(message)

    # ---------------------------------------------------------------- events

    def publish(self, events) -> None:
        """Each event to the channels that carry it; a message is built only when some
        connection is subscribed to its channel."""
        fmt = self.formatter
        by_channel = self.by_channel
        for e in events:
            kind = e.kind
            self.seq = e.seq
            if kind == "book_delta":
                self.levels[e.symbol][int(e.side)][e.price] = e.qty
                if e.qty == 0:
                    del self.levels[e.symbol][int(e.side)][e.price]
                prev = self.book_seq[e.symbol]
                self.book_seq[e.symbol] = e.seq
                ch = "book." + e.symbol
                if by_channel.get(ch):
                    self._send(ch, {"channel": ch, "type": "delta", "seq": e.seq, "prev_seq": prev,
                                    "data": {"side": "bid" if e.side > 0 else "ask",
                                             "price": fmt.price(e.symbol, e.price), "qty": e.qty}})
            elif kind == "fill":
                if not self._fill_watched(e, by_channel):
                    continue
                ch = "trades." + e.symbol
                trade = {"trade_id": e.trade_id, "price": fmt.price(e.symbol, e.price),
                         "qty": e.qty, "side": "buy" if e.aggressor > 0 else "sell", "ts": e.ts}
                if by_channel.get(ch):
                    self._send(ch, {"channel": ch, "type": "trade", "seq": e.seq, "data": trade})
                tick = "ticker." + e.symbol
                if by_channel.get(tick):
                    self._send(tick, {"channel": tick, "type": "update", "seq": e.seq,
                                      "data": fmt.ticker(e.symbol)})
                for account, oid, side in ((e.maker_account, e.maker_order_id, -e.aggressor),
                                           (e.taker_account, e.taker_order_id, e.aggressor)):
                    key = "fills@" + account
                    if by_channel.get(key):
                        data = dict(trade, order_id=oid, side="buy" if side > 0 else "sell")
                        self._send(key, {"channel": "fills", "type": "fill", "seq": e.seq,
                                         "data": data})
                    key = "positions@" + account
                    if by_channel.get(key):
                        self._send(key, {"channel": "positions", "type": "update", "seq": e.seq,
                                         "data": fmt.position(account, e.symbol)})
            elif kind in _ORDER_KINDS:
                key = "orders@" + e.account
                if by_channel.get(key):
                    self._send(key, {"channel": "orders", "type": kind, "seq": e.seq,
                                     "data": fmt.event(e)})
            else:
                account = getattr(e, "account", None)
                if account is not None and ("margin" in kind or "liquidat" in kind):
                    key = "margin@" + account
                    if by_channel.get(key):
                        self._send(key, {"channel": "margin", "type": kind, "seq": e.seq,
                                         "data": fmt.event(e)})

    @staticmethod
    def _fill_watched(e, by_channel) -> bool:
        """Whether any connection follows a channel that carries this fill (most fills of a
        busy book reach none: then no message is built)."""
        symbol = e.symbol
        return bool(by_channel.get("trades." + symbol) or by_channel.get("ticker." + symbol)
                    or by_channel.get("fills@" + e.maker_account)
                    or by_channel.get("positions@" + e.maker_account)
                    or by_channel.get("fills@" + e.taker_account)
                    or by_channel.get("positions@" + e.taker_account))

    def publish_index(self, name: str, value: str, ts: int) -> None:
        ch = "index." + name
        self._send(ch, {"channel": ch, "type": "update", "seq": self.seq,
                        "data": {"name": name, "value": value, "timestamp": ts}})
