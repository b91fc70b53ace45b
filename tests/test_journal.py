"""The journal: every command durable in order; replay rebuilds identical events and state."""

import random

import pytest

from exchange.commands import (AmendOrder, CancelAll, CancelOrder, ListContracts, NewOrder,
                               PublishIndex, SetTradingState)
from exchange.journal import Journal, replay_into
from exchange.orders import OrderType, TimeInForce
from exchange.venue import Venue

T0 = 1_795_000_000 * 1_000_000_000


def random_commands(n, seed):
    rng = random.Random(seed)
    ts = T0
    cmds = [ListContracts(ts), PublishIndex(ts, "SIT", 2_000_000)]
    for i in range(n):
        ts += rng.randint(0, 3) * 1_000_000
        r = rng.random()
        account = rng.choice("abcd")
        if r < 0.6:
            kind = rng.choice([OrderType.LIMIT] * 6 + [OrderType.MARKET, OrderType.STOP_LIMIT])
            side = rng.choice([1, -1])
            price = rng.randint(1_950, 2_050) if kind != OrderType.MARKET else None
            stop = None
            if kind == OrderType.STOP_LIMIT:
                stop = price + side * rng.randint(1, 30)
            tif = rng.choice([TimeInForce.GTC, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.DAY])
            cmds.append(NewOrder(ts, account, "SITF27", side, rng.randint(1, 20), price, kind, tif,
                                 stop_price=stop, display_qty=None))
        elif r < 0.85:
            cmds.append(CancelOrder(ts, account, rng.randint(1, i + 1)))
        elif r < 0.95:
            cmds.append(AmendOrder(ts, account, rng.randint(1, i + 1), qty=rng.randint(1, 25)))
        elif r < 0.98:
            cmds.append(CancelAll(ts, account, "SITF27"))
        else:
            cmds.append(SetTradingState(ts, "SITF27", rng.choice(["open", "halted", "closed"])))
    return cmds


def test_replay_gives_identical_events_and_state(tmp_path):
    path = str(tmp_path / "journal.sqlite")
    journal = Journal(path, batch_size=64)
    live = Venue(journal=journal)
    live_events = []
    for cmd in random_commands(1_500, seed=3):
        live_events.extend(live.submit(cmd))
    journal.close()
    assert sum(1 for e in live_events if e.kind == "fill") > 50, "the stream must trade"

    reopened = Journal(path)
    assert reopened.flushed == 1_502
    fresh = Venue()
    replayed = replay_into(fresh, reopened)
    assert [e.astuple() for e in replayed] == [e.astuple() for e in live_events]
    assert fresh.digest() == live.digest()


def test_unflushed_commands_are_not_durable(tmp_path):
    path = str(tmp_path / "j.sqlite")
    journal = Journal(path, batch_size=1_000)
    venue = Venue(journal=journal)
    venue.submit(ListContracts(T0))
    journal.flush()
    venue.submit(NewOrder(T0, "a", "SITF27", 1, 1, 2_000))
    assert journal.pending == 1
    again = Journal(path)  # a crash here loses only what was never acknowledged
    assert [c.tag for c in again.replay()] == ["list"]


def test_replay_of_a_different_stream_differs(tmp_path):
    digests = set()
    for seed in (1, 2):
        venue = Venue()
        for cmd in random_commands(300, seed):
            venue.submit(cmd)
        digests.add(venue.digest())
    assert len(digests) == 2


def test_background_checkpoints_keep_the_log_short_and_lose_nothing(tmp_path, monkeypatch):
    import os
    import time

    from exchange import journal as J

    monkeypatch.setattr(J, "CHECKPOINT_BYTES", 64 << 10)
    path = str(tmp_path / "j.sqlite")
    journal = Journal(path, background_checkpoints=True, page_size=4096)
    assert journal._db.execute("PRAGMA page_size").fetchone()[0] == 4096
    assert journal._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    cmds = random_commands(3_000, seed=5)
    for i in range(0, len(cmds), 10):  # small group commits, as the service makes them
        for cmd in cmds[i:i + 10]:
            journal.append(cmd)
        journal.flush()
    deadline = time.monotonic() + 10
    while journal.checkpoints == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert journal.checkpoints >= 1  # done by its own thread, not by a commit
    assert [c.to_record() for c in journal.replay()] == [c.to_record() for c in cmds]
    journal.close()
    wal = path + "-wal"  # closed: everything is in the database file, the log is gone or empty
    assert not os.path.exists(wal) or os.path.getsize(wal) == 0
    again = Journal(path)
    assert again.flushed == len(cmds)
    assert [c.to_record() for c in again.replay()] == [c.to_record() for c in cmds]
    again.close()


