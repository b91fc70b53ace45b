"""What every agent shares: an account, its own random stream, a latency, and the state it
learns from its own events (open orders, positions), never from peeking at the venue.

An agent trades only through venue commands (`NewOrder`, `CancelOrder`, `AmendOrder`,
`CancelAll`), the ones a REST client sends. It sees the market through the session's public
market data (delayed by the market-data latency) and its own order and position events (delayed
by its own latency). The session calls:

    start(session)                 once, after the account is opened and funded
    wake(session)                  at each wake-up the agent asked for (`session.wake_in`)
    on_response(events)            the events of one of its own commands
    on_event(event)                any other event about its account (a passive fill, a
                                   margin call, a liquidation, a VM payment...)
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from clearing import clearing_events as CE
from clearing.reasons import Reason
from exchange.contracts import GPU, SIT
from exchange.events import (
    BookDelta,
    Fill,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    OrderExpired,
    Rejected,
)
from exchange.orders import TimeInForce
from marketmakers.scheduler import Latency, batched_draws

NS = 1_000_000_000
IOC = TimeInForce.IOC
PRODUCTS = (SIT.code, GPU.code)
# the events an agent keeps track of, by kind (anything else it ignores at once)
(_FILL, _SETTLED, _ACCEPTED, _POSITION, _GONE, _AMENDED, _REJECTED, _CALLED, _CURED,
 _LIQUIDATED) = range(10)
_BY_KIND = {_FILL: (Fill,), _SETTLED: (CE.FinalSettlement,), _ACCEPTED: (OrderAccepted,),
            _POSITION: (CE.PositionChanged,), _GONE: (OrderCancelled, OrderExpired),
            _AMENDED: (OrderAmended,), _REJECTED: (Rejected,), _CALLED: (CE.MarginCall,),
            _CURED: (CE.MarginCallCured,), _LIQUIDATED: (CE.LiquidationStarted,)}


_KINDS = {cls: kind for kind, classes in _BY_KIND.items() for cls in classes}  # event class -> kind
_IGNORED = -1


class OpenOrder:
    """One of the agent's orders as its own events describe it (lots: `remaining` of `qty`)."""

    __slots__ = ("price", "qty", "remaining", "side", "symbol")

    def __init__(self, symbol: str, side: int, price: int | None, remaining: int, qty: int):
        self.symbol, self.side, self.price, self.remaining, self.qty = symbol, side, price, remaining, qty


@dataclass(frozen=True)
class AgentParams:
    """What every agent kind takes (units in the names)."""

    cash_usd: int = 500_000  # deposited at the start
    wake_s: float = 60.0  # mean time between wake-ups (exponential)
    latency_floor_us: int = 50  # one-way order latency: floor ...
    latency_median_us: int = 300  # ... plus a log-normal part with this median
    product: str = "SIT"  # the product it trades
    expiry: int = 1  # which listed expiry: 1 = the front month, 2 = the next...

    def __post_init__(self):
        checks = ((self.cash_usd >= 0, "cash_usd must be >= 0"),
                  (self.wake_s > 0, "wake_s must be > 0"),
                  (self.latency_floor_us >= 0 and self.latency_median_us > 0,
                   "latency_floor_us must be >= 0 and latency_median_us > 0"),
                  (self.product in PRODUCTS, f"product must be one of {', '.join(PRODUCTS)}"),
                  (isinstance(self.expiry, int) and self.expiry >= 1, "expiry must be an integer >= 1"))
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    def latency(self) -> Latency:
        return Latency(self.latency_floor_us * 1_000, self.latency_median_us * 1_000)


