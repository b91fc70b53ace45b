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
"""

from __future__ import annotations

import io
import pickle
import sqlite3
from collections.abc import Iterator

from exchange.commands import Command, command_from_record

SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY,
    n INTEGER NOT NULL,
    records BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

FORMAT_VERSION = "1"


class Journal:
    def __init__(self, path: str, batch_size: int = 16384, durable: bool = True):
        self.path = path
        self.batch_size = batch_size
        self._pending: list = []
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # a batch is one large blob: big pages store it in fewer overflow pages (a new file
        # only; an existing journal keeps the page size it was made with)
        self._db.execute("PRAGMA page_size=65536")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self._db.executescript(SCHEMA)
        row = self._db.execute("SELECT value FROM meta WHERE key='format'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT_VERSION,))
        elif row[0] != FORMAT_VERSION:
            raise ValueError(f"{path}: journal format {row[0]}, expected {FORMAT_VERSION}")
        self.flushed = self._count()

    def append(self, cmd: Command) -> None:
        """Buffer one command; writes a batch when the buffer is full."""
        self._pending.append(cmd.to_record())
        if len(self._pending) >= self.batch_size:
            self.flush()

    def flush(self) -> int:
        """Write what is buffered as one batch and commit. Returns how many commands."""
        pending = self._pending
        if not pending:
            return 0
        self._pending = []
        blob = _dumps(pending)
        self._db.execute("BEGIN")
        self._db.execute("INSERT INTO batches (n, records) VALUES (?, ?)", (len(pending), blob))
        self._db.execute("COMMIT")
        self.flushed += len(pending)
        return len(pending)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def replay(self) -> Iterator[Command]:
        """Every durable command, in the order the venue received them."""
        for (blob,) in self._db.execute("SELECT records FROM batches ORDER BY id"):
            for record in pickle.loads(blob):
                yield command_from_record(record)

    def _count(self) -> int:
        return self._db.execute("SELECT COALESCE(SUM(n), 0) FROM batches").fetchone()[0]

    def close(self) -> None:
        self.flush()
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
