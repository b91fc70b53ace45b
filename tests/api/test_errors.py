"""The API's own answers (api/errors.py), through the real server: each code of the access
range with its status and problem `type`, the Allow header of a 405, and the more specific
codes clients already get left as they were."""

import asyncio
import json
import threading

import httpx
import pytest
import websockets
from fastapi import HTTPException

from api.app import Settings
from clearing.reasons import Reason
from exchange.permissive_gate import PermissiveGate

ADMIN = "test-admin-key"  # the key tests/api/conftest.py starts its servers with
MAX_BODY = 512


def assert_problem(r: httpx.Response, status: int, reason: Reason) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert (body["status"], body["code"], body["type"]) == (status, reason.name, reason.problem_type)
    assert body["title"] == reason.sentence
    return body


@pytest.fixture(scope="module")
def live(make_server):
    """A server with a small body limit and, for the one code no route of the API answers
    with today (a generic 403), a route that raises the framework's own HTTPException(403)."""
    server = make_server(Settings(admin_key=ADMIN, cycle_seconds=0, rate=0, max_body=MAX_BODY))

    async def forbidden():
        raise HTTPException(403, "not for you")

    server.app.add_api_route("/v1/test-forbidden", forbidden, methods=["GET"])
    with server:
        yield server


def test_no_key_is_unauthenticated_a_wrong_key_stays_invalid(live):
    body = assert_problem(httpx.get(live.url + "/v1/orders"), 401, Reason.UNAUTHENTICATED)
    assert "X-API-Key" in body["detail"]
    assert_problem(httpx.get(live.url + "/v1/orders", headers={"X-API-Key": ""}), 401,
                   Reason.UNAUTHENTICATED)
    assert_problem(httpx.get(live.url + "/v1/admin/accounts"), 401, Reason.UNAUTHENTICATED)
    assert_problem(httpx.get(live.url + "/v1/orders", headers={"X-API-Key": "sk_nope"}), 401,
                   Reason.INVALID_API_KEY)
    _, user = live.new_account()
    assert_problem(user.get("/v1/admin/accounts"), 403, Reason.ADMIN_ONLY)  # not the admin's


def test_a_websocket_without_a_key_is_unauthenticated(live):
    url = live.url.replace("http", "ws") + "/v1/ws"

    async def scenario():
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"op": "subscribe", "id": 1, "channels": ["orders"]}))
            await ws.send(json.dumps({"op": "cancel_all", "id": 2}))
            await ws.send(json.dumps({"op": "order", "id": 3, "params": {}}))
            answers = {}
            while len(answers) < 3:
                m = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if m.get("id") in (1, 2, 3):
                    answers[m["id"]] = m
            return answers

    for answer in asyncio.run(scenario()).values():
        error = answer["error"]
        assert answer["type"] == "error"
        assert (error["status"], error["code"], error["type"]) == (
            401, "UNAUTHENTICATED", Reason.UNAUTHENTICATED.problem_type)


def test_a_framework_403_is_forbidden(live):
    body = assert_problem(httpx.get(live.url + "/v1/test-forbidden"), 403, Reason.FORBIDDEN)
    assert body["detail"] == "not for you"


def test_no_route_is_not_found_a_missing_resource_keeps_its_code(live):
    assert_problem(httpx.get(live.url + "/v1/nothing-here"), 404, Reason.NOT_FOUND)
    assert_problem(httpx.get(live.url + "/static/no-such-file.js"), 404, Reason.NOT_FOUND)
    assert_problem(httpx.get(live.url + "/v1/book/NOPE"), 404, Reason.UNKNOWN_SYMBOL)
    _, user = live.new_account()
    assert_problem(user.get("/v1/orders/999999"), 404, Reason.UNKNOWN_ORDER)
    with live.admin() as adm:
        assert_problem(adm.get("/v1/admin/accounts/nobody/keys"), 404, Reason.UNKNOWN_ACCOUNT)


