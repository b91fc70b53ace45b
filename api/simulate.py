"""`sitex simulate`: the in-process market session (marketmakers/simulate.py), or with
`--server URL` the same agents against a live server through the client (api/remote_session.py).

In the remote mode `--hours` is wall-clock time, the server's own clock; the server decides the
index, marks and margin, and the summary counts what the agents sent and received. The
in-process session's own options (IN_PROCESS_ONLY) are refused with `--server`, not dropped.
"""

from __future__ import annotations

import json
import math
import os
import sys

import httpx

from api.client import SitexError
from api.remote_session import run_remote
from marketmakers import simulate as local
from marketmakers.agents.config import AgentsConfigError, default_agents, load_agents
from marketmakers.given_options import given

# the in-process session's own options, refused with --server: (dest, flag, why)
IN_PROCESS_ONLY = (
    ("scenario", "--scenario", "the server publishes its own index; a price scenario drives "
                               "the in-process session's fundamental"),
    ("days", "--days", "a server keeps its own clock"),
    ("window_hours", "--window-hours", "a server keeps its own clock"),
    ("start", "--start", "a server keeps its own clock"),
    ("out", "--out", "the remote session writes no report: it prints its summary"),
    ("event_log", "--event-log", "the remote session writes no report: it prints its summary"),
)


def parser():
    ap = local.build_parser()
    ap.add_argument("--server",
                    help="run the agents against this server (http://host:port); None: in process")
    ap.add_argument("--admin-key", default=None,
                    help="the server's admin key, to open the agents' accounts (None: "
                         "SITEX_ADMIN_KEY from the environment)")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    said = given(parser, argv)
    if args.server is None:
        local.refuse_contradictions(ap, args, said)
        return local.run(args)
    for dest, flag, why in IN_PROCESS_ONLY:
        if dest in said:
            ap.error(f"{flag} {vars(args)[dest]} is for the in-process session, not with --server "
                     f"{args.server}: {why}")
    args.admin_key = args.admin_key or os.environ.get("SITEX_ADMIN_KEY")
    if not args.admin_key:
        print("sitex simulate: --server needs the admin key (--admin-key or SITEX_ADMIN_KEY)",
              file=sys.stderr)
        return 2
    if not (math.isfinite(args.hours) and args.hours > 0) or args.seed < 0:
        print("sitex simulate: --hours must be > 0 and --seed >= 0", file=sys.stderr)
        return 2
    try:
        agents = load_agents(args.agents) if args.agents else default_agents()
        summary = run_remote(args.server, args.admin_key, agents, args.hours * 3_600, args.seed)
    except AgentsConfigError as e:
        print(f"sitex simulate: {e}", file=sys.stderr)
        return 2
    except (OSError, httpx.HTTPError, SitexError) as e:
        print(f"sitex simulate: the server at {args.server} failed: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        print(f"sitex simulate --server {args.server}: {summary['commands']} commands, "
              f"{summary['fills']} fills, rejections {summary['rejections'] or 'none'} "
              f"in {summary['seconds']} s")
    return 0
