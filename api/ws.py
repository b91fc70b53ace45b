"""The WebSocket session at /v1/ws: subscriptions, order entry, heartbeats, cancel-on-disconnect.

One `WsSession` per connection, authenticated by the handshake's X-API-Key or the `auth` op;
`WsSessions` finds the open sessions of a key, so a revocation ends them at once. Every
message is answered as REST answers: a result, or an error carrying the problem+json fields.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from functools import partial

from fastapi import WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from api import errors, fastjson, limits, wire
from api.auth import Authenticator
from api.errors import ApiError, describe_validation
from api.hub import PRIVATE, Subscriber
from api.keys import ApiKey
from api.ratelimit import Budgets, address
from api.service import Service, ServiceStopped
from clearing.reasons import Reason, Rejection


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
                if msg.get("op") == "auth":  # at once, so an order sent right behind it has its key
                    self._auth(msg)
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
                    await self.service.orders.cancel_all(self.account, None)

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

    def _charge_anonymous(self) -> None:
        """An anonymous session spends its client address's budget (RATE_LIMITED when spent)."""
        if self.key is None:
            wait = self.budgets.addresses.check(address(self.socket.scope))
            if wait:
                raise ApiError(429, Reason.RATE_LIMITED, f"rate limit: retry after {wait} s")

    async def _handle(self, msg: dict) -> None:
        req_id = msg.get("id")
        op = msg.get("op")
        try:
            self._charge_anonymous()
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
            self._error(req_id, Reason.SERVICE_UNAVAILABLE, str(exc), 503)

    def _order(self, msg: dict) -> None:
        """`op_order` without a task: validated and queued now, answered from the done
        callback of the order's future (run by the loop right after the writer resolved it,
        as the awaiting task would have been: before the next batch changes the venue)."""
        req_id = msg.get("id")
        try:
            account = self._private()
            r = wire.OrderRequest.model_validate(msg.get("params"))
            pending = self.service.orders.place_nowait(account, r)
        except _ANSWERED as exc:
            return self._refuse(req_id, exc)
        if isinstance(pending, dict):  # a retried client_order_id: its first answer
            return self._reply({"id": req_id, "type": "result", "op": "order", "data": pending})
        pending.add_done_callback(partial(self._ordered, req_id, account, r))

    def _ordered(self, req_id, account: str, r: wire.OrderRequest, fut: asyncio.Future) -> None:
        if fut.cancelled():
            return
        try:
            result = self.service.orders.placed(account, r, fut.result())
        except _ANSWERED as exc:
            return self._refuse(req_id, exc)
        self._reply({"id": req_id, "type": "result", "op": "order", "data": result})

    def _private(self) -> str:
        """The session's account for an op that trades, if its key (as it is now) may trade
        and the account's budget allows."""
        if self.key is None:
            raise ApiError(401, Reason.UNAUTHENTICATED, "authenticate first (op auth or X-API-Key)")
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

    def _auth(self, msg: dict) -> None:
        """`auth` without a task (nothing in it waits): the ops read after it, an `order` on the
        hot path included, act for its account, as a client that pipelines them expects."""
        req_id = msg.get("id")
        try:
            self._charge_anonymous()
            record = self.auth.key(msg.get("api_key"))
            self.auth.signed(record, msg.get("timestamp"), msg.get("signature"),
                             msg.get("recv_window"), "GET", "/v1/ws", "", b"")
            self._login(record)
        except _ANSWERED as exc:
            return self._refuse(req_id, exc)
        self._reply({"id": req_id, "type": "result", "op": "auth",
                     "data": {"account_id": record.account, "key_id": record.key_id,
                              "scope": record.scope}})

    def _channels(self, msg: dict) -> list[str]:
        """The `channels` of a subscribe or unsubscribe, each one the server has: refused as a
        whole (nothing changes) on an unknown channel (UNKNOWN_CHANNEL, the API's own code) or a
        contract not listed (UNKNOWN_SYMBOL)."""
        channels = msg.get("channels")
        if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
            raise ApiError(400, Reason.INVALID_COMMAND, "channels is a list of strings")
        for ch in channels:
            kind, _, arg = ch.partition(".")
            if ch in PRIVATE:
                continue
            if kind in ("book", "trades", "ticker"):
                if not self.service.fmt.knows(arg):
                    raise Rejection(Reason.UNKNOWN_SYMBOL, f"no listed contract {arg!r}")
            elif kind != "index" or arg not in ("SIT", "GPU"):
                raise ApiError(404, Reason.UNKNOWN_CHANNEL,
                               f"unknown channel {ch!r}: book.X, trades.X, ticker.X (X a listed "
                               f"contract), index.SIT, index.GPU, {', '.join(PRIVATE)}")
        return channels

    async def op_subscribe(self, msg):
        channels = self._channels(msg)
        s = self.service
        for ch in channels:
            if ch in PRIVATE and self.account is None:
                raise ApiError(401, Reason.UNAUTHENTICATED, f"{ch} is private: authenticate first")
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
        channels = self._channels(msg)
        for ch in channels:
            self.service.hub.unsubscribe(self.sub, ch)
        return {"unsubscribed": channels}

    async def op_cancel_on_disconnect(self, msg):
        self._private()
        enabled = msg.get("enabled", True)
        if type(enabled) is not bool:
            raise ApiError(400, Reason.INVALID_COMMAND, "enabled is true or false")
        self.cancel_on_disconnect = enabled
        return {"cancel_on_disconnect": self.cancel_on_disconnect}

    async def op_cancel(self, msg):
        account = self._private()
        oid = msg.get("order_id")
        if type(oid) is not int:
            raise ApiError(400, Reason.INVALID_COMMAND, "order_id is an integer")
        return await self.service.orders.cancel(account, oid)

    async def op_amend(self, msg):
        account = self._private()
        oid = msg.get("order_id")
        if type(oid) is not int:
            raise ApiError(400, Reason.INVALID_COMMAND, "order_id is an integer")
        return await self.service.orders.amend(account, oid, wire.AmendRequest.model_validate(msg.get("params") or {}))

    async def op_cancel_all(self, msg):
        account = self._private()
        symbol = msg.get("symbol")
        if symbol is not None and not isinstance(symbol, str):
            raise ApiError(400, Reason.INVALID_COMMAND, "symbol is a string")
        return {"cancelled": await self.service.orders.cancel_all(account, symbol)}