def test_a_method_the_path_does_not_take_is_405_with_every_method_it_takes(live):
    r = httpx.put(live.url + "/v1/orders")
    assert_problem(r, 405, Reason.METHOD_NOT_ALLOWED)
    assert r.headers["allow"] == "GET, POST, DELETE"  # three routes: starlette named only one
    r = httpx.post(live.url + "/v1/admin/accounts/acct-1/keys/k-1", headers={"X-API-Key": ADMIN})
    assert_problem(r, 405, Reason.METHOD_NOT_ALLOWED)
    assert r.headers["allow"] == "DELETE"
    r = httpx.post(live.url + "/static/dashboard.js")  # the mounted files answer their own
    assert_problem(r, 405, Reason.METHOD_NOT_ALLOWED)
    assert r.headers["allow"] == "GET, HEAD"


def test_allow_lists_exactly_the_methods_the_schema_documents(live):
    """Every documented path: a method it does not take is 405, and Allow names the documented
    methods, each of which the server then takes (none of them answers 405)."""
    paths = httpx.get(live.url + "/openapi.json").json()["paths"]
    headers = {"X-API-Key": ADMIN}
    for template, operations in paths.items():
        path = template.format_map({name: "1" for name in ("symbol", "name", "order_id",
                                                            "account_id", "key_id")})
        documented = {m.upper() for m in operations}
        missing = next(m for m in ("PUT", "OPTIONS", "PATCH", "POST") if m not in documented)
        r = httpx.request(missing, live.url + path, headers=headers)
        assert_problem(r, 405, Reason.METHOD_NOT_ALLOWED)
        allowed = set(r.headers["allow"].split(", "))
        assert allowed - {"HEAD"} == documented, template
        for method in documented - {"POST", "PATCH", "DELETE"}:  # the reads: no state changed
            assert httpx.request(method, live.url + path, headers=headers).status_code != 405


def test_a_body_over_the_limit_is_payload_too_large(live):
    r = httpx.post(live.url + "/v1/admin/accounts", headers={"X-API-Key": ADMIN},
                   content=b'{"account_id": "' + b"x" * MAX_BODY + b'"}')
    assert_problem(r, 413, Reason.PAYLOAD_TOO_LARGE)


@pytest.mark.parametrize("path, body", [
    ("/v1/admin/index-quotes", {"name": "SIT", "value": "2.125"}),
    ("/v1/admin/provider-quotes", {"name": "SIT", "provider": "p1", "tier": "frontier",
                                   "input_price": "2.1", "volume": 10}),
    ("/v1/admin/index/publish", None),
])
def test_index_inputs_on_a_fed_server_are_the_wrong_index_source(live, path, body):
    """A server whose indices come from the provider feed refuses index inputs with the API's
    own code (it used to be 400 INVALID_COMMAND, as if the body were malformed) and publishes
    nothing. The WebSocket has no op that reaches these."""
    before = httpx.get(live.url + "/v1/index/SIT").json()
    with live.admin() as adm:
        r = adm.post(path, json=body)
    problem = assert_problem(r, 409, Reason.WRONG_INDEX_SOURCE)
    assert "--index-source admin" in problem["detail"]
    assert httpx.get(live.url + "/v1/index/SIT").json() == before


def test_what_is_rebuilt_from_the_journal_without_one_is_no_journal(live):
    """The audit trail and a snapshot on a server started without --journal: the API's own
    code (they used to be 409 and 400 INVALID_COMMAND, a venue code for a malformed command)."""
    with live.admin() as adm:
        audit = assert_problem(adm.get("/v1/admin/reports/audit"), 409, Reason.NO_JOURNAL)
        snapshot = assert_problem(adm.post("/v1/admin/snapshot"), 409, Reason.NO_JOURNAL)
    assert "--journal" in audit["detail"] and "--journal" in snapshot["detail"]


class LockedGate(PermissiveGate):
    """A gate holding a lock (as one that talks to an outside risk system may): no pickle."""

    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()


