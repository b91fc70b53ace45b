"""The FastAPI app: REST under /v1 and the WebSocket at /v1/ws, around one `Service`.

Handlers only parse, authenticate and format; every state change goes through the service's
command queue. OpenAPI docs are at /docs.
"""


import asyncio
import contextlib
import json
import os
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Annotated, Literal

from fastapi import (
    Depends,
    FastAPI,
    Query,
    Request,
    Security,
    WebSocket,
    WebSocketDisconnect,
)
from fastapi.security import APIKeyHeader
from pydantic import ValidationError

from api import errors, fastjson, idempotency, limits, wire
from api.admin_keys import key_routes
from api.auth import AdminKey, Authenticator
from api.dashboard import install as install_dashboard
from api.keys import ApiKey, KeyStore
from api.ratelimit import Budgets, RateLimiter, RateLimits, address
from api.errors import ApiError, describe_validation
from api.hub import PRIVATE, Subscriber
from api.metrics import install as install_metrics
from api.reports import install as install_reports
from api.service import Service, ServiceStopped
from clearing.reasons import Reason, Rejection
from clearing.types import ProviderQuote
from exchange import commands as C

_PROBLEM = {"application/problem+json": {"schema": wire.Problem.model_json_schema()}}
PROBLEMS = {code: {"description": "RFC 9457 problem", "content": _PROBLEM}
            for code in (400, 401, 403, 404, 409, 422, 429, 503)}


