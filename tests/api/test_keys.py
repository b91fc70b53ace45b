"""The key store (api/keys.py): several keys per account, stored hashed, durable, revocable."""

import sqlite3

from api.keys import KeyStore, key_hash, new_key

NOW = 1_800_000_000 * 10**9


def test_keys_are_stored_hashed_and_survive_a_restart(tmp_path):
    path = str(tmp_path / "j.db")
    store = KeyStore(path)
    first, key = store.create("alice", NOW, label="bot")
    second, other = store.create("alice", NOW + 1, scope="read", expires_at=NOW + 10, signed=True)
    assert store.lookup(key) == first and store.lookup(other) == second
    assert store.lookup("sk_wrong") is None and store.lookup(None) is None
    assert [k.key_id for k in store.of_account("alice")] == [first.key_id, second.key_id]
    store.revoke(first.key_id, NOW + 2)
    store.close()
    rows = sqlite3.connect(path).execute("SELECT key_hash, account FROM api_keys").fetchall()
    assert sorted(rows) == sorted([(key_hash(key), "alice"), (key_hash(other), "alice")])
    text = repr(sqlite3.connect(path).execute("SELECT * FROM api_keys").fetchall())
    assert key not in text and other not in text
    again = KeyStore(path)
    assert again.lookup(key).revoked_at == NOW + 2 and again.lookup(other) == second
    assert second.secret and again.get(second.key_id).secret == second.secret


def test_a_table_of_the_first_version_is_upgraded(tmp_path):
    """One key per account, (key_hash, account) only: each becomes an active trade key."""
    path = str(tmp_path / "j.db")
    key = new_key()
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE api_keys (key_hash TEXT PRIMARY KEY, account TEXT NOT NULL)")
    db.execute("INSERT INTO api_keys VALUES (?, ?)", (key_hash(key), "alice"))
    db.commit()
    db.close()
    record = KeyStore(path).lookup(key)
    assert (record.account, record.scope, record.status(NOW), record.secret) == ("alice", "trade", "active", None)
    assert record.key_id == KeyStore(path).lookup(key).key_id  # the same id on every start


def test_new_keys_are_distinct_and_long():
    keys = {new_key() for _ in range(100)}
    assert len(keys) == 100 and all(len(k) > 30 for k in keys)


def test_the_view_never_shows_a_secret():
    store = KeyStore()
    record, key = store.create("alice", NOW, signed=True)
    view = repr(record.view(NOW))
    assert key not in view and record.secret not in view and key_hash(key) not in view
    assert record.view(NOW)["signed"] is True
