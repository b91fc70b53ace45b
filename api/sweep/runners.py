"""Where a sweep's cells run: in this process one by one (`none`, the reference), or on a Dask
cluster (a LocalCluster started here, or an existing scheduler by its address).

Both runners yield one `Outcome` per cell as it completes. On Dask a cell is one task; when a
worker dies, the scheduler runs its tasks again on the others (up to
`distributed.scheduler.allowed-failures` deaths per task), so nothing is lost; a cell that
raises comes back as an Outcome with its error, and the other cells go on.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from api.sweep.grid import Cell

IN_PROCESS = "in-process"


class SchedulerError(RuntimeError):
    """A Dask scheduler that cannot be used: says which and why."""


@dataclass(frozen=True)
class Outcome:
    cell: Cell
    figures: dict | None  # None when the cell failed
    wall_s: float
    worker: str
    error: str | None = None


class Runner(Protocol):
    description: str  # for the printed summary: "none", "local (2 workers) ...", the address

    def run(self, run_cell, cells: Iterable[Cell]) -> Iterator[Outcome]:
        """Each cell's Outcome as it completes (in any order)."""

    def close(self) -> None: ...


def timed(run_cell, task) -> tuple[dict, float]:
    """run_cell(task) with its wall time in seconds, on one BLAS thread. A multi-threaded BLAS
    splits a dot product's sum by thread, so the same cell gave figures a last bit apart in
    this process (2 BLAS threads) and on a Dask worker (1); on one thread everywhere they are
    the same to the bit (on the same numpy build and CPU), and a worker process is one core's
    work, as the cluster counts it."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        t = time.perf_counter()
        figures = run_cell(task)
        return figures, round(time.perf_counter() - t, 3)


def _on_worker(run_cell, task) -> tuple[dict, float, str]:
    """A Dask task: the cell's figures, its wall time and the worker's address."""
    from distributed import get_worker

    figures, wall_s = timed(run_cell, task)
    return figures, wall_s, get_worker().address


def _error_text(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {last[0].filename}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


class InProcessRunner:
    """`--scheduler none`: the cells one after the other in this process."""

    description = "none (in this process)"

    def run(self, run_cell, cells: Iterable[Cell]) -> Iterator[Outcome]:
        for cell in cells:
            t = time.perf_counter()
            try:
                figures, wall_s = timed(run_cell, cell.task)
            except Exception as exc:  # noqa: BLE001 -- any cell's error is reported; the others go on
                yield Outcome(cell, None, round(time.perf_counter() - t, 3), IN_PROCESS,
                              _error_text(exc))
                continue
            yield Outcome(cell, figures, wall_s, IN_PROCESS)

    def close(self) -> None:
        pass


class DaskRunner:
    """The cells as Dask tasks on a client's cluster, gathered as they complete (each result is
    released on the cluster once it is handed on, so the client holds one at a time)."""

    def __init__(self, client, description: str, cluster=None):
        self.client = client
        self.cluster = cluster  # closed with the runner when this runner started it
        self.description = description

    @classmethod
    def local(cls, workers: int | None = None, dashboard_address: str = ":8787") -> DaskRunner:
        """A LocalCluster of `workers` single-threaded processes (default: one per core)."""
        from distributed import Client, LocalCluster

        n = workers or os.cpu_count() or 1
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=dashboard_address, silence_logs=logging.ERROR)
        client = Client(cluster)
        from api.sweep.pinning import pin_workers_to_cores

        pinned = pin_workers_to_cores(client, n)
        return cls(client, f"local ({n} worker processes; dashboard {cluster.dashboard_link}"
                           f"{'; one core each' if pinned else ''})", cluster)

    @classmethod
    def connect(cls, address: str, workers: int | None = None, timeout_s: float = 10.0,
                workers_timeout_s: float = 600.0) -> DaskRunner:
        """An existing scheduler; with `workers`, wait (up to `workers_timeout_s`: a batch
        queue may take minutes to start them) until that many workers have joined."""
        from distributed import Client

        try:
            client = Client(address, timeout=timeout_s)
        except (OSError, TimeoutError, ValueError) as e:
            raise SchedulerError(f"no Dask scheduler answered at {address} within "
                                 f"{timeout_s:g} s: {e}") from None
        if workers:
            try:
                client.wait_for_workers(workers, timeout=workers_timeout_s)
            except TimeoutError:
                joined = len(client.scheduler_info(n_workers=-1)["workers"])
                client.close()
                raise SchedulerError(f"{joined} of the {workers} workers asked for joined the "
                                     f"scheduler at {address} within {workers_timeout_s:g} s") from None
        n = len(client.scheduler_info(n_workers=-1)["workers"])
        return cls(client, f"{address} ({n} workers; dashboard {client.dashboard_link})")

    def run(self, run_cell, cells: Iterable[Cell]) -> Iterator[Outcome]:
        from distributed import as_completed

        by_key = {}
        for cell in cells:
            future = self.client.submit(_on_worker, run_cell, cell.task, pure=False)
            by_key[future.key] = (cell, future)
        pending = as_completed([f for _, f in by_key.values()])
        for future in pending:
            cell, _ = by_key.pop(future.key)
            if future.status == "finished":
                figures, wall_s, worker = future.result()
                yield Outcome(cell, figures, wall_s, worker)
            elif future.status == "error":
                yield Outcome(cell, None, 0.0, "", _error_text(future.exception()))
            else:
                yield Outcome(cell, None, 0.0, "", f"the task was {future.status}")
            future.release()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
