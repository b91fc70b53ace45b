"""One core per local worker process: the LocalCluster's workers pinned (Linux).

Two single-threaded workers on a 2-core machine should each own a core; left to the kernel
they are moved between cores and interrupted by the scheduler's and the nannies' threads.
"""

from __future__ import annotations

import os
import sys

from distributed.diagnostics.plugin import WorkerPlugin


class PinToCore(WorkerPlugin):
    """A Dask worker plugin that binds every thread of a local worker's process to a core of
    its own, chosen by the worker's name (LocalCluster names them 0, 1, ...). A plugin, not a
    one-off call, so a worker the nanny restarts after a crash is pinned again.

    What it buys: with both cores busy the kernel moves the two workers between cores (and
    lets the scheduler's and the nannies' threads interrupt them); a cell ran 8-13% slower on
    a worker than alone in this process, pinned 0-1% (`sitex bench sweep` on 2 cores, alternate
    runs: speed-up 1.73-1.81 unpinned, 1.93-2.08 pinned; docs/sweeps.md)."""

    name = "sitex-pin-to-core"

    def __init__(self, cores: list[int]):
        self.cores = cores

    def setup(self, worker) -> None:
        core = self.cores[int(worker.name) % len(self.cores)]
        for thread_id in os.listdir("/proc/self/task"):
            os.sched_setaffinity(int(thread_id), {core})


def pin_workers_to_cores(client, workers: int) -> bool:
    """Pin a LocalCluster's workers, one per core: on Linux, when there are no more workers than
    cores this process may use."""
    if not sys.platform.startswith("linux"):
        return False
    cores = sorted(os.sched_getaffinity(0))
    if workers > len(cores):
        return False
    client.register_plugin(PinToCore(cores))
    return True
