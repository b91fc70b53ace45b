"""The server's logs: `sitex serve --log-format json` writes one JSON object a line.

Every HTTP request and WebSocket connection gets a request id (the client's `X-Request-Id`
when it sends a sane one, else a fresh one), echoed in the response's `X-Request-Id` header
and carried by every line logged while it is handled. A request's line holds the method, the
path without its query string, the status and the duration; never a header, so never an API
key, and any text that looks like a key (`sk_...`) or equals the admin key is masked before a
line is written (the service logs no secret, this is the second lock).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

log = logging.getLogger("sitex")
access = logging.getLogger("sitex.access")

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_KEY = re.compile(r"sk_[A-Za-z0-9_-]{8,}")
_FIELDS = ("method", "path", "status", "duration_ms", "client", "kind")


class JsonFormatter(logging.Formatter):
    """A record as one JSON line: time, level, logger, message, request id, request fields."""

    def __init__(self, secrets: tuple[str, ...] = ()):
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
               "level": record.levelname.lower(), "logger": record.name,
               "msg": self.mask(record.getMessage())}
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            out["request_id"] = request_id
        for name in _FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                out[name] = value
        if record.exc_info:
            out["error"] = self.mask(self.formatException(record.exc_info))
        return json.dumps(out, default=str)

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return _KEY.sub("sk_***", text)


def configure(log_format: str, level: str = "info", secrets: tuple[str, ...] = ()) -> None:
    """Send the sitex and uvicorn loggers to stdout, as JSON lines or as plain text."""
    handler = logging.StreamHandler(sys.stdout)
    if log_format == "json":
        handler.setFormatter(JsonFormatter(secrets))
    else:
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    log.setLevel(logging.INFO)  # the service's own notices, whatever uvicorn's level
    access.setLevel(logging.INFO)


class RequestIds:
    """ASGI middleware: a request id per request or WebSocket, in the `X-Request-Id` header of
    the answer and in every line logged meanwhile, and one access line when it is done."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        given = dict(scope.get("headers") or ()).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = None
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message):
            nonlocal status
            kind = message["type"]
            if kind in ("http.response.start", "websocket.accept"):
                status = message.get("status", 101)
                message = {**message, "headers": [*message.get("headers", ()), header]}
            elif kind == "websocket.close" and status is None:
                status = 403  # refused before it was accepted
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            client = scope.get("client")
            access.info("%s %s", scope.get("method", "WEBSOCKET"), scope["path"], extra={
                "kind": scope["type"], "method": scope.get("method", "GET"), "path": scope["path"],
                "status": status, "client": client[0] if client else None,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3)})
            REQUEST_ID.reset(token)
