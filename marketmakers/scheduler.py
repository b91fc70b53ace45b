"""The discrete-event core of a market session: a simulated clock, a priority queue of
timed actions, and a latency model.

Ties break by the order in which actions were scheduled (a sequence number), so the same seed
and configuration always run the same actions in the same order. Times are integer ns.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from marketmakers.timed_heap import *  # new_heap, heap_push, heap_pop, ...: see there


class Scheduler:
    """The clock and the queue of actions (marketmakers/timed_heap.py: C in the compiled
    build). Each action is numbered as it is scheduled, so of two due at the same time the
    first scheduled runs first."""

    def __init__(self, start_ts: int):
        self.now = start_ts
        self.executed = 0
        self._last_seq = 0
        self._heap = new_heap()

    def __dealloc__(self):  # the compiled build frees its heap (interpreted, never called)
        free_heap(self._heap)

    def at(self, ts: int, action: Callable, *args) -> None:
        """Run `action(*args)` at time `ts` (never in the past)."""
        if ts < self.now:
            raise ValueError(f"cannot schedule at {ts}, the clock is at {self.now}")
        self.push(ts, action, args)

    def after(self, delay_ns: int, action: Callable, *args) -> None:
        self.at(self.now + delay_ns, action, *args)

    def push(self, ts: int, action: Callable, args: tuple) -> None:
        """`at` without its check, for a caller on the hot path whose times can never be in the
        past (now plus a delay >= 0; a market session schedules about three actions per
        command)."""
        self._last_seq += 1
        heap_push(self._heap, ts, self._last_seq, (action, args))

    def run_until(self, end_ts: int) -> int:
        """Run every action due up to and including `end_ts`; returns how many ran."""
        heap = self._heap
        ran = 0
        while heap_len(heap) and heap_first_ts(heap) <= end_ts:
            self.now = heap_first_ts(heap)
            action, args = heap_pop(heap)
            action(*args)
            ran += 1
        self.now = max(self.now, end_ts)
        self.executed += ran
        return ran

    def shift(self, delta_ns: int) -> None:
        """Move the clock and every pending action `delta_ns` later, in the same order: time
        stands still for everything scheduled (a multi-day session skips the hours between
        its trading windows this way)."""
        if delta_ns < 0:
            raise ValueError(f"cannot shift the clock back by {-delta_ns} ns")
        heap_shift(self._heap, delta_ns)
        self.now += delta_ns

    def __len__(self) -> int:
        return heap_len(self._heap)

    def clear(self) -> None:
        """Drop every pending action. The compiled heap holds its actions where the cyclic
        garbage collector cannot see them, so actions that refer back to their owner (a session's
        agents and timers do) would keep it alive for ever: the owner clears its scheduler when
        it is done with it."""
        while heap_len(self._heap):
            heap_pop(self._heap)


@dataclass(frozen=True)
class Latency:
    """One-way delay in ns: a floor plus a log-normal part (median `median_ns`, shape `sigma`),
    as measured network and gateway delays look. Drawn from the agent's own generator."""

    floor_ns: int = 50_000
    median_ns: int = 200_000
    sigma: float = 0.5

    def __post_init__(self):
        if self.floor_ns < 0 or self.median_ns <= 0 or self.sigma < 0:
            raise ValueError("need floor_ns >= 0, median_ns > 0, sigma >= 0")

    def draw(self, rng: np.random.Generator) -> int:
        return self.floor_ns + int(self.median_ns * float(np.exp(self.sigma * rng.standard_normal())))

    def draws(self, rng: np.random.Generator, batch: int = 1024):
        """Endless delays of the same law, drawn `batch` at a time with one numpy call: an agent
        keeps the iterator's `__next__`, a C-level call per message (`batched_draws`)."""
        def one_batch() -> list:
            delays = self.median_ns * np.exp(self.sigma * rng.standard_normal(batch))
            return (delays.astype(np.int64) + self.floor_ns).tolist()
        return batched_draws(one_batch)


def batched_draws(one_batch: Callable[[], list]):
    """Endless values from a function that draws a batch of them (a list) per call: a chain
    over the batches, so taking a value is a C-level call (a generator yielding from each
    batch would resume its frame for every value)."""
    return itertools.chain.from_iterable(iter(one_batch, None))
