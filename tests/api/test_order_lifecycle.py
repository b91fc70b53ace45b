"""The venues' order lifecycle through the real server: an order the book cannot take at once
(a fill-or-kill that cannot fill, a market order meeting no liquidity) is accepted, then
expired, with its reason code, over REST, the WebSocket and the client, and after a restart
that replays the journal."""

import asyncio
import json

import websockets

from api.app import Settings
from api.client import AsyncClient, Client

ADMIN = "test-admin-key"


def order(symbol, side, qty, price=None, **extra):
    body = {"symbol": symbol, "side": side, "qty": qty, **extra}
    if price is not None:
        body["price"] = price
    return body


def test_unfillable_orders_are_expired_everywhere_and_after_a_replay(make_server, tmp_path):
    journal = str(tmp_path / "journal.db")
    settings = Settings(admin_key=ADMIN, cycle_seconds=0, rate=0, journal=journal)
    with make_server(settings) as s:
        sym = s.front()
        _, a = s.new_account()
        _, maker = s.new_account()
        assert maker.post("/v1/orders", json=order(sym, "sell", 2, "2.050")).status_code == 200
        # REST: a FOK for more than the book holds, a market order with nothing within its
        # protection price (the only ask, 2.050, is inside the band: sell side is empty)
        r = a.post("/v1/orders", json=order(sym, "buy", 3, "2.050", time_in_force="FOK",
                                            client_order_id="fok-1"))
        assert r.status_code == 200, r.text
        fok = r.json()
        assert (fok["status"], fok["reason"], fok["filled_qty"], fok["fills"]) == (
            "expired", "FOK_NOT_FILLABLE", 0, [])
        assert fok["order"]["status"] == "expired" and fok["order"]["reason"] == "FOK_NOT_FILLABLE"
        r = a.post("/v1/orders", json=order(sym, "sell", 1, type="market"))
        assert r.status_code == 200, r.text
        market = r.json()
        assert (market["status"], market["reason"]) == ("expired", "NO_LIQUIDITY")
        assert a.get("/v1/orders").json() == []  # nothing open, nothing in the book
        book = a.get(f"/v1/book/{sym}").json()
        assert book["bids"] == [] and book["asks"] == [["2.050", 2]]
        # a rule broken is still a rejection
        r = a.post("/v1/orders", json=order(sym, "buy", 1, "2.050", post_only=True))
        assert r.status_code == 409 and r.json()["code"] == "WOULD_CROSS_POST_ONLY"
        # the client
        key = a.headers["X-API-Key"]
        with Client(s.url, key) as c:
            got = c.create_order(sym, "limit", "buy", 5, "2.050", {"time_in_force": "FOK"})
        assert (got["status"], got["reason"]) == ("expired", "FOK_NOT_FILLABLE")

        # the WebSocket: the answer and the orders channel
        async def socket():
            async with AsyncClient(s.url, key) as ac:
                await ac.subscribe("orders")
                placed = await ac.create_order_ws(sym, "market", "sell", 1)
                pushed = [await ac.next_message("orders") for _ in range(3)]  # snapshot first
                return placed, pushed

        placed, pushed = asyncio.run(socket())
        assert (placed["status"], placed["reason"]) == ("expired", "NO_LIQUIDITY")
        assert [m["type"] for m in pushed] == ["snapshot", "order_accepted", "order_expired"]
        assert pushed[2]["data"]["reason"] == "NO_LIQUIDITY"
        assert pushed[2]["data"]["order_id"] == placed["order_id"]
        before = {oid: a.get(f"/v1/orders/{oid}").json()
                  for oid in (fok["order_id"], market["order_id"], got["order_id"], placed["order_id"])}
        digest = s.service.venue.digest(with_clock=False)

    with make_server(Settings(admin_key=ADMIN, cycle_seconds=0, rate=0, journal=journal)) as again:
        assert again.service.venue.digest(with_clock=False) == digest  # (start ticks the clock)
        for oid, view in before.items():
            assert a.get(f"{again.url}/v1/orders/{oid}").json() == view
        assert before[fok["order_id"]]["reason"] == "FOK_NOT_FILLABLE"
        # the client order id of the expired order stays used: a retry answers it
        r = a.post(f"{again.url}/v1/orders", json=order(sym, "buy", 3, "2.050", time_in_force="FOK",
                                                        client_order_id="fok-1"))
        assert r.json()["order_id"] == fok["order_id"] and r.json()["status"] == "expired"


def test_the_orders_channel_carries_the_reason_as_json(server):
    """The raw socket message (no client in between)."""
    sym = server.front("GPU")
    _, a = server.new_account()
    url = server.url.replace("http", "ws") + "/v1/ws"

    async def scenario():
        async with websockets.connect(url, additional_headers={"X-API-Key": a.headers["X-API-Key"]}) as ws:
            await ws.send(json.dumps({"op": "subscribe", "id": 1, "channels": ["orders"]}))
            await ws.send(json.dumps({"op": "order", "id": 2, "params": order(
                sym, "buy", 1, "2.400", time_in_force="FOK")}))
            seen = []
            while not (any(m.get("type") == "order_expired" for m in seen)
                       and any(m.get("id") == 2 for m in seen)):
                seen.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
            return seen

    seen = asyncio.run(scenario())
    answer = next(m for m in seen if m.get("id") == 2)
    expired = next(m for m in seen if m.get("type") == "order_expired")
    assert answer["data"]["status"] == "expired" and answer["data"]["reason"] == "FOK_NOT_FILLABLE"
    assert expired["data"]["reason"] == "FOK_NOT_FILLABLE" and expired["data"]["remaining"] == 1