def test_a_malformed_command_replays_to_the_same_rejection(tmp_path):
    path = str(tmp_path / "journal.sqlite")
    journal = Journal(path)
    live = Venue(journal=journal)
    cmds = [ListContracts(T0), PublishIndex(T0, "SIT", 2_000_000),
            NewOrder(T0 + 1, "a", "SITF27", "1", 2, 2_000),  # a string, not the int 1
            NewOrder(T0 + 2, "a", "SITF27", 1, 2, 2_000, tif=None),
            NewOrder(T0 + 2, "a", "SITF27", True, 2, 2_000),  # equals 1, but is no side
            NewOrder(T0 + 2, "a", "SITF27", 1.0, 2, 2_000),
            NewOrder(T0 + 3, "a", "SITF27", 1, 2, 2_000)]
    live_events = [e for cmd in cmds for e in live.submit(cmd)]
    journal.close()
    assert [e.reason.name for e in live_events if e.kind == "rejected"] == [
        "INVALID_COMMAND", "INVALID_TIME_IN_FORCE", "INVALID_COMMAND", "INVALID_COMMAND"]
    fresh = Venue()
    replayed = replay_into(fresh, Journal(path))
    assert [e.astuple() for e in replayed] == [e.astuple() for e in live_events]
    assert fresh.digest() == live.digest()


class _LooksLikeACommand:
    """Not a command, though it has a command's attribute names."""
    ts, account, symbol, tag = T0 + 5, "a", "SITF27", "new"


def test_what_is_not_a_command_is_journaled_and_replays_to_the_same_rejection(tmp_path):
    """The venue refuses anything that is not a command (INVALID_COMMAND) with a sequence
    number; the journal keeps its repr, so a replay gives the same rejection and the same
    sequence numbers after it."""
    path = str(tmp_path / "journal.sqlite")
    journal = Journal(path)
    live = Venue(journal=journal)
    cmds = [ListContracts(T0), PublishIndex(T0, "SIT", 2_000_000), "new order please", None, 42,
            {"ts": T0 + 4}, _LooksLikeACommand(), NewOrder(T0 + 6, "a", "SITF27", 1, 2, 2_000)]
    live_events = [e for cmd in cmds for e in live.submit(cmd)]
    journal.close()
    refused = [e for e in live_events if e.kind == "rejected"]
    assert [e.reason.name for e in refused] == ["INVALID_COMMAND"] * 5
    assert {(e.ts, e.command, e.account, e.symbol) for e in refused} == {(T0, "?", None, None)}
    assert live_events[-1].kind == "book_delta"  # the order after them went on as usual
    fresh = Venue()
    replayed = replay_into(fresh, Journal(path))
    assert [e.astuple() for e in replayed] == [e.astuple() for e in live_events]
    assert fresh.digest() == live.digest()


def test_batches_written_behind_are_durable_in_order_once_flushed(tmp_path):
    path = str(tmp_path / "j.sqlite")
    journal = Journal(path, batch_size=100)
    cmds = random_commands(1_050, seed=9)
    for cmd in cmds:
        journal.append(cmd)  # ten full batches go to the writer thread, one at a time
    journal.flush()
    assert journal.flushed == len(cmds) and journal.pending == 0
    again = Journal(path)
    assert [c.to_record() for c in again.replay()] == [c.to_record() for c in cmds]
    journal.close()
    again.close()


def test_a_failed_write_behind_is_written_again_first_and_nothing_is_lost(tmp_path):
    path = str(tmp_path / "j.sqlite")
    journal = Journal(path, batch_size=100)
    real_write, failures = journal._write, []

    def write(n, blob):
        if not failures:
            failures.append(n)
            raise OSError("disk full")
        real_write(n, blob)

    journal._write = write
    cmds = random_commands(250, seed=3)
    for cmd in cmds:
        journal.append(cmd)
    journal.flush()  # the failed batch was written again first, by the next write
    assert failures == [100] and journal.flushed == len(cmds)
    assert [c.to_record() for c in Journal(path).replay()] == [c.to_record() for c in cmds]


def test_flush_raises_while_the_journal_cannot_write_and_keeps_the_commands(tmp_path):
    path = str(tmp_path / "j.sqlite")
    journal = Journal(path, batch_size=100)
    real_write = journal._write

    def broken(n, blob):
        raise OSError("disk full")

    journal._write = broken
    cmds = random_commands(150, seed=4)
    for cmd in cmds:
        journal.append(cmd)
    with pytest.raises(OSError, match="disk full"):
        journal.flush()
    journal._write = real_write
    journal.flush()
    assert [c.to_record() for c in Journal(path).replay()] == [c.to_record() for c in cmds]
