"""The asyncio service around the Venue: one writer task, a command queue, group commit.

Every request becomes a command stamped with the wall clock at the service edge (never going
backwards) and queued. The writer takes whatever is queued, applies it to the venue in order,
makes the journal durable once for the whole batch (group commit, off the event loop), and only
then resolves the waiting requests and fans the events out. So a client never hears of a
command that a crash could lose, and the venue stays single-threaded and deterministic.
On start the journal is replayed through the same path, which rebuilds the identical state.

The service composes the parts that handle one kind of request, each given the service:
order entry (api/order_requests.py: `service.orders`), the order views (api/order_reads.py:
`service.reads`), the index publications (api/index_publishing.py: `service.indices`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import pickle
import sqlite3
import time
from collections import defaultdict, deque
from functools import partial
from time import perf_counter_ns

from api import wire
from api.formatter import Formatter
from api.history import History
from api.hub import Hub
from api.index_publishing import IndexPublishing
from api.mailbox import Mailbox
from api.metrics import Timings
from api.order_reads import OrderReads
from api.order_requests import OrderRequests, as_rejection, order_terms, rejected
from api.session_watch import SessionWatch
from api.snapshots import CAN_FORK, SnapshotInChild, SnapshotStore
from api.store import OrderStore
from clearing.port import ClearingPort
from clearing.reasons import Reason, Rejection
from exchange import commands as C
from exchange.journal import Journal
from exchange.venue import Venue

log = logging.getLogger("sitex")


class ServiceStopped(Exception):
    pass


RETIRE_EVERY = 10_000  # replayed commands between two retirements (the writer: every batch)
SNAPSHOT_VERSION = 2  # a snapshot of another version is not loaded (the journal replays in full)
FREEZE_EVERY = 2_000  # commands between two freezes of what lives on (see Service._freeze)
YOUNG_THRESHOLD = 10_000  # the collector's first-generation threshold while serving (Service.start)


class Service:
    def __init__(self, journal_path: str | None = None, gate: ClearingPort | None = None,
                 clock=time.time_ns, index_source: str = "feed", feed_seed: int = 7,
                 batch_max: int = 8192,
                 snapshot_every: int = 0, use_snapshots: bool = True,
                 retention_seconds: float = 3_600.0):
        self.venue = Venue(gate=gate)
        # small pages for small group commits, checkpoints off the commit path
        self.journal = (Journal(journal_path, background_checkpoints=True, page_size=4096)
                        if journal_path else None)
        self.journal_path = journal_path
        self.snapshots = SnapshotStore(journal_path) if journal_path and use_snapshots else None
        # why POST /v1/admin/snapshot is refused while `snapshots` is None (set when turned off)
        self._snapshots_off = (None if journal_path else Rejection(
            Reason.NO_JOURNAL, "snapshots are taken of the journal: start the server with --journal"))
        self.snapshot_every = snapshot_every  # commands between automatic snapshots (0: on demand)
        self._since_snapshot = 0
        self._busy = 0  # commands taken by the writer and not yet answered
        self._settled: asyncio.Event | None = None  # set while no batch is between apply and durable
        self.clock = clock
        # the indices' publications, from the feed or from quotes (api/index_publishing.py)
        self.indices = IndexPublishing(self, index_source, feed_seed)
        self.batch_max = batch_max
        self.store = OrderStore()
        # closed orders and fills older than this (venue time) leave memory for the read model
        self.retention_ns = int(retention_seconds * 1e9)
        self.history = History(journal_path + "-history" if journal_path else None)
        self.hub = Hub()
        self.fmt = Formatter(self)
        self.hub.formatter = self.fmt
        self.accounts: dict[str, bool] = {}  # account -> market maker
        self._reserved_accounts: set[str] = set()  # being opened: not yet committed
        self.index_history: dict[str, deque] = defaultdict(partial(deque, maxlen=500))
        self._last_ts = 0
        self._queue: Mailbox | None = None
        self._gc_threshold: tuple | None = None  # the collector's thresholds before start
        self._snapshotting: asyncio.Task | None = None  # a periodic snapshot being stored
        self._writer: asyncio.Task | None = None
        self._cycles: asyncio.Task | None = None
        self.failed: BaseException | None = None
        self.replayed = 0
        self.commands = 0
        self.commits = 0  # group commits (journal flushes)
        self.largest_batch = 0
        self._frozen_at = 0  # self.commands at the last freeze
        self.timings = Timings()  # the writer's per-batch timers (api/metrics.py)
        self.watch = SessionWatch()  # the fundamental and the makers' obligations (a cycle's)
        self.orders = OrderRequests(self)  # new orders, cancels, amends (api/order_requests.py)
        self.reads = OrderReads(self)  # orders and fills as the API answers (api/order_reads.py)

    # ---------------------------------------------------------------- life cycle

    def replay(self) -> int:
        """Rebuild state: the latest snapshot, if any, then the journal's commands after it
        (the venue's own journal detached while replaying). Returns the commands replayed."""
        n = 0
        if self.journal is not None:
            start = self._restore() if self.snapshots is not None else 0
            if start == 0:
                self.history.clear()  # refolded from the first command
            for i, cmd in enumerate(self.journal.replay()):
                if i >= start:
                    self._record(cmd, self._apply(cmd))
                    n += 1
                    if n % RETIRE_EVERY == 0:
                        self._retire()
            self._last_ts = self.venue.clock
        self._retire()
        self.venue.journal = self.journal
        self.hub.load_books(self.venue)
        self.replayed = n
        return n

    async def start(self, cycle_seconds: float = 0.0) -> None:
        self.replay()
        self._freeze()
        # Orders in flight (their tasks, futures, dicts and events: about ten containers each,
        # a hundred orders at once under load) are more than the collector's default
        # first-generation threshold of 700, so it ran every ~50 orders and walked live objects
        # each time, 5% of the server's time, finding nothing: those objects are freed by their
        # reference counts a few milliseconds later. 10,000 leaves it a collection now and then.
        if self._gc_threshold is None:
            self._gc_threshold = gc.get_threshold()
        gc.set_threshold(max(YOUNG_THRESHOLD, self._gc_threshold[0]), *self._gc_threshold[1:])
        self._queue = Mailbox()
        self._settled = asyncio.Event()
        self._settled.set()
        self._writer = asyncio.create_task(self._write_loop(), name="sitex-writer")
        await self.execute(C.ListContracts)
        await self.indices.seed()
        if cycle_seconds > 0:
            self._cycles = asyncio.create_task(self._cycle_loop(cycle_seconds), name="sitex-cycles")

    async def stop(self) -> None:
        """Stop the cycles, let the writer finish what is queued, then close the files."""
        if self._cycles is not None:
            self._cycles.cancel()
        for _ in range(500):
            if self._busy == 0 and (self._queue is None or self._queue.empty()):
                break
            await asyncio.sleep(0.01)
        for task in (self._cycles, self._writer):
            if task is not None:
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, Exception):
                    pass
        await self._snapshot_settled()
        if self.journal is not None:
            self.journal.close()
        if self.snapshots is not None:
            self.snapshots.close()
        self.history.close()
        gc.unfreeze()
        if self._gc_threshold is not None:
            gc.set_threshold(*self._gc_threshold)
            self._gc_threshold = None

    def _restore(self) -> int:
        latest = self.snapshots.latest()
        if latest is None:
            return 0
        position, blob = latest
        state = pickle.loads(blob)
        if state[0] != SNAPSHOT_VERSION:  # another version's state: replay from the start
            return 0
        if self.history.position < state[-1]:  # the read model lost what the snapshot retired
            return 0
        _, self.venue, self.store, self.accounts, self.index_history, _ = state
        self.commands = position
        return position

    def _snapshot_state(self) -> bytes:
        saved, self.venue.journal = self.venue.journal, None
        try:
            return pickle.dumps((SNAPSHOT_VERSION, self.venue, self.store, self.accounts,
                                 self.index_history, self.history.position),
                                protocol=pickle.HIGHEST_PROTOCOL)
        finally:
            self.venue.journal = saved

    def _snapshot(self) -> int:
        """Called by the writer between batches, when everything applied is durable."""
        blob = self._snapshot_state()
        position = self.journal.flushed
        self.snapshots.save(position, blob)
        self._since_snapshot = 0
        return position

    async def _snapshot_after_batch(self, requests: list) -> None:
        """Between batches: answer snapshot `requests` (POST /v1/admin/snapshot) with a
        snapshot taken inline, or start the periodic one when due, in a child where the
        system can fork (one at a time: else at a batch boundary after it)."""
        if self._snapshotting is not None and self._snapshotting.done():
            await self._snapshot_settled()
        due = bool(self.snapshot_every) and self._since_snapshot >= self.snapshot_every
        if self.snapshots is not None and due and not requests and CAN_FORK:
            if self._snapshotting is None:
                self._snapshot_behind()
        elif requests or (due and self.snapshots is not None):
            await self._snapshot_settled()  # the store takes one snapshot at a time
            self._snapshot_inline(requests)

    def _snapshot_inline(self, requests) -> None:
        """A snapshot taken by the writer itself; `requests` are answered with its position."""
        position = None
        if self.snapshots is not None:
            try:
                position = self._snapshot()
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                # a gate that cannot be pickled: go on without snapshots (replay from zero)
                self._snapshots_failed(Rejection(
                    Reason.GATE_NOT_COPYABLE, f"snapshots are off: this server's state cannot be "
                    f"pickled, its risk gate (--gate) most likely: {exc!r}"))
            except sqlite3.Error as exc:
                self._snapshots_failed(Rejection(
                    Reason.INVALID_COMMAND, f"snapshots are off: storing one failed: {exc!r}"))
        for fut in requests:
            if position is None:
                fut.set_exception(self._why_no_snapshot())
            else:
                fut.set_result(position)

    def _snapshot_behind(self) -> None:
        """A periodic snapshot, taken by a forked child while the writer goes on (between
        batches, like `_snapshot`: the child's copy is all durable)."""
        try:
            child = SnapshotInChild(self._snapshot_state, self.journal.flushed, self.snapshots.directory)
        except OSError as exc:  # no fork now (out of memory, too many processes): inline
            log.warning("snapshot taken inline: %r", exc)
            self._snapshot_inline(())
            return
        self._since_snapshot = 0
        self._snapshotting = asyncio.create_task(self._store_snapshot(child),
                                                 name="sitex-snapshot")

    async def _store_snapshot(self, child: SnapshotInChild) -> None:
        stored = await child.finish(self.snapshots)
        if not stored:
            self._snapshots_failed(Rejection(
                Reason.INVALID_COMMAND, "snapshots are off: the snapshot process failed (see the log)"))

    def _snapshots_failed(self, why: Rejection) -> None:
        """Go on without snapshots (a restart replays from zero); `why` answers the requests."""
        log.warning("snapshots disabled: %s", why.text)
        self.snapshots, self._snapshots_off = None, why

    async def _snapshot_settled(self) -> None:
        """Wait for a snapshot in a child to be stored (one at a time into the store)."""
        if self._snapshotting is not None:
            task, self._snapshotting = self._snapshotting, None
            with contextlib.suppress(Exception):
                await task

    async def snapshot(self) -> int:
        """Take a snapshot at the next batch boundary; returns its journal position."""
        if self.snapshots is None:
            raise self._why_no_snapshot()
        return await self.execute(lambda ts: None)

    def _why_no_snapshot(self) -> Rejection:
        """A fresh refusal (a raised exception keeps its traceback) saying why snapshots are off."""
        off = self._snapshots_off
        if off is None:  # a service made with use_snapshots=False (a test's full replay)
            return Rejection(Reason.INVALID_COMMAND, "this service takes no snapshots")
        return Rejection(off.reason, off.text)

    def now(self) -> int:
        ts = self.clock()
        ts = max(ts, self._last_ts)
        self._last_ts = ts
        return ts

    # ---------------------------------------------------------------- the writer

    async def execute(self, build) -> list:
        """Stamp, queue and wait until durable: `build(ts)` makes the command."""
        return await self.submit(build)

    def submit(self, build) -> asyncio.Future:
        """Stamp and queue `build(ts)`; the future gets its events once they are durable."""
        if self.failed is not None:
            raise ServiceStopped(str(self.failed))
        fut = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((build(self.now()), fut))
        return fut

    async def _write_loop(self) -> None:
        q = self._queue
        while True:
            batch = [await q.get()]
            while len(batch) < self.batch_max and not q.empty():
                batch.append(q.get_nowait())
            self._busy = len(batch)
            self._settled.clear()  # the venue runs ahead of the journal until this batch is durable
            started = perf_counter_ns()
            done = [(cmd, fut, self._apply(cmd) if cmd is not None else None) for cmd, fut in batch]
            applied = perf_counter_ns()
            self.timings.match.observe((applied - started) // len(batch), len(batch))
            self.largest_batch = max(self.largest_batch, len(batch))
            try:
                if self.journal is not None and self.journal.pending:
                    await asyncio.to_thread(self.journal.flush)
                    self.commits += 1
                    self.timings.commit.observe(perf_counter_ns() - applied)
            except BaseException as exc:  # the journal is gone: acknowledge nothing more
                self.failed = exc
                for _, fut, _ in done:
                    if not fut.done():
                        fut.set_exception(ServiceStopped(f"journal write failed: {exc}"))
                self._settled.set()  # readers waiting for this batch learn that it never will be
                raise
            snap = None
            for cmd, fut, events in done:
                if cmd is None:  # a snapshot request: answered with the position below
                    snap = snap or []
                    snap.append(fut)
                    continue
                self._record(cmd, events)
                self.hub.publish(events)
                if not fut.done():
                    fut.set_result(events)
            self._since_snapshot += len(done)
            self._retire()
            await self._snapshot_after_batch(snap or [])
            self._busy = 0
            self._settled.set()
            if self.commands - self._frozen_at >= FREEZE_EVERY:
                self._freeze()
            # let the acknowledged requests build their answers now, before the next batch
            # changes the venue (an answer must not show state that is not yet durable)
            await asyncio.sleep(0)

    async def settled(self) -> None:
        """Wait until the venue shows only durable state: a read of the venue or the
        clearinghouse (cash, margin, the ticker, the digest) made while a batch is applied but
        not yet in the journal could show what a crash would undo. Returns at once between
        batches; a reader that runs right after it, without awaiting, sees durable state."""
        if self._settled is not None and not self._settled.is_set():
            await self._settled.wait()
        if self.failed is not None:
            raise ServiceStopped(f"journal write failed: {self.failed}")

    def _freeze(self) -> None:
        """Move what is alive now (the venue, the order store, the fills: state that lives as
        long as the server) out of the cyclic collector's sight. The service's state only
        grows, so without this every full collection re-read all of it, stalling every order
        in flight (70-105 ms every 2-3 s under `sitex bench api`, each collecting nothing).
        The cost: a reference cycle that is garbage at the moment of a freeze stays in memory
        until the service stops; under the benchmark's load the collector found about one
        such object per 30 orders between freezes, so nearly none is alive at any moment."""
        gc.freeze()
        self._frozen_at = self.commands

    def _retire(self) -> None:
        """Closed orders and fills older than the retention window, out of memory into the
        read model (with the journal position they are complete up to)."""
        orders, fills = self.store.retire(self.venue.clock - self.retention_ns)
        if orders or fills:
            self.history.keep(orders, fills, self.commands)

    def _apply(self, cmd) -> list:
        """One command into the venue (its events reach the API's views in `_record`)."""
        self.commands += 1
        return self.venue.submit(cmd)

    def _record(self, cmd, events) -> None:
        """A durable command's events into the API's views: what clients read is durable."""
        self.store.apply(events)
        tag = cmd.tag
        if tag == "new":  # the options the accepted event does not carry
            for e in events:
                if e.kind == "order_accepted" and e.account == cmd.account:
                    self.store.orders[e.order_id].update(
                        post_only=bool(cmd.post_only), reduce_only=bool(cmd.reduce_only),
                        expire_at=cmd.expire_at)
                    if cmd.client_order_id is not None:  # what a retry must ask for again
                        self.store.terms[(cmd.account, cmd.client_order_id)] = order_terms(
                            (cmd.account, cmd.symbol, cmd.side, cmd.qty, cmd.price, cmd.type,
                             cmd.tif, cmd.stop_price, cmd.display_qty, cmd.expire_at,
                             cmd.post_only, cmd.reduce_only))
                    break
        elif tag == "open_account":
            # a venue without clearing holds no accounts: the service keeps the list itself
            if not rejected(events) or not self.venue.gate.clears:
                self.accounts.setdefault(cmd.account, cmd.market_maker)
        elif tag == "index" and not rejected(events):
            self.index_history[cmd.name].append((cmd.ts, cmd.value))
            self.hub.publish_index(cmd.name, wire.micro_to_index(cmd.value), cmd.ts)

    async def _cycle_loop(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            await self.cycle()

    async def cycle(self) -> None:
        """One scheduled round: let time pass, list new expiries, publish indices, mark."""
        await self.execute(C.AdvanceTime)
        for symbol in self.due_for_expiry():  # final settlement, and the next month listed
            await self.execute(lambda ts, s=symbol: C.ExpireContract(ts, s))
        await self.execute(C.ListContracts)
        await self.indices.publish_due()
        if self.venue.gate.clears:
            await self.execute(C.MarkCycle)
        await self.settled()  # the makers' quotes as durable state shows them
        self.watch.sample_makers(self.now(), self.venue, [a for a, mm in self.accounts.items() if mm])

    def due_for_expiry(self) -> list[str]:
        """Contracts whose last trading time has passed and that are not expired yet."""
        now = self.now()
        return [m.symbol for m in self.venue.markets()
                if m.state != "expired" and now >= m.spec.last_trade_ts]

    def queued(self) -> int:
        return self._queue.qsize() if self._queue else 0

    def readiness(self) -> tuple[bool, str]:
        """(ready, why not): orders are taken once the journal is replayed and the writer runs."""
        if self.failed is not None:
            return False, f"journal write failed: {self.failed}"
        if self._writer is None:
            return False, "starting: replaying the journal"
        if self._writer.done():
            return False, "stopped"
        return True, "ok"

    def metrics(self) -> dict:
        hub = self.hub
        return {"commands": self.commands, "replayed": self.replayed, "sequence": self.venue.seq,
                "published_sequence": hub.seq, "queued": self._queue.qsize() if self._queue else 0,
                "group_commits": self.commits, "largest_batch": self.largest_batch,
                "journaled": self.journal.flushed if self.journal is not None else None,
                "websocket_sessions": len(hub.subscribers), "orders_known": len(self.store.orders),
                "accounts": len(self.accounts)}

    # ---------------------------------------------------------------- accounts and admin

    async def open_account(self, account: str | None, market_maker: bool) -> str:
        """Open `account` (or the next free `acct-N` when None) and return its id.

        The id is reserved before the first await: an account is recorded only after its
        command's group commit, so without the reservation concurrent requests all passed the
        existence check and shared one id (and each other's orders)."""
        if account is None:
            n = len(self.accounts) + len(self._reserved_accounts)
            account = f"acct-{n + 1}"
            while account in self.accounts or account in self._reserved_accounts:
                n += 1
                account = f"acct-{n + 1}"
        elif account in self.accounts or account in self._reserved_accounts:
            raise Rejection(Reason.ACCOUNT_EXISTS, f"account {account!r} already exists")
        self._reserved_accounts.add(account)
        try:
            events = await self.execute(lambda ts: C.OpenAccount(ts, account, market_maker))
        finally:
            self._reserved_accounts.discard(account)
        if account not in self.accounts:
            raise as_rejection(rejected(events))
        return account

    async def cash(self, kind: str, account: str, cents: int) -> None:
        if account not in self.accounts:
            raise Rejection(Reason.UNKNOWN_ACCOUNT, f"no account {account!r}")
        cls = C.Deposit if kind == "deposit" else C.Withdraw
        events = await self.execute(lambda ts: cls(ts, account, cents))
        rej = rejected(events)
        if rej is not None:
            raise as_rejection(rej)

    async def command(self, build) -> list:
        """An operator command; refused ones raise their Rejection."""
        events = await self.execute(build)
        rej = rejected(events)
        if rej is not None:
            raise as_rejection(rej)
        return events

    def account_summary(self, account: str) -> dict:
        s = self.venue.gate.account_summary(account)
        positions = self.fmt.position_views(account)
        return {"account_id": account,
                "cash": wire.cents_to_amount(s.get("cash")),
                "equity": wire.cents_to_amount(s.get("equity")),
                "initial_margin": wire.cents_to_amount(s.get("initial_margin")),
                "maintenance_margin": wire.cents_to_amount(s.get("maintenance_margin")),
                "order_margin": wire.cents_to_amount(s.get("order_margin")),
                "excess": wire.cents_to_amount(s.get("excess")),
                "withdrawable": wire.cents_to_amount(s.get("withdrawable")),
                "margin_call": s.get("margin_call"),
                "positions": positions}
