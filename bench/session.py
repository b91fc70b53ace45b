"""`sitex bench session`: a market session against the bare venue replaying its commands.

The session: the default one (`SessionConfig(hours, seed)`: 5 market makers and 200 other
agents, the default clearinghouse), timed as the session times itself (`events_per_s` of
`sitex simulate --json`). Every command it submits to the venue is recorded in order (the
market makers' rebate reviews are commands too).

The baseline, in the same process: a fresh venue with a fresh default clearinghouse replays
exactly that stream, timed. Its events per second are what the venue and clearing alone do on
the session's commands; the ratio session / venue-alone is the share of the session's time the
venue does the work (the rest: agents, scheduler, latency, market data, obligations, the log).
The replay must give the same events, one by one, and the same venue digest (exit 1 if not).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time

from clearing.factory import default_clearinghouse
from exchange.venue import Venue
from marketmakers.session import Session, SessionConfig

TARGET = 150_000  # venue events/s for a session with 5 makers and 200 others (issue 4)
# ABIDES messages/s on this kind of machine (issue 4), for reference; ABIDES counts every
# message to and from its exchange, so the session's figure to set beside it is commands + events
ABIDES = (17_000, 31_000)
GC_THRESHOLD = 200_000  # the session's own setting while its loop runs (Session.run)


def record_session(hours: float, seed: int) -> tuple[Session, dict, list]:
    """Run the default session, recording the commands it hands the venue, in order (every
    change of venue or clearing state is a command, the market makers' rebate reviews too).
    Returns the session, its summary and the commands."""
    session = Session(SessionConfig(hours=hours, seed=seed))
    commands: list = []
    submit = session._submit  # the runner calls self._submit(cmd) for every command

    def recording_submit(cmd):
        commands.append(cmd)
        return submit(cmd)

    session._submit = recording_submit
    gc.collect()
    summary = session.run().summary
    return session, summary, commands


def replay(commands: list) -> tuple[float, Venue, list]:
    """A fresh venue with a fresh default clearinghouse applies the stream. Returns the
    seconds taken, the venue and each command's events."""
    venue = Venue(gate=default_clearinghouse())
    submit = venue.submit
    out: list = []
    append = out.append
    threshold = gc.get_threshold()
    gc.collect()
    gc.set_threshold(GC_THRESHOLD, threshold[1], threshold[2])
    chunk = max(1, len(commands) // 100)  # frozen as often as the session freezes its log
    try:
        start = time.perf_counter()
        for i in range(0, len(commands), chunk):
            for cmd in commands[i:i + chunk]:
                append(submit(cmd))
            gc.freeze()
        seconds = time.perf_counter() - start
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
    return seconds, venue, out


def same_events(session: Session, replayed: list) -> bool:
    """Event by event, the session's log against the replay's events."""
    logged = session.log.events()
    sentinel = object()
    for events in replayed:
        for e in events:
            if next(logged, sentinel) != e:
                return False
    return next(logged, sentinel) is sentinel


def run_once(hours: float, seed: int) -> dict:
    session, summary, commands = record_session(hours, seed)
    seconds, venue, replayed = replay(commands)
    events = sum(len(e) for e in replayed)
    matches = (events == summary["events"] and venue.digest() == session.venue.digest()
               and same_events(session, replayed))
    return {"events": summary["events"], "commands": len(commands),
            "replay_events": events, "wall_s": session.wall_s, "venue_wall_s": seconds,
            "events_per_s": summary["events_per_s"], "venue_events_per_s": round(events / seconds),
            "messages_per_s": round((summary["events"] + summary["commands"]) / session.wall_s),
            "digest": summary["digest"], "replay_matches": matches}


def run(hours: float = 3.0, seed: int = 1, repeat: int = 1) -> dict:
    """`repeat` sessions, each with its replay; the medians of the timings."""
    runs = [run_once(hours, seed) for _ in range(repeat)]
    first = runs[0]
    eps = statistics.median(r["events_per_s"] for r in runs)
    venue_eps = statistics.median(r["venue_events_per_s"] for r in runs)
    mps = statistics.median(r["messages_per_s"] for r in runs)
    return {"hours": hours, "seed": seed, "repeat": repeat,
            "events": first["events"], "commands": first["commands"],
            "events_per_s": round(eps), "venue_events_per_s": round(venue_eps),
            "ratio": round(eps / venue_eps, 3), "messages_per_s": round(mps),
            "wall_s": round(statistics.median(r["wall_s"] for r in runs), 3),
            "venue_wall_s": round(statistics.median(r["venue_wall_s"] for r in runs), 3),
            "runs_events_per_s": [r["events_per_s"] for r in runs],
            "runs_venue_events_per_s": [r["venue_events_per_s"] for r in runs],
            "replay_matches": all(r["replay_matches"] for r in runs),
            "deterministic": len({r["digest"] for r in runs}) == 1,
            "digest": first["digest"],
            "target_events_per_s": TARGET, "target_ratio": round(eps / TARGET, 3),
            "abides_messages_per_s": list(ABIDES), "abides_multiple": round(mps / ABIDES[1], 1),
            "python": sys.version.split()[0]}


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="sitex bench session", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--hours", type=float, default=3.0, help="simulated hours of the session")
    ap.add_argument("--seed", type=int, default=1, help="root seed of the session")
    ap.add_argument("--repeat", type=int, default=1, help="sessions run; the medians are reported")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    if not 0 < args.hours <= 8_760 or args.seed < 0 or args.repeat < 1:
        ap.error("--hours must be > 0 and at most 8760 (a year), --seed >= 0, --repeat >= 1")
    r = run(args.hours, args.seed, args.repeat)
    ok = r["replay_matches"] and r["deterministic"]
    if args.json:
        print(json.dumps(r))
        return 0 if ok else 1
    print(f"session: {r['hours']:g} h, seed {r['seed']}, default agents (5 makers, 200 others): "
          f"{r['events']:,} events from {r['commands']:,} commands"
          + (f", median of {r['repeat']} runs" if r["repeat"] > 1 else ""))
    print(f"{'':34}{'events/s':>12}{'wall s':>9}")
    print(f"{'session (agents + venue)':34}{r['events_per_s']:>12,}{r['wall_s']:>9.3f}")
    print(f"{'venue + clearing alone (replay)':34}{r['venue_events_per_s']:>12,}{r['venue_wall_s']:>9.3f}")
    print(f"  ratio session / venue alone: {r['ratio']:.2f} (the venue's share of the session's time)")
    print(f"  target: {TARGET:,} events/s ({r['target_ratio']:.2f}x of it); ABIDES for reference: "
          f"{ABIDES[0]:,}-{ABIDES[1]:,} messages/s; the session's {r['messages_per_s']:,} messages/s "
          f"(commands + events) are {r['abides_multiple']:.1f}x its upper end")
    print(f"  replay gives the same events and digest: {'yes' if r['replay_matches'] else 'NO'}"
          + ("" if r["deterministic"] else "; the runs' digests DIFFER"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
