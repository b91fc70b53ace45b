"""The trading state machine of each contract: pre-open, open, halted, closed, expired.

An operator moves contracts between states (SetTradingState, within `TRANSITIONS`); the venue
itself halts a contract when a trade reaches a daily limit, reopens it (limits widened) when
the halt's time runs out, and closes it at its last trading time. Closing expires the DAY
orders. Every change is one `TradingStateChanged` event.
"""

from __future__ import annotations

from clearing.reasons import Reason, Rejection
from clearing.types import NS_PER_SECOND
from clearing.fast_events import *  # make(EventClass, values): see there
from exchange import commands as C
from exchange.events import OrderExpired, StatusReason, TradingStateChanged
from exchange.market import CLOSED, EXPIRED, HALTED, OPEN, STATES, TRANSITIONS, Market
from exchange.orders import Order, OrderStatus, TimeInForce
from exchange.timers import HALT_END

_DAY = TimeInForce.DAY
_EXPIRED_STATUS = OrderStatus.EXPIRED
_LIMIT_HALT = StatusReason.LIMIT.value
_HALT_ENDED = StatusReason.HALT_ENDED.value


class TradingStates:
    __slots__ = ("markets", "seq", "live", "timers", "matcher")

    def __init__(self, markets: dict, seq, live, timers, matcher):
        self.markets = markets
        self.seq = seq
        self.live = live
        self.timers = timers
        self.matcher = matcher  # takes an expiring order out of its book

    def set_state(self, c: C.SetTradingState, out: list) -> None:
        if c.state not in STATES or c.state == EXPIRED:
            raise Rejection(Reason.INVALID_STATE_TRANSITION, f"unknown or reserved state {c.state!r}")
        if c.symbol is None:
            targets = [m for m in self.markets.values() if m.state != EXPIRED and m.state != c.state]
            for m in targets:
                if c.state not in TRANSITIONS[m.state]:
                    raise Rejection(Reason.INVALID_STATE_TRANSITION, f"{m.symbol}: {m.state} -> {c.state}")
        else:
            m = self.markets.get(c.symbol)
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
                self.close(m, c.reason, c.ts, out)
                continue
            m.state = c.state
            m.halt_until = None
            self.state_event(m, c.reason, c.ts, out)

    def close(self, m: Market, reason: str, ts: int, out: list) -> None:
        """Close the contract; its DAY orders expire."""
        m.state = CLOSED
        m.halt_until = None
        self.state_event(m, reason, ts, out)
        for o in self.live.in_symbol(m.symbol):
            if o.tif == _DAY:
                self.expire_order(o, ts, out)

    def halt_for_limit(self, m: Market, ts: int, out: list) -> None:
        """A trade reached a daily limit: halt for the product's halt time."""
        m.state = HALTED
        m.halt_until = ts + m.spec.product.halt_seconds * NS_PER_SECOND
        self.timers.add(m.halt_until, HALT_END, m.symbol)
        self.state_event(m, _LIMIT_HALT, ts, out)

    def end_halt(self, m: Market, due: int, out: list) -> None:
        """The halt's time ran out (if it is still that halt): open, with wider limits."""
        if m.state == HALTED and m.halt_until == due:
            m.halt_until = None
            m.widen_limits()
            m.state = OPEN
            self.state_event(m, _HALT_ENDED, due, out)

    def expire_order(self, o: Order, ts: int, out: list) -> None:
        """A DAY order at the close, a GTD order at its time."""
        m = self.markets[o.symbol]
        self.matcher.remove_live(m, o, ts, out)
        o.status = _EXPIRED_STATUS
        seq = self.seq
        seq.last += 1
        out.append(make(OrderExpired, (seq.last, ts, o.order_id, o.account, o.symbol, o.side,
                                       o.price, o.remaining, None)))

    def state_event(self, m: Market, reason: str, ts: int, out: list) -> None:
        seq = self.seq
        seq.last += 1
        out.append(TradingStateChanged(seq.last, ts, m.symbol, m.state, reason,
                                       m.halt_until, m.limit_low, m.limit_high))
