"""API keys (stored hashed) and per-key rate limits.

A key is shown once, when its account is made; the server keeps only its SHA-256. Keys are
long random tokens, so a plain hash is enough (no password stretching needed), and lookups are
one dict access. The key table lives in the journal's SQLite file when there is one, so a
restarted server knows the same keys.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import sqlite3
import time


def new_key(prefix: str = "sk") -> str:
    return f"{prefix}_{secrets.token_urlsafe(24)}"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyStore:
    """account -> hashed key; with a path the table is durable (written before the key is shown)."""

    def __init__(self, path: str | None = None):
        self._by_hash: dict[str, str] = {}
        self._db = None
        if path:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("CREATE TABLE IF NOT EXISTS api_keys "
                             "(key_hash TEXT PRIMARY KEY, account TEXT NOT NULL)")
            for h, account in self._db.execute("SELECT key_hash, account FROM api_keys"):
                self._by_hash[h] = account

    def add(self, account: str, key: str) -> None:
        h = key_hash(key)
        if self._db is not None:
            self._db.execute("INSERT INTO api_keys VALUES (?, ?)", (h, account))
        self._by_hash[h] = account

    def account_for(self, key: str | None) -> str | None:
        if not key:
            return None
        return self._by_hash.get(key_hash(key))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


class AdminKey:
    """The admin key from SITEX_ADMIN_KEY, or a fresh one the server prints once."""

    def __init__(self, key: str | None):
        self.generated = not key
        self._key = key or new_key("admin")
        self._hash = key_hash(self._key)

    def reveal_once(self) -> str | None:
        """The generated key, the first time only (for the start-up banner)."""
        if not self.generated:
            return None
        key, self.generated = self._key, False
        return key

    @property
    def key(self) -> str:
        """For processes this server starts itself (`serve --agents`); never logged."""
        return self._key

    def matches(self, key: str | None) -> bool:
        return bool(key) and hmac.compare_digest(key_hash(key), self._hash)


class RateLimiter:
    """Token buckets per key: `rate` requests per second, bursts up to `burst`.

    `check` answers 0 when the request may go, else the seconds to wait (for Retry-After).
    The clock is a parameter so that tests drive it.
    """

    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def check(self, key: str, cost: float = 1.0) -> int:
        if self.rate <= 0:
            return 0
        now = self.clock()
        tokens, last = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens >= cost:
            self._buckets[key] = (tokens - cost, now)
            return 0
        self._buckets[key] = (tokens, now)
        return max(1, math.ceil((cost - tokens) / self.rate))
