"""The service in-process: group commit, replay equality, idempotent retries, scheduled cycles."""

import asyncio

import pytest

from api import wire
from api.index_publishing import SEED_INDEX
from api.service import Service, ServiceStopped
from clearing.reasons import Reason, Rejection

T0 = 1_795_000_000 * 1_000_000_000


class Clock:
    """A wall clock that the test moves (1 ms per reading), and can turn back."""

    def __init__(self):
        self.t = T0

    def __call__(self):
        self.t += 1_000_000
        return self.t


def req(symbol, side, qty, price, **kw):
    return wire.OrderRequest(symbol=symbol, side=side, qty=qty, price=price, **kw)


async def session(svc: Service) -> str:
    await svc.start()
    sym = svc.venue.contracts()[1].symbol
    for a in ("a", "b", "c"):
        await svc.open_account(a, False)
    for i in range(20):
        side = "buy" if i % 2 else "sell"
        await svc.orders.place("abc"[i % 3], req(sym, side, 1 + i % 4, f"2.{i % 5:03d}"))
    await asyncio.gather(*[svc.orders.place("c", req(sym, "buy", 2, "2.010", client_order_id=f"c{i}"))
                           for i in range(10)])
    await svc.cycle()
    return sym


def test_replay_rebuilds_the_identical_state(tmp_path):
    path = str(tmp_path / "j.db")

    async def live():
        svc = Service(path, clock=Clock())
        await session(svc)
        state = (svc.venue.digest(), svc.store.orders, dict(svc.store.positions), svc.accounts,
                 {k: list(v) for k, v in svc.index_history.items()})
        n = svc.commands
        await svc.stop()
        return n, state

    n, state = asyncio.run(live())
    again = Service(path, clock=Clock())
    assert again.replay() == n >= 40
    assert (again.venue.digest(), again.store.orders, dict(again.store.positions), again.accounts,
            {k: list(v) for k, v in again.index_history.items()}) == state
    again.store.check()
    again.venue.check()


def test_an_order_is_answered_only_once_durable(tmp_path):
    path = str(tmp_path / "j.db")

    async def scenario():
        svc = Service(path, clock=Clock())
        await svc.start()
        sym = svc.venue.contracts()[1].symbol
        flushed = []
        real_flush = svc.journal.flush
        svc.journal.flush = lambda: flushed.append(svc.journal.pending) or real_flush()
        results = await asyncio.gather(*[svc.orders.place("x", req(sym, "buy", 1, "1.950")) for _ in range(50)])
        durable = svc.journal.flushed
        await svc.stop()
        return results, flushed, durable

    results, flushed, durable = asyncio.run(scenario())
    assert len({r["order_id"] for r in results}) == 50
    assert sum(flushed) == 50 and len(flushed) < 50  # grouped: fewer commits than orders
    assert durable >= 50


def test_retry_with_client_order_id_after_restart(tmp_path):
    path = str(tmp_path / "j.db")

    async def first():
        svc = Service(path, clock=Clock())
        await svc.start()
        sym = svc.venue.contracts()[1].symbol
        r = await svc.orders.place("x", req(sym, "buy", 1, "1.950", client_order_id="once"))
        await svc.stop()
        return sym, r

    async def second(sym):
        svc = Service(path, clock=Clock())
        await svc.start()
        r = await svc.orders.place("x", req(sym, "buy", 1, "1.950", client_order_id="once"))
        n = len(svc.store.open_orders("x"))
        await svc.stop()
        return r, n

    sym, r1 = asyncio.run(first())
    r2, n = asyncio.run(second(sym))
    assert r2["order_id"] == r1["order_id"] and n == 1


def test_time_never_goes_backwards_at_the_edge():
    times = iter([T0 + 10, T0 + 5, T0 + 20])
    svc = Service(None, clock=lambda: next(times))
    assert [svc.now(), svc.now(), svc.now()] == [T0 + 10, T0 + 10, T0 + 20]


def test_fresh_server_has_contracts_and_indices():
    async def scenario():
        svc = Service(None, clock=Clock())
        await svc.start()
        refs = {c.symbol: svc.venue.reference_price(c.symbol) for c in svc.venue.contracts()}
        idx = {n: svc.venue.index_value(n) for n in SEED_INDEX}
        await svc.cycle()
        moved = {n: svc.venue.index_value(n) for n in SEED_INDEX}
        await svc.stop()
        return refs, idx, moved

    refs, idx, moved = asyncio.run(scenario())
    assert len(refs) >= 20 and all(v is not None for v in refs.values())
    assert idx == SEED_INDEX and all(v > 0 for v in moved.values())


