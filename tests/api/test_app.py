"""End to end through a real uvicorn server: REST, WebSocket, auth, isolation, retries, limits."""

import asyncio
import json

import httpx
import pytest
import websockets

from api.app import Settings

ADMIN = "test-admin-key"  # the key tests/api/conftest.py starts its servers with


def order(symbol, side, qty, price, **extra):
    return {"symbol": symbol, "side": side, "qty": qty, "price": price, **extra}


def test_contracts_index_and_book_are_public(server):
    contracts = httpx.get(server.url + "/v1/contracts").json()
    products = {c["product"] for c in contracts}
    assert products == {"SIT", "GPU"}
    assert all(c["tick_size"] == "0.001" and c["expiry"] for c in contracts)
    sit = httpx.get(server.url + "/v1/index/SIT").json()
    assert sit["name"] == "SIT" and sit["value"] == "2.000000" and sit["timestamp"] > 0
    book = httpx.get(server.url + f"/v1/book/{server.front()}?depth=5").json()
    assert set(book) == {"symbol", "sequence", "bids", "asks"}


def test_order_rests_trades_and_reports_fills(server):
    sym = server.front()
    _, a = server.new_account()
    _, b = server.new_account()
    r = a.post("/v1/orders", json=order(sym, "sell", 5, "2.010"))
    assert r.status_code == 200, r.text
    maker = r.json()
    assert maker["status"] == "new" and maker["remaining_qty"] == 5 and maker["fills"] == []
    taken = b.post("/v1/orders", json=order(sym, "buy", 3, "2.010")).json()
    assert taken["status"] == "filled" and taken["filled_qty"] == 3
    assert [(f["price"], f["qty"], f["role"]) for f in taken["fills"]] == [("2.010", 3, "taker")]
    book = httpx.get(server.url + f"/v1/book/{sym}").json()
    assert ["2.010", 2] in book["asks"]
    # no clearinghouse behind this server: no mark, no variation margin
    none = {"mark": None, "unsettled_pnl": None}
    assert {"symbol": sym, "qty": 3, **none} in b.get("/v1/positions").json()
    assert {"symbol": sym, "qty": -3, **none} in a.get("/v1/positions").json()
    assert a.get(f"/v1/orders/{maker['order_id']}").json()["status"] == "partially_filled"
    fills = a.get("/v1/fills").json()
    assert fills[-1]["role"] == "maker" and fills[-1]["side"] == "sell"
    assert httpx.get(server.url + f"/v1/trades/{sym}").json()[0]["price"] == "2.010"
    tick = httpx.get(server.url + f"/v1/ticker/{sym}").json()
    assert tick["last"] == "2.010" and tick["volume"] >= 3


def test_amend_cancel_and_cancel_all(server):
    sym = server.front()
    _, a = server.new_account()
    o1 = a.post("/v1/orders", json=order(sym, "buy", 4, "1.950")).json()
    o2 = a.post("/v1/orders", json=order(sym, "buy", 4, "1.940")).json()
    amended = a.patch(f"/v1/orders/{o1['order_id']}", json={"qty": 2}).json()
    assert amended["order"]["qty"] == 2 and amended["remaining_qty"] == 2
    assert a.delete(f"/v1/orders/{o1['order_id']}").json()["status"] == "cancelled"
    assert [o["order_id"] for o in a.get("/v1/orders").json()] == [o2["order_id"]]
    assert a.delete("/v1/orders", params={"symbol": sym}).json() == {"cancelled": [o2["order_id"]]}
    assert a.get("/v1/orders").json() == []


def test_accounts_are_isolated(server):
    sym = server.front()
    _, a = server.new_account()
    _, b = server.new_account()
    mine = a.post("/v1/orders", json=order(sym, "buy", 1, "1.900")).json()["order_id"]
    for r in (b.get(f"/v1/orders/{mine}"), b.delete(f"/v1/orders/{mine}"),
              b.patch(f"/v1/orders/{mine}", json={"qty": 1})):
        assert r.status_code == 404 and r.json()["code"] == "UNKNOWN_ORDER"
    assert mine not in [o["order_id"] for o in b.get("/v1/orders").json()]
    assert b.delete("/v1/orders").json() == {"cancelled": []}
    assert a.get(f"/v1/orders/{mine}").json()["status"] == "new"