@dataclass
class Settings:
    journal: str | None = None
    admin_key: str | None = field(default_factory=lambda: os.environ.get("SITEX_ADMIN_KEY"))
    index_source: str = "feed"  # "feed": the simulated provider feed; "admin": quotes via the API
    rate: float = 200.0  # requests per second per account, all its keys (0: no limit)
    burst: int = 400
    admin_rate: float | None = None  # the admin key's own bucket (None: as `rate`)
    admin_burst: int | None = None
    anonymous_rate: float | None = None  # per client address without a valid key (None: as `rate`)
    anonymous_burst: int | None = None
    cycle_seconds: float = 1.0  # time, index and mark cycle (0: none)
    snapshot_every: int = 100_000  # commands between snapshots (0: only POST /v1/admin/snapshot)
    heartbeat_seconds: float = 10.0  # a WebSocket that has been quiet this long gets a heartbeat
    gate: object = None
    max_body: int = limits.MAX_BODY  # bytes of a request body (413 over it)
    max_json_depth: int = limits.MAX_DEPTH  # nesting of a request body or WebSocket message
    idempotency_seconds: float = 86_400.0  # how long an Idempotency-Key's answer is kept
    idempotency_keys: int = 10_000  # at most this many answers kept (the oldest go first)
    retention_seconds: float = 3_600.0  # closed orders and fills older than this leave memory


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    service = Service(settings.journal, gate=settings.gate, index_source=settings.index_source,
                      snapshot_every=settings.snapshot_every,
                      retention_seconds=settings.retention_seconds)
    keys = KeyStore(settings.journal)
    admin = AdminKey(settings.admin_key)
    auth = Authenticator(keys)
    budgets = Budgets(RateLimiter(settings.rate, settings.burst),
                      RateLimiter(_or(settings.admin_rate, settings.rate),
                                  _or(settings.admin_burst, settings.burst)),
                      RateLimiter(_or(settings.anonymous_rate, settings.rate),
                                  _or(settings.anonymous_burst, settings.burst)))
    sessions = WsSessions()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        revealed = admin.reveal_once()
        if revealed:
            print(f"sitex: SITEX_ADMIN_KEY not set; admin key for this run: {revealed}", flush=True)
        await service.start(settings.cycle_seconds)
        yield
        await service.stop()
        keys.close()

    app = FastAPI(title="sitex", version="1", lifespan=lifespan,
                  description="Futures on AI inference tokens (SIT) and GPU-hours: REST and WebSocket.",
                  docs_url=None, redoc_url=None)  # /docs and /redoc: api/dashboard.py, no CDN
    app.state.service, app.state.keys, app.state.admin = service, keys, admin
    errors.install(app)
    # the last added runs first: the caller's budget, then the body bounded, then a retry
    # looked up
    app.add_middleware(idempotency.IdempotencyKeys, retention=settings.idempotency_seconds,
                       max_entries=settings.idempotency_keys)
    app.add_middleware(limits.BodyLimits, max_bytes=settings.max_body,
                       max_depth=settings.max_json_depth)
    if not budgets.off:
        app.add_middleware(RateLimits, bucket=lambda scope: budgets.bucket(scope, admin, keys,
                                                                           time.time_ns()))
    default_openapi = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = idempotency.document(default_openapi())
        return app.openapi_schema

    app.openapi = openapi

    @app.exception_handler(ServiceStopped)
    async def _stopped(request: Request, exc: ServiceStopped):
        return errors.problem(Reason.INVALID_COMMAND, f"the service has stopped: {exc}", 503)

    # Both checks are async: a plain `def` dependency runs in FastAPI's thread pool, a thread
    # hop per request for a hash and a dict lookup (about a tenth of a REST order's time).
    async def account_of(request: Request, key: Annotated[str | None, Security(API_KEY)]) -> str:
        record = auth.key(key, write=request.method not in ("GET", "HEAD"))
        if record.secret is not None:
            h = request.scope
            auth.signed(record, request.headers.get("x-timestamp"), request.headers.get("x-signature"),
                        request.headers.get("x-recv-window"), request.method,
                        h.get("raw_path", h["path"].encode()).decode("latin-1"),
                        h["query_string"].decode("latin-1"), await request.body())
        return record.account

    async def admin_only(key: Annotated[str | None, Security(ADMIN_KEY)]) -> None:
        if not admin.matches(key):
            raise ApiError(403, Reason.ADMIN_ONLY, "this endpoint needs the admin key")

    Account = Annotated[str, Depends(account_of)]
    Admin = Depends(admin_only)
    fmt = service.fmt

    # ------------------------------------------------------------------ market data

    @app.get("/v1/health", tags=["public"], responses=PROBLEMS)
    async def health() -> dict:
        return {"status": "ok", "sequence": service.hub.seq, "replayed": service.replayed}

    @app.get("/v1/metrics", tags=["public"], responses=PROBLEMS)
    async def metrics() -> dict:
        """Counters of the service: commands, events, group commits, queue, subscribers."""
        return service.metrics()

    @app.get("/v1/contracts", tags=["public"], response_model=list[wire.ContractView], responses=PROBLEMS)
    async def contracts():
        await service.settled()
        out = []
        for spec in service.venue.contracts():
            d = spec.describe()
            out.append({k: d[k] for k in ("symbol", "product", "name", "tick_size", "contract_size",
                                          "expiry", "last_trade_ts", "min_qty", "max_qty", "quote_unit")}
                       | {"trading_state": service.venue.trading_state(spec.symbol)})
        return out

    def known(symbol: str) -> None:
        if not fmt.knows(symbol):
            raise Rejection(Reason.UNKNOWN_SYMBOL, f"no listed contract {symbol!r}")

    @app.get("/v1/book/{symbol}", tags=["public"], response_model=wire.BookView, responses=PROBLEMS)
    async def book(symbol: str, depth: Annotated[int, Query(ge=1, le=1000)] = 20):
        known(symbol)
        bids, asks = service.hub.depth(symbol, depth)
        return {"symbol": symbol, "sequence": service.hub.book_seq[symbol],
                "bids": [[fmt.price(symbol, p), q] for p, q in bids],
                "asks": [[fmt.price(symbol, p), q] for p, q in asks]}

    @app.get("/v1/trades/{symbol}", tags=["public"], response_model=list[wire.TradeView],
             responses=PROBLEMS)
    async def trades(symbol: str, limit: Annotated[int, Query(ge=1, le=1000)] = 100):
        known(symbol)
        recent = list(service.store.trades.get(symbol, ()))[-limit:]
        return [dict(t, price=fmt.price(symbol, t["price"])) for t in reversed(recent)]

    @app.get("/v1/ticker/{symbol}", tags=["public"], response_model=wire.TickerView,
             responses=PROBLEMS)
    async def ticker(symbol: str):
        known(symbol)
        await service.settled()
        return fmt.ticker(symbol)

    @app.get("/v1/index/{name}", tags=["public"], response_model=wire.IndexView, responses=PROBLEMS)
    async def index(name: str, history: Annotated[int, Query(ge=0, le=500)] = 50):
        if name not in ("SIT", "GPU"):
            raise Rejection(Reason.UNKNOWN_SYMBOL, f"no index {name!r} (SIT or GPU)")
        points = list(service.index_history.get(name, ()))
        last = points[-1] if points else (None, None)
        return {"name": name, "value": wire.micro_to_index(last[1]), "timestamp": last[0],
                "history": [{"value": wire.micro_to_index(v), "timestamp": t}
                            for t, v in points[-history:]] if history else []}

    # ------------------------------------------------------------------ orders

    @app.post("/v1/orders", tags=["orders"], response_model=wire.OrderResult, responses=PROBLEMS)
    async def create_order(body: wire.OrderRequest, account: Account):
        return await service.place(account, body)

    @app.get("/v1/orders", tags=["orders"], response_model=list[wire.OrderView], responses=PROBLEMS)
    async def orders(account: Account, symbol: str | None = None,
                     status: Literal["open", "closed"] = "open",
                     since: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
                     after_id: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 100):
        """`open` (the default): every open order. `closed`: filled, cancelled and expired
        orders made at or after `since` (ns), oldest first, `limit` a page; page with
        `after_id` = the last `order_id` you have. Orders older than the retention window
        come from the history (api/history.py)."""
        if status == "open":
            return [fmt.order(o) for o in service.store.open_orders(account, symbol)]
        return [fmt.order(o) for o in service.closed_orders(account, symbol, since, after_id, limit)]

    def own(account: str, order_id: int) -> dict:
        o = service.find_order(account, order_id)
        if o is None:
            raise Rejection(Reason.UNKNOWN_ORDER, f"no order {order_id} in this account")
        return o

    @app.get("/v1/orders/{order_id}", tags=["orders"], response_model=wire.OrderView,
             responses=PROBLEMS)
    async def get_order(order_id: int, account: Account):
        return fmt.order(own(account, order_id))

    @app.patch("/v1/orders/{order_id}", tags=["orders"], response_model=wire.OrderResult,
               responses=PROBLEMS)
    async def amend_order(order_id: int, body: wire.AmendRequest, account: Account):
        return await service.amend(account, order_id, body)

    @app.delete("/v1/orders/{order_id}", tags=["orders"], response_model=wire.OrderView,
                responses=PROBLEMS)
    async def cancel_order(order_id: int, account: Account):
        return await service.cancel(account, order_id)

    @app.delete("/v1/orders", tags=["orders"], responses=PROBLEMS)
    async def cancel_all(account: Account, symbol: str | None = None) -> dict:
        return {"cancelled": await service.cancel_all(account, symbol)}

    # ------------------------------------------------------------------ account

    @app.get("/v1/account", tags=["account"], response_model=wire.AccountView, responses=PROBLEMS)
    async def get_account(account: Account):
        await service.settled()
        return service.account_summary(account)

    @app.get("/v1/positions", tags=["account"], response_model=list[wire.PositionView],
             responses=PROBLEMS)
    async def positions(account: Account):
        await service.settled()
        return service.account_summary(account)["positions"]

    @app.get("/v1/fills", tags=["account"], response_model=list[wire.FillView], responses=PROBLEMS)
    async def fills(account: Account, after_seq: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
                    since: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100):
        """Oldest first, made at or after `since` (ns); page with `after_seq` = the last `seq`
        you have. Fills older than the retention window come from the history."""
        return [fmt.fill(f) for f in service.fills(account, after_seq, since, limit)]

    @app.post("/v1/withdrawals", tags=["account"], responses=PROBLEMS)
    async def withdraw(body: wire.AmountRequest, account: Account) -> dict:
        cents = wire.amount_to_cents(body.amount)
        await service.cash("withdraw", account, cents)
        return {"account_id": account, "amount": wire.cents_to_amount(cents)}

    # ------------------------------------------------------------------ admin

    @app.post("/v1/admin/accounts", tags=["admin"], status_code=201,
              response_model=wire.AccountCreated, responses=PROBLEMS, dependencies=[Admin])
    async def create_account(body: wire.AccountCreate | None = None):
        body = body or wire.AccountCreate()
        account = await service.open_account(body.account_id, body.market_maker)
        record, key = keys.create(account, time.time_ns())
        return {"account_id": account, "api_key": key, "key_id": record.key_id}

    @app.get("/v1/admin/accounts", tags=["admin"], responses=PROBLEMS, dependencies=[Admin])
    async def list_accounts() -> dict:
        await service.settled()
        ledger = getattr(service.venue.gate, "ledger_summary", None)
        return {"accounts": [service.account_summary(a) for a in sorted(service.accounts)],
                "clearinghouse": ledger() if ledger is not None else None}

    @app.get("/v1/admin/state", tags=["admin"], responses=PROBLEMS, dependencies=[Admin])
    async def state() -> dict:
        """The venue's state digest: equal digests, equal state (replay checks)."""
        await service.settled()
        return {"sequence": service.venue.seq, "digest": service.venue.digest(),
                "commands": service.commands, "replayed": service.replayed}

    @app.post("/v1/admin/snapshot", tags=["admin"], responses=PROBLEMS, dependencies=[Admin])
    async def snapshot() -> dict:
        """Snapshot the state now; a restart then replays only the journal after it."""
        return {"position": await service.snapshot()}

    @app.post("/v1/admin/deposits", tags=["admin"], responses=PROBLEMS, dependencies=[Admin])
    async def deposit(body: wire.DepositRequest) -> dict:
        cents = wire.amount_to_cents(body.amount)
        await service.cash("deposit", body.account_id, cents)
        return {"account_id": body.account_id, "amount": wire.cents_to_amount(cents)}

    @app.post("/v1/admin/trading-state", tags=["admin"], responses=PROBLEMS, dependencies=[Admin])
    async def trading_state(body: wire.TradingStateRequest) -> dict:
        if body.symbol is not None:
            known(body.symbol)
        await service.command(lambda ts: C.SetTradingState(ts, body.symbol, body.state, body.reason))
        return {"symbol": body.symbol, "state": body.state}

    @app.post("/v1/admin/index-quotes", tags=["admin"], responses=PROBLEMS, dependencies=[Admin])
    async def index_quote(body: wire.IndexQuote) -> dict:
        """A provider's index quote (with `--index-source admin` it is published as the index)."""
        if service.index_source != "admin":
            raise Rejection(Reason.INVALID_COMMAND,
                            "this server publishes indices from the provider feed (--index-source feed)")
        micro = wire.index_to_micro(body.value)
        await service.command(lambda ts: C.PublishIndex(ts, body.name, micro))
        return {"name": body.name, "value": wire.micro_to_index(micro)}

    @app.post("/v1/admin/provider-quotes", tags=["admin"], responses=PROBLEMS, dependencies=[Admin])
    async def provider_quote(body: wire.ProviderQuoteIn) -> dict:
        """A provider's list prices for one tier: an input of the index methodology
        (clearing/index.py: staleness, outliers, volume-weighted median, minimum contributors).
        With `--index-source admin` the index is published from these on each cycle, or at once
        with `POST /v1/admin/index/publish`."""
        if service.index_source != "admin":
            raise Rejection(Reason.INVALID_COMMAND,
                            "this server publishes indices from the provider feed (--index-source feed)")
        inp = wire.index_to_micro(body.input_price)
        out = wire.index_to_micro(body.output_price) if body.output_price is not None else inp
        quote = ProviderQuote(body.name, body.provider, body.tier, inp, out, body.volume, service.now())
        service.add_provider_quote(quote)
        return {"name": body.name, "provider": body.provider, "tier": body.tier, "ts": quote.ts}

    @app.post("/v1/admin/index/publish", tags=["admin"], responses=PROBLEMS, dependencies=[Admin])
    async def publish_index() -> dict:
        """Publish the indices now from the provider quotes received (admin index source)."""
        if service.index_source != "admin":
            raise Rejection(Reason.INVALID_COMMAND, "only with --index-source admin")
        pubs = await service.publish_from_quotes()
        return {name: {"value": wire.micro_to_index(p.value), "status": p.status,
                       "contributors": p.contributors, "quotes_used": p.quotes_used,
                       "quotes_rejected": p.quotes_rejected, "inputs_hash": p.inputs_hash,
                       "timestamp": p.ts}
                for name, p in pubs.items()}

    app.include_router(key_routes(service, keys, sessions, Admin, PROBLEMS))

    # ------------------------------------------------------------------ websocket

    @app.websocket("/v1/ws")
    async def ws(socket: WebSocket):
        await socket.accept()
        session = WsSession(socket, service, auth, budgets, sessions, settings.heartbeat_seconds,
                            settings.max_json_depth)
        await session.run()

    # after the trading routes, which a request is matched against first, in order
    install_reports(app, service, Admin, PROBLEMS)  # /v1/admin/reports/...: the regulator's reports
    install_metrics(app, service, PROBLEMS)  # /metrics, /healthz, /readyz
    install_dashboard(app, service, PROBLEMS)  # /, /static, /docs, /redoc, /v1/session
    return app


