"""Snapshots of the service's state beside the journal, so a restart need not replay from zero.

A snapshot is the pickled state (venue, order store, accounts, index history) taken by the
writer between batches, when every applied command is durable, together with `position`: how
many journal commands it contains. Restart = load the latest snapshot, replay the commands after
it. It lives in the journal's SQLite file (table `api_snapshots`), so one file is the whole state.

The periodic snapshots are taken behind the service (`SnapshotInChild`): pickling the state
took ~0.6 s at 100,000 orders and grows with it, and the writer stopped order entry for all
that time. A forked child has the state as it was at the batch boundary (copy-on-write), pickles
it and hands the bytes over a pipe while the parent goes on; the parent stores them. Where the
system cannot fork, and for a snapshot asked for explicitly, the writer takes it inline.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from collections.abc import Callable

CAN_FORK = hasattr(os, "fork")

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


class SnapshotInChild:
    """One snapshot taken by a forked child: `dump()` (the pickled state) runs in the child,
    on its copy-on-write copy of the parent's memory as it was at the fork; `finish()`, in the
    parent, reads the bytes and stores them at `position`. The child closes every inherited
    descriptor but its pipe first (a listening socket kept open by it would stop a restarted
    server from binding its port) and leaves with os._exit (no atexit, no buffered output
    written twice)."""

    def __init__(self, dump: Callable[[], bytes], position: int):
        self.position = position
        r, w = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(r)
            os.close(w)
            raise
        if pid == 0:  # the child: nothing here may return into the parent's code
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is for the parent
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                os.closerange(3, w)  # the read end among them
                os.closerange(w + 1, max(os.sysconf("SC_OPEN_MAX"), w + 1))
                blob = dump()
                with os.fdopen(w, "wb") as out:
                    out.write(blob)
                code = 0
            except BaseException as exc:  # noqa: BLE001 - reported, and the parent is told
                try:  # a raw write: a buffered stream's lock may have been held at the fork
                    os.write(2, f"sitex: snapshot failed: {exc!r}\n".encode())
                except BaseException:  # noqa: BLE001
                    pass
            os._exit(code)
        os.close(w)
        self.pid, self._r = pid, r

    async def finish(self, store: SnapshotStore) -> bool:
        """Store the child's snapshot; False (and nothing stored) if the child failed."""
        try:
            blob = await asyncio.to_thread(_read_all, self._r)
        finally:  # reaped whatever the read did (a closed pipe ends a child still writing)
            _, status = await asyncio.to_thread(os.waitpid, self.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            return False
        await asyncio.to_thread(store.save, self.position, blob)
        return True


def _read_all(fd: int) -> bytes:
    with os.fdopen(fd, "rb") as f:
        return f.read()