def test_auth_is_required_and_admin_is_separate(server):
    anon = httpx.Client(base_url=server.url)
    assert anon.get("/v1/orders").status_code == 401
    assert anon.get("/v1/orders", headers={"X-API-Key": "sk_nope"}).status_code == 401
    _, a = server.new_account()
    assert a.post("/v1/admin/accounts", json={}).status_code == 403
    assert a.get("/v1/admin/accounts").status_code == 403
    with server.admin() as adm:
        listing = adm.get("/v1/admin/accounts").json()
    text = json.dumps(listing)
    assert "api_key" not in text and "sk_" not in text and ADMIN not in text


def test_client_order_id_retry_returns_the_original(server):
    sym = server.front()
    _, a = server.new_account()
    body = order(sym, "buy", 2, "1.800", client_order_id="retry-1")
    first = a.post("/v1/orders", json=body).json()
    again = a.post("/v1/orders", json=body).json()
    assert again == first
    assert [o["order_id"] for o in a.get("/v1/orders").json()].count(first["order_id"]) == 1
    assert len(a.get("/v1/orders").json()) == 1


def test_concurrent_retries_make_one_order(server):
    sym = server.front()
    _, a = server.new_account()
    key = a.headers["X-API-Key"]

    async def burst():
        async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": key}) as c:
            body = order(sym, "buy", 1, "1.850", client_order_id="same")
            return await asyncio.gather(*[c.post("/v1/orders", json=body) for _ in range(8)])

    answers = asyncio.run(burst())
    assert {r.status_code for r in answers} == {200}
    assert len({r.json()["order_id"] for r in answers}) == 1
    assert len(a.get("/v1/orders").json()) == 1


@pytest.mark.parametrize("body, status, code", [
    ({"symbol": "X", "side": "buy", "qty": 1, "price": "2.000"}, 404, "UNKNOWN_SYMBOL"),
    ({"side": "buy", "qty": 1, "price": "2.0005"}, 400, "PRICE_NOT_ON_TICK"),
    ({"side": "buy", "qty": 1, "price": 2.0}, 422, "INVALID_COMMAND"),
    ({"side": "buy", "qty": 1.5, "price": "2.000"}, 422, "INVALID_COMMAND"),
    ({"side": "buy", "qty": "1", "price": "2.000"}, 422, "INVALID_COMMAND"),
    ({"side": "up", "qty": 1, "price": "2.000"}, 422, "INVALID_COMMAND"),
    ({"side": "buy", "qty": 1, "price": "-2.000"}, 400, "INVALID_PRICE"),
    ({"side": "buy", "qty": 1, "price": "2e3"}, 422, "INVALID_COMMAND"),
    ({"side": "buy", "qty": 1, "price": "2.000", "bogus": 1}, 422, "INVALID_COMMAND"),
    ({"side": "buy", "qty": 1, "type": "stop"}, 400, "MISSING_STOP_PRICE"),
    ({"side": "buy", "qty": 1, "price": "2.000", "time_in_force": "GTD"}, 400, "INVALID_EXPIRE_TIME"),
])
def test_bad_orders_are_problems_and_change_nothing(server, body, status, code):
    _, a = server.new_account()
    body = {"symbol": server.front(), **body}
    seq = httpx.get(server.url + "/v1/health").json()["sequence"]
    digest = server.service.venue.digest(with_clock=False)
    r = a.post("/v1/orders", json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    p = r.json()
    assert p["code"] == code and p["status"] == status and p["type"].startswith("urn:sitex:problem:")
    assert p["detail"] and p["title"]
    assert server.service.venue.digest(with_clock=False) == digest
    assert a.get("/v1/orders").json() == []
    assert httpx.get(server.url + "/v1/health").json()["sequence"] >= seq


def test_malformed_json_is_a_4xx(server):
    _, a = server.new_account()
    r = a.post("/v1/orders", content=b"{not json", headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500 and r.json()["code"] == "INVALID_COMMAND"
    assert a.get("/v1/orders/notanumber").status_code == 422
    assert a.get("/v1/book/NOPE").status_code == 404


def test_deposit_amounts_are_checked_exactly(server):
    with server.admin() as adm:
        r = adm.post("/v1/admin/deposits", json={"account_id": "nobody", "amount": "10.00"})
        assert r.status_code == 404 and r.json()["code"] == "UNKNOWN_ACCOUNT"
        acct, _ = server.new_account()
        r = adm.post("/v1/admin/deposits", json={"account_id": acct, "amount": "10.001"})
        assert r.status_code == 400 and r.json()["code"] == "INVALID_AMOUNT"
        r = adm.post("/v1/admin/accounts", json={"account_id": acct})
        assert r.status_code == 409 and r.json()["code"] == "ACCOUNT_EXISTS"


def test_rate_limit_answers_429_with_retry_after(make_server):
    with make_server(Settings(admin_key=ADMIN, cycle_seconds=0, rate=1, burst=3)) as s:
        _, a = s.new_account()
        codes = [a.get("/v1/orders") for _ in range(6)]
        limited = [r for r in codes if r.status_code == 429]
        assert [r.status_code for r in codes[:3]] == [200, 200, 200] and limited
        assert int(limited[0].headers["retry-after"]) >= 1
        assert limited[0].json()["status"] == 429


async def ws_recv(ws, pred, timeout=5.0):
    async def loop():
        while True:
            msg = json.loads(await ws.recv())
            if pred(msg):
                return msg
    return await asyncio.wait_for(loop(), timeout)


def test_websocket_book_snapshot_then_chained_deltas(server):
    sym = server.front("GPU")
    _, a = server.new_account()
    url = server.url.replace("http", "ws") + "/v1/ws"

    async def scenario():
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"op": "subscribe", "id": 1, "channels": [f"book.{sym}", f"trades.{sym}"]}))
            snap = await ws_recv(ws, lambda m: m.get("type") == "snapshot")
            await ws_recv(ws, lambda m: m.get("id") == 1)
            a.post("/v1/orders", json=order(sym, "buy", 2, "2.400"))
            a.post("/v1/orders", json=order(sym, "buy", 3, "2.400"))
            d1 = await ws_recv(ws, lambda m: m.get("type") == "delta")
            d2 = await ws_recv(ws, lambda m: m.get("type") == "delta")
            return snap, d1, d2

    snap, d1, d2 = asyncio.run(scenario())
    assert snap["channel"] == f"book.{sym}" and "bids" in snap["data"]
    assert d1["prev_seq"] == snap["seq"] and d2["prev_seq"] == d1["seq"] > snap["seq"]
    assert d1["data"] == {"side": "bid", "price": "2.400", "qty": 2}
    assert d2["data"] == {"side": "bid", "price": "2.400", "qty": 5}


