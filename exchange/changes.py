"""Changes to live orders by their owner: cancel one, cancel all, amend.

An amend that only lowers the quantity keeps the order's place in the queue; a new price or a
larger quantity sends it to the back of its level, and it may trade at once (as a new order
would). A stop waiting for its trigger may change its stop price, limit price and quantity.
"""

from __future__ import annotations

from clearing.fast_events import *  # make(EventClass, values): see there
from clearing.reasons import Reason, Rejection
from exchange import commands as C
from exchange.events import BookDelta, CancelReason, OrderAmended
from exchange.market import OPEN, PRE_OPEN
from exchange.orders import OrderStatus, OrderType
from exchange.rules import *  # the rules: the one import form beside their cimport (the .pxd)

_LIMIT = OrderType.LIMIT
_STOP_LIMIT = OrderType.STOP_LIMIT
_PENDING = OrderStatus.PENDING_TRIGGER
_USER = CancelReason.USER.value
_CANCEL_ALL = CancelReason.CANCEL_ALL.value


class OrderChanges:
    __slots__ = ("markets", "seq", "live", "matcher", "stops", "reduce_only", "gate_check",
                 "gate_working")

    def __init__(self, markets: dict, seq, live, matcher, stops, reduce_only, gate):
        self.markets = markets
        self.seq = seq
        self.live = live
        self.matcher = matcher
        self.stops = stops  # a repriced order's trades set stops off
        self.reduce_only = reduce_only
        self.gate_check = gate.check_order
        self.gate_working = gate.on_working

    def cancel(self, c: C.CancelOrder, out: list) -> None:
        o = self.live.owned(c.account, c.order_id)
        self.matcher.cancel(self.markets[o.symbol], o, _USER, c.ts, out)

    def cancel_all(self, c: C.CancelAll, out: list) -> None:
        check_account(c.account)
        if c.symbol is not None and c.symbol not in self.markets:
            raise Rejection(Reason.UNKNOWN_SYMBOL, f"no listed contract {c.symbol!r}")
        for o in self.live.by_age(c.account):
            if c.symbol is None or o.symbol == c.symbol:
                self.matcher.cancel(self.markets[o.symbol], o, _CANCEL_ALL, c.ts, out)

    def amend(self, c: C.AmendOrder, out: list) -> None:
        ts = c.ts
        o = self.live.owned(c.account, c.order_id)
        m = self.markets[o.symbol]
        if m.state != OPEN and m.state != PRE_OPEN:
            reject_state(m.state)
        new_qty = o.qty if c.qty is None else c.qty
        new_price = o.price if c.price is None else c.price
        new_stop = o.stop_price if c.stop_price is None else c.stop_price
        if c.price is not None and o.type != _LIMIT and o.type != _STOP_LIMIT:
            raise Rejection(Reason.AMEND_NOT_ALLOWED, "only limit prices can be amended")
        if c.stop_price is not None and o.status != _PENDING:
            raise Rejection(Reason.AMEND_NOT_ALLOWED, "only a stop waiting for its trigger has a stop price")
        if new_qty == o.qty and new_price == o.price and new_stop == o.stop_price:
            raise Rejection(Reason.NOTHING_TO_AMEND)
        check_qty(m, new_qty)
        filled = o.qty - o.remaining
        if new_qty <= filled:
            raise Rejection(Reason.AMEND_BELOW_FILLED, f"{filled} already filled")
        if o.display_qty is not None and o.display_qty >= new_qty:
            raise Rejection(Reason.INVALID_DISPLAY_QTY, "the new quantity must stay above the display quantity")
        if new_price != o.price:
            check_price(m, o.side, new_price)
        if o.status == _PENDING:
            if new_stop != o.stop_price and stop_reached(m, o.side, new_stop):
                raise Rejection(Reason.STOP_ALREADY_TRIGGERED)
        elif new_price != o.price:
            book = m.book
            crosses = (book.best_ask is not None and new_price >= book.best_ask) if o.side > 0 \
                else (book.best_bid is not None and new_price <= book.best_bid)
            if crosses and o.post_only:
                raise Rejection(Reason.WOULD_CROSS_POST_ONLY)
            if crosses and m.state == PRE_OPEN:
                raise Rejection(Reason.WOULD_CROSS_IN_PRE_OPEN)
        delta = new_qty - o.qty
        if delta > 0 and o.reduce_only:
            self.reduce_only.check(o.account, o.symbol, o.side, delta)
        if delta > 0:
            self.gate_check(o.account, o.symbol, o.side, delta, new_price or new_stop, o.reduce_only)
        # --- accepted
        seq = self.seq
        if o.status == _PENDING:
            if new_stop != o.stop_price:
                m.remove_stop(o)
                o.stop_price = new_stop
                m.add_stop(o)
            o.price = new_price
            o.qty = new_qty
            o.remaining = new_qty
            self.gate_working(o.account, o.symbol, o.side, delta, new_price or new_stop)
            seq.last += 1
            out.append(make(OrderAmended, (seq.last, ts, o.order_id, o.account, o.symbol, o.side,
                                          o.price, o.qty, o.remaining, o.stop_price, False)))
            return
        book = m.book
        if new_price == o.price and delta < 0:
            # a pure decrease keeps its place in the queue
            level = book.level(o.side, o.price)
            o.qty = new_qty
            o.remaining += delta
            if o.visible > o.remaining:
                level.qty -= o.visible - o.remaining
                o.visible = o.remaining
            self.gate_working(o.account, o.symbol, o.side, delta, o.price)
            seq.last += 1
            out.append(make(OrderAmended, (seq.last, ts, o.order_id, o.account, o.symbol, o.side,
                                          o.price, o.qty, o.remaining, None, True)))
            seq.last += 1
            out.append(make(BookDelta, (seq.last, ts, o.symbol, o.side, o.price, level.qty)))
            return
        # a price change or an increase: out of the book, back in at the end (may trade)
        level = book.remove(o)
        self.live.forget(o)
        seq.last += 1
        out.append(make(BookDelta, (seq.last, ts, o.symbol, o.side, o.price, level.qty)))
        o.qty = new_qty
        o.remaining += delta
        o.price = new_price
        o.visible = o.remaining if o.display_qty is None else min(o.display_qty, o.remaining)
        o.top = False
        o.ts = ts
        self.gate_working(o.account, o.symbol, o.side, delta, o.price)
        seq.last += 1
        out.append(make(OrderAmended, (seq.last, ts, o.order_id, o.account, o.symbol, o.side,
                                      o.price, o.qty, o.remaining, None, False)))
        self.stops.execute(m, o, o.price, ts, out)
