"""Snapshots of the service's state beside the journal, so a restart need not replay from zero.

A snapshot is the pickled state (venue, order store, accounts, index history) taken by the
writer between batches, when every applied command is durable, together with `position`: how
many journal commands it contains. Restart = load the latest snapshot, replay the commands after
it. It lives in the journal's SQLite file (table `api_snapshots`), so one file is the whole state.
"""

from __future__ import annotations

import sqlite3

SCHEMA = """CREATE TABLE IF NOT EXISTS api_snapshots (
    id INTEGER PRIMARY KEY, position INTEGER NOT NULL, state BLOB NOT NULL)"""


class SnapshotStore:
    def __init__(self, path: str, keep: int = 2):
        self.keep = keep
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(SCHEMA)

    def save(self, position: int, state: bytes) -> None:
        self._db.execute("BEGIN")
        self._db.execute("INSERT INTO api_snapshots (position, state) VALUES (?, ?)", (position, state))
        self._db.execute("DELETE FROM api_snapshots WHERE id NOT IN "
                         "(SELECT id FROM api_snapshots ORDER BY id DESC LIMIT ?)", (self.keep,))
        self._db.execute("COMMIT")

    def latest(self) -> tuple[int, bytes] | None:
        row = self._db.execute("SELECT position, state FROM api_snapshots ORDER BY id DESC LIMIT 1").fetchone()
        return None if row is None else (row[0], row[1])

    def close(self) -> None:
        self._db.close()
