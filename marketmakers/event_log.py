"""The session's event log: every venue and clearing event, in sequence, as one CSV stream.

While the session runs the events are kept in memory as they are (the first `RAW_LIMIT`
events: a default session never pays for serialising them on the hot path) and beyond that as
pickled batches (compact, so a long session's memory stays bounded); `write` turns them into
CSV afterwards. Columns: seq, ts (ns), kind, then the fields most events share
(symbol, account, order_id, side, price, qty) and `detail`, the event's other fields as
`name=value` pairs joined by `;`. Prices are ticks, quantities lots, cash cents, reasons by
name. The session's digest is the SHA-256 of this CSV text, however it is stored: written to a
name ending in `.gz` (the default report's `events.csv.gz`) the same text is gzip-compressed
(about 6x smaller for a few tenths of a second more), so `zcat events.csv.gz | sha256sum` and
`sha256sum events.csv` print the same digest.
"""

from __future__ import annotations

import gzip
import hashlib
import pickle
from pathlib import Path

from clearing.reasons import Reason

COLUMNS = ("seq", "ts", "kind", "symbol", "account", "order_id", "side", "price", "qty", "detail")
COMMON = COLUMNS[3:9]
BATCH = 16_384
RAW_LIMIT = 4_000_000  # events kept unserialised (about 0.5 GB); the rest pickled per batch
# zlib level 3: the default day's 137 MB of CSV in 1.0 s to 23 MB (level 1: 0.7 s, 26 MB;
# level 6, gzip's default: 2.6 s, 19 MB; measured on this project's 2-core machine)
GZIP_LEVEL = 3


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
        """Write the CSV to `path` (gzip-compressed when its name ends in .gz), or nowhere, and
        return the SHA-256 of the CSV text. The gzip stream carries no time and no file name,
        so the same events give the same compressed bytes too."""
        if path is None:
            return self._write(None)
        path = Path(path)
        with path.open("wb") as raw:
            if path.suffix != ".gz":
                return self._write(raw.write)
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                               compresslevel=GZIP_LEVEL) as packed:
                return self._write(packed.write)

    def write_to(self, sink) -> str:
        """Write the CSV to a text stream (or nowhere: None) and return its SHA-256."""
        return self._write(None if sink is None else (lambda data: sink.write(data.decode("utf-8"))))

    def _write(self, put) -> str:
        """The CSV as UTF-8 bytes, a batch at a time, to `put` (None: only the digest)."""
        h = hashlib.sha256()
        lines: dict = {}
        _out(",".join(COLUMNS) + "\n", h, put)
        for batch in self.batches():
            parts = []
            add = parts.append
            for e in batch:
                line = lines.get(e.__class__)
                if line is None:
                    line = lines[e.__class__] = _line_function(e.__class__)
                add(line(e))
            _out("".join(parts), h, put)
        return h.hexdigest()

    def batches(self):
        self._seal()
        for batch in self._batches:
            yield pickle.loads(batch) if isinstance(batch, bytes) else batch


def _line_function(cls):
    """A function from one event of class `cls` to its CSV line, made once per class: the
    common columns by position (every event is a TupleEvent, clearing.events), the rest as
    `name=value` pairs (a reason code by its name). The cells are quoted exactly as the csv
    module quotes them (QUOTE_MINIMAL: only a cell with a comma, a quote or a line break);
    a whole line is one f-string (the log of a default session is written in half the time a
    csv writer took; tests/support/csv_event_log.py is that writer, kept as the reference)."""
    fields = cls._fields
    ref = {name: f"e[{i}]" for i, name in enumerate(fields)}
    body, cells = [], []
    for i, name in enumerate(("seq", "ts") + COMMON):
        if name in ref:
            body.append(f"x{i} = {ref[name]}")
            cells.append(f"{{x{i} if x{i}.__class__ is int else _cell(x{i})}}")
        else:
            cells.append("")
    cells.insert(2, "{KIND}")
    rest = [name for name in fields if name not in COMMON and name not in ("seq", "ts")]
    if rest:
        for j, name in enumerate(rest):
            body.append(f"y{j} = {ref[name]}")
        detail = ";".join(f"{name}={{y{j} if y{j}.__class__ is int else _text(y{j})}}"
                          for j, name in enumerate(rest))
        body.append(f"detail = f{detail!r}")
        cells.append("{_cell(detail)}")
    else:
        cells.append("")
    body.append("return f" + repr(",".join(cells) + "\n"))
    namespace = {"_text": _text, "_cell": _cell, "KIND": _cell(cls.kind)}
    source = "def line(e):\n" + "".join(f"    {stmt}\n" for stmt in body)
    exec(source, namespace)  # noqa: S102 (generated from the class's field names)
    return namespace["line"]


def _cell(v) -> str:
    """One CSV cell as the csv module writes it: None empty, a text quoted only when needed."""
    if v is None:
        return ""
    text = v if v.__class__ is str else str(v)
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, Reason):
        return v.name
    return str(v).replace(";", " ")


def _out(text: str, h, put) -> None:
    data = text.encode("utf-8")
    h.update(data)
    if put is not None:
        put(data)
