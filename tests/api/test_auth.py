"""The admin key, and an API key checked from end to end (api/auth.py)."""

import pytest

from api.auth import AdminKey, Authenticator
from api.errors import ApiError
from api.keys import KeyStore
from api.signing import Verifier, headers

NOW = 1_800_000_000 * 10**9


def test_admin_key_from_environment_is_never_revealed():
    given = AdminKey("secret")
    assert given.reveal_once() is None
    assert given.matches("secret") and not given.matches("Secret") and not given.matches(None)


def test_generated_admin_key_is_revealed_once():
    made = AdminKey(None)
    key = made.reveal_once()
    assert key and made.matches(key) and made.reveal_once() is None


def refusal(call) -> tuple[int, str]:
    with pytest.raises(ApiError) as e:
        call()
    return e.value.status, e.value.reason.name


def test_a_key_is_refused_when_unknown_revoked_expired_or_out_of_scope():
    clock = [NOW]
    store = KeyStore()
    auth = Authenticator(store, clock=lambda: clock[0])
    trade, trade_key = store.create("alice", NOW)
    read, read_key = store.create("alice", NOW, scope="read", expires_at=NOW + 10)
    assert auth.key(trade_key, write=True) == trade and auth.key(read_key) == read
    assert refusal(lambda: auth.key("sk_nope")) == (401, "INVALID_API_KEY")
    assert refusal(lambda: auth.key(None)) == (401, "UNAUTHENTICATED")  # no key: not a wrong one
    assert refusal(lambda: auth.key(read_key, write=True)) == (403, "INSUFFICIENT_SCOPE")
    clock[0] = NOW + 10
    assert refusal(lambda: auth.key(read_key)) == (401, "API_KEY_EXPIRED")
    store.revoke(trade.key_id, NOW + 11)
    assert refusal(lambda: auth.key(trade_key)) == (401, "API_KEY_REVOKED")
    assert refusal(lambda: auth.allowed(trade)) == (401, "API_KEY_REVOKED")  # the record held


def test_a_signed_key_needs_its_signature():
    store = KeyStore()
    auth = Authenticator(store, Verifier(clock_ms=lambda: NOW // 10**6))
    plain, _ = store.create("alice", NOW)
    signed, _ = store.create("alice", NOW, signed=True)
    auth.signed(plain, None, None, None, "POST", "/v1/orders", "", b"{}")  # nothing to check
    h = headers(signed.secret, "POST", "/v1/orders", "", b"{}", now_ms=NOW // 10**6)
    auth.signed(signed, h["X-Timestamp"], h["X-Signature"], None, "POST", "/v1/orders", "", b"{}")
    assert refusal(lambda: auth.signed(signed, None, None, None, "POST", "/v1/orders", "", b"{}")) \
        == (401, "INVALID_SIGNATURE")
