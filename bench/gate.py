"""`sitex bench gate`: the clearinghouse's pre-trade check with its fast path against without.

The book (seeded): the default clearinghouse (SPAN-like margin) with SIT and GPU listed and
marked near 2 USD, 5 market makers quoting ladders in 4 expiries of each product and 200 other
accounts holding positions and a few working orders in 2-4 expiries, with cash from a few times
their margin down to less than it (so some checks do reach the exact scan, a few are rejected).
The stream: check_order calls, half of them from the market makers, each in one of the
account's expiries, both sides, 1-20 lots near the mark. check_order changes nothing, so the
same stream runs with the fast path and without (the baseline, `ClearingHouse.fast_path`
False) in one process; the two runs must decide every check the same way.

End to end (`--venue-ops`): the venue with the default clearinghouse as its risk gate on a
stream of passive and crossing limit orders and cancels over the same 205 accounts and 4
expiries, with the fast path and without, and with the exchange's permissive gate for reference.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time

from bench.baseline_book import BaselineBook
from clearing.clearinghouse import BookTop
from clearing.factory import default_clearinghouse
from clearing.reasons import Rejection
from clearing.types import ClearedTrade
from exchange.commands import (
    CancelOrder,
    Deposit,
    ListContracts,
    NewOrder,
    OpenAccount,
    PublishIndex,
)
from exchange.permissive_gate import PermissiveGate
from exchange.venue import Venue

T0 = 1_795_000_000 * 1_000_000_000  # 2026-11-18, a fixed start time
MID = 2_000  # ticks: 2.000 USD
INDEX = MID * 1_000  # micro-USD
MAKERS = [f"mm{i}" for i in range(5)]
OTHERS = [f"a{i:03d}" for i in range(200)]
USD = 100  # cents


def _setup(ch, rng: random.Random) -> dict[str, list[str]]:
    """List, index and mark SIT and GPU; open, fund and fill the 205 accounts; leave working
    orders. Returns each account's expiries."""
    venue = Venue(gate=ch)  # lists the contracts with their real terms
    venue.submit(ListContracts(T0))
    for name in ("SIT", "GPU"):
        venue.submit(PublishIndex(T0, name, INDEX))
    symbols = {p: sorted((s for s, t in ch.terms.items() if t.product == p),
                         key=lambda s: ch.terms[s].last_trade_ts)[:4] for p in ("SIT", "GPU")}
    out: list = []
    held: dict[str, list[str]] = {}
    for account in MAKERS + OTHERS:
        mm = account in MAKERS
        ch.open_account(account, T0, out, market_maker=mm)
        ch.deposit(account, (5_000_000 if mm else rng.choice((20_000, 50_000, 100_000, 300_000))) * USD,
                   T0, out)
        if mm:
            held[account] = symbols["SIT"] + symbols["GPU"]
        else:
            product = rng.choice(("SIT", "GPU"))
            held[account] = sorted(rng.sample(symbols[product], rng.randint(2, 4)))
    tid = 0
    for account in OTHERS:  # positions: each other account trades with a market maker
        for symbol in held[account]:
            qty = rng.randint(1, 40)
            buyer, seller = (account, rng.choice(MAKERS)) if rng.random() < 0.5 else (rng.choice(MAKERS), account)
            tid += 1
            ch.on_fill(ClearedTrade(tid, symbol, MID + rng.randint(-10, 10), qty, buyer, seller, 1, T0), out)
    curve = {s: BookTop(MID - 2 - 3 * i, MID + 2 - 3 * i, None)
             for ss in symbols.values() for i, s in enumerate(ss)}
    ch.mark_cycle(T0, curve, out)
    for account in MAKERS + OTHERS:  # working orders: ladders for makers, a few for others
        for symbol in held[account]:
            if account in MAKERS:
                ch.on_working(account, symbol, 1, 5 * 10, MID - 1)
                ch.on_working(account, symbol, -1, 5 * 10, MID + 1)
            elif rng.random() < 0.5:
                ch.on_working(account, symbol, rng.choice((1, -1)), rng.randint(1, 10), MID)
    return held


def check_stream(n: int, held: dict[str, list[str]], rng: random.Random) -> list[tuple]:
    """(account, symbol, side, qty, price, reduce_only) tuples, half from the market makers."""
    stream = []
    for _ in range(n):
        account = rng.choice(MAKERS) if rng.random() < 0.5 else rng.choice(OTHERS)
        side = 1 if rng.random() < 0.5 else -1
        stream.append((account, rng.choice(held[account]), side, rng.randint(1, 20),
                       MID - side * rng.randint(0, 10), False))
    return stream


