"""Python clients for a sitex server, sync and async, with the method names a ccxt user knows.

    from api.client import Client
    c = Client("http://127.0.0.1:8000", api_key="sk_...")
    c.create_order("SITZ26", "limit", "buy", 5, "2.010")
    c.fetch_order_book("SITZ26")

Prices and amounts of cash are decimal strings (or `Decimal`), quantities integers, exactly as on
the wire. A refusal raises `SitexError` carrying the problem's `code` (the venue's reason name).
Given `api_secret` (a key made `signed`), the client signs every request (api/signing.py).
`AsyncClient` adds WebSocket streams (`watch_order_book`, `watch_trades`, `watch_orders`, ...)
and order entry over the socket (`create_order_ws`).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import operator
import ssl
from decimal import Decimal

import httpx

from api import signing


class SitexError(Exception):
    def __init__(self, status: int, problem: dict):
        self.status = status
        self.problem = problem
        self.code = problem.get("code", "")
        self.retry_after = None
        super().__init__(f"{status} {self.code}: {problem.get('detail', '')}")


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every client of the process: httpx makes a new one per client by
    default, loading the CA bundle each time (about 50 ms), which a session of 205 agents,
    one client each, paid before its first order."""
    return ssl.create_default_context()


def _dec(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        raise TypeError("pass prices as str or Decimal, never float")
    return str(value)


def _whole(value, what: str) -> int:
    """An integer (numpy's too), else TypeError: `int()` turned an amount of 1.5 into an order
    for 1 lot and `cancel_order(3.9)` into a cancel of order 3, silently."""
    if isinstance(value, bool):
        raise TypeError(f"pass {what} as int, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"pass {what} as int, got {value!r}") from None


def order_body(symbol, type, side, amount, price=None, params=None) -> dict:
    body = {"symbol": symbol, "side": side, "type": type, "qty": _whole(amount, "quantities (lots)")}
    if price is not None:
        body["price"] = _dec(price)
    for k, v in (params or {}).items():
        body[k] = _dec(v) if k == "stop_price" else v
    return body


def _given(**query) -> dict:
    return {k: v for k, v in query.items() if v is not None}


def _raise_for(r: httpx.Response):
    if r.status_code >= 400:
        try:
            problem = r.json()
        except ValueError:
            problem = {"detail": r.text}
        err = SitexError(r.status_code, problem if isinstance(problem, dict) else {"detail": r.text})
        if "retry-after" in r.headers:
            err.retry_after = int(r.headers["retry-after"])
        raise err
    return r.json()


class _Routes:
    """The REST routes, shared by both clients: (method, path, json body, query)."""

    @staticmethod
    def create_order(symbol, type, side, amount, price=None, params=None):
        return "POST", "/v1/orders", order_body(symbol, type, side, amount, price, params), None

    @staticmethod
    def cancel_order(order_id, symbol=None):
        return "DELETE", f"/v1/orders/{_whole(order_id, 'order ids')}", None, None

    @staticmethod
    def cancel_all_orders(symbol=None):
        return "DELETE", "/v1/orders", None, {"symbol": symbol} if symbol else None

    @staticmethod
    def edit_order(order_id, symbol=None, type=None, side=None, amount=None, price=None, params=None):
        qty = None if amount is None else _whole(amount, "quantities (lots)")
        body = {"qty": qty, "price": _dec(price), "stop_price": _dec((params or {}).get("stop_price"))}
        body = {k: v for k, v in body.items() if v is not None}
        return "PATCH", f"/v1/orders/{_whole(order_id, 'order ids')}", body, None

    @staticmethod
    def fetch_order(order_id, symbol=None):
        return "GET", f"/v1/orders/{_whole(order_id, 'order ids')}", None, None

    @staticmethod
    def fetch_open_orders(symbol=None):
        return "GET", "/v1/orders", None, {"symbol": symbol} if symbol else None

    @staticmethod
    def fetch_order_book(symbol, limit=20):
        return "GET", f"/v1/book/{symbol}", None, {"depth": limit}

    @staticmethod
    def fetch_trades(symbol, limit=100):
        return "GET", f"/v1/trades/{symbol}", None, {"limit": limit}

    @staticmethod
    def fetch_ticker(symbol):
        return "GET", f"/v1/ticker/{symbol}", None, None

    @staticmethod
    def fetch_markets():
        return "GET", "/v1/contracts", None, None

    @staticmethod
    def fetch_index(name="SIT", history=50):
        return "GET", f"/v1/index/{name}", None, {"history": history}

    @staticmethod
    def fetch_positions():
        return "GET", "/v1/positions", None, None

    @staticmethod
    def fetch_balance():
        return "GET", "/v1/account", None, None

    @staticmethod
    def fetch_closed_orders(symbol=None, since=None, limit=100, after_id=0):
        """Filled, cancelled and expired orders, oldest first (`since`: ns)."""
        query = {"status": "closed", "limit": limit, "after_id": after_id}
        return "GET", "/v1/orders", None, query | _given(symbol=symbol, since=since)

    @staticmethod
    def fetch_my_trades(after_seq=0, limit=100, since=None):
        return "GET", "/v1/fills", None, {"after_seq": after_seq, "limit": limit} | _given(since=since)

    @staticmethod
    def withdraw(amount):
        return "POST", "/v1/withdrawals", {"amount": _dec(amount)}, None

    # admin
    @staticmethod
    def create_account(account_id=None, market_maker=False):
        body = {"market_maker": market_maker} | ({"account_id": account_id} if account_id else {})
        return "POST", "/v1/admin/accounts", body, None

    @staticmethod
    def deposit(account_id, amount):
        return "POST", "/v1/admin/deposits", {"account_id": account_id, "amount": _dec(amount)}, None

    @staticmethod
    def fetch_accounts():
        return "GET", "/v1/admin/accounts", None, None

    @staticmethod
    def set_trading_state(state, symbol=None, reason="operator"):
        return "POST", "/v1/admin/trading-state", {"symbol": symbol, "state": state, "reason": reason}, None

    @staticmethod
    def submit_index_quote(name, value, provider="admin"):
        return "POST", "/v1/admin/index-quotes", {"name": name, "value": _dec(value), "provider": provider}, None


    @staticmethod
    def create_api_key(account_id, scope="trade", label="", expires_at=None, signed=False):
        body = {"scope": scope, "label": label, "expires_at": expires_at, "signed": signed}
        return "POST", f"/v1/admin/accounts/{account_id}/keys", body, None

    @staticmethod
    def fetch_api_keys(account_id):
        return "GET", f"/v1/admin/accounts/{account_id}/keys", None, None

    @staticmethod
    def revoke_api_key(account_id, key_id):
        return "DELETE", f"/v1/admin/accounts/{account_id}/keys/{key_id}", None, None


ROUTES = [n for n in vars(_Routes) if not n.startswith("_")]


class _Signed(httpx.Auth):
    """Signs each request with a signed key's secret: X-Timestamp and X-Signature."""

    requires_request_body = True

    def __init__(self, secret: str):
        self.secret = secret

    def auth_flow(self, request: httpx.Request):
        path, _, query = request.url.raw_path.decode("latin-1").partition("?")
        request.headers.update(signing.headers(self.secret, request.method, path, query,
                                               request.content))
        yield request


def _http_options(url: str, api_key: str | None, api_secret: str | None, timeout: float) -> dict:
    return {"base_url": url, "headers": {"X-API-Key": api_key} if api_key else {}, "timeout": timeout,
            "verify": _tls(), "auth": _Signed(api_secret) if api_secret else None}


class Client:
    """Blocking client (httpx). `Client(url, api_key)`; use the admin key for admin methods;
    `api_secret` signs every request (a key made `signed`)."""

    def __init__(self, url: str, api_key: str | None = None, timeout: float = 10.0,
                 api_secret: str | None = None):
        self.url = url.rstrip("/")
        self.http = httpx.Client(**_http_options(self.url, api_key, api_secret, timeout))

    def request(self, method, path, body=None, query=None):
        return _raise_for(self.http.request(method, path, json=body, params=query))

    def close(self):
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class AsyncClient:
    """Asyncio client: REST through httpx, streams and socket order entry through websockets."""

    def __init__(self, url: str, api_key: str | None = None, timeout: float = 10.0,
                 api_secret: str | None = None):
        self.url = url.rstrip("/")
        self.api_key, self.api_secret = api_key, api_secret
        self.http = httpx.AsyncClient(**_http_options(self.url, api_key, api_secret, timeout))
        self._ws = None
        self._reader = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future] = {}
        self._streams: dict[str, asyncio.Queue] = {}

    async def request(self, method, path, body=None, query=None):
        return _raise_for(await self.http.request(method, path, json=body, params=query))

    # ------------------------------------------------------------------ websocket

    async def connect(self):
        import websockets

        if self._ws is None:
            ws_url = "ws" + self.url[4:] + "/v1/ws"
            headers = {"X-API-Key": self.api_key} if self.api_key else None
            if headers and self.api_secret:  # a signed key signs the handshake
                headers.update(signing.headers(self.api_secret, "GET", "/v1/ws"))
            self._ws = await websockets.connect(ws_url, additional_headers=headers, max_size=1 << 24)
            self._reader = asyncio.create_task(self._read_loop())
        return self._ws

    async def _read_loop(self):
        try:
            async for text in self._ws:
                msg = json.loads(text)
                if "id" in msg and msg.get("type") in ("result", "error"):
                    fut = self._waiting.pop(msg["id"], None)
                    if fut is not None and not fut.done():
                        if msg["type"] == "error":
                            fut.set_exception(SitexError(msg["error"]["status"], msg["error"]))
                        else:
                            fut.set_result(msg["data"])
                    continue
                q = self._streams.get(msg.get("channel"))
                if q is not None:
                    q.put_nowait(msg)
        finally:
            for fut in self._waiting.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("websocket closed"))

    async def ws_call(self, op: str, **fields):
        ws = await self.connect()
        req_id = next(self._ids)
        fut = asyncio.get_running_loop().create_future()
        self._waiting[req_id] = fut
        await ws.send(json.dumps({"op": op, "id": req_id, **fields}))
        return await fut

    async def subscribe(self, *channels: str) -> None:
        for ch in channels:
            self._streams.setdefault(ch, asyncio.Queue())
        await self.ws_call("subscribe", channels=list(channels))

    async def next_message(self, channel: str, timeout: float = 10.0) -> dict:
        return await asyncio.wait_for(self._streams[channel].get(), timeout)

    async def create_order_ws(self, symbol, type, side, amount, price=None, params=None):
        return await self.ws_call("order", params=order_body(symbol, type, side, amount, price, params))

    async def cancel_order_ws(self, order_id):
        return await self.ws_call("cancel", order_id=_whole(order_id, "order ids"))

    async def watch_order_book(self, symbol: str):
        """Yield the whole book (bids, asks as [Decimal price, qty]) after each change; on a
        sequence gap, resubscribe and start again from a fresh snapshot."""
        ch = "book." + symbol
        if ch not in self._streams:
            await self.subscribe(ch)
        book = {"bid": {}, "ask": {}}
        last = None
        while True:
            msg = await self._streams[ch].get()
            if msg["type"] == "snapshot":
                book = {"bid": {Decimal(p): q for p, q in msg["data"]["bids"]},
                        "ask": {Decimal(p): q for p, q in msg["data"]["asks"]}}
                last = msg["seq"]
            elif last is None:
                continue
            elif msg["prev_seq"] != last:  # lost a delta: start over
                last = None
                await self.ws_call("unsubscribe", channels=[ch])
                await self.ws_call("subscribe", channels=[ch])
                continue
            else:
                d = msg["data"]
                side = book[d["side"]]
                if d["qty"]:
                    side[Decimal(d["price"])] = d["qty"]
                else:
                    side.pop(Decimal(d["price"]), None)
                last = msg["seq"]
            yield {"symbol": symbol, "seq": last,
                   "bids": sorted(([p, q] for p, q in book["bid"].items()), reverse=True),
                   "asks": sorted([p, q] for p, q in book["ask"].items())}

    async def _watch(self, channel: str):
        """Updates on one channel (its snapshot, if any, is skipped: fetch_* gives that)."""
        if channel not in self._streams:
            await self.subscribe(channel)
        while True:
            msg = await self._streams[channel].get()
            if msg["type"] != "snapshot":
                yield msg["data"]

    def watch_trades(self, symbol: str):
        return self._watch("trades." + symbol)

    def watch_ticker(self, symbol: str):
        return self._watch("ticker." + symbol)

    def watch_orders(self):
        return self._watch("orders")

    def watch_my_trades(self):
        return self._watch("fills")

    def watch_positions(self):
        return self._watch("positions")

    async def close(self):
        if self._ws is not None:
            await self._ws.close()
            self._reader.cancel()
            self._ws = None
        await self.http.aclose()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()


def _sync_method(name):
    route = getattr(_Routes, name)

    def method(self, *args, **kwargs):
        return self.request(*route(*args, **kwargs))

    method.__name__ = name
    method.__doc__ = f"{route.__code__.co_varnames[:route.__code__.co_argcount]} -> the server's JSON"
    return method


def _async_method(name):
    route = getattr(_Routes, name)

    async def method(self, *args, **kwargs):
        return await self.request(*route(*args, **kwargs))

    method.__name__ = name
    return method


for _name in ROUTES:
    setattr(Client, _name, _sync_method(_name))
    setattr(AsyncClient, _name, _async_method(_name))
