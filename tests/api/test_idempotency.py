"""Idempotency as clients expect it, through the real server: a retried client_order_id answers
the order as it is now and a reused one with other parameters is 409; an Idempotency-Key
replays the first answer of any POST (api/idempotency.py)."""

import asyncio
import json

import httpx
import websockets

from api.app import Settings

ADMIN = "test-admin-key"


def order(symbol, side, qty, price, **extra):
    return {"symbol": symbol, "side": side, "qty": qty, "price": price, **extra}


def test_a_retried_client_order_id_answers_the_order_as_it_is_now(server):
    sym = server.front("GPU")
    _, a = server.new_account()
    _, b = server.new_account()
    body = order(sym, "sell", 5, "2.600", client_order_id="now-1")
    first = a.post("/v1/orders", json=body).json()
    assert (first["status"], first["remaining_qty"], first["fills"]) == ("new", 5, [])
    taken = b.post("/v1/orders", json=order(sym, "buy", 2, "2.600")).json()
    assert taken["filled_qty"] == 2
    again = a.post("/v1/orders", json=body)
    assert again.status_code == 200
    now = again.json()
    assert now["order_id"] == first["order_id"]
    assert (now["status"], now["filled_qty"], now["remaining_qty"]) == ("partially_filled", 2, 3)
    assert [(f["qty"], f["role"]) for f in now["fills"]] == [(2, "maker")]
    assert len(a.get("/v1/orders").json()) == 1


def test_a_client_order_id_reused_with_other_parameters_is_409(server):
    sym = server.front("GPU")
    _, a = server.new_account()
    body = order(sym, "buy", 1, "2.300", client_order_id="mine")
    first = a.post("/v1/orders", json=body).json()
    for change in ({"qty": 2}, {"price": "2.301"}, {"side": "sell", "price": "2.900"},
                   {"time_in_force": "IOC"}, {"post_only": True}):
        r = a.post("/v1/orders", json=body | change)
        assert r.status_code == 409, (change, r.text)
        p = r.json()
        assert p["code"] == "DUPLICATE_CLIENT_ORDER_ID" and str(first["order_id"]) in p["detail"]
    assert [o["order_id"] for o in a.get("/v1/orders").json()] == [first["order_id"]]
    # the same over the socket
    url = server.url.replace("http", "ws") + "/v1/ws"

    async def socket():
        async with websockets.connect(url, additional_headers={"X-API-Key": a.headers["X-API-Key"]}) as ws:
            await ws.send(json.dumps({"op": "order", "id": 1, "params": body | {"qty": 3}}))
            await ws.send(json.dumps({"op": "order", "id": 2, "params": body}))
            got = {}
            while len(got) < 2:
                m = json.loads(await asyncio.wait_for(ws.recv(), 5))
                got[m.get("id")] = m
            return got

    got = asyncio.run(socket())
    assert got[1]["type"] == "error" and got[1]["error"]["code"] == "DUPLICATE_CLIENT_ORDER_ID"
    assert got[1]["error"]["status"] == 409
    assert got[2]["type"] == "result" and got[2]["data"]["order_id"] == first["order_id"]


def test_concurrent_reuses_make_one_order_and_refuse_the_different_ones(server):
    sym = server.front("GPU")
    _, a = server.new_account()
    key = a.headers["X-API-Key"]
    same = order(sym, "buy", 1, "2.310", client_order_id="race")

    async def burst():
        async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": key}) as c:
            bodies = [same if i % 2 else same | {"qty": 2} for i in range(10)]
            return await asyncio.gather(*[c.post("/v1/orders", json=b) for b in bodies]), bodies

    answers, bodies = asyncio.run(burst())
    oids = {r.json()["order_id"] for r in answers if r.status_code == 200}
    assert len(oids) == 1
    winner = next(r.json() for r in answers if r.status_code == 200)
    for r, b in zip(answers, bodies):  # the answers agree with whichever came first
        assert r.status_code == (200 if b["qty"] == winner["order"]["qty"] else 409), r.text
    assert len(a.get("/v1/orders").json()) == 1


