"""`sitex agents --server URL`: a small market session against a live server, over the network.

Market makers quote a ladder around the SIT and GPU indices and requote as the index moves;
takers cross the spread now and then. Everything goes through `api.client.AsyncClient`, so this
is also a smoke test of the wire contract. The agents of `marketmakers/` (`sitex simulate
--server`) are the full version; this one needs nothing but the server.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import time
from decimal import Decimal

import httpx

from api.client import AsyncClient, SitexError

TICK = Decimal("0.001")


async def open_accounts(url: str, admin_key: str, names: list[str]) -> dict[str, str]:
    keys = {}
    stamp = int(time.time())  # a fresh account per run: a restarted server keeps the old ones
    async with AsyncClient(url, admin_key) as admin:
        for name in names:
            account = f"{name}-{stamp}"
            try:
                # the makers are registered market makers: the dashboard shows their obligations
                made = await admin.create_account(account, market_maker=name.startswith("mm"))
                keys[name] = made["api_key"]
            except SitexError as e:
                raise SystemExit(f"sitex agents: cannot open account {name}: {e}") from None
            try:
                await admin.deposit(account, "1000000.00")
            except SitexError:
                pass  # no clearinghouse attached: trading needs no cash then
    return keys


async def market_maker(url, key, symbols, rng, stop, stats, levels=3, size=10):
    async with AsyncClient(url, key) as c:
        while time.monotonic() < stop:
            for sym, index_name in symbols:
                idx = (await c.fetch_index(index_name, history=0))["value"]
                if idx is None:
                    continue
                mid = Decimal(idx).quantize(TICK)
                await c.cancel_all_orders(sym)
                for lvl in range(1, levels + 1):
                    offset = TICK * (lvl + rng.randint(0, 2))
                    for side, price in (("buy", mid - offset), ("sell", mid + offset)):
                        try:
                            await c.create_order(sym, "limit", side, size * lvl, str(price))
                            stats["orders"] += 1
                        except SitexError as e:
                            stats["rejected"] += 1
                            stats["last_error"] = e.code
            await asyncio.sleep(0.2)


async def taker(url, key, symbols, rng, stop, stats):
    async with AsyncClient(url, key) as c:
        while time.monotonic() < stop:
            sym, _ = rng.choice(symbols)
            side = rng.choice(("buy", "sell"))
            try:
                r = await c.create_order(sym, "market", side, rng.randint(1, 6),
                                         params={"time_in_force": "IOC"})
                stats["orders"] += 1
                stats["fills"] += len(r["fills"])
            except SitexError as e:
                stats["rejected"] += 1
                stats["last_error"] = e.code
            await asyncio.sleep(rng.uniform(0.05, 0.3))


async def session(url: str, admin_key: str, seconds: float, makers: int, takers: int, seed: int) -> dict:
    rng = random.Random(seed)
    async with AsyncClient(url) as pub:
        for _ in range(300):  # the server may still be starting (serve --agents, compose)
            try:
                contracts = await pub.fetch_markets()
                break
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
        else:
            raise SystemExit(f"sitex agents: no server at {url}")
    by_product: dict[str, list[str]] = {}
    for c in contracts:
        by_product.setdefault(c["product"], []).append(c["symbol"])
    # the second expiry of each product: the front month may be about to stop trading
    symbols = [(syms[1 if len(syms) > 1 else 0], product) for product, syms in sorted(by_product.items())]
    names = [f"mm{i}" for i in range(makers)] + [f"taker{i}" for i in range(takers)]
    keys = await open_accounts(url, admin_key, names)
    stats = {"orders": 0, "fills": 0, "rejected": 0, "last_error": None}
    stop = time.monotonic() + seconds
    tasks = [market_maker(url, keys[n], symbols, random.Random(rng.random()), stop, stats)
             for n in names if n.startswith("mm")]
    tasks += [taker(url, keys[n], symbols, random.Random(rng.random()), stop, stats)
              for n in names if n.startswith("taker")]
    await asyncio.gather(*tasks)
    return stats | {"symbols": [s for s, _ in symbols]}


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="sitex agents", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--server", default="http://127.0.0.1:8000", help="the server's URL")
    ap.add_argument("--admin-key", default=None,
                    help="the server's admin key, to open the agents' accounts (None: "
                         "SITEX_ADMIN_KEY from the environment)")
    ap.add_argument("--seconds", type=float, default=30.0, help="session length (0: forever)")
    ap.add_argument("--makers", type=int, default=2, help="market makers quoting a ladder")
    ap.add_argument("--takers", type=int, default=3, help="takers sending marketable orders")
    ap.add_argument("--seed", type=int, default=1, help="seed of the agents' choices")
    return ap


def main(argv: list[str] | None = None) -> int:
    import os

    ap = parser()
    args = ap.parse_args(argv)
    if not (math.isfinite(args.seconds) and args.seconds >= 0) or args.makers < 0 or args.takers < 0:
        ap.error("--seconds must be >= 0 (0: forever), --makers and --takers >= 0")
    args.admin_key = args.admin_key or os.environ.get("SITEX_ADMIN_KEY")
    if not args.admin_key:
        print("sitex agents: the admin key is needed to open accounts (--admin-key or "
              "SITEX_ADMIN_KEY)", file=sys.stderr)
        return 2
    seconds = args.seconds if args.seconds > 0 else float("inf")
    try:
        stats = asyncio.run(session(args.server, args.admin_key, seconds, args.makers, args.takers,
                                    args.seed))
    except (OSError, httpx.HTTPError) as exc:
        print(f"sitex agents: lost the server at {args.server}: {exc!r}", file=sys.stderr)
        return 1
    print(f"sitex agents: {stats['orders']} orders, {stats['fills']} fills, "
          f"{stats['rejected']} rejected (last: {stats['last_error']}) on {', '.join(stats['symbols'])}")
    return 0
