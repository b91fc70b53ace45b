"""`sitex hedge`: test the paper's hedging claim on an enterprise's compute bill.

Prints a table of every hedge programme's risk reductions and costs, each with its Monte Carlo
standard error; --json prints one JSON object; --out DIR also writes the plots and CSV tables
(with the sensitivity grid); --through-market runs the programmes on the venue as well.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from marketmakers.hedging import plots, report, sensitivity
from marketmakers.hedging.settings import (
    SETTABLE,
    SettingsError,
    parse_assignments,
    settings_for,
)
from marketmakers.hedging.study import run_study
from marketmakers.scenarios import list_scenarios

SENSITIVITY_PATHS = 4_000  # per cell of the --out grid (each cell is a whole study)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="sitex hedge", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--scenario", default="demand-explosion",
                    help=f"price scenario: {', '.join(list_scenarios())}")
    ap.add_argument("--paths", type=int, help="Monte Carlo paths (None: defaults.toml's, 10,000)")
    ap.add_argument("--seed", type=int, default=1, help="root seed of every random stream")
    ap.add_argument("--months", type=int, help="contract months hedged (None: defaults.toml's, 12)")
    ap.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
                    help=f"override a setting (repeatable): {', '.join(SETTABLE)}")
    ap.add_argument("--through-market", action="store_true",
                    help="also run the programmes on the venue, in market sessions on the same paths")
    ap.add_argument("--out", type=Path,
                    help="write plots and CSV tables to this directory (None: only the table)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    return ap


class _Progress:
    """A tqdm bar on stderr (only when stderr is a terminal)."""

    def __init__(self, enabled: bool, total: int, unit: str, desc: str):
        self.bar = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=unit, desc=desc, file=sys.stderr, leave=False)

    def __call__(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    try:
        overrides = parse_assignments(args.assignments)
        for key, value in (("paths", args.paths), ("months", args.months)):
            if value is None:
                continue
            if key in overrides:  # refused even when equal: one place says it
                ap.error(f"--{key} {value} and --set {key}={overrides[key]} both set {key}: give one")
            overrides[key] = value
        settings = settings_for(args.scenario, overrides, seed=args.seed)
    except SettingsError as e:
        print(f"sitex hedge: {e}", file=sys.stderr)
        return 2
    if args.seed < 0:
        print("sitex hedge: --seed must be >= 0", file=sys.stderr)
        return 2
    if args.out is not None:  # before the study, not after it
        try:
            args.out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            print(f"sitex hedge: cannot write to --out {args.out}: {e.strerror}", file=sys.stderr)
            return 2
    bar = _Progress(not args.no_progress, settings.paths + settings.in_sample_paths, "paths",
                    "hedging study")
    try:
        result = run_study(settings, progress=bar)
    finally:
        bar.close()
    summary = result.summary
    market = None
    if args.through_market:
        from marketmakers.hedging.through_market import HEDGED, run_through_market

        bar = _Progress(not args.no_progress, settings.market_paths * len(HEDGED), "runs",
                        "through the market")
        try:
            market = run_through_market(settings, progress=bar)
        finally:
            bar.close()
        summary["through_market"] = market
    if args.out is not None:
        summary["files"] = write_outputs(result, settings, args.out, not args.no_progress)
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        print(report.format_table(summary))
        if market is not None:
            from marketmakers.hedging.through_market import format_market

            print()
            print(format_market(market))
        if args.out is not None:
            print(f"\nwritten to {args.out}/: {', '.join(summary['files'])}")
    return 0


def write_outputs(result, settings, out: Path, progress: bool) -> list[str]:
    """Plots and CSV tables, with the sensitivity grid run at SENSITIVITY_PATHS a cell."""
    out.mkdir(parents=True, exist_ok=True)
    files = [report.write_programmes_csv(result.summary, out / "programmes.csv"),
             plots.bill_distribution(result, out / "bill_distribution.png"),
             plots.fan_chart(result, out / "fan_chart.png")]
    small = replace(settings, paths=min(settings.paths, SENSITIVITY_PATHS))
    cells = len(sensitivity.VOLUME_NOISE) * len(sensitivity.BASIS_VOL) + len(sensitivity.PRICE_VOLUME_CORR)
    bar = _Progress(progress, cells, "studies", "sensitivity")
    try:
        grid = sensitivity.grid(small, done=bar)
        line = sensitivity.correlation_line(small, done=bar)
    finally:
        bar.close()
    files += [report.write_rows_csv(grid, out / "sensitivity.csv"),
              report.write_rows_csv(line, out / "sensitivity_correlation.csv"),
              plots.sensitivity(grid, line, out / "sensitivity.png")]
    return [p.name for p in files]