def _decide(ch, stream) -> tuple[float, list]:
    """Run the stream through check_order: seconds and each decision (None, or the reason and
    its sentence)."""
    check = ch.check_order
    decisions = []
    append = decisions.append
    start = time.perf_counter()
    for args in stream:
        try:
            check(*args)
            append(None)
        except Rejection as r:
            append((r.reason, str(r)))
    return time.perf_counter() - start, decisions


def run_checks(n: int, seed: int = 5, repeat: int = 3) -> dict:
    rng = random.Random(seed)
    ch = default_clearinghouse()
    held = _setup(ch, rng)
    stream = check_stream(n, held, rng)
    times = {}
    decisions = {}
    for fast in (True, False):
        ch.fast_path = fast
        runs = [_decide(ch, stream) for _ in range(repeat)]
        times[fast] = min(t for t, _ in runs)
        decisions[fast] = runs[0][1]
    scans = {}
    for fast in (True, False):
        ch.fast_path = fast
        scans[fast] = _scans(ch, stream)
    ch.fast_path = True
    rejected = sum(d is not None for d in decisions[True])
    return {"checks": n, "accounts": len(held),
            "checks_per_s": round(n / times[True]),
            "baseline_checks_per_s": round(n / times[False]),
            "ratio": round(times[False] / times[True], 2),
            "rejected": rejected,
            "margin_checks": scans[False], "exact_scans": scans[True],
            "agree": decisions[True] == decisions[False]}


def _scans(ch, stream) -> int:
    """How many checks of the stream reach the exact scan (counted outside the timed runs)."""
    calls = 0
    scan = ch.margins.initial_with_orders

    def counted(*args):
        nonlocal calls
        calls += 1
        return scan(*args)

    ch.margins.initial_with_orders = counted
    try:
        _decide(ch, stream)
    finally:
        del ch.margins.initial_with_orders
    return calls


# ---------------------------------------------------------------------------- end to end


def venue_stream(n_ops: int, seed: int = 7) -> list[tuple]:
    """("new", symbol, side, price, qty, account, key) / ("cancel", symbol, key) over 4 expiries
    (2 SIT, 2 GPU), about 1,000 orders resting in all; makers and takers never meet themselves."""
    rng = random.Random(seed)
    symbols = ["SITX26", "SITZ26", "GPUX26", "GPUZ26"]
    books = {s: BaselineBook() for s in symbols}
    live: dict[str, list[int]] = {s: [] for s in symbols}
    makers = MAKERS + OTHERS[:100]
    takers = OTHERS[100:]
    ops: list[tuple] = []
    for _ in range(n_ops):
        symbol = rng.choice(symbols)
        book, alive = books[symbol], live[symbol]
        if rng.random() < 0.40 * min(2.0, len(book.orders) / 250) and alive:
            i = rng.randrange(len(alive))
            alive[i], alive[-1] = alive[-1], alive[i]
            oid = alive.pop()
            if oid in book.orders:
                book.cancel(oid)
                ops.append(("cancel", symbol, oid))
                continue
        bid, ask = book.best()
        side = 1 if rng.random() < 0.5 else -1
        if rng.random() < 0.25:  # crossing, by a taker
            price = ((ask if side > 0 else bid) or MID) + side * rng.randint(0, 3)
            qty, account = rng.randint(1, 10), rng.choice(takers)
        else:  # passive, 0..20 ticks behind the touch, by a maker
            price = ((bid if side > 0 else ask) or MID) - side * rng.randint(0, 20)
            if side > 0 and ask is not None and price >= ask:
                price = ask - 1
            if side < 0 and bid is not None and price <= bid:
                price = bid + 1
            qty, account = rng.randint(1, 20), rng.choice(makers)
        price = max(MID - 90, min(MID + 90, price))
        oid = book.limit(side, price, qty)
        if oid in book.orders:
            alive.append(oid)
        ops.append(("new", symbol, side, price, qty, account, oid))
    return ops


def _fresh_venue(fast: bool | None) -> tuple[Venue, object]:
    """A venue clearing through the default clearinghouse, with or without its fast path
    (None: the exchange's permissive gate, for reference)."""
    ch = default_clearinghouse()
    ch.fast_path = bool(fast)
    venue = Venue(gate=ch if fast is not None else PermissiveGate())
    ts = T0
    venue.submit(ListContracts(ts))
    for name in ("SIT", "GPU"):
        venue.submit(PublishIndex(ts, name, INDEX))
    for i, account in enumerate(MAKERS + OTHERS):
        venue.submit(OpenAccount(ts, account, market_maker=account in MAKERS))
        venue.submit(Deposit(ts, account, (5_000_000 if account in MAKERS else 100_000 + 1_000 * i) * USD))
    return venue, ch


