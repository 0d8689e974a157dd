"""A priority-aware concurrency limit for one endpoint.

When slots are scarce the waiter with the highest priority gets the next
free slot (ties: first come, first served). The runner passes the amount of
work left behind a request as its priority, so the longest dialogues start
first and do not become the run's tail.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["PriorityLimiter"]


class PriorityLimiter:
    """At most ``limit`` holders at once; waiters served by priority, then arrival.

    The limit may change while slots are held (:meth:`set_limit`, driven by
    :class:`~mteval.models.adaptive.AdaptiveLimit`): holders above a lowered
    limit keep their slots, and nobody new gets one until enough are released.

    Args:
        limit: Number of slots (``--max-connections``).
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the concurrency limit must be at least 1")
        self.limit = limit
        self._in_use = 0
        self._waiters: list[tuple[float, int, asyncio.Future[None]]] = []
        self._counter = itertools.count()
        self.peak = 0
        # Time-weighted slot use, for "the concurrency actually used".
        self._since: float | None = None
        self._changed_at = 0.0
        self._busy_area = 0.0

    def set_limit(self, limit: int) -> None:
        """Change the number of slots; a raised limit admits waiters at once."""
        if limit < 1:
            raise ValueError("the concurrency limit must be at least 1")
        self.limit = limit
        self._wake_next()

    @property
    def mean_in_use(self) -> float:
        """Mean number of slots held since the first was taken (time-weighted)."""
        if self._since is None:
            return 0.0
        now = time.monotonic()
        area = self._busy_area + self._in_use * (now - self._changed_at)
        elapsed = now - self._since
        return area / elapsed if elapsed > 0 else float(self._in_use)

    def _account(self) -> None:
        now = time.monotonic()
        if self._since is None:
            self._since = now
        else:
            self._busy_area += self._in_use * (now - self._changed_at)
        self._changed_at = now

    @property
    def in_use(self) -> int:
        """Slots held right now."""
        return self._in_use

    @property
    def waiting(self) -> int:
        """Number of tasks waiting for a slot."""
        return sum(1 for _, _, fut in self._waiters if not fut.done())

    async def acquire(self, priority: float = 0.0) -> None:
        """Wait for a slot; higher ``priority`` is served first."""
        if self._in_use < self.limit and not self._has_live_waiters():
            self._take()
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (-priority, next(self._counter), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                # The slot was handed to us just as we were cancelled: pass it on.
                self._account()
                self._in_use -= 1
                self._wake_next()
            raise

    def release(self) -> None:
        """Give a slot back and hand it to the best waiter."""
        self._account()
        self._in_use -= 1
        self._wake_next()

    @asynccontextmanager
    async def slot(self, priority: float = 0.0) -> AsyncIterator[None]:
        """Hold a slot for the duration of the ``async with`` block."""
        await self.acquire(priority)
        try:
            yield
        finally:
            self.release()

    def _take(self) -> None:
        self._account()
        self._in_use += 1
        if self._in_use > self.peak:
            self.peak = self._in_use

    def _has_live_waiters(self) -> bool:
        while self._waiters and self._waiters[0][2].done():
            heapq.heappop(self._waiters)
        return bool(self._waiters)

    def _wake_next(self) -> None:
        while self._in_use < self.limit and self._waiters:
            _, _, future = heapq.heappop(self._waiters)
            if future.done():
                continue
            self._take()
            future.set_result(None)
