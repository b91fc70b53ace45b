"""What a request may carry (api/limits.py), through the real server: body size, JSON depth,
UTF-8, WebSocket frames; and error details in the wire's units."""

import asyncio
import json

import pytest
import websockets
from hypothesis import given
from hypothesis import strategies as st

from api.app import Settings
from api.limits import too_deep
from clearing.factory import default_clearinghouse

ADMIN = "test-admin-key"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def depth_of(value) -> int:
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    return 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text("[]{}\"\\ab,:"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text("[]{}\"\\ab"), inner, max_size=3),
    max_leaves=40)


@given(json_values, st.integers(1, 6))
def test_too_deep_agrees_with_the_parsed_depth(value, limit):
    assert too_deep(json.dumps(value), limit) == (depth_of(value) > limit)


def test_too_deep_counts_brackets_outside_strings_only():
    assert not too_deep(json.dumps({"a": "[[[[[[[[[[" * 10}), 2)
    assert too_deep(nested(33), 32) and not too_deep(nested(32), 32)
    assert too_deep(nested(100_000), 32)


@pytest.fixture(scope="module")
def small(make_server):
    """A server with a 4 KiB body limit and the default depth limit."""
    with make_server(Settings(admin_key=ADMIN, cycle_seconds=0, rate=0, max_body=4096)) as s:
        yield s


def test_a_body_over_the_limit_is_413_before_it_is_read(server):
    _, a = server.new_account()
    big = b'{"symbol": "' + b"x" * (20 << 20) + b'"}'  # 20 MB
    r = a.post("/v1/orders", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "PAYLOAD_TOO_LARGE" and "1048576" in r.json()["detail"]
    assert a.get("/v1/orders").status_code == 200  # the server goes on


def test_the_body_limit_is_configurable_and_holds_without_a_length(small):
    _, a = small.new_account()
    body = json.dumps({"symbol": small.front(), "side": "buy", "qty": 1, "price": "1.900",
                       "client_order_id": "x" * 5000}).encode()
    r = a.post("/v1/orders", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "PAYLOAD_TOO_LARGE"

    def chunks():  # no Content-Length: chunked transfer, counted as it arrives
        for i in range(0, len(body), 1000):
            yield body[i:i + 1000]

    r = a.post("/v1/orders", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "PAYLOAD_TOO_LARGE"
    ok = {"symbol": small.front(), "side": "buy", "qty": 1, "price": "1.900"}
    assert a.post("/v1/orders", json=ok).status_code == 200
    assert len(a.get("/v1/orders").json()) == 1


def test_invalid_utf8_is_422_with_its_reason(server):
    _, a = server.new_account()
    body = b'{"symbol": "\xff\xfe", "side": "buy", "qty": 1, "price": "2.000"}'
    r = a.post("/v1/orders", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "INVALID_ENCODING" and "0xff" in r.json()["detail"]


@pytest.mark.parametrize("depth", [33, 5_000, 100_000])
def test_json_nested_too_deep_is_422_with_its_reason(server, depth):
    _, a = server.new_account()
    r = a.post("/v1/orders", content=nested(depth), headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "JSON_TOO_DEEP" and "32" in r.json()["detail"]
    with server.admin() as adm:  # the admin endpoints are behind the same limit
        r = adm.post("/v1/admin/deposits", content=nested(depth),
                     headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == "JSON_TOO_DEEP"


def test_websocket_binary_frames_and_deep_json_keep_the_connection(server):
    url = server.url.replace("http", "ws") + "/v1/ws"

    async def scenario():
        async with websockets.connect(url) as ws:
            replies = []
            for frame in (b'{"op": "ping", "id": 1}', nested(5_000), json.dumps({"op": "ping", "id": 2})):
                await ws.send(frame)
                replies.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
            return replies

    binary, deep, pong = asyncio.run(scenario())
    assert binary["type"] == "error" and binary["error"]["code"] == "INVALID_COMMAND"
    assert "binary" in binary["error"]["detail"] and binary["error"]["status"] == 400
    assert deep["type"] == "error" and deep["error"]["code"] == "JSON_TOO_DEEP"
    assert deep["error"]["status"] == 422
    assert pong == {"id": 2, "type": "result", "op": "ping", "data": {"pong": None}}


def test_error_details_speak_decimal_usd(make_server):
    with make_server(Settings(admin_key=ADMIN, cycle_seconds=0, rate=0,
                              gate=default_clearinghouse())) as s:
        acct, a = s.new_account()
        with s.admin() as adm:
            assert adm.post("/v1/admin/deposits", json={"account_id": acct, "amount": "1000.00"}).status_code == 200
        sym = s.front()
        r = a.post("/v1/orders", json={"symbol": sym, "side": "buy", "qty": 1, "price": "3.000"})
        assert r.json()["code"] == "OUTSIDE_DAILY_LIMIT"
        assert r.json()["detail"] == "price 3.000 is outside the daily limits [1.800, 2.200] (USD)"
        r = a.post("/v1/orders", json={"symbol": sym, "side": "buy", "qty": 1, "price": "2.199"})
        assert r.json()["code"] == "OUTSIDE_PRICE_BAND"
        assert r.json()["detail"] == "price 2.199 is outside the band [1.900, 2.100] around 2.000 (USD)"
        r = a.post("/v1/withdrawals", json={"amount": "1000.01"})
        assert r.json()["code"] == "INSUFFICIENT_FUNDS"
        assert r.json()["detail"].startswith("1000.00 USD can be withdrawn")
        r = a.post("/v1/orders", json={"symbol": sym, "side": "buy", "qty": 1000, "price": "2.000"})
        assert r.json()["code"] == "INSUFFICIENT_MARGIN"
        assert "cents" not in r.json()["detail"] and "equity 1000.00 USD" in r.json()["detail"]
