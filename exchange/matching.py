"""Matching: an incoming order against the opposite side of one book.

`Matcher` trades an accepted order against the book, then rests or cancels what is left of it
(and takes live orders out of the book for whoever cancels them). It holds the state it
decides on: the sequencer, the live orders, the timers (a GTD order that rests), the gate's
working and fill calls, the trade id counter. Rules:
- Trades print at the resting order's price; the book is never left crossed.
- FIFO price-time priority by default. Pro-rata (per product) fills the level's *top order*
  first (the order that set a new best price, as CME's TOP), then shares the rest in
  proportion to visible size, rounding down, and gives the leftover lots in time priority.
- Icebergs show `display_qty`; when the shown part is filled it is refreshed from the hidden
  part and goes to the back of the queue.
- Self-trade prevention follows the incoming order's mode when it meets a resting order of the
  same self-match group (the account by default).
"""

from __future__ import annotations

from clearing.trade import *  # make_trade: the one import form its cimport stands beside (fast_events)
from clearing.fast_events import *  # make(EventClass, values): see there
from exchange.events import BookDelta, CancelReason, Fill, OrderAmended, OrderCancelled
from exchange.orders import STP, Order, OrderStatus, OrderType, TimeInForce
from exchange.timers import GTD

# the cancel reasons as the plain strings the events carry (CancelReason's values)
_SELF_TRADE = CancelReason.SELF_TRADE.value
_MARKET_PROTECTION = CancelReason.MARKET_PROTECTION.value
_IOC_REASON = CancelReason.IOC.value
_FOK_REASON = CancelReason.FOK.value

_CANCEL_OLDEST = STP.CANCEL_OLDEST
_CANCEL_BOTH = STP.CANCEL_BOTH
_DECREMENT = STP.DECREMENT_AND_CANCEL
_FILLED = OrderStatus.FILLED
_PARTIAL = OrderStatus.PARTIALLY_FILLED
_CANCELLED = OrderStatus.CANCELLED
_PENDING = OrderStatus.PENDING_TRIGGER
_MARKET = OrderType.MARKET
_STOP = OrderType.STOP
_IOC = TimeInForce.IOC
_FOK = TimeInForce.FOK
_GTD = TimeInForce.GTD


