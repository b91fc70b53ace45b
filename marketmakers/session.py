"""The session runner: agents, the venue with its clearinghouse, the provider feeds and the
index, on one simulated clock.

A discrete-event loop (marketmakers/scheduler.py). Orders reach the venue after the sending
agent's latency; the events they cause reach each agent concerned after that agent's latency;
public market data (top of book, last trade, index) reaches every agent `md_latency` after the
change. Index publications, mark and variation-margin cycles, expiries and samples for the
report run on schedule. Everything random comes from per-name streams of one seed, so the same
seed and configuration give the same event log (its SHA-256 is the session's digest).

A session of several days (`days`) trades in a window of `window_hours` before each day's
16:00 UTC fixing, and the clock jumps from one window's close to the next window's open (as
the hedging study's compressed market does: marketmakers/hedging/market_runner.py). At each
close the end-of-day mark and variation margin run as in a one-day session, each contract's
daily settlement price is set (its mark, within the day's limits: the reference of the next
day's band and limits), and resting orders are cancelled. Across the jump everything scheduled
(agents' wake-ups, orders and messages in flight, the cycles) moves with the clock, so agents
find the market as they left it, a night later: the fundamental, the index, the listing, the
expiries and the variation margin follow the real calendar, and each window trades tick by
tick as a one-day session does.
"""

from __future__ import annotations

import gc
import math
import time
from collections import deque
from operator import attrgetter

from clearing import clearing_events as CE
from clearing.factory import default_clearinghouse
from clearing.types import INDEX_SCALE, NS_PER_SECOND
from exchange import commands as C
from exchange.events import BookDelta, ContractListed, Fill, TradingStateChanged
from exchange.orders import OrderType, TimeInForce
from exchange.venue import Venue
from marketmakers.agents.config import build_agents
from marketmakers.event_log import EventLog
from marketmakers.fundamental_path import NS_PER_YEAR, TICKS_PER_USD, FundamentalPath
from marketmakers.index_feed import IndexSource, publishable
from marketmakers.obligations import ObligationTracker
from marketmakers.record import SAMPLE_KEYS, SessionRecord
from marketmakers.record_builder import build_record
from marketmakers.rng import stream
from marketmakers.scenarios import load_scenario
from marketmakers.scheduler import Scheduler
from marketmakers.session_config import NS_PER_DAY, SessionConfig
from marketmakers.venue_port import LocalVenue

MICRO_PER_TICK = INDEX_SCALE // TICKS_PER_USD
_LIMIT, _MARKET = OrderType.LIMIT, OrderType.MARKET
_GTC, _IOC = TimeInForce.GTC, TimeInForce.IOC


