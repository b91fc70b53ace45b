"""The Venue: the single-writer, deterministic state machine of the exchange.

`Venue.submit(command)` is the only way in. It checks the contract rules, asks the risk gate,
matches, hands every fill to clearing, and returns the events the command caused, in order,
each with the next gap-free sequence number. It reads no clock (time is the command's `ts`) and
does no I/O (the journal, if attached, only buffers). So the same commands always give the
same events, and replaying a journal rebuilds the same state (see `digest()`).

A refused command raises `Rejection` inside before anything changes; `submit` turns it into
exactly one `Rejected` event.

The venue composes the parts that decide, each given the state it decides on (the markets and
their books, the live orders, the sequencer, the timers, the gate):

    rules.py        the contract rules (pure checks)       entry.py        new orders
    matching.py     matching; rest or cancel what is left  changes.py      cancels and amends
    stops.py        stop triggers, what a trade sets off   reduce_only.py  reduce-only orders
    states.py       the trading state machine, halts       listing.py      listing, expiry, references
    liquidation.py  the mark cycle and close-outs          timers.py       what is due when
"""

from __future__ import annotations

import hashlib

from clearing.events import Sequencer
from clearing.port import ClearingPort
from clearing.reasons import Reason, Rejection
from exchange import commands as C
from exchange.changes import OrderChanges
from exchange.contracts import GPU, SIT, ProductSpec
from exchange.entry import OrderEntry
from exchange.events import StatusReason, rejected
from exchange.listing import Listing
from exchange.liquidation import Liquidation
from exchange.live_orders import LiveOrders
from exchange.market import CLOSED, EXPIRED, OPEN, Market, book_tops
from exchange.matching import Matcher
from exchange.orders import Order, OrderStatus, TimeInForce
from exchange.permissive_gate import PermissiveGate
from exchange.reduce_only import ReduceOnly
from exchange.states import TradingStates
from exchange.stops import Stops
from exchange.timers import GTD, HALT_END, LAST_TRADE, Timers

_GTD = TimeInForce.GTD
_PENDING = OrderStatus.PENDING_TRIGGER
_LAST_TRADE = StatusReason.LAST_TRADE.value


