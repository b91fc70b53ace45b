"""Who is calling: the admin key, and an API key checked from end to end (known, not revoked,
not expired, scope, signature).

The admin key comes from SITEX_ADMIN_KEY, or the server makes one and prints it once. Account
keys live in api/keys.py; a signed key's requests are verified by api/signing.py. Every refusal
is an ApiError with its own reason code (401 for who, 403 for what): no key at all is
UNAUTHENTICATED, a key that is not (or no longer) good says why (INVALID_API_KEY, ...).
"""

from __future__ import annotations

import hmac
import time

from api.errors import ApiError
from api.keys import ApiKey, KeyStore, key_hash, new_key
from api.signing import Verifier
from clearing.reasons import Reason, Rejection

_NOT_ACTIVE = {"revoked": Reason.API_KEY_REVOKED, "expired": Reason.API_KEY_EXPIRED}


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


class Authenticator:
    """An account's API key, checked: `key` for any request, `signed` for a signed key's."""

    def __init__(self, keys: KeyStore, verifier: Verifier | None = None, clock=time.time_ns):
        self.keys, self.clock = keys, clock
        self.verifier = verifier or Verifier()

    def key(self, text: str | None, write: bool = False) -> ApiKey:
        """The active key `text`; `write`: the request changes something (a `read` key may not)."""
        if not text:
            raise ApiError(401, Reason.UNAUTHENTICATED, "an X-API-Key header is required")
        record = self.keys.lookup(text)
        if record is None:
            raise ApiError(401, Reason.INVALID_API_KEY, "a valid X-API-Key header is required")
        return self.allowed(record, write)

    def allowed(self, record: ApiKey, write: bool = False) -> ApiKey:
        """The key as it is now (a revocation counts at once), if it may do this."""
        record = self.keys.get(record.key_id)
        status = record.status(self.clock())
        if status != "active":
            raise ApiError(401, _NOT_ACTIVE[status], f"API key {record.key_id} is {status}")
        if write and record.scope != "trade":
            raise ApiError(403, Reason.INSUFFICIENT_SCOPE,
                           f"API key {record.key_id} has scope {record.scope!r}: it reads, it does not trade")
        return record

    def signed(self, record: ApiKey, timestamp, signature, window, method: str, path: str,
               query: str, body: bytes) -> None:
        """A signed key's request: its signature, timestamp and freshness (else 401)."""
        if record.secret is None:
            return
        try:
            self.verifier.check(record.secret, timestamp, signature, window, method, path, query, body)
        except Rejection as r:
            raise ApiError(401, r.reason, r.text) from None
