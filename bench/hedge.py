"""`sitex bench hedge`: the whole hedging study against the floor of drawing its random numbers.

Runs `sitex hedge`'s study (default 100,000 paths x 12 months of daily steps, demand-explosion,
its in-sample paths included) and, in the same process, times numpy drawing the same count of
normal, Poisson and uniform variates (the Poisson at the scenario's daily jump rate): after each
block of paths, the block's own count, so that both figures see the same machine. The ratio study / floor says how much the study costs beyond its
random numbers. Peak resident memory (the process's, from getrusage) shows that the paths are
worked in blocks: it should not grow with --paths.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np

from marketmakers.hedging import settings_for
from marketmakers.hedging.paths import BLOCK_PATHS
from marketmakers.hedging.study import Study

TARGET_RATIO = 2.0


def rng_floor(draws: dict, poisson_lam: float, rng: np.random.Generator) -> float:
    """Seconds to draw draws['normals'] normals, draws['poissons'] Poissons and
    draws['uniforms'] uniforms, in blocks of the study's size."""
    block = BLOCK_PATHS * 365
    t = time.perf_counter()
    for kind, count in (("normals", draws["normals"]), ("poissons", draws["poissons"]),
                        ("uniforms", draws["uniforms"])):
        left = count
        while left > 0:
            n = min(block, left)
            if kind == "normals":
                rng.standard_normal(n)
            elif kind == "poissons":
                rng.poisson(poisson_lam, n)
            else:
                rng.uniform(0.0, 1.0, n)
            left -= n
    return time.perf_counter() - t


class InterleavedFloor:
    """Called by the study after each block of paths: times numpy drawing what that block
    drew, there and then. The floor and the study then share the machine's state block by
    block (a shared 2-core machine drifts by more than the target's margin within a run);
    the study's own time is its wall time less these pauses."""

    def __init__(self, study: Study, seed: int = 12345):
        self.study = study
        self.lam = study.scenario.params.jump_rate * study.cal.dt_years
        self.rng = np.random.default_rng(seed)
        self.seen = dict(study.draws)
        self.floor_s = 0.0

    def __call__(self, n_paths: int) -> None:
        now = self.study.draws
        block = {k: now[k] - self.seen[k] for k in now}
        self.seen = dict(now)
        self.floor_s += rng_floor(block, self.lam, self.rng)


def run(paths: int, scenario: str = "demand-explosion") -> dict:
    settings = settings_for(scenario, {"paths": paths})
    t = time.perf_counter()
    study = Study(settings)
    floor = InterleavedFloor(study)
    study.run(progress=floor)
    study_s = time.perf_counter() - t - floor.floor_s
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {"scenario": scenario, "paths": paths, "in_sample_paths": settings.in_sample_paths,
            "days": study.cal.days, "study_s": round(study_s, 3),
            "rng_floor_s": round(floor.floor_s, 3), "ratio": round(study_s / floor.floor_s, 3),
            "target_ratio": TARGET_RATIO, "peak_rss_mb": round(peak_mb, 1), "draws": study.draws}


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="sitex bench hedge", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--paths", type=int, default=100_000, help="Monte Carlo paths of the study")
    ap.add_argument("--scenario", default="demand-explosion", help="a shipped price scenario")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.paths < 2:
        print("sitex bench hedge: --paths must be at least 2", file=sys.stderr)
        return 2
    r = run(args.paths, args.scenario)
    if args.json:
        print(json.dumps(r))
        return 0
    d = r["draws"]
    print(f"hedging study, {r['scenario']}: {r['paths']:,} paths (+{r['in_sample_paths']:,} in-sample) "
          f"x {r['days']} daily steps")
    print(f"  study           {r['study_s']:8.2f} s")
    print(f"  numpy RNG floor {r['rng_floor_s']:8.2f} s  ({d['normals']:,} normals, "
          f"{d['poissons']:,} Poissons, {d['uniforms']:,} uniforms)")
    print(f"  ratio           {r['ratio']:8.2f}   (target <= {TARGET_RATIO})")
    print(f"  peak RSS        {r['peak_rss_mb']:8.0f} MB")
    return 0
