"""`sitex sweep GRID.toml`: a grid of hedging studies or market sessions, on Dask.

Runs every cell of the grid file (docs/sweeps.md) on a LocalCluster (the default), on an
existing Dask scheduler by its address, or in this process (`--scheduler none`); writes
results.parquet and results.csv as the cells complete, prints the figures averaged over the
seeds with their spread, and draws a PNG per figure.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from api.sweep.grid import GridError, load_grid
from api.sweep.plots import plot_figures
from api.sweep.results import (
    CSV,
    MANIFEST,
    PARQUET,
    ResultsError,
    ResultsWriter,
    read_results,
)
from api.sweep.runners import DaskRunner, InProcessRunner, SchedulerError
from api.sweep.summary import format_table, summarise
from api.sweep.sweep import run_sweep


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="sitex sweep", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("grid", type=Path, metavar="GRID.toml", help="the grid file (docs/sweeps.md)")
    ap.add_argument("--scheduler", default="local", metavar="local|none|ADDRESS",
                    help="local: start a LocalCluster on this machine; none: run the "
                         "cells one by one in this process; ADDRESS (tcp://host:8786): an "
                         "existing Dask scheduler")
    ap.add_argument("--workers", type=int, metavar="N",
                    help="local: worker processes (None: one per core); ADDRESS: wait until "
                         "N workers have joined")
    ap.add_argument("--out", type=Path, default=Path("sitex-sweep"), help="results folder")
    ap.add_argument("--resume", action="store_true",
                    help="add to the sweep in --out: skip the cells it already holds")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.workers is not None and args.workers < 1:
        return _refuse("--workers must be at least 1")
    if args.workers is not None and args.scheduler == "none":
        return _refuse("--workers is for a Dask scheduler (local or an address), not none")
    try:
        grid, cells = load_grid(args.grid)
    except GridError as e:
        return _refuse(str(e))
    try:
        writer = ResultsWriter(args.out, grid, args.resume)
    except ResultsError as e:
        return _refuse(str(e))
    say = _printer(args.json)
    try:
        runner = _runner(args.scheduler, args.workers)
    except SchedulerError as e:
        writer.close()
        print(f"sitex sweep: {e}", file=sys.stderr)
        return 1
    points = len(cells) // len(grid.seeds)
    say(f"sitex sweep: {grid.kind.name}, {points} point{'s' * (points != 1)} x "
        f"{len(grid.seeds)} seed{'s' * (len(grid.seeds) != 1)} = {len(cells)} cells "
        f"on {runner.description}")
    bar = _bar(len(cells), not args.no_progress)
    try:
        report = run_sweep(grid, cells, runner, writer, on_start=bar.start, on_outcome=bar)
    finally:
        bar.close()
        writer.close()
        runner.close()
    for f in report.failures():
        settings = ", ".join(f"{k}={v!r}" for k, v in f["settings"].items())
        print(f"sitex sweep: the cell {settings}{', ' if settings else ''}seed={f['seed']} "
              f"failed: {f['error']}", file=sys.stderr)
    points, files = [], []
    if (args.out / PARQUET).exists():
        table = read_results(args.out, [*grid.keys, "seed", *grid.figures])
        points = summarise(table, grid.keys, grid.figures, grid.values)
        files = [p.name for p in plot_figures(points, grid.keys, grid.figures, args.out,
                                              len(grid.seeds))]
    files = [CSV, PARQUET, MANIFEST, *files] if points else [MANIFEST]
    if args.json:
        print(json.dumps({
            "kind": grid.kind.name, "grid": str(args.grid), "scheduler": args.scheduler,
            "runner": runner.description, "out": str(args.out), "cells": report.cells,
            "resumed": report.resumed, "ran": report.ran, "failed": report.failures(),
            "seconds": report.seconds, "seeds": list(grid.seeds), "keys": list(grid.keys),
            "figures": list(grid.figures), "summary": [p.to_dict() for p in points],
            "files": files}, sort_keys=True))
    else:
        print(f"{report.ran} cells run, {report.resumed} already in {args.out}, "
              f"{len(report.failed)} failed, in {report.seconds:.1f} s")
        if points:
            print(f"\nmean ± sd over the seeds {list(grid.seeds)}:")
            print(format_table(points, grid.keys, grid.figures))
        print(f"\nwritten to {args.out}/: {', '.join(files)}")
    return 1 if report.failed else 0


def _runner(scheduler: str, workers: int | None):
    if scheduler == "none":
        return InProcessRunner()
    if scheduler == "local":
        return DaskRunner.local(workers)
    return DaskRunner.connect(scheduler, workers)


def _refuse(message: str) -> int:
    print(f"sitex sweep: {message}", file=sys.stderr)
    return 2


def _printer(json_mode: bool):
    """Progress lines: to stderr when stdout carries the JSON."""
    def say(text: str) -> None:
        print(text, file=sys.stderr if json_mode else sys.stdout, flush=True)
    return say


class _bar:
    """A tqdm bar of cells done on stderr (shown only when stderr is a terminal), with the
    count of failed cells."""

    def __init__(self, total: int, enabled: bool):
        from tqdm import tqdm

        self.failed = 0
        self.bar = tqdm(total=total, unit="cell", desc="sweep", file=sys.stderr,
                        disable=None if enabled else True, leave=False)

    def __call__(self, outcome) -> None:
        if outcome.error is not None:
            self.failed += 1
            self.bar.set_postfix(failed=self.failed)
        self.bar.update(1)

    def start(self, report) -> None:
        """The cells already in --out count as done."""
        self.bar.update(report.resumed)

    def close(self) -> None:
        self.bar.close()
