"""Order entry: a new order checked against the rule book, accepted, then matched.

Plain limit orders (the bulk of the flow: GTC, DAY or IOC, no options) take a short path
that asks the same predicates as the full rule book (exchange/rules.py) and builds nothing
it does not need; anything else, and anything the short path would refuse, goes through
`new_order_full`, which says why. An order is accepted (`OrderAccepted`) only once every
check has passed, the gate's pre-trade check last: from there on nothing raises.
"""

from __future__ import annotations

from clearing.fast_events import *  # make(EventClass, values): see there
from clearing.reasons import Reason, Rejection
from exchange import commands as C
from exchange.events import BookDelta, CancelReason, OrderAccepted, OrderExpired
from exchange.market import OPEN, PRE_OPEN
from exchange.orders import STP, Order, OrderStatus, OrderType, Side, TimeInForce
from exchange.rules import *  # the rules: the one import form beside their cimport (the .pxd)
from exchange.timers import GTD

_LIMIT = OrderType.LIMIT
_MARKET = OrderType.MARKET
_STOP = OrderType.STOP
_STOP_LIMIT = OrderType.STOP_LIMIT
_GTC = TimeInForce.GTC
_DAY = TimeInForce.DAY
_GTD = TimeInForce.GTD
_IOC = TimeInForce.IOC
_FOK = TimeInForce.FOK
_PENDING = OrderStatus.PENDING_TRIGGER
_EXPIRED_STATUS = OrderStatus.EXPIRED
_IOC_REASON = CancelReason.IOC.value


