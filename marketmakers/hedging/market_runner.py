"""A year of the venue for one hedger, compressed into daily trading windows.

A market session runs tick by tick around the clock (marketmakers/session.py): a year of it
would take hours. What a hedge programme needs from the market is its fills on the days it
trades and a mark for every contract every day. So the market here trades only in a window
before each day's 16:00 fixing, and the clock jumps from one window's close to the next
window's open: agents see one continuous market (their wake-ups and latencies run on window
time), the venue sees the real timestamps of the day the window belongs to.

- Windows: `window_s` long on the days a tranche is bought, `quiet_window_s` on the others
  (the makers look once and quote; a noise trader now and then trades). Resting orders are
  cancelled at each window's close: through the hours the compression drops they would have
  been requoted, and a stale quote left for the next window is one the first taker picks off.
- Prices: within a window the index holds the day's value (intra-day moves are dropped). Each
  registered maker quotes one contract month around its fair value F(k, m), the expected
  monthly average given the day's price (forward.py): makers know the price model, as they
  know the fundamental in `sitex simulate`. Its Avellaneda-Stoikov skew, ladder, inventory
  limit and protection are the session's own (marketmakers/agents/market_maker.py).
- Noise traders (the session's own kind) trade each month around the book.
- The exchange's settlement: at each fixing the day's index value is published (the daily
  fixing), contracts past their last trading time expire and settle on the average of their
  month's fixings (the venue's own rule), the clearinghouse marks and settles variation margin
  (end of day), and each contract's daily settlement price (the reference of the next day's
  price band and limits) is set: its fair value within the day's limits (the settlement of a
  back month that may not have traded: CME derives those from spreads to traded months, here
  from the price model the makers quote by). The clearinghouse marks to a tight book in full
  (its basis clamp opened to 100%): a back month in contango is priced by its market, not at
  the index.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from clearing.clearinghouse import ClearingHouse
from clearing.config import ClearingConfig
from clearing.margin import default_margin_model
from clearing.types import INDEX_SCALE, NS_PER_SECOND
from exchange import commands as C
from exchange.contracts import contract_symbol, with_rules
from exchange.events import ContractListed, TradingStateChanged
from exchange.orders import OrderType, TimeInForce
from exchange.venue import Venue
from marketmakers.agents.session_view import SessionView
from marketmakers.venue_port import LocalVenue

NS_PER_DAY = 86_400 * NS_PER_SECOND
NS_PER_YEAR = 365 * NS_PER_DAY
TICKS_PER_USD = 1_000
_EMPTY_TOP = (None, 0, None, 0, None)
_WAKE, _ARRIVE, _RESPOND, _DELIVER = range(4)  # what a queued item does


@dataclass(frozen=True)
class Compression:
    window_s: float = 600.0  # trading window on the days the hedger buys
    quiet_window_s: float = 2.0  # on the other days: the makers refresh their quotes


def mark_following_config() -> ClearingConfig:
    """The rulebook with the mark taken from a tight book in full (module docstring)."""
    return ClearingConfig(basis_clamp_bps=10_000, basis_alpha_bps=10_000)


class _BoundView(SessionView):
    """What one agent sees: the market, with its own contract month and fair value (a maker
    quotes against `fundamental_ticks`: here its month's fair value). `listing_version` is a
    field: the market sets it on every view."""

    __slots__ = ("_m", "_month", "_symbol", "listing_version")

    def __init__(self, market: CompressedMarket, symbol: str | None, month: int | None):
        self._m, self._symbol, self._month = market, symbol, month
        self.listing_version = market.listing_version

    @property
    def now(self) -> int:
        return self._m.now

    def symbol_for(self, product, expiry):
        return self._symbol if self._symbol in self._m.tradable else None

    def listed(self, product):
        return self._m.listed(product)

    def wake_in(self, agent, delay_ns):
        self._m.wake_in(agent, delay_ns)

    def top(self, symbol):
        return self._m.top(symbol)

    def index_ticks(self, name):
        return self._m.index_ticks(name)

    def fundamental_ticks(self, name="SIT"):
        return self._m.fair_ticks(self._month)

    def next_fundamental_move(self, name, ts):
        return self._m.next_open()

    def sigma_ticks_per_sqrt_s(self, name="SIT"):
        return self._m.sigma_ticks(self._month)

    def limit(self, agent, symbol, side, qty, price, tif=TimeInForce.GTC):
        self._m.send(agent, C.NewOrder, (symbol, side, qty, price, OrderType.LIMIT, tif))

    def market(self, agent, symbol, side, qty):
        self._m.send(agent, C.NewOrder, (symbol, side, qty, None, OrderType.MARKET, TimeInForce.IOC))

    def cancel(self, agent, order_id):
        self._m.send(agent, C.CancelOrder, (order_id,))

    def amend(self, agent, order_id, qty=None, price=None):
        self._m.send(agent, C.AmendOrder, (order_id, qty, price))

    def cancel_all(self, agent, symbol=None):
        self._m.send(agent, C.CancelAll, (symbol,))


@dataclass
class DayRecord:
    """The hedger's account at a day's close, after the clearinghouse's end-of-day cycle."""

    cash: int  # cents
    initial_margin: int  # cents


class CompressedMarket:
    """The venue, its clearinghouse and the agents over a horizon of daily windows.

    `fair[k, m]` is the fair value (USD) of study month m in day k's window; `fixings[k]` the
    index value published at day k's fixing (k = 0..days; day 0 is when the hedge starts).
    `agents` are (agent, symbol or None, month or None): each trades through its own view.
    `trading_days`: the days with a full window.
    """

    def __init__(self, product, months: list[tuple[int, int]], start_fix_ts: int,
                 fixings: np.ndarray, fair: np.ndarray, sigma: float, agents: list,
                 deposits: dict[str, int], trading_days: set[int], compression: Compression):
        self.product = with_rules(product, listed_months=len(months) + 2)
        self.symbols = [contract_symbol(product.code, y, m) for y, m in months]
        self.month_of = {s: i for i, s in enumerate(self.symbols)}
        self.gate = ClearingHouse(mark_following_config(), margin=default_margin_model())
        self.venue = Venue(products=(self.product,), gate=self.gate)
        self.port = LocalVenue(self.venue)
        self.start_fix_ts = start_fix_ts
        self.fixings, self.fair, self.sigma = fixings, fair, sigma
        self.compression = compression
        self.trading_days = trading_days
        self.listing_version = 0
        self.tradable: set[str] = set()
        self.view_of = {agent: _BoundView(self, symbol, month) for agent, symbol, month in agents}
        self.by_account = {agent.account: agent for agent in self.view_of}
        self.deposits = deposits
        self._heap: list = []
        self._seq = 0
        self.now = 0  # window time, ns: continuous across windows
        self.day = 0
        self._close_at = 0  # window time of the current window's close
        self.commands = 0
        self.events = 0

    # ---- the clock: window time <-> the venue's real time -------------------------------

    def _window_ns(self, day: int) -> int:
        c = self.compression
        return round((c.window_s if day in self.trading_days else c.quiet_window_s) * NS_PER_SECOND)

    def real_ts(self) -> int:
        """The venue's timestamp for now: the current window ends at its day's fixing."""
        fix = self.start_fix_ts + self.day * NS_PER_DAY
        return fix - (self._close_at - self.now)

    def next_open(self) -> int:
        return self._close_at  # the next window opens where this one closes

    # ---- what the views ask ---------------------------------------------------------------

    def listed(self, product):
        return self.port.listed(product)

    def wake_in(self, agent, delay_ns: int) -> None:
        self._push(self.now + max(0, delay_ns), _WAKE, agent)

    def top(self, symbol):
        return self.port.top(symbol) if symbol in self.tradable else _EMPTY_TOP

    def index_ticks(self, name):
        value = self.port.index_value(name)
        return None if value is None else value * TICKS_PER_USD / INDEX_SCALE

    def fair_ticks(self, month):
        if month is None:
            return None
        return float(self.fair[self.day, month]) * TICKS_PER_USD

    def sigma_ticks(self, month) -> float:
        fair = self.fair_ticks(month) or 0.0
        return self.sigma * fair / math.sqrt(NS_PER_YEAR / NS_PER_SECOND)

    def send(self, agent, cls, args) -> None:
        agent.in_flight += 1
        self._push(self.now + agent.latency(), _ARRIVE, (agent, cls, args))

    # ---- the loop ---------------------------------------------------------------------------

    def _push(self, at: int, kind: int, payload) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, kind, payload))

    def _system(self, cmd) -> list:
        events = self.venue.submit(cmd)
        self.commands += 1
        if any(type(e) in (ContractListed, TradingStateChanged) for e in events):
            self._relist()
        self._dispatch(events, None)
        return events

    def _relist(self) -> None:
        self.tradable = {s for s, _ in self.port.listed(self.product.code)} & set(self.symbols)
        self.listing_version += 1
        for view in self.view_of.values():
            view.listing_version = self.listing_version

    def _dispatch(self, events: list, sender) -> None:
        self.events += len(events)
        if sender is not None:
            self._push(_inbox(sender, self.now), _RESPOND, (sender, events))
        others: dict = {}
        for e in events:
            for account in _accounts(e):
                agent = self.by_account.get(account)
                if agent is not None and agent is not sender:
                    others.setdefault(agent, []).append(e)
        for agent, mine in others.items():
            self._push(_inbox(agent, self.now), _DELIVER, (agent, mine))

    def _run_window(self) -> None:
        heap, view_of = self._heap, self.view_of
        while heap and heap[0][0] < self._close_at:
            at, _, kind, payload = heapq.heappop(heap)
            self.now = at
            if kind == _WAKE:
                payload.wake(view_of[payload])
            elif kind == _ARRIVE:
                agent, cls, args = payload
                cmd = cls(self.real_ts(), agent.account, *args)
                events = self.venue.submit(cmd)
                self.commands += 1
                self._dispatch(events, agent)
            elif kind == _RESPOND:
                payload[0].on_response(payload[1])
            else:  # _DELIVER
                for e in payload[1]:
                    payload[0].on_event(e)
        self.now = self._close_at

    def run(self, on_close) -> None:
        """Every day's window then its close; `on_close(day, market)` after each close."""
        days = len(self.fixings) - 1
        self._open_day(0)
        first = self.real_ts()
        self._system(C.ListContracts(first))
        self._system(C.PublishIndex(first, self.product.index_name, self._micro(0)))
        for sym in sorted(self.tradable):
            self._system(C.SetReferencePrice(first, sym, self._fair_price(0, sym), True))
        for agent, view in self.view_of.items():
            self._system(C.OpenAccount(first, agent.account, agent.market_maker))
            self._system(C.Deposit(first, agent.account, self.deposits[agent.account]))
            agent.start(view)
        for day in range(days + 1):
            if day:
                self._open_day(day)
                ts = self.real_ts()
                self._system(C.AdvanceTime(ts))
                self._system(C.PublishIndex(ts, self.product.index_name, self._micro(day)))
            self._run_window()
            self._close_day(day)
            on_close(day, self)

    def _open_day(self, day: int) -> None:
        self.day = day
        self.now = self._close_at  # the clock jumps: this window opens where the last closed
        self._close_at += self._window_ns(day)

    def _close_day(self, day: int) -> None:
        ts = self.start_fix_ts + day * NS_PER_DAY
        self._system(C.AdvanceTime(ts))
        self._system(C.PublishIndex(ts, self.product.index_name, self._micro(day)))  # the fixing
        for market in self.venue.markets():
            if market.state != "expired" and ts >= market.spec.last_trade_ts:
                self._system(C.ExpireContract(ts, market.symbol))
        self._system(C.ListContracts(ts))
        self._system(C.MarkCycle(ts, True))
        for sym in sorted(self.tradable):  # the daily settlement price: the reference of tomorrow
            self._system(C.SetReferencePrice(ts, sym, self._settlement_price(day, sym), True))
        for agent in self.view_of:  # the window closes: what rests would be stale at the next
            if agent.orders:
                self._system(C.CancelAll(ts, agent.account, None))

    def _settlement_price(self, day: int, symbol: str) -> int:
        """The contract's fair value within the day's price limits: a settlement cannot pass
        the limits, so after a jump larger than the limit the market catches up a limit a day,
        as a limit-locked futures market does."""
        m = self.venue.market(symbol)
        price = self._fair_price(day, symbol)
        if m.limit_high is not None:
            price = min(max(price, m.limit_low), m.limit_high)
        return price

    def _micro(self, day: int) -> int:
        return max(1, round(float(self.fixings[day]) * INDEX_SCALE))

    def _fair_price(self, day: int, symbol: str) -> int:
        return max(1, round(float(self.fair[day, self.month_of[symbol]]) * TICKS_PER_USD))

    def account(self, account: str) -> DayRecord:
        summary = self.gate.account_summary(account)
        return DayRecord(cash=summary["cash"], initial_margin=summary["initial_margin"])


def _inbox(agent, now: int) -> int:
    """After the agent's latency, never before a message sent to it earlier (one ordered
    stream, as marketmakers/session.py)."""
    t = now + agent.latency()
    t = max(t, agent.inbox_ts)
    agent.inbox_ts = t
    return t


def _accounts(e) -> tuple:
    """The accounts an event concerns."""
    fields = getattr(type(e), "_fields", None)
    if fields is not None and "maker_account" in fields:
        return (e.maker_account, e.taker_account)
    for name in ("account", "defaulter"):
        value = getattr(e, name, None)
        if value is not None:
            return (value,)
    return ()