class Agent:
    __slots__ = ("_listing", "_waits", "account", "in_flight", "inbox_ts", "latency",
                 "margin_called", "name", "orders", "out", "params", "positions", "random",
                 "rejections", "rng", "symbol")  # slotted: read on every message
    kind = "agent"
    market_maker = False

    def __init__(self, name: str, params: AgentParams, rng):
        self.name = name
        self.account = name
        self.params = params
        # numpy for the model draws, Python's generator (seeded from it) for the many small
        # per-decision draws: an order of magnitude cheaper per call
        self.rng = rng
        self.random = random.Random(int(rng.integers(2**63)))
        self._waits = exponential_draws(params.wake_s * NS, rng).__next__
        self.latency = params.latency().draws(rng).__next__
        self.orders: dict[int, OpenOrder] = {}  # its open orders by id
        self.positions: dict[str, int] = {}
        self.in_flight = 0  # commands sent and not answered yet
        self.inbox_ts = 0  # when its latest message arrives: its messages arrive in order
        self.rejections = 0
        self.margin_called = False
        self.out = False  # liquidated or defaulted: it stops trading
        self.symbol: str | None = None
        self._listing = -1  # the session's listing version its symbol was read at

    # -------------------------------------------------------------- the session calls these

    def start(self, session) -> None:
        self._follow_listing(session)
        self._reschedule(session)

    def _follow_listing(self, session) -> None:
        """Its contract is the nth listed expiry: after an expiry that is the next month."""
        self.symbol = session.symbol_for(self.params.product, self.params.expiry)
        self._listing = session.listing_version

    def wake(self, session) -> None:
        if self._listing != session.listing_version:
            self._follow_listing(session)
        if not self.out and self.symbol is not None:
            self.act(session)
        if not self.out:
            self._reschedule(session)

    def _reschedule(self, session) -> None:
        session.wake_in(self, self._next_wake())

    def act(self, session) -> None:
        """The agent's decision at a wake-up (subclasses)."""

    def on_response(self, events) -> None:
        self.in_flight -= 1
        for e in events:
            if type(e) is not BookDelta:  # public: it reads the book from market data
                self.on_event(e)

    def on_event(self, e) -> None:
        kind = _KINDS.get(type(e), _IGNORED)
        if kind < 0:
            return  # nothing it keeps track of (cash movements, marks, book deltas...)
        if kind == _FILL:
            if e.maker_account == self.account:
                self._filled(e.maker_order_id, e.maker_remaining)
            if e.taker_account == self.account:
                self._filled(e.taker_order_id, e.taker_remaining)
            self.on_fill(e)
            return
        if kind == _SETTLED:
            self.positions.pop(e.symbol, None)
            return
        if e.account != self.account:
            return  # a response carries every event of the command: the other side's too
        orders = self.orders
        if kind == _ACCEPTED:
            if e.status == "new" or e.status == "pending_trigger":
                orders[e.order_id] = OpenOrder(e.symbol, e.side, e.price, e.qty, e.qty)
        elif kind == _POSITION:
            self.positions[e.symbol] = e.position
        elif kind == _GONE:
            orders.pop(e.order_id, None)
        elif kind == _AMENDED:
            o = orders.get(e.order_id)
            if o is not None:
                o.price, o.remaining, o.qty = e.price, e.remaining, e.qty
        elif kind == _REJECTED:
            self.rejections += 1
            if e.reason == Reason.UNKNOWN_ORDER:
                orders.pop(e.order_id, None)  # gone before the command arrived
        elif kind == _CALLED:
            self.margin_called = True
        elif kind == _CURED:
            self.margin_called = False
        elif kind == _LIQUIDATED:
            self.out = True
            orders.clear()

    def on_fill(self, fill) -> None:
        """A fill of one of its orders (subclasses that react to fills)."""

    def trade_toward(self, session, target: int, clip: int, slippage_ticks: int) -> None:
        """Move its position toward `target` lots with one marketable IOC limit order of at
        most `clip` lots, priced `slippage_ticks` through the touch it sees."""
        gap = target - self.position()
        if not gap or self.in_flight:
            return
        bid, _, ask, _, _ = session.top(self.symbol)
        side = 1 if gap > 0 else -1
        touch = ask if side > 0 else bid
        if touch is None:
            return
        qty = min(abs(gap), clip)
        session.limit(self, self.symbol, side, qty, touch + side * slippage_ticks, IOC)

    def reduce_risk(self, session) -> None:
        """Under a margin call: pull its orders and halve its position with a market order."""
        if self.in_flight:
            return
        for o in self.orders.values():  # (a loop, not any(...): no closures in a C method)
            if o.symbol == self.symbol:
                session.cancel_all(self, self.symbol)
                break
        pos = self.position()
        if abs(pos) > 1:
            session.market(self, self.symbol, -1 if pos > 0 else 1, abs(pos) // 2)

    # -------------------------------------------------------------- helpers

    def _filled(self, order_id: int, remaining: int) -> None:
        if remaining:
            o = self.orders.get(order_id)
            if o is not None:
                o.remaining = remaining
        else:
            self.orders.pop(order_id, None)

    def _next_wake(self) -> int:
        """An exponential wait: its decisions arrive as a Poisson process."""
        return self._waits()

    def position(self, symbol: str | None = None) -> int:
        return self.positions.get(symbol or self.symbol, 0)



def exponential_draws(mean_ns: float, rng, batch: int = 1024):
    """Endless exponential waiting times (ns, at least 1) with mean `mean_ns`, in batches."""
    return batched_draws(lambda: (rng.exponential(mean_ns, batch).astype(np.int64) + 1).tolist())


def mid_of(top: tuple) -> float | None:
    """The mid of a (bid, lots, ask, lots, last) top of book, or None when one side is empty."""
    bid, _, ask, _, _ = top
    if bid is None or ask is None:
        return None
    return (bid + ask) / 2
