"""Operational metrics: `/metrics` in the Prometheus text format, `/healthz` and `/readyz`.

Nothing here runs per order. The counts come from what the service keeps anyway (the order
store folds every event once: accepted orders, rejections by reason, trades, the risk events)
and from two timers per batch in the writer (`Timings`); the Prometheus families are built
only when `/metrics` is scraped, by a collector that reads them (prometheus-client's custom
collector), so an order pays for no lock and no label lookup.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.process_collector import ProcessCollector

if TYPE_CHECKING:
    from api.service import Service

# seconds; a compiled venue applies an order in a few microseconds, a group commit (fsync) in
# a fraction of a millisecond to tens of milliseconds on a busy disk
MATCH_BUCKETS = (1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 1e-2)
COMMIT_BUCKETS = (1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 1.0)
INDEX_STATUSES = ("ok", "held", "stale", "none")  # clearing/index.py's publication statuses


class Histogram:
    """Bucket counts in plain ints, observed in nanoseconds (no lock: one writer)."""

    def __init__(self, bounds_s: tuple[float, ...]):
        self.bounds_s = bounds_s
        self._bounds_ns = [round(b * 1e9) for b in bounds_s]
        self.counts = [0] * (len(bounds_s) + 1)  # the last one: above every bound (+Inf)
        self.sum_ns = 0

    def observe(self, ns: int, times: int = 1) -> None:
        """`times` observations of `ns` each."""
        self.counts[bisect_left(self._bounds_ns, ns)] += times
        self.sum_ns += ns * times

    def family(self, name: str, doc: str) -> HistogramMetricFamily:
        buckets, total = [], 0
        for bound, n in zip((*map(repr, self.bounds_s), "+Inf"), self.counts):
            total += n
            buckets.append((bound, total))
        return HistogramMetricFamily(name, doc, buckets=buckets, sum_value=self.sum_ns / 1e9)


class Timings:
    """The writer's two timers. `match` is the venue's time per command, timed per batch:
    each command of a batch counts at the batch's mean (a batch of one, the usual case when
    the venue is not loaded, is that command's own time); `commit` is each group commit."""

    def __init__(self):
        self.match = Histogram(MATCH_BUCKETS)
        self.commit = Histogram(COMMIT_BUCKETS)


class ServiceCollector:
    """Reads the service's counts when Prometheus scrapes."""

    def __init__(self, service: Service):
        self.service = service

    def collect(self):
        s = self.service
        store, hub = s.store, s.hub
        orders = CounterMetricFamily("sitex_orders", "Orders by outcome: accepted by the venue, or "
                                     "rejected (by the venue or at the API) with the reason code",
                                     labels=["outcome", "reason"])
        orders.add_metric(["accepted", ""], len(store.orders))
        rejected = dict(store.rejected)
        for reason, n in s.orders.refused.items():
            rejected[reason] = rejected.get(reason, 0) + n
        for reason, n in sorted(rejected.items()):
            orders.add_metric(["rejected", reason], n)
        yield orders
        yield _counter("sitex_trades", "Trades (fills) matched", store.trades_total)
        yield _counter("sitex_margin_calls", "Margin calls issued", store.risk["margin_call"])
        yield _counter("sitex_liquidations", "Liquidations started", store.risk["liquidation_started"])
        yield _counter("sitex_defaults", "Accounts in default", store.risk["account_defaulted"])
        yield _counter("sitex_commands", "Commands applied to the venue (replayed ones included)",
                       s.commands)
        yield _counter("sitex_group_commits", "Journal group commits", s.commits)
        yield s.timings.match.family("sitex_match_latency_seconds",
                                     "Venue time per command (matching, risk check, clearing)")
        yield s.timings.commit.family("sitex_journal_commit_seconds",
                                      "Journal group commit, from the writer's call to durable")
        yield _gauge("sitex_ws_clients", "Open WebSocket connections", len(hub.subscribers))
        yield _counter("sitex_ws_dropped_messages", "Messages not delivered to WebSocket "
                       "clients too slow to keep up (the connection is then closed)", hub.dropped())
        yield _gauge("sitex_queue_depth", "Commands queued for the writer", s.queued())
        yield _gauge("sitex_event_sequence", "Last event sequence number published", hub.seq)
        yield _gauge("sitex_accounts", "Member accounts", len(s.accounts))
        status = GaugeMetricFamily("sitex_index_status", "1 for the index's latest publication "
                                   "status (ok, held, stale, none), 0 for the others",
                                   labels=["index", "status"])
        for name, current in sorted(s.indices.index_statuses().items()):
            for st in INDEX_STATUSES:
                status.add_metric([name, st], 1 if st == current else 0)
        yield status


def _counter(name: str, doc: str, value: int) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=value)


def _gauge(name: str, doc: str, value: int) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def registry_for(service: Service) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ServiceCollector(service))
    ProcessCollector(registry=registry)  # CPU, memory, open files of this process
    return registry


def install(app: FastAPI, service: Service, problems: dict) -> None:
    """`/metrics`, `/healthz` and `/readyz` on `app` (`problems`: the documented errors)."""
    registry = registry_for(service)

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", tags=["operations"], responses=problems)
    async def healthz() -> dict:
        """The process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], responses=problems | {
        503: {"description": "not ready", "content": {"application/json": {}}}})
    async def readyz(response: Response) -> dict:
        """Ready: the journal is replayed and the writer takes orders. 503 before (and after
        a journal failure, and while stopping)."""
        ready, why = service.readiness()
        if not ready:
            response.status_code = 503
        return {"ready": ready, "reason": why, "replayed": service.replayed}
