"""`sitex bench sweep`: a grid of 16 hedging studies run in this process (`--scheduler none`)
and then on a LocalCluster of 2 single-threaded worker processes, in the same process.

Each cell is a whole study (default 25,000 paths and as many in-sample paths: about 2 s on one
core here). The cluster is
started before its clock starts (cluster_start_s is printed beside); the workers' first imports
are inside parallel_s, as in a real sweep. speedup = serial_s / parallel_s; the target on a
2-core machine is 1.7. The two runs' rows are compared (figures equal, wall time and worker
aside): same_results.
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

TARGET_SPEEDUP = 1.7


def bench_grid(paths: int) -> dict:
    """16 cells: 4 volume noises x 2 basis vols x 2 seeds."""
    return {"kind": "hedge", "seeds": [1, 2], "base": {"paths": paths, "in_sample_paths": paths},
            "grid": {"volume_noise": [0.0, 0.1, 0.2, 0.3], "basis_vol": [0.0, 0.05]}}


def _sweep(runner, grid, cells, out: Path) -> tuple[float, list[dict]]:
    writer = ResultsWriter(out, grid, resume=False)
    t = time.perf_counter()
    try:
        report = run_sweep(grid, cells, runner, writer)
    finally:
        writer.close()
    seconds = time.perf_counter() - t
    if report.failed:
        raise RuntimeError(f"cells failed: {report.failures()}")
    rows = read_results(out).drop_columns(["wall_s", "worker"]).to_pylist()
    return seconds, sorted(rows, key=lambda r: (r["volume_noise"], r["basis_vol"], r["seed"]))


def run(paths: int = 25_000, workers: int = 2) -> dict:
    grid = parse_grid(bench_grid(paths), Path("bench-sweep.toml"))
    cells = grid.cells()
    with tempfile.TemporaryDirectory(prefix="sitex-bench-sweep-") as tmp:
        serial_s, serial_rows = _sweep(InProcessRunner(), grid, cells, Path(tmp) / "none")
        t = time.perf_counter()
        runner = DaskRunner.local(workers, dashboard_address=":0")
        start_s = time.perf_counter() - t
        try:
            parallel_s, parallel_rows = _sweep(runner, grid, cells, Path(tmp) / "local")
        finally:
            runner.close()
    load = os.getloadavg()
    return {"cells": len(cells), "paths": paths, "workers": workers, "cores": os.cpu_count(),
            "serial_s": round(serial_s, 3), "parallel_s": round(parallel_s, 3),
            "cell_s": round(serial_s / len(cells), 3), "cluster_start_s": round(start_s, 3),
            "speedup": round(serial_s / parallel_s, 3),
            "speedup_with_start": round(serial_s / (parallel_s + start_s), 3),
            "target_speedup": TARGET_SPEEDUP, "same_results": serial_rows == parallel_rows,
            "load_average_1m": round(load[0], 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="sitex bench sweep", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--paths", type=int, default=25_000,
                    help="Monte Carlo paths (and in-sample paths) of each cell's study")
    ap.add_argument("--workers", type=int, default=2, help="worker processes of the LocalCluster")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    if args.paths < 2 or args.workers < 1:
        print("sitex bench sweep: --paths must be at least 2 and --workers at least 1", file=sys.stderr)
        return 2
    r = run(args.paths, args.workers)
    if args.json:
        print(json.dumps(r))
        return 0
    print(f"sweep of {r['cells']} hedging studies ({r['paths']:,} paths each), {r['cores']} cores, "
          f"load average {r['load_average_1m']} at the end")
    print(f"  none (this process)   {r['serial_s']:8.2f} s   ({r['cell_s']:.2f} s a cell)")
    print(f"  local, {r['workers']} workers      {r['parallel_s']:8.2f} s   "
          f"(+{r['cluster_start_s']:.2f} s to start the cluster)")
    print(f"  speed-up              {r['speedup']:8.2f}   (target >= {TARGET_SPEEDUP}; "
          f"{r['speedup_with_start']:.2f} counting the cluster's start)")
    print(f"  same results          {'yes' if r['same_results'] else 'NO'}")
    return 0