def _or(value, default):
    return default if value is None else value


API_KEY = APIKeyHeader(name="X-API-Key", scheme_name="ApiKey", auto_error=False, description=(
    "An account's key (POST /v1/admin/accounts or /v1/admin/accounts/{account_id}/keys). A key "
    "made `signed` also needs X-Timestamp and X-Signature on each request (docs/api.md)."))
ADMIN_KEY = APIKeyHeader(name="X-API-Key", scheme_name="AdminKey", auto_error=False,
                         description="The admin key (SITEX_ADMIN_KEY, or printed once at start).")


class WsSessions:
    """Open WebSocket sessions by the key they authenticated with: a revoked key's end at once."""

    def __init__(self):
        self._by_key: dict[str, set] = {}

    def add(self, key_id: str, session) -> None:
        self._by_key.setdefault(key_id, set()).add(session)

    def discard(self, key_id: str, session) -> None:
        mine = self._by_key.get(key_id)
        if mine is not None:
            mine.discard(session)
            if not mine:
                del self._by_key[key_id]

    def end(self, key_id: str, reason: Reason) -> None:
        for session in list(self._by_key.pop(key_id, ())):
            session.end(reason)


_ANSWERED = (Rejection, ApiError, ValidationError, ServiceStopped)  # what a request's error message tells


