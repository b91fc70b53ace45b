"""The event log's CSV written the plain way, with the csv module: the executable specification
that `marketmakers.event_log` (which builds each line as one f-string) must match byte for byte."""

from __future__ import annotations

import csv
import io

from marketmakers.event_log import COLUMNS, COMMON, _text


def reference_rows(events) -> list[list]:
    """The rows as values: the columns, then per event seq, ts, kind, the common fields, detail."""
    rows = [list(COLUMNS)]
    for e in events:
        values = dict(zip(e._fields, e.astuple()[1:]))
        rest = [n for n in e._fields if n not in COMMON and n not in ("seq", "ts")]
        detail = ";".join(f"{n}={_text(values[n])}" for n in rest)
        rows.append([values["seq"], values["ts"], e.kind] + [values.get(c) for c in COMMON] + [detail])
    return rows


def reference_csv(events) -> str:
    """What the csv module writes. (It leaves a lone carriage return unquoted when the line
    ends in a bare newline, so such a file does not read back; the event log quotes it.)"""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(reference_rows(events))
    return buf.getvalue()
