"""The Venue: the single-writer, deterministic state machine of the exchange.

`Venue.submit(command)` is the only way in. It checks the contract rules, asks the risk gate,
matches, hands every fill to clearing, and returns the events the command caused, in order,
each with the next gap-free sequence number. It reads no clock (time is the command's `ts`) and
does no I/O (the journal, if attached, only buffers). So the same commands always give the
same events, and replaying a journal rebuilds the same state (see `digest()`).

A refused command raises `Rejection` inside before anything changes; `submit` turns it into
exactly one `Rejected` event.
"""

from __future__ import annotations

import hashlib
import heapq

from clearing.events import Sequencer
from clearing.reasons import Reason, Rejection
from clearing.fast_events import *  # make(EventClass, values): see there
from exchange import commands as C
from exchange.contracts import GPU, SIT, ProductSpec, listing_calendar
from exchange.events import (
    BookDelta,
    ContractListed,
    IndexPublished,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    OrderExpired,
    OrderTriggered,
    ReferencePriceSet,
    Rejected,
    TradingStateChanged,
)
from exchange.market import CLOSED, EXPIRED, HALTED, OPEN, PRE_OPEN, STATES, TRANSITIONS, Market
from exchange.matching import Matching
from exchange.orders import STP, Order, OrderStatus, OrderType, Side, TimeInForce
from exchange.permissive_gate import PermissiveGate

NS = 1_000_000_000

_LIMIT = OrderType.LIMIT
_MARKET = OrderType.MARKET
_STOP = OrderType.STOP
_STOP_LIMIT = OrderType.STOP_LIMIT
_GTC = TimeInForce.GTC
_DAY = TimeInForce.DAY
_GTD = TimeInForce.GTD
_IOC = TimeInForce.IOC
_FOK = TimeInForce.FOK
_CANCEL_NEWEST = STP.CANCEL_NEWEST
_NEW = OrderStatus.NEW
_PENDING = OrderStatus.PENDING_TRIGGER
_CANCELLED = OrderStatus.CANCELLED
_FILLED = OrderStatus.FILLED
_EXPIRED_STATUS = OrderStatus.EXPIRED

_NEVER = 1 << 63  # no timer pending

# timer kinds, in the order they run when due at the same time
_T_GTD, _T_HALT_END, _T_LAST_TRADE = 0, 1, 2
_NO_ORDERS: dict = {}


