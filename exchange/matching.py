"""Matching: an incoming order against the opposite side of one book.

The venue's matching half (a mixin, so the hot loop reads the venue's fields directly).
Rules:
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
from exchange.events import BookDelta, Fill, OrderAmended, OrderCancelled
from exchange.orders import STP, Order, OrderStatus

_CANCEL_NEWEST = STP.CANCEL_NEWEST
_CANCEL_OLDEST = STP.CANCEL_OLDEST
_CANCEL_BOTH = STP.CANCEL_BOTH
_DECREMENT = STP.DECREMENT_AND_CANCEL
_FILLED = OrderStatus.FILLED
_PARTIAL = OrderStatus.PARTIALLY_FILLED
_CANCELLED = OrderStatus.CANCELLED


class Matching:
    """The matching half of `exchange.venue.Venue` (its base class). In the compiled build
    (setup.py) it is a C type, and the venue's fields are declared in matching.pxd."""

    def _forget(self, o: Order) -> None:
        del self._orders[o.order_id]
        del self._by_account[o.account][o.order_id]
        if o.reduce_only:
            key = (o.account, o.symbol)
            left = self._reduce_only[key] - 1
            if left:
                self._reduce_only[key] = left
            else:
                del self._reduce_only[key]

    def _match(self, m, o: Order, limit: int, ts: int, out: list) -> bool:
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
                if not self._match_level(m, o, levels[best], ts, out):
                    return False
        else:
            levels = book.bids
            while o.remaining:
                best = book.best_bid
                if best is None or best < limit:
                    return True
                if not self._match_level(m, o, levels[best], ts, out):
                    return False
        return True

    def _match_level(self, m, o: Order, level, ts: int, out: list) -> bool:
        """Match `o` against one price level. Returns False if `o` was stopped by STP."""
        if m.pro_rata:
            return self._match_level_pro_rata(m, o, level, ts, out)
        orders = level.orders
        group = o.stp_group
        alive = True
        start_qty = level.qty
        while o.remaining and orders:
            maker = next(iter(orders.values()))
            if maker.stp_group == group:
                alive = self._self_trade(m, o, maker, level, ts, out)
                if not alive:
                    break
                continue
            qty = o.remaining if o.remaining < maker.visible else maker.visible
            self._fill(m, o, maker, level, qty, ts, out)
        if level.qty != start_qty or not orders:
            self._level_done(m, level, -o.side, ts, out)
        return alive

    def _fill(self, m, o: Order, maker: Order, level, qty: int, ts: int, out: list) -> None:
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
                self._forget(maker)
        else:
            maker.status = _PARTIAL
        trade_id = self._trade_id = self._trade_id + 1
        side = o.side
        taker = o.account
        seller = maker.account
        seq = self._seq
        seq.last += 1
        out.append(make(Fill, (seq.last, ts, trade_id, symbol, price, qty, side, maker.order_id,
                               seller, left, o.order_id, taker, o.remaining)))
        if side > 0:
            trade = make_trade(trade_id, symbol, price, qty, taker, seller, 1, ts)
        else:
            trade = make_trade(trade_id, symbol, price, qty, seller, taker, -1, ts)
        self._gate_fill(trade, out)
        m.last_trade = price
        m.band_anchor = price
        m.volume += qty
        m.trades += 1
        self._traded = True
        if self._reduce_only:
            self._ro_touched += ((taker, symbol), (seller, symbol))

    def _level_done(self, m, level, side: int, ts: int, out: list) -> None:
        """Emit the level's new visible size; drop it if empty."""
        if not level.orders:
            m.book.drop_level(side, level.price)
        seq = self._seq
        seq.last += 1
        out.append(make(BookDelta, (seq.last, ts, m.symbol, side, level.price, level.qty)))

    def _self_trade(self, m, o: Order, maker: Order, level, ts: int, out: list) -> bool:
        """Apply the incoming order's STP mode. Returns False if `o` is done."""
        mode = o.stp
        if mode == _CANCEL_OLDEST:
            self._cancel_resting_in_level(m, maker, level, "self_trade", ts, out)
            return True
        if mode == _CANCEL_BOTH:
            self._cancel_resting_in_level(m, maker, level, "self_trade", ts, out)
            return False
        if mode == _DECREMENT:
            d = o.remaining if o.remaining < maker.remaining else maker.remaining
            o.qty -= d
            o.remaining -= d
            self._gate_working(o.account, o.symbol, o.side, -d, o.price or 0)
            if d == maker.remaining:
                self._cancel_resting_in_level(m, maker, level, "self_trade", ts, out)
            else:
                maker.qty -= d
                maker.remaining -= d
                if maker.visible > maker.remaining:
                    level.qty -= maker.visible - maker.remaining
                    maker.visible = maker.remaining
                self._gate_working(maker.account, maker.symbol, maker.side, -d, maker.price)
                seq = self._seq
                seq.last += 1
                out.append(make(OrderAmended, (seq.last, ts, maker.order_id, maker.account, m.symbol,
                                              maker.side, maker.price, maker.qty, maker.remaining,
                                              None, True)))
            seq = self._seq
            seq.last += 1
            out.append(make(OrderAmended, (seq.last, ts, o.order_id, o.account, m.symbol, o.side,
                                          o.price, o.qty, o.remaining, None, True)))
            return o.remaining > 0
        return False  # CANCEL_NEWEST: the caller cancels the incoming remainder

    def _cancel_resting_in_level(self, m, maker: Order, level, why: str, ts: int, out: list):
        del level.orders[maker.order_id]
        level.qty -= maker.visible
        maker.status = _CANCELLED
        self._forget(maker)
        self._gate_working(maker.account, maker.symbol, maker.side, -maker.remaining, maker.price)
        seq = self._seq
        seq.last += 1
        out.append(make(OrderCancelled, (seq.last, ts, maker.order_id, maker.account, m.symbol,
                                        maker.side, maker.price, maker.remaining, why)))

    def _match_level_pro_rata(self, m, o: Order, level, ts: int, out: list) -> bool:
        """Top order first, then pro rata by visible size, leftovers in time priority."""
        orders = level.orders
        side = -o.side
        # self-trade prevention first: the incoming order meets its own resting orders
        own = [r for r in orders.values() if r.stp_group == o.stp_group]
        for r in own:
            if not self._self_trade(m, o, r, level, ts, out):
                self._level_done(m, level, side, ts, out)
                return False
        if not o.remaining or not orders:
            self._level_done(m, level, side, ts, out)
            return True
        first = next(iter(orders.values()))
        if first.top:
            qty = o.remaining if o.remaining < first.visible else first.visible
            first.top = False  # top priority is used once
            self._fill(m, o, first, level, qty, ts, out)
        while o.remaining and orders:
            makers = list(orders.values())
            total = sum(r.visible for r in makers)
            if o.remaining >= total:
                for r in makers:
                    self._fill(m, o, r, level, r.visible, ts, out)
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
                    self._fill(m, o, r, level, qty, ts, out)
        self._level_done(m, level, side, ts, out)
        return True
