"""One small type per command the venue accepts.

A command carries its own time `ts` (ns since the epoch): the venue reads no clock. Every
command turns into a flat record (a tuple of ints, strings and None) for the journal and back
again, so replaying a journal gives the same commands, and the same events.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from exchange.orders import STP, OrderType, TimeInForce

COMMAND_TYPES: dict[str, type] = {}


_ENUM_FIELDS = {"side", "type", "tif", "stp"}
_PLAIN = (str, float, type(None))  # what a record may carry as it came (the venue rejects it)


def _command(cls):
    """Register a command class under its `tag` and give it a fast `to_record`.

    `to_record` is generated per class (the journal calls it once per command on the hot
    path): (tag, field values...) with enum fields as plain ints. `v + 0` makes an IntEnum (or
    a bool) its plain int, several times faster than `int(v)`; a value that is no number at all
    takes `_careful_record`.
    """
    cls = dataclass(slots=True)(cls)
    names = tuple(f.name for f in fields(cls))
    parts = [f"self.{n} + 0" if n in _ENUM_FIELDS else f"self.{n}" for n in names]
    namespace: dict = {"_careful_record": _careful_record}
    exec(f"def to_record(self):\n"
         f"    try:\n"
         f"        return ({cls.tag!r}, {', '.join(parts)})\n"
         f"    except TypeError:\n"
         f"        return _careful_record(self)\n", namespace)
    cls.to_record = namespace["to_record"]
    COMMAND_TYPES[cls.tag] = cls
    return cls


def _careful_record(cmd) -> tuple:
    """The record of a command whose enum field holds something else (a string, None...): kept
    as it is, so that replaying the journal meets the same rejection as the live venue did."""
    values = []
    for f in fields(cmd):
        v = getattr(cmd, f.name)
        if f.name in _ENUM_FIELDS:
            if isinstance(v, int):
                v = int(v)
            elif not isinstance(v, _PLAIN):
                raise TypeError(f"{cmd.tag}: {f.name} must be an integer, got {v!r}")
        values.append(v)
    return (cmd.tag, *values)


class Command:
    __slots__ = ()
    tag = "?"

    def to_record(self) -> tuple:
        """(tag, field values...) with enums as plain ints: what the journal stores."""
        raise NotImplementedError  # generated per command class by @_command


def command_from_record(record) -> Command:
    cls = COMMAND_TYPES[record[0]]
    return cls(*record[1:])


@_command
class NewOrder(Command):
    tag = "new"
    ts: int
    account: str
    symbol: str
    side: int  # Side.BUY (+1) or Side.SELL (-1)
    qty: int  # lots
    price: int | None = None  # ticks; required for limit and stop-limit
    type: int = OrderType.LIMIT
    tif: int = TimeInForce.GTC
    stop_price: int | None = None  # ticks; stop and stop-limit
    display_qty: int | None = None  # iceberg: the part shown in the book
    expire_at: int | None = None  # ns; GTD only
    post_only: bool = False
    reduce_only: bool = False
    client_order_id: str | None = None
    stp: int = STP.CANCEL_NEWEST
    stp_group: str | None = None  # self-match id; defaults to the account


@_command
class CancelOrder(Command):
    tag = "cancel"
    ts: int
    account: str
    order_id: int


@_command
class AmendOrder(Command):
    """Change price and/or total quantity. A pure quantity decrease keeps queue priority;
    a price change or a quantity increase loses it."""

    tag = "amend"
    ts: int
    account: str
    order_id: int
    qty: int | None = None  # new total quantity (filled part included), lots
    price: int | None = None  # new limit price, ticks
    stop_price: int | None = None  # new stop price, ticks (stops not yet triggered)


@_command
class CancelAll(Command):
    tag = "cancel_all"
    ts: int
    account: str
    symbol: str | None = None


@_command
class SetTradingState(Command):
    """Operator command: move a contract (or every contract with symbol None) to a state."""

    tag = "state"
    ts: int
    symbol: str | None
    state: str  # "pre_open" | "open" | "halted" | "closed"
    reason: str = "operator"


@_command
class AdvanceTime(Command):
    """Let time pass: expires GTD orders, ends halts, expires contracts that are due."""

    tag = "time"
    ts: int


@_command
class SetReferencePrice(Command):
    """A settlement price: the reference of the daily limits (and of the band until a trade)."""

    tag = "reference"
    ts: int
    symbol: str
    price: int  # ticks
    settlement: bool = True  # a daily settlement also resets the daily limits


@_command
class ListContracts(Command):
    """List every product's next expiries according to the calendar (idempotent)."""

    tag = "list"
    ts: int


@_command
class ExpireContract(Command):
    """Stop trading in a contract and cancel its orders; with the clearinghouse plugged in,
    final settlement at `settlement_price` (ticks) follows."""

    tag = "expire"
    ts: int
    symbol: str
    settlement_price: int | None = None


# Clearing commands: the venue forwards them to the clearinghouse.


@_command
class OpenAccount(Command):
    tag = "open_account"
    ts: int
    account: str
    market_maker: bool = False


@_command
class Deposit(Command):
    tag = "deposit"
    ts: int
    account: str
    amount: int  # cents


@_command
class Withdraw(Command):
    tag = "withdraw"
    ts: int
    account: str
    amount: int  # cents


@_command
class SetMarketMakerStanding(Command):
    """The market-maker regime's review: a registered maker in good standing with its
    obligations earns the fee rebate, one that is not pays the full maker fee."""

    tag = "mm_standing"
    ts: int
    account: str
    good: bool


@_command
class PublishIndex(Command):
    """An index publication reaches the venue: value in integer micro-USD."""

    tag = "index"
    ts: int
    name: str
    value: int


@_command
class MarkCycle(Command):
    """Mark every contract, settle variation margin, check margin, liquidate if needed."""

    tag = "mark"
    ts: int
    end_of_day: bool = False
