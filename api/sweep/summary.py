"""The sweep's figures averaged over seeds, with their spread: one point per combination of the
grid's values, each figure as mean, sample standard deviation over the seeds and the count.

Read from results.parquet (only the keys' and the figures' columns), so a resumed sweep is
summarised whole.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class Stat:
    mean: float | None
    sd: float | None  # over the seeds (None with one seed)
    n: int  # seeds with a value

    def to_dict(self) -> dict:
        return {"mean": self.mean, "sd": self.sd, "n": self.n}


@dataclass(frozen=True)
class Point:
    values: dict  # grid key -> value
    stats: dict  # figure -> Stat

    def to_dict(self) -> dict:
        return {**self.values, **{f: s.to_dict() for f, s in self.stats.items()}}


def summarise(table: pa.Table, keys: tuple[str, ...], figures: tuple[str, ...],
              order: dict | None = None) -> list[Point]:
    """One Point per combination of `keys` in `table`, in the grid's order (`order`: key -> its
    values as listed; values not listed come after, sorted)."""
    aggs = [a for f in figures for a in ((f, "mean"), (f, "stddev", pc.VarianceOptions(ddof=1)),
                                         (f, "count"))]
    grouped = table.group_by(list(keys)).aggregate(aggs).to_pylist()
    points = []
    for row in grouped:
        stats = {f: Stat(_number(row[f"{f}_mean"]), _number(row[f"{f}_stddev"]), row[f"{f}_count"])
                 for f in figures}
        points.append(Point({k: row[k] for k in keys}, stats))
    order = order or {}

    def position(point: Point):
        out = []
        for k in keys:
            listed = order.get(k, ())
            v = point.values[k]
            out.append((0, listed.index(v), "") if v in listed else (1, 0, repr(v)))
        return out

    return sorted(points, key=position)


def format_table(points: list[Point], keys: tuple[str, ...], figures: tuple[str, ...]) -> str:
    """Aligned columns: the keys, then each figure as `mean ± sd` over the seeds."""
    header = [*keys, *figures]
    rows = [[label(p.values[k]) for k in keys] + [_stat(p.stats[f]) for f in figures]
            for p in points]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def _stat(s: Stat) -> str:
    if s.mean is None:
        return "-"
    text = _fmt(s.mean, 4)
    return text if s.sd is None else f"{text} ± {_fmt(s.sd, 2)}"


def _fmt(x: float, digits: int) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.{digits}g}"


def label(v) -> str:
    """A grid value as shown in tables and on plot axes."""
    return f"{v:g}" if isinstance(v, float) else str(v)


def _number(x):
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else x
