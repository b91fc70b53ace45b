"""A queue with one consumer: the service's command queue and each connection's outbox.

asyncio.Queue serves any number of producers and consumers, bounded both ways, with task
accounting (`join`); every put and get pays for that (an Event cleared per put, waiter deques
walked on both sides): about a microsecond and a half per message here, and a WebSocket order
passes two such queues. These queues have one consumer each and producers that never wait
(the command queue is unbounded; a full outbox cuts its connection off), so a deque and the
one consumer's waiting future are all they need. The methods used of asyncio.Queue keep its
names and its exceptions.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Mailbox:
    def __init__(self, maxsize: int = 0):
        self.maxsize = maxsize  # 0: unbounded
        self._items: deque = deque()
        self._waiter: asyncio.Future | None = None

    def put_nowait(self, item) -> None:
        """Raises asyncio.QueueFull when bounded and full; never waits."""
        if self.maxsize and len(self._items) >= self.maxsize:
            raise asyncio.QueueFull
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def get_nowait(self):
        """Raises asyncio.QueueEmpty when empty."""
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.popleft()

    async def get(self):
        """The next item, waiting for one (one consumer at a time)."""
        while not self._items:
            if self._waiter is not None:
                raise RuntimeError("a Mailbox has one consumer")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.popleft()

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)
