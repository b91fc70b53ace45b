"""A PNG per figure of a sweep: a heatmap over a two-key grid (each cell annotated with the mean
and its spread over the seeds), lines with error bars (one standard deviation over the seeds)
over a one-key grid. Other grids get no plot: the table and results.parquet have it all.

matplotlib on an Agg canvas, no pyplot (as marketmakers/plots.py).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from api.sweep.summary import Point, label

DPI = 100


def plot_figures(points: list[Point], keys: tuple[str, ...], figures: tuple[str, ...],
                 out: Path, seeds: int) -> list[Path]:
    """One `<figure>.png` in `out` per figure; none unless the grid has one or two keys."""
    if len(keys) not in (1, 2) or not points:
        return []
    draw = _lines if len(keys) == 1 else _heatmap
    return [draw(points, keys, name, out / f"{name}.png", seeds) for name in figures]


def _figure(size=(8, 5)):
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots()


def _levels(points: list[Point], key: str) -> list:
    """The key's values in the points' (grid) order, each once."""
    return list(dict.fromkeys(p.values[key] for p in points))


def _lines(points, keys, name, path: Path, seeds: int) -> Path:
    key = keys[0]
    levels = _levels(points, key)
    numeric = all(isinstance(v, (int, float)) for v in levels)
    x = np.array(levels, dtype=float) if numeric else np.arange(len(levels))
    by_value = {p.values[key]: p.stats[name] for p in points}
    mean = np.array([_nan(by_value[v].mean) for v in levels])
    sd = np.array([_nan(by_value[v].sd, 0.0) for v in levels])
    fig, ax = _figure()
    ax.errorbar(x, mean, yerr=sd, marker="o", capsize=4)
    if not numeric:
        ax.set_xticks(x, [label(v) for v in levels])
    ax.grid(True, alpha=0.3)
    ax.set_xlabel(key)
    ax.set_ylabel(name)
    ax.set_title(f"{name}: mean over {seeds} seed{'s' * (seeds != 1)}, bars ±1 sd over the seeds")
    fig.savefig(path)
    return path


def _heatmap(points, keys, name, path: Path, seeds: int) -> Path:
    rows_key, cols_key = keys
    rows, cols = _levels(points, rows_key), _levels(points, cols_key)
    z = np.full((len(rows), len(cols)), np.nan)
    text = {}
    for p in points:
        i, j = rows.index(p.values[rows_key]), cols.index(p.values[cols_key])
        s = p.stats[name]
        z[i, j] = _nan(s.mean)
        if s.mean is not None:
            text[i, j] = _number(s.mean) + (f"\n± {_number(s.sd)}" if s.sd is not None else "")
    fig, ax = _figure((max(6, 1.3 * len(cols) + 3), max(4, 0.8 * len(rows) + 2)))
    im = ax.imshow(z, origin="lower", cmap="viridis", aspect="auto")
    finite = z[np.isfinite(z)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0
    for (i, j), words in text.items():
        ax.text(j, i, words, ha="center", va="center", fontsize=8,
                color="white" if z[i, j] < middle else "black")
    ax.set_xticks(range(len(cols)), [label(v) for v in cols])
    ax.set_yticks(range(len(rows)), [label(v) for v in rows])
    ax.set_xlabel(cols_key)
    ax.set_ylabel(rows_key)
    ax.set_title(f"{name}: mean (± sd) over {seeds} seed{'s' * (seeds != 1)}")
    fig.colorbar(im, ax=ax, label=name)
    fig.savefig(path)
    return path


def _number(x: float) -> str:
    """Three significant digits, but a figure of a thousand or more (a maker's PnL in USD) in
    full with thousands separators: ".3g" printed 1,435 USD as 1.44e+03."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def _nan(x, default=math.nan) -> float:
    return default if x is None else float(x)
