"""Snapshots of the service's state beside the journal, so a restart need not replay from zero.

A snapshot is the pickled state (venue, order store, accounts, index history) taken by the
writer between batches, when every applied command is durable, together with `position`: how
many journal commands it contains. Restart = load the latest snapshot, replay the commands after
it. It lives in the journal's SQLite file (table `api_snapshots`), so one file is the whole state.

The periodic snapshots are taken behind the service (`SnapshotInChild`): pickling the state
took ~0.6 s at 100,000 orders and grows with it, and the writer stopped order entry for all
that time. A forked child has the state as it was at the batch boundary (copy-on-write), pickles
it into a temporary file beside the journal while the parent goes on; the parent then copies
the file into the table a megabyte at a time. (Handed over a pipe, the tens of megabytes of a
snapshot were one allocation in the serving process each time, and its resident memory grew by
the heap they left behind: 230 to 410 MiB over a million orders.) Where the system cannot
fork, and for a snapshot asked for explicitly, the writer takes it inline.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import tempfile
from collections.abc import Callable

CAN_FORK = hasattr(os, "fork")

SCHEMA = """CREATE TABLE IF NOT EXISTS api_snapshots (
    id INTEGER PRIMARY KEY, position INTEGER NOT NULL, state BLOB NOT NULL)"""


CHUNK = 1 << 20  # bytes copied at a time from a child's file into the table


class SnapshotStore:
    def __init__(self, path: str, keep: int = 2):
        self.keep = keep
        self.directory = os.path.dirname(os.path.abspath(path))
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

    def save_file(self, position: int, path: str) -> None:
        """`save` of the bytes in file `path`, copied a chunk at a time (incremental blob I/O:
        the whole snapshot is never in this process's memory)."""
        size = os.path.getsize(path)
        db = self._db
        db.execute("BEGIN")
        try:
            row = db.execute("INSERT INTO api_snapshots (position, state) VALUES (?, zeroblob(?))",
                             (position, size)).lastrowid
            with open(path, "rb") as f, db.blobopen("api_snapshots", "state", row) as blob:
                while chunk := f.read(CHUNK):
                    blob.write(chunk)
            db.execute("DELETE FROM api_snapshots WHERE id NOT IN "
                       "(SELECT id FROM api_snapshots ORDER BY id DESC LIMIT ?)", (self.keep,))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def latest(self) -> tuple[int, bytes] | None:
        row = self._db.execute("SELECT position, state FROM api_snapshots ORDER BY id DESC LIMIT 1").fetchone()
        return None if row is None else (row[0], row[1])

    def close(self) -> None:
        self._db.close()


class SnapshotInChild:
    """One snapshot taken by a forked child: `dump()` (the pickled state) runs in the child,
    on its copy-on-write copy of the parent's memory as it was at the fork, and the child
    writes it to a temporary file in `directory`; `finish()`, in the parent, waits for the
    child and copies the file into the store at `position`. The child closes every inherited
    descriptor but its file's first (a listening socket kept open by it would stop a restarted
    server from binding its port) and leaves with os._exit (no atexit, no buffered output
    written twice)."""

    def __init__(self, dump: Callable[[], bytes], position: int, directory: str):
        self.position = position
        w, self.path = tempfile.mkstemp(prefix=".sitex-snapshot-", dir=directory)
        try:
            pid = os.fork()
        except OSError:
            os.close(w)
            os.remove(self.path)
            raise
        if pid == 0:  # the child: nothing here may return into the parent's code
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is for the parent
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                os.closerange(3, w)
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
        self.pid = pid

    async def finish(self, store: SnapshotStore) -> bool:
        """Store the child's snapshot; False (and nothing stored) if the child failed."""
        try:
            _, status = await asyncio.to_thread(os.waitpid, self.pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                return False
            await asyncio.to_thread(store.save_file, self.position, self.path)
            return True
        finally:
            os.remove(self.path)