class Session:
    """The runner; what agents call on it is a SessionView (marketmakers/agents/session_view.py)."""

    def __init__(self, config: SessionConfig = SessionConfig(), venue: Venue | None = None,  # noqa: B008 - frozen
                 progress=None, log_path=None):
        self.config = config
        self.start_ts = config.start_ts()
        self.end_ts = self.start_ts + config.span_ns()
        self.scheduler = Scheduler(self.start_ts)
        self.venue = venue if venue is not None else Venue(gate=default_clearinghouse())
        self.port = LocalVenue(self.venue)
        self._submit = self.port.submit
        self.progress = progress  # called with the fraction of the session done
        seed = config.seed
        step = round(config.fundamental_step_s * NS_PER_SECOND)
        scenario, gpu = load_scenario(config.scenario), load_scenario(config.gpu_scenario)
        if scenario.index_name != "SIT" or gpu.index_name != "GPU":
            raise ValueError(f"the session needs a SIT scenario and a GPU scenario; {config.scenario!r} "
                             f"drives {scenario.index_name}, {config.gpu_scenario!r} drives {gpu.index_name}")
        self.scenario = scenario
        self.fundamentals = {
            scenario.index_name: FundamentalPath(scenario, self.start_ts, self.end_ts, step,
                                                 stream(seed, "fundamental.SIT")),
            gpu.index_name: FundamentalPath(gpu, self.start_ts, self.end_ts, step,
                                            stream(seed, "fundamental.GPU")),
        }
        self.indices = {
            scenario.index_name: IndexSource(scenario.feed.build(stream(seed, "feed.SIT"))),
            gpu.index_name: IndexSource(gpu.feed.build(stream(seed, "feed.GPU"))),
        }
        self.agents = build_agents(config.agents, seed)
        self.by_account = {a.account: a for a in self.agents}
        self.makers = [a for a in self.agents if a.market_maker]
        self.log = EventLog()
        self.log_path = log_path  # where the event log CSV goes (None: only its digest)
        self.events = 0
        self.commands = 0
        self.md: dict[str, tuple] = {}  # symbol -> delayed (bid, bid lots, ask, ask lots, last)
        self.md_index: dict[str, int] = {}  # index name -> delayed value (micro-USD)
        self._md_queue: deque = deque()  # (due ts, symbol or None, snapshot / (name, value))
        self._md_latency = config.md_latency_us * 1_000
        # symbol -> [trades, lots, trades since the last sample, lots since the last sample]
        self.flow: dict[str, list[int]] = {}
        self.risk_events: list[dict] = []
        self.trackers: dict[str, ObligationTracker] = {}
        self.deposits = {a.account: a.params.cash_usd * 100 for a in self.agents}
        # every series from the start: a session shorter than one sample interval has none
        self.samples: dict[str, list] = {key: [] for key in SAMPLE_KEYS}
        self.maker_series: dict[str, dict[str, list]] = {}
        self.primary: str | None = None
        self.primaries: list = []
        self.wall_s = 0.0
        self._listed: dict[str, list] = {}
        self.listing_version = 0  # moves when a contract is listed or stops trading

    # ------------------------------------------------------------------ what agents call

    @property
    def now(self) -> int:
        return self.scheduler.now

    def symbol_for(self, product: str, expiry: int) -> str | None:
        listed = self.listed(product)
        return listed[expiry - 1][0] if 0 < expiry <= len(listed) else None

    def listed(self, product: str) -> list[tuple[str, int]]:
        """The product's tradable expiries, nearest first (public reference data)."""
        cached = self._listed.get(product)
        if cached is None:
            cached = self._listed[product] = self.port.listed(product)
        return cached

    def wake_in(self, agent, delay_ns: int) -> None:
        if delay_ns < 0:
            raise ValueError(f"cannot wake {agent.name} {delay_ns} ns in the past")
        self.scheduler.push(self.scheduler.now + delay_ns, agent.wake, (self,))

    def top(self, symbol: str) -> tuple:
        """Public top of book as the agent sees it (delayed): (bid, lots, ask, lots, last)."""
        self._drain_md()
        return self.md.get(symbol, _EMPTY_TOP)

    def index_ticks(self, name: str) -> float | None:
        self._drain_md()
        value = self.md_index.get(name)
        return value / MICRO_PER_TICK if value is not None else None

    def fundamental_ticks(self, name: str = "SIT") -> float:
        """The fundamental that market makers quote against, in ticks."""
        path = self.fundamentals[name]
        return path.usd(self.scheduler.now) * TICKS_PER_USD

    def next_fundamental_move(self, name: str, ts: int) -> int | None:
        """When the fundamental next moves a whole tick (market makers look again then)."""
        path = self.fundamentals[name]
        return path.next_move(ts)

    def sigma_ticks_per_sqrt_s(self, name: str = "SIT") -> float:
        path = self.fundamentals[name]
        return path.sigma * path.usd(self.scheduler.now) * TICKS_PER_USD / math.sqrt(NS_PER_YEAR / NS_PER_SECOND)

    def limit(self, agent, symbol: str, side: int, qty: int, price: int, tif: int = _GTC) -> None:
        self._send(agent, C.NewOrder, (symbol, side, qty, price, _LIMIT, tif))

    def market(self, agent, symbol: str, side: int, qty: int) -> None:
        self._send(agent, C.NewOrder, (symbol, side, qty, None, _MARKET, _IOC))

    def cancel(self, agent, order_id: int) -> None:
        self._send(agent, C.CancelOrder, (order_id,))

    def amend(self, agent, order_id: int, qty: int | None = None, price: int | None = None) -> None:
        self._send(agent, C.AmendOrder, (order_id, qty, price))

    def cancel_all(self, agent, symbol: str | None = None) -> None:
        self._send(agent, C.CancelAll, (symbol,))

    # ------------------------------------------------------------------ the loop

    def run(self) -> SessionRecord:
        """Run the session to its end; the record of what happened. While it runs the cyclic
        garbage collector looks less often: the loop makes millions of short-lived acyclic
        objects (commands, events, messages), and collecting after every 700 of them costs
        about a tenth of the run for nothing. And what has lived through a stretch of the
        session (the event log above all: millions of events kept to the end) is frozen, out
        of the collector's sight, so that each collection looks only at what is new (a day's
        session spent 0.8 s of 26 s in the collector, most of it re-reading the log); it is
        unfrozen when the run ends. (The process's other frozen objects, if any, go too.)
        The actions still scheduled past the end are dropped then: they refer back to the
        session, and the compiled scheduler's queue is out of the collector's sight, so they
        would keep the whole session alive (a sweep's worker runs one session after another)."""
        threshold = gc.get_threshold()
        gc.set_threshold(200_000, threshold[1], threshold[2])
        try:
            return self._run()
        finally:
            self.scheduler.clear()
            gc.set_threshold(*threshold)
            gc.unfreeze()

    def _run(self) -> SessionRecord:
        cfg = self.config
        wall = time.perf_counter()
        self._open()
        s = self.scheduler
        every = lambda seconds: round(seconds * NS_PER_SECOND)
        self._repeat(self._index_cycle, self._index_interval())
        self._repeat(self._mark_cycle, every(cfg.mark_interval_s), at_end=False)  # _close marks
        self._repeat(self._sample, every(cfg.sample_interval_s))
        self._repeat(self._review_standing, every(cfg.standing_interval_s))
        for agent in self.agents:
            agent.start(self)
        for maker in self.makers:  # each on the contract it quotes
            self.trackers[maker.account] = ObligationTracker(maker.name, maker.obligation, self.start_ts)
        if cfg.days:
            self._run_windows()
        else:
            chunk = max(1, (self.end_ts - self.start_ts) // 100)
            t = self.start_ts
            while t < self.end_ts:
                t = min(self.end_ts, t + chunk)
                s.run_until(t)
                gc.freeze()
                if self.progress is not None:
                    self.progress((t - self.start_ts) / (self.end_ts - self.start_ts))
        self._close()
        self.wall_s = time.perf_counter() - wall
        return self.record()

    def _run_windows(self) -> None:
        """Each day's window, then its close and the jump to the next window's open."""
        s = self.scheduler
        days, window = self.config.days, self.config.window_ns()
        chunk = max(1, window // 10)
        for day in range(days):
            close = self.start_ts + (day + 1) * NS_PER_DAY
            if close - window > s.now:
                self._skip_to(close - window)
            t = close - window
            while t < close:
                t = min(close, t + chunk)
                s.run_until(t)
                gc.freeze()
                if self.progress is not None:
                    self.progress((day * window + t - (close - window)) / (days * window))
            if day + 1 < days and window < NS_PER_DAY:
                self._close_window(close)

    def _close_window(self, ts: int) -> None:
        """A day's window closes (its end-of-day mark has run at the fixing): each contract's
        daily settlement price is set, and resting orders are cancelled (through the hours the
        jump leaves out they would have been requoted; a stale quote left for the next open is
        one the first taker picks off)."""
        for market in self.venue.markets():
            if market.state == "expired":
                continue
            price = self.port.mark(market.symbol)
            if price is None:
                continue
            if market.limit_high is not None:  # a settlement cannot pass the day's limits
                price = min(max(price, market.limit_low), market.limit_high)
            self._system(C.SetReferencePrice(ts, market.symbol, price, True))
        for agent in self.agents:
            self._system(C.CancelAll(ts, agent.account, None))

    def _skip_to(self, ts: int) -> None:
        """The market is closed until `ts`: the clock jumps there with everything scheduled
        (the agents' messages keep their order), the makers' obligations leave the closed
        hours out, and the index is published at the open."""
        now = self.scheduler.now
        gap = ts - now
        self.scheduler.shift(gap)
        for agent in self.agents:
            if agent.inbox_ts > now:
                agent.inbox_ts += gap
        for tracker in self.trackers.values():
            tracker.closed(now, ts)
        self._system(C.AdvanceTime(ts))
        self._index_cycle()

    def _repeat(self, action, interval_ns: int, at_end: bool = True) -> None:
        """Run `action` every interval from the start; at the session's end too if `at_end`."""
        def due(ts: int) -> bool:
            return ts < self.end_ts or (at_end and ts == self.end_ts)

        def tick():
            action()
            nxt = self.scheduler.now + interval_ns
            if due(nxt):
                self.scheduler.at(nxt, tick)
        if due(self.scheduler.now + interval_ns):
            self.scheduler.at(self.scheduler.now + interval_ns, tick)

    def _index_interval(self) -> int:
        return min(src.calculator.methodology.interval_ns for src in self.indices.values())

    def _open(self) -> None:
        ts = self.start_ts
        self._system(C.ListContracts(ts))
        self._index_cycle()
        for agent in self.agents:
            self._system(C.OpenAccount(ts, agent.account, agent.market_maker))
            self._system(C.Deposit(ts, agent.account, self.deposits[agent.account]))
        self._system(C.MarkCycle(ts))
        listed = self.port.listed(self.scenario.index_name)
        self.primary = self.config.agents.obligation_symbol(listed)
        self.primaries = [[ts, self.primary]]  # [since, symbol]: the report's contract over time
        for symbol, _ in listed:
            self.md[symbol] = self.port.top(symbol)

    def _close(self) -> None:
        ts = self.end_ts
        self._system(C.AdvanceTime(ts))
        self._mark_cycle()

    # ------------------------------------------------------------------ scheduled work

    def _index_cycle(self) -> None:
        ts = self.scheduler.now
        for name, source in self.indices.items():
            value = publishable(source.step(ts, self.fundamentals[name].usd(ts)))
            if value is not None:
                self._system(C.PublishIndex(ts, name, value))
                self._md_queue.append((ts + self._md_latency, None, (name, value)))

    def _mark_cycle(self) -> None:
        ts = self.scheduler.now
        self._system(C.AdvanceTime(ts))
        for market in self.venue.markets():
            if market.state != "expired" and ts >= market.spec.last_trade_ts:
                self._system(C.ExpireContract(ts, market.symbol))
        self._system(C.ListContracts(ts))
        if self.primary is not None and self.venue.market(self.primary).state == "expired":
            self._follow_front(ts)
        end_of_day = (ts - 16 * 3_600 * NS_PER_SECOND) % NS_PER_DAY == 0
        self._system(C.MarkCycle(ts, end_of_day))

    def _follow_front(self, ts: int) -> None:
        """The report's contract expired: its series go on with the contract the makers
        quote now (the new front month), as the makers themselves move on."""
        self.primary = self.config.agents.obligation_symbol(self.port.listed(self.scenario.index_name))
        self.primaries.append([ts, self.primary])

    def _review_standing(self) -> None:
        """Market makers keep their fee rebate while their presence so far meets the bar."""
        ts = self.scheduler.now
        for maker in self.makers:
            presence = self.trackers[maker.account].presence_until(ts)
            self._system(C.SetMarketMakerStanding(ts, maker.account,
                                                  presence >= maker.obligation.min_presence))

    def _sample(self) -> None:
        ts = self.scheduler.now
        sym = self.primary
        s = self.samples
        bid, bid_qty, ask, ask_qty, last = self.port.top(sym) if sym else _EMPTY_TOP
        index = self.port.index_value(self.scenario.index_name)
        mark = self.port.mark(sym) if sym else None
        s["ts"].append(ts)
        s["fundamental_usd"].append(self.fundamentals[self.scenario.index_name].usd(ts))
        s["index_usd"].append(index / INDEX_SCALE if index is not None else math.nan)
        s["last_usd"].append(_usd(last))
        s["mark_usd"].append(_usd(mark))
        s["bid_usd"].append(_usd(bid))
        s["ask_usd"].append(_usd(ask))
        s["spread_ticks"].append(ask - bid if bid is not None and ask is not None else math.nan)
        s["bid_depth"].append(bid_qty)
        s["ask_depth"].append(ask_qty)
        flow = self.flow.get(sym, (0, 0, 0, 0))
        s["volume"].append(flow[3])
        s["trades"].append(flow[2])
        for counts in self.flow.values():
            counts[2] = counts[3] = 0
        for maker in self.makers:
            series = self.maker_series.setdefault(maker.name, {"inventory": [], "pnl_usd": []})
            series["inventory"].append(sum(self.port.positions(maker.account).values()))
            pnl = self.port.equity(maker.account) - self.deposits[maker.account]
            series["pnl_usd"].append(pnl / 100)

    # ------------------------------------------------------------------ commands and events

    def _send(self, agent, cls, args: tuple) -> None:
        """The agent's command `cls(now, account, *args)` leaves now and reaches the venue after
        the agent's latency."""
        agent.in_flight += 1
        self.scheduler.push(self.scheduler.now + agent.latency(), self._arrive, (agent, cls, args))

    def _arrive(self, agent, cls, args: tuple) -> None:
        """The agent's command reaches the venue: submitted, its events dispatched."""
        cmd = cls(self.scheduler.now, agent.account, *args)
        events = self._submit(cmd)
        self.commands += 1
        self._dispatch(events, agent)

    def _system(self, cmd) -> list:
        """A command of the exchange's own (listing, index, marks, expiry, accounts)."""
        events = self._submit(cmd)
        self.commands += 1
        if any(type(e) in _LISTING for e in events):
            self._listed.clear()
            self.listing_version += 1
        self._dispatch(events, None)
        return events

    def _dispatch(self, events: list, sender) -> None:
        """Count, log and route one command's events: the sender gets them all (its
        response), every other account concerned gets its own after its latency; book changes
        go to the public market data; makers' obligations are brought up to date."""
        now = self.scheduler.now
        scheduler = self.scheduler
        if sender is not None:
            scheduler.push(_inbox_time(sender, now), sender.on_response, (events,))
        if not events:
            return
        self.events += len(events)
        self.log.extend(events)
        by_account = self.by_account
        own = sender.account if sender is not None else None
        routes = _ROUTES
        others: dict | None = None
        symbol = None  # the contract whose book changed (a set when more than one did)
        more: set | None = None
        for e in events:
            cls = type(e)
            try:
                route = routes[cls]
            except KeyError:
                route = routes[cls] = _route(cls)
            if route == _BOOK:
                sym = e.symbol
                if symbol is None:
                    symbol = sym
                elif sym != symbol:
                    more = {sym} if more is None else more | {sym}
                continue
            if route == _FILL:
                sym = e.symbol
                flow = self.flow.get(sym)
                if flow is None:
                    flow = self.flow[sym] = [0, 0, 0, 0]
                qty = e.qty
                flow[0] += 1
                flow[1] += qty
                flow[2] += 1
                flow[3] += qty
                if symbol is None:
                    symbol = sym
                elif sym != symbol:
                    more = {sym} if more is None else more | {sym}
                accounts = (e.maker_account, e.taker_account)
            elif route == _PUBLIC:
                continue
            else:  # an event about one account
                account = _ACCOUNT_OF[cls](e)
                if cls in _RISK:
                    self._risk_event(e)
                if account == own:
                    continue  # in the sender's response already
                accounts = (account,)
            for account in accounts:
                if account == own:
                    continue
                agent = by_account.get(account)
                if agent is None:
                    continue
                if others is None:
                    others = {agent: [e]}
                    continue
                bucket = others.get(agent)
                if bucket is None:
                    others[agent] = [e]
                elif bucket[-1] is not e:
                    bucket.append(e)
        if others:
            for agent, mine in others.items():
                scheduler.push(_inbox_time(agent, now), self._deliver, (agent, mine))
        if symbol is not None:
            touched = {symbol} if more is None else more | {symbol}
            ts = now + self._md_latency
            md_queue = self._md_queue
            for sym in touched:
                md_queue.append((ts, sym, self.port.top(sym)))
            if self.trackers:
                self._update_obligations(touched, sender, others)

    def _deliver(self, agent, events: list) -> None:
        """Events about an agent's account that another account's command caused reach it."""
        for e in events:
            agent.on_event(e)

    def _risk_event(self, e) -> None:
        cls = type(e)
        kind = _RISK[cls]
        layer = e.layer if cls is CE.WaterfallUsed else None
        amount = e.amount if cls is CE.WaterfallUsed else (e.loss if cls is CE.AccountDefaulted else None)
        account = e.defaulter if cls is CE.WaterfallUsed else e.account
        self.risk_events.append({"ts": e.ts, "kind": kind, "account": account, "layer": layer,
                                 "amount_cents": amount})

    def _update_obligations(self, touched: set, sender, others: dict | None) -> None:
        """A maker's own top can only change through events about its own orders: the
        sender's, or those routed to it."""
        ts = self.scheduler.now
        if sender is not None and sender.market_maker and sender.symbol in touched:
            self._track(sender, ts)
        if others:
            for agent in others:
                if agent.market_maker and agent.symbol in touched:
                    self._track(agent, ts)

    def _track(self, maker, ts: int) -> None:
        """The maker's obligations tracker, brought up to its own top of book now."""
        bid, bid_size, ask, ask_size = self.port.own_top(maker.account, maker.symbol)
        tracker = self.trackers[maker.account]
        tracker.update(ts, bid, bid_size, ask, ask_size)

    def _drain_md(self) -> None:
        q = self._md_queue
        now = self.scheduler.now
        while q and q[0][0] <= now:
            _, symbol, snap = q.popleft()
            if symbol is None:
                self.md_index[snap[0]] = snap[1]
            else:
                self.md[symbol] = snap

    # ------------------------------------------------------------------ the record

    def record(self) -> SessionRecord:
        """The record of the session so far (marketmakers/record_builder.py)."""
        return build_record(self)


_EMPTY_TOP = (None, 0, None, 0, None)
_BOOK, _FILL, _PUBLIC, _ACCOUNT = range(4)  # how an event is routed
_ROUTES: dict = {BookDelta: _BOOK, Fill: _FILL}  # event class -> how it is routed
_ACCOUNT_OF: dict = {}  # event class -> the reader of the account it concerns (_ACCOUNT)


def _route(cls) -> int:
    """An event names the account it concerns in its field `account` (`defaulter` for the
    waterfall), or it is _PUBLIC."""
    for name in ("account", "defaulter"):
        if name in cls._fields:
            _ACCOUNT_OF[cls] = attrgetter(name)
            return _ACCOUNT
    return _PUBLIC


_LISTING = (ContractListed, TradingStateChanged)
_RISK = {CE.MarginCall: "margin_call", CE.LiquidationStarted: "liquidation",
         CE.AccountDefaulted: "default", CE.WaterfallUsed: "waterfall"}


def _inbox_time(agent, now: int) -> int:
    """When a message sent now reaches the agent: after its latency, but never before a
    message sent to it earlier (one session, one ordered stream, as over TCP)."""
    t = now + agent.latency()
    if t < agent.inbox_ts:
        t = agent.inbox_ts
    agent.inbox_ts = t
    return t


def _usd(ticks: int | None) -> float:
    return ticks / TICKS_PER_USD if ticks is not None else math.nan