def test_websocket_order_entry_private_channels_and_cancel_on_disconnect(server):
    sym = server.front("GPU")
    _, a = server.new_account()
    key = a.headers["X-API-Key"]
    url = server.url.replace("http", "ws") + "/v1/ws"

    async def scenario():
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"op": "subscribe", "id": 1, "channels": ["orders"]}))
            denied = await ws_recv(ws, lambda m: m.get("id") == 1)
            await ws.send(json.dumps({"op": "auth", "id": 2, "api_key": key}))
            await ws_recv(ws, lambda m: m.get("id") == 2)
            await ws.send(json.dumps({"op": "subscribe", "id": 3, "channels": ["orders", "fills"]}))
            await ws_recv(ws, lambda m: m.get("id") == 3)
            await ws.send(json.dumps({"op": "cancel_on_disconnect", "id": 4, "enabled": True}))
            await ws_recv(ws, lambda m: m.get("id") == 4)
            await ws.send(json.dumps({"op": "order", "id": 5, "params": order(sym, "sell", 7, "2.700")}))
            seen = []  # the push on "orders" and the reply to id 5 may come in either order
            await ws_recv(ws, lambda m: seen.append(m) or (
                any(x.get("id") == 5 for x in seen)
                and any(x.get("channel") == "orders" and x["type"] == "order_accepted" for x in seen)))
            placed = next(x for x in seen if x.get("id") == 5)
            pushed = next(x for x in seen if x.get("channel") == "orders" and x["type"] == "order_accepted")
            await ws.send(json.dumps({"op": "order", "id": 6, "params": order(sym, "sell", 1, "2.7001")}))
            bad = await ws_recv(ws, lambda m: m.get("id") == 6)
            await ws.send(json.dumps({"op": "ping", "id": 7}))
            pong = await ws_recv(ws, lambda m: m.get("id") == 7)
            await ws.send("not json")
            garbage = await ws_recv(ws, lambda m: m.get("type") == "error" and m.get("id") is None)
            return denied, placed, pushed, bad, pong, garbage

    denied, placed, pushed, bad, pong, garbage = asyncio.run(scenario())
    assert denied["type"] == "error" and denied["error"]["status"] == 401
    assert placed["type"] == "result" and placed["data"]["status"] == "new"
    assert pushed["data"]["order_id"] == placed["data"]["order_id"] and pushed["data"]["price"] == "2.700"
    assert bad["error"]["code"] == "PRICE_NOT_ON_TICK"
    assert pong["type"] == "result" and garbage["error"]["code"] == "INVALID_COMMAND"
    for _ in range(100):  # cancel-on-disconnect runs after the socket closes
        if a.get("/v1/orders").json() == []:
            break
        asyncio.run(asyncio.sleep(0.02))
    assert a.get("/v1/orders").json() == []
    assert a.get(f"/v1/orders/{placed['data']['order_id']}").json()["status"] == "cancelled"