def test_rejections_raise_with_the_venue_reason():
    async def scenario():
        svc = Service(None, clock=Clock())
        await svc.start()
        sym = svc.venue.contracts()[1].symbol
        with pytest.raises(Rejection) as e:
            await svc.orders.place("x", req(sym, "buy", 1, "9.000"))
        with pytest.raises(Rejection) as u:
            await svc.orders.cancel("x", 12345)
        await svc.stop()
        return e.value.reason, u.value.reason

    assert asyncio.run(scenario()) == (Reason.OUTSIDE_DAILY_LIMIT, Reason.UNKNOWN_ORDER)


def test_a_failed_journal_stops_acknowledgements(tmp_path):
    async def scenario():
        svc = Service(str(tmp_path / "j.db"), clock=Clock())
        await svc.start()
        sym = svc.venue.contracts()[1].symbol

        def broken():
            raise OSError("disk full")

        svc.journal.flush = broken
        with pytest.raises(ServiceStopped):
            await svc.orders.place("x", req(sym, "buy", 1, "1.950"))
        with pytest.raises(ServiceStopped):
            await svc.orders.place("x", req(sym, "buy", 1, "1.950"))
        svc.journal.flush = lambda: 0
        await svc.stop()

    asyncio.run(scenario())


def test_restart_from_a_snapshot_equals_a_full_replay(tmp_path):
    path = str(tmp_path / "j.db")

    async def live():
        svc = Service(path, clock=Clock(), snapshot_every=15)
        await session(svc)
        position = await svc.snapshot()
        sym = svc.venue.contracts()[1].symbol
        await svc.orders.place("a", req(sym, "buy", 3, "1.990"))  # after the last snapshot
        state = (svc.venue.digest(), svc.store.orders, svc.commands)
        await svc.stop()
        return position, state

    position, state = asyncio.run(live())
    fast = Service(path, clock=Clock())
    replayed = fast.replay()
    full = Service(path, clock=Clock(), use_snapshots=False)
    assert full.replay() == state[2] and replayed == state[2] - position >= 1
    assert (fast.venue.digest(), fast.store.orders, fast.commands) == state
    assert full.venue.digest() == state[0] and full.store.orders == state[1]
    fast.venue.check()



def test_a_snapshot_of_another_version_is_not_loaded(tmp_path):
    """A snapshot pickled by the first version (four parts, no version) is skipped: the
    journal replays from its first command and gives the same state."""
    import pickle

    from api.snapshots import SnapshotStore

    path = str(tmp_path / "j.db")

    async def live():
        svc = Service(path, clock=Clock())
        await session(svc)
        state = (svc.venue.digest(), svc.store.orders, svc.commands)
        svc.venue.journal, journal = None, svc.venue.journal  # as the first version did
        old = pickle.dumps((svc.venue, svc.store, svc.accounts, svc.index_history))
        svc.venue.journal = journal
        await svc.stop()
        return state, old

    state, old = asyncio.run(live())
    store = SnapshotStore(path)
    store.save(state[2], old)
    store.close()
    again = Service(path, clock=Clock())
    assert again.replay() == state[2]  # every command, none skipped
    assert (again.venue.digest(), again.store.orders, again.commands) == state


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="periodic snapshots inline")
def test_a_periodic_snapshot_is_taken_behind_while_orders_go_on(tmp_path, monkeypatch):
    """The periodic snapshot is pickled in a forked child: orders are acknowledged while it
    runs (here it takes half a second), and a restart from it equals a full replay."""
    import os
    import time

    path = str(tmp_path / "j.db")
    real_state = Service._snapshot_state
    parent = os.getpid()

    def slow_state(self):
        assert os.getpid() != parent  # never pickled by the serving process itself
        time.sleep(0.5)
        return real_state(self)

    monkeypatch.setattr(Service, "_snapshot_state", slow_state)

    async def live():
        svc = Service(path, clock=Clock(), snapshot_every=40)
        sym = await session(svc)  # past 40 commands: a child is at work
        in_flight = svc._snapshotting
        assert in_flight is not None and not in_flight.done()
        for i in range(5):
            await svc.orders.place("a", req(sym, "buy", 1, "1.990"))
        assert not in_flight.done()  # acknowledged while the snapshot was still being taken
        await in_flight
        stored = svc.snapshots.latest()[0]
        state = (svc.venue.digest(), svc.store.orders, svc.commands)
        await svc.stop()
        return stored, state

    stored, state = asyncio.run(live())
    fast = Service(path, clock=Clock())
    assert fast.replay() == state[2] - stored and 0 < stored < state[2]
    assert (fast.venue.digest(), fast.store.orders, fast.commands) == state


