"""`Idempotency-Key` on every POST and PATCH (draft-ietf-httpapi-idempotency-key-header).

A client that sends the header may send the same request again, after a timeout or a lost
connection, and get the first answer instead of a second effect. Per caller (the API key the
request carries) and key, the first request's fingerprint (method, path, query, body) and its
answer (status, headers, body) are kept for `retention` seconds:

- the same key with the same request answers the stored response again (with the header
  `Idempotent-Replayed: true`), also for a refusal;
- the same key with another request is 422 IDEMPOTENCY_KEY_REUSED;
- the same key while its first request is still being processed is 409
  IDEMPOTENCY_KEY_IN_USE (retry later).

Answers that say "try again" (429, 5xx) are not kept. The store is memory: bounded by the
retention window and `max_entries` (the oldest go first), and gone on a restart; an order's
`client_order_id` is the durable guard against a second order (docs/api.md).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass

from api import errors
from api.limits import read_body
from clearing.reasons import Reason

HEADER = "Idempotency-Key"
MAX_KEY = 255
METHODS = ("POST", "PATCH")


@dataclass(slots=True)
class Kept:
    fingerprint: bytes
    at: float  # monotonic seconds when the first request came
    status: int | None = None  # None while the first request is being processed
    headers: list | None = None
    body: bytes = b""


class IdempotencyKeys:
    """ASGI middleware around the app (inside BodyLimits, which has already bounded the body)."""

    def __init__(self, app, retention: float = 86_400.0, max_entries: int = 10_000,
                 clock=time.monotonic):
        self.app, self.retention, self.max_entries, self.clock = app, retention, max_entries, clock
        self.kept: OrderedDict[tuple[bytes, str], Kept] = OrderedDict()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in METHODS:
            return await self.app(scope, receive, send)
        key, caller = None, b""
        for name, value in scope["headers"]:
            if name == b"idempotency-key":
                key = value.decode("latin-1")
            elif name == b"x-api-key":
                caller = hashlib.sha256(value).digest()
        if key is None:
            return await self.app(scope, receive, send)
        if not 0 < len(key) <= MAX_KEY:
            return await errors.problem(Reason.INVALID_COMMAND, f"an {HEADER} is 1 to {MAX_KEY} "
                                        "characters")(scope, receive, send)
        body, receive = await read_body(receive)
        fingerprint = hashlib.sha256(b"\n".join((scope["method"].encode(), scope["path"].encode(),
                                                 scope.get("query_string", b""), body))).digest()
        self._forget_old()
        kept = self.kept.get((caller, key))
        if kept is not None:
            return await self._again(kept, fingerprint, key, scope, receive, send)
        kept = self.kept[(caller, key)] = Kept(fingerprint, self.clock())
        while len(self.kept) > self.max_entries:
            self.kept.popitem(last=False)
        try:
            await self.app(scope, receive, _recording(send, kept))
        finally:
            if kept.status is None or kept.status == 429 or kept.status >= 500:
                self.kept.pop((caller, key), None)  # not an answer to give again

    async def _again(self, kept: Kept, fingerprint: bytes, key: str, scope, receive, send):
        if kept.fingerprint != fingerprint:
            response = errors.problem(Reason.IDEMPOTENCY_KEY_REUSED,
                                      f"{HEADER} {key!r} was used with another request")
        elif kept.status is None:
            response = errors.problem(Reason.IDEMPOTENCY_KEY_IN_USE,
                                      f"the request with {HEADER} {key!r} is still being processed")
        else:
            await send({"type": "http.response.start", "status": kept.status,
                        "headers": kept.headers + [(b"idempotent-replayed", b"true")]})
            await send({"type": "http.response.body", "body": kept.body})
            return
        await response(scope, receive, send)

    def _forget_old(self) -> None:
        """Entries are in arrival order: the expired ones are at the front."""
        horizon = self.clock() - self.retention
        while self.kept:
            first = next(iter(self.kept.values()))
            if first.at >= horizon or first.status is None:
                return
            self.kept.popitem(last=False)


def _recording(send, kept: Kept):
    """`send` that also keeps the response in `kept` (status last: it marks it complete)."""
    parts: list[bytes] = []
    start: dict = {}

    async def record(message):
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                kept.headers = list(start.get("headers", ()))
                kept.body = b"".join(parts)
                kept.status = start["status"]
        await send(message)

    return record


def document(schema: dict) -> dict:
    """The OpenAPI schema with the optional `Idempotency-Key` header on every POST and PATCH."""
    header = {"name": HEADER, "in": "header", "required": False,
              "description": "replays the first answer to a retry with the same key and body "
                             "(422 IDEMPOTENCY_KEY_REUSED with another body)",
              "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY}}
    for path in schema.get("paths", {}).values():
        for method, operation in path.items():
            if method.upper() in METHODS:
                operation.setdefault("parameters", []).append(header)
    return schema
