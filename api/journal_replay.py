"""A server's journal read back: its commands in order, replayed through a fresh venue, and the
order store and venue a server on that journal would serve. What the regulator's reports
rebuild from (api/large_traders.py, api/audit_trail.py): the same data the live server folds,
so a report rebuilt from the journal agrees with the live one.

The storage is exchange/journal.py's: table `batches`, each row a pickled list of command
records, read here read-only (a running server may be writing it)."""

from __future__ import annotations

import pickle
import sqlite3
from collections.abc import Iterator

from api.store import OrderStore
from exchange.commands import command_from_record
from exchange.venue import Venue


def read_commands(path: str) -> Iterator:
    """Every command of a journal file, in order, read-only (a running server may be writing
    it: SQLite's write-ahead log lets a reader see the batches committed so far). The storage
    is exchange/journal.py's: table `batches`, each row a pickled list of command records."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
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