def test_a_gate_that_cannot_be_copied_is_gate_not_copyable(make_server, tmp_path):
    """The audit trail replays the journal from a copy of the gate, a snapshot pickles it: on a
    server whose gate cannot be pickled both are 409 GATE_NOT_COPYABLE (the audit used to be
    INVALID_COMMAND; a snapshot, 400 INVALID_COMMAND, and after the first one "snapshots need a
    journal (--journal)" on a server that has one). Orders go on."""
    settings = Settings(admin_key=ADMIN, cycle_seconds=0, rate=0, gate=LockedGate(),
                        journal=str(tmp_path / "journal.db"))
    with make_server(settings) as s, s.admin() as adm:
        audit = assert_problem(adm.get("/v1/admin/reports/audit"), 409, Reason.GATE_NOT_COPYABLE)
        assert "--gate" in audit["detail"]
        for _ in range(2):  # the first turns snapshots off, the second finds them off
            snapshot = assert_problem(adm.post("/v1/admin/snapshot"), 409, Reason.GATE_NOT_COPYABLE)
            assert "--journal" not in snapshot["detail"] and "pickled" in snapshot["detail"]
        _, user = s.new_account()
        r = user.post("/v1/orders", json={"symbol": s.front(), "side": "buy", "qty": 1,
                                           "price": "1.900"})
        assert r.status_code == 200, r.text


def ws_answers(url: str, messages: list[dict]) -> dict:
    """Send `messages` on one WebSocket; their answers by id."""
    async def scenario():
        async with websockets.connect(url) as ws:
            for m in messages:
                await ws.send(json.dumps(m))
            answers = {}
            while len(answers) < len(messages):
                m = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if m.get("id") is not None:
                    answers[m["id"]] = m
            return answers

    return asyncio.run(scenario())


def test_a_channel_the_websocket_does_not_have_is_unknown_channel(live):
    """subscribe and unsubscribe name channels: one the server does not have is 404
    UNKNOWN_CHANNEL, the API's own code (subscribe used to answer 400 INVALID_COMMAND;
    unsubscribe answered a result, so a typo left the subscription on), and the whole request
    is refused: nothing is subscribed or unsubscribed. A contract not listed stays
    UNKNOWN_SYMBOL, a malformed `channels` INVALID_COMMAND."""
    url = live.url.replace("http", "ws") + "/v1/ws"
    sym = live.front()
    answers = ws_answers(url, [
        {"op": "subscribe", "id": 1, "channels": ["index.SIT", "nope"]},
        {"op": "subscribe", "id": 2, "channels": ["index.BTC"]},
        {"op": "subscribe", "id": 3, "channels": [f"ticker.{sym}"]},
        {"op": "unsubscribe", "id": 4, "channels": [f"ticker.{sym}", f"tickers.{sym}"]},
        {"op": "unsubscribe", "id": 5, "channels": ["book.NOPE"]},
        {"op": "unsubscribe", "id": 6, "channels": "index.SIT"},
        {"op": "subscribe", "id": 7, "channels": ["index.GPU"]},  # one session's channels, to read
    ])
    for i in (1, 2, 4):
        error = answers[i]["error"]
        assert (error["status"], error["code"], error["type"]) == (
            404, "UNKNOWN_CHANNEL", Reason.UNKNOWN_CHANNEL.problem_type), answers[i]
        assert error["title"] == Reason.UNKNOWN_CHANNEL.sentence
    assert "'nope'" in answers[1]["error"]["detail"] and "index.SIT" in answers[1]["error"]["detail"]
    assert f"'tickers.{sym}'" in answers[4]["error"]["detail"]
    assert answers[3]["type"] == "result"
    assert answers[5]["error"]["code"] == "UNKNOWN_SYMBOL"
    assert answers[6]["error"]["code"] == "INVALID_COMMAND"
    assert answers[7]["type"] == "result"


