"""The FastAPI app: REST under /v1 and the WebSocket at /v1/ws, around one `Service`.

Handlers only parse, authenticate and format; every state change goes through the service's
command queue. OpenAPI docs are at /docs.
"""


import contextlib
import os
import time
from dataclasses import dataclass, field
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Query, Request, Security, WebSocket
from fastapi.security import APIKeyHeader

from api import errors, idempotency, limits, wire
from api.admin_keys import key_routes
from api.auth import AdminKey, Authenticator
from api.dashboard import install as install_dashboard
from api.errors import ApiError
from api.keys import KeyStore
from api.metrics import install as install_metrics
from api.ratelimit import Budgets, RateLimiter, RateLimits
from api.reports import install as install_reports
from api.service import Service, ServiceStopped
from api.ws import WsSession, WsSessions
from clearing.port import ClearingPort
from clearing.reasons import Reason, Rejection
from clearing.types import ProviderQuote
from exchange import commands as C

_PROBLEM = {"application/problem+json": {"schema": wire.Problem.model_json_schema()}}
PROBLEMS = {code: {"description": "RFC 9457 problem", "content": _PROBLEM}
            for code in (400, 401, 403, 404, 409, 413, 422, 429, 503)}


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
    gate: ClearingPort | None = None  # None: the permissive gate (no clearing)
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
        return errors.problem(Reason.SERVICE_UNAVAILABLE, f"the service has stopped: {exc}")

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
        if not key:
            raise ApiError(401, Reason.UNAUTHENTICATED, "this endpoint needs the admin key")
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

    def quotes_taken() -> None:
        """Index inputs from the API need `--index-source admin`: on another source the
        refusal is the API's own (409 WRONG_INDEX_SOURCE), not a malformed command."""
        if service.indices.source != "admin":
            raise ApiError(409, Reason.WRONG_INDEX_SOURCE,
                           f"this server publishes its indices from the provider feed "
                           f"(--index-source {service.indices.source}); index inputs through "
                           f"the API need --index-source admin")

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
        return await service.orders.place(account, body)

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
        return [fmt.order(o) for o in service.reads.closed_orders(account, symbol, since, after_id, limit)]

    def own(account: str, order_id: int) -> dict:
        o = service.reads.find_order(account, order_id)
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
        return await service.orders.amend(account, order_id, body)

    @app.delete("/v1/orders/{order_id}", tags=["orders"], response_model=wire.OrderView,
                responses=PROBLEMS)
    async def cancel_order(order_id: int, account: Account):
        return await service.orders.cancel(account, order_id)

    @app.delete("/v1/orders", tags=["orders"], responses=PROBLEMS)
    async def cancel_all(account: Account, symbol: str | None = None) -> dict:
        return {"cancelled": await service.orders.cancel_all(account, symbol)}

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
        return [fmt.fill(f) for f in service.reads.fills(account, after_seq, since, limit)]

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
        return {"accounts": [service.account_summary(a) for a in sorted(service.accounts)],
                "clearinghouse": service.venue.gate.ledger_summary()}

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
        quotes_taken()
        micro = wire.index_to_micro(body.value)
        await service.command(lambda ts: C.PublishIndex(ts, body.name, micro))
        return {"name": body.name, "value": wire.micro_to_index(micro)}

    @app.post("/v1/admin/provider-quotes", tags=["admin"], responses=PROBLEMS, dependencies=[Admin])
    async def provider_quote(body: wire.ProviderQuoteIn) -> dict:
        """A provider's list prices for one tier: an input of the index methodology
        (clearing/index.py: staleness, outliers, volume-weighted median, minimum contributors).
        With `--index-source admin` the index is published from these on each cycle, or at once
        with `POST /v1/admin/index/publish`."""
        quotes_taken()
        inp = wire.index_to_micro(body.input_price)
        out = wire.index_to_micro(body.output_price) if body.output_price is not None else inp
        quote = ProviderQuote(body.name, body.provider, body.tier, inp, out, body.volume, service.now())
        service.indices.add_provider_quote(quote)
        return {"name": body.name, "provider": body.provider, "tier": body.tier, "ts": quote.ts}

    @app.post("/v1/admin/index/publish", tags=["admin"], responses=PROBLEMS, dependencies=[Admin])
    async def publish_index() -> dict:
        """Publish the indices now from the provider quotes received (admin index source)."""
        quotes_taken()
        pubs = await service.indices.publish_from_quotes()
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
