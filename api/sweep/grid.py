"""The grid file of `sitex sweep`: which cells to run, read and checked before anything runs.

    kind = "hedge"                  # or "session" (api/sweep/kinds.py)
    seeds = [1, 2, 3]               # every cell is run once per seed
    figures = ["static.std_reduction"]   # optional: what the summary and the plots show
    [base]                          # settings every cell shares
    scenario = "demand-explosion"
    [grid]                          # every combination of these lists is a cell (times every seed)
    volume_noise = [0.0, 0.1]
    basis_vol = [0.0, 0.05]

A bad file raises GridError naming the key and the reason: every cell is prepared (checked by
its kind) here, so a sweep never stops half-way on a setting it could have refused at once.
"""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from api.sweep.kinds import CellError, CellKind, kind_named

TOP_KEYS = ("kind", "seeds", "figures", "base", "grid")
RESERVED = ("seed", "wall_s", "worker")  # columns of the results that no setting may take


class GridError(ValueError):
    """A grid file that cannot run: the message names the key and the reason."""


@dataclass(frozen=True)
class Cell:
    values: tuple[tuple[str, object], ...]  # (grid key, value) in the grid's order
    seed: int
    task: object  # what the kind's run() takes

    def identity(self) -> tuple:
        """What makes the cell itself: its grid values and its seed (never its position)."""
        return (*(v for _, v in self.values), self.seed)

    def describe(self) -> str:
        return _describe(self.values, self.seed)


@dataclass(frozen=True)
class Grid:
    path: Path
    kind: CellKind
    seeds: tuple[int, ...]
    base: dict  # key -> value, in the settings' own types
    keys: tuple[str, ...]  # the grid's keys, in the file's order
    values: dict  # grid key -> tuple of values, in the settings' own types
    figures: tuple[str, ...]  # summarised and plotted

    def cells(self) -> list[Cell]:
        """Every combination of the grid's values, for every seed, prepared by the kind."""
        out = []
        for combo in itertools.product(*(self.values[k] for k in self.keys)):
            values = tuple(zip(self.keys, combo))
            for seed in self.seeds:
                _, task = self._prepare(dict(values), seed, "cell " + _describe(values, seed))
                out.append(Cell(values, seed, task))
        return out

    def _prepare(self, values: dict, seed: int, where: str):
        try:
            return self.kind.prepare({**self.base, **values}, seed)
        except CellError as e:
            raise GridError(f"{self.path}: {where}: {e}") from None


def load_grid(path: Path | str) -> tuple[Grid, list[Cell]]:
    """The grid of a TOML file and its cells, every one checked; raises GridError."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as e:
        raise GridError(f"{path}: cannot read the grid file: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise GridError(f"{path}: not valid TOML: {e}") from None
    grid = parse_grid(data, path)
    return grid, grid.cells()


def parse_grid(data: dict, path: Path = Path("grid.toml")) -> Grid:
    """The grid of a parsed TOML document (its base and every grid value checked alone;
    `Grid.cells()` checks every combination)."""
    def fail(message: str):
        raise GridError(f"{path}: {message}")

    unknown = sorted(set(data) - set(TOP_KEYS))
    if unknown:
        fail(f"unknown key {unknown[0]!r}; a grid file has {', '.join(TOP_KEYS)}")
    if "kind" not in data:
        fail('kind is missing: "hedge" or "session"')
    try:
        kind = kind_named(data["kind"], path.parent)
    except CellError as e:
        fail(str(e))
    seeds = data.get("seeds", [1])
    if not isinstance(seeds, list) or not seeds or any(type(s) is not int or s < 0 for s in seeds):
        fail(f"seeds must be a non-empty list of integers >= 0, got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        fail(f"seeds must be distinct, got {seeds!r}")
    base, grid = data.get("base", {}), data.get("grid", {})
    for name, table in (("base", base), ("grid", grid)):
        if not isinstance(table, dict):
            fail(f"{name} must be a table ([{name}]), got {table!r}")
        for key in table:
            if key in RESERVED:
                fail(f"[{name}] {key}: a reserved name"
                     + (": a cell's seed comes from `seeds`" if key == "seed" else ""))
            if key not in kind.keys:
                fail(f"[{name}] unknown key {key!r} for {kind.name} cells; known: {', '.join(kind.keys)}")
    both = sorted(set(base) & set(grid))
    if both:
        fail(f"{both[0]!r} is in both [base] and [grid]: give it in one of them")
    first = seeds[0]
    try:
        base_checked, _ = kind.prepare(base, first)
    except CellError as e:
        fail(f"[base] {e}")
    values = {}
    for key, listed in grid.items():
        if not isinstance(listed, list) or not listed:
            fail(f"[grid] {key} must be a non-empty list of values, got {listed!r}")
        checked = []
        for value in listed:
            if isinstance(value, (dict, list)):
                fail(f"[grid] {key}: each value must be a number or a string, got {value!r}")
            try:
                settings, _ = kind.prepare({**base, key: value}, first)
            except CellError as e:
                fail(f"[grid] {key} = {value!r}: {e}")
            checked.append(settings[key])
        repeated = [v for i, v in enumerate(checked) if v in checked[:i]]
        if repeated:
            fail(f"[grid] {key}: the value {repeated[0]!r} is given twice")
        values[key] = tuple(checked)
    figures = data.get("figures", list(kind.default_figures))
    if not isinstance(figures, list) or not figures or any(not isinstance(f, str) for f in figures):
        fail(f"figures must be a non-empty list of figure names, got {figures!r}")
    for name in figures:
        if name not in kind.figures:
            fail(f"figures: unknown figure {name!r} for {kind.name} cells; known: {', '.join(kind.figures)}")
    return Grid(path=path, kind=kind, seeds=tuple(seeds), base=base_checked, keys=tuple(grid),
                values=values, figures=tuple(dict.fromkeys(figures)))


def _describe(values, seed: int) -> str:
    return ", ".join([*(f"{k}={v!r}" for k, v in values), f"seed={seed}"])
