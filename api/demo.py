"""`sitex demo`: a short in-process session on the venue, printed as a trader would read it.

Lists the contracts, publishes a SIT index value, has two market makers quote a ladder on the
front SIT contract, then a buyer lifts the offer with a market order, a stop triggers, and a
maker cancels. Prints the book before and after, and every trade.
"""

from __future__ import annotations

import argparse
import json
from decimal import Decimal

from exchange.commands import CancelAll, ListContracts, NewOrder, PublishIndex
from exchange.events import Fill, Rejected
from exchange.orders import OrderType, TimeInForce
from exchange.venue import Venue

T0 = 1_795_000_000 * 1_000_000_000  # 2026-11-18 10:13:20 UTC
SEC = 1_000_000_000
TICK = Decimal("0.001")


def usd(ticks: int) -> str:
    return f"{ticks * TICK:.3f}"


def show_book(venue: Venue, symbol: str, depth: int = 5) -> list[str]:
    bids, asks = venue.book(symbol).depth(depth)
    lines = [f"  {'bid qty':>8} {'bid':>8} | {'ask':<8} {'ask qty':<8}"]
    for i in range(max(len(bids), len(asks))):
        b = bids[i] if i < len(bids) else None
        a = asks[i] if i < len(asks) else None
        left = f"{b[1]:>8} {usd(b[0]):>8}" if b else " " * 17
        right = f"{usd(a[0]):<8} {a[1]:<8}" if a else ""
        lines.append(f"  {left} | {right}")
    return lines


def run(seed_index_usd: str = "2.000") -> dict:
    venue = Venue()
    ts = T0
    venue.submit(ListContracts(ts))
    front = next(c for c in venue.contracts() if c.product.code == "SIT")
    symbol = front.symbol
    index_micro = int(Decimal(seed_index_usd) * 1_000_000)
    venue.submit(PublishIndex(ts, "SIT", index_micro))
    mid = index_micro // 1_000
    log: list[str] = []
    trades: list[dict] = []

    def send(cmd):
        for e in venue.submit(cmd):
            if isinstance(e, Fill):
                trades.append({"trade_id": e.trade_id, "price": usd(e.price), "qty": e.qty,
                               "buyer": e.taker_account if e.aggressor > 0 else e.maker_account,
                               "seller": e.maker_account if e.aggressor > 0 else e.taker_account})
            elif isinstance(e, Rejected):
                log.append(f"  rejected: {e.reason.name}: {e.text}")

    for k, mm in enumerate(("mm-alpha", "mm-beta")):
        for level in range(1, 4):
            ts += SEC
            send(NewOrder(ts, mm, symbol, 1, 10 * level, mid - level - k))
            send(NewOrder(ts, mm, symbol, -1, 10 * level, mid + level + k))
    before = show_book(venue, symbol)
    ts += SEC
    send(NewOrder(ts, "hedger", symbol, -1, 5, None, OrderType.STOP, stop_price=mid - 2))
    ts += SEC
    send(NewOrder(ts, "app-co", symbol, 1, 25, None, OrderType.MARKET, TimeInForce.IOC))
    ts += SEC
    send(NewOrder(ts, "spec", symbol, -1, 40, mid - 3, OrderType.LIMIT, TimeInForce.IOC))
    ts += SEC
    send(CancelAll(ts, "mm-beta", symbol))
    after = show_book(venue, symbol)
    venue.check()
    return {"symbol": symbol, "name": front.name, "index": seed_index_usd,
            "book_before": before, "book_after": after, "trades": trades, "notes": log,
            "events": venue.seq, "digest": venue.digest()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="sitex demo", description=__doc__.splitlines()[0])
    ap.add_argument("--index", default="2.000", help="SIT index, USD per million SIT")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    result = run(args.index)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['name']} ({result['symbol']}), SIT index {result['index']} USD per million SIT")
    print("book after two market makers quote:")
    print("\n".join(result["book_before"]))
    print("trades:")
    for t in result["trades"]:
        print(f"  #{t['trade_id']}: {t['qty']:>3} @ {t['price']}  {t['buyer']} buys from {t['seller']}")
    print("\n".join(result["notes"]))
    print("book at the end (after mm-beta cancels all):")
    print("\n".join(result["book_after"]))
    print(f"{result['events']} events, state digest {result['digest'][:16]}")
    return 0
