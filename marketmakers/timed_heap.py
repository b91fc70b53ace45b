"""The scheduler's queue (marketmakers/scheduler.py): items ordered by (time, sequence number).

Interpreted, the heap is a list of (ts, seq, item) tuples under `heapq`. In the compiled build,
timed_heap.pxd gives the modules that cimport it the same functions in C: the heap is an array
of C structs, so ordering two entries compares two C integers, where comparing two heapq tuples
cost about 250 instructions (docs/benchmarks.md, "The scheduler's queue in C"). (ts, seq) is a
total order (the caller numbers its pushes), so both builds give the items back in the same
order. The modules take the names with `from marketmakers.timed_heap import *`, the one import
form that lets the compiled modules' `cimport` stand beside it (as clearing/fast_events.py).
"""

from heapq import heappop, heappush

__all__ = ["new_heap", "heap_push", "heap_len", "heap_first_ts", "heap_pop", "heap_shift", "free_heap"]


def new_heap() -> list:
    return []


def heap_push(heap: list, ts: int, seq: int, item: object) -> None:
    heappush(heap, (ts, seq, item))


def heap_len(heap: list) -> int:
    return len(heap)


def heap_first_ts(heap: list) -> int:
    """The earliest time in a heap that is not empty."""
    return heap[0][0]


def heap_pop(heap: list) -> object:
    """Take the earliest item off a heap that is not empty (of equal times, the first pushed)."""
    return heappop(heap)[2]


def heap_shift(heap: list, delta: int) -> None:
    """Every item `delta` later: adding the same amount to every time keeps the heap's order."""
    heap[:] = [(ts + delta, seq, item) for ts, seq, item in heap]


def free_heap(heap: list) -> None:
    """Drop the items (the compiled build frees the heap's memory too)."""
    heap.clear()
