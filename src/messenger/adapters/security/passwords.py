"""argon2id password hashing, off the event loop and with bounded concurrency."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY

from messenger.domain.errors import ServiceUnavailable
from messenger.metrics import Metrics


class Argon2Hasher:
    """The ``PasswordHasher`` port on argon2-cffi (RFC 9106 low-memory profile by default)."""

    def __init__(
        self,
        concurrency: int = 2,
        hasher: _Argon2 | None = None,
        max_waiting: int = 64,
        *,
        metrics: Metrics | None = None,
    ) -> None:
        self._hasher = hasher or _Argon2.from_parameters(RFC_9106_LOW_MEMORY)
        # Beyond this many queued computations a login would wait many seconds (a login
        # storm measured p99 over 30 s); answering "busy, retry in N s" at once is kinder
        # to clients and keeps memory bounded.
        self._max_waiting = max_waiting
        self._waiting = 0
        self._concurrency = max(1, concurrency)
        self._seconds_per_hash = 0.1
        # Each computation holds ~64 MiB and a core for ~100 ms; without a bound a burst of
        # logins would exhaust memory and starve every other request.
        self._slots = asyncio.Semaphore(max(1, concurrency))
        # A real hash of a random password: verifying against it costs what a real
        # verification costs, which hides whether a login name exists.
        self._dummy_hash = self._hasher.hash("not a password: timing equaliser")
        self._running = 0
        self.refused = 0  # computations refused because too many waited
        if metrics is not None:
            metrics.gauge(
                "messenger_password_hash_waiting",
                "Password hash computations waiting for a slot",
                lambda: self._waiting,
            )
            metrics.gauge(
                "messenger_password_hash_running",
                "Password hash computations running",
                lambda: self._running,
            )
            metrics.gauge(
                "messenger_password_hash_slots",
                "Password hash computations allowed at once (MESSENGER_HASH_CONCURRENCY)",
                lambda: self._concurrency,
            )
            metrics.counter(
                "messenger_password_hash_refused",
                "Logins answered 503 because too many hash computations waited",
                lambda: self.refused,
            )

    async def hash(self, password: str) -> str:
        async with self._slot():
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        async with self._slot():
            return await asyncio.to_thread(self._verify, password_hash, password)

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        if self._waiting >= self._max_waiting:
            self.refused += 1
            backlog = self._waiting * self._seconds_per_hash / self._concurrency
            raise ServiceUnavailable(
                "Too many logins at once; try again shortly.", retry_after=max(1.0, backlog)
            )
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        started = time.monotonic()
        self._running += 1
        try:
            yield
        finally:
            self._running -= 1
            self._slots.release()
            # A moving estimate of one computation, for the Retry-After hint.
            elapsed = time.monotonic() - started
            self._seconds_per_hash += (elapsed - self._seconds_per_hash) * 0.2

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    async def dummy_verify(self, password: str) -> None:
        await self.verify(self._dummy_hash, password)