def test_a_snapshot_child_that_fails_turns_snapshots_off_and_orders_go_on(tmp_path, monkeypatch):
    if not hasattr(__import__("os"), "fork"):
        pytest.skip("periodic snapshots inline")

    def broken(self):
        raise TypeError("cannot pickle this gate")

    monkeypatch.setattr(Service, "_snapshot_state", broken)

    async def live():
        svc = Service(str(tmp_path / "j.db"), clock=Clock(), snapshot_every=10)
        sym = await session(svc)
        await svc._snapshot_settled()
        await svc.orders.place("a", req(sym, "buy", 1, "1.990"))
        off = svc.snapshots is None
        await svc.stop()
        return off

    assert asyncio.run(live())

def test_snapshot_needs_a_journal():
    async def scenario():
        svc = Service(None, clock=Clock())
        await svc.start()
        with pytest.raises(Rejection):
            await svc.snapshot()
        await svc.stop()

    asyncio.run(scenario())


def test_what_lives_on_is_frozen_out_of_the_collector_while_serving(monkeypatch):
    import gc

    import api.service as S

    monkeypatch.setattr(S, "FREEZE_EVERY", 10)

    async def run():
        svc = Service(clock=Clock())
        await svc.start()
        after_start = gc.get_freeze_count()
        await session(svc)
        serving = gc.get_freeze_count(), svc._frozen_at
        await svc.stop()
        return after_start, serving, svc.commands, svc.largest_batch

    gc.unfreeze()
    after_start, (frozen, frozen_at), commands, batch = asyncio.run(run())
    assert after_start > 0 and frozen > after_start  # frozen again as the state grew
    assert frozen_at >= 10 and commands - frozen_at < 10 + batch  # never more than that unfrozen
    assert gc.get_freeze_count() == 0  # stopped: nothing stays frozen



def test_the_collector_runs_less_often_while_serving_and_as_before_after():
    """In-flight orders outnumber the default first-generation threshold (700): while the
    service runs the threshold is raised, and stopping gives back what the process had."""
    import gc

    import api.service as S

    before = gc.get_threshold()

    async def run():
        svc = Service(clock=Clock())
        await session(svc)
        serving = gc.get_threshold()
        await svc.stop()
        return serving

    gc.set_threshold(700, *before[1:])
    try:
        serving = asyncio.run(run())
        assert serving[0] == S.YOUNG_THRESHOLD and serving[1:] == before[1:]
        assert gc.get_threshold() == (700, *before[1:])
    finally:
        gc.set_threshold(*before)

def test_reads_of_the_venue_wait_for_the_batch_in_flight_to_be_durable(tmp_path):
    import threading
    from decimal import Decimal

    from clearing.factory import default_clearinghouse

    async def scenario():
        svc = Service(str(tmp_path / "j.db"), clock=Clock(), gate=default_clearinghouse())
        await svc.start()
        sym = svc.venue.contracts()[1].symbol
        for a in ("maker", "taker"):
            await svc.open_account(a, False)
            await svc.cash("deposit", a, 10_000_000)
        await svc.orders.place("maker", req(sym, "sell", 5, "2.000"))
        cash = lambda: Decimal(svc.account_summary("taker")["cash"])  # noqa: E731
        before = cash()
        release = threading.Event()
        real_flush = svc.journal.flush

        def slow_flush():  # the commit of the taker's order is held until the test lets it go
            release.wait(5)
            return real_flush()

        svc.journal.flush = slow_flush
        order = asyncio.create_task(svc.orders.place("taker", req(sym, "buy", 5, "2.000")))
        while svc.venue.market(sym).last_trade is None:  # applied, not yet durable
            await asyncio.sleep(0.001)
        assert cash() < before  # the venue runs ahead of the journal
        read = asyncio.create_task(svc.settled())
        await asyncio.sleep(0.05)
        assert not read.done()  # a reader waits while the batch is not durable
        release.set()
        await read
        durable = svc.journal.flushed == svc.commands  # what the reader sees now is all durable
        result = await order
        svc.journal.flush = real_flush
        await svc.stop()
        return durable, result

    durable, result = asyncio.run(scenario())
    assert durable and result["filled_qty"] == 5


def test_a_reader_waiting_on_a_failed_batch_is_told_the_service_stopped(tmp_path):
    import threading

    async def scenario():
        svc = Service(str(tmp_path / "j.db"), clock=Clock())
        await svc.start()
        sym = svc.venue.contracts()[1].symbol
        release = threading.Event()

        def broken():
            release.wait(5)
            raise OSError("disk full")

        svc.journal.flush = broken
        order = asyncio.create_task(svc.orders.place("x", req(sym, "buy", 1, "1.950")))
        while svc._busy == 0:
            await asyncio.sleep(0.001)
        read = asyncio.create_task(svc.settled())
        await asyncio.sleep(0.01)
        release.set()
        for task in (read, order):
            with pytest.raises(ServiceStopped):
                await task
        svc.journal.flush = lambda: 0
        await svc.stop()

    asyncio.run(scenario())
