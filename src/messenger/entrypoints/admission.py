"""Admission control: at most so many requests of one kind served at once, a bounded queue
behind them, and a quick 503 with ``Retry-After`` for the rest.

After a restart every client reconnects and calls ``GET /sync`` within seconds. Served all
at once, thousands of catch-ups share one core and the database pool: each takes seconds,
the pool's checkouts time out (503s from the storage, or worse) and clients retry into the
same crowd. Bounded, the server works through the crowd at full speed, a client in the
queue waits a little, and a client beyond it is told at once when to come back; the
``Retry-After`` grows with the crowd that was turned away, so the retries spread over the
time the server needs to serve them.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from messenger.domain.errors import ServiceUnavailable

BUSY_MESSAGE = "Too many clients are catching up at once; try again shortly."
MAX_RETRY_AFTER_S = 30.0


class Admission:
    """Serves ``concurrency`` requests at once and queues ``queue`` more (first come, first
    served); refuses the rest with ``ServiceUnavailable`` (503 + ``Retry-After``).
    ``concurrency`` 0: no limit."""

    def __init__(
        self,
        concurrency: int,
        queue: int,
        *,
        message: str = BUSY_MESSAGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if concurrency < 0 or queue < 0:
            raise ValueError("concurrency and queue must not be negative")
        self.concurrency = concurrency
        self.queue = queue
        self.message = message
        self._clock = clock
        self._active = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        # Moving average of one request's time in service (at the concurrency it ran at).
        self._service_s = 0.01
        # Requests turned away in the current and the previous second: the crowd that will
        # come back, which the Retry-After spreads out.
        self._second = 0
        self._refused_now = 0
        self._refused_before = 0
        self.served = 0
        self.refused = 0

    @property
    def active(self) -> int:
        """Requests being served now."""
        return self._active

    @property
    def waiting(self) -> int:
        """Requests queued for a place."""
        return len(self._waiters)

    def retry_after(self) -> float:
        """Seconds after which a refused request may find a place: the time to serve the
        queue and the requests refused lately (at least 1, at most 30)."""
        self._roll()
        crowd = len(self._waiters) + self._refused_now + self._refused_before
        seconds = crowd * self._service_s / max(self.concurrency, 1)
        return min(MAX_RETRY_AFTER_S, max(1.0, math.ceil(seconds)))

    @asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        """Hold a place for the body of the ``async with``; raises ``ServiceUnavailable``
        when every place and the queue are taken."""
        if self.concurrency == 0:
            yield
            return
        if self._active < self.concurrency and not self._waiters:
            self._active += 1
        else:
            await self._wait()
        started = self._clock()
        try:
            yield
        finally:
            self._service_s += (self._clock() - started - self._service_s) * 0.1
            self.served += 1
            self._release()

    async def _wait(self) -> None:
        if len(self._waiters) >= self.queue:
            self._refuse()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                # The place was handed over just as the client went away: pass it on.
                self._release()
            else:
                self._waiters.remove(waiter)
            raise

    def _release(self) -> None:
        # A place is handed to the first waiter still there (the count stays); only when
        # nobody waits does it become free.
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._active -= 1

    def _roll(self) -> None:
        second = int(self._clock())
        if second != self._second:
            self._refused_before = self._refused_now if second == self._second + 1 else 0
            self._refused_now = 0
            self._second = second

    def _refuse(self) -> None:
        self._roll()
        self._refused_now += 1
        self.refused += 1
        raise ServiceUnavailable(self.message, retry_after=self.retry_after())


__all__ = ["BUSY_MESSAGE", "Admission"]