def test_websocket_ops_sent_right_behind_auth_act_for_its_account(server):
    """A client may send auth and an order without waiting for auth's answer: the order is
    the account's (it used to be refused 401, the order's hot path overtaking auth's task).
    And cancel_on_disconnect takes a boolean only ("maybe" used to switch it on)."""
    sym = server.front("GPU")
    account, a = server.new_account()
    url = server.url.replace("http", "ws") + "/v1/ws"

    async def scenario():
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"op": "auth", "id": 1, "api_key": a.headers["X-API-Key"]}))
            await ws.send(json.dumps({"op": "order", "id": 2, "params": order(sym, "sell", 1, "2.700")}))
            await ws.send(json.dumps({"op": "cancel_on_disconnect", "id": 3, "enabled": "maybe"}))
            answers = {}
            await ws_recv(ws, lambda m: answers.setdefault(m.get("id"), m) is not None
                          and {1, 2, 3} <= set(answers))
            return answers

    answers = asyncio.run(scenario())
    assert answers[1]["type"] == "result" and answers[1]["data"]["account_id"] == account
    assert answers[2]["type"] == "result", answers[2]
    assert answers[2]["data"]["status"] == "new"
    assert answers[3]["type"] == "error" and answers[3]["error"]["code"] == "INVALID_COMMAND"
    # cancel-on-disconnect stayed off: the order outlives the socket
    assert a.get(f"/v1/orders/{answers[2]['data']['order_id']}").json()["status"] == "new"


def test_websocket_orders_answer_every_outcome_with_its_id(server):
    """Order entry over the socket: refusals before the queue (no account, a malformed order,
    an unknown symbol), a venue rejection after it, and a retried client_order_id answered
    with the first order, each to its own request id."""
    contracts = httpx.get(server.url + "/v1/contracts").json()
    sym = [c["symbol"] for c in contracts if c["product"] == "SIT"][5]  # a book of its own
    _, maker = server.new_account()
    _, a = server.new_account()
    r = maker.post("/v1/orders", json=order(sym, "sell", 2, "2.100"))
    assert r.status_code == 200, r.text
    url = server.url.replace("http", "ws") + "/v1/ws"
    requests = {
        2: order(sym, "buy", 0, "1.900"),
        3: order("NOPE", "buy", 1, "1.900"),
        4: order(sym, "buy", 1, "2.100", post_only=True),
        5: order(sym, "buy", 1, "1.900", client_order_id="retry-me"),
    }

    async def scenario():
        async with websockets.connect(url) as anon:
            await anon.send(json.dumps({"op": "order", "id": 1, "params": requests[5]}))
            no_account = await ws_recv(anon, lambda m: m.get("id") == 1)
        async with websockets.connect(url, additional_headers={"X-API-Key": a.headers["X-API-Key"]}) as ws:
            for rid, params in requests.items():
                await ws.send(json.dumps({"op": "order", "id": rid, "params": params}))
            answers = {}

            def collect(m):
                answers[m.get("id")] = m
                return all(i in answers for i in requests)

            await ws_recv(ws, collect)
            await ws.send(json.dumps({"op": "order", "id": 6, "params": requests[5]}))
            retried = await ws_recv(ws, lambda m: m.get("id") == 6)
        return no_account, answers, retried

    no_account, answers, retried = asyncio.run(scenario())
    assert no_account["type"] == "error" and no_account["error"]["status"] == 401
    assert answers[2]["error"]["status"] == 422 and answers[2]["error"]["code"] == "INVALID_COMMAND"
    assert answers[3]["error"]["code"] == "UNKNOWN_SYMBOL"
    assert answers[4]["error"]["code"] == "WOULD_CROSS_POST_ONLY"
    first = answers[5]
    assert first["type"] == "result" and first["op"] == "order" and first["data"]["status"] == "new"
    assert retried["type"] == "result" and retried["data"]["order_id"] == first["data"]["order_id"]
    assert [o["order_id"] for o in a.get("/v1/orders").json()] == [first["data"]["order_id"]]

