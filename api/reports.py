"""The regulator's reports: large traders with position accountability, and the audit trail.

Both are rebuilt from events, never from a second bookkeeping: the large-trader report from
the fills the order store folds (the live server's own store, or one rebuilt by replaying a
journal: the same function on the same kind of data, so the two agree), the audit trail from
a replay of the journal, which holds every command the venue was given (received ones,
rejected ones too). docs/regulation.md says what each holds and which rule it follows.

    sitex report large-traders --journal PATH [--date D] [--format json|csv] [--level SIT=25]
    sitex report audit --journal PATH [--account A] [--symbol S] [--from T] [--to T]
                                      [--format csv|parquet] --out FILE
    GET /v1/admin/reports/large-traders?date=D[&format=csv][&level=SIT:25][&accountability=SIT:500]
    GET /v1/admin/reports/audit?account=&symbol=&from=&to=&after=&limit=
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import pickle
import sqlite3
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

from fastapi import FastAPI, Query, Response

from api import wire
from api.errors import ApiError
from api.serve import load_gate
from api.store import OrderStore
from clearing.reasons import Reason
from exchange.commands import command_from_record
from exchange.orders import OrderType, Side, TimeInForce
from exchange.venue import Venue

if TYPE_CHECKING:
    from api.service import Service

NS = 1_000_000_000
REPORTABLE = 25  # lots: CFTC-style reportable level, per product unless configured
# Accountability levels sit below the clearinghouse's hard limits (clearing/config.py: 5,000
# lots in any contract, 1,000 in the spot month): a trader above one is asked about the
# position, not refused.
ACCOUNTABILITY = 500


# ---------------------------------------------------------------------- levels


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


# ---------------------------------------------------------------------- large traders


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


# ---------------------------------------------------------------------- the journal, replayed


def read_commands(path: str) -> Iterator:
    """Every command of a journal file, in order, read-only (a running server may be writing
    it: SQLite's write-ahead log lets a reader see the batches committed so far). The storage
    is exchange/journal.py's: table `batches`, each row a pickled list of command records."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for (blob,) in db.execute("SELECT records FROM batches ORDER BY id"):
            for record in pickle.loads(blob):
                yield command_from_record(record)
    finally:
        db.close()


def replay(path: str, gate) -> Iterator[tuple[int, object, list, Venue]]:
    """(position in the journal from 1, command, its events, the venue) for every command."""
    venue = Venue(gate=gate)
    for n, cmd in enumerate(read_commands(path), 1):
        yield n, cmd, venue.submit(cmd), venue


def rebuild(path: str, gate) -> tuple[OrderStore, Venue]:
    """The order store and venue a server on this journal would serve."""
    store = OrderStore()
    venue = None
    for _, _, events, venue in replay(path, gate):
        store.apply(events)
    return store, venue if venue is not None else Venue(gate=gate)


# ---------------------------------------------------------------------- the audit trail


AUDIT_COLUMNS = ("position", "seq", "ts", "time", "event", "account", "symbol", "order_id",
                 "client_order_id", "side", "type", "time_in_force", "price", "stop_price", "qty",
                 "remaining", "trade_id", "role", "reason", "text")
_ORDER_COMMANDS = {"new": "received", "cancel": "cancel_requested", "amend": "amend_requested",
                   "cancel_all": "cancel_all_requested"}
_SIDE = {int(s): s.wire for s in Side}
_TYPE = {int(t): t.wire for t in OrderType}
_TIF = {int(t): t.wire for t in TimeInForce}


def _wire(table: dict, value):
    try:
        return table.get(int(value), value)
    except (TypeError, ValueError):
        return value


def audit_rows(path: str, gate) -> Iterator[dict]:
    """Every order event of a journal: each order command as received (with its journal
    position, no event seq), then what the venue made of it: accepted, rejected with the
    reason, amended, triggered, filled (one row per side), cancelled, expired."""
    ticks: dict[str, object] = {}

    def price(symbol, value, venue):
        if not isinstance(value, int) or isinstance(value, bool) or symbol is None:
            return value
        if symbol not in ticks:
            try:
                ticks[symbol] = venue.contract(symbol).product.tick_size
            except KeyError:
                return value
        return wire.ticks_to_price(value, ticks[symbol])

    for n, cmd, events, venue in replay(path, gate):
        base = {"position": n}
        received = _ORDER_COMMANDS.get(getattr(cmd, "tag", None))
        if received:
            symbol = getattr(cmd, "symbol", None)
            yield base | {"seq": None, "ts": getattr(cmd, "ts", None), "event": received,
                          "account": getattr(cmd, "account", None), "symbol": symbol,
                          "order_id": getattr(cmd, "order_id", None),
                          "client_order_id": getattr(cmd, "client_order_id", None),
                          "side": _wire(_SIDE, getattr(cmd, "side", None)),
                          "type": _wire(_TYPE, getattr(cmd, "type", None)),
                          "time_in_force": _wire(_TIF, getattr(cmd, "tif", None)),
                          "price": price(symbol, getattr(cmd, "price", None), venue),
                          "stop_price": price(symbol, getattr(cmd, "stop_price", None), venue),
                          "qty": getattr(cmd, "qty", None)}
        for e in events:
            kind = e.kind
            row = base | {"seq": e.seq, "ts": e.ts, "event": kind}
            if kind == "fill":
                for role, account, oid, side, remaining in (
                        ("maker", e.maker_account, e.maker_order_id, -e.aggressor, e.maker_remaining),
                        ("taker", e.taker_account, e.taker_order_id, e.aggressor, e.taker_remaining)):
                    yield row | {"account": account, "symbol": e.symbol, "order_id": oid,
                                 "side": _SIDE[side], "price": price(e.symbol, e.price, venue),
                                 "qty": e.qty, "remaining": remaining, "trade_id": e.trade_id,
                                 "role": role}
            elif kind == "rejected":
                if e.command in _ORDER_COMMANDS:
                    yield row | {"account": e.account, "symbol": e.symbol, "order_id": e.order_id,
                                 "client_order_id": e.client_order_id,
                                 "reason": Reason(e.reason).name, "text": e.text}
            elif kind in ("order_accepted", "order_cancelled", "order_expired", "order_amended",
                          "order_triggered"):
                d = e.to_dict()
                yield row | {"account": d["account"], "symbol": d["symbol"], "order_id": d["order_id"],
                             "client_order_id": d.get("client_order_id"),
                             "side": _wire(_SIDE, d.get("side")), "type": _wire(_TYPE, d.get("type")),
                             "time_in_force": _wire(_TIF, d.get("tif")),
                             "price": price(d["symbol"], d.get("price"), venue),
                             "stop_price": price(d["symbol"], d.get("stop_price"), venue),
                             "qty": d.get("qty"), "remaining": d.get("remaining"),
                             "reason": d.get("reason") if kind == "order_cancelled" else None}


@dataclass(frozen=True)
class AuditFilter:
    account: str | None = None
    symbol: str | None = None
    start: int | None = None  # ns, inclusive
    end: int | None = None  # ns, exclusive

    def keeps(self, row: dict) -> bool:
        ts = row["ts"]
        return ((self.account is None or row.get("account") == self.account)
                and (self.symbol is None or row.get("symbol") == self.symbol)
                and (self.start is None or (ts is not None and ts >= self.start))
                and (self.end is None or (ts is not None and ts < self.end)))


def audit(path: str, gate, keep: AuditFilter) -> Iterator[dict]:
    for row in audit_rows(path, gate):
        if keep.keeps(row):
            yield {c: row.get(c) for c in AUDIT_COLUMNS[:3]} | {
                "time": _iso(row["ts"])} | {c: row.get(c) for c in AUDIT_COLUMNS[4:]}


def _iso(ns: int | None) -> str | None:
    if ns is None:
        return None
    return (datetime.fromtimestamp(ns // NS, UTC) + timedelta(microseconds=ns % NS // 1000)).isoformat()


def write_audit(rows: Iterable[dict], out, fmt: str) -> int:
    """CSV to a text stream, or Parquet (pyarrow, `pip install 'sitex[parquet]'`) to a path."""
    if fmt == "parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise SystemExit("sitex report audit: Parquet needs pyarrow (pip install 'sitex[parquet]')") from None
        rows = list(rows)
        schema = pa.schema([(c, pa.int64() if c in ("position", "seq", "ts", "order_id", "qty",
                                                      "remaining", "trade_id") else pa.string())
                            for c in AUDIT_COLUMNS])
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), out)
        return len(rows)
    w = csv.DictWriter(out, AUDIT_COLUMNS, lineterminator="\n")
    w.writeheader()
    n = 0
    for row in rows:
        w.writerow(row)
        n += 1
    return n


def parse_time(text: str | None) -> int | None:
    """ns since the epoch from an integer or an ISO 8601 date or time (UTC unless it says)."""
    if text is None:
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a time: {text!r} (ns since the epoch, or ISO 8601)") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return int(t.timestamp()) * NS + t.microsecond * 1000


# ---------------------------------------------------------------------- the API


def install(app: FastAPI, service: Service, admin, problems: dict) -> None:
    """GET /v1/admin/reports/large-traders and /v1/admin/reports/audit (admin key); `problems`:
    the error answers every route documents (RFC 9457)."""
    json_or_csv = {200: {"description": "the report", "content": {"application/json": {},
                                                                   "text/csv": {}}}}
    try:  # a pristine copy of the gate, before the journal is replayed: the audit replays it
        pristine = pickle.dumps(service.venue.gate)
    except (pickle.PicklingError, TypeError, AttributeError):
        pristine = None

    @app.get("/v1/admin/reports/large-traders", tags=["admin"], dependencies=[admin],
             responses=json_or_csv | problems)
    async def large_trader_report(
            date_: Annotated[date | None, Query(alias="date", description="UTC day, YYYY-MM-DD (default: today)")] = None,
            format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
            level: Annotated[list[str] | None, Query(description="PRODUCT:LOTS reportable level")] = None,
            accountability: Annotated[list[str] | None, Query(description="PRODUCT:LOTS")] = None):
        """Large traders of one day, per contract (docs/regulation.md)."""
        await service.settled()
        contracts = contracts_of(service.venue)
        try:
            levels = Levels(parse_levels(level or (), ":"), parse_levels(accountability or (), ":"))
            levels.check(contracts)
        except ValueError as exc:
            raise ApiError(422, Reason.INVALID_COMMAND, str(exc)) from None
        day = date_ or datetime.now(UTC).date()
        report = large_traders(service.store, contracts, day, levels)
        if format == "csv":
            return Response(large_traders_csv(report), media_type="text/csv")
        return report

    @app.get("/v1/admin/reports/audit", tags=["admin"], dependencies=[admin], responses=problems)
    async def audit_report(
            account: str | None = None, symbol: str | None = None,
            from_: Annotated[str | None, Query(alias="from", description="ns or ISO 8601")] = None,
            to: Annotated[str | None, Query(description="ns or ISO 8601, exclusive")] = None,
            after: Annotated[int, Query(ge=0, description="rows already read: the next page starts after them")] = 0,
            limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> dict:
        """The audit trail rebuilt by replaying the journal: every order event with its journal
        position, sequence number and time. Page with `after` = the `next` of the last page."""
        if service.journal_path is None:
            raise ApiError(409, Reason.INVALID_COMMAND,
                           "the audit trail is rebuilt from the journal: start the server with --journal")
        if pristine is None:
            raise ApiError(409, Reason.INVALID_COMMAND, "this server's risk gate cannot be copied for a replay")
        try:
            keep = AuditFilter(account, symbol, parse_time(from_), parse_time(to))
        except ValueError as exc:
            raise ApiError(422, Reason.INVALID_COMMAND, str(exc)) from None

        def page() -> tuple[list[dict], bool]:
            rows = []
            for i, row in enumerate(audit(service.journal_path, pickle.loads(pristine), keep)):
                if i >= after + limit:
                    return rows, True
                if i >= after:
                    rows.append(row)
            return rows, False

        rows, more = await asyncio.to_thread(page)
        return {"rows": rows, "next": after + len(rows) if more else None}


# ---------------------------------------------------------------------- the command line


def _gate(spec: str):
    if spec != "permissive" and not (len(spec.split(":")) == 2 and all(spec.split(":"))):
        raise ValueError(f"--gate is 'permissive' or MODULE:FACTORY, got {spec!r}")
    return load_gate(spec)


def _common(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--journal", required=True, help="the server's SQLite journal")
    ap.add_argument("--gate", default="clearing.factory:default_clearinghouse", metavar="MODULE:FACTORY",
                    help="the risk gate the server ran with (as sitex serve --gate)")
    ap.add_argument("--out", default="-", help="file to write ('-': standard output)")


def large_traders_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="sitex report large-traders",
                                 description="Large traders of one day, per contract, from a journal",
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    _common(ap)
    ap.add_argument("--date", type=date.fromisoformat, default=None,
                    help="UTC day YYYY-MM-DD (None: the day of the journal's last command)")
    ap.add_argument("--format", choices=("json", "csv"), default="json", help="output format")
    ap.add_argument("--level", action="append", default=[], metavar="PRODUCT=LOTS",
                    help=f"reportable level, repeatable (none given: {REPORTABLE} lots in every product)")
    ap.add_argument("--accountability", action="append", default=[], metavar="PRODUCT=LOTS",
                    help=f"position accountability level, repeatable (none given: {ACCOUNTABILITY} lots)")
    return ap


def large_traders_main(argv: list[str] | None = None) -> int:
    args = large_traders_parser().parse_args(argv)
    try:
        levels = Levels(parse_levels(args.level, "="), parse_levels(args.accountability, "="))
        store, venue = rebuild(args.journal, _gate(args.gate))
        contracts = contracts_of(venue)
        levels.check(contracts)
    except (ValueError, sqlite3.Error) as exc:
        print(f"sitex report large-traders: {exc}", file=sys.stderr)
        return 2
    day = args.date or datetime.fromtimestamp(venue.clock // NS, UTC).date()
    report = large_traders(store, contracts, day, levels)
    text = large_traders_csv(report) if args.format == "csv" else json.dumps(report, indent=2) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    try:
        with open(args.out, "w") as f:
            f.write(text)
    except OSError as exc:
        print(f"sitex report large-traders: cannot write --out {args.out}: {exc.strerror}",
              file=sys.stderr)
        return 2
    return 0


def audit_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="sitex report audit",
                                 description="Every order event, rebuilt by replaying a journal",
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    _common(ap)
    ap.add_argument("--account", help="only this account's orders (None: every account)")
    ap.add_argument("--symbol", help="only this contract's orders (None: every contract)")
    ap.add_argument("--from", dest="start",
                    help="ns since the epoch or ISO 8601, inclusive (None: from the first event)")
    ap.add_argument("--to", dest="end",
                    help="ns since the epoch or ISO 8601, exclusive (None: to the last event)")
    ap.add_argument("--format", choices=("csv", "parquet"), default="csv",
                    help="output format (parquet needs pyarrow and --out)")
    return ap


def audit_main(argv: list[str] | None = None) -> int:
    args = audit_parser().parse_args(argv)
    if args.format == "parquet" and args.out == "-":
        print("sitex report audit: Parquet needs a file (--out PATH)", file=sys.stderr)
        return 2
    try:
        keep = AuditFilter(args.account, args.symbol, parse_time(args.start), parse_time(args.end))
        rows = audit(args.journal, _gate(args.gate), keep)
        if args.format == "parquet":
            n = write_audit(rows, args.out, "parquet")
        elif args.out == "-":
            n = write_audit(rows, sys.stdout, "csv")
        else:
            with open(args.out, "w", newline="") as f:
                n = write_audit(rows, f, "csv")
    except (ValueError, sqlite3.Error) as exc:
        print(f"sitex report audit: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"sitex report audit: cannot write --out {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"sitex report audit: {n} rows", file=sys.stderr)
    return 0
