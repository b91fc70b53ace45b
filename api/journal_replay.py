"""A server's journal read back: its commands in order, replayed through a fresh venue, and the
order store and venue a server on that journal would serve. What the regulator's reports
rebuild from (api/large_traders.py, api/audit_trail.py): the same data the live server folds,
so a report rebuilt from the journal agrees with the live one.

The storage is exchange/journal.py's: table `batches`, each row a pickled list of command
records, read here read-only (a running server may be writing it)."""

from __future__ import annotations

import os
import pickle
import sqlite3
from collections.abc import Iterator

from api.store import OrderStore
from exchange.commands import command_from_record
from exchange.journal import FORMAT_VERSION
from exchange.venue import Venue


class NotAJournal(ValueError):
    """The file given as a journal is not one a sitex server wrote (the sentence names it)."""


def _open(path: str) -> sqlite3.Connection:
    """The journal read-only, once it is known to be one: an SQLite file with exchange/
    journal.py's tables and format. Anything else would replay as nothing, an empty report
    that looks like a quiet day; a journal of a server that took no command passes."""
    if not os.path.isfile(path):
        raise NotAJournal(f"--journal {path}: no such file")
    if os.path.getsize(path) == 0:
        raise NotAJournal(f"--journal {path} is not a sitex journal: the file is empty")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = {"batches", "meta"} - tables
        if missing:
            raise NotAJournal(f"--journal {path} is not a sitex journal: an SQLite file without "
                              f"the journal's {'table' if len(missing) == 1 else 'tables'} "
                              f"{' and '.join(sorted(missing))}")
        row = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        if row is None or row[0] != FORMAT_VERSION:
            raise NotAJournal(f"--journal {path}: journal format {row[0] if row else 'missing'}, "
                              f"expected {FORMAT_VERSION}")
    except sqlite3.DatabaseError as exc:  # "file is not a database"
        db.close()
        raise NotAJournal(f"--journal {path} is not a sitex journal: {exc}") from None
    except NotAJournal:
        db.close()
        raise
    return db


def check_journal(path: str) -> None:
    """Refuse (NotAJournal, naming the file) what is not a sitex journal, before a report
    writes anything."""
    _open(path).close()


def read_commands(path: str) -> Iterator:
    """Every command of a journal file, in order, read-only (a running server may be writing
    it: SQLite's write-ahead log lets a reader see the batches committed so far). The storage
    is exchange/journal.py's: table `batches`, each row a pickled list of command records."""
    db = _open(path)
    try:
        for (blob,) in db.execute("SELECT records FROM batches ORDER BY id"):
            for record in pickle.loads(blob):
                yield command_from_record(record)
    finally:
        db.close()


def replay(path: str, gate) -> Iterator[tuple[int, object, list, Venue]]:
    """(position in the journal from 1, command, its events, the venue) for every command."""
    venue = Venue(gate=gate)
    for n, cmd in enumerate(read_commands(path), 1):
        yield n, cmd, venue.submit(cmd), venue


def rebuild(path: str, gate) -> tuple[OrderStore, Venue]:
    """The order store and venue a server on this journal would serve."""
    store = OrderStore()
    venue = None
    for _, _, events, venue in replay(path, gate):
        store.apply(events)
    return store, venue if venue is not None else Venue(gate=gate)
