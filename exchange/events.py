"""The exchange's events. Each is one state change, in the order it happened.

From these a client can keep every view of the market: L1 (best bid/offer) and L2 (price
levels) from `BookDelta`, L3 (order by order) from accepted / amended / cancelled / expired /
fill, trades from `Fill`. `seq` is gap-free across the whole venue (clearing events included).
"""

from __future__ import annotations

from clearing.events import Event


class OrderAccepted(Event):
    kind = "order_accepted"
    __slots__ = ("order_id", "account", "symbol", "side", "type", "price", "qty", "display_qty",
                 "tif", "stop_price", "client_order_id", "status")

    def __init__(self, seq, ts, order_id, account, symbol, side, type, price, qty, display_qty,
                 tif, stop_price, client_order_id, status):
        self.seq = seq
        self.ts = ts
        self.order_id = order_id
        self.account = account
        self.symbol = symbol
        self.side = side
        self.type = type
        self.price = price
        self.qty = qty
        self.display_qty = display_qty
        self.tif = tif
        self.stop_price = stop_price
        self.client_order_id = client_order_id
        self.status = status  # "new" (live in the book or working) or "pending_trigger" (a stop)


class Rejected(Event):
    """A command refused. Nothing else changed."""

    kind = "rejected"
    __slots__ = ("command", "account", "symbol", "order_id", "client_order_id", "reason", "text")

    def __init__(self, seq, ts, command, account, symbol, order_id, client_order_id, reason, text):
        self.seq = seq
        self.ts = ts
        self.command = command  # the command's tag: "new", "cancel", "amend", ...
        self.account = account
        self.symbol = symbol
        self.order_id = order_id
        self.client_order_id = client_order_id
        self.reason = reason  # a clearing.reasons.Reason
        self.text = text


class Fill(Event):
    """One trade: both sides, at the resting (maker) order's price."""

    kind = "fill"
    __slots__ = ("trade_id", "symbol", "price", "qty", "aggressor", "maker_order_id",
                 "maker_account", "maker_remaining", "taker_order_id", "taker_account",
                 "taker_remaining")

    def __init__(self, seq, ts, trade_id, symbol, price, qty, aggressor, maker_order_id,
                 maker_account, maker_remaining, taker_order_id, taker_account, taker_remaining):
        self.seq = seq
        self.ts = ts
        self.trade_id = trade_id
        self.symbol = symbol
        self.price = price
        self.qty = qty
        self.aggressor = aggressor  # the taker's side: +1 buy, -1 sell
        self.maker_order_id = maker_order_id
        self.maker_account = maker_account
        self.maker_remaining = maker_remaining
        self.taker_order_id = taker_order_id
        self.taker_account = taker_account
        self.taker_remaining = taker_remaining


class OrderCancelled(Event):
    kind = "order_cancelled"
    __slots__ = ("order_id", "account", "symbol", "side", "price", "remaining", "reason")

    def __init__(self, seq, ts, order_id, account, symbol, side, price, remaining, reason):
        self.seq = seq
        self.ts = ts
        self.order_id = order_id
        self.account = account
        self.symbol = symbol
        self.side = side
        self.price = price
        self.remaining = remaining  # what was still open when it went
        # why: "user", "cancel_all", "ioc", "fok", "market_protection", "self_trade",
        # "post_only", "reduce_only", "liquidation", "contract_expired", "halt"
        self.reason = reason


class OrderExpired(Event):
    """A DAY order at the close, or a GTD order at its expiry time."""

    kind = "order_expired"
    __slots__ = ("order_id", "account", "symbol", "side", "price", "remaining")

    def __init__(self, seq, ts, order_id, account, symbol, side, price, remaining):
        self.seq = seq
        self.ts = ts
        self.order_id = order_id
        self.account = account
        self.symbol = symbol
        self.side = side
        self.price = price
        self.remaining = remaining


class OrderAmended(Event):
    kind = "order_amended"
    __slots__ = ("order_id", "account", "symbol", "side", "price", "qty", "remaining",
                 "stop_price", "priority_kept")

    def __init__(self, seq, ts, order_id, account, symbol, side, price, qty, remaining,
                 stop_price, priority_kept):
        self.seq = seq
        self.ts = ts
        self.order_id = order_id
        self.account = account
        self.symbol = symbol
        self.side = side
        self.price = price
        self.qty = qty
        self.remaining = remaining
        self.stop_price = stop_price
        self.priority_kept = priority_kept


class OrderTriggered(Event):
    """A stop order's trigger was reached: it now works as a market or limit order."""

    kind = "order_triggered"
    __slots__ = ("order_id", "account", "symbol", "side", "stop_price", "trigger_price")

    def __init__(self, seq, ts, order_id, account, symbol, side, stop_price, trigger_price):
        self.seq = seq
        self.ts = ts
        self.order_id = order_id
        self.account = account
        self.symbol = symbol
        self.side = side
        self.stop_price = stop_price
        self.trigger_price = trigger_price


class BookDelta(Event):
    """The visible quantity at one price level after a change (0: the level is gone)."""

    kind = "book_delta"
    __slots__ = ("symbol", "side", "price", "qty")

    def __init__(self, seq, ts, symbol, side, price, qty):
        self.seq = seq
        self.ts = ts
        self.symbol = symbol
        self.side = side
        self.price = price
        self.qty = qty


class TradingStateChanged(Event):
    kind = "trading_state"
    __slots__ = ("symbol", "state", "reason", "until", "limit_low", "limit_high")

    def __init__(self, seq, ts, symbol, state, reason, until, limit_low, limit_high):
        self.seq = seq
        self.ts = ts
        self.symbol = symbol
        self.state = state
        self.reason = reason
        self.until = until  # end of a halt (ns), else None
        self.limit_low = limit_low  # the daily limits in force afterwards (ticks) or None
        self.limit_high = limit_high


class ContractListed(Event):
    kind = "contract_listed"
    __slots__ = ("symbol", "product", "year", "month", "last_trade_ts")

    def __init__(self, seq, ts, symbol, product, year, month, last_trade_ts):
        self.seq = seq
        self.ts = ts
        self.symbol = symbol
        self.product = product
        self.year = year
        self.month = month
        self.last_trade_ts = last_trade_ts


class ReferencePriceSet(Event):
    kind = "reference_price"
    __slots__ = ("symbol", "price", "settlement", "limit_low", "limit_high")

    def __init__(self, seq, ts, symbol, price, settlement, limit_low, limit_high):
        self.seq = seq
        self.ts = ts
        self.symbol = symbol
        self.price = price
        self.settlement = settlement
        self.limit_low = limit_low
        self.limit_high = limit_high
