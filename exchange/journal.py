"""The command journal: an append-only log of every command the venue was given, on SQLite.

This is the adapter at the edge of the core (ports and adapters): the venue only calls
`append`, which buffers; `flush` writes the buffered commands as one batch row and commits.
Replaying the journal into a fresh venue gives the identical event stream and state, because
the venue is deterministic and every command (rejected ones too) is in the log.

Storage: one SQLite file in WAL mode with 64 KiB pages, table `batches(id INTEGER PRIMARY
KEY, n INTEGER, records BLOB)`. A batch is the pickled list of command records (tuples of ints, strings,
bools and None: see `Command.to_record`), so a batch of thousands of commands costs one row
insert. `synchronous=FULL` makes a committed batch durable; the service acknowledges a command
only after the batch holding it was flushed (group commit).

A batch that fills up while the venue runs (`append`) is written behind: pickled at once, then
inserted and committed by a short-lived thread while the venue goes on (SQLite and the disk
sync let go of the GIL), one batch in flight at most. `flush` waits for it, then writes what
is left and returns once it is durable; that is the only point a caller relies on. Batches
are written in the order they were taken (a lock, held from taking the records to their
commit); a batch whose write failed is kept and written first by the next `flush`, which
raises if it fails again.

Checkpoints (copying the write-ahead log into the database file) are SQLite's, on the commit
that crosses its threshold, unless the journal is made with `background_checkpoints=True`:
then SQLite's are off and a thread of the journal's own checkpoints from a second connection
once enough has been written, so no commit waits for one (the service's journal: a checkpoint
on the commit path would hold every order in flight while it copies and syncs the log).
"""

from __future__ import annotations

import io
import pickle
import sqlite3
import threading
from collections.abc import Iterator

from exchange.commands import Command, command_from_record, record_of

SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY,
    n INTEGER NOT NULL,
    records BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

FORMAT_VERSION = "1"


CHECKPOINT_BYTES = 16 << 20  # written since the last checkpoint before the next one starts


class Journal:
    def __init__(self, path: str, batch_size: int = 16384, durable: bool = True,
                 background_checkpoints: bool = False, page_size: int = 65536):
        self.path = path
        self.batch_size = batch_size
        self._pending: list = []
        self._lock = threading.Lock()  # one writer at a time, batches in the order taken
        self._unwritten: list[tuple[int, bytes]] = []  # pickled batches not yet committed
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # a batch of thousands of commands is one large blob: big pages store it in fewer
        # overflow pages; a service's group commits are small, and every commit writes whole
        # pages to the log, so it takes small ones (a new file only: an existing journal keeps
        # the page size it was made with)
        self._db.execute(f"PRAGMA page_size={int(page_size)}")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self._db.executescript(SCHEMA)
        row = self._db.execute("SELECT value FROM meta WHERE key='format'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT_VERSION,))
        elif row[0] != FORMAT_VERSION:
            raise ValueError(f"{path}: journal format {row[0]}, expected {FORMAT_VERSION}")
        self.flushed = self._count()
        self.checkpoints = 0
        self._written = 0  # bytes since the last checkpoint began (a commit writes whole pages)
        self._page = self._db.execute("PRAGMA page_size").fetchone()[0]
        self._checkpointer: _Checkpointer | None = None
        if background_checkpoints:
            self._db.execute("PRAGMA wal_autocheckpoint=0")
            self._checkpointer = _Checkpointer(self)

    def append(self, cmd: Command) -> None:
        """Buffer one command; a full buffer is written behind (see the module's docstring)."""
        # (anything else the venue was given is kept too: it rejects it, and a replay must)
        self._pending.append(cmd.to_record() if isinstance(cmd, Command) else record_of(cmd))
        if len(self._pending) >= self.batch_size:
            self._write_behind()

    def flush(self) -> int:
        """Write what is buffered (after any batch in flight, and any whose write failed) as
        one batch and commit; when it returns, every command appended so far is durable.
        Returns how many commands it wrote."""
        with self._lock:
            self._take_batch()
            return self._write_unwritten()

    def _take_batch(self) -> None:
        """Move what is buffered, pickled, to the batches to write (under the lock)."""
        pending, self._pending = self._pending, []
        if pending:
            self._unwritten.append((len(pending), _dumps(pending)))

    def _write_behind(self) -> None:
        self._lock.acquire()  # the batch before this one is committed first
        try:
            self._take_batch()
            threading.Thread(target=self._write_and_release, name="sitex-journal-write",
                             daemon=True).start()
        except BaseException:
            self._lock.release()
            raise

    def _write_and_release(self) -> None:
        try:
            self._write_unwritten()
        except BaseException:  # noqa: BLE001 - the batches stay; the next flush raises
            pass
        finally:
            self._lock.release()

    def _write_unwritten(self) -> int:
        """Commit the batches not yet written, oldest first; on an error the rest stay."""
        written = 0
        while self._unwritten:
            n, blob = self._unwritten[0]
            self._write(n, blob)
            del self._unwritten[0]
            written += n
        return written

    def _write(self, n: int, blob: bytes) -> None:
        self._db.execute("BEGIN")
        self._db.execute("INSERT INTO batches (n, records) VALUES (?, ?)", (n, blob))
        self._db.execute("COMMIT")
        self.flushed += n
        if self._checkpointer is not None:
            self._written += (len(blob) // self._page + 2) * self._page
            if self._written >= CHECKPOINT_BYTES:
                self._written = 0
                self._checkpointer.wake.set()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def replay(self) -> Iterator[Command]:
        """Every durable command, in the order the venue received them."""
        with self._lock:  # after the batch in flight, if any
            pass
        for (blob,) in self._db.execute("SELECT records FROM batches ORDER BY id"):
            for record in pickle.loads(blob):
                yield command_from_record(record)

    def _count(self) -> int:
        return self._db.execute("SELECT COALESCE(SUM(n), 0) FROM batches").fetchone()[0]

    def close(self) -> None:
        self.flush()
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self._db.close()


class _Checkpointer(threading.Thread):
    """Copies the journal's write-ahead log into its database file, from its own connection,
    when the journal says enough was written. PASSIVE: it never blocks the writer, which goes
    on appending to the log meanwhile; the log starts over once a checkpoint has caught up."""

    def __init__(self, journal: Journal):
        super().__init__(name="sitex-journal-checkpoint", daemon=True)
        self.journal = journal
        self.wake = threading.Event()
        self._stopping = False
        self._db = sqlite3.connect(journal.path, isolation_level=None, check_same_thread=False)
        self.start()

    def run(self) -> None:
        while True:
            self.wake.wait()
            self.wake.clear()
            if self._stopping:
                return
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            self.journal.checkpoints += 1

    def stop(self) -> None:
        """Finish, then one last full checkpoint so the file is whole without its log."""
        self._stopping = True
        self.wake.set()
        self.join()
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        self._db.close()


def _dumps(records: list) -> bytes:
    """Pickle a batch without the memo (the pickler's `fast` mode): records are flat tuples,
    never self-referential, and the memo nearly doubled the pickling time. The bytes are
    ordinary pickle data; `pickle.loads` reads them as before. `fast` is documented as
    deprecated since Python 3.0 but both picklers still have it; should it go, this line goes
    and only speed is lost."""
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(records)
    return buf.getvalue()


def replay_into(venue, journal: Journal) -> list:
    """Feed a journal's commands to a venue (with its own journal detached); returns the events."""
    saved, venue.journal = venue.journal, None
    events: list = []
    try:
        for cmd in journal.replay():
            events.extend(venue.submit(cmd))
    finally:
        venue.journal = saved
    return events
