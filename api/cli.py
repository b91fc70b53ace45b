"""The `sitex` command line.

Subcommands are a table of name -> "module:function"; each function takes the remaining
arguments (a list of strings) and returns an exit code. Adding a subcommand is one line.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    # name: ("module:function", one-line help)
    "demo": ("api.demo:main", "a short in-process trading demo: a book, trades, a cancel"),
    "bench engine": ("bench.engine:main", "the matching engine against a bare baseline book"),
    "bench margin": ("bench.margin:main", "vectorised margin against a per-account loop"),
    "bench gate": ("bench.gate:main", "the clearinghouse's pre-trade check with and without its fast path"),
    "bench session": ("bench.session:main", "a market session against the bare venue replaying its commands"),
    "simulate": ("api.simulate:main", "an agent-based market session with a report (--server URL: against a live server)"),
    "backtest-margin": ("api.backtest_margin:main", "margin coverage back-test per scenario"),
    "hedge": ("marketmakers.hedging.command:main", "the hedging study: an enterprise's compute bill hedged with futures"),
    "bench hedge": ("bench.hedge:main", "the hedging study against the floor of drawing its random numbers"),
    "sweep": ("api.sweep.command:main", "a grid of hedging studies or market sessions on Dask (docs/sweeps.md)"),
    "bench sweep": ("bench.sweep:main", "16 cells in this process and on a 2-process LocalCluster: the speed-up"),
    "serve": ("api.serve:main", "the REST and WebSocket service"),
    "agents": ("api.agents:main", "a small market session against a live server (--server URL)"),
    "bench api": ("api.bench:main", "REST and WebSocket order entry: orders/s and latency"),
    "report large-traders": ("api.reports:large_traders_main", "the large-trader report of a day, rebuilt from a journal"),
    "report audit": ("api.reports:audit_main", "every order event, rebuilt from a journal (CSV or Parquet)"),
}


def usage() -> str:
    width = max(len(n) for n in COMMANDS)
    lines = ["usage: sitex COMMAND [ARGS...]   (sitex COMMAND --help for its options)", ""]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def resolve(argv: list[str]) -> tuple[str | None, list[str]]:
    """The longest command name that prefixes argv (so `bench engine --ops 5` works)."""
    for n in (2, 1):
        name = " ".join(argv[:n])
        if len(argv) >= n and name in COMMANDS:
            return name, argv[n:]
    return None, argv


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    name, rest = resolve(argv)
    if name is None:
        print(f"sitex: unknown command {' '.join(argv[:2])!r}\n\n{usage()}", file=sys.stderr)
        return 2
    target, _ = COMMANDS[name]
    module_name, func_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            print(f"sitex: '{name}' is not available in this build ({module_name} missing)",
                  file=sys.stderr)
            return 2
        raise
    return int(getattr(module, func_name)(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
