"""One sweep: the cells not yet in --out handed to a runner, each row written as it comes back.

    grid, cells = load_grid("grid.toml")
    writer = ResultsWriter(out, grid, resume=False)
    try:
        report = run_sweep(grid, cells, InProcessRunner(), writer)
    finally:
        writer.close()
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from api.sweep.grid import Cell, Grid
from api.sweep.results import ResultsWriter
from api.sweep.runners import Outcome, Runner


@dataclass
class SweepReport:
    cells: int  # in the grid
    resumed: int  # already in --out, not run again
    ran: int = 0  # completed now (with a row)
    failed: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def failures(self) -> list[dict]:
        return [{"settings": dict(o.cell.values), "seed": o.cell.seed, "error": o.error}
                for o in self.failed]


def run_sweep(grid: Grid, cells: list[Cell], runner: Runner, writer: ResultsWriter,
              on_start: Callable[[SweepReport], None] | None = None,
              on_outcome: Callable[[Outcome], None] | None = None) -> SweepReport:
    """Run the cells `writer` does not hold yet: `on_start` is told how many it holds,
    `on_outcome` is called after each cell."""
    writer.start()
    done = writer.done()
    todo = [c for c in cells if c.identity() not in done]
    report = SweepReport(cells=len(cells), resumed=len(cells) - len(todo))
    if on_start is not None:
        on_start(report)
    t = time.perf_counter()
    for outcome in runner.run(grid.kind.run, todo):
        if outcome.error is None:
            writer.write(dict(outcome.cell.values), outcome.cell.seed, outcome.figures,
                         outcome.wall_s, outcome.worker)
            report.ran += 1
        else:
            report.failed.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    report.seconds = round(time.perf_counter() - t, 3)
    return report
