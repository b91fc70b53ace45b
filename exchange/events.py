"""The exchange's events. Each is one state change, in the order it happened.

From these a client can keep every view of the market: L1 (best bid/offer) and L2 (price
levels) from `BookDelta`, L3 (order by order) from accepted / amended / cancelled / expired /
fill, trades from `Fill`. `seq` is gap-free across the whole venue (clearing events included).

Exchange events are immutable tuples with named fields (one or more is made for every order,
so they must be cheap: the hot path builds them with `clearing.fast_events.make`), as the
clearinghouse's are (`clearing.events.TupleEvent`): `kind`, `seq`, `ts`, the named fields,
`to_dict()` and `astuple()`.
"""

from __future__ import annotations

from enum import StrEnum

from clearing.events import TupleEvent  # noqa: F401 - the base of these events; its home is clearing.events
from exchange.commands import Command


class CancelReason(StrEnum):
    """Why an order was cancelled (`OrderCancelled.reason`). The events carry the value, a
    plain string ("user"...), so the event log, the JSON, the WebSocket and the digests read
    as they always have; `CancelReason.USER == "user"`."""

    USER = "user"  # its account cancelled it
    CANCEL_ALL = "cancel_all"  # its account cancelled all its orders (of the contract)
    IOC = "ioc"  # the unfilled rest of an immediate-or-cancel order
    FOK = "fok"  # the unfilled rest of a fill-or-kill order
    MARKET_PROTECTION = "market_protection"  # a market order's rest beyond its protection price
    SELF_TRADE = "self_trade"  # self-trade prevention
    OUTSIDE_LIMIT = "outside_limit"  # resting beyond new daily limits
    LIQUIDATION = "liquidation"  # its account is being closed out
    CONTRACT_EXPIRED = "contract_expired"  # its contract expired
    REDUCE_ONLY = "reduce_only"  # a reduce-only order the position no longer allows


class StatusReason(StrEnum):
    """Why a contract's trading state changed (`TradingStateChanged.reason`), when the venue
    changed it. An operator's SetTradingState carries its own text ("operator" by default),
    which the event repeats as given. The events carry the value, a plain string."""

    OPERATOR = "operator"  # SetTradingState's default
    LIMIT = "limit"  # a trade at a daily limit halted the contract
    HALT_ENDED = "halt_ended"  # the halt's time ran out: open again, limits widened
    LAST_TRADE = "last_trade"  # the contract's last trading time: closed
    EXPIRY = "expiry"  # ExpireContract


class OrderAccepted(TupleEvent, fields=(
    "order_id",
    "account",
    "symbol",
    "side",
    "type",
    "price",
    "qty",
    "display_qty",
    "tif",
    "stop_price",
    "client_order_id",
    "status",  # "new" (live in the book or working) or "pending_trigger" (a stop)
)):
    kind = "order_accepted"
    __slots__ = ()


class Rejected(TupleEvent, fields=(
    "command",  # the command's tag: "new", "cancel", "amend", ...
    "account",
    "symbol",
    "order_id",
    "client_order_id",
    "reason",  # a clearing.reasons.Reason
    "text",
)):
    """A command refused. Nothing else changed."""

    kind = "rejected"
    __slots__ = ()


class Fill(TupleEvent, fields=(
    "trade_id",
    "symbol",
    "price",
    "qty",
    "aggressor",  # the taker's side: +1 buy, -1 sell
    "maker_order_id",
    "maker_account",
    "maker_remaining",
    "taker_order_id",
    "taker_account",
    "taker_remaining",
)):
    """One trade: both sides, at the resting (maker) order's price."""

    kind = "fill"
    __slots__ = ()


class OrderCancelled(TupleEvent, fields=(
    "order_id",
    "account",
    "symbol",
    "side",
    "price",
    "remaining",  # what was still open when it went
    "reason",  # why: a CancelReason's value
)):
    kind = "order_cancelled"
    __slots__ = ()


class OrderExpired(TupleEvent, fields=(
    "order_id",
    "account",
    "symbol",
    "side",
    "price",
    "remaining",
    # why, for an order expired as soon as it was accepted (a clearing.reasons.Reason):
    # FOK_NOT_FILLABLE, NO_LIQUIDITY; None for a DAY or GTD order that ran out of time
    "reason",
)):
    """A DAY order at the close, a GTD order at its expiry time, or an order that the book
    could not take at once: a fill-or-kill that cannot fill in full, a market order that
    meets no liquidity within its protection price. Those are accepted, then expired at once
    (as Binance, CME Globex and Deribit do): `rejected` is for orders that break a rule."""

    kind = "order_expired"
    __slots__ = ()


class OrderAmended(TupleEvent, fields=(
    "order_id",
    "account",
    "symbol",
    "side",
    "price",
    "qty",
    "remaining",
    "stop_price",
    "priority_kept",
)):
    kind = "order_amended"
    __slots__ = ()


class OrderTriggered(TupleEvent, fields=(
    "order_id",
    "account",
    "symbol",
    "side",
    "stop_price",
    "trigger_price",
)):
    """A stop order's trigger was reached: it now works as a market or limit order."""

    kind = "order_triggered"
    __slots__ = ()


class BookDelta(TupleEvent, fields=(
    "symbol",
    "side",
    "price",
    "qty",
)):
    """The visible quantity at one price level after a change (0: the level is gone)."""

    kind = "book_delta"
    __slots__ = ()


class TradingStateChanged(TupleEvent, fields=(
    "symbol",
    "state",
    "reason",  # a StatusReason's value, or the operator's text
    "until",  # end of a halt (ns), else None
    "limit_low",  # the daily limits in force afterwards (ticks) or None
    "limit_high",
)):
    kind = "trading_state"
    __slots__ = ()


class ContractListed(TupleEvent, fields=(
    "symbol",
    "product",
    "year",
    "month",
    "last_trade_ts",
)):
    kind = "contract_listed"
    __slots__ = ()


class IndexPublished(TupleEvent, fields=(
    "name",  # "SIT" or "GPU"
    "value",  # micro-USD
)):
    """An index publication reached the venue: marks, bands of new contracts and the final
    settlement average read it."""

    kind = "index_published"
    __slots__ = ()


class ReferencePriceSet(TupleEvent, fields=(
    "symbol",
    "price",
    "settlement",
    "limit_low",
    "limit_high",
)):
    kind = "reference_price"
    __slots__ = ()


def rejected(seq, clock: int, cmd, r) -> Rejected:
    """The one event of a refused command (`r`, a clearing.reasons.Rejection), with the next
    sequence number; what the command names (account, symbol, order) as far as it has it."""
    seq.last += 1
    if not isinstance(cmd, Command):  # nothing read from it: the journal keeps only its repr
        return Rejected(seq.last, clock, "?", None, None, None, None, r.reason, r.text)
    return Rejected(seq.last, getattr(cmd, "ts", clock), getattr(cmd, "tag", "?"),
                    getattr(cmd, "account", None), getattr(cmd, "symbol", None),
                    getattr(cmd, "order_id", None), getattr(cmd, "client_order_id", None),
                    r.reason, r.text)