class Venue(Matching):
    def __init__(
        self,
        products: tuple[ProductSpec, ...] = (SIT, GPU),
        gate=None,
        journal=None,
        initial_state: str = OPEN,
    ):
        self.products = {p.code: p for p in products}
        self._seq = Sequencer()
        self.gate = gate if gate is not None else PermissiveGate()
        self.gate.bind_sequencer(self._seq)
        # the gate's hot methods, bound once (called on every order and fill)
        self._gate_check = self.gate.check_order
        self._gate_working = self.gate.on_working
        self._gate_fill = self.gate.on_fill
        self.journal = journal
        self.initial_state = initial_state
        self._markets: dict[str, Market] = {}
        self._orders: dict[int, Order] = {}  # live: resting or pending trigger
        self._by_account: dict[str, dict[int, Order]] = {}
        self._client_ids: set[tuple[str, str]] = set()
        self._reduce_only: dict[tuple[str, str], int] = {}  # live reduce-only orders per account and symbol
        self._ro_touched: list[tuple[str, str]] = []  # who traded while reduce-only orders live
        self._index: dict[str, int] = {}  # latest index values (micro-USD)
        self._timers: list[tuple[int, int, object]] = []  # (due ts, kind, key)
        self._next_timer: int = _NEVER
        self._order_id = 0
        self._trade_id = 0
        self._traded = False
        self.clock = 0
        self._handlers = {
            C.NewOrder: self._new_order,
            C.CancelOrder: self._cancel,
            C.AmendOrder: self._amend,
            C.CancelAll: self._cancel_all,
            C.SetTradingState: self._set_state,
            C.AdvanceTime: self._advance_time,
            C.SetReferencePrice: self._set_reference,
            C.ListContracts: self._list_contracts,
            C.ExpireContract: self._expire_contract,
            C.OpenAccount: self._open_account,
            C.Deposit: self._deposit,
            C.Withdraw: self._withdraw,
            C.PublishIndex: self._publish_index,
            C.SetMarketMakerStanding: self._set_mm_standing,
            C.MarkCycle: self._mark_cycle,
        }

    # ------------------------------------------------------------------------- entry point

    def submit(self, cmd) -> list:
        """Apply one command; return the events it caused (timers that fell due first).

        Handlers raise `Rejection` only before they change anything (the stateful tests check
        that a rejected command yields exactly one event and leaves the digest unchanged).
        """
        if self.journal is not None:
            self.journal.append(cmd)
        handler = self._handlers.get(type(cmd))  # type(), not .__class__: a C read compiled
        ts = cmd.ts if handler is not None else None
        if handler is None or type(ts) is not int or ts < self.clock:
            return [self._rejected(cmd, self._refusal(cmd, handler, ts))]
        self.clock = ts
        out: list = []
        if ts >= self._next_timer:
            self._run_timers(ts, out)
        try:
            handler(cmd, out)
        except Rejection as r:
            out.append(self._rejected(cmd, r))
        return out

    def _refusal(self, cmd, handler, ts) -> Rejection:
        if handler is None or type(ts) is not int:
            return Rejection(Reason.INVALID_COMMAND, f"not a venue command: {cmd!r}")
        return Rejection(Reason.TIME_WENT_BACKWARDS,
                         f"command time {ts} is before the venue clock {self.clock}")

    def _rejected(self, cmd, r: Rejection) -> Rejected:
        self._seq.last += 1
        if not isinstance(cmd, C.Command):  # nothing read from it: the journal keeps only its repr
            return Rejected(self._seq.last, self.clock, "?", None, None, None, None, r.reason, r.text)
        return Rejected(self._seq.last, getattr(cmd, "ts", self.clock), getattr(cmd, "tag", "?"),
                        getattr(cmd, "account", None), getattr(cmd, "symbol", None),
                        getattr(cmd, "order_id", None), getattr(cmd, "client_order_id", None),
                        r.reason, r.text)

    # ------------------------------------------------------------------------- orders

    def _new_order(self, c: C.NewOrder, out: list) -> None:
        """Plain limit orders (the bulk of the flow: GTC, DAY or IOC) take this short path;
        anything else, and anything this path would reject, goes through `_new_order_full`,
        the full rule book."""
        m = self._markets.get(c.symbol)
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
            return self._new_order_full(c, out)  # (it refuses what is not of the right kind)
        side = c.side
        qty = c.qty
        price = c.price
        if ((side != 1 and side != -1) or (type(side) is not int and type(side) is not Side)
                or type(qty) is not int or qty < m.min_qty
                or qty > m.max_qty or qty % m.lot or type(price) is not int or price <= 0):
            return self._new_order_full(c, out)
        if m.limit_high is not None and (price > m.limit_high or price < m.limit_low):
            return self._new_order_full(c, out)
        ref = m.band_anchor
        if ref is not None:
            w = ref * m.band_bps // 10_000
            if w < m.band_min:
                w = m.band_min
            if price > ref + w if side > 0 else price < ref - w:
                return self._new_order_full(c, out)
        symbol = c.symbol
        self._gate_check(account, symbol, side, qty, price, False)
        oid = self._order_id = self._order_id + 1
        ts = c.ts
        o = Order.make(oid, account, symbol, side, _LIMIT, price, qty, tif, stp, c.stp_group, ts)
        seq = self._seq
        seq.last += 1
        out.append(make(OrderAccepted, (seq.last, ts, oid, account, symbol, side, _LIMIT, price,
                                         qty, None, tif, None, None, "new")))
        self._gate_working(account, symbol, side, qty, price)
        book = m.book
        best = book.best_ask if side > 0 else book.best_bid
        if best is not None and (best <= price if side > 0 else best >= price):
            self._traded = False
            self._execute(m, o, price, ts, out)
            if self._traded:
                self._after_trades(m, ts, out)
            return
        if tif == _IOC:  # nothing to trade against: an IOC order goes as it came
            self._drop_incoming(o, "ioc", ts, out)
            return
        # nothing to trade against: straight into the book, all of it shown
        if m.pro_rata:  # a new best price of its side: the top order
            own = book.best_bid if side > 0 else book.best_ask
            o.top = own is None or (price > own if side > 0 else price < own)
        level = book.add(o)
        self._orders[oid] = o
        mine = self._by_account.get(account)
        if mine is None:
            mine = self._by_account[account] = {}
        mine[oid] = o
        seq.last += 1
        out.append(make(BookDelta, (seq.last, ts, symbol, side, price, level.qty)))

    def _new_order_full(self, c: C.NewOrder, out: list) -> None:
        ts = c.ts
        m = self._markets.get(c.symbol)
        if m is None:
            raise Rejection(Reason.UNKNOWN_SYMBOL, f"no listed contract {c.symbol!r}")
        state = m.state
        pre_open = False
        if state != OPEN:
            if state == PRE_OPEN:
                pre_open = True
            else:
                self._reject_state(state)
        side = c.side
        if (side != 1 and side != -1) or not _is_code(side):
            # (1.0 and True equal 1: a side is the integer +1 or -1, or a Side)
            raise Rejection(Reason.INVALID_COMMAND, "side must be buy (+1) or sell (-1)")
        _check_order_fields(c)
        qty = c.qty
        self._check_qty(m, qty)
        typ = c.type
        tif = c.tif
        price = c.price
        account = c.account
        if typ == _LIMIT or typ == _STOP_LIMIT:
            if price is None:
                raise Rejection(Reason.MISSING_PRICE)
            self._check_price(m, side, price)
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
            last = m.last_trade if m.last_trade is not None else m.reference
            if last is not None and (stop_price <= last if side > 0 else stop_price >= last):
                raise Rejection(Reason.STOP_ALREADY_TRIGGERED,
                                f"stop {_usd(m, stop_price)} is already through the last price "
                                f"{_usd(m, last)} (USD)")
        elif stop_price is not None:
            raise Rejection(Reason.INVALID_PRICE, "only stop orders take a stop price")
        coid = c.client_order_id
        if coid is not None and (account, coid) in self._client_ids:
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
            worst = m.protection_price(side)
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
            expire = self._fok_shortfall(m, side, qty, worst, c.stp_group or account, c.stp)
        if c.reduce_only:
            self._check_reduce_only(account, c.symbol, side, qty)
        self._gate_check(account, c.symbol, side, qty, worst, c.reduce_only)

        # --- accepted: from here on nothing raises
        self._order_id += 1
        o = Order.make(self._order_id, account, c.symbol, side, typ, price, qty, tif, c.stp,
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
        if coid is not None:
            self._client_ids.add((account, coid))
        seq = self._seq
        seq.last += 1
        if is_stop:
            o.status = _PENDING
            out.append(make(OrderAccepted, (seq.last, ts, o.order_id, account, c.symbol, side, typ, price,
                                           qty, display, tif, stop_price, coid, "pending_trigger")))
            self._gate_working(account, c.symbol, side, qty, worst)
            stops = m.stops(side)
            bucket = stops.get(stop_price)
            if bucket is None:
                bucket = stops[stop_price] = {}
            bucket[o.order_id] = o
            self._remember(o)
            if tif == _GTD:
                self._add_timer(o.expire_at, _T_GTD, o.order_id)
            return
        out.append(make(OrderAccepted, (seq.last, ts, o.order_id, account, c.symbol, side, typ, price,
                                       qty, display, tif, stop_price, coid, "new")))
        if expire is not None:  # never working: the gate is not told of it
            o.status = _EXPIRED_STATUS
            seq.last += 1
            out.append(make(OrderExpired, (seq.last, ts, o.order_id, account, c.symbol, side, price,
                                          qty, expire)))
            return
        self._gate_working(account, c.symbol, side, qty, worst)
        self._traded = False
        self._execute(m, o, worst, ts, out)
        if self._traded:
            self._after_trades(m, ts, out)

    def _execute(self, m: Market, o: Order, limit: int, ts: int, out: list) -> None:
        """Match an accepted order, then rest or cancel what is left of it."""
        alive = self._match(m, o, limit, ts, out)
        if not o.remaining:
            # used up by fills, or by a decrement-and-cancel self-trade prevention
            o.status = _FILLED if alive else _CANCELLED
            return
        if not alive:
            self._drop_incoming(o, "self_trade", ts, out)
        elif o.type == _MARKET or o.type == _STOP:
            self._drop_incoming(o, "market_protection", ts, out)
        elif o.tif == _IOC or o.tif == _FOK:
            self._drop_incoming(o, "ioc" if o.tif == _IOC else "fok", ts, out)
        else:
            self._rest(m, o, ts, out)

    def _rest(self, m: Market, o: Order, ts: int, out: list) -> None:
        book = m.book
        d = o.display_qty
        o.visible = o.remaining if d is None or d > o.remaining else d
        if m.pro_rata:
            best = book.best_bid if o.side > 0 else book.best_ask
            o.top = best is None or (o.price > best if o.side > 0 else o.price < best)
        level = book.add(o)
        if o.remaining != o.qty:
            o.status = OrderStatus.PARTIALLY_FILLED
        self._remember(o)
        if o.tif == _GTD:
            self._add_timer(o.expire_at, _T_GTD, o.order_id)
        seq = self._seq
        seq.last += 1
        out.append(make(BookDelta, (seq.last, ts, m.symbol, o.side, o.price, level.qty)))

    def _drop_incoming(self, o: Order, why: str, ts: int, out: list) -> None:
        """Cancel the unfilled rest of an order that is not (or no longer) in the book."""
        o.status = _CANCELLED
        self._gate_working(o.account, o.symbol, o.side, -o.remaining, o.price or 0)
        seq = self._seq
        seq.last += 1
        out.append(make(OrderCancelled, (seq.last, ts, o.order_id, o.account, o.symbol, o.side,
                                          o.price, o.remaining, why)))

    def _after_trades(self, m: Market, ts: int, out: list) -> None:
        """Trigger stops that the last trade price reached (cascading), halt at a daily limit,
        then cut reduce-only orders that the new positions no longer allow."""
        if m.buy_stops or m.sell_stops or m.at_limit(m.last_trade):
            self._trigger_stops(m, ts, out)
        if self._ro_touched:
            self._trim_reduce_only(ts, out)

    def _trigger_stops(self, m: Market, ts: int, out: list) -> None:
        while True:
            if m.at_limit(m.last_trade):
                self._halt_for_limit(m, ts, out)
                return
            o = self._next_triggered_stop(m)
            if o is None:
                return
            self._forget(o)
            seq = self._seq
            seq.last += 1
            out.append(make(OrderTriggered, (seq.last, ts, o.order_id, o.account, o.symbol, o.side,
                                            o.stop_price, m.last_trade)))
            o.status = _NEW
            if o.type == _STOP:
                o.type = _MARKET
                limit = m.protection_price(o.side)
            else:
                o.type = _LIMIT
                limit = o.price
            self._execute(m, o, limit, ts, out)

    def _next_triggered_stop(self, m: Market) -> Order | None:
        last = m.last_trade
        buy = sell = None
        if m.buy_stops and m.buy_stops.peekitem(0)[0] <= last:
            buy = next(iter(m.buy_stops.peekitem(0)[1].values()))
        if m.sell_stops and m.sell_stops.peekitem(-1)[0] >= last:
            sell = next(iter(m.sell_stops.peekitem(-1)[1].values()))
        o = buy if sell is None or (buy is not None and buy.order_id < sell.order_id) else sell
        if o is not None:
            self._unstop(m, o)
        return o

    def _unstop(self, m: Market, o: Order) -> None:
        stops = m.stops(o.side)
        bucket = stops[o.stop_price]
        del bucket[o.order_id]
        if not bucket:
            del stops[o.stop_price]

    def _halt_for_limit(self, m: Market, ts: int, out: list) -> None:
        m.state = HALTED
        m.halt_until = ts + m.spec.product.halt_seconds * NS
        self._add_timer(m.halt_until, _T_HALT_END, m.symbol)
        self._state_event(m, "limit", ts, out)

    def _cancel(self, c: C.CancelOrder, out: list) -> None:
        o = self._owned_order(c.account, c.order_id)
        self._remove_live(self._markets[o.symbol], o, c.ts, out)
        self._emit_cancel(o, "user", c.ts, out)

    def _cancel_all(self, c: C.CancelAll, out: list) -> None:
        _check_account(c.account)
        if c.symbol is not None and c.symbol not in self._markets:
            raise Rejection(Reason.UNKNOWN_SYMBOL, f"no listed contract {c.symbol!r}")
        mine = self._by_account.get(c.account)
        if not mine:
            return
        for o in sorted(mine.values(), key=lambda x: x.order_id):
            if c.symbol is None or o.symbol == c.symbol:
                self._remove_live(self._markets[o.symbol], o, c.ts, out)
                self._emit_cancel(o, "cancel_all", c.ts, out)

    def _amend(self, c: C.AmendOrder, out: list) -> None:
        ts = c.ts
        o = self._owned_order(c.account, c.order_id)
        m = self._markets[o.symbol]
        if m.state != OPEN and m.state != PRE_OPEN:
            self._reject_state(m.state)
        new_qty = o.qty if c.qty is None else c.qty
        new_price = o.price if c.price is None else c.price
        new_stop = o.stop_price if c.stop_price is None else c.stop_price
        if c.price is not None and o.type != _LIMIT and o.type != _STOP_LIMIT:
            raise Rejection(Reason.AMEND_NOT_ALLOWED, "only limit prices can be amended")
        if c.stop_price is not None and o.status != _PENDING:
            raise Rejection(Reason.AMEND_NOT_ALLOWED, "only a stop waiting for its trigger has a stop price")
        if new_qty == o.qty and new_price == o.price and new_stop == o.stop_price:
            raise Rejection(Reason.NOTHING_TO_AMEND)
        self._check_qty(m, new_qty)
        filled = o.qty - o.remaining
        if new_qty <= filled:
            raise Rejection(Reason.AMEND_BELOW_FILLED, f"{filled} already filled")
        if o.display_qty is not None and o.display_qty >= new_qty:
            raise Rejection(Reason.INVALID_DISPLAY_QTY, "the new quantity must stay above the display quantity")
        if new_price != o.price:
            self._check_price(m, o.side, new_price)
        if o.status == _PENDING:
            last = m.last_trade if m.last_trade is not None else m.reference
            if new_stop != o.stop_price and last is not None and \
                    (new_stop <= last if o.side > 0 else new_stop >= last):
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
            self._check_reduce_only(o.account, o.symbol, o.side, delta)
        if delta > 0:
            self._gate_check(o.account, o.symbol, o.side, delta, new_price or new_stop,
                                  o.reduce_only)
        # --- accepted
        seq = self._seq
        if o.status == _PENDING:
            if new_stop != o.stop_price:
                self._unstop(m, o)
                o.stop_price = new_stop
                stops = m.stops(o.side)
                stops.setdefault(new_stop, {})[o.order_id] = o
            o.price = new_price
            o.qty = new_qty
            o.remaining = new_qty
            self._gate_working(o.account, o.symbol, o.side, delta, new_price or new_stop)
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
            self._gate_working(o.account, o.symbol, o.side, delta, o.price)
            seq.last += 1
            out.append(make(OrderAmended, (seq.last, ts, o.order_id, o.account, o.symbol, o.side,
                                          o.price, o.qty, o.remaining, None, True)))
            seq.last += 1
            out.append(make(BookDelta, (seq.last, ts, o.symbol, o.side, o.price, level.qty)))
            return
        # a price change or an increase: out of the book, back in at the end (may trade)
        level = book.remove(o)
        self._forget(o)
        seq.last += 1
        out.append(make(BookDelta, (seq.last, ts, o.symbol, o.side, o.price, level.qty)))
        o.qty = new_qty
        o.remaining += delta
        o.price = new_price
        o.visible = o.remaining if o.display_qty is None else min(o.display_qty, o.remaining)
        o.top = False
        o.ts = ts
        self._gate_working(o.account, o.symbol, o.side, delta, o.price)
        seq.last += 1
        out.append(make(OrderAmended, (seq.last, ts, o.order_id, o.account, o.symbol, o.side,
                                      o.price, o.qty, o.remaining, None, False)))
        self._traded = False
        self._execute(m, o, o.price, ts, out)
        if self._traded:
            self._after_trades(m, ts, out)

    # ------------------------------------------------------------------------- checks

    def _check_qty(self, m: Market, qty) -> None:
        if type(qty) is not int or qty < m.min_qty:
            raise Rejection(Reason.QTY_BELOW_MINIMUM, f"quantity {qty!r} is below the minimum {m.min_qty}")
        if qty % m.lot:
            raise Rejection(Reason.QTY_NOT_ON_LOT, f"quantity {qty} is not a multiple of the lot {m.lot}")
        if qty > m.max_qty:
            raise Rejection(Reason.QTY_ABOVE_MAXIMUM, f"quantity {qty} is above the maximum {m.max_qty}")

    def _check_price(self, m: Market, side: int, price) -> None:
        if type(price) is not int or price <= 0:
            raise Rejection(Reason.INVALID_PRICE)
        if m.limit_high is not None and (price > m.limit_high or price < m.limit_low):
            raise Rejection(Reason.OUTSIDE_DAILY_LIMIT,
                            f"price {_usd(m, price)} is outside the daily limits "
                            f"[{_usd(m, m.limit_low)}, {_usd(m, m.limit_high)}] (USD)")
        ref = m.band_anchor
        if ref is not None:
            w = m.band_width(ref)
            if price > ref + w if side > 0 else price < ref - w:
                raise Rejection(Reason.OUTSIDE_PRICE_BAND,
                                f"price {_usd(m, price)} is outside the band "
                                f"[{_usd(m, ref - w)}, {_usd(m, ref + w)}] around {_usd(m, ref)} (USD)")

    def _fok_shortfall(self, m: Market, side: int, qty: int, limit: int, group: str, stp: int):
        """FOK_NOT_FILLABLE if a fill-or-kill cannot fill in full now (self-trades count
        against it unless the incoming order cancels the resting ones), else None."""
        available = 0
        levels = m.book.asks if side > 0 else reversed(m.book.bids)
        for price in levels:
            if price > limit if side > 0 else price < limit:
                break
            level = (m.book.asks if side > 0 else m.book.bids)[price]
            for r in level.orders.values():
                if r.stp_group == group:
                    if stp == STP.CANCEL_OLDEST:
                        continue
                    return Reason.FOK_NOT_FILLABLE  # it would meet the account's own order first
                available += r.remaining
                if available >= qty:
                    return None
        return Reason.FOK_NOT_FILLABLE

    def _reject_state(self, state: str):
        raise Rejection({HALTED: Reason.MARKET_HALTED, CLOSED: Reason.MARKET_CLOSED,
                         EXPIRED: Reason.MARKET_EXPIRED}.get(state, Reason.MARKET_NOT_OPEN))

    def _owned_order(self, account: str, order_id) -> Order:
        # an order id is an int: True and 1.0 equal 1 and would find order 1 in the dict
        o = self._orders.get(order_id) if type(order_id) is int else None
        if o is None:
            raise Rejection(Reason.UNKNOWN_ORDER, f"no live order {order_id!r}")
        if o.account != account:
            raise Rejection(Reason.NOT_ORDER_OWNER)
        return o

    # ------------------------------------------------------------------------- bookkeeping

    def _remember(self, o: Order) -> None:
        self._orders[o.order_id] = o
        mine = self._by_account.get(o.account)
        if mine is None:
            mine = self._by_account[o.account] = {}
        mine[o.order_id] = o
        if o.reduce_only:
            key = (o.account, o.symbol)
            self._reduce_only[key] = self._reduce_only.get(key, 0) + 1

    # ------------------------------------------------------------------------- reduce-only

    def _reduce_only_working(self, account: str, symbol: str, side: int) -> list[Order]:
        mine = self._by_account.get(account, {})
        return sorted((o for o in mine.values()
                       if o.reduce_only and o.symbol == symbol and o.side == side),
                      key=lambda o: o.order_id)

    def _check_reduce_only(self, account: str, symbol: str, side: int, qty: int) -> None:
        """A reduce-only order, with the account's other working reduce-only orders on the
        same side, may not exceed the position it reduces."""
        pos = self.gate.position(account, symbol)
        room = -pos * side if pos * side < 0 else 0
        working = sum(o.remaining for o in self._reduce_only_working(account, symbol, side))
        if qty + working > room:
            raise Rejection(Reason.REDUCE_ONLY_WOULD_INCREASE,
                            f"position {pos}, {working} already working reduce-only: "
                            f"a {'buy' if side > 0 else 'sell'} of {qty} would not only reduce it")

    def _trim_reduce_only(self, ts: int, out: list) -> None:
        """After trades: cut the working reduce-only orders of the accounts that traded down to
        what their new positions allow (oldest first keep their size), cancelling what is left."""
        touched, self._ro_touched = self._ro_touched, []
        for account, symbol in dict.fromkeys(touched):
            if (account, symbol) not in self._reduce_only:
                continue
            pos = self.gate.position(account, symbol)
            m = self._markets[symbol]
            for side in (1, -1):
                allowed = -pos * side if pos * side < 0 else 0
                for o in self._reduce_only_working(account, symbol, side):
                    if o.remaining <= allowed:
                        allowed -= o.remaining
                        continue
                    if allowed == 0:
                        self._remove_live(m, o, ts, out)
                        self._emit_cancel(o, "reduce_only", ts, out)
                        continue
                    cut = o.remaining - allowed
                    allowed = 0
                    o.qty -= cut
                    o.remaining -= cut
                    self._gate_working(o.account, symbol, o.side, -cut,
                                       o.price if o.price is not None else o.stop_price)
                    self._seq.last += 1
                    out.append(make(OrderAmended, (self._seq.last, ts, o.order_id, o.account, symbol,
                                                  o.side, o.price, o.qty, o.remaining, o.stop_price, True)))
                    if o.status != _PENDING and o.visible > o.remaining:
                        level = m.book.level(o.side, o.price)
                        level.qty -= o.visible - o.remaining
                        o.visible = o.remaining
                        self._seq.last += 1
                        out.append(make(BookDelta, (self._seq.last, ts, symbol, o.side, o.price, level.qty)))

    def _remove_live(self, m: Market, o: Order, ts: int, out: list) -> None:
        """Take a live order out of the book or the stop list (no event for the order)."""
        if o.status == _PENDING:
            self._unstop(m, o)
        else:
            level = m.book.remove(o)
            seq = self._seq
            seq.last += 1
            out.append(make(BookDelta, (seq.last, ts, o.symbol, o.side, o.price, level.qty)))
        self._forget(o)
        self._gate_working(o.account, o.symbol, o.side, -o.remaining,
                           o.price if o.price is not None else o.stop_price)

    def _emit_cancel(self, o: Order, why: str, ts: int, out: list) -> None:
        o.status = _CANCELLED
        seq = self._seq
        seq.last += 1
        out.append(make(OrderCancelled, (seq.last, ts, o.order_id, o.account, o.symbol, o.side,
                                          o.price, o.remaining, why)))

    # ------------------------------------------------------------------------- time

    def _add_timer(self, due: int, kind: int, key) -> None:
        heapq.heappush(self._timers, (due, kind, key))
        if due < self._next_timer:
            self._next_timer = due

    def _run_timers(self, ts: int, out: list) -> None:
        timers = self._timers
        while timers and timers[0][0] <= ts:
            due, kind, key = heapq.heappop(timers)
            if kind == _T_GTD:
                o = self._orders.get(key)
                if o is not None and o.tif == _GTD and o.expire_at == due:
                    self._expire_order(o, due, out)
            elif kind == _T_HALT_END:
                m = self._markets[key]
                if m.state == HALTED and m.halt_until == due:
                    m.halt_until = None
                    m.widen_limits()
                    m.state = OPEN
                    self._state_event(m, "halt_ended", due, out)
            elif kind == _T_LAST_TRADE:
                m = self._markets[key]
                if m.state != EXPIRED and m.state != CLOSED:
                    self._close(m, "last_trade", due, out)
        self._next_timer = timers[0][0] if timers else _NEVER

    def _expire_order(self, o: Order, ts: int, out: list) -> None:
        m = self._markets[o.symbol]
        self._remove_live(m, o, ts, out)
        o.status = _EXPIRED_STATUS
        self._seq.last += 1
        out.append(make(OrderExpired, (self._seq.last, ts, o.order_id, o.account, o.symbol, o.side,
                                      o.price, o.remaining, None)))

    def _advance_time(self, c: C.AdvanceTime, out: list) -> None:
        """Timers already ran in `submit`; nothing else to do."""

    def _close(self, m: Market, reason: str, ts: int, out: list) -> None:
        m.state = CLOSED
        m.halt_until = None
        self._state_event(m, reason, ts, out)
        for o in sorted(self._live_in(m.symbol), key=lambda x: x.order_id):
            if o.tif == _DAY:
                self._expire_order(o, ts, out)

    def _live_in(self, symbol: str) -> list[Order]:
        return [o for o in self._orders.values() if o.symbol == symbol]

    def _state_event(self, m: Market, reason: str, ts: int, out: list) -> None:
        self._seq.last += 1
        out.append(TradingStateChanged(self._seq.last, ts, m.symbol, m.state, reason,
                                       m.halt_until, m.limit_low, m.limit_high))

    # ------------------------------------------------------------------------- market admin

    def _set_state(self, c: C.SetTradingState, out: list) -> None:
        if c.state not in STATES or c.state == EXPIRED:
            raise Rejection(Reason.INVALID_STATE_TRANSITION, f"unknown or reserved state {c.state!r}")
        if c.symbol is None:
            targets = [m for m in self._markets.values() if m.state != EXPIRED and m.state != c.state]
            for m in targets:
                if c.state not in TRANSITIONS[m.state]:
                    raise Rejection(Reason.INVALID_STATE_TRANSITION, f"{m.symbol}: {m.state} -> {c.state}")
        else:
            m = self._markets.get(c.symbol)
            if m is None:
                raise Rejection(Reason.UNKNOWN_SYMBOL, f"no listed contract {c.symbol!r}")
            if c.state not in TRANSITIONS[m.state]:
                raise Rejection(Reason.INVALID_STATE_TRANSITION, f"{m.symbol}: {m.state} -> {c.state}")
            targets = [m]
        for m in targets:
            if c.state != CLOSED and c.ts >= m.spec.last_trade_ts:
                raise Rejection(Reason.INVALID_STATE_TRANSITION,
                                f"{m.symbol}: trading terminated at its last trading time")
        for m in targets:
            if c.state == CLOSED:
                self._close(m, c.reason, c.ts, out)
                continue
            m.state = c.state
            m.halt_until = None
            self._state_event(m, c.reason, c.ts, out)

    def _set_reference(self, c: C.SetReferencePrice, out: list) -> None:
        m = self._markets.get(c.symbol)
        if m is None:
            raise Rejection(Reason.UNKNOWN_SYMBOL, f"no listed contract {c.symbol!r}")
        if type(c.price) is not int or c.price <= 0:
            raise Rejection(Reason.INVALID_PRICE)
        self._apply_reference(m, c.price, c.settlement, c.ts, out)

    def _apply_reference(self, m: Market, price: int, settlement: bool, ts: int, out: list) -> None:
        if settlement:
            m.set_settlement(price)
            # resting orders beyond the new limits could trade beyond them: they go
            for o in sorted(self._live_in(m.symbol), key=lambda x: x.order_id):
                p = o.price if o.price is not None else o.stop_price
                if p > m.limit_high or p < m.limit_low:
                    self._remove_live(m, o, ts, out)
                    self._emit_cancel(o, "outside_limit", ts, out)
        else:
            m.reference = price
            if m.last_trade is None:
                m.band_anchor = price
        self._seq.last += 1
        out.append(ReferencePriceSet(self._seq.last, ts, m.symbol, price, settlement,
                                     m.limit_low, m.limit_high))

    def _list_contracts(self, c: C.ListContracts, out: list) -> None:
        for product in self.products.values():
            for spec in listing_calendar(product, c.ts):
                if spec.symbol in self._markets:
                    continue
                m = self._markets[spec.symbol] = Market(spec, self.initial_state)
                self._seq.last += 1
                out.append(ContractListed(self._seq.last, c.ts, spec.symbol, product.code,
                                          spec.year, spec.month, spec.last_trade_ts))
                self.gate.list_contract(spec.clearing_terms(), c.ts, out)
                self._add_timer(spec.last_trade_ts, _T_LAST_TRADE, spec.symbol)
                value = self._index.get(product.index_name)
                if value is not None:
                    self._apply_reference(m, spec.clearing_terms().ticks_from_index(value), True, c.ts, out)

    def _expire_contract(self, c: C.ExpireContract, out: list) -> None:
        m = self._markets.get(c.symbol)
        if m is None:
            raise Rejection(Reason.UNKNOWN_SYMBOL, f"no listed contract {c.symbol!r}")
        if m.state == EXPIRED:
            raise Rejection(Reason.MARKET_EXPIRED)
        if c.settlement_price is not None and (type(c.settlement_price) is not int or c.settlement_price <= 0):
            raise Rejection(Reason.INVALID_PRICE)
        for o in sorted(self._live_in(m.symbol), key=lambda x: x.order_id):
            self._remove_live(m, o, c.ts, out)
            self._emit_cancel(o, "contract_expired", c.ts, out)
        m.state = EXPIRED
        m.halt_until = None
        self._state_event(m, "expiry", c.ts, out)
        price = c.settlement_price
        if price is None:
            price = self.gate.settlement_price(c.symbol)  # the monthly index average
        if price is not None:
            self.gate.final_settlement(c.symbol, price, c.ts, out)
        self._list_contracts(C.ListContracts(c.ts), out)

    # ------------------------------------------------------------------------- clearing

    def _open_account(self, c: C.OpenAccount, out: list) -> None:
        self.gate.open_account(c.account, c.ts, out, market_maker=c.market_maker)

    def _deposit(self, c: C.Deposit, out: list) -> None:
        self.gate.deposit(c.account, c.amount, c.ts, out)

    def _withdraw(self, c: C.Withdraw, out: list) -> None:
        self.gate.withdraw(c.account, c.amount, c.ts, out)

    def _set_mm_standing(self, c: C.SetMarketMakerStanding, out: list) -> None:
        self.gate.set_market_maker_standing(c.account, c.good, c.ts, out)

    def _publish_index(self, c: C.PublishIndex, out: list) -> None:
        if type(c.value) is not int or c.value <= 0:
            raise Rejection(Reason.INVALID_AMOUNT, "an index value is a positive integer (micro-USD)")
        self._seq.last += 1
        out.append(IndexPublished(self._seq.last, c.ts, c.name, c.value))
        self.gate.set_index(c.name, c.value, c.ts, out)
        self._index[c.name] = c.value
        for m in self._markets.values():
            if m.spec.product.index_name == c.name and m.settlement is None and m.state != EXPIRED:
                self._apply_reference(m, m.spec.clearing_terms().ticks_from_index(c.value), True, c.ts, out)

    def _mark_cycle(self, c: C.MarkCycle, out: list) -> None:
        """Marks, variation margin and margin checks are the clearinghouse's; the close-out of
        the accounts it hands back goes through this venue's book."""
        to_liquidate = self.gate.mark_cycle(c.ts, self.book_tops(), out, end_of_day=c.end_of_day)
        for account in to_liquidate or ():
            self._liquidate(account, c.ts, out)

    def _liquidate(self, account: str, ts: int, out: list) -> None:
        """Close out an account: cancel its working orders, then send protected market orders
        (IOC at the band edge) for every position; what the book cannot absorb, and any loss
        beyond the account's resources, the clearinghouse settles in `finish_liquidation`."""
        mine = self._by_account.get(account, {})
        for o in sorted(mine.values(), key=lambda x: x.order_id):
            self._remove_live(self._markets[o.symbol], o, ts, out)
            self._emit_cancel(o, "liquidation", ts, out)
        for symbol, side, qty in self.gate.liquidation_plan(account):
            m = self._markets.get(symbol)
            while qty > 0 and m is not None:
                lot = min(qty, m.max_qty)
                order = C.NewOrder(ts, account, symbol, side, lot, None, _MARKET, _IOC,
                                   reduce_only=True, stp=STP.CANCEL_OLDEST)
                mark = self._seq.last
                try:
                    self._new_order_full(order, out)
                except Rejection as r:  # no liquidity, halted...: clearing takes the rest
                    assert self._seq.last == mark
                    out.append(self._rejected(order, r))
                    break
                qty -= lot
        self.gate.finish_liquidation(account, ts, out)

    # ------------------------------------------------------------------------- reads

    def contracts(self) -> list:
        return [m.spec for m in self._markets.values() if m.state != EXPIRED]

    def contract(self, symbol: str):
        return self._markets[symbol].spec

    def market(self, symbol: str) -> Market:
        return self._markets[symbol]

    def markets(self) -> list[Market]:
        return list(self._markets.values())

    def trading_state(self, symbol: str) -> str:
        return self._markets[symbol].state

    def book(self, symbol: str):
        return self._markets[symbol].book

    def order(self, order_id: int) -> Order | None:
        return self._orders.get(order_id)

    def live_orders(self, account: str):
        """The account's live orders (resting or pending trigger), a read-only view."""
        return self._by_account.get(account, _NO_ORDERS).values()

    def open_orders(self, account: str, symbol: str | None = None) -> list[Order]:
        mine = self._by_account.get(account, {})
        return [o for o in mine.values() if symbol is None or o.symbol == symbol]

    def last_trade_price(self, symbol: str) -> int | None:
        return self._markets[symbol].last_trade

    def reference_price(self, symbol: str) -> int | None:
        return self._markets[symbol].band_reference()

    def index_value(self, name: str) -> int | None:
        return self._index.get(name)

    def book_tops(self) -> dict:
        """symbol -> (best bid, best ask, last trade), for marking."""
        return {s: (m.book.best_bid, m.book.best_ask, m.last_trade)
                for s, m in self._markets.items() if m.state != EXPIRED}

    @property
    def seq(self) -> int:
        return self._seq.last

    def digest(self, with_clock: bool = True) -> str:
        """SHA-256 of the whole state: equal digests, equal venues (replay checks).

        `with_clock=False` leaves out the clock and the sequence counter, which every command
        moves (a rejection too): what remains must not change on a rejected command.
        """
        h = hashlib.sha256()
        clock = (self.clock, self._seq.last) if with_clock else ()
        h.update(repr((clock, self._order_id, self._trade_id,
                       sorted(self._client_ids), sorted(self._index.items()),
                       sorted(self._timers))).encode())
        for symbol in sorted(self._markets):
            m = self._markets[symbol]
            h.update(repr((symbol, m.state, m.last_trade, m.settlement, m.reference, m.limit_low,
                           m.limit_high, m.widenings, m.halt_until, m.volume, m.trades)).encode())
            for side in (1, -1):
                for o in m.book.orders(side):
                    h.update(repr(_order_state(o)).encode())
                stops = m.stops(side)
                for price in stops:
                    for o in stops[price].values():
                        h.update(repr(_order_state(o)).encode())
        h.update(self.gate.digest().encode())
        return h.hexdigest()

    def check(self) -> None:
        """Assert every invariant of the venue (tests call it after each step)."""
        seen = set()
        for m in self._markets.values():
            m.book.check()
            for side in (1, -1):
                for o in m.book.orders(side):
                    assert self._orders.get(o.order_id) is o, o
                    seen.add(o.order_id)
                stops = m.stops(side)
                for price, bucket in stops.items():
                    assert bucket
                    for o in bucket.values():
                        assert o.status == _PENDING and o.stop_price == price and o.side == side
                        assert self._orders.get(o.order_id) is o
                        seen.add(o.order_id)
        assert seen == set(self._orders), "index holds orders that are not in a book"
        counts: dict = {}
        for o in self._orders.values():
            if o.reduce_only:
                counts[(o.account, o.symbol)] = counts.get((o.account, o.symbol), 0) + 1
        assert counts == self._reduce_only, "reduce-only counts drifted"
        assert sum(len(v) for v in self._by_account.values()) == len(self._orders)


def _usd(m: Market, ticks: int) -> str:
    """A price in ticks as the wire writes it, decimal USD ("2.125"): a rejection's text is
    read by people, who think in prices, not ticks."""
    return str(ticks * m.spec.product.tick_size)


def _check_order_fields(c: C.NewOrder) -> None:
    """The fields of a new order that the venue keeps as given must be of their kind: the
    account a non-empty string; the order type, time in force and self-trade prevention mode
    integer codes (or their enums), never a bool (True equals 1); the flags bools; the client
    order id and the self-match id non-empty strings or None. Anything else: a rejection."""
    _check_account(c.account)
    if not _is_code(c.type):
        raise Rejection(Reason.INVALID_COMMAND, f"unknown order type {c.type!r}")
    if not _is_code(c.tif):
        raise Rejection(Reason.INVALID_TIME_IN_FORCE, f"unknown time in force {c.tif!r}")
    if not _is_code(c.stp):
        raise Rejection(Reason.INVALID_COMMAND, f"unknown self-trade prevention mode {c.stp!r}")
    if type(c.post_only) is not bool or type(c.reduce_only) is not bool:
        raise Rejection(Reason.INVALID_COMMAND, "post_only and reduce_only must be true or false")
    for name, value in (("client order id", c.client_order_id), ("self-match id", c.stp_group)):
        if value is not None and (type(value) is not str or not value):
            raise Rejection(Reason.INVALID_COMMAND, f"the {name} must be a non-empty string or none, not {value!r}")


def _check_account(account) -> None:
    if type(account) is not str or not account:
        raise Rejection(Reason.INVALID_COMMAND, f"the account must be a non-empty string, not {account!r}")


def _is_code(value) -> bool:
    return isinstance(value, int) and type(value) is not bool


def _order_state(o: Order) -> tuple:
    # enums as plain ints: a command from a journal carries ints where a live one had enums
    return (o.order_id, o.account, o.symbol, int(o.side), int(o.type), o.price, o.qty,
            o.remaining, o.visible, o.display_qty, int(o.tif), o.expire_at, o.stop_price,
            o.post_only, o.reduce_only, o.client_order_id, int(o.stp), o.stp_group, o.ts,
            int(o.status), o.top)
