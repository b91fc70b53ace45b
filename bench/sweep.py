"""`sitex bench sweep`: a grid of 16 cells run in this process (`--scheduler none`) and then on a
LocalCluster of 2 single-threaded worker processes, in the same process.

The cells are market sessions by default (4 maker counts x 2 scenarios x 2 seeds; `--hours 5`:
1.9-2.2 s each on one core here, the issue's "about 2 seconds"; 3 h sessions took 1.8 s when
this benchmark was written and 1.0-1.3 s after the engine and the agents got faster), or with `--kind hedge` hedging studies (4 volume noises x 2
basis vols x 2 seeds; `--paths` Monte Carlo and as many in-sample paths, 50,000: about 2 s).
Sessions are Python, one core's work each; the studies are numpy over arrays larger than the
caches, and two of them at once share the memory bandwidth. The cluster is started before its
clock starts (cluster_start_s is printed beside); the workers' first imports are inside
parallel_s, as in a real sweep. speedup = serial_s / parallel_s; the target on a 2-core machine
is 1.7. cell_slowdown (the cells' own run times on the workers over those in this process)
separates what the hardware costs when both cores work from what scheduling costs. The two
runs' rows are compared (every figure, wall time and worker aside):
same_results. The 1-minute load average is read before the first run and after the last.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from api.sweep.grid import parse_grid
from api.sweep.results import ResultsWriter, read_results
from api.sweep.runners import DaskRunner, InProcessRunner
from api.sweep.sweep import run_sweep
from marketmakers.given_options import given

TARGET_SPEEDUP = 1.7


def bench_grid(kind: str, hours: float, paths: int) -> dict:
    """16 cells of the kind, sized by `hours` (sessions) or `paths` (studies)."""
    if kind == "session":
        return {"kind": "session", "seeds": [1, 2], "base": {"hours": hours},
                "grid": {"market_maker_count": [1, 3, 5, 10],
                         "scenario": ["baseline", "demand-explosion"]}}
    return {"kind": "hedge", "seeds": [1, 2], "base": {"paths": paths, "in_sample_paths": paths},
            "grid": {"volume_noise": [0.0, 0.1, 0.2, 0.3], "basis_vol": [0.0, 0.05]}}


def _sweep(runner, grid, cells, out: Path) -> tuple[float, float, list[dict]]:
    """(the sweep's seconds, the sum of its cells' own run times, its rows in order)."""
    writer = ResultsWriter(out, grid, resume=False)
    t = time.perf_counter()
    try:
        report = run_sweep(grid, cells, runner, writer)
    finally:
        writer.close()
    seconds = time.perf_counter() - t
    if report.failed:
        raise RuntimeError(f"cells failed: {report.failures()}")
    table = read_results(out)
    cells_s = sum(table.column("wall_s").to_pylist())
    rows = table.drop_columns(["wall_s", "worker"]).to_pylist()
    keys = [*grid.keys, "seed"]
    return seconds, cells_s, sorted(rows, key=lambda r: tuple(str(r[k]) for k in keys))


def run(kind: str = "session", hours: float = 5.0, paths: int = 50_000, workers: int = 2) -> dict:
    grid = parse_grid(bench_grid(kind, hours, paths), Path("bench-sweep.toml"))
    cells = grid.cells()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="sitex-bench-sweep-") as tmp:
        serial_s, serial_cells_s, serial_rows = _sweep(InProcessRunner(), grid, cells, Path(tmp) / "none")
        t = time.perf_counter()
        runner = DaskRunner.local(workers, dashboard_address=":0")
        start_s = time.perf_counter() - t
        try:
            parallel_s, parallel_cells_s, parallel_rows = _sweep(runner, grid, cells, Path(tmp) / "local")
        finally:
            runner.close()
    size = {"hours": hours} if kind == "session" else {"paths": paths}
    return {"kind": kind, **size, "cells": len(cells), "workers": workers, "cores": os.cpu_count(),
            "serial_s": round(serial_s, 3), "parallel_s": round(parallel_s, 3),
            "cell_s": round(serial_s / len(cells), 3), "cluster_start_s": round(start_s, 3),
            # the cells' own run times summed: on the workers against in this process, how much
            # slower a cell runs while the other core is busy too (caches, memory bandwidth)
            "serial_cells_s": round(serial_cells_s, 3), "parallel_cells_s": round(parallel_cells_s, 3),
            "cell_slowdown": round(parallel_cells_s / serial_cells_s, 3),
            "speedup": round(serial_s / parallel_s, 3),
            "speedup_with_start": round(serial_s / (parallel_s + start_s), 3),
            "target_speedup": TARGET_SPEEDUP, "same_results": serial_rows == parallel_rows,
            "load_before_1m": round(load_before, 2), "load_after_1m": round(os.getloadavg()[0], 2)}


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="sitex bench sweep", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--kind", choices=("session", "hedge"), default="session",
                    help="market sessions or hedging studies")
    ap.add_argument("--hours", type=float, default=5.0,
                    help="simulated hours of each session (--kind session)")
    ap.add_argument("--paths", type=int, default=50_000,
                    help="Monte Carlo paths (and in-sample paths) of each study (--kind hedge)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes of the LocalCluster")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # a size flag of the other kind would be silently ignored: `--kind hedge --hours 1` ran
    # 50,000-path studies and printed them as asked for
    other = "hours" if args.kind == "hedge" else "paths"
    if other in given(parser, argv):
        print(f"sitex bench sweep: --{other} does not size {args.kind} cells "
              f"(--hours sizes --kind session, --paths --kind hedge)", file=sys.stderr)
        return 2
    if args.paths < 2 or args.workers < 1 or not args.hours > 0:
        print("sitex bench sweep: --paths must be at least 2, --workers at least 1, --hours > 0",
              file=sys.stderr)
        return 2
    r = run(args.kind, args.hours, args.paths, args.workers)
    if args.json:
        print(json.dumps(r))
        return 0
    what = (f"market sessions of {r['hours']:g} h" if r["kind"] == "session"
            else f"hedging studies of {r['paths']:,} paths")
    print(f"sweep of {r['cells']} {what}, {r['cores']} cores, load average (1 min) "
          f"{r['load_before_1m']} before, {r['load_after_1m']} after")
    print(f"  none (this process)   {r['serial_s']:8.2f} s   ({r['cell_s']:.2f} s a cell)")
    print(f"  local, {r['workers']} workers      {r['parallel_s']:8.2f} s   "
          f"(+{r['cluster_start_s']:.2f} s to start the cluster)")
    print(f"  cells' own run times  {r['serial_cells_s']:8.2f} s in this process, "
          f"{r['parallel_cells_s']:.2f} s on the workers (x{r['cell_slowdown']:.2f} each)")
    print(f"  speed-up              {r['speedup']:8.2f}   (target >= {TARGET_SPEEDUP}; "
          f"{r['speedup_with_start']:.2f} counting the cluster's start)")
    print(f"  same results          {'yes' if r['same_results'] else 'NO'}")
    return 0
