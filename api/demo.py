"""`sitex demo`: a short in-process session on the venue, printed as a trader would read it.

The demo's clock starts at 10:00 UTC today (or on --date), and the venue lists the contracts
of that day: the front SIT contract is one that trades on that date. A SIT index value is
published, two market makers quote a ladder on the front contract, then a buyer lifts the
offer with a market order, a seller sweeps the bids with an IOC order, which triggers a
resting stop, and a maker cancels. Prints the book before and after, and every trade under
the order that made it.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime, time
from decimal import Decimal

from exchange.commands import CancelAll, ListContracts, NewOrder, PublishIndex
from exchange.events import Fill, OrderAccepted, Rejected
from exchange.orders import OrderType, TimeInForce
from exchange.venue import Venue

OPEN = time(10, 0, tzinfo=UTC)  # the demo's clock starts at 10:00 UTC on its day
SEC = 1_000_000_000
MARKET, SWEEP, STOP = "market order", "IOC sweep", "triggered stop"
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


def start_ts(day: date) -> int:
    """The demo's clock at the start: 10:00 UTC on `day`, in ns."""
    return int(datetime.combine(day, OPEN).timestamp()) * SEC


def run(seed_index_usd: str = "2.000", day: date | None = None) -> dict:
    """The demo on `day` (None: today, UTC): its book, trades (each labelled with the order
    that made it: the market order, the IOC sweep or the triggered stop) and digest."""
    day = day or datetime.now(UTC).date()
    venue = Venue()
    ts = start_ts(day)
    venue.submit(ListContracts(ts))
    front = next(c for c in venue.contracts() if c.product.code == "SIT")
    symbol = front.symbol
    index_micro = int(Decimal(seed_index_usd) * 1_000_000)
    venue.submit(PublishIndex(ts, "SIT", index_micro))
    mid = index_micro // 1_000
    log: list[str] = []
    trades: list[dict] = []
    stop_ids: set[int] = set()

    def send(cmd, label: str | None = None):
        for e in venue.submit(cmd):
            if isinstance(e, OrderAccepted) and e.type == OrderType.STOP:
                stop_ids.add(e.order_id)
            elif isinstance(e, Fill):
                trades.append({"trade_id": e.trade_id, "price": usd(e.price), "qty": e.qty,
                               "buyer": e.taker_account if e.aggressor > 0 else e.maker_account,
                               "seller": e.maker_account if e.aggressor > 0 else e.taker_account,
                               "by": STOP if e.taker_order_id in stop_ids else label})
            elif isinstance(e, Rejected):
                log.append(f"  rejected: {e.reason.name}: {e.text}")

    for k, mm in enumerate(("mm-alpha", "mm-beta")):
        for level in range(1, 4):
            ts += SEC
            send(NewOrder(ts, mm, symbol, 1, 10 * level, mid - level - k))
            send(NewOrder(ts, mm, symbol, -1, 10 * level, mid + level + k))
    before = show_book(venue, symbol)
    ts += SEC
    stop_price = mid - 2
    send(NewOrder(ts, "hedger", symbol, -1, 5, None, OrderType.STOP, stop_price=stop_price))
    ts += SEC
    send(NewOrder(ts, "app-co", symbol, 1, 25, None, OrderType.MARKET, TimeInForce.IOC), MARKET)
    ts += SEC
    send(NewOrder(ts, "spec", symbol, -1, 40, mid - 3, OrderType.LIMIT, TimeInForce.IOC), SWEEP)
    ts += SEC
    send(CancelAll(ts, "mm-beta", symbol))
    after = show_book(venue, symbol)
    venue.check()
    orders = {MARKET: "app-co buys 25 lots at market",
              SWEEP: f"spec sells 40 lots IOC with a limit of {usd(mid - 3)}: it takes the bids "
                     f"from the best down to its limit at once; what is left would be cancelled, "
                     f"never rest",
              STOP: f"hedger's stop: sell 5 lots once a trade prints at {usd(stop_price)} or "
                    f"lower (the sweep's trades trigger it)"}
    return {"date": day.isoformat(), "clock": datetime.fromtimestamp(start_ts(day) // SEC, UTC).isoformat(),
            "symbol": symbol, "name": front.name,
            "last_trade": datetime.fromtimestamp(front.last_trade_ts // SEC, UTC).isoformat(),
            "index": seed_index_usd, "book_before": before, "book_after": after, "trades": trades,
            "orders": orders, "notes": log, "events": venue.seq, "digest": venue.digest()}


FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)  # the venue's ns clock, its calendar


def index_usd(text: str) -> str:
    """--index: a price in USD, > 0, at most 6 decimals (the index counts micro-USD)."""
    try:
        value = Decimal(text)
    except ArithmeticError:
        value = None
    if value is None or not value.is_finite() or value <= 0 or value != value.quantize(Decimal("1e-6")):
        raise argparse.ArgumentTypeError(
            f"an index value in USD > 0 with at most 6 decimals, got {text!r}")
    return text


def demo_day(text: str) -> date:
    """--date: YYYY-MM-DD, a day the venue's clock and listing calendar reach."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a day as YYYY-MM-DD, got {text!r}") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise argparse.ArgumentTypeError(f"a day from {FIRST_DAY} to {LAST_DAY}, got {text!r}")
    return day


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="sitex demo", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--index", default="2.000", type=index_usd,
                    help="SIT index, USD per million SIT")
    ap.add_argument("--date", type=demo_day, default=None,
                    help="the demo's day, YYYY-MM-DD (None: today, UTC); its front SIT "
                         "contract is the one that trades that day")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result = run(args.index, args.date)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['clock']}: {result['name']} ({result['symbol']}, last trading "
          f"{result['last_trade']}), SIT index {result['index']} USD per million SIT")
    print("book after two market makers quote (prices in USD per million SIT, sizes in lots):")
    print("\n".join(result["book_before"]))
    print("trades, under the order that made them:")
    shown = None
    for t in result["trades"]:
        if t["by"] != shown:
            shown = t["by"]
            print(f"  the {shown}: {result['orders'][shown]}")
        print(f"    #{t['trade_id']}: {t['qty']:>3} @ {t['price']}  {t['buyer']} buys from {t['seller']}")
    print("\n".join(result["notes"]))
    print("book at the end (after mm-beta cancels all its orders):")
    print("\n".join(result["book_after"]))
    print(f"{result['events']} events, state digest {result['digest'][:16]}")
    return 0