def test_a_refused_unsubscribe_leaves_the_subscriptions_on(live):
    """Read from the server's hub: after an unsubscribe refused for one unknown channel, the
    session is still on the channel it named rightly; a good unsubscribe takes it off."""
    url = live.url.replace("http", "ws") + "/v1/ws"
    sym = live.front()
    hub = live.service.hub

    async def scenario():
        async with websockets.connect(url) as ws:
            async def call(m):
                await ws.send(json.dumps(m))
                while True:
                    answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
                    if answer.get("id") == m["id"]:
                        return answer

            await call({"op": "subscribe", "id": 1, "channels": [f"trades.{sym}"]})
            on = len(hub.by_channel.get(f"trades.{sym}", ()))
            refused = await call({"op": "unsubscribe", "id": 2, "channels": [f"trades.{sym}", "trade"]})
            after_refusal = len(hub.by_channel.get(f"trades.{sym}", ()))
            await call({"op": "unsubscribe", "id": 3, "channels": [f"trades.{sym}"]})
            return on, refused, after_refusal, len(hub.by_channel.get(f"trades.{sym}", ()))

    on, refused, after_refusal, after_unsubscribe = asyncio.run(scenario())
    assert refused["error"]["code"] == "UNKNOWN_CHANNEL"
    assert after_refusal == on >= 1 and after_unsubscribe == on - 1


def test_too_many_requests_are_rate_limited(make_server):
    with make_server(Settings(admin_key=ADMIN, cycle_seconds=0, rate=0.1, burst=2)) as s:
        answers = [httpx.get(s.url + "/v1/contracts") for _ in range(3)]  # the start-up check was one
        r = answers[-1]
        assert_problem(r, 429, Reason.RATE_LIMITED)
        assert int(r.headers["retry-after"]) >= 1


def test_the_api_codes_are_the_access_range_each_with_its_status():
    from api.errors import http_status

    codes = (Reason.UNAUTHENTICATED, Reason.FORBIDDEN, Reason.NOT_FOUND,
             Reason.METHOD_NOT_ALLOWED, Reason.RATE_LIMITED, Reason.PAYLOAD_TOO_LARGE,
             Reason.SERVICE_UNAVAILABLE, Reason.WRONG_INDEX_SOURCE, Reason.NO_JOURNAL,
             Reason.GATE_NOT_COPYABLE, Reason.UNKNOWN_CHANNEL)
    assert {r.subsystem for r in codes} == {"access"}
    assert [http_status(r) for r in codes] == [401, 403, 404, 405, 429, 413, 503, 409, 409, 409, 404]
    assert len({r.problem_type for r in Reason}) == len(Reason)  # one type per code


def test_a_decimal_field_that_is_not_a_number_says_what_it_expects(live):
    """It said "String should match pattern '^-?[0-9]{1,15}(\\.[0-9]{1,12})?$'", which the
    dashboard put in front of a person who had typed a price; other fields keep pydantic's."""
    admin = {"X-API-Key": ADMIN}
    key = httpx.post(live.url + "/v1/admin/accounts", json={}, headers=admin).json()["api_key"]
    symbol = httpx.get(live.url + "/v1/contracts").json()[0]["symbol"]
    r = httpx.post(live.url + "/v1/orders", headers={"X-API-Key": key},
                   json={"symbol": symbol, "side": "buy", "type": "limit", "qty": 1, "price": "2,01"})
    body = assert_problem(r, 422, Reason.INVALID_COMMAND)
    assert body["detail"] == "price: expected a decimal number such as 2.010, got '2,01'"
    r = httpx.post(live.url + "/v1/admin/deposits", headers=admin,
                   json={"account_id": "x", "amount": "ten"})
    assert assert_problem(r, 422, Reason.INVALID_COMMAND)["detail"] == \
        "amount: expected a decimal number such as 2.010, got 'ten'"
    r = httpx.post(live.url + "/v1/admin/accounts", headers=admin, json={"account_id": "a b"})
    assert "should match pattern" in assert_problem(r, 422, Reason.INVALID_COMMAND)["detail"]
