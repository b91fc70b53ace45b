"""Request signing, as Binance, Deribit and Kraken do it: HMAC-SHA256 over the request and a
timestamp, a receive window, and no replays.

A key made `signed` (api/keys.py) has a secret; each request with it carries

    X-Timestamp    milliseconds since the epoch when the client signed
    X-Signature    hex HMAC-SHA256(secret, "{timestamp}\\n{METHOD}\\n{path}?{query}\\n" + body)
    X-Recv-Window  optional: how many ms after (or before) the timestamp the request is good
                   for (default 5,000, at most 60,000)

(`?{query}` only when there is a query string; the body as sent, bytes.) A WebSocket signs its
handshake (GET /v1/ws, empty body) in the same headers, or the `auth` op's fields `timestamp`,
`signature`, `recv_window`. The server refuses a request outside its window (STALE_REQUEST),
a signature that does not match (INVALID_SIGNATURE) and one it has already seen inside its window
(REPLAYED_REQUEST): a captured request cannot be sent again, and after the window it is stale.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import deque

from clearing.reasons import Reason, Rejection

DEFAULT_WINDOW_MS = 5_000
MAX_WINDOW_MS = 60_000


def canonical(timestamp: int, method: str, path: str, query: str, body: bytes) -> bytes:
    target = f"{path}?{query}" if query else path
    return f"{timestamp}\n{method.upper()}\n{target}\n".encode() + body


def sign(secret: str, timestamp: int, method: str, path: str, query: str = "", body: bytes = b"") -> str:
    """The X-Signature of a request (the client's half)."""
    return hmac.new(secret.encode(), canonical(timestamp, method, path, query, body),
                    hashlib.sha256).hexdigest()


def headers(secret: str, method: str, path: str, query: str = "", body: bytes = b"",
            now_ms: int | None = None) -> dict[str, str]:
    """The headers that sign a request now."""
    ts = int(time.time() * 1000) if now_ms is None else now_ms
    return {"X-Timestamp": str(ts), "X-Signature": sign(secret, ts, method, path, query, body)}


class Verifier:
    """Checks signed requests and remembers the signatures seen inside their windows."""

    def __init__(self, clock_ms=lambda: time.time_ns() // 1_000_000):
        self.clock_ms = clock_ms
        self._seen: set[str] = set()
        self._expiry: deque[tuple[int, str]] = deque()  # (ms when it is stale anyway, signature)

    def check(self, secret: str, timestamp, signature, window, method: str, path: str, query: str,
              body: bytes) -> None:
        """Raises the Rejection that refuses the request, if any."""
        if timestamp is None or signature is None:
            raise Rejection(Reason.INVALID_SIGNATURE, "this key signs its requests: "
                            "X-Timestamp and X-Signature are required")
        ts, win = _integer(timestamp), DEFAULT_WINDOW_MS if window is None else _integer(window)
        if ts is None or win is None or not 0 < win <= MAX_WINDOW_MS:
            raise Rejection(Reason.INVALID_SIGNATURE, "X-Timestamp is milliseconds since the epoch "
                            f"and X-Recv-Window 1 to {MAX_WINDOW_MS} ms")
        now = self.clock_ms()
        if abs(now - ts) > win:
            raise Rejection(Reason.STALE_REQUEST, f"signed at {ts} ms, received at {now} ms: "
                            f"outside the {win} ms window")
        expected = sign(secret, ts, method, path, query, body)
        if not isinstance(signature, str) or not hmac.compare_digest(expected, signature.lower()):
            raise Rejection(Reason.INVALID_SIGNATURE, "the signature does not match the request")
        self._forget(now)
        if expected in self._seen:
            raise Rejection(Reason.REPLAYED_REQUEST, "this signed request was already received")
        self._seen.add(expected)
        self._expiry.append((ts + win, expected))

    def _forget(self, now: int) -> None:
        """Signatures whose window has passed (any copy of them would be stale now)."""
        expiry = self._expiry
        while expiry and expiry[0][0] < now:
            self._seen.discard(expiry.popleft()[1])


def _integer(value) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 20:
        return int(value)
    return None
