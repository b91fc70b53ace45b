"""kill -9 in the middle of trading: every acknowledged order and fill survives, and the
restarted server's state (from its latest snapshot plus the journal after it) equals a replay
of the whole journal from zero."""

import os
import signal
import subprocess
import sys
import threading
import time

import httpx

from api.service import Service
from clearing.factory import default_clearinghouse

ADMIN = "crash-admin"


def start(journal: str, port: int) -> subprocess.Popen:
    env = dict(os.environ, SITEX_ADMIN_KEY=ADMIN)
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port),
                             "--journal", journal, "--cycle", "0", "--rate-limit", "0",
                             "--snapshot-every", "50"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(url + "/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


def test_kill_9_loses_nothing_acknowledged(tmp_path, port):
    journal = str(tmp_path / "journal.db")
    url = f"http://127.0.0.1:{port}"
    proc = start(journal, port)
    try:
        admin = httpx.Client(base_url=url, headers={"X-API-Key": ADMIN})
        keys = [admin.post("/v1/admin/accounts", json={}).json() for _ in range(4)]
        for k in keys:  # the server clears through the clearinghouse: margin needs cash
            r = admin.post("/v1/admin/deposits", json={"account_id": k["account_id"], "amount": "1000000.00"})
            assert r.status_code < 300, r.text
        sym = [c["symbol"] for c in httpx.get(url + "/v1/contracts").json() if c["product"] == "SIT"][1]
        acked: dict[str, list] = {k["account_id"]: [] for k in keys}

        def trader(k, i):
            c = httpx.Client(base_url=url, headers={"X-API-Key": k["api_key"]})
            n = 0
            while True:
                side = "buy" if (n + i) % 2 else "sell"
                body = {"symbol": sym, "side": side, "qty": 1 + n % 3, "price": f"{1.99 + (n % 5) / 1000:.3f}",
                        "client_order_id": f"{k['account_id']}-{n}"}
                try:
                    r = c.post("/v1/orders", json=body, timeout=5)
                except httpx.HTTPError:
                    return  # the server died under us: this one was never acknowledged
                if r.status_code == 200:
                    acked[k["account_id"]].append(r.json())
                n += 1

        threads = [threading.Thread(target=trader, args=(k, i)) for i, k in enumerate(keys)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        for t in threads:
            t.join(10)
    finally:
        if proc.poll() is None:
            proc.kill()

    total = sum(len(v) for v in acked.values())
    assert total > 20
    proc = start(journal, port)
    try:
        for k in keys:
            c = httpx.Client(base_url=url, headers={"X-API-Key": k["api_key"]})
            fills = {(f["trade_id"], f["order_id"]) for f in c.get("/v1/fills", params={"limit": 1000}).json()}
            for r in acked[k["account_id"]]:
                now = c.get(f"/v1/orders/{r['order_id']}")
                assert now.status_code == 200, (r, now.text)
                assert now.json()["client_order_id"] == r["order"]["client_order_id"]
                assert now.json()["filled_qty"] >= r["filled_qty"]
                assert {(f["trade_id"], f["order_id"]) for f in r["fills"]} <= fills
        served = httpx.get(url + "/v1/admin/state", headers={"X-API-Key": ADMIN}).json()
        replayed = Service(journal, gate=default_clearinghouse(), use_snapshots=False)  # from zero
        replayed.replay()
        assert served["replayed"] < replayed.commands  # the server restarted from a snapshot
        assert replayed.venue.digest() == served["digest"]
        assert replayed.commands == served["commands"]
        replayed.store.check()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
