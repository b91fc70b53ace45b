"""The session's event log: CSV layout, digest = SHA-256 of the file, spilling to pickles."""

import csv
import gzip
import hashlib
import io

from support.csv_event_log import reference_csv, reference_rows
from hypothesis import given, settings
from hypothesis import strategies as st

from clearing import clearing_events as CE
from clearing.reasons import Reason
from exchange.events import BookDelta, Fill, OrderAccepted, Rejected
from marketmakers.event_log import BATCH, COLUMNS, EventLog


def sample_events(n: int) -> list:
    out = []
    for i in range(n):
        seq = 4 * i
        out += [OrderAccepted(seq + 1, 10 * i, i, "mm-1", "SITF27", 1, 1, 2000 + i % 7, 5, None, 1,
                              None, None, "new"),
                BookDelta(seq + 2, 10 * i, "SITF27", 1, 2000 + i % 7, 5),
                Fill(seq + 3, 10 * i, i, "SITF27", 2000, 2, -1, i, "mm-1", 3, i + 1, "noise-1", 0),
                CE.CashMoved(seq + 4, 10 * i, "m:noise-1", "ccp:fees", 40, "fee", "noise-1")]
    out.append(Rejected(4 * n + 1, 10 * n, "cancel", "noise-1", None, 99, None,
                        Reason.UNKNOWN_ORDER, "no live order 99, sorry; really"))
    return out


def test_the_csv_has_one_row_per_event_and_the_digest_is_its_sha256(tmp_path):
    log = EventLog()
    events = sample_events(50)
    log.extend(events)
    path = tmp_path / "events.csv"
    digest = log.write(path)
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    rows = list(csv.DictReader(path.open()))
    assert tuple(rows[0]) == COLUMNS and len(rows) == len(events)
    assert [int(r["seq"]) for r in rows] == [e.seq for e in events]
    fill = rows[2]
    assert (fill["kind"], fill["symbol"], fill["price"], fill["qty"]) == ("fill", "SITF27", "2000", "2")
    assert "maker_account=mm-1" in fill["detail"] and "taker_remaining=0" in fill["detail"]
    assert rows[3]["account"] == "noise-1" and "amount=40" in rows[3]["detail"]
    last = rows[-1]
    assert "reason=UNKNOWN_ORDER" in last["detail"]  # a reason by its name
    assert "sorry  really" in last["detail"]  # a ';' inside a text never splits the detail


def test_spilled_batches_give_the_same_log(tmp_path):
    events = sample_events(3 * BATCH // 4)  # several batches
    kept, spilled = EventLog(), EventLog(raw_limit=0)
    for log in (kept, spilled):
        for i in range(0, len(events), 7):
            log.extend(events[i:i + 7])
    assert any(isinstance(b, bytes) for b in spilled._batches)
    assert not any(isinstance(b, bytes) for b in kept._batches)
    assert list(spilled.events()) == list(kept.events()) == events
    assert spilled.write() == kept.write(tmp_path / "e.csv")


def test_the_log_is_written_exactly_as_the_csv_module_writes_it(tmp_path):
    events = sample_events(20)
    log = EventLog()
    log.extend(events)
    path = tmp_path / "events.csv"
    log.write(path)
    assert path.read_text(encoding="utf-8") == reference_csv(events)


texts = st.text(alphabet=st.sampled_from('ab ,;="\n\r\t-é'), max_size=12)


@settings(max_examples=200)
@given(account=texts, symbol=texts, text=texts, price=st.one_of(st.none(), st.integers(-5, 10**12)))
def test_any_text_is_quoted_so_that_the_file_reads_back(account, symbol, text, price):
    events = [OrderAccepted(1, 2, 3, account, symbol, -1, 1, price, 5, None, 1, None, text, "new"),
              Rejected(2, 3, "new", account, symbol or None, None, text, Reason.UNKNOWN_ORDER, text),
              CE.CashMoved(3, 4, "m:" + account, "ccp:fees", 40, text, account or None)]
    log = EventLog()
    log.extend(events)
    sink = io.StringIO()
    digest = log.write_to(sink)
    written = sink.getvalue()
    assert digest == hashlib.sha256(written.encode("utf-8")).hexdigest()
    expected = [["" if v is None else str(v) for v in row] for row in reference_rows(events)]
    assert list(csv.reader(io.StringIO(written, newline=""))) == expected
    if "\r" not in account + symbol + text:  # byte for byte what the csv module writes
        assert written == reference_csv(events)


def test_a_gzip_log_holds_the_same_csv_and_has_the_same_digest(tmp_path):
    """The digest is defined on the CSV text, so it compares across formats; the compressed
    bytes carry no time or name, so they are the same for the same events too."""
    log = EventLog()
    log.extend(sample_events(500))
    plain, packed, again = tmp_path / "events.csv", tmp_path / "events.csv.gz", tmp_path / "a.csv.gz"
    digest = log.write(plain)
    assert log.write(packed) == digest == log.write(again)
    assert gzip.decompress(packed.read_bytes()) == plain.read_bytes()
    assert packed.read_bytes() == again.read_bytes()
    assert packed.stat().st_size < plain.stat().st_size / 4


def test_every_event_the_venue_makes_is_a_tuple_event_the_log_reads_by_position():
    """The log reads every field by position (there is no second way for events of another
    shape): each event class of the exchange and the clearinghouse is a TupleEvent."""
    from clearing.events import TupleEvent
    from exchange import events as X

    classes = [v for m in (X, CE) for v in vars(m).values()
               if isinstance(v, type) and isinstance(getattr(v, "kind", None), str)]
    assert len(classes) > 20
    assert all(issubclass(c, TupleEvent) for c in classes), [c for c in classes if not issubclass(c, TupleEvent)]
    e = CE.MarkSet(7, 8, "SITF27", 2000, 1990, 10, "index+basis")
    log = EventLog()
    log.extend([e])
    assert log.write_to(io.StringIO()) == hashlib.sha256(reference_csv([e]).encode()).hexdigest()