class OrderEntry:
    __slots__ = ("markets", "seq", "live", "matcher", "stops", "reduce_only", "timers",
                 "gate_check", "gate_working", "order_id")

    def __init__(self, markets: dict, seq, live, matcher, stops, reduce_only, timers, gate):
        self.markets = markets
        self.seq = seq
        self.live = live
        self.matcher = matcher
        self.stops = stops  # a pending stop waits there; an order's trades set stops off
        self.reduce_only = reduce_only
        self.timers = timers  # a pending GTD stop's expiry
        # the gate's hot calls, bound once (on every order)
        self.gate_check = gate.check_order
        self.gate_working = gate.on_working
        self.order_id = 0  # the last order id handed out

    def new_order(self, c: C.NewOrder, out: list) -> None:
        """The short path: a plain limit order, every rule asked by its predicate."""
        m = self.markets.get(c.symbol)
        tif = c.tif
        typ = c.type
        stp = c.stp
        account = c.account
        if (m is None or m.state != OPEN or typ != _LIMIT or (tif != _GTC and tif != _DAY and tif != _IOC)
                or c.display_qty is not None or c.stop_price is not None or c.expire_at is not None
                or c.post_only is not False or c.reduce_only is not False
                or c.client_order_id is not None or stp not in (1, 2, 3, 4)
                or (type(typ) is not OrderType and type(typ) is not int)
                or (type(tif) is not TimeInForce and type(tif) is not int)
                or (type(stp) is not int and type(stp) is not STP)
                or type(account) is not str or not account or c.stp_group is not None):
            return self.new_order_full(c, out)  # (it refuses what is not of the right kind)
        side = c.side
        qty = c.qty
        price = c.price
        if ((side != 1 and side != -1) or (type(side) is not int and type(side) is not Side)
                or not qty_ok(m, qty) or not price_ok(m, side, price)):
            return self.new_order_full(c, out)
        symbol = c.symbol
        self.gate_check(account, symbol, side, qty, price, False)
        oid = self.order_id = self.order_id + 1
        ts = c.ts
        o = Order.make(oid, account, symbol, side, _LIMIT, price, qty, tif, stp, c.stp_group, ts)
        seq = self.seq
        seq.last += 1
        out.append(make(OrderAccepted, (seq.last, ts, oid, account, symbol, side, _LIMIT, price,
                                         qty, None, tif, None, None, "new")))
        self.gate_working(account, symbol, side, qty, price)
        book = m.book
        best = book.best_ask if side > 0 else book.best_bid
        if best is not None and (best <= price if side > 0 else best >= price):
            self.stops.execute(m, o, price, ts, out)
            return
        if tif == _IOC:  # nothing to trade against: an IOC order goes as it came
            self.matcher.drop_incoming(o, _IOC_REASON, ts, out)
            return
        # nothing to trade against: straight into the book, all of it shown
        if m.pro_rata:  # a new best price of its side: the top order
            own = book.best_bid if side > 0 else book.best_ask
            o.top = own is None or (price > own if side > 0 else price < own)
        level = book.add(o)
        live = self.live
        live.by_id[oid] = o
        mine = live.by_account.get(account)
        if mine is None:
            mine = live.by_account[account] = {}
        mine[oid] = o
        seq.last += 1
        out.append(make(BookDelta, (seq.last, ts, symbol, side, price, level.qty)))

    def new_order_full(self, c: C.NewOrder, out: list) -> None:
        """The full rule book: every kind of order, every refusal with its reason."""
        ts = c.ts
        m = self.markets.get(c.symbol)
        if m is None:
            raise Rejection(Reason.UNKNOWN_SYMBOL, f"no listed contract {c.symbol!r}")
        state = m.state
        pre_open = False
        if state != OPEN:
            if state == PRE_OPEN:
                pre_open = True
            else:
                reject_state(state)
        side = c.side
        if (side != 1 and side != -1) or not is_code(side):
            # (1.0 and True equal 1: a side is the integer +1 or -1, or a Side)
            raise Rejection(Reason.INVALID_COMMAND, "side must be buy (+1) or sell (-1)")
        check_order_fields(c)
        qty = c.qty
        check_qty(m, qty)
        typ = c.type
        tif = c.tif
        price = c.price
        account = c.account
        if typ == _LIMIT or typ == _STOP_LIMIT:
            if price is None:
                raise Rejection(Reason.MISSING_PRICE)
            check_price(m, side, price)
        elif typ == _MARKET:
            if price is not None:
                raise Rejection(Reason.INVALID_PRICE, "market orders take no limit price")
            if tif == _GTC:
                tif = _IOC  # a market order never rests: GTC (the default) means IOC
            elif tif != _IOC and tif != _FOK:
                raise Rejection(Reason.INVALID_TIME_IN_FORCE, "market orders are IOC or FOK")
        elif typ == _STOP:
            if price is not None:
                raise Rejection(Reason.INVALID_PRICE, "stop-market orders take no limit price")
            if tif != _GTC and tif != _DAY and tif != _GTD:
                # the time in force is the pending stop's life; once triggered it is a market order
                raise Rejection(Reason.INVALID_TIME_IN_FORCE, "a stop-market order is GTC, DAY or GTD")
        else:
            raise Rejection(Reason.INVALID_COMMAND, f"unknown order type {typ!r}")
        if tif not in (1, 2, 3, 4, 5):
            raise Rejection(Reason.INVALID_TIME_IN_FORCE, f"unknown time in force {tif!r}")
        if tif == _GTD:
            if type(c.expire_at) is not int or c.expire_at <= ts:
                raise Rejection(Reason.INVALID_EXPIRE_TIME)
        elif c.expire_at is not None:
            raise Rejection(Reason.INVALID_EXPIRE_TIME, "only GTD orders take an expiry time")
        immediate = tif == _IOC or tif == _FOK
        if c.post_only and (typ != _LIMIT or immediate):
            raise Rejection(Reason.INVALID_TIME_IN_FORCE, "post-only orders are resting limit orders")
        display = c.display_qty
        if display is not None:
            if (typ != _LIMIT and typ != _STOP_LIMIT) or immediate or type(display) is not int \
                    or display <= 0 or display >= qty or display % m.lot:
                raise Rejection(Reason.INVALID_DISPLAY_QTY)
        if c.stp not in (1, 2, 3, 4):
            raise Rejection(Reason.INVALID_COMMAND, f"unknown self-trade prevention mode {c.stp!r}")
        stop_price = c.stop_price
        is_stop = typ == _STOP or typ == _STOP_LIMIT
        if is_stop:
            if stop_price is None:
                raise Rejection(Reason.MISSING_STOP_PRICE)
            if type(stop_price) is not int or stop_price <= 0:
                raise Rejection(Reason.INVALID_PRICE, "the stop price must be a positive number of ticks")
            if stop_reached(m, side, stop_price):
                raise Rejection(Reason.STOP_ALREADY_TRIGGERED,
                                f"stop {usd(m, stop_price)} is already through the last price "
                                f"{usd(m, last_price(m))} (USD)")
        elif stop_price is not None:
            raise Rejection(Reason.INVALID_PRICE, "only stop orders take a stop price")
        coid = c.client_order_id
        if coid is not None and (account, coid) in self.live.client_ids:
            raise Rejection(Reason.DUPLICATE_CLIENT_ORDER_ID, f"client order id {coid!r} already used")
        book = m.book
        if pre_open:
            if typ != _LIMIT or immediate:
                raise Rejection(Reason.MARKET_NOT_OPEN, "only resting limit orders before the open")
            if (book.best_ask is not None and price >= book.best_ask) if side > 0 else \
                    (book.best_bid is not None and price <= book.best_bid):
                raise Rejection(Reason.WOULD_CROSS_IN_PRE_OPEN)
        worst = price
        expire = None  # a reason to expire the order as soon as it is accepted
        if typ == _MARKET:
            worst = protection_price(m, side)
            if worst is None:
                raise Rejection(Reason.NO_REFERENCE_PRICE)
            best = book.best_ask if side > 0 else book.best_bid
            if best is None or (best > worst if side > 0 else best < worst):
                expire = Reason.NO_LIQUIDITY
        elif typ == _STOP:
            worst = stop_price
        elif c.post_only:
            if (book.best_ask is not None and price >= book.best_ask) if side > 0 else \
                    (book.best_bid is not None and price <= book.best_bid):
                raise Rejection(Reason.WOULD_CROSS_POST_ONLY)
        if tif == _FOK and not is_stop and expire is None:
            expire = fok_shortfall(m, side, qty, worst, c.stp_group or account, c.stp)
        if c.reduce_only:
            self.reduce_only.check(account, c.symbol, side, qty)
        self.gate_check(account, c.symbol, side, qty, worst, c.reduce_only)

        # --- accepted: from here on nothing raises
        self.order_id += 1
        o = Order.make(self.order_id, account, c.symbol, side, typ, price, qty, tif, c.stp,
                       c.stp_group, ts)
        if display is not None:
            o.display_qty = display
            o.visible = display
        if c.expire_at is not None:
            o.expire_at = c.expire_at
        if stop_price is not None:
            o.stop_price = stop_price
        if c.post_only:
            o.post_only = True
        if c.reduce_only:
            o.reduce_only = True
        if coid is not None:
            o.client_order_id = coid
            self.live.client_ids.add((account, coid))
        seq = self.seq
        seq.last += 1
        if is_stop:
            o.status = _PENDING
            out.append(make(OrderAccepted, (seq.last, ts, o.order_id, account, c.symbol, side, typ, price,
                                           qty, display, tif, stop_price, coid, "pending_trigger")))
            self.gate_working(account, c.symbol, side, qty, worst)
            m.add_stop(o)
            self.live.remember(o)
            if tif == _GTD:
                self.timers.add(o.expire_at, GTD, o.order_id)
            return
        out.append(make(OrderAccepted, (seq.last, ts, o.order_id, account, c.symbol, side, typ, price,
                                       qty, display, tif, stop_price, coid, "new")))
        if expire is not None:  # never working: the gate is not told of it
            o.status = _EXPIRED_STATUS
            seq.last += 1
            out.append(make(OrderExpired, (seq.last, ts, o.order_id, account, c.symbol, side, price,
                                          qty, expire)))
            return
        self.gate_working(account, c.symbol, side, qty, worst)
        self.stops.execute(m, o, worst, ts, out)