def test_an_idempotency_key_replays_the_first_answer(server):
    sym = server.front("GPU")
    _, a = server.new_account()
    body = order(sym, "buy", 1, "2.320")
    first = a.post("/v1/orders", json=body, headers={"Idempotency-Key": "k-1"})
    again = a.post("/v1/orders", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert len(a.get("/v1/orders").json()) == 1
    # another body under the same key: 422; another key: a second order
    r = a.post("/v1/orders", json=body | {"qty": 2}, headers={"Idempotency-Key": "k-1"})
    assert r.status_code == 422 and r.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert a.post("/v1/orders", json=body, headers={"Idempotency-Key": "k-2"}).status_code == 200
    assert len(a.get("/v1/orders").json()) == 2
    # keys are per caller: another account's k-1 is its own
    _, b = server.new_account()
    assert b.post("/v1/orders", json=body, headers={"Idempotency-Key": "k-1"}).json()["order_id"] \
        != first.json()["order_id"]
    # a refusal is an answer too: replayed, not retried
    bad = order(sym, "buy", 1, "2.3205")
    r1 = a.post("/v1/orders", json=bad, headers={"Idempotency-Key": "k-3"})
    r2 = a.post("/v1/orders", json=bad, headers={"Idempotency-Key": "k-3"})
    assert r1.status_code == r2.status_code == 400 and r2.json() == r1.json()
    assert r2.headers["content-type"].startswith("application/problem+json")
    assert a.post("/v1/orders", json=body, headers={"Idempotency-Key": ""}).status_code in (400, 422)


def test_every_post_takes_an_idempotency_key(server):
    """An admin POST replayed: one account, the same key shown again."""
    with server.admin() as adm:
        first = adm.post("/v1/admin/accounts", json={}, headers={"Idempotency-Key": "acct-x"})
        again = adm.post("/v1/admin/accounts", json={}, headers={"Idempotency-Key": "acct-x"})
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        listed = [x["account_id"] for x in adm.get("/v1/admin/accounts").json()["accounts"]]
    assert listed.count(first.json()["account_id"]) == 1
    schema = httpx.get(server.url + "/openapi.json").json()
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            names = [p["name"] for p in op.get("parameters", [])]
            assert ("Idempotency-Key" in names) == (method in ("post", "patch")), (method, path)


def test_concurrent_requests_with_one_key_make_one_order(server):
    sym = server.front("GPU")
    _, a = server.new_account()
    key = a.headers["X-API-Key"]

    async def burst():
        async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": key}) as c:
            return await asyncio.gather(*[c.post("/v1/orders", json=order(sym, "buy", 1, "2.330"),
                                                 headers={"Idempotency-Key": "same"})
                                          for _ in range(8)])

    answers = asyncio.run(burst())
    assert {r.status_code for r in answers} <= {200, 409} and 200 in {r.status_code for r in answers}
    assert {r.json()["code"] for r in answers if r.status_code == 409} <= {"IDEMPOTENCY_KEY_IN_USE"}
    assert len({r.json()["order_id"] for r in answers if r.status_code == 200}) == 1
    assert len(a.get("/v1/orders").json()) == 1


def test_idempotency_answers_are_forgotten_after_the_retention_window(make_server):
    with make_server(Settings(admin_key=ADMIN, cycle_seconds=0, rate=0,
                              idempotency_seconds=0.2)) as s:
        _, a = s.new_account()
        body = order(s.front("GPU"), "buy", 1, "2.340")
        first = a.post("/v1/orders", json=body, headers={"Idempotency-Key": "old"}).json()
        asyncio.run(asyncio.sleep(0.3))
        later = a.post("/v1/orders", json=body, headers={"Idempotency-Key": "old"}).json()
        assert later["order_id"] != first["order_id"]
