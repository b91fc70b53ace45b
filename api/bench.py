"""`sitex bench api`: order entry through the real service, REST and WebSocket, journal on.

Starts `sitex serve` in its own process (journal in a temporary directory, rate limits off),
then drives it from this process for a few seconds per mode: N REST clients, each a keep-alive
HTTP/1.1 connection with one request in flight (a minimal client, so that the client's own cost
does not hide the server's), and N WebSocket sessions, each with a window of orders in flight.
Orders are limit orders around the index, so about a third of them trade. Prints orders/s and
p50/p99 latency (send to acknowledgement, which is after the journal commit).

The same clients also drive the bare framework (`bench/api_baseline.py`: FastAPI and uvicorn
answering the same requests with nothing behind them) for the same time, right after the
service in each of `--rounds` rounds, and the ratio says what share of the framework's ceiling
on this machine the service keeps: the order-entry figures move with the machine (and drift
within a minute on a shared one, hence the rounds and their medians), the ratio much less.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import signal
import statistics
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

import httpx

ADMIN = "bench-admin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, journal: str, *extra: str) -> subprocess.Popen:
    return _start([sys.executable, "-m", "sitex", "serve", "--port", str(port),
                   "--journal", journal, "--rate-limit", "0", "--cycle", "0",
                   "--gate", "permissive", *extra], port)  # the order-entry path, without margin


def start_baseline(port: int) -> subprocess.Popen:
    return _start([sys.executable, "-m", "bench.api_baseline", "--port", str(port)], port)


def _start(argv: list[str], port: int) -> subprocess.Popen:
    env = dict(os.environ, SITEX_ADMIN_KEY=ADMIN)
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the server did not start")


def order_body(rng: random.Random, symbol: str, mid: int) -> dict:
    side = rng.choice(("buy", "sell"))
    ticks = mid + rng.randint(-8, 4) if side == "buy" else mid + rng.randint(-4, 8)
    return {"symbol": symbol, "side": side, "qty": rng.randint(1, 5), "price": f"{ticks / 1000:.3f}"}


async def rest_client(port, key, symbol, mid, stop, seed, lat: list) -> None:
    rng = random.Random(seed)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (f"POST /v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {key}\r\n"
            "Content-Type: application/json\r\n").encode()
    while time.perf_counter() < stop:
        body = json.dumps(order_body(rng, symbol, mid)).encode()
        t0 = time.perf_counter()
        writer.write(head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        status = await reader.readline()
        length = 0
        while (line := await reader.readline()) != b"\r\n":
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        lat.append(time.perf_counter() - t0)
        if b" 200 " not in status:
            raise RuntimeError(f"order refused: {status!r}")
    writer.close()


async def ws_client(port, key, symbol, mid, stop, seed, lat: list, window: int) -> None:
    import websockets

    rng = random.Random(seed)
    sent: dict[int, float] = {}
    async with websockets.connect(f"ws://127.0.0.1:{port}/v1/ws",
                                  additional_headers={"X-API-Key": key}) as ws:
        next_id = 0

        async def send_one():
            nonlocal next_id
            next_id += 1
            sent[next_id] = time.perf_counter()
            await ws.send(json.dumps({"op": "order", "id": next_id,
                                      "params": order_body(rng, symbol, mid)}))

        for _ in range(window):
            await send_one()
        while sent:
            msg = json.loads(await ws.recv())
            t0 = sent.pop(msg.get("id"), None)
            if t0 is None:
                continue
            if msg["type"] != "result":
                raise RuntimeError(f"order refused: {msg}")
            lat.append(time.perf_counter() - t0)
            if time.perf_counter() < stop:
                await send_one()


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] * 1000 if s else float("nan")


async def run_mode(mode, port, keys, symbol, mid, seconds, window) -> dict:
    lat: list[float] = []
    stop = time.perf_counter() + seconds
    t0 = time.perf_counter()
    if mode == "rest":
        jobs = [rest_client(port, k, symbol, mid, stop, i, lat) for i, k in enumerate(keys)]
    else:
        jobs = [ws_client(port, k, symbol, mid, stop, i, lat, window) for i, k in enumerate(keys)]
    await asyncio.gather(*jobs)
    elapsed = time.perf_counter() - t0
    return {"mode": mode, "clients": len(keys), "orders": len(lat), "seconds": round(elapsed, 2),
            "orders_per_s": round(len(lat) / elapsed), "p50_ms": round(pct(lat, 0.50), 2),
            "p99_ms": round(pct(lat, 0.99), 2)}


def _row(runs: list[dict], bare_runs: list[dict]) -> dict:
    """A mode's figures over its rounds: the median round's orders/s and latencies (as
    measured in that round), `orders` all rounds' orders; against the bare framework, the
    median of the rounds' ratios, each taken within one round (the machine's speed drifts)."""
    runs_sorted = sorted(runs, key=lambda r: r["orders_per_s"])
    row = dict(runs_sorted[len(runs_sorted) // 2])
    row["orders"] = sum(r["orders"] for r in runs)
    row["rounds"] = len(runs)
    if bare_runs:
        ratios = [r["orders_per_s"] / b["orders_per_s"] for r, b in zip(runs, bare_runs)]
        bare_sorted = sorted(bare_runs, key=lambda r: r["orders_per_s"])
        middle = bare_sorted[len(bare_sorted) // 2]
        row["baseline_orders_per_s"] = middle["orders_per_s"]
        row["baseline_p99_ms"] = middle["p99_ms"]
        row["round_ratios"] = [round(x, 3) for x in ratios]
        row["ratio"] = round(statistics.median(ratios), 3)
    return row


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="sitex bench api", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--clients", type=int, default=16, help="concurrent clients, one account each")
    ap.add_argument("--seconds", type=float, default=5.0, help="per mode and round")
    ap.add_argument("--window", type=int, default=6, help="WebSocket orders in flight per client")
    ap.add_argument("--modes", default="rest,ws", help="order entry modes, comma-separated: rest, ws")
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds of service then bare framework, back to back per mode; figures "
                         "are the rounds' medians")
    ap.add_argument("--no-baseline", action="store_true", help="skip the bare-framework run")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    modes = args.modes.split(",")
    if (args.clients < 1 or args.window < 1 or args.rounds < 1
            or not (math.isfinite(args.seconds) and args.seconds > 0)):
        ap.error("--clients, --window and --rounds must be >= 1, --seconds > 0")
    if not set(modes) <= {"rest", "ws"} or len(set(modes)) != len(modes):
        ap.error(f"--modes is rest, ws or rest,ws, got {args.modes!r}")
    runs: dict[str, list[dict]] = {m: [] for m in modes}
    bare_runs: dict[str, list[dict]] = {m: [] for m in modes}
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_server(port, os.path.join(tmp, "journal.db"))
        bare_port = bare = None
        try:
            if not args.no_baseline:  # both up from the start: each round runs them back to back
                bare_port = free_port()
                bare = start_baseline(bare_port)
            url = f"http://127.0.0.1:{port}"
            admin = httpx.Client(base_url=url, headers={"X-API-Key": ADMIN})
            keys = [admin.post("/v1/admin/accounts", json={}).json()["api_key"] for _ in range(args.clients)]
            contract = [c for c in httpx.get(url + "/v1/contracts").json() if c["product"] == "SIT"][1]
            symbol = contract["symbol"]
            mid = int(Decimal(httpx.get(url + "/v1/index/SIT").json()["value"]) * 1000)  # ticks
            for _ in range(max(1, args.rounds)):
                for m in modes:
                    runs[m].append(asyncio.run(run_mode(m, port, keys, symbol, mid, args.seconds,
                                                        args.window)))
                    if bare is not None:
                        bare_runs[m].append(asyncio.run(run_mode(m, bare_port, keys, symbol, mid,
                                                                 args.seconds, args.window)))
            state = admin.get("/v1/admin/state").json()
        finally:
            for p in (proc, bare):
                if p is not None:
                    p.send_signal(signal.SIGTERM)
                    p.wait(20)
    rows = [_row(runs[m], bare_runs[m]) for m in modes]
    if args.json:
        print(json.dumps({"rows": rows, "commands": state["commands"]}))
        return 0
    print(f"sitex bench api: {args.clients} clients, {args.seconds:g} s per mode and round, "
          f"{max(1, args.rounds)} rounds (medians), journal on "
          f"(SQLite WAL, synchronous=FULL, group commit), {os.cpu_count()} CPUs")
    print(f"{'mode':<5} {'clients':>7} {'orders':>8} {'orders/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
          f"{'bare orders/s':>15} {'bare p99':>9} {'ratio':>6}")
    for r in rows:
        bare = (f"{r['baseline_orders_per_s']:>15} {r['baseline_p99_ms']:>9} {r['ratio']:>6}"
                if "ratio" in r else "")
        print(f"{r['mode']:<5} {r['clients']:>7} {r['orders']:>8} {r['orders_per_s']:>9} "
              f"{r['p50_ms']:>8} {r['p99_ms']:>8}{bare}")
    print(f"{state['commands']} commands journaled")
    return 0
