"""`sitex serve`: run the REST and WebSocket service under uvicorn."""

from __future__ import annotations

import argparse
import importlib
import math
import os
import subprocess
import sys

from api import limits

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="sitex serve", description=__doc__,
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on")
    ap.add_argument("--port", type=int, default=8000, help="TCP port to listen on")
    ap.add_argument("--journal", default=None,
                    help="SQLite journal path (durable; replayed on start); None: in memory only")
    ap.add_argument("--index-source", choices=("feed", "admin"), default="feed",
                    help="feed: the simulated provider feed publishes SIT and GPU; "
                         "admin: providers submit quotes through POST /v1/admin/provider-quotes "
                         "(docs/api.md, \"Index source\")")
    ap.add_argument("--rate-limit", type=float, default=200.0,
                    help="requests/s per account, all its keys together (0: no limits at all)")
    ap.add_argument("--burst", type=int, default=400,
                    help="requests an account may send at once above its rate")
    ap.add_argument("--admin-rate-limit", type=float, default=None,
                    help="requests/s of the admin key, a bucket of its own (None: --rate-limit)")
    ap.add_argument("--admin-burst", type=int, default=None,
                    help="the admin key's burst (None: --burst)")
    ap.add_argument("--anonymous-rate-limit", type=float, default=None,
                    help="requests/s per client address without a valid key (None: --rate-limit)")
    ap.add_argument("--anonymous-burst", type=int, default=None,
                    help="burst per client address without a valid key (None: --burst)")
    ap.add_argument("--idempotency-seconds", type=float, default=86_400.0,
                    help="how long an Idempotency-Key's first answer is kept")
    ap.add_argument("--retention", type=float, default=3_600.0,
                    help="seconds a closed order or a fill stays in memory; older ones are read "
                         "from the history beside the journal")
    ap.add_argument("--snapshot-every", type=int, default=100_000,
                    help="journal commands between state snapshots (0: only on request)")
    ap.add_argument("--cycle", type=float, default=1.0,
                    help="seconds between time/index/mark cycles (0: none)")
    ap.add_argument("--agents", action="store_true",
                    help="also run a market session against this server (sitex agents)")
    ap.add_argument("--gate", default="clearing.factory:default_clearinghouse", metavar="MODULE:FACTORY",
                    help="the risk gate: the clearinghouse with SPAN-like margin by default; "
                         "'permissive' for no margin and no cash")
    ap.add_argument("--ws-deflate", action="store_true",
                    help="accept permessage-deflate on WebSockets (off by default: on small "
                         "order and book messages compression costs more CPU than it saves bytes)")
    ap.add_argument("--max-body", type=int, default=limits.MAX_BODY,
                    help="bytes a request body may have (413 PAYLOAD_TOO_LARGE over it)")
    ap.add_argument("--max-json-depth", type=int, default=limits.MAX_DEPTH,
                    help="nesting of a JSON body or WebSocket message (422 JSON_TOO_DEEP over it)")
    ap.add_argument("--log-level", default="warning", type=str.lower, choices=LOG_LEVELS,
                    help="debug, info, warning, error or critical")
    ap.add_argument("--log-format", choices=("text", "json"), default="text",
                    help="json: one JSON object a line, a request id per request (echoed in "
                         "X-Request-Id), never a key or secret")
    return ap


