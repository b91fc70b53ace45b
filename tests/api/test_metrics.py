"""Operations: /metrics in the Prometheus text format, /healthz, /readyz, and the JSON logs
with a request id per request (`sitex serve --log-format json`)."""

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families

from api.app import Settings, create_app
from api.hub import Hub, Subscriber
from api.logs import JsonFormatter
from api.metrics import Histogram
from api.store import OrderStore
from clearing import clearing_events as CE

SITEX = str(Path(sys.executable).parent / "sitex")


def scrape(url: str) -> dict:
    """{(name, labels...): value} of every sample /metrics exposes."""
    r = httpx.get(url + "/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out[(s.name, *sorted(s.labels.items()))] = s.value
    return out


def test_metrics_count_orders_trades_latency_commits_and_sockets(make_server, admin_key, tmp_path):
    settings = Settings(admin_key=admin_key, cycle_seconds=0, rate=0, journal=str(tmp_path / "j.db"))
    with make_server(settings) as s:
        sym = s.front()
        _, a = s.new_account()
        _, b = s.new_account()
        before = scrape(s.url)
        assert before[("sitex_orders_total", ("outcome", "accepted"), ("reason", ""))] == 0
        assert before[("sitex_index_status", ("index", "SIT"), ("status", "ok"))] == 1
        assert before[("sitex_index_status", ("index", "SIT"), ("status", "stale"))] == 0
        assert a.post("/v1/orders", json={"symbol": sym, "side": "sell", "qty": 2, "price": "2.010"}).status_code == 200
        assert b.post("/v1/orders", json={"symbol": sym, "side": "buy", "qty": 2, "price": "2.010"}).status_code == 200
        r = b.post("/v1/orders", json={"symbol": sym, "side": "buy", "qty": 1, "price": "2.0105"})
        assert r.json()["code"] == "PRICE_NOT_ON_TICK"  # refused at the API, never queued
        a.post("/v1/orders", json={"symbol": sym, "side": "sell", "qty": 1, "price": "2.000"})
        r = b.post("/v1/orders", json={"symbol": sym, "side": "buy", "qty": 1, "price": "2.000",
                                       "post_only": True})
        assert r.json()["code"] == "WOULD_CROSS_POST_ONLY"  # refused by the venue

        async def with_a_socket():
            async with websockets.connect(s.url.replace("http", "ws") + "/v1/ws"):
                await asyncio.sleep(0.1)
                return scrape(s.url)

        m = asyncio.run(with_a_socket())
        assert m[("sitex_orders_total", ("outcome", "accepted"), ("reason", ""))] == 3
        assert m[("sitex_orders_total", ("outcome", "rejected"), ("reason", "PRICE_NOT_ON_TICK"))] == 1
        assert m[("sitex_orders_total", ("outcome", "rejected"), ("reason", "WOULD_CROSS_POST_ONLY"))] == 1
        assert m[("sitex_trades_total",)] == 1
        assert m[("sitex_ws_clients",)] == 1
        assert m[("sitex_ws_dropped_messages_total",)] == 0
        for name in ("sitex_margin_calls_total", "sitex_liquidations_total", "sitex_defaults_total"):
            assert m[(name,)] == 0
        assert m[("sitex_match_latency_seconds_count",)] == s.service.commands - before[("sitex_commands_total",)] + before[("sitex_match_latency_seconds_count",)]
        assert m[("sitex_match_latency_seconds_bucket", ("le", "+Inf"))] == m[("sitex_match_latency_seconds_count",)]
        assert 0 < m[("sitex_match_latency_seconds_sum",)] < 1
        assert m[("sitex_journal_commit_seconds_count",)] == s.service.commits > 0
        assert m[("sitex_journal_commit_seconds_sum",)] > 0
        assert m[("process_resident_memory_bytes",)] > 0
        assert httpx.get(s.url + "/v1/metrics").json()["commands"] == s.service.commands  # the JSON stays


def test_risk_events_are_counted_and_kept_for_the_session_panel():
    store = OrderStore()
    store.apply([CE.MarginCall(1, 10, "a", 50, 100, 120, 99), CE.MarginCall(2, 11, "b", 50, 100, 120, 99),
                 CE.LiquidationStarted(3, 12, "a", "call not cured"),
                 CE.WaterfallUsed(4, 12, "a", "defaulter_fund", 700),
                 CE.WaterfallUsed(5, 12, "a", "ccp_skin", 300),
                 CE.AccountDefaulted(6, 12, "a", 1000)])
    assert store.risk == {"margin_call": 2, "liquidation_started": 1, "waterfall": 2,
                          "account_defaulted": 1}
    assert store.waterfall == {"defaulter_fund": 700, "ccp_skin": 300}
    assert [e["kind"] for e in store.risk_events][:2] == ["margin_call", "margin_call"]


def test_a_store_from_an_older_snapshot_gets_the_new_views():
    import pickle

    store = OrderStore()
    state = store.__dict__.copy()
    for name in ("trades_total", "rejected", "risk", "waterfall", "risk_events"):
        del state[name]
    old = OrderStore.__new__(OrderStore)
    old.__setstate__(pickle.loads(pickle.dumps(state)))
    old.apply([CE.MarginCall(1, 10, "a", 50, 100, 120, 99)])
    assert old.trades_total == 0 and old.risk["margin_call"] == 1


def test_dropped_websocket_messages_are_counted_also_after_the_connection_closed():
    hub = Hub()
    sub = Subscriber("a", maxsize=2)
    hub.add(sub)
    for i in range(5):
        sub.send({"n": i})
    assert sub.overflowed and sub.dropped == 3 and hub.dropped() == 3
    hub.remove(sub)
    assert hub.dropped() == 3


def test_the_histogram_puts_observations_in_their_buckets():
    h = Histogram((1e-6, 1e-3))
    h.observe(500)  # 0.5 us
    h.observe(1_000)  # on the bound: in it (le)
    h.observe(2_000_000, times=3)  # 2 ms, three commands of one batch
    fam = h.family("x_seconds", "x")
    samples = {(s.name, s.labels.get("le")): s.value for s in fam.samples}
    assert samples[("x_seconds_bucket", "1e-06")] == 2
    assert samples[("x_seconds_bucket", "0.001")] == 2
    assert samples[("x_seconds_bucket", "+Inf")] == 5
    assert samples[("x_seconds_count", None)] == 5
    assert samples[("x_seconds_sum", None)] == pytest.approx(0.0060015)


def test_health_and_readiness():
    app = create_app(Settings(admin_key="k", cycle_seconds=0))
    service = app.state.service

    async def scenario():
        transport = httpx.ASGITransport(app)  # no lifespan: the service starts when told below
        async with httpx.AsyncClient(transport=transport, base_url="http://sitex") as client:
            assert (await client.get("/healthz")).json() == {"status": "ok"}
            r = await client.get("/readyz")
            assert r.status_code == 503 and r.json()["ready"] is False
            assert "replaying" in r.json()["reason"]
            await service.start()
            r = await client.get("/readyz")
            assert r.status_code == 200 and r.json() == {"ready": True, "reason": "ok", "replayed": 0}
            await service.stop()
            r = await client.get("/readyz")
            assert r.status_code == 503 and r.json()["reason"] == "stopped"
            assert (await client.get("/healthz")).status_code == 200

    asyncio.run(scenario())


def test_not_ready_after_the_journal_failed(make_server, admin_key, tmp_path):
    with make_server(Settings(admin_key=admin_key, cycle_seconds=0, rate=0,
                              journal=str(tmp_path / "j.db"))) as s:
        sym = s.front()
        _, a = s.new_account()
        assert httpx.get(s.url + "/readyz").status_code == 200

        def broken():
            raise OSError("disk full")

        flush, s.service.journal.flush = s.service.journal.flush, broken
        r = a.post("/v1/orders", json={"symbol": sym, "side": "buy", "qty": 1, "price": "1.950"})
        assert r.status_code == 503 and r.json()["code"] == "SERVICE_UNAVAILABLE"
        assert r.json()["type"] == "urn:sitex:problem:service-unavailable"
        r = httpx.get(s.url + "/readyz")
        assert r.status_code == 503 and "disk full" in r.json()["reason"]
        assert httpx.get(s.url + "/healthz").status_code == 200
        s.service.journal.flush = flush


def test_an_order_over_the_websocket_after_the_journal_failed_is_service_unavailable(
        make_server, admin_key, tmp_path):
    with make_server(Settings(admin_key=admin_key, cycle_seconds=0, rate=0,
                              journal=str(tmp_path / "j.db"))) as s:
        sym = s.front()
        _, a = s.new_account()

        def broken():
            raise OSError("disk full")

        flush, s.service.journal.flush = s.service.journal.flush, broken
        url = s.url.replace("http", "ws") + "/v1/ws"
        params = {"symbol": sym, "side": "buy", "qty": 1, "price": "1.950"}

        async def order_over_ws():
            async with websockets.connect(url, additional_headers={"X-API-Key": a.headers["X-API-Key"]}) as ws:
                await ws.send(json.dumps({"op": "order", "id": 1, "params": params}))
                while True:
                    m = json.loads(await asyncio.wait_for(ws.recv(), 5))
                    if m.get("id") == 1:
                        return m

        answer = asyncio.run(order_over_ws())
        s.service.journal.flush = flush
    assert answer["type"] == "error"
    assert (answer["error"]["status"], answer["error"]["code"]) == (503, "SERVICE_UNAVAILABLE")


def test_json_lines_mask_keys():
    fmt = JsonFormatter(secrets=("the-admin-secret",))
    record = logging.LogRecord("sitex", logging.WARNING, __file__, 1,
                               "saw sk_abcdefghijklmnopqrstuvwxyz012345 and the-admin-secret", None, None)
    line = json.loads(fmt.format(record))
    assert line["msg"] == "saw sk_*** and ***" and line["level"] == "warning"


def test_serve_log_format_json(tmp_path, port):
    """`sitex serve --log-format json`: every line is a JSON object; each request has an id,
    echoed in X-Request-Id (the client's own when it sends one); no key reaches the log."""
    admin = "admin-secret-for-the-log-test"
    env = dict(os.environ, SITEX_ADMIN_KEY=admin)
    out = tmp_path / "out.log"
    with open(out, "w") as sink:
        proc = subprocess.Popen([SITEX, "serve", "--port", str(port), "--log-format", "json",
                                 "--journal", str(tmp_path / "j.db")], env=env, stdout=sink,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(url + "/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, out.read_text()
            time.sleep(0.1)
        r = httpx.post(url + "/v1/admin/accounts", json={"account_id": "logged"},
                       headers={"X-API-Key": admin})
        key = r.json()["api_key"]
        mine = httpx.get(url + "/v1/account", headers={"X-API-Key": key, "X-Request-Id": "req-42"})
        assert mine.status_code == 200 and mine.headers["x-request-id"] == "req-42"
        fresh = httpx.get(url + f"/v1/orders?api_key={key}", headers={"X-API-Key": key})
        assert len(fresh.headers["x-request-id"]) == 32
        bad = httpx.get(url + "/v1/book/NOPE", headers={"X-Request-Id": "not a sane id"})
        assert bad.status_code == 404 and bad.headers["x-request-id"] != "not a sane id"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
    text = out.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert lines and all({"ts", "level", "logger", "msg"} <= set(x) for x in lines)
    access = {x["request_id"]: x for x in lines if x["logger"] == "sitex.access"}
    assert access["req-42"]["path"] == "/v1/account" and access["req-42"]["status"] == 200
    assert access[fresh.headers["x-request-id"]]["path"] == "/v1/orders"  # no query string
    assert key not in text and admin not in text and "sk_" not in text
