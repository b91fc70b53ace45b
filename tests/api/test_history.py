"""Memory that does not grow forever, through the real server: closed orders and fills older
than the retention window leave memory for the read model (api/history.py) and stay readable,
by page, by id, by client order id, across restarts (from a snapshot, and from the journal
alone when the read model is lost)."""

import os
import time

import httpx

from api.app import Settings

ADMIN = "test-admin-key"


def order(symbol, side, qty, price, **extra):
    return {"symbol": symbol, "side": side, "qty": qty, "price": price, **extra}


def settings(journal):
    return Settings(admin_key=ADMIN, cycle_seconds=0, rate=0, journal=journal, retention_seconds=0.3)


def views(a, url):
    """What the account can read of its history, every way it can."""
    closed = a.get(url + "/v1/orders", params={"status": "closed"}).json()
    pages, after = [], 0
    while page := a.get(url + "/v1/orders", params={"status": "closed", "limit": 2,
                                                     "after_id": after}).json():
        pages += page
        after = page[-1]["order_id"]
    fills, seq = [], 0
    while page := a.get(url + "/v1/fills", params={"limit": 1, "after_seq": seq}).json():
        fills += page
        seq = page[-1]["seq"]
    one = {o["order_id"]: a.get(f"{url}/v1/orders/{o['order_id']}").json() for o in closed}
    return closed, pages, fills, one


def test_closed_orders_and_fills_leave_memory_and_stay_readable(make_server, tmp_path):
    journal = str(tmp_path / "journal.db")
    with make_server(settings(journal)) as s:
        sym = s.front("GPU")
        acct_a, a = s.new_account()
        _, b = s.new_account()
        sold = a.post("/v1/orders", json=order(sym, "sell", 3, "2.500")).json()
        b.post("/v1/orders", json=order(sym, "buy", 3, "2.500"))  # fills it
        gone = a.post("/v1/orders", json=order(sym, "buy", 1, "2.400")).json()
        a.delete(f"/v1/orders/{gone['order_id']}")
        fok = a.post("/v1/orders", json=order(sym, "buy", 9, "2.400", time_in_force="FOK",
                                              client_order_id="old-1")).json()
        assert fok["status"] == "expired"
        live = a.post("/v1/orders", json=order(sym, "buy", 1, "2.410")).json()
        before = views(a, s.url)
        time.sleep(0.4)
        b.post("/v1/orders", json=order(sym, "buy", 1, "2.300"))  # a command: the clock moves on
        store = s.service.store
        for o in (sold, gone, fok):
            assert o["order_id"] not in store.orders  # out of memory...
        assert live["order_id"] in store.orders and not store.fills.get(acct_a)
        closed, pages, fills, one = after = views(a, s.url)
        assert after == before  # ...and read the same from the history
        assert [o["order_id"] for o in closed] == [sold["order_id"], gone["order_id"], fok["order_id"]]
        assert [o["status"] for o in closed] == ["filled", "cancelled", "expired"]
        assert closed == pages and one[fok["order_id"]]["reason"] == "FOK_NOT_FILLABLE"
        assert [(f["order_id"], f["qty"], f["price"]) for f in fills] == [(sold["order_id"], 3, "2.500")]
        assert a.get("/v1/orders", params={"status": "closed", "since": fok["order"]["ts"]}).json() \
            == [closed[-1]]
        assert a.get("/v1/fills", params={"since": fills[0]["ts"] + 1}).json() == []
        assert [o["order_id"] for o in a.get("/v1/orders").json()] == [live["order_id"]]
        # a retry of a retired order's client order id answers it; another use is still refused
        again = a.post("/v1/orders", json=order(sym, "buy", 9, "2.400", time_in_force="FOK",
                                                client_order_id="old-1"))
        assert again.status_code == 200 and again.json()["order_id"] == fok["order_id"]
        assert a.post("/v1/orders", json=order(sym, "buy", 8, "2.400", time_in_force="FOK",
                                               client_order_id="old-1")).status_code == 409
        retired = sold["order_id"]
        _, c = s.new_account()  # someone else's retired order does not exist for you
        assert c.get(f"/v1/orders/{retired}").status_code == 404
        assert c.get("/v1/orders", params={"status": "closed"}).json() == []
        with s.admin() as adm:
            assert adm.post("/v1/admin/snapshot").status_code == 200

    key = a.headers["X-API-Key"]
    a = httpx.Client(headers={"X-API-Key": key})
    with make_server(settings(journal)) as s:  # from the snapshot, the history as it was
        from_snapshot = s.service.replayed
        assert from_snapshot < s.service.commands - 1
        assert views(a, s.url) == after
    os.remove(journal + "-history")  # the read model lost: rebuilt from the journal alone
    with make_server(settings(journal)) as s:
        # the whole journal replayed (the start's own ListContracts is the one more command)
        assert s.service.replayed == s.service.commands - 1 > from_snapshot
        assert views(a, s.url) == after


def test_an_order_id_beyond_64_bits_is_not_found(make_server, tmp_path):
    """(It reached the read model's SQLite query and answered 500.)"""
    with make_server(settings(str(tmp_path / "journal.db"))) as s:
        _, a = s.new_account()
        r = a.get("/v1/orders/80607903047474194998624256")
        assert r.status_code == 404 and r.json()["code"] == "UNKNOWN_ORDER"


def test_status_must_be_open_or_closed(server):
    _, a = server.new_account()
    r = a.get("/v1/orders", params={"status": "gone"})
    assert r.status_code == 422 and r.json()["code"] == "INVALID_COMMAND"
