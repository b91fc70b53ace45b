"""The regulator's reports on the command line, rebuilt from a server's journal
(api/journal_replay.py):

    sitex report large-traders --journal PATH [--date D] [--format json|csv] [--level SIT=25]
    sitex report audit --journal PATH [--account A] [--symbol S] [--from T] [--to T]
                                      [--format csv|parquet] --out FILE
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from datetime import UTC, date, datetime

from api.audit_trail import AuditFilter, audit, parse_time, write_audit
from api.journal_replay import check_journal, rebuild
from api.large_traders import (
    ACCOUNTABILITY,
    REPORTABLE,
    Levels,
    contracts_of,
    large_traders,
    large_traders_csv,
    parse_levels,
)
from api.serve import load_gate
from clearing.types import NS_PER_SECOND as NS


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
        check_journal(args.journal)
        store, venue = rebuild(args.journal, load_gate(args.gate))
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
        check_journal(args.journal)  # before the output is opened: no report of a non-journal
        rows = audit(args.journal, load_gate(args.gate), keep)
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
