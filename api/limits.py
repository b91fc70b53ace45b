"""What a request may carry: a body size limit, a JSON nesting limit, UTF-8.

`BodyLimits` is an ASGI middleware in front of every HTTP route: it reads the body itself, up
to the limit (a declared Content-Length over it is refused before a byte is read), so a 20 MB
upload costs the server no more than the limit; it refuses a body that is not UTF-8 or is
nested too deep, and hands the app the body it read. The WebSocket applies `too_deep` to each
message (api/app.py). Every refusal is a problem+json with its own reason code.
"""

from __future__ import annotations

import re

from api import errors
from clearing.reasons import Reason

MAX_BODY = 1 << 20  # bytes: 1 MiB
MAX_DEPTH = 32  # nested arrays and objects: the deepest request body of the API is 2

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_EMPTY_PAIR = re.compile(r"\[\]|\{\}")


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON `text` nests arrays and objects more than `limit` deep, decided without
    parsing it (json.loads recurses, and a few thousand levels raise RecursionError). A text
    with no more brackets than the limit cannot be deeper: one count, in C, for nearly every
    message. Otherwise: strings out, everything but brackets out, then the empty pairs (the
    innermost containers) removed `limit` times, one level a pass; a bracket left over was
    deeper. (A malformed text may be called too deep: it is refused either way.)"""
    if text.count("[") + text.count("{") <= limit:
        return False
    skeleton = _NOT_BRACKET.sub("", _STRING.sub("", text))
    for _ in range(limit):
        if not skeleton:
            return False
        skeleton = _EMPTY_PAIR.sub("", skeleton)
    return bool(skeleton)


class BodyLimits:
    """ASGI middleware: an HTTP request's body is at most `max_bytes` (else 413
    PAYLOAD_TOO_LARGE), UTF-8 (else 422 INVALID_ENCODING) and JSON no deeper than `max_depth`
    (else 422 JSON_TOO_DEEP). WebSockets and lifespan pass through."""

    def __init__(self, app, max_bytes: int = MAX_BODY, max_depth: int = MAX_DEPTH):
        self.app, self.max_bytes, self.max_depth = app, max_bytes, max_depth

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            return await self._too_large(scope, receive, send)
        try:
            body, replay = await read_body(receive, self.max_bytes)
        except BodyTooLarge:
            return await self._too_large(scope, receive, send)
        if body:
            refusal = self._refusal(body)
            if refusal is not None:
                return await errors.problem(*refusal)(scope, receive, send)
        await self.app(scope, replay, send)

    def _refusal(self, body: bytes) -> tuple[Reason, str] | None:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as e:
            return Reason.INVALID_ENCODING, (f"the body is not valid UTF-8: byte "
                                             f"0x{body[e.start]:02x} at position {e.start}")
        if too_deep(text, self.max_depth):
            return Reason.JSON_TOO_DEEP, f"the JSON nests more than {self.max_depth} levels"
        return None

    async def _too_large(self, scope, receive, send):
        """413 at once; the connection is closed rather than read to the end of the body."""
        response = errors.problem(Reason.PAYLOAD_TOO_LARGE,
                                  f"the body is over the limit of {self.max_bytes} bytes",
                                  headers={"Connection": "close"})
        await response(scope, receive, send)


def _content_length(scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyTooLarge(Exception):
    pass


async def read_body(receive, limit: int | None = None) -> tuple[bytes, object]:
    """An HTTP request's whole body, read from the ASGI `receive`, and a `receive` that gives
    it to the app again (as one message). Raises BodyTooLarge as soon as it passes `limit`."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: let the app see it
            return b"", _replay(message, receive)
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            body = b"".join(chunks)
            return body, _replay({"type": "http.request", "body": body, "more_body": False}, receive)


def _replay(message: dict, receive):
    """A `receive` that gives `message`, then the server's own (the body read, what comes
    next is the client's disconnect)."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return message
        return await receive()

    return replay
