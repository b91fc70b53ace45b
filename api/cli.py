"""The `sitex` command line.

Subcommands are a table of name -> "module:function"; each function takes the remaining
arguments (a list of strings) and returns an exit code. Adding a subcommand is two lines: one
in COMMANDS, one in PARSERS (the function that builds its argparse parser, with help text for
every option and argparse.ArgumentDefaultsHelpFormatter: tests/test_cli.py walks them all). A
two-word command's first word alone (`sitex bench`) lists the commands it starts.
"""

from __future__ import annotations

import argparse
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
    "report large-traders": ("api.report_commands:large_traders_main", "the large-trader report of a day, rebuilt from a journal"),
    "report audit": ("api.report_commands:audit_main", "every order event, rebuilt from a journal (CSV or Parquet)"),
    "bench memory": ("api.bench_memory:main", "the server's resident memory under a sustained order load"),
}


PARSERS: dict[str, str] = {
    # name: "module:function" returning the command's argparse parser
    "demo": "api.demo:parser",
    "bench engine": "bench.engine:parser",
    "bench margin": "bench.margin:parser",
    "bench gate": "bench.gate:parser",
    "bench session": "bench.session:parser",
    "simulate": "api.simulate:parser",
    "backtest-margin": "api.backtest_margin:parser",
    "hedge": "marketmakers.hedging.command:build_parser",
    "bench hedge": "bench.hedge:parser",
    "serve": "api.serve:parser",
    "agents": "api.agents:parser",
    "bench api": "api.bench:parser",
    "report large-traders": "api.report_commands:large_traders_parser",
    "report audit": "api.report_commands:audit_parser",
    "bench memory": "api.bench_memory:parser",
    "sweep": "api.sweep.command:build_parser",
    "bench sweep": "bench.sweep:parser",
}


def usage(group: str | None = None) -> str:
    """Every command, or those a group word starts (`bench`: `bench engine`, `bench api`...)."""
    names = [n for n in COMMANDS if group is None or n.split()[0] == group]
    width = max(len(n) for n in names)
    head = f"sitex {group} COMMAND" if group else "sitex COMMAND"
    lines = [f"usage: {head} [ARGS...]   (sitex COMMAND --help for its options)", ""]
    lines += [f"  {name:<{width}}  {COMMANDS[name][1]}" for name in names]
    return "\n".join(lines)


def groups() -> set[str]:
    """The first words of the two-word commands: bench, report."""
    return {n.split()[0] for n in COMMANDS if " " in n}


def parser_for(name: str) -> argparse.ArgumentParser:
    """The argparse parser of a command (PARSERS)."""
    module_name, func_name = PARSERS[name].split(":")
    return getattr(importlib.import_module(module_name), func_name)()


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
    if name is None and argv[0] in groups():
        if len(argv) == 1 or argv[1] in ("-h", "--help", "help"):
            print(usage(argv[0]))
            return 0
        print(f"sitex: unknown command {' '.join(argv[:2])!r}\n\n{usage(argv[0])}", file=sys.stderr)
        return 2
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
