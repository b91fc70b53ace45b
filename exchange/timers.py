"""What the venue must do at a given time, whatever command arrives then: expire a GTD order,
end a halt, close a contract at its last trading time.

A heap of (due ts, kind, key); `next_due` lets `Venue.submit` skip the heap with one
comparison. Kinds due at the same time run in the order of their numbers.
"""

from __future__ import annotations

import heapq

NEVER = 1 << 63  # no timer pending
GTD, HALT_END, LAST_TRADE = 0, 1, 2  # key: the order id, the symbol, the symbol


class Timers:
    __slots__ = ("heap", "next_due")

    def __init__(self):
        self.heap: list[tuple[int, int, object]] = []
        self.next_due: int = NEVER

    def add(self, due: int, kind: int, key) -> None:
        heapq.heappush(self.heap, (due, kind, key))
        if due < self.next_due:
            self.next_due = due

    def pop_due(self, ts: int):
        """The next timer due at `ts` or before, or None (and `next_due` moves on)."""
        heap = self.heap
        if heap and heap[0][0] <= ts:
            return heapq.heappop(heap)
        self.next_due = heap[0][0] if heap else NEVER
        return None