def venue_commands(ops) -> list:
    """The ops as venue commands, cancels naming the venue's order ids (found by submitting
    the stream once, untimed)."""
    venue, _ = _fresh_venue(True)
    ids: dict[tuple[str, int], tuple[str, int]] = {}
    cmds = []
    ts = T0 + 1_000_000
    for op in ops:
        ts += 1_000
        if op[0] == "new":
            _, symbol, side, price, qty, account, key = op
            cmd = NewOrder(ts, account, symbol, side, qty, price)
            for e in venue.submit(cmd):
                if e.kind == "order_accepted":
                    ids[(symbol, key)] = (account, e.order_id)
        else:
            account, oid = ids.get((op[1], op[2]), ("a000", 0))
            cmd = CancelOrder(ts, account, oid)
            venue.submit(cmd)
        cmds.append(cmd)
    return cmds


def _run_venue(cmds, fast: bool) -> tuple[float, str, int]:
    venue, _ = _fresh_venue(fast)
    submit = venue.submit
    rejected = 0
    start = time.perf_counter()
    for cmd in cmds:
        for e in submit(cmd):
            if e.kind == "rejected":
                rejected += 1
    return time.perf_counter() - start, venue.gate.digest() if fast is not None else "", rejected


def run_venue(n_ops: int, seed: int = 7, repeat: int = 3) -> dict:
    cmds = venue_commands(venue_stream(n_ops, seed))
    best, digests, rejected = {}, {}, {}
    for fast in (True, False, None):
        runs = [_run_venue(cmds, fast) for _ in range(repeat)]
        best[fast] = min(t for t, _, _ in runs)
        _, digests[fast], rejected[fast] = runs[0]
    return {"venue_ops": len(cmds),
            "venue_ops_per_s": round(len(cmds) / best[True]),
            "venue_baseline_ops_per_s": round(len(cmds) / best[False]),
            "venue_ratio": round(best[False] / best[True], 2),
            "venue_permissive_ops_per_s": round(len(cmds) / best[None]),
            "venue_rejected": rejected[True],
            "venue_agree": digests[True] == digests[False] and rejected[True] == rejected[False]}


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="sitex bench gate", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--checks", type=int, default=100_000, help="check_order calls in the stream")
    ap.add_argument("--venue-ops", type=int, default=100_000,
                    help="venue commands in the end-to-end stream (0: skip it)")
    ap.add_argument("--seed", type=int, default=5, help="seed of the accounts and the order stream")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the best is reported")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    if args.checks < 1 or args.venue_ops < 0 or args.repeat < 1:
        ap.error("--checks and --repeat must be >= 1, --venue-ops >= 0")
    gc.collect()
    gc.disable()
    try:
        r = run_checks(args.checks, args.seed, args.repeat)
        if args.venue_ops:
            r.update(run_venue(args.venue_ops, args.seed, args.repeat))
    finally:
        gc.enable()
    r["python"] = sys.version.split()[0]
    ok = r["agree"] and r.get("venue_agree", True)
    if args.json:
        print(json.dumps(r))
        return 0 if ok else 1
    print(f"check_order: {r['checks']:,} checks over {r['accounts']} accounts (seed {args.seed}), "
          f"{r['rejected']:,} rejected")
    print(f"  {r['margin_checks']:,} reach the margin check; {r['exact_scans']:,} of them still need "
          f"the exact scan with the fast path on")
    print(f"{'':28}{'checks/s':>12}{'ratio':>10}")
    print(f"{'exact scan (baseline)':28}{r['baseline_checks_per_s']:>12,}{1.0:>10.2f}")
    print(f"{'fast path':28}{r['checks_per_s']:>12,}{r['ratio']:>10.2f}")
    print(f"  decisions agree: {'yes' if r['agree'] else 'NO'}")
    if args.venue_ops:
        print(f"venue + clearinghouse: {r['venue_ops']:,} commands, {r['venue_rejected']:,} rejected")
        print(f"{'':28}{'ops/s':>12}{'ratio':>10}")
        print(f"{'exact scan (baseline)':28}{r['venue_baseline_ops_per_s']:>12,}{1.0:>10.2f}")
        print(f"{'fast path':28}{r['venue_ops_per_s']:>12,}{r['venue_ratio']:>10.2f}")
        print(f"{'(permissive gate: no clearing)':28}{r['venue_permissive_ops_per_s']:>12,}")
        print(f"  final states agree: {'yes' if r['venue_agree'] else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
