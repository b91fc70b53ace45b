"""A sweep's results in its --out folder, written one row per cell as the cells complete.

    results.csv       appended and flushed row by row: the record `--resume` reads back
    results.parquet   the same rows (pyarrow), written in row groups to results.parquet.part
                      and renamed when the sweep ends
    sweep.json        the sweep's kind, base settings, grid keys and the columns' types

Columns: one per grid key, `seed`, the cell's figures, `wall_s` and `worker`. Rows come in the
order the cells completed. A cell that failed has no row (so --resume runs it again).
Nothing holds more than a row group (ROW_GROUP rows) in memory.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from api.sweep.grid import Grid
from marketmakers.report import cell as csv_cell

CSV, PARQUET, MANIFEST = "results.csv", "results.parquet", "sweep.json"
ROW_GROUP = 64
TAIL = (("wall_s", pa.float64()), ("worker", pa.string()))
ARROW_TYPES = {int: pa.int64(), float: pa.float64(), str: pa.string(), bool: pa.bool_()}


class ResultsError(ValueError):
    """An --out folder that this sweep cannot write to (or resume): says why."""


def manifest_of(grid: Grid) -> dict:
    """What must match for --resume to add rows to a folder: kind, base settings, grid keys."""
    return {"kind": grid.kind.name, "base": grid.base, "keys": list(grid.keys)}


class ResultsWriter:
    """Appends rows to results.csv and results.parquet in `out`; `done()` is the set of cell
    identities already there (grid values and seed). Made, it has only checked `out` (raising
    ResultsError); `start()` writes, so a sweep that cannot start its runner leaves nothing."""

    def __init__(self, out: Path, grid: Grid, resume: bool):
        self.out = Path(out)
        self.grid = grid
        self.manifest = manifest_of(grid)
        self.csv_path, self.parquet_path = self.out / CSV, self.out / PARQUET
        self.part_path = self.out / (PARQUET + ".part")
        self.schema: pa.Schema | None = None
        self._pending: list[dict] = []
        self._parquet: pq.ParquetWriter | None = None
        self._csv = None
        self._started = False
        self._check(resume)

    # ------------------------------------------------------------ opening

    def _check(self, resume: bool) -> None:
        manifest_path = self.out / MANIFEST
        if self.out.exists() and not self.out.is_dir():
            raise ResultsError(f"--out {self.out} is a file, not a directory")
        if resume:
            if not manifest_path.exists():
                raise ResultsError(f"--resume: {self.out} holds no sweep ({MANIFEST} is missing)")
            old = json.loads(manifest_path.read_text("utf-8"))
            for key, label in (("kind", "kind"), ("base", "[base] settings"), ("keys", "grid keys")):
                if old.get(key) != self.manifest[key]:
                    raise ResultsError(
                        f"--resume: {self.out} holds a sweep whose {label} differ from the grid "
                        f"file's ({old.get(key)!r} there, {self.manifest[key]!r} here): resume "
                        "it with its own grid, or choose another --out")
            if old.get("columns"):
                self.schema = _schema_from(old["columns"])
        elif manifest_path.exists() or self.csv_path.exists():
            raise ResultsError(f"--out {self.out} already holds a sweep: --resume continues it, "
                               "or choose another --out")

    def start(self) -> None:
        """The folder, the manifest, a half-written last row cut, and (on --resume) the old
        rows copied into the new Parquet file first. Once only."""
        if self._started:
            return
        self._started = True
        self.out.mkdir(parents=True, exist_ok=True)
        self._write_manifest()
        if self.csv_path.exists():
            _drop_partial_line(self.csv_path)
        if self.schema is not None:
            self._start_parquet()
            for batch in self._old_batches():
                self._parquet.write_table(pa.Table.from_batches([batch], self.schema))

    def done(self) -> set[tuple]:
        """Identities (grid values..., seed) of the rows already in results.csv."""
        self.start()
        if self.schema is None or not self.csv_path.exists():
            return set()
        names = [*self.grid.keys, "seed"]
        out = set()
        for batch in self._old_batches(names):
            out.update(zip(*(batch.column(n).to_pylist() for n in names)))
        return out

    def _old_batches(self, columns: list[str] | None = None):
        """The rows of results.csv read back in their types, in batches."""
        if not self.csv_path.exists() or self.csv_path.stat().st_size == 0:
            return
        options = pa_csv.ConvertOptions(
            column_types=self.schema, null_values=[""], strings_can_be_null=True,
            include_columns=columns)
        yield from pa_csv.open_csv(self.csv_path, convert_options=options)

    # ------------------------------------------------------------ writing

    def write(self, values: dict, seed: int, figures: dict, wall_s: float, worker: str) -> None:
        """One completed cell: appended to the CSV now, to the Parquet file by row groups."""
        self.start()
        row = {**values, "seed": seed, **figures, "wall_s": wall_s, "worker": worker}
        if self.schema is None:
            self.schema = self._schema_for(row)
            self._write_manifest()
            self._start_parquet()
        extra = sorted(set(row) - set(self.schema.names))
        if extra:
            raise ResultsError(f"a {self.grid.kind.name} cell gave figures the first row did not: {extra}")
        if self._csv is None:
            new = not self.csv_path.exists() or self.csv_path.stat().st_size == 0
            self._csv = self.csv_path.open("a", newline="", encoding="utf-8")
            self._csv_writer = csv.writer(self._csv, lineterminator="\n")
            if new:
                self._csv_writer.writerow(self.schema.names)
        self._csv_writer.writerow([csv_cell(row.get(name)) for name in self.schema.names])
        self._csv.flush()
        self._pending.append(row)
        if len(self._pending) >= ROW_GROUP:
            self._flush()

    def close(self) -> None:
        """The last row group written and results.parquet put in place (also on an interrupt:
        every row written so far is in both files)."""
        if self._parquet is not None:
            self._flush()
            self._parquet.close()
            self._parquet = None
            os.replace(self.part_path, self.parquet_path)
        if self._csv is not None:
            self._csv.close()
            self._csv = None

    def _flush(self) -> None:
        if self._pending:
            self._parquet.write_table(pa.Table.from_pylist(self._pending, schema=self.schema))
            self._pending = []

    def _start_parquet(self) -> None:
        self._parquet = pq.ParquetWriter(self.part_path, self.schema)

    def _schema_for(self, row: dict) -> pa.Schema:
        """Grid keys typed by their values, `seed`, each figure by its value's type (or, when
        the first row has none, by the kind's declared type), then wall_s and worker."""
        fields = []
        for name, value in row.items():
            if name in dict(TAIL):
                continue
            if name == "seed":
                kind = int
            elif value is None:
                kind = self.grid.kind.figure_type(name)
            else:
                kind = type(value)
            fields.append((name, ARROW_TYPES[kind]))
        return pa.schema([*fields, *TAIL])

    def _write_manifest(self) -> None:
        data = dict(self.manifest)
        if self.schema is not None:
            data["columns"] = [[f.name, str(f.type)] for f in self.schema]
        (self.out / MANIFEST).write_text(json.dumps(data, indent=2) + "\n", "utf-8")


def _schema_from(columns: list) -> pa.Schema:
    by_name = {str(t): t for t in ARROW_TYPES.values()}
    return pa.schema([(name, by_name[type_name]) for name, type_name in columns])


def _drop_partial_line(path: Path) -> None:
    """A sweep killed while writing a row leaves half a line: cut it (the cell runs again)."""
    with path.open("rb+") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        if size == 0:
            return
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return
        f.seek(0)
        data = f.read()
        f.seek(data.rfind(b"\n") + 1)
        f.truncate()


def read_results(out: Path, columns: list[str] | None = None) -> pa.Table:
    """The rows of a finished sweep (those columns only, when given)."""
    return pq.read_table(Path(out) / PARQUET, columns=columns)
