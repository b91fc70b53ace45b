"""Keys as exchanges issue them, through the real server (api/admin_keys.py, api/keys.py):
several per account, scopes, labels, expiry, listing without secrets, revocation at once
(REST and open WebSockets), durable across a restart; the OpenAPI security schemes."""

import asyncio
import json
import time

import httpx
import websockets

from api.app import Settings

ADMIN = "test-admin-key"


def keyed(server, key: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"X-API-Key": key})


def make_key(server, account_id, **body):
    with server.admin() as adm:
        r = adm.post(f"/v1/admin/accounts/{account_id}/keys", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_an_account_holds_several_keys_with_scopes_labels_and_expiry(server):
    acct, first = server.new_account()
    sym = server.front("GPU")
    reader = make_key(server, acct, scope="read", label="dashboard")
    expiry = time.time_ns() + 3600 * 10**9
    trader = make_key(server, acct, label="bot-2", expires_at=expiry)
    assert (reader["scope"], reader["label"], reader["status"], reader["signed"]) == ("read", "dashboard", "active", False)
    assert reader["api_secret"] is None and trader["expires_at"] == expiry
    with server.admin() as adm:
        listed = adm.get(f"/v1/admin/accounts/{acct}/keys").json()
    assert [k["key_id"] for k in listed][1:] == [reader["key_id"], trader["key_id"]]
    text = json.dumps(listed)
    assert reader["api_key"] not in text and trader["api_key"] not in text
    assert "api_key" not in text and "secret" not in text and "hash" not in text
    # all the keys act for the one account; the read key only reads
    placed = keyed(server, trader["api_key"]).post("/v1/orders", json={
        "symbol": sym, "side": "buy", "qty": 1, "price": "2.400"}).json()
    r = keyed(server, reader["api_key"])
    assert [o["order_id"] for o in r.get("/v1/orders").json()] == [placed["order_id"]]
    assert [o["order_id"] for o in first.get("/v1/orders").json()] == [placed["order_id"]]
    for refused in (r.post("/v1/orders", json={"symbol": sym, "side": "buy", "qty": 1, "price": "2.400"}),
                    r.delete(f"/v1/orders/{placed['order_id']}"), r.delete("/v1/orders"),
                    r.patch(f"/v1/orders/{placed['order_id']}", json={"qty": 2}),
                    r.post("/v1/withdrawals", json={"amount": "1.00"})):
        assert refused.status_code == 403 and refused.json()["code"] == "INSUFFICIENT_SCOPE"
    assert first.get(f"/v1/orders/{placed['order_id']}").json()["status"] == "new"


def test_admin_key_endpoints_refuse_what_they_cannot_do(server):
    acct, a = server.new_account()
    with server.admin() as adm:
        r = adm.post("/v1/admin/accounts/nobody/keys", json={})
        assert r.status_code == 404 and r.json()["code"] == "UNKNOWN_ACCOUNT"
        r = adm.delete(f"/v1/admin/accounts/{acct}/keys/key_nope")
        assert r.status_code == 404 and r.json()["code"] == "UNKNOWN_API_KEY"
        r = adm.post(f"/v1/admin/accounts/{acct}/keys", json={"expires_at": time.time_ns() - 1})
        assert r.status_code == 422
        r = adm.post(f"/v1/admin/accounts/{acct}/keys", json={"scope": "admin"})
        assert r.status_code == 422
        other, _ = server.new_account()
        theirs = make_key(server, other)
        r = adm.delete(f"/v1/admin/accounts/{acct}/keys/{theirs['key_id']}")
        assert r.status_code == 404  # a key is revoked through its own account
    r = a.post(f"/v1/admin/accounts/{acct}/keys", json={})
    assert r.status_code == 403 and r.json()["code"] == "ADMIN_ONLY"


def test_revocation_takes_effect_at_once_on_rest_and_open_websockets(server):
    acct, keep = server.new_account()
    gone = make_key(server, acct, label="leaked")
    sym = server.front("GPU")
    url = server.url.replace("http", "ws") + "/v1/ws"

    async def scenario():
        async with websockets.connect(url, additional_headers={"X-API-Key": gone["api_key"]}) as ws, \
                websockets.connect(url) as other:
            await other.send(json.dumps({"op": "auth", "id": 1, "api_key": gone["api_key"]}))
            assert json.loads(await asyncio.wait_for(other.recv(), 5))["type"] == "result"
            await ws.send(json.dumps({"op": "subscribe", "id": 1, "channels": ["orders"]}))
            await asyncio.wait_for(ws.recv(), 5)
            await asyncio.wait_for(ws.recv(), 5)
            with server.admin() as adm:
                r = adm.delete(f"/v1/admin/accounts/{acct}/keys/{gone['key_id']}")
            assert r.status_code == 200 and r.json()["status"] == "revoked"
            notices = []
            for sock in (ws, other):
                notices.append(json.loads(await asyncio.wait_for(sock.recv(), 5)))
                try:
                    await asyncio.wait_for(sock.recv(), 5)
                except websockets.ConnectionClosed as closed:
                    notices.append(closed.rcvd.code)
            return notices

    notices = asyncio.run(scenario())
    assert [n["error"]["code"] for n in notices[0::2]] == ["API_KEY_REVOKED"] * 2
    assert notices[1::2] == [1008, 1008]
    r = keyed(server, gone["api_key"]).get("/v1/orders")
    assert r.status_code == 401 and r.json()["code"] == "API_KEY_REVOKED"
    assert keep.post("/v1/orders", json={"symbol": sym, "side": "buy", "qty": 1,
                                          "price": "2.400"}).status_code == 200
    with server.admin() as adm:
        listed = {k["key_id"]: k for k in adm.get(f"/v1/admin/accounts/{acct}/keys").json()}
    assert listed[gone["key_id"]]["status"] == "revoked" and listed[gone["key_id"]]["revoked_at"]


def test_an_expired_key_is_refused_and_its_websocket_closed(server):
    acct, _ = server.new_account()
    soon = make_key(server, acct, expires_at=time.time_ns() + 1_500_000_000)
    client = keyed(server, soon["api_key"])
    assert client.get("/v1/orders").status_code == 200
    url = server.url.replace("http", "ws") + "/v1/ws"

    async def scenario():
        async with websockets.connect(url, additional_headers={"X-API-Key": soon["api_key"]}) as ws:
            notice = json.loads(await asyncio.wait_for(ws.recv(), 5))
            try:
                await asyncio.wait_for(ws.recv(), 5)
            except websockets.ConnectionClosed as closed:
                return notice, closed.rcvd.code

    notice, code = asyncio.run(scenario())
    assert notice["error"]["code"] == "API_KEY_EXPIRED" and code == 1008
    r = client.get("/v1/orders")
    assert r.status_code == 401 and r.json()["code"] == "API_KEY_EXPIRED"


def test_a_read_key_over_the_websocket_subscribes_but_does_not_trade(server):
    acct, _ = server.new_account()
    reader = make_key(server, acct, scope="read")
    url = server.url.replace("http", "ws") + "/v1/ws"

    async def scenario():
        async with websockets.connect(url, additional_headers={"X-API-Key": reader["api_key"]}) as ws:
            await ws.send(json.dumps({"op": "subscribe", "id": 1, "channels": ["orders"]}))
            await ws.send(json.dumps({"op": "order", "id": 2, "params": {
                "symbol": server.front("GPU"), "side": "buy", "qty": 1, "price": "2.400"}}))
            await ws.send(json.dumps({"op": "cancel_all", "id": 3}))
            got = {}
            while len(got) < 3:
                m = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if "id" in m:
                    got[m["id"]] = m
            return got

    got = asyncio.run(scenario())
    assert got[1]["type"] == "result"
    assert [got[i]["error"]["code"] for i in (2, 3)] == ["INSUFFICIENT_SCOPE"] * 2
    assert got[2]["error"]["status"] == 403


def test_keys_and_revocations_survive_a_restart(make_server, tmp_path):
    settings = Settings(admin_key=ADMIN, cycle_seconds=0, rate=0, journal=str(tmp_path / "j.db"))
    with make_server(settings) as s:
        acct, a = s.new_account()
        spare = make_key(s, acct, scope="read", label="spare")
        gone = make_key(s, acct)
        with s.admin() as adm:
            adm.delete(f"/v1/admin/accounts/{acct}/keys/{gone['key_id']}")
    with make_server(Settings(admin_key=ADMIN, cycle_seconds=0, rate=0, journal=settings.journal)) as s:
        assert httpx.get(s.url + "/v1/orders", headers={"X-API-Key": a.headers["X-API-Key"]}).status_code == 200
        assert httpx.get(s.url + "/v1/orders", headers={"X-API-Key": spare["api_key"]}).status_code == 200
        r = httpx.get(s.url + "/v1/orders", headers={"X-API-Key": gone["api_key"]})
        assert r.json()["code"] == "API_KEY_REVOKED"


def test_the_schema_declares_the_keys_as_security_schemes(server):
    schema = httpx.get(server.url + "/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["ApiKey"] == schemes["ApiKey"] | {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["AdminKey"]["name"] == "X-API-Key"
    ops = schema["paths"]
    assert ops["/v1/orders"]["post"]["security"] == [{"ApiKey": []}]
    assert ops["/v1/admin/accounts"]["post"]["security"] == [{"AdminKey": []}]
    assert "security" not in ops["/v1/contracts"]["get"]
    params = [p["name"].lower() for op in ops.values() for o in op.values() for p in o.get("parameters", [])]
    assert "x-api-key" not in params
