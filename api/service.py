"""The asyncio service around the Venue: one writer task, a command queue, group commit.

Every request becomes a command stamped with the wall clock at the service edge (never going
backwards) and queued. The writer takes whatever is queued, applies it to the venue in order,
makes the journal durable once for the whole batch (group commit, off the event loop), and only
then resolves the waiting requests and fans the events out. So a client never hears of a
command that a crash could lose, and the venue stays single-threaded and deterministic.
On start the journal is replayed through the same path, which rebuilds the identical state.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import pickle
import sqlite3
import time
from bisect import bisect_right
from collections import defaultdict, deque
from functools import partial
from operator import itemgetter
from time import perf_counter_ns

from api import wire
from api.formatter import Formatter
from api.history import History
from api.hub import Hub
from api.mailbox import Mailbox
from api.metrics import Timings
from api.session_watch import SessionWatch
from api.snapshots import CAN_FORK, SnapshotInChild, SnapshotStore
from api.store import OrderStore
from clearing.index import GPU_METHODOLOGY, SIT_METHODOLOGY, IndexCalculator
from clearing.port import ClearingPort
from clearing.reasons import Reason, Rejection
from exchange import commands as C
from exchange.journal import Journal
from exchange.orders import OrderType, Side, TimeInForce
from exchange.venue import Venue
from marketmakers.index_feed import ProviderFeedSource

log = logging.getLogger("sitex")
_SIDES = {"buy": Side.BUY, "sell": Side.SELL}
_TYPES = {t.wire: t for t in OrderType}
_TIFS = {t.wire: t for t in TimeInForce}
SEED_INDEX = {"SIT": 2_000_000, "GPU": 2_500_000}  # micro-USD: 2.000 and 2.500 USD


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
        self.snapshot_every = snapshot_every  # commands between automatic snapshots (0: on demand)
        self._since_snapshot = 0
        self._busy = 0  # commands taken by the writer and not yet answered
        self._settled: asyncio.Event | None = None  # set while no batch is between apply and durable
        self.clock = clock
        self.index_source = index_source
        self.feed = ProviderFeedSource(feed_seed) if index_source == "feed" else None
        # --index-source admin: providers' quotes go through the index methodology
        self.calculators = {"SIT": IndexCalculator(SIT_METHODOLOGY),
                            "GPU": IndexCalculator(GPU_METHODOLOGY)}
        self.publications: dict[str, object] = {}  # name -> the latest IndexPublication
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
        self.refused: dict[str, int] = defaultdict(int)  # orders refused at the API, by reason
        self.watch = SessionWatch()  # the fundamental and the makers' obligations (a cycle's)

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
        if self.feed is not None and all(self.venue.index_value(n) is None for n in SEED_INDEX):
            await self.publish_indices(SEED_INDEX)
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
            except (pickle.PicklingError, TypeError, AttributeError, sqlite3.Error) as exc:
                # a gate that cannot be pickled: go on without snapshots (replay from zero)
                log.warning("snapshots disabled: %r", exc)
                self.snapshots = None
        for fut in requests:
            if position is None:
                fut.set_exception(Rejection(Reason.INVALID_COMMAND, "snapshots are unavailable"))
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
            log.warning("snapshots disabled: the snapshot process failed")
            self.snapshots = None

    async def _snapshot_settled(self) -> None:
        """Wait for a snapshot in a child to be stored (one at a time into the store)."""
        if self._snapshotting is not None:
            task, self._snapshotting = self._snapshotting, None
            with contextlib.suppress(Exception):
                await task

    async def snapshot(self) -> int:
        """Take a snapshot at the next batch boundary; returns its journal position."""
        if self.snapshots is None:
            raise Rejection(Reason.INVALID_COMMAND, "snapshots need a journal (--journal)")
        return await self.execute(lambda ts: None)

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
            if not _rejected(events) or not self.venue.gate.clears:
                self.accounts.setdefault(cmd.account, cmd.market_maker)
        elif tag == "index" and not _rejected(events):
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
        if self.feed is not None:
            await self.publish_indices(self.feed.next(self.now()))
            self.watch.record_fundamental(self.feed.last_ts, {
                name: fundamental.price for name, (fundamental, _) in self.feed.sources.items()})
        elif self.index_source == "admin" and any(c.due(self.now()) for c in self.calculators.values()):
            await self.publish_from_quotes()
        if self.venue.gate.clears:
            await self.execute(C.MarkCycle)
        await self.settled()  # the makers' quotes as durable state shows them
        self.watch.sample_makers(self.now(), self.venue, [a for a, mm in self.accounts.items() if mm])

    def add_provider_quote(self, quote) -> None:
        """A provider's quote (clearing.types.ProviderQuote) for the next publication.

        Quotes are inputs of the index, not venue state: they are not journaled; what is
        journaled (and replayed) is each publication's value, as a PublishIndex command."""
        calculator = self.calculators.get(quote.index_name)
        if calculator is None:
            raise Rejection(Reason.INVALID_QUOTE, f"no index {quote.index_name!r}")
        calculator.add_quote(quote)

    async def publish_from_quotes(self) -> dict:
        """Run the index methodology on the quotes received; publish the values it gives."""
        ts = self.now()
        published = {}
        for name, calculator in self.calculators.items():
            pub = calculator.publish(ts)
            self.publications[name] = pub
            if pub.value is not None and pub.status == "ok":
                await self.execute(lambda t, n=name, v=pub.value: C.PublishIndex(t, n, v))
            published[name] = pub
        return published

    def due_for_expiry(self) -> list[str]:
        """Contracts whose last trading time has passed and that are not expired yet."""
        now = self.now()
        return [m.symbol for m in self.venue.markets()
                if m.state != "expired" and now >= m.spec.last_trade_ts]

    async def publish_indices(self, values: dict[str, int]) -> None:
        for name, value in values.items():
            await self.execute(lambda ts, n=name, v=value: C.PublishIndex(ts, n, v))

    def queued(self) -> int:
        return self._queue.qsize() if self._queue else 0

    def index_statuses(self) -> dict[str, str]:
        """index -> the status of its latest publication by the index methodology ("ok",
        "held", "stale", "none"); an index published directly (admin index-quotes) is "ok"."""
        pubs = self.feed.publications if self.feed is not None else self.publications
        out = {name: "ok" for name in self.index_history}
        out.update({name: pub.status for name, pub in pubs.items()})
        return out

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

    # ---------------------------------------------------------------- order entry

    def _spec(self, symbol: str):
        try:
            return self.venue.contract(symbol)
        except KeyError:
            raise Rejection(Reason.UNKNOWN_SYMBOL, f"no listed contract {symbol!r}") from None

    def order_args(self, account: str, r: wire.OrderRequest) -> tuple:
        """The NewOrder fields after its `ts` (prices converted and checked)."""
        tick = self._spec(r.symbol).product.tick_size
        price = wire.price_to_ticks(r.price, tick) if r.price is not None else None
        stop = wire.price_to_ticks(r.stop_price, tick) if r.stop_price is not None else None
        return (account, r.symbol, _SIDES[r.side], r.qty, price, _TYPES[r.type],
                _TIFS[r.time_in_force], stop, r.display_qty, r.expire_at, r.post_only,
                r.reduce_only, r.client_order_id)

    def order_command(self, account: str, r: wire.OrderRequest):
        args = self.order_args(account, r)
        return lambda ts: C.NewOrder(ts, *args)

    async def place(self, account: str, r: wire.OrderRequest) -> dict:
        pending = self.place_nowait(account, r)
        if isinstance(pending, dict):
            return pending
        return self.placed(account, r, await pending)

    def place_nowait(self, account: str, r: wire.OrderRequest) -> dict | asyncio.Future:
        """The first half of `place`, for a caller that would rather not be a coroutine (the
        WebSocket's order entry): the order of a retried client_order_id as it is now (a
        client_order_id used for another order raises DUPLICATE_CLIENT_ORDER_ID), or the
        future of the queued order's events, to be handed to `placed` once resolved."""
        try:
            args = self.order_args(account, r)
        except Rejection as refused:  # an unknown symbol, a price off the tick: never queued
            self.refused[refused.reason.name] += 1
            raise
        if r.client_order_id is not None:
            earlier = self._earlier_result(account, r.client_order_id, args)
            if earlier is not None:
                return earlier
        return self.submit(lambda ts: C.NewOrder(ts, *args))

    def placed(self, account: str, r: wire.OrderRequest, events: list) -> dict:
        """The second half of `place`: the answer to a durable order (raises its rejection)."""
        oid = None
        for e in events:
            if e.kind == "order_accepted" and e.account == account:
                oid = e.order_id
                break
        if oid is None:
            rej = _rejected(events)
            if rej is not None and rej.reason == Reason.DUPLICATE_CLIENT_ORDER_ID:
                # a concurrent retry of the same order (or a reuse, refused there)
                earlier = self._earlier_result(account, r.client_order_id, self.order_args(account, r))
                if earlier is not None:
                    return earlier
            raise _as_rejection(rej)
        return self.order_result(oid, [e for e in events if e.kind == "fill"])

    def _earlier_result(self, account: str, client_order_id: str, args: tuple) -> dict | None:
        """The order `client_order_id` named, as it is now, if `args` ask for what it asked;
        DUPLICATE_CLIENT_ORDER_ID if they ask for something else; None if the id is new."""
        key = (account, client_order_id)
        oid = self.store.by_client_id.get(key)
        if oid is not None:
            terms = self.store.terms.get(key)
        else:  # perhaps an order that has left memory
            found = self.history.by_client_id(account, client_order_id)
            if found is None:
                return None
            oid, terms = found
        if terms != order_terms(args):
            raise Rejection(Reason.DUPLICATE_CLIENT_ORDER_ID,
                            f"client order id {client_order_id!r} was used for order {oid}, "
                            f"with other parameters")
        return self.order_result(oid, None)

    def order_result(self, oid: int, fill_events) -> dict:
        """The answer about order `oid`: its view and fills (`fill_events`: this command's
        fills, the newest; None: all the order's fills, the read model's first)."""
        stored = self.store.orders.get(oid)
        o = self.fmt.order(stored if stored is not None else self.history.order(oid))
        account = o["account"]
        mine = self.store.fills.get(account, ())
        if fill_events is None:
            fills = self.history.fills_of(account, oid) + [f for f in mine if f["order_id"] == oid]
        else:  # this command's fills are the newest ones: walk back only as far as they go
            trades = {e.trade_id for e in fill_events}
            first = min(trades, default=0)
            fills = []
            for f in reversed(mine):
                if not trades or f["trade_id"] < first:
                    break
                if f["order_id"] == oid and f["trade_id"] in trades:
                    fills.append(f)
            fills.reverse()
        return {"order": o, "fills": [self.fmt.fill(f) for f in fills], "order_id": oid,
                "status": o["status"], "filled_qty": o["filled_qty"],
                "remaining_qty": o["remaining_qty"], "reason": o.get("reason")}

    def find_order(self, account: str, order_id: int) -> dict | None:
        """The order if it is `account`'s: in memory, else in the read model."""
        o = self.store.order_of(account, order_id)
        if o is None:
            o = self.history.order(order_id)
        return o if o is not None and o["account"] == account else None

    def closed_orders(self, account: str, symbol: str | None, since: int, after_id: int,
                      limit: int) -> list[dict]:
        """The account's closed orders (filled, cancelled, expired; of `symbol`, or all) by
        order id after `after_id`, made at or after `since` (ns): the read model's and the
        window's."""
        old = self.history.closed_orders(account, symbol, since, after_id, limit)
        orders = self.store.orders
        recent = [o for oid in self.store.by_account.get(account, ()) if oid > after_id
                  and (o := orders[oid])["status"] in CLOSED and o["ts"] >= since
                  and (symbol is None or o["symbol"] == symbol)]
        return sorted(old + recent, key=lambda o: o["order_id"])[:limit]

    def fills(self, account: str, after_seq: int, since: int, limit: int) -> list[dict]:
        """The account's fills after `after_seq`, at or after `since` (ns), oldest first: the
        read model holds the oldest of them, memory the window."""
        out = self.history.fills(account, after_seq, since, limit)
        if len(out) < limit:
            mine = self.store.fills.get(account, ())
            start = bisect_right(mine, out[-1]["seq"] if out else after_seq, key=_SEQ)
            for i in range(start, len(mine)):
                f = mine[i]
                if f["ts"] >= since:
                    out.append(f)
                    if len(out) == limit:
                        break
        return out

    async def cancel(self, account: str, order_id: int) -> dict:
        if self.store.order_of(account, order_id) is None:
            raise Rejection(Reason.UNKNOWN_ORDER, f"no order {order_id} in this account")
        events = await self.execute(lambda ts: C.CancelOrder(ts, account, order_id))
        rej = _rejected(events)
        if rej is not None:
            raise _as_rejection(rej)
        return self.fmt.order(self.store.orders[order_id])

    async def amend(self, account: str, order_id: int, r: wire.AmendRequest) -> dict:
        o = self.store.order_of(account, order_id)
        if o is None:
            raise Rejection(Reason.UNKNOWN_ORDER, f"no order {order_id} in this account")
        tick = self.fmt.tick(o["symbol"])
        price = wire.price_to_ticks(r.price, tick) if r.price is not None else None
        stop = wire.price_to_ticks(r.stop_price, tick) if r.stop_price is not None else None
        events = await self.execute(lambda ts: C.AmendOrder(ts, account, order_id, r.qty, price, stop))
        rej = _rejected(events)
        if rej is not None:
            raise _as_rejection(rej)
        return self.order_result(order_id, [e for e in events if e.kind == "fill"])

    async def cancel_all(self, account: str, symbol: str | None) -> list[int]:
        events = await self.execute(lambda ts: C.CancelAll(ts, account, symbol))
        rej = _rejected(events)
        if rej is not None:
            raise _as_rejection(rej)
        return [e.order_id for e in events if e.kind == "order_cancelled" and e.account == account]

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
            raise _as_rejection(_rejected(events))
        return account

    async def cash(self, kind: str, account: str, cents: int) -> None:
        if account not in self.accounts:
            raise Rejection(Reason.UNKNOWN_ACCOUNT, f"no account {account!r}")
        cls = C.Deposit if kind == "deposit" else C.Withdraw
        events = await self.execute(lambda ts: cls(ts, account, cents))
        rej = _rejected(events)
        if rej is not None:
            raise _as_rejection(rej)

    async def command(self, build) -> list:
        """An operator command; refused ones raise their Rejection."""
        events = await self.execute(build)
        rej = _rejected(events)
        if rej is not None:
            raise _as_rejection(rej)
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


CLOSED = ("filled", "cancelled", "expired")
_SEQ = itemgetter("seq")


def order_terms(args: tuple) -> tuple:
    """What an order asked for (NewOrder's fields from `account` to `reduce_only`), in plain
    values: a live request and a replayed command compare equal (enums and ints, False and 0)."""
    (_, symbol, side, qty, price, typ, tif, stop, display, expire_at, post_only, reduce_only) = args[:12]
    return (symbol, int(side), qty, price, int(typ), int(tif), stop, display, expire_at,
            bool(post_only), bool(reduce_only))


def _rejected(events):
    for e in reversed(events):
        if e.kind == "rejected":
            return e
    return None


def _as_rejection(rej) -> Rejection:
    if rej is None:
        return Rejection(Reason.INVALID_COMMAND, "the venue did not accept the command")
    return Rejection(Reason(rej.reason), rej.text)