class WsSession:
    """One WebSocket connection: subscriptions, order entry, heartbeats, cancel-on-disconnect.
    It is authenticated by the handshake's X-API-Key (signed in its headers for a signed key)
    or the `auth` op, and ends when that key is revoked or expires."""

    def __init__(self, socket: WebSocket, service: Service, auth: Authenticator, budgets: Budgets,
                 sessions: WsSessions, heartbeat: float = 10.0, max_depth: int = limits.MAX_DEPTH):
        self.socket, self.service, self.auth, self.budgets = socket, service, auth, budgets
        self.sessions = sessions
        self.heartbeat = heartbeat
        self.max_depth = max_depth
        self.key: ApiKey | None = None
        self.account: str | None = None
        self.sub: Subscriber | None = None
        self.cancel_on_disconnect = False
        self.closing: tuple[int, str] | None = None  # (code, reason): close once the outbox is sent
        self._expiry: asyncio.TimerHandle | None = None

    async def run(self) -> None:
        self.sub = Subscriber(self.account)
        self.service.hub.add(self.sub)
        sender = asyncio.create_task(self._send_loop())
        pending: set[asyncio.Task] = set()
        self._handshake()
        try:
            while True:
                message = await self.socket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                msg = self._parse(message.get("text"))
                if msg is None:
                    continue
                if msg.get("op") == "order":  # the hot path: no task, an answer on resolution
                    self._order(msg)
                    continue
                task = asyncio.create_task(self._handle(msg))
                pending.add(task)
                task.add_done_callback(pending.discard)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            self.service.hub.remove(self.sub)
            sender.cancel()
            if self.key is not None:
                self.sessions.discard(self.key.key_id, self)
            if self._expiry is not None:
                self._expiry.cancel()
            if self.cancel_on_disconnect and self.account is not None:
                with contextlib.suppress(Exception):
                    await self.service.cancel_all(self.account, None)

    async def _send_loop(self) -> None:
        q = self.sub.queue
        with contextlib.suppress(Exception):
            while True:
                if q.empty():  # (wait_for makes a task and a timer: only when idle)
                    try:
                        msg = await asyncio.wait_for(q.get(), self.heartbeat)
                    except TimeoutError:
                        msg = {"type": "heartbeat", "seq": self.service.hub.seq}
                else:
                    msg = q.get_nowait()
                batch = [msg]
                while not q.empty() and len(batch) < 500:
                    batch.append(q.get_nowait())
                for m in batch:
                    await self.socket.send_text(fastjson.dumps(m))
                if self.sub.overflowed:
                    await self.socket.close(1013, "too slow: resubscribe")
                    return
                if self.closing is not None:
                    await self.socket.close(*self.closing)
                    return

    def _reply(self, msg: dict) -> None:
        self.sub.send(msg)

    def _error(self, req_id, reason: Reason, detail: str, status: int | None = None) -> None:
        status = errors.http_status(reason) if status is None else status
        self._reply({"id": req_id, "type": "error",
                     "error": {"type": reason.problem_type, "title": reason.sentence,
                               "status": status, "detail": detail, "code": reason.name}})

    def _parse(self, text: str | None) -> dict | None:
        """A message as a dict, or None once its error has been answered (a binary frame, a
        text nested too deep, anything but a JSON object): the connection stays open."""
        if text is None:
            self._error(None, Reason.INVALID_COMMAND, "binary frames are not read: send each "
                        "message as a JSON text frame", 400)
            return None
        if limits.too_deep(text, self.max_depth):
            self._error(None, Reason.JSON_TOO_DEEP, f"the JSON nests more than {self.max_depth} levels")
            return None
        try:
            msg = json.loads(text)
        except ValueError:
            msg = None
        if not isinstance(msg, dict):
            self._error(None, Reason.INVALID_COMMAND, "messages are JSON objects", 400)
            return None
        return msg

    async def _handle(self, msg: dict) -> None:
        req_id = msg.get("id")
        op = msg.get("op")
        try:
            if self.key is None:  # an anonymous session: its client address's budget
                wait = self.budgets.addresses.check(address(self.socket.scope))
                if wait:
                    raise ApiError(429, Reason.RATE_LIMITED, f"rate limit: retry after {wait} s")
            handler = getattr(self, f"op_{op}", None) if isinstance(op, str) else None
            if handler is None:
                return self._error(req_id, Reason.INVALID_COMMAND, f"unknown op {op!r}", 400)
            result = await handler(msg)
            if result is not None:
                self._reply({"id": req_id, "type": "result", "op": op, "data": result})
        except _ANSWERED as exc:
            self._refuse(req_id, exc)

    def _refuse(self, req_id, exc: Exception) -> None:
        """The error message for what a request raised (one of `_ANSWERED`)."""
        if isinstance(exc, Rejection):
            self._error(req_id, exc.reason, exc.text)
        elif isinstance(exc, ApiError):
            self._error(req_id, exc.reason, exc.detail, exc.status)
        elif isinstance(exc, ValidationError):
            self._error(req_id, Reason.INVALID_COMMAND, describe_validation(exc.errors()), 422)
        else:  # ServiceStopped
            self._error(req_id, Reason.INVALID_COMMAND, str(exc), 503)

    def _order(self, msg: dict) -> None:
        """`op_order` without a task: validated and queued now, answered from the done
        callback of the order's future (run by the loop right after the writer resolved it,
        as the awaiting task would have been: before the next batch changes the venue)."""
        req_id = msg.get("id")
        try:
            account = self._private()
            r = wire.OrderRequest.model_validate(msg.get("params"))
            pending = self.service.place_nowait(account, r)
        except _ANSWERED as exc:
            return self._refuse(req_id, exc)
        if isinstance(pending, dict):  # a retried client_order_id: its first answer
            return self._reply({"id": req_id, "type": "result", "op": "order", "data": pending})
        pending.add_done_callback(partial(self._ordered, req_id, account, r))

    def _ordered(self, req_id, account: str, r: wire.OrderRequest, fut: asyncio.Future) -> None:
        if fut.cancelled():
            return
        try:
            result = self.service.placed(account, r, fut.result())
        except _ANSWERED as exc:
            return self._refuse(req_id, exc)
        self._reply({"id": req_id, "type": "result", "op": "order", "data": result})

    def _private(self) -> str:
        """The session's account for an op that trades, if its key (as it is now) may trade
        and the account's budget allows."""
        if self.key is None:
            raise ApiError(401, Reason.INVALID_API_KEY, "authenticate first (op auth or X-API-Key)")
        self.auth.allowed(self.key, write=True)
        wait = self.budgets.accounts.check(self.account)
        if wait:
            raise ApiError(429, Reason.RATE_LIMITED, f"rate limit: retry after {wait} s")
        return self.account

    def _handshake(self) -> None:
        """The handshake's key, if any (a signed key signs GET /v1/ws in the same headers)."""
        h = self.socket.headers
        if "x-api-key" not in h:
            return
        try:
            record = self.auth.key(h.get("x-api-key"))
            self.auth.signed(record, h.get("x-timestamp"), h.get("x-signature"),
                             h.get("x-recv-window"), "GET", "/v1/ws", "", b"")
        except ApiError as exc:
            return self._refuse(None, exc)
        self._login(record)

    def _login(self, record: ApiKey) -> None:
        """Act for `record`'s account from now on (another account's private channels are
        dropped) until the key is revoked or expires."""
        hub = self.service.hub
        for ch in [c for c in self.sub.channels if "@" in c]:
            hub.by_channel[ch].discard(self.sub)
            self.sub.channels.discard(ch)
        if self.key is not None:
            self.sessions.discard(self.key.key_id, self)
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        self.key, self.account = record, record.account
        self.sub.account = record.account
        self.sessions.add(record.key_id, self)
        if record.expires_at is not None:
            delay = (record.expires_at - self.auth.clock()) / 1e9
            self._expiry = asyncio.get_running_loop().call_later(
                max(0.0, delay), self.end, Reason.API_KEY_EXPIRED)

    def end(self, reason: Reason) -> None:
        """The session's key was revoked or has expired: say so, then close (1008)."""
        self.closing = (1008, reason.name)
        self._error(None, reason, f"API key {self.key.key_id}: {reason.sentence} The connection closes.")

    async def op_ping(self, msg):
        return {"pong": msg.get("ts")}

    async def op_auth(self, msg):
        record = self.auth.key(msg.get("api_key"))
        self.auth.signed(record, msg.get("timestamp"), msg.get("signature"), msg.get("recv_window"),
                         "GET", "/v1/ws", "", b"")
        self._login(record)
        return {"account_id": record.account, "key_id": record.key_id, "scope": record.scope}

    async def op_subscribe(self, msg):
        channels = msg.get("channels")
        if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
            raise ApiError(400, Reason.INVALID_COMMAND, "channels is a list of strings")
        s = self.service
        for ch in channels:
            kind, _, arg = ch.partition(".")
            if ch in PRIVATE:
                if self.account is None:
                    raise ApiError(401, Reason.UNKNOWN_ACCOUNT, f"{ch} is private: authenticate first")
            elif kind in ("book", "trades", "ticker"):
                if not s.fmt.knows(arg):
                    raise Rejection(Reason.UNKNOWN_SYMBOL, f"no listed contract {arg!r}")
            elif kind != "index" or arg not in ("SIT", "GPU"):
                raise ApiError(400, Reason.INVALID_COMMAND, f"unknown channel {ch!r}")
        await s.settled()  # snapshots of durable state, taken with the subscriptions at once
        for ch in channels:
            s.hub.subscribe(self.sub, ch)
            kind, _, arg = ch.partition(".")
            # the first message of a channel is its snapshot, taken now, before any later delta
            if kind == "book":
                depth = msg.get("depth", 50) if isinstance(msg.get("depth"), int) else 50
                bids, asks = s.hub.depth(arg, max(1, min(depth, 1000)))
                fmt = s.fmt
                self._reply({"channel": ch, "type": "snapshot", "seq": s.hub.book_seq[arg],
                             "data": {"bids": [[fmt.price(arg, p), q] for p, q in bids],
                                      "asks": [[fmt.price(arg, p), q] for p, q in asks]}})
            elif kind == "ticker":
                self._reply({"channel": ch, "type": "snapshot", "seq": s.hub.seq,
                             "data": s.fmt.ticker(arg)})
            elif ch == "positions":
                self._reply({"channel": ch, "type": "snapshot", "seq": s.hub.seq,
                             "data": [s.fmt.position(self.account, k) for k, _ in s.fmt.open_positions(self.account)]})
            elif ch == "orders":
                self._reply({"channel": ch, "type": "snapshot", "seq": s.hub.seq,
                             "data": [s.fmt.order(o) for o in s.store.open_orders(self.account)]})
        return {"subscribed": channels}

    async def op_unsubscribe(self, msg):
        channels = msg.get("channels") or []
        for ch in channels if isinstance(channels, list) else []:
            if isinstance(ch, str):
                self.service.hub.unsubscribe(self.sub, ch)
        return {"unsubscribed": channels}

    async def op_cancel_on_disconnect(self, msg):
        self._private()
        self.cancel_on_disconnect = bool(msg.get("enabled", True))
        return {"cancel_on_disconnect": self.cancel_on_disconnect}

    async def op_cancel(self, msg):
        account = self._private()
        oid = msg.get("order_id")
        if type(oid) is not int:
            raise ApiError(400, Reason.INVALID_COMMAND, "order_id is an integer")
        return await self.service.cancel(account, oid)

    async def op_amend(self, msg):
        account = self._private()
        oid = msg.get("order_id")
        if type(oid) is not int:
            raise ApiError(400, Reason.INVALID_COMMAND, "order_id is an integer")
        return await self.service.amend(account, oid, wire.AmendRequest.model_validate(msg.get("params") or {}))

    async def op_cancel_all(self, msg):
        account = self._private()
        symbol = msg.get("symbol")
        if symbol is not None and not isinstance(symbol, str):
            raise ApiError(400, Reason.INVALID_COMMAND, "symbol is a string")
        return {"cancelled": await self.service.cancel_all(account, symbol)}
