"""Stop orders, and whatever else a trade sets off.

A stop (stop-market or stop-limit) waits in its market's stop list (Market.add_stop) until
the last trade price reaches its stop price: a buy stop at or below the last trade, a sell
stop at or above it. Then it is triggered (`OrderTriggered`) and works as a market order
(protected at the band's edge) or a limit order; its own trades may trigger more stops, in
order of arrival. A trade at a daily limit halts the contract before any more stops trigger.
After the trades, reduce-only orders that the new positions no longer allow are cut.
"""

from __future__ import annotations

from clearing.fast_events import *  # make(EventClass, values): see there
from exchange.events import OrderTriggered
from exchange.market import Market
from exchange.orders import Order, OrderStatus, OrderType
from exchange.rules import *  # the rules: the one import form beside their cimport (the .pxd)

_NEW = OrderStatus.NEW
_LIMIT = OrderType.LIMIT
_MARKET = OrderType.MARKET
_STOP = OrderType.STOP


class Stops:
    __slots__ = ("seq", "live", "matcher", "states", "reduce_only")

    def __init__(self, seq, live, matcher, states, reduce_only):
        self.seq = seq
        self.live = live
        self.matcher = matcher
        self.states = states  # halts at a daily limit
        self.reduce_only = reduce_only

    def execute(self, m: Market, o: Order, limit: int, ts: int, out: list) -> None:
        """Match an accepted order (rest or cancel its rest), then run what its trades set off."""
        matcher = self.matcher
        matcher.traded = False
        matcher.execute(m, o, limit, ts, out)
        if matcher.traded:
            self.after_trades(m, ts, out)

    def after_trades(self, m: Market, ts: int, out: list) -> None:
        """Trigger stops that the last trade price reached (cascading), halt at a daily limit,
        then cut reduce-only orders that the new positions no longer allow."""
        if m.buy_stops or m.sell_stops or m.at_limit(m.last_trade):
            self.trigger(m, ts, out)
        self.reduce_only.trim(ts, out)

    def trigger(self, m: Market, ts: int, out: list) -> None:
        while True:
            if m.at_limit(m.last_trade):
                self.states.halt_for_limit(m, ts, out)
                return
            o = self.next_triggered(m)
            if o is None:
                return
            self.live.forget(o)
            seq = self.seq
            seq.last += 1
            out.append(make(OrderTriggered, (seq.last, ts, o.order_id, o.account, o.symbol, o.side,
                                            o.stop_price, m.last_trade)))
            o.status = _NEW
            if o.type == _STOP:
                o.type = _MARKET
                limit = protection_price(m, o.side)
            else:
                o.type = _LIMIT
                limit = o.price
            self.matcher.execute(m, o, limit, ts, out)

    def next_triggered(self, m: Market) -> Order | None:
        """The oldest stop the last trade reached, out of the stop list; None if none."""
        last = m.last_trade
        buy = sell = None
        if m.buy_stops and m.buy_stops.peekitem(0)[0] <= last:
            buy = next(iter(m.buy_stops.peekitem(0)[1].values()))
        if m.sell_stops and m.sell_stops.peekitem(-1)[0] >= last:
            sell = next(iter(m.sell_stops.peekitem(-1)[1].values()))
        o = buy if sell is None or (buy is not None and buy.order_id < sell.order_id) else sell
        if o is not None:
            m.remove_stop(o)
        return o
