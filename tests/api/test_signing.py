"""Request signing (api/signing.py): the verifier alone, then a signed key through the real
server, by hand and with the client (REST and WebSocket)."""

import asyncio
import json
import time

import httpx
import pytest
import websockets

from api.client import AsyncClient, Client, SitexError
from api.signing import MAX_WINDOW_MS, Verifier, headers, sign
from clearing.reasons import Rejection

NOW_MS = 1_800_000_000_000
SECRET = "s3cret"


def refused(verifier, *args) -> str:
    with pytest.raises(Rejection) as e:
        verifier.check(SECRET, *args)
    return e.value.reason.name


def test_the_verifier_refuses_stale_forged_and_replayed_requests():
    clock = [NOW_MS]
    v = Verifier(clock_ms=lambda: clock[0])
    body = b'{"qty": 1}'
    sig = sign(SECRET, NOW_MS, "POST", "/v1/orders", "", body)
    v.check(SECRET, str(NOW_MS), sig, None, "POST", "/v1/orders", "", body)
    assert refused(v, str(NOW_MS), sig, None, "POST", "/v1/orders", "", body) == "REPLAYED_REQUEST"
    for method, path, query, sent in (("PATCH", "/v1/orders", "", body), ("POST", "/v1/fills", "", body),
                                      ("POST", "/v1/orders", "a=1", body),
                                      ("POST", "/v1/orders", "", b'{"qty": 2}')):
        assert refused(v, str(NOW_MS), sig, None, method, path, query, sent) == "INVALID_SIGNATURE"
    old = NOW_MS - 5_001
    assert refused(v, old, sign(SECRET, old, "GET", "/x", "", b""), None, "GET", "/x", "", b"") \
        == "STALE_REQUEST"
    ahead = NOW_MS + 5_001  # a clock too far ahead is as bad
    assert refused(v, ahead, sign(SECRET, ahead, "GET", "/x", "", b""), None, "GET", "/x", "", b"") \
        == "STALE_REQUEST"
    v.check(SECRET, old, sign(SECRET, old, "GET", "/x", "", b""), "6000", "GET", "/x", "", b"")
    for ts, window in ((None, None), ("soon", None), (NOW_MS, MAX_WINDOW_MS + 1), (NOW_MS, "0"), ("²", None)):
        assert refused(v, ts, "00", window, "GET", "/x", "", b"") == "INVALID_SIGNATURE"
    # past its window a signature is forgotten (a copy would be stale anyway)
    clock[0] = NOW_MS + 10_000
    v.check(SECRET, clock[0], sign(SECRET, clock[0], "GET", "/y", "", b""), None, "GET", "/y", "", b"")
    assert sig not in v._seen


def signed_key(server, account_id, **extra):
    with server.admin() as adm:
        r = adm.post(f"/v1/admin/accounts/{account_id}/keys", json={"signed": True, **extra})
        assert r.status_code == 201, r.text
        return r.json()


def test_a_signed_key_works_only_signed_and_once(server):
    acct, _ = server.new_account()
    made = signed_key(server, acct, label="signer")
    assert made["signed"] is True and made["api_secret"]
    key, secret = made["api_key"], made["api_secret"]
    sym = server.front("GPU")
    body = json.dumps({"symbol": sym, "side": "buy", "qty": 1, "price": "2.250"}).encode()
    plain = httpx.post(server.url + "/v1/orders", content=body,
                       headers={"X-API-Key": key, "content-type": "application/json"})
    assert plain.status_code == 401 and plain.json()["code"] == "INVALID_SIGNATURE"
    h = {"X-API-Key": key, "content-type": "application/json",
         **headers(secret, "POST", "/v1/orders", "", body)}
    first = httpx.post(server.url + "/v1/orders", content=body, headers=h)
    assert first.status_code == 200, first.text
    replay = httpx.post(server.url + "/v1/orders", content=body, headers=h)
    assert replay.status_code == 401 and replay.json()["code"] == "REPLAYED_REQUEST"
    stale = {"X-API-Key": key, "content-type": "application/json",
             **headers(secret, "POST", "/v1/orders", "", body, now_ms=int(time.time() * 1000) - 60_000)}
    r = httpx.post(server.url + "/v1/orders", content=body, headers=stale)
    assert r.status_code == 401 and r.json()["code"] == "STALE_REQUEST"
    tampered = dict(h, **headers(secret, "POST", "/v1/orders", "", body))
    r = httpx.post(server.url + "/v1/orders", content=body.replace(b'"qty": 1', b'"qty": 9'),
                   headers=tampered)
    assert r.status_code == 401 and r.json()["code"] == "INVALID_SIGNATURE"
    q = {"X-API-Key": key, **headers(secret, "GET", "/v1/orders", f"symbol={sym}")}
    listed = httpx.get(server.url + "/v1/orders", params={"symbol": sym}, headers=q)
    assert [o["order_id"] for o in listed.json()] == [first.json()["order_id"]]


def test_the_client_signs_rest_and_the_websocket(server):
    acct, _ = server.new_account()
    made = signed_key(server, acct)
    sym = server.front("GPU")
    with Client(server.url, made["api_key"], api_secret=made["api_secret"]) as c:
        placed = c.create_order(sym, "limit", "buy", 2, "2.260")
        assert c.fetch_order(placed["order_id"])["status"] == "new"
        assert c.cancel_all_orders(sym) == {"cancelled": [placed["order_id"]]}
    with Client(server.url, made["api_key"]) as unsigned, pytest.raises(SitexError) as e:
        unsigned.fetch_open_orders()
    assert e.value.status == 401 and e.value.code == "INVALID_SIGNATURE"

    async def socket():
        async with AsyncClient(server.url, made["api_key"], api_secret=made["api_secret"]) as a:
            return await a.create_order_ws(sym, "limit", "buy", 1, "2.261")

    assert asyncio.run(socket())["status"] == "new"

    async def unsigned_socket():  # the handshake's key is refused: the session stays anonymous
        url = server.url.replace("http", "ws") + "/v1/ws"
        async with websockets.connect(url, additional_headers={"X-API-Key": made["api_key"]}) as ws:
            notice = json.loads(await asyncio.wait_for(ws.recv(), 5))
            await ws.send(json.dumps({"op": "order", "id": 1, "params": {
                "symbol": sym, "side": "buy", "qty": 1, "price": "2.262"}}))
            return notice, json.loads(await asyncio.wait_for(ws.recv(), 5))

    notice, answer = asyncio.run(unsigned_socket())
    assert notice["error"]["code"] == "INVALID_SIGNATURE" and answer["error"]["status"] == 401
