"""API keys as exchanges issue them: several per account, each with a scope, a label, an
optional expiry, revocable at once; stored hashed.

A key (`sk_...`) is shown once, when it is made; the server keeps its SHA-256 (keys are long
random tokens: a plain hash is enough, and a lookup is one dict access) and a public `key_id`
to list and revoke it by. Scope `trade` may do everything the account may; `read` only reads
(GET, and the WebSocket's subscriptions). A key made `signed` also has a signing secret
(shown once with it) and every request with it must be signed (api/signing.py): the server
keeps that secret, which HMAC verification needs, but a stolen table still lacks the keys
themselves. The table lives in the journal's SQLite file when there is one (written before
the key is shown), so a restarted server knows the same keys and revocations.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from dataclasses import dataclass, replace

SCOPES = ("trade", "read")


def new_key(prefix: str = "sk") -> str:
    return f"{prefix}_{secrets.token_urlsafe(24)}"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()

_COLUMNS = (("key_id", "TEXT"), ("scope", "TEXT NOT NULL DEFAULT 'trade'"),
            ("label", "TEXT NOT NULL DEFAULT ''"), ("created_at", "INTEGER NOT NULL DEFAULT 0"),
            ("expires_at", "INTEGER"), ("revoked_at", "INTEGER"), ("secret", "TEXT"))


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    account: str
    scope: str  # "trade" or "read"
    label: str
    created_at: int  # ns since the epoch
    expires_at: int | None  # ns since the epoch, or never
    revoked_at: int | None
    secret: str | None  # the HMAC secret of a key whose requests must be signed

    def status(self, now: int) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "active"

    def view(self, now: int) -> dict:
        """What the admin listing shows: never the key, its hash or its secret."""
        return {"key_id": self.key_id, "account_id": self.account, "scope": self.scope,
                "label": self.label, "created_at": self.created_at, "expires_at": self.expires_at,
                "revoked_at": self.revoked_at, "signed": self.secret is not None,
                "status": self.status(now)}


class KeyStore:
    """key hash -> ApiKey; with a path the table is durable."""

    def __init__(self, path: str | None = None):
        self._by_hash: dict[str, ApiKey] = {}
        self._hash_of: dict[str, str] = {}  # key_id -> key hash
        self._db = None
        if path:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("CREATE TABLE IF NOT EXISTS api_keys "
                             "(key_hash TEXT PRIMARY KEY, account TEXT NOT NULL)")
            have = {row[1] for row in self._db.execute("PRAGMA table_info(api_keys)")}
            for name, kind in _COLUMNS:  # a table of the first version: one key per account
                if name not in have:
                    self._db.execute(f"ALTER TABLE api_keys ADD COLUMN {name} {kind}")
            self._db.execute("UPDATE api_keys SET key_id = 'key_' || substr(key_hash, 1, 16) "
                             "WHERE key_id IS NULL")
            for row in self._db.execute("SELECT key_hash, key_id, account, scope, label, created_at, "
                                        "expires_at, revoked_at, secret FROM api_keys"):
                self._keep(row[0], ApiKey(*row[1:]))

    def create(self, account: str, now: int, scope: str = "trade", label: str = "",
               expires_at: int | None = None, signed: bool = False) -> tuple[ApiKey, str]:
        """A new key for `account`: its record and the key itself (shown once)."""
        if scope not in SCOPES:
            raise ValueError(f"scope is one of {SCOPES}")
        key = new_key()
        record = ApiKey("key_" + secrets.token_hex(8), account, scope, label, now, expires_at, None,
                        secrets.token_urlsafe(32) if signed else None)
        h = key_hash(key)
        if self._db is not None:
            self._db.execute("INSERT INTO api_keys (key_hash, account, key_id, scope, label, "
                             "created_at, expires_at, revoked_at, secret) VALUES (?,?,?,?,?,?,?,?,?)",
                             (h, account, record.key_id, scope, label, now, expires_at, None,
                              record.secret))
        self._keep(h, record)
        return record, key

    def _keep(self, h: str, record: ApiKey) -> None:
        self._by_hash[h] = record
        self._hash_of[record.key_id] = h

    def lookup(self, key: str | None) -> ApiKey | None:
        """The key's record, whatever its status (None: no such key)."""
        if not key:
            return None
        return self._by_hash.get(key_hash(key))

    def get(self, key_id: str) -> ApiKey | None:
        h = self._hash_of.get(key_id)
        return None if h is None else self._by_hash[h]

    def of_account(self, account: str) -> list[ApiKey]:
        return sorted((k for k in self._by_hash.values() if k.account == account),
                      key=lambda k: (k.created_at, k.key_id))

    def revoke(self, key_id: str, now: int) -> ApiKey | None:
        """Revoke at once (a revoked key stays revoked; its first revocation time is kept)."""
        h = self._hash_of.get(key_id)
        if h is None:
            return None
        record = self._by_hash[h]
        if record.revoked_at is None:
            record = replace(record, revoked_at=now)
            if self._db is not None:
                self._db.execute("UPDATE api_keys SET revoked_at = ? WHERE key_hash = ?", (now, h))
            self._by_hash[h] = record
        return record

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
