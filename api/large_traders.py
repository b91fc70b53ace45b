"""The large-trader report: per contract and UTC day, every account whose position reached the
product's reportable level (at the day's end or its peak), with its share of open interest and
whether it is above the position accountability level (docs/regulation.md).

Rebuilt from the fills an order store folds: the live server's own (api/reports.py) or one
rebuilt from a journal (api/journal_replay.py), so the two agree."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from api.store import OrderStore
from clearing.types import NS_PER_SECOND as NS
from exchange.venue import Venue

REPORTABLE = 25  # lots: CFTC-style reportable level, per product unless configured
# Accountability levels sit below the clearinghouse's hard limits (clearing/config.py: 5,000
# lots in any contract, 1,000 in the spot month): a trader above one is asked about the
# position, not refused.
ACCOUNTABILITY = 500


@dataclass(frozen=True)
class Levels:
    """Reportable and accountability levels in lots, per product (the defaults otherwise)."""

    reportable: dict[str, int] = field(default_factory=dict)
    accountability: dict[str, int] = field(default_factory=dict)

    def reportable_for(self, product: str) -> int:
        return self.reportable.get(product, REPORTABLE)

    def accountability_for(self, product: str) -> int:
        return self.accountability.get(product, ACCOUNTABILITY)

    def check(self, contracts: dict[str, dict]) -> None:
        """A level for a product the venue does not list would be silently unused (`sit=10`
        leaves SIT at its default): refuse it, naming the products."""
        products = sorted({c["product"] for c in contracts.values()})
        for name in (*self.reportable, *self.accountability):
            if name not in products:
                raise ValueError(f"no product {name!r} (products: {', '.join(products)})")


def parse_levels(items: Iterable[str], sep: str) -> dict[str, int]:
    """["SIT=25", ...] (or "SIT:25") -> {"SIT": 25}; a clear error for anything else."""
    out = {}
    for item in items:
        product, _, lots = item.partition(sep)
        if not product or not lots.isdigit() or int(lots) < 1:
            raise ValueError(f"a level is PRODUCT{sep}LOTS with LOTS >= 1, got {item!r}")
        out[product] = int(lots)
    return out


def position_changes(store: OrderStore) -> list[tuple[int, int, str, str, int]]:
    """(seq, ts, account, symbol, signed lots) of every fill side, in event order."""
    out = []
    for account, fills in store.fills.items():
        for f in fills:
            out.append((f["seq"], f["ts"], account, f["symbol"], f["qty"] if f["side"] == "buy" else -f["qty"]))
    out.sort()
    return out


def large_traders(store: OrderStore, contracts: dict[str, dict], day: date, levels: Levels) -> dict:
    """Per contract, every account whose position at the end of `day` (UTC), or at its peak
    during the day, reached the product's reportable level: long, short, net, peak, its share
    of the contract's open interest, and whether it is above the accountability level.

    `contracts`: symbol -> {"product", "settled_at"} where settled_at is the time (ns) after
    which the contract's positions are closed by its final settlement (None while listed)."""
    start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * NS
    end = start + 86_400 * NS
    positions: dict[tuple[str, str], int] = defaultdict(int)
    peak: dict[tuple[str, str], int] = {}
    for _, ts, account, symbol, delta in position_changes(store):
        if ts >= end:
            break
        key = (symbol, account)
        if ts >= start and key not in peak:
            peak[key] = abs(positions[key])  # what it held coming into the day
        positions[key] += delta
        if ts >= start:
            peak[key] = max(peak[key], abs(positions[key]))
    for key, qty in positions.items():  # held through the day without a trade
        peak.setdefault(key, abs(qty))
    for (symbol, account) in list(positions):
        settled = contracts.get(symbol, {}).get("settled_at")
        if settled is not None and settled < end:
            positions[(symbol, account)] = 0
            if settled < start:
                peak[(symbol, account)] = 0
    by_symbol: dict[str, list[dict]] = defaultdict(list)
    open_interest: dict[str, int] = defaultdict(int)
    for (symbol, _), qty in positions.items():
        open_interest[symbol] += max(qty, 0)
    for (symbol, account), qty in sorted(positions.items()):
        product = contracts.get(symbol, {}).get("product", symbol[:3])
        level = levels.reportable_for(product)
        top = peak.get((symbol, account), abs(qty))
        if abs(qty) < level and top < level:
            continue
        oi = open_interest[symbol]
        by_symbol[symbol].append({
            "account": account, "long": max(qty, 0), "short": max(-qty, 0), "net": qty, "peak": top,
            "share_of_open_interest": f"{abs(qty) * 10_000 // oi / 10_000:.4f}" if oi else "0.0000",
            "reported_for": "end_of_day" if abs(qty) >= level else "peak",
            "above_accountability_level": max(abs(qty), top) >= levels.accountability_for(product)})
    products = sorted({c.get("product", s[:3]) for s, c in contracts.items()})
    return {"date": day.isoformat(),
            "levels": {p: {"reportable": levels.reportable_for(p),
                           "accountability": levels.accountability_for(p)} for p in products},
            "contracts": [{"symbol": s, "product": contracts.get(s, {}).get("product", s[:3]),
                           "open_interest": open_interest[s], "traders": rows}
                          for s, rows in sorted(by_symbol.items())]}


LARGE_TRADER_COLUMNS = ("date", "symbol", "product", "account", "long", "short", "net", "peak",
                        "open_interest", "share_of_open_interest", "reported_for",
                        "above_accountability_level")


def large_traders_csv(report: dict) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, LARGE_TRADER_COLUMNS, lineterminator="\n")
    w.writeheader()
    for c in report["contracts"]:
        for row in c["traders"]:
            w.writerow({"date": report["date"], "symbol": c["symbol"], "product": c["product"],
                        "open_interest": c["open_interest"], **row})
    return out.getvalue()


def contracts_of(venue: Venue) -> dict[str, dict]:
    """symbol -> product and, once expired, when its positions were closed (its last trading
    time: nothing trades between it and the final settlement that follows)."""
    return {m.spec.symbol: {"product": m.spec.product.code,
                            "settled_at": m.spec.last_trade_ts if m.state == "expired" else None}
            for m in venue.markets()}
