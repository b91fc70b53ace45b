"""`sitex simulate`: run an agent-based market session and write its report.

With no arguments: one simulated trading day (24 h from 16:00 UTC) of the `baseline` scenario
with the default agents (5 market makers, 200 others), seed 1, report in ./sitex-session
(report.html holds the summary and the plots; the event log is events.csv.gz).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from marketmakers.agents.config import AgentsConfigError, default_agents, load_agents
from marketmakers.given_options import given
from marketmakers.page import PAGE
from marketmakers.report import format_summary, write_report
from marketmakers.scenarios import ScenarioError, list_scenarios, load_scenario
from marketmakers.session import Session, SessionConfig


EVENT_LOGS = {"gzip": "events.csv.gz", "csv": "events.csv"}
# the session clock's range: int64 nanoseconds since the epoch, and no time before it
CLOCK_FROM, CLOCK_TO = "1970-01-01", "2262-04-11"


def sit_scenarios() -> list[str]:
    return [n for n in list_scenarios() if load_scenario(n).index_name == "SIT"]


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="sitex simulate", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--scenario", default="baseline",
                    help=f"price scenario of the SIT fundamental: {', '.join(sit_scenarios())}")
    ap.add_argument("--seed", type=int, default=1, help="root seed of every random stream")
    ap.add_argument("--hours", type=float, default=24.0, help="simulated hours (without --days)")
    ap.add_argument("--days", type=int, default=0,
                    help="a session of D days instead: each day trades --window-hours before its "
                         "16:00 UTC fixing (end-of-day variation margin, daily settlement prices, "
                         "expiries as they fall), the clock jumping from one close to the next "
                         "open (docs/sessions.md, \"Sessions of many days\"); 0: --hours")
    ap.add_argument("--window-hours", type=float, default=SessionConfig.window_hours,
                    help="with --days: the trading window of each day, a multiple of 0.25")
    ap.add_argument("--agents", type=Path,
                    help="agents file (TOML, like marketmakers/agents/agents.toml); None: the "
                         "built-in population, 5 market makers and 200 others")
    ap.add_argument("--out", type=Path, default=Path("sitex-session"), help="report directory")
    ap.add_argument("--start", default=SessionConfig.start, help="session start, ISO 8601 UTC")
    ap.add_argument("--event-log", choices=tuple(EVENT_LOGS), default="gzip",
                    help="the event log's format: gzip (events.csv.gz, about 6x smaller) or csv "
                         "(events.csv); the digest is the SHA-256 of the same CSV text either way")
    ap.add_argument("--json", action="store_true", help="print one JSON object with the figures")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    refuse_contradictions(ap, args, given(build_parser, argv))
    return run(args)


def refuse_contradictions(ap: argparse.ArgumentParser, args, said: set[str]) -> None:
    """Options that contradict each other, refused with the usage error (exit 2) instead of
    one silently winning: a session's length is --hours or --days, and --window-hours is the
    window of each day of --days. `said`: the options the command line set (given_options)."""
    if args.days and "hours" in said:
        ap.error(f"--hours {args.hours:g} and --days {args.days} both set the session's length: "
                 f"give one (each day of --days trades --window-hours)")
    if "window_hours" in said and not args.days:
        ap.error(f"--window-hours {args.window_hours:g} without --days: it is the trading window "
                 f"of each day of --days D (a session of --hours trades throughout)")


def check_options(args, config: SessionConfig) -> None:
    """What the session would only trip over later (a traceback, or a report on a directory
    that is a file), refused first with a sentence naming the option."""
    if args.scenario not in sit_scenarios():
        known = "; a GPU-hour scenario, not a SIT one" if args.scenario in list_scenarios() else ""
        raise ValueError(f"unknown scenario {args.scenario!r}{known}; SIT scenarios: "
                         f"{', '.join(sit_scenarios())}")
    try:
        start_ns = config.start_ts()
    except ValueError:
        raise ValueError(f"--start must be an ISO 8601 time, got {args.start!r}") from None
    if not 0 <= start_ns <= start_ns + config.span_ns() < 2**63:
        raise ValueError(f"the session must fall between {CLOCK_FROM} and {CLOCK_TO} (its clock "
                         f"counts nanoseconds since 1970 in 64 bits): --start {args.start} and "
                         f"its length are out of that range")
    if args.out.exists() and not args.out.is_dir():
        raise ValueError(f"--out {args.out} is a file, not a directory")


def run(args) -> int:
    """The in-process session of parsed arguments; prints the summary, writes the report."""
    try:
        agents = load_agents(args.agents) if args.agents else default_agents()
        config = SessionConfig(scenario=args.scenario, seed=args.seed, hours=args.hours,
                               days=args.days, window_hours=args.window_hours, start=args.start,
                               agents=agents)
        check_options(args, config)
        args.out.mkdir(parents=True, exist_ok=True)
        log_path = args.out / EVENT_LOGS[args.event_log]
        with _progress(not args.no_progress) as progress:
            session = Session(config, progress=progress, log_path=log_path)
            record = session.run()
    except (AgentsConfigError, ScenarioError, ValueError, OSError) as e:
        print(f"sitex simulate: {e}", file=sys.stderr)
        return 2
    record.summary["event_log"] = log_path.name
    files = write_report(record, args.out, event_log=log_path)
    record.summary["report"] = str(args.out)
    if args.json:
        print(json.dumps(record.summary, sort_keys=True, default=_plain))
    else:
        print(format_summary(record.summary))
        print(f"report: {args.out}/{PAGE} (open it in a browser; beside it: "
              f"{', '.join(name for name in files if name != PAGE)})")
    return 0


class _progress:
    """A tqdm bar on stderr over the session's simulated time (off when stderr is no terminal)."""

    def __init__(self, enabled: bool):
        self.bar = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=100, unit="%", desc="simulating", file=sys.stderr, leave=False)

    def __enter__(self):
        if self.bar is None:
            return None

        def update(fraction: float) -> None:
            self.bar.update(round(fraction * 100) - self.bar.n)
            if fraction >= 1:  # the loop is done: the event log and the report follow
                self.bar.set_description("writing the report")

        return update

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()


def _plain(value):
    """numpy scalars and other non-JSON values in the summary."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)
