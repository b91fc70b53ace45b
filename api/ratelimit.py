"""Rate limits: token buckets per caller, and their state on every answer.

Three kinds of caller, three budgets: an account (all its keys share one bucket), the admin key
(a bucket of its own: an account named "admin" is not the admin), and a request without a
valid key, per client address. `RateLimits` is an ASGI middleware that charges each HTTP request
to its caller's bucket before the app sees it and answers

    RateLimit-Limit: <burst>  RateLimit-Remaining: <requests left now>  RateLimit-Reset: <s to full>

(draft-ietf-httpapi-ratelimit-headers), with 429 RATE_LIMITED and Retry-After when the bucket is
empty. The WebSocket charges its ops to the same buckets (api/app.py).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from api import errors
from clearing.reasons import Reason


@dataclass(frozen=True, slots=True)
class Quota:
    limit: int
    remaining: int
    reset: int  # seconds until the bucket is full again
    retry_after: int  # 0: the request may go

    def headers(self) -> list[tuple[bytes, bytes]]:
        out = [(b"ratelimit-limit", b"%d" % self.limit), (b"ratelimit-remaining", b"%d" % self.remaining),
               (b"ratelimit-reset", b"%d" % self.reset)]
        if self.retry_after:
            out.append((b"retry-after", b"%d" % self.retry_after))
        return out


class RateLimiter:
    """Token buckets: `rate` requests per second, bursts up to `burst` (rate 0: no limit).
    The clock is a parameter so that tests drive it."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[object, tuple[float, float]] = {}

    def take(self, key, cost: float = 1.0) -> Quota | None:
        """Charge `key`'s bucket; the quota after it (None when there is no limit)."""
        if self.rate <= 0:
            return None
        now = self.clock()
        tokens, last = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        wait = 0
        if tokens >= cost:
            tokens -= cost
        else:
            wait = max(1, math.ceil((cost - tokens) / self.rate))
        self._buckets[key] = (tokens, now)
        return Quota(self.burst, int(tokens), math.ceil((self.burst - tokens) / self.rate), wait)

    def check(self, key, cost: float = 1.0) -> int:
        """0 when the request may go, else the seconds to wait (for Retry-After)."""
        quota = self.take(key, cost)
        return 0 if quota is None else quota.retry_after


@dataclass(frozen=True, slots=True)
class Budgets:
    """One limiter per kind of caller."""

    accounts: RateLimiter
    admin: RateLimiter
    addresses: RateLimiter

    @property
    def off(self) -> bool:
        return self.accounts.rate <= 0 and self.admin.rate <= 0 and self.addresses.rate <= 0

    def bucket(self, scope, admin, keys, now: int) -> tuple[RateLimiter, object]:
        """The (limiter, key) a request is charged to: its account's, the admin's, or (no valid
        key: unknown, revoked, expired, or none) its client address's."""
        key = None
        for name, value in scope["headers"]:
            if name == b"x-api-key":
                key = value.decode("latin-1")
                break
        if key:
            if admin.matches(key):
                return self.admin, "admin"
            record = keys.lookup(key)
            if record is not None and record.status(now) == "active":
                return self.accounts, record.account
        return self.addresses, address(scope)


def address(scope) -> str:
    client = scope.get("client")
    return client[0] if client else "?"


class RateLimits:
    """ASGI middleware: `bucket(scope)` names the caller's (limiter, key) for an HTTP request."""

    def __init__(self, app, bucket):
        self.app, self.bucket = app, bucket

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limiter, key = self.bucket(scope)
        quota = limiter.take(key)
        if quota is None:
            return await self.app(scope, receive, send)
        extra = quota.headers()
        if quota.retry_after:
            response = errors.problem(Reason.RATE_LIMITED,
                                      f"rate limit: retry after {quota.retry_after} s")
            response.raw_headers.extend(extra)
            return await response(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                message = dict(message, headers=list(message.get("headers", ())) + extra)
            await send(message)

        await self.app(scope, receive, with_headers)
