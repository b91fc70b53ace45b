"""`sitex simulate --server URL`: the session's agents against a live server, over the network.

The agents are the very ones of the in-process session (marketmakers/agents/): the same
classes, the same agents file, the same decisions. Only the session around them changes: it
speaks to the server through `api.client.AsyncClient`, in wall-clock time. Each agent gets an
account and API key of its own; its orders go over REST; what the server tells it on its private
WebSocket channels (fills, positions, order cancels and expiries, margin calls) is turned back
into the venue's event types, so an agent cannot tell the two sessions apart. Public market data
(book tops, the index) comes from one shared WebSocket connection. Market makers quote around
the published index here, as the server's fundamental is not public.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from decimal import Decimal

import httpx

from api.client import AsyncClient, SitexError
from clearing import clearing_events as CE
from clearing.reasons import Reason
from exchange import events as X
from exchange.orders import OrderType, TimeInForce
from marketmakers.agents.config import AgentsConfig, build_agents
from marketmakers.agents.session_view import SessionView

TICK = Decimal("0.001")
_MARGIN_EVENTS = {"margin_call": CE.MarginCall, "margin_call_cured": CE.MarginCallCured,
                  "liquidation_started": CE.LiquidationStarted}


def to_ticks(price) -> int | None:
    return None if price is None else int(Decimal(str(price)) / TICK)


def to_price(ticks: int) -> str:
    return str(ticks * TICK)


class RemoteSession(SessionView):
    def __init__(self, url: str, admin_key: str, agents: AgentsConfig, seed: int = 1,
                 sigma: float = 0.40):
        self.url = url.rstrip("/")
        self.admin_key = admin_key
        self.agents = build_agents(agents, seed)
        self.sigma = sigma  # of the log price, per sqrt(year): the makers' model input
        self.clients: dict = {}  # agent -> AsyncClient
        self.tops: dict[str, tuple] = {}
        self.index: dict[str, int] = {}  # name -> ticks
        self.listed_by_product: dict[str, list[tuple[str, int]]] = {}
        self.stats = Counter()
        self.by_kind = Counter()  # commands sent per agent kind
        self.rejections = Counter()
        self.tasks: set[asyncio.Task] = set()  # everything running in the background
        self.pending: set[asyncio.Task] = set()  # the commands in flight
        self.seen_trades: dict = {}  # agent -> trade ids already told by a REST answer
        self.stopping = False
        self.end = 0.0
        self.listing_version = 0  # contracts are read once, at the start

    # ------------------------------------------------------------------ what agents call

    @property
    def now(self) -> int:
        return time.time_ns()

    def symbol_for(self, product: str, expiry: int) -> str | None:
        listed = self.listed_by_product.get(product, [])
        return listed[expiry - 1][0] if 0 < expiry <= len(listed) else None

    def listed(self, product: str) -> list[tuple[str, int]]:
        return self.listed_by_product.get(product, [])

    def wake_in(self, agent, delay_ns: int) -> None:
        if not self.stopping:
            asyncio.get_running_loop().call_later(delay_ns / 1e9, self._wake, agent)

    def top(self, symbol: str) -> tuple:
        return self.tops.get(symbol, (None, 0, None, 0, None))

    def index_ticks(self, name: str) -> float | None:
        value = self.index.get(name)
        return float(value) if value is not None else None

    def fundamental_ticks(self, name: str = "SIT") -> float | None:
        return self.index_ticks(name)

    def next_fundamental_move(self, name: str, ts: int) -> int | None:
        return None  # unknown over the network: makers look on their idle timer and events

    def sigma_ticks_per_sqrt_s(self, name: str = "SIT") -> float:
        price = self.index.get(name) or 1
        return self.sigma * price / (365 * 86_400) ** 0.5

    def limit(self, agent, symbol, side, qty, price, tif=TimeInForce.GTC) -> None:
        params = {"time_in_force": TimeInForce(tif).wire}
        self._spawn(agent, self._new(agent, symbol, "limit", side, qty, price, params))

    def market(self, agent, symbol, side, qty) -> None:
        self._spawn(agent, self._new(agent, symbol, "market", side, qty, None,
                                     {"time_in_force": "IOC"}))

    def cancel(self, agent, order_id) -> None:
        self._spawn(agent, self._cancel(agent, order_id))

    def amend(self, agent, order_id, qty=None, price=None) -> None:
        self._spawn(agent, self._amend(agent, order_id, qty, price))

    def cancel_all(self, agent, symbol=None) -> None:
        self._spawn(agent, self._cancel_all(agent, symbol))

    # ------------------------------------------------------------------ the run

    async def run(self, seconds: float) -> dict:
        """Set up (accounts, deposits, streams), then let the agents trade for `seconds` of
        wall-clock time: the setup does not count against it."""
        started = time.time()
        setup = 0.0
        self.end = float("inf")  # no trading deadline while setting up
        pub = AsyncClient(self.url)
        try:
            await self._load_contracts(pub)
            await self._open_accounts()
            await self._watch_public(pub)
            await _at_most(16, self._watch_private, self.agents)
            setup = time.time() - started
            self.end = time.time() + seconds
            for agent in self.agents:
                agent.start(self)
            while time.time() < self.end:
                await asyncio.sleep(min(0.5, max(0.0, self.end - time.time())))
            self.stopping = True
            await self._settle()
        finally:
            self.stopping = True
            for task in list(self.tasks):
                task.cancel()
            for client in self.clients.values():
                await client.close()
            await pub.close()
        elapsed = time.time() - started - setup
        return {"server": self.url, "seconds": round(elapsed, 3), "setup_seconds": round(setup, 3),
                "agents": dict(Counter(a.kind for a in self.agents)),
                "commands": self.stats["commands"], "fills": self.stats["fills"],
                "commands_by_kind": dict(sorted(self.by_kind.items())),
                "commands_per_s": round(self.stats["commands"] / elapsed, 1) if elapsed else None,
                "rejections": dict(self.rejections),
                "margin_calls": self.stats["margin_call"],
                "liquidations": self.stats["liquidation_started"],
                "accounts": {a.name: a.account for a in self.agents},
                "positions": {a.name: {s: q for s, q in a.positions.items() if q}
                              for a in self.agents if any(a.positions.values())}}

    async def _settle(self) -> None:
        """The end: wait for the commands in flight, pull every agent's resting orders (so
        nothing more can fill), then let the private streams drain until they are quiet, so
        what each agent knows of its positions is final."""
        if self.pending:
            await asyncio.wait(self.pending, timeout=10)
        await asyncio.gather(*(c.cancel_all_orders() for c in self.clients.values()),
                             return_exceptions=True)
        streams = [q for c in self.clients.values() for q in c._streams.values()]
        deadline = time.monotonic() + 5
        quiet = 0
        while quiet < 4 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            quiet = quiet + 1 if all(q.empty() for q in streams) else 0

    async def _load_contracts(self, pub: AsyncClient) -> None:
        contracts = await pub.fetch_markets()
        by_product: dict[str, list] = {}
        for c in contracts:
            by_product.setdefault(c["product"], []).append((c["last_trade_ts"], c["symbol"]))
        self.listed_by_product = {p: [(s, ts) for ts, s in sorted(v)] for p, v in by_product.items()}

    async def _open_accounts(self, parallel: int = 16) -> None:
        """An account, its key and its deposit per agent, `parallel` agents at a time (one by
        one, 205 agents took 14 s before the first order)."""
        stamp = int(time.time() * 1000)
        async with AsyncClient(self.url, self.admin_key) as admin:
            async def open_one(agent) -> None:
                account = f"{agent.name}-{stamp}"
                made = await _patiently(lambda: admin.create_account(account, agent.market_maker))
                await _patiently(lambda: admin.deposit(account, str(agent.params.cash_usd)))
                agent.account = account
                self.clients[agent] = AsyncClient(self.url, made["api_key"])
            await _at_most(parallel, open_one, self.agents)

    async def _watch_public(self, pub: AsyncClient) -> None:
        symbols = {self.symbol_for(a.params.product, a.params.expiry) for a in self.agents} - {None}
        for product, listed in self.listed_by_product.items():
            if any(s in symbols for s, _ in listed):
                await pub.subscribe("index." + product)
                self._background(self._follow_index(pub, product))
        for symbol in sorted(symbols):
            self._background(self._follow_book(pub, symbol))
        for product in self.listed_by_product:
            try:
                value = (await pub.fetch_index(product, history=0))["value"]
            except SitexError:
                continue
            if value is not None:
                self.index[product] = to_ticks(value)

    async def _follow_book(self, pub: AsyncClient, symbol: str) -> None:
        async for book in pub.watch_order_book(symbol):
            bids, asks = book["bids"], book["asks"]
            last = self.tops.get(symbol, (None, 0, None, 0, None))[4]
            self.tops[symbol] = (to_ticks(bids[0][0]) if bids else None, bids[0][1] if bids else 0,
                                 to_ticks(asks[0][0]) if asks else None, asks[0][1] if asks else 0, last)

    async def _follow_index(self, pub: AsyncClient, name: str) -> None:
        async for data in pub._watch("index." + name):
            if data.get("value") is not None:
                self.index[name] = to_ticks(data["value"])

    async def _watch_private(self, agent) -> None:
        client = self.clients[agent]
        await client.subscribe("fills", "positions", "orders", "margin")
        self._background(self._follow_private(agent, client))

    async def _follow_private(self, agent, client: AsyncClient) -> None:
        """The agent's private channels, turned into the venue's events."""
        queues = [client._streams[ch] for ch in ("fills", "positions", "orders", "margin")]
        getters = {asyncio.ensure_future(q.get()): q for q in queues}
        try:
            while True:
                done, _ = await asyncio.wait(getters, return_when=asyncio.FIRST_COMPLETED)
                for fut in done:
                    q = getters.pop(fut)
                    getters[asyncio.ensure_future(q.get())] = q
                    event = self._private_event(agent, fut.result())
                    if event is not None:
                        agent.on_event(event)
        finally:
            for fut in getters:
                fut.cancel()

    def _private_event(self, agent, msg: dict):
        if msg.get("type") == "snapshot":
            return None
        d, ch, now = msg.get("data") or {}, msg.get("channel"), time.time_ns()
        if ch == "fills":
            oid = d["order_id"]
            if d["trade_id"] in self.seen_trades.setdefault(agent, set()):
                return None  # already counted from the order's REST answer
            o = agent.orders.get(oid)
            remaining = max(0, o.remaining - d["qty"]) if o is not None else 0
            side = 1 if d["side"] == "buy" else -1
            self.stats["fills"] += 1
            return X.Fill(0, now, d["trade_id"], d.get("symbol"), to_ticks(d["price"]), d["qty"],
                          -side, oid, agent.account, remaining, None, None, None)
        if ch == "positions":
            return CE.PositionChanged(0, now, agent.account, d["symbol"], 0, None, d["qty"])
        if ch == "orders" and msg.get("type") in ("order_cancelled", "order_expired"):
            cls = X.OrderCancelled if msg["type"] == "order_cancelled" else X.OrderExpired
            fields = [d.get("order_id"), agent.account, d.get("symbol"), 0, None, 0]
            if cls is X.OrderCancelled:
                fields.append(d.get("reason"))
            else:  # a reason code by name (an order expired at once), or none
                fields.append(Reason.__members__.get(d.get("reason") or ""))
            return cls(0, now, *fields)
        if ch == "margin" and msg.get("type") in _MARGIN_EVENTS:
            self.stats[msg["type"]] += 1
            cls = _MARGIN_EVENTS[msg["type"]]
            values = [d.get(f) for f in cls._fields[2:]]
            values[0] = agent.account
            return cls(0, now, *values)
        return None

    # ------------------------------------------------------------------ commands

    def _wake(self, agent) -> None:
        if not self.stopping and time.time() < self.end:
            agent.wake(self)

    def _spawn(self, agent, coro) -> None:
        agent.in_flight += 1
        self.stats["commands"] += 1
        self.by_kind[agent.kind] += 1
        task = self._background(self._answer(agent, coro))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    def _background(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def _answer(self, agent, coro) -> None:
        try:
            events = await coro
        except SitexError as e:
            self.rejections[e.code or str(e.status)] += 1
            reason = Reason.__members__.get(e.code, Reason.INVALID_COMMAND)
            events = [X.Rejected(0, time.time_ns(), "?", agent.account, None, None, None, reason,
                                 str(e))]
        except (TimeoutError, OSError, httpx.HTTPError) as e:  # the server is slow or gone
            self.rejections[type(e).__name__] += 1
            events = []
        agent.on_response(events)

    async def _new(self, agent, symbol, type_, side, qty, price, params) -> list:
        client = self.clients[agent]
        r = await client.create_order(symbol, type_, "buy" if side > 0 else "sell", qty,
                                      to_price(price) if price is not None else None, params)
        o = r["order"]
        now = time.time_ns()
        self.seen_trades.setdefault(agent, set()).update(f["trade_id"] for f in r.get("fills", ()))
        events = []
        if r["status"] in ("new", "partially_filled") and r["remaining_qty"]:
            # the order as the answer left it: accepted for its total, then what remains of it
            events.append(X.OrderAccepted(0, now, r["order_id"], agent.account, symbol, side,
                                          OrderType.LIMIT, price, o["qty"], None,
                                          TimeInForce.GTC, None, None, "new"))
            events.append(X.OrderAmended(0, now, r["order_id"], agent.account, symbol, side, price,
                                         o["qty"], r["remaining_qty"], None, True))
        self.stats["fills"] += len(r.get("fills", ()))
        return events

    async def _cancel(self, agent, order_id) -> list:
        try:
            o = await self.clients[agent].cancel_order(order_id)
        except SitexError as e:
            if e.code == "UNKNOWN_ORDER":
                return [X.Rejected(0, time.time_ns(), "cancel", agent.account, None, order_id, None,
                                   Reason.UNKNOWN_ORDER, str(e))]
            raise
        return [X.OrderCancelled(0, time.time_ns(), order_id, agent.account, o.get("symbol"), 0,
                                 None, 0, "user")]

    async def _amend(self, agent, order_id, qty, price) -> list:
        try:
            r = await self.clients[agent].edit_order(order_id, amount=qty,
                                                     price=to_price(price) if price is not None else None)
        except SitexError as e:
            if e.code == "UNKNOWN_ORDER":
                return [X.Rejected(0, time.time_ns(), "amend", agent.account, None, order_id, None,
                                   Reason.UNKNOWN_ORDER, str(e))]
            raise
        o = r["order"]
        self.seen_trades.setdefault(agent, set()).update(f["trade_id"] for f in r.get("fills", ()))
        if not r["remaining_qty"]:
            return [X.OrderCancelled(0, time.time_ns(), order_id, agent.account, o["symbol"], 0,
                                     None, 0, "filled")]
        return [X.OrderAmended(0, time.time_ns(), order_id, agent.account, o["symbol"], 0,
                               to_ticks(o["price"]), o["qty"], r["remaining_qty"], None, False)]

    async def _cancel_all(self, agent, symbol) -> list:
        ids = await self.clients[agent].cancel_all_orders(symbol)
        now = time.time_ns()
        return [X.OrderCancelled(0, now, oid, agent.account, symbol, 0, None, 0, "cancel_all")
                for oid in ids["cancelled"]]


async def _at_most(parallel: int, work, items) -> None:
    """`await work(item)` for every item, `parallel` of them at a time."""
    gate = asyncio.Semaphore(parallel)

    async def one(item) -> None:
        async with gate:
            await work(item)
    await asyncio.gather(*(one(item) for item in items))


async def _patiently(call, tries: int = 10):
    """An admin call, waited out and tried again while the server answers 429 (its rate
    limit applies to the admin key too)."""
    for _ in range(tries - 1):
        try:
            return await call()
        except SitexError as e:
            if e.status != 429:
                raise
            await asyncio.sleep(1 if e.retry_after is None else e.retry_after)
    return await call()


def run_remote(url: str, admin_key: str, agents: AgentsConfig, seconds: float, seed: int = 1) -> dict:
    return asyncio.run(RemoteSession(url, admin_key, agents, seed).run(seconds))