class Matcher:
    __slots__ = ("seq", "live", "timers", "gate_working", "gate_fill", "trade_id", "traded",
                 "touched", "reduce_only")

    def __init__(self, seq, live, timers, gate):
        self.seq = seq
        self.live = live
        self.timers = timers
        # the gate's hot calls, bound once (on every order and fill)
        self.gate_working = gate.on_working
        self.gate_fill = gate.on_fill
        self.trade_id = 0
        self.traded = False  # set by a fill: the caller then runs what trades set off
        # (account, symbol) of both sides of each fill while reduce-only orders are live: the
        # reduce-only orders a trade may have to cut (exchange/reduce_only.py)
        self.touched: list = []
        self.reduce_only = live.reduce_only  # live reduce-only orders, counted

    def execute(self, m, o: Order, limit: int, ts: int, out: list) -> None:
        """Match an accepted order, then rest or cancel what is left of it."""
        alive = self.match(m, o, limit, ts, out)
        if not o.remaining:
            # used up by fills, or by a decrement-and-cancel self-trade prevention
            o.status = _FILLED if alive else _CANCELLED
            return
        if not alive:
            self.drop_incoming(o, _SELF_TRADE, ts, out)
        elif o.type == _MARKET or o.type == _STOP:
            self.drop_incoming(o, _MARKET_PROTECTION, ts, out)
        elif o.tif == _IOC or o.tif == _FOK:
            self.drop_incoming(o, _IOC_REASON if o.tif == _IOC else _FOK_REASON, ts, out)
        else:
            self.rest(m, o, ts, out)

    def rest(self, m, o: Order, ts: int, out: list) -> None:
        book = m.book
        d = o.display_qty
        o.visible = o.remaining if d is None or d > o.remaining else d
        if m.pro_rata:
            best = book.best_bid if o.side > 0 else book.best_ask
            o.top = best is None or (o.price > best if o.side > 0 else o.price < best)
        level = book.add(o)
        if o.remaining != o.qty:
            o.status = _PARTIAL
        self.live.remember(o)
        if o.tif == _GTD:
            self.timers.add(o.expire_at, GTD, o.order_id)
        seq = self.seq
        seq.last += 1
        out.append(make(BookDelta, (seq.last, ts, m.symbol, o.side, o.price, level.qty)))

    def drop_incoming(self, o: Order, why: str, ts: int, out: list) -> None:
        """Cancel the unfilled rest of an order that is not (or no longer) in the book."""
        o.status = _CANCELLED
        self.gate_working(o.account, o.symbol, o.side, -o.remaining, o.price or 0)
        seq = self.seq
        seq.last += 1
        out.append(make(OrderCancelled, (seq.last, ts, o.order_id, o.account, o.symbol, o.side,
                                          o.price, o.remaining, why)))

    def remove_live(self, m, o: Order, ts: int, out: list) -> None:
        """Take a live order out of the book or the stop list (no event for the order)."""
        if o.status == _PENDING:
            m.remove_stop(o)
        else:
            level = m.book.remove(o)
            seq = self.seq
            seq.last += 1
            out.append(make(BookDelta, (seq.last, ts, o.symbol, o.side, o.price, level.qty)))
        self.live.forget(o)
        self.gate_working(o.account, o.symbol, o.side, -o.remaining,
                          o.price if o.price is not None else o.stop_price)

    def emit_cancel(self, o: Order, why: str, ts: int, out: list) -> None:
        o.status = _CANCELLED
        seq = self.seq
        seq.last += 1
        out.append(make(OrderCancelled, (seq.last, ts, o.order_id, o.account, o.symbol, o.side,
                                          o.price, o.remaining, why)))

    def cancel(self, m, o: Order, why: str, ts: int, out: list) -> None:
        """A live order cancelled: out of its book or stop list, then its event."""
        self.remove_live(m, o, ts, out)
        self.emit_cancel(o, why, ts, out)

    def match(self, m, o: Order, limit: int, ts: int, out: list) -> bool:
        """Trade `o` against the opposite side at prices no worse than `limit`.

        Returns False if self-trade prevention stopped the incoming order. Leaves
        `o.remaining` at what is still open; the caller decides whether it rests or is cancelled.
        """
        book = m.book
        if o.side > 0:
            levels = book.asks
            while o.remaining:
                best = book.best_ask
                if best is None or best > limit:
                    return True
                if not self.match_level(m, o, levels[best], ts, out):
                    return False
        else:
            levels = book.bids
            while o.remaining:
                best = book.best_bid
                if best is None or best < limit:
                    return True
                if not self.match_level(m, o, levels[best], ts, out):
                    return False
        return True

    def match_level(self, m, o: Order, level, ts: int, out: list) -> bool:
        """Match `o` against one price level. Returns False if `o` was stopped by STP."""
        if m.pro_rata:
            return self.match_level_pro_rata(m, o, level, ts, out)
        orders = level.orders
        group = o.stp_group
        alive = True
        start_qty = level.qty
        while o.remaining and orders:
            maker = next(iter(orders.values()))
            if maker.stp_group == group:
                alive = self.self_trade(m, o, maker, level, ts, out)
                if not alive:
                    break
                continue
            qty = o.remaining if o.remaining < maker.visible else maker.visible
            self.fill(m, o, maker, level, qty, ts, out)
        if level.qty != start_qty or not orders:
            self.level_done(m, level, -o.side, ts, out)
        return alive

    def fill(self, m, o: Order, maker: Order, level, qty: int, ts: int, out: list) -> None:
        """One trade of `qty` between the incoming `o` and the resting `maker` at its price."""
        price = level.price
        symbol = m.symbol
        left = maker.remaining = maker.remaining - qty
        maker.visible -= qty
        level.qty -= qty
        o.remaining -= qty
        if maker.visible == 0:
            del level.orders[maker.order_id]
            if left:
                # iceberg refresh: a new visible slice at the back of the queue
                d = maker.display_qty
                maker.visible = d if d < left else left
                level.orders[maker.order_id] = maker
                level.qty += maker.visible
                maker.status = _PARTIAL
            else:
                maker.status = _FILLED
                self.live.forget(maker)
        else:
            maker.status = _PARTIAL
        trade_id = self.trade_id = self.trade_id + 1
        side = o.side
        taker = o.account
        seller = maker.account
        seq = self.seq
        seq.last += 1
        out.append(make(Fill, (seq.last, ts, trade_id, symbol, price, qty, side, maker.order_id,
                               seller, left, o.order_id, taker, o.remaining)))
        if side > 0:
            trade = make_trade(trade_id, symbol, price, qty, taker, seller, 1, ts)
        else:
            trade = make_trade(trade_id, symbol, price, qty, seller, taker, -1, ts)
        self.gate_fill(trade, out)
        m.last_trade = price
        m.band_anchor = price
        m.volume += qty
        m.trades += 1
        self.traded = True
        if self.reduce_only:
            self.touched += ((taker, symbol), (seller, symbol))

    def level_done(self, m, level, side: int, ts: int, out: list) -> None:
        """Emit the level's new visible size; drop it if empty."""
        if not level.orders:
            m.book.drop_level(side, level.price)
        seq = self.seq
        seq.last += 1
        out.append(make(BookDelta, (seq.last, ts, m.symbol, side, level.price, level.qty)))

    def self_trade(self, m, o: Order, maker: Order, level, ts: int, out: list) -> bool:
        """Apply the incoming order's STP mode. Returns False if `o` is done."""
        mode = o.stp
        if mode == _CANCEL_OLDEST:
            self.cancel_resting_in_level(m, maker, level, _SELF_TRADE, ts, out)
            return True
        if mode == _CANCEL_BOTH:
            self.cancel_resting_in_level(m, maker, level, _SELF_TRADE, ts, out)
            return False
        if mode == _DECREMENT:
            d = o.remaining if o.remaining < maker.remaining else maker.remaining
            o.qty -= d
            o.remaining -= d
            self.gate_working(o.account, o.symbol, o.side, -d, o.price or 0)
            if d == maker.remaining:
                self.cancel_resting_in_level(m, maker, level, _SELF_TRADE, ts, out)
            else:
                maker.qty -= d
                maker.remaining -= d
                if maker.visible > maker.remaining:
                    level.qty -= maker.visible - maker.remaining
                    maker.visible = maker.remaining
                self.gate_working(maker.account, maker.symbol, maker.side, -d, maker.price)
                seq = self.seq
                seq.last += 1
                out.append(make(OrderAmended, (seq.last, ts, maker.order_id, maker.account, m.symbol,
                                              maker.side, maker.price, maker.qty, maker.remaining,
                                              None, True)))
            seq = self.seq
            seq.last += 1
            out.append(make(OrderAmended, (seq.last, ts, o.order_id, o.account, m.symbol, o.side,
                                          o.price, o.qty, o.remaining, None, True)))
            return o.remaining > 0
        return False  # CANCEL_NEWEST: the caller cancels the incoming remainder

    def cancel_resting_in_level(self, m, maker: Order, level, why: str, ts: int, out: list):
        del level.orders[maker.order_id]
        level.qty -= maker.visible
        maker.status = _CANCELLED
        self.live.forget(maker)
        self.gate_working(maker.account, maker.symbol, maker.side, -maker.remaining, maker.price)
        seq = self.seq
        seq.last += 1
        out.append(make(OrderCancelled, (seq.last, ts, maker.order_id, maker.account, m.symbol,
                                        maker.side, maker.price, maker.remaining, why)))

    def match_level_pro_rata(self, m, o: Order, level, ts: int, out: list) -> bool:
        """Top order first, then pro rata by visible size, leftovers in time priority."""
        orders = level.orders
        side = -o.side
        # self-trade prevention first: the incoming order meets its own resting orders
        own = [r for r in orders.values() if r.stp_group == o.stp_group]
        for r in own:
            if not self.self_trade(m, o, r, level, ts, out):
                self.level_done(m, level, side, ts, out)
                return False
        if not o.remaining or not orders:
            self.level_done(m, level, side, ts, out)
            return True
        first = next(iter(orders.values()))
        if first.top:
            qty = o.remaining if o.remaining < first.visible else first.visible
            first.top = False  # top priority is used once
            self.fill(m, o, first, level, qty, ts, out)
        while o.remaining and orders:
            makers = list(orders.values())
            total = sum(r.visible for r in makers)
            if o.remaining >= total:
                for r in makers:
                    self.fill(m, o, r, level, r.visible, ts, out)
                continue  # icebergs may have refreshed
            q = o.remaining
            shares = [r.visible * q // total for r in makers]
            left = q - sum(shares)
            for i, r in enumerate(makers):
                if left == 0:
                    break
                room = r.visible - shares[i]
                if room:
                    extra = room if room < left else left
                    shares[i] += extra
                    left -= extra
            for r, qty in zip(makers, shares):
                if qty:
                    self.fill(m, o, r, level, qty, ts, out)
        self.level_done(m, level, side, ts, out)
        return True
