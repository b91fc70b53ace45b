"""The read model of what has left memory: closed orders and fills older than the retention
window, in SQLite beside the journal, paged by the history endpoints.

The order store keeps live orders and a window of recent history (api/store.py); the writer
retires what is older into this file after each batch (`keep`, one transaction), so memory stays
flat however long the service runs, and the history stays readable: an order by id, by its
client order id (a retry of an old order still answers it), an account's closed orders and its
fills, oldest first, by page.

It is derived state: everything in it comes from the journal's events. So it is written without
a sync of its own (a crash may lose its last writes) and records how many journal commands it
had folded at its last write (`position`); a snapshot records the position the history had when
it was taken, and a restart whose history is behind its snapshot's replays from the start
instead (a replay from the start begins with `clear()`; the service does both).
Rows are keyed by what identifies them, so folding the same commands twice writes them once.
Without a journal it lives in a temporary file, removed on close.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile

import orjson

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    order_id INTEGER PRIMARY KEY, account TEXT NOT NULL, symbol TEXT NOT NULL, ts INTEGER NOT NULL,
    client_order_id TEXT, terms BLOB, body BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS orders_by_account ON orders (account, order_id);
CREATE INDEX IF NOT EXISTS orders_by_client_id ON orders (account, client_order_id);
CREATE TABLE IF NOT EXISTS fills (
    account TEXT NOT NULL, seq INTEGER NOT NULL, order_id INTEGER NOT NULL, ts INTEGER NOT NULL,
    body BLOB NOT NULL, PRIMARY KEY (account, seq, order_id));
CREATE INDEX IF NOT EXISTS fills_by_order ON fills (order_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class History:
    def __init__(self, path: str | None = None):
        self.path = path  # None: a temporary file, made when something is first kept
        self._temporary = False
        self._db = None
        self.position = 0  # journal commands folded when it was last written
        if path is not None:
            row = self._open().execute("SELECT value FROM meta WHERE key = 'position'").fetchone()
            self.position = row[0] if row else 0

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            if self.path is None:
                fd, self.path = tempfile.mkstemp(prefix="sitex-history-", suffix=".db")
                os.close(fd)
                self._temporary = True
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=OFF")  # derived state: rebuilt from the journal
            self._db.executescript(SCHEMA)
        return self._db

    def _rows(self, sql: str, args: tuple) -> list:
        return [] if self._db is None else self._db.execute(sql, args).fetchall()

    def keep(self, orders: list[tuple[dict, tuple | None]], fills: list[tuple[str, dict]],
             position: int) -> None:
        """Retired orders (each with what it asked for, if it had a client order id) and
        (account, fill)s, and the journal position they are complete up to: one transaction."""
        db = self._open()
        db.execute("BEGIN")
        db.executemany("INSERT OR REPLACE INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [(o["order_id"], o["account"], o["symbol"], o["ts"], o["client_order_id"],
                         None if terms is None else orjson.dumps(terms), orjson.dumps(o))
                        for o, terms in orders])
        db.executemany("INSERT OR REPLACE INTO fills VALUES (?, ?, ?, ?, ?)",
                       [(account, f["seq"], f["order_id"], f["ts"], orjson.dumps(f))
                        for account, f in fills])
        db.execute("INSERT OR REPLACE INTO meta VALUES ('position', ?)", (position,))
        db.execute("COMMIT")
        self.position = position

    def clear(self) -> None:
        if self._db is not None:
            self._db.executescript("DELETE FROM orders; DELETE FROM fills; DELETE FROM meta;")
        self.position = 0

    # ---------------------------------------------------------------- reads

    def order(self, order_id: int) -> dict | None:
        if not 0 <= order_id < 1 << 63:  # not an id SQLite can hold, so not one of these
            return None
        rows = self._rows("SELECT body FROM orders WHERE order_id = ?", (order_id,))
        return orjson.loads(rows[0][0]) if rows else None

    def by_client_id(self, account: str, client_order_id: str) -> tuple[int, tuple | None] | None:
        """(order id, what it asked for) of the retired order with this client order id."""
        rows = self._rows("SELECT order_id, terms FROM orders WHERE account = ? AND "
                          "client_order_id = ?", (account, client_order_id))
        if not rows:
            return None
        oid, terms = rows[0]
        return oid, None if terms is None else tuple(orjson.loads(terms))

    def closed_orders(self, account: str, symbol: str | None, since: int, after_id: int,
                      limit: int) -> list[dict]:
        """Up to `limit` of the account's retired orders (of `symbol`, or all), by order id
        after `after_id`, made at or after `since` (ns)."""
        rows = self._rows("SELECT body FROM orders WHERE account = ? AND order_id > ? AND ts >= ? "
                          "AND (? IS NULL OR symbol = ?) ORDER BY order_id LIMIT ?",
                          (account, after_id, since, symbol, symbol, limit))
        return [orjson.loads(r[0]) for r in rows]

    def fills(self, account: str, after_seq: int, since: int, limit: int) -> list[dict]:
        rows = self._rows("SELECT body FROM fills WHERE account = ? AND seq > ? AND ts >= ? "
                          "ORDER BY seq, order_id LIMIT ?", (account, after_seq, since, limit))
        return [orjson.loads(r[0]) for r in rows]

    def fills_of(self, account: str, order_id: int) -> list[dict]:
        rows = self._rows("SELECT body FROM fills WHERE order_id = ? AND account = ? ORDER BY seq",
                          (order_id, account))
        return [orjson.loads(r[0]) for r in rows]

    def close(self) -> None:
        if self._db is None:
            return
        self._db.close()
        self._db = None
        if self._temporary:
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(self.path + suffix):
                    os.remove(self.path + suffix)
