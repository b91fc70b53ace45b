"""API keys stored hashed, the admin key, token-bucket rate limits."""

import sqlite3

from api.auth import AdminKey, KeyStore, RateLimiter, key_hash, new_key


def test_keys_are_stored_hashed_and_survive_a_restart(tmp_path):
    path = str(tmp_path / "j.db")
    store = KeyStore(path)
    key = new_key()
    store.add("alice", key)
    assert store.account_for(key) == "alice"
    assert store.account_for("sk_wrong") is None and store.account_for(None) is None
    store.close()
    rows = sqlite3.connect(path).execute("SELECT key_hash, account FROM api_keys").fetchall()
    assert rows == [(key_hash(key), "alice")]
    assert key not in repr(rows)
    assert KeyStore(path).account_for(key) == "alice"


def test_new_keys_are_distinct_and_long():
    keys = {new_key() for _ in range(100)}
    assert len(keys) == 100 and all(len(k) > 30 for k in keys)


def test_admin_key_from_environment_is_never_revealed():
    given = AdminKey("secret")
    assert given.reveal_once() is None
    assert given.matches("secret") and not given.matches("Secret") and not given.matches(None)


def test_generated_admin_key_is_revealed_once():
    made = AdminKey(None)
    key = made.reveal_once()
    assert key and made.matches(key) and made.reveal_once() is None


def test_rate_limiter_bursts_then_refills():
    now = [0.0]
    rl = RateLimiter(rate=2, burst=3, clock=lambda: now[0])
    assert [rl.check("k") for _ in range(3)] == [0, 0, 0]
    assert rl.check("k") == 1  # empty: half a second to the next token, rounded up
    assert rl.check("other") == 0  # buckets are per key
    now[0] += 0.5
    assert rl.check("k") == 0 and rl.check("k") == 1
    now[0] += 10
    assert [rl.check("k") for _ in range(4)] == [0, 0, 0, 1]  # never more than the burst


def test_rate_limit_off():
    rl = RateLimiter(rate=0, burst=0)
    assert all(rl.check("k") == 0 for _ in range(1000))