def test_index_quotes_need_admin_source(make_server):
    with make_server(Settings(admin_key=ADMIN, cycle_seconds=0, rate=0, index_source="admin")) as s:
        assert httpx.get(s.url + "/v1/index/SIT").json()["value"] is None
        with s.admin() as adm:
            r = adm.post("/v1/admin/index-quotes", json={"name": "SIT", "value": "2.125"})
            assert r.status_code == 200, r.text
            assert adm.post("/v1/admin/index-quotes", json={"name": "SIT", "value": "0"}).status_code == 400
        assert httpx.get(s.url + "/v1/index/SIT").json()["value"] == "2.125000"
        sym = s.front()
        assert httpx.get(s.url + f"/v1/ticker/{sym}").json()["reference"] == "2.125"


def test_trading_state_change_is_enforced(server):
    sym = server.front("GPU")
    _, a = server.new_account()
    with server.admin() as adm:
        assert adm.post("/v1/admin/trading-state", json={"symbol": sym, "state": "halted"}).status_code == 200
        r = a.post("/v1/orders", json=order(sym, "buy", 1, "2.400"))
        assert r.status_code == 409 and r.json()["code"] == "MARKET_HALTED"
        assert adm.post("/v1/admin/trading-state", json={"symbol": sym, "state": "open"}).status_code == 200
    assert a.post("/v1/orders", json=order(sym, "buy", 1, "2.400")).status_code == 200


def test_metrics_count_commands_and_group_commits(server):
    m = httpx.get(server.url + "/v1/metrics").json()
    assert m["commands"] >= 1 and m["sequence"] >= m["published_sequence"] >= 0
    assert m["accounts"] >= 0 and m["queued"] >= 0


def test_quiet_websocket_gets_heartbeats(make_server):
    with make_server(Settings(admin_key=ADMIN, cycle_seconds=0, rate=0, heartbeat_seconds=0.1)) as s:
        async def scenario():
            async with websockets.connect(s.url.replace("http", "ws") + "/v1/ws") as ws:
                return [json.loads(await asyncio.wait_for(ws.recv(), 2)) for _ in range(2)]

        beats = asyncio.run(scenario())
    assert [b["type"] for b in beats] == ["heartbeat", "heartbeat"]


def test_concurrent_account_creation_gives_each_request_its_own_account(server):
    """Sixteen concurrent creations: empty bodies get sixteen different accounts, and of
    sixteen posts of one name exactly one succeeds, the others answer 409 ACCOUNT_EXISTS."""

    async def burst(body):
        async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": ADMIN}) as c:
            return await asyncio.gather(*[c.post("/v1/admin/accounts", json=body)
                                          for _ in range(16)])

    anonymous = asyncio.run(burst({}))
    assert {r.status_code for r in anonymous} == {201}
    ids = [r.json()["account_id"] for r in anonymous]
    assert len(set(ids)) == 16
    keys = [r.json()["api_key"] for r in anonymous]
    sym = server.front()
    first = httpx.Client(base_url=server.url, headers={"X-API-Key": keys[0]})
    placed = first.post("/v1/orders", json=order(sym, "buy", 1, "1.900"))
    assert placed.status_code == 200, placed.text
    mine = placed.json()["order_id"]
    other = httpx.Client(base_url=server.url, headers={"X-API-Key": keys[1]})
    assert other.get(f"/v1/orders/{mine}").status_code == 404

    named = asyncio.run(burst({"account_id": "race-alice"}))
    codes = sorted(r.status_code for r in named)
    assert codes == [201] + [409] * 15
    assert {r.json()["code"] for r in named if r.status_code == 409} == {"ACCOUNT_EXISTS"}
    with server.admin() as adm:
        listed = [a["account_id"] for a in adm.get("/v1/admin/accounts").json()["accounts"]]
    assert listed.count("race-alice") == 1 and all(listed.count(i) == 1 for i in ids)