def check(ap: argparse.ArgumentParser, args) -> None:
    """Refuse a value the server would take and misbehave on (or crash on later) with
    argparse's usage error, naming the option."""
    finite = math.isfinite
    bad = [name for name, ok in (
        ("--port must be from 0 to 65535", 0 <= args.port <= 65_535),
        ("--rate-limit must be >= 0", finite(args.rate_limit) and args.rate_limit >= 0),
        ("--burst must be >= 1", args.burst >= 1),
        ("--admin-rate-limit must be >= 0",
         args.admin_rate_limit is None or finite(args.admin_rate_limit) and args.admin_rate_limit >= 0),
        ("--admin-burst must be >= 1", args.admin_burst is None or args.admin_burst >= 1),
        ("--anonymous-rate-limit must be >= 0", args.anonymous_rate_limit is None
         or finite(args.anonymous_rate_limit) and args.anonymous_rate_limit >= 0),
        ("--anonymous-burst must be >= 1", args.anonymous_burst is None or args.anonymous_burst >= 1),
        ("--idempotency-seconds must be >= 0",
         finite(args.idempotency_seconds) and args.idempotency_seconds >= 0),
        ("--retention must be >= 0", finite(args.retention) and args.retention >= 0),
        ("--snapshot-every must be >= 0", args.snapshot_every >= 0),
        ("--cycle must be >= 0", finite(args.cycle) and args.cycle >= 0),
        ("--max-body must be >= 1", args.max_body >= 1),
        ("--max-json-depth must be >= 1", args.max_json_depth >= 1),
    ) if not ok]
    if bad:
        ap.error("; ".join(bad))


def load_gate(spec: str):
    """The risk gate `--gate MODULE:FACTORY` names (None: permissive); ValueError when it
    cannot be loaded (sitex serve and sitex report take the same option)."""
    if spec == "permissive":
        return None
    module, sep, factory = spec.partition(":")
    if not (module and sep and factory) or ":" in factory:
        raise ValueError(f"--gate is 'permissive' or MODULE:FACTORY, got {spec!r}")
    try:
        make = getattr(importlib.import_module(module), factory)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ValueError(f"--gate {spec}: cannot load it ({exc})") from None
    return make()


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    check(ap, args)
    import sqlite3

    import uvicorn

    from api import logs
    from api.app import Settings, create_app
    from api.logs import RequestIds

    try:
        gate = load_gate(args.gate)
    except ValueError as exc:
        ap.error(str(exc))
    settings = Settings(journal=args.journal, index_source=args.index_source, rate=args.rate_limit,
                        burst=args.burst, cycle_seconds=args.cycle, gate=gate,
                        snapshot_every=args.snapshot_every, max_body=args.max_body,
                        max_json_depth=args.max_json_depth, admin_rate=args.admin_rate_limit,
                        admin_burst=args.admin_burst, anonymous_rate=args.anonymous_rate_limit,
                        anonymous_burst=args.anonymous_burst,
                        idempotency_seconds=args.idempotency_seconds,
                        retention_seconds=args.retention)
    try:
        app = create_app(settings)
    except (sqlite3.Error, OSError) as exc:  # a journal path that cannot be opened
        print(f"sitex serve: cannot open the journal {args.journal}: {exc}", file=sys.stderr)
        return 1
    admin_key = app.state.admin.key
    logs.configure(args.log_format, args.log_level, secrets=(admin_key,))
    if args.log_format == "json":
        app.add_middleware(RequestIds)
        if app.state.admin.reveal_once():  # a generated key is shown in text mode only
            logs.log.warning("SITEX_ADMIN_KEY is not set: the admin key generated for this run "
                             "is not logged; set SITEX_ADMIN_KEY to choose it")
    agents = None
    if args.agents:  # a child process, so the agents cost the venue's process nothing
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
        env = dict(os.environ, SITEX_ADMIN_KEY=admin_key)
        agents = subprocess.Popen([sys.executable, "-m", "sitex", "agents", "--server",
                                   f"http://{host}:{args.port}", "--seconds", "0"], env=env)
    logs.log.warning("serving on http://%s:%s (the dashboard at /, docs at /docs)", args.host, args.port)
    try:
        # the logging set up above (log_config=None); JSON mode writes its own access lines
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, log_config=None,
                    access_log=args.log_format != "json", ws_max_size=1 << 20,
                    ws_per_message_deflate=args.ws_deflate)
    finally:
        if agents is not None:
            agents.terminate()
            agents.wait(10)
    return 0
