"""The audit trail: every order event of a journal, rebuilt by replaying it (each order command
as received, with its journal position, then what the venue made of it), filtered by account,
contract and time, written as CSV or Parquet (docs/regulation.md)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from api import wire
from api.journal_replay import replay
from clearing.reasons import Reason
from clearing.types import NS_PER_SECOND as NS
from exchange.orders import OrderType, Side, TimeInForce

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