class Venue:
    def __init__(
        self,
        products: tuple[ProductSpec, ...] = (SIT, GPU),
        gate: ClearingPort | None = None,
        journal=None,
        initial_state: str = OPEN,
    ):
        self.products = {p.code: p for p in products}
        self._seq = seq = Sequencer()
        self.gate = gate = gate if gate is not None else PermissiveGate()
        gate.bind_sequencer(seq)
        self.journal = journal
        self.initial_state = initial_state
        self.clock = 0
        self._markets: dict[str, Market] = {}
        self._index: dict[str, int] = {}  # latest index values (micro-USD)
        self.live = live = LiveOrders()
        self.timers = timers = Timers()
        markets = self._markets
        self.matcher = matcher = Matcher(seq, live, timers, gate)
        self.states = TradingStates(markets, seq, live, timers, matcher)
        self.reduce_only = reduce_only = ReduceOnly(markets, seq, live, matcher, gate)
        self.stops = stops = Stops(seq, live, matcher, self.states, reduce_only)
        self.entry = OrderEntry(markets, seq, live, matcher, stops, reduce_only, timers, gate)
        self.changes = OrderChanges(markets, seq, live, matcher, stops, reduce_only, gate)
        self.listing = Listing(self.products, markets, self._index, seq, gate, timers, matcher,
                               self.states, initial_state)
        self.liquidation = Liquidation(markets, seq, live, matcher, self.entry, gate)
        # the parts' bound methods (a snapshot pickles the venue, and them with it)
        self._handlers = {
            C.NewOrder: self.entry.new_order,
            C.CancelOrder: self.changes.cancel,
            C.AmendOrder: self.changes.amend,
            C.CancelAll: self.changes.cancel_all,
            C.SetTradingState: self.states.set_state,
            C.AdvanceTime: _advance_time,
            C.SetReferencePrice: self.listing.set_reference,
            C.ListContracts: self.listing.list_contracts,
            C.ExpireContract: self.listing.expire_contract,
            C.OpenAccount: self._open_account,
            C.Deposit: self._deposit,
            C.Withdraw: self._withdraw,
            C.PublishIndex: self.listing.publish_index,
            C.SetMarketMakerStanding: self._set_mm_standing,
            C.MarkCycle: self.liquidation.mark_cycle,
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
            return [rejected(self._seq, self.clock, cmd, self._refusal(cmd, handler, ts))]
        self.clock = ts
        out: list = []
        if ts >= self.timers.next_due:
            self._run_timers(ts, out)
        try:
            handler(cmd, out)
        except Rejection as r:
            out.append(rejected(self._seq, self.clock, cmd, r))
        return out

    def _refusal(self, cmd, handler, ts) -> Rejection:
        if handler is None or type(ts) is not int:
            return Rejection(Reason.INVALID_COMMAND, f"not a venue command: {cmd!r}")
        return Rejection(Reason.TIME_WENT_BACKWARDS,
                         f"command time {ts} is before the venue clock {self.clock}")

    def _run_timers(self, ts: int, out: list) -> None:
        while True:
            timer = self.timers.pop_due(ts)
            if timer is None:
                return
            due, kind, key = timer
            if kind == GTD:
                o = self.live.by_id.get(key)
                if o is not None and o.tif == _GTD and o.expire_at == due:
                    self.states.expire_order(o, due, out)
            elif kind == HALT_END:
                self.states.end_halt(self._markets[key], due, out)
            elif kind == LAST_TRADE:
                m = self._markets[key]
                if m.state != EXPIRED and m.state != CLOSED:
                    self.states.close(m, _LAST_TRADE, due, out)

    # ------------------------------------------------------------------------- accounts and cash (the clearing's)

    def _open_account(self, c: C.OpenAccount, out: list) -> None:
        self.gate.open_account(c.account, c.ts, out, market_maker=c.market_maker)

    def _deposit(self, c: C.Deposit, out: list) -> None:
        self.gate.deposit(c.account, c.amount, c.ts, out)

    def _withdraw(self, c: C.Withdraw, out: list) -> None:
        self.gate.withdraw(c.account, c.amount, c.ts, out)

    def _set_mm_standing(self, c: C.SetMarketMakerStanding, out: list) -> None:
        self.gate.set_market_maker_standing(c.account, c.good, c.ts, out)

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
        return self.live.by_id.get(order_id)

    def live_orders(self, account: str):
        """The account's live orders (resting or pending trigger), a read-only view."""
        return self.live.of_account(account)

    def open_orders(self, account: str, symbol: str | None = None) -> list[Order]:
        return [o for o in self.live.of_account(account) if symbol is None or o.symbol == symbol]

    def last_trade_price(self, symbol: str) -> int | None:
        return self._markets[symbol].last_trade

    def reference_price(self, symbol: str) -> int | None:
        """The price band's reference (the last trade, or a settlement set after it)."""
        return self._markets[symbol].band_anchor

    def index_value(self, name: str) -> int | None:
        return self._index.get(name)

    def book_tops(self) -> dict:
        """symbol -> (best bid, best ask, last trade), for marking."""
        return book_tops(self._markets)

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
        h.update(repr((clock, self.entry.order_id, self.matcher.trade_id,
                       sorted(self.live.client_ids), sorted(self._index.items()),
                       sorted(self.timers.heap))).encode())
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
        by_id = self.live.by_id
        for m in self._markets.values():
            m.book.check()
            for side in (1, -1):
                for o in m.book.orders(side):
                    assert by_id.get(o.order_id) is o, o
                    seen.add(o.order_id)
                stops = m.stops(side)
                for price, bucket in stops.items():
                    assert bucket
                    for o in bucket.values():
                        assert o.status == _PENDING and o.stop_price == price and o.side == side
                        assert by_id.get(o.order_id) is o
                        seen.add(o.order_id)
        assert seen == set(by_id), "index holds orders that are not in a book"
        self.live.check()


def _advance_time(c: C.AdvanceTime, out: list) -> None:
    """Timers already ran in `submit`; nothing else to do."""


def _order_state(o: Order) -> tuple:
    # enums as plain ints: a command from a journal carries ints where a live one had enums
    return (o.order_id, o.account, o.symbol, int(o.side), int(o.type), o.price, o.qty,
            o.remaining, o.visible, o.display_qty, int(o.tif), o.expire_at, o.stop_price,
            o.post_only, o.reduce_only, o.client_order_id, int(o.stp), o.stp_group, o.ts,
            int(o.status), o.top)
