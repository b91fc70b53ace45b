"""The session's event log: every venue and clearing event, in sequence, as one CSV file.

While the session runs the events are kept in memory as they are (the first `RAW_LIMIT`
events: a default session never pays for serialising them on the hot path) and beyond that as
pickled batches (compact, so a long session's memory stays bounded); `write` turns them into
CSV afterwards. Columns: seq, ts (ns), kind, then the fields most events share
(symbol, account, order_id, side, price, qty) and `detail`, the event's other fields as
`name=value` pairs joined by `;`. Prices are ticks, quantities lots, cash cents, reasons by
name. The session's digest is the SHA-256 of this file's bytes, so anyone can check it with
`sha256sum events.csv`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import pickle
from pathlib import Path

from clearing.reasons import Reason

COLUMNS = ("seq", "ts", "kind", "symbol", "account", "order_id", "side", "price", "qty", "detail")
COMMON = COLUMNS[3:9]
BATCH = 16_384
RAW_LIMIT = 4_000_000  # events kept unserialised (about 0.5 GB); the rest pickled per batch


class EventLog:
    def __init__(self, raw_limit: int = RAW_LIMIT):
        self._batches: list = []  # lists of events, or pickled lists once past raw_limit
        self._pending: list = []
        self.count = 0
        self.raw_limit = raw_limit

    def extend(self, events: list) -> None:
        pending = self._pending
        pending.extend(events)
        if len(pending) >= BATCH:
            self._seal()

    def _seal(self) -> None:
        if self._pending:
            self.count += len(self._pending)
            batch = self._pending
            if self.count > self.raw_limit:
                batch = pickle.dumps(batch, pickle.HIGHEST_PROTOCOL)
            self._batches.append(batch)
            self._pending = []

    def events(self):
        """Every event logged, in order."""
        for batch in self.batches():
            yield from batch

    def write(self, path: Path | None = None) -> str:
        """Write the CSV (to `path`, or nowhere) and return its SHA-256."""
        h = hashlib.sha256()
        sink = path.open("w", encoding="utf-8", newline="") if path is not None else None
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(COLUMNS)
        rows: dict = {}
        try:
            for batch in self.batches():
                for e in batch:
                    cls = type(e)
                    row = rows.get(cls)
                    if row is None:
                        row = rows[cls] = _row_function(cls.kind, e._fields)
                    writer.writerow(row(e.astuple()))
                _flush(buf, h, sink)
        finally:
            if sink is not None:
                sink.close()
        return h.hexdigest()

    def batches(self):
        self._seal()
        for batch in self._batches:
            yield pickle.loads(batch) if isinstance(batch, bytes) else batch


def _row_function(kind: str, fields: tuple[str, ...]):
    """A function from (kind, *fields) to one CSV row, made once per event class: the common
    columns by position, the rest as `name=value` pairs (a reason code by its name)."""
    pos = {name: i + 1 for i, name in enumerate(fields)}
    cells = [f"v[{pos['seq']}]", f"v[{pos['ts']}]", repr(kind)]
    cells += [f"v[{pos[c]}]" if c in pos else "None" for c in COMMON]
    rest = [name for name in fields if name not in COMMON and name not in ("seq", "ts")]
    detail = ";".join(f"{name}={{_text(v[{pos[name]}])}}" for name in rest)
    cells.append(f"f{detail!r}" if rest else "''")
    namespace = {"_text": _text}
    exec(f"def row(v):\n    return ({', '.join(cells)},)\n", namespace)  # noqa: S102 (generated from field names)
    return namespace["row"]


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, Reason):
        return v.name
    return str(v).replace(";", " ")


def _flush(buf: io.StringIO, h, sink) -> None:
    text = buf.getvalue()
    h.update(text.encode("utf-8"))
    if sink is not None:
        sink.write(text)
    buf.seek(0)
    buf.truncate()
