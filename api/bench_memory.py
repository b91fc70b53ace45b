"""`sitex bench memory`: the server's resident memory under a sustained order load.

Starts `sitex serve` in its own process (journal in a temporary directory, rate limits off, the
permissive gate: the order-entry path, as `sitex bench api`), then sends `--orders` orders over
`--clients` WebSocket sessions, `--window` in flight each: half the sessions sell one lot at
the index, the other half buy one lot there, so nearly every order trades and closes (each
trade makes two closed orders and two fills), and each session cancels what it has left every
500 orders, so the live book stays small. The server's resident set size (VmRSS) is read every
`--every` orders; the first `--warmup` orders fill the retention window (`--retention` s: closed
orders and fills older than that leave memory for the history beside the journal), and the
figure is how much the resident set moves after them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import tempfile
import time
from decimal import Decimal

import httpx

from api.bench import ADMIN, free_port, start_server


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def session(port, key, side, body, quota, window, done: list) -> None:
    import websockets

    async with websockets.connect(f"ws://127.0.0.1:{port}/v1/ws", max_size=1 << 24,
                                  additional_headers={"X-API-Key": key}) as ws:
        sent = answered = 0
        text = json.dumps({"op": "order", "params": dict(body, side=side)})
        while answered < quota:
            while sent < quota and sent - answered < window:
                sent += 1
                await ws.send(text)
                if sent % 500 == 0:
                    await ws.send(json.dumps({"op": "cancel_all", "id": -sent}))
            msg = json.loads(await ws.recv())
            if msg.get("op") == "order" or (msg.get("type") == "error" and msg.get("id") is None):
                if msg["type"] != "result":
                    raise RuntimeError(f"order refused: {msg}")
                answered += 1
                done[0] += 1


async def drive(port, keys, body, orders, window, every, pid) -> list[tuple[int, float]]:
    done = [0]
    per = orders // len(keys)
    jobs = [asyncio.create_task(session(port, k, "sell" if i % 2 else "buy", body, per, window, done))
            for i, k in enumerate(keys)]
    samples, next_at = [(0, rss_mib(pid))], every
    while not all(j.done() for j in jobs):
        await asyncio.sleep(0.2)
        if done[0] >= next_at:
            samples.append((done[0], rss_mib(pid)))
            next_at += every
    for j in jobs:
        j.result()  # a refused order fails the run
    samples.append((done[0], rss_mib(pid)))
    return samples


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="sitex bench memory", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--orders", type=int, default=1_200_000, help="all orders, warm-up included")
    ap.add_argument("--warmup", type=int, default=200_000,
                    help="orders before the first reading counts (the baseline)")
    ap.add_argument("--retention", type=float, default=10.0,
                    help="the server's --retention: seconds a closed order or fill stays in memory")
    ap.add_argument("--clients", type=int, default=16, help="WebSocket clients sending orders")
    ap.add_argument("--window", type=int, default=8, help="orders in flight per client")
    ap.add_argument("--every", type=int, default=50_000, help="orders between two readings")
    ap.add_argument("--serve", default="", help="more `sitex serve` options, e.g. \"--snapshot-every 0\"")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    if (args.orders < 1 or args.clients < 1 or args.window < 1 or args.every < 1
            or not 0 <= args.warmup < args.orders):
        ap.error("--orders, --clients, --window and --every must be >= 1, --warmup from 0 to "
                 "below --orders")
    if not (math.isfinite(args.retention) and args.retention >= 0):
        ap.error("--retention must be >= 0")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_server(port, os.path.join(tmp, "journal.db"), "--retention", str(args.retention),
                            *args.serve.split())
        try:
            url = f"http://127.0.0.1:{port}"
            admin = httpx.Client(base_url=url, headers={"X-API-Key": ADMIN})
            keys = [admin.post("/v1/admin/accounts", json={}).json()["api_key"]
                    for _ in range(args.clients)]
            symbol = [c for c in httpx.get(url + "/v1/contracts").json() if c["product"] == "SIT"][1]["symbol"]
            price = Decimal(httpx.get(url + "/v1/index/SIT").json()["value"]).quantize(Decimal("0.001"))
            body = {"symbol": symbol, "qty": 1, "price": str(price)}
            samples = asyncio.run(drive(port, keys, body, args.orders, args.window, args.every, proc.pid))
            metrics = httpx.get(url + "/v1/metrics").json()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
    after = [rss for n, rss in samples if n >= args.warmup]
    base = after[0]
    result = {"orders": samples[-1][0], "warmup": args.warmup, "retention_s": args.retention,
              "rss_mib_at_warmup": round(base, 1), "rss_mib_min": round(min(after), 1),
              "rss_mib_max": round(max(after), 1), "rss_mib_last": round(after[-1], 1),
              "growth_after_warmup": round((max(after) - base) / base, 4),
              "orders_in_memory_at_end": metrics["orders_known"], "seconds": round(time.perf_counter() - started),
              "samples": [(n, round(r, 1)) for n, r in samples]}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"sitex bench memory: {result['orders']:,} orders over {args.clients} WebSocket sessions "
          f"in {result['seconds']} s, retention {args.retention:g} s")
    for n, r in samples:
        print(f"  {n:>10,} orders  {r:8.1f} MiB")
    print(f"after the {args.warmup:,}-order warm-up: {result['rss_mib_at_warmup']} MiB, then "
          f"{result['rss_mib_min']}-{result['rss_mib_max']} MiB (max {100 * result['growth_after_warmup']:+.1f}%)")
    return 0
