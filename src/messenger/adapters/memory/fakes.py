"""In-process adapters for the non-storage ports: notifier, clock, ids, tokens, files,
login throttle, and a fast password hasher for tests.

All of them are real implementations (nothing here is a mock): an embedding service can run
on them in one process.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta

from messenger.adapters.fanout import DeliveryFanOut
from messenger.domain.errors import InvalidToken, PayloadTooLarge, Throttled
from messenger.domain.events import Notification
from messenger.domain.model import AccessClaims
from messenger.domain.ports import (
    Clock,
    DeliveryEncoder,
    EventStream,
    Listener,
)


class InProcessNotifier:
    """Delivers notifications within this process: to the ``subscribe``d listeners as they
    are (the domain's events), and, encoded once by ``encode``, to the listeners of
    ``deliveries`` (the ``EventStream`` the socket hub reads). A failing listener is
    isolated from the others."""

    def __init__(self, encode: DeliveryEncoder | None = None) -> None:
        self._listeners: list[Listener] = []
        self._encode = encode
        self._deliveries = DeliveryFanOut()
        self.errors = 0

    @property
    def deliveries(self) -> EventStream:
        """Every notification of this process, encoded (once, however many listen)."""
        if self._encode is None:
            raise TypeError("An InProcessNotifier without encode= has no deliveries.")
        return self._deliveries

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    async def publish(self, notifications: Sequence[Notification]) -> None:
        for notification in notifications:
            self.dispatch(notification)
        encode, deliveries = self._encode, self._deliveries
        if encode is not None and deliveries.listening:
            for notification in notifications:
                try:
                    delivery = encode(notification)
                except Exception:
                    # The change is committed: failing the caller would only make it retry.
                    self.errors += 1
                    continue
                deliveries.dispatch(delivery)

    def dispatch(self, notification: Notification) -> None:
        for listener in list(self._listeners):
            try:
                listener(notification)
            except Exception:
                self.errors += 1


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class TickingClock:
    """A deterministic clock for tests: every reading is one millisecond later."""

    def __init__(self, start: datetime | None = None, step: timedelta = timedelta(milliseconds=1)):
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._step = step

    def now(self) -> datetime:
        self._now += self._step
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class RandomIds:
    def new_id(self) -> str:
        return secrets.token_urlsafe(16)

    def new_secret(self) -> str:
        return secrets.token_urlsafe(32)


class FastHasher:
    """Salted SHA-256: for tests only, where argon2's deliberate slowness just costs time."""

    async def hash(self, password: str) -> str:
        salt = secrets.token_hex(8)
        return f"fast${salt}${hashlib.sha256((salt + password).encode()).hexdigest()}"

    async def verify(self, password_hash: str, password: str) -> bool:
        try:
            _, salt, digest = password_hash.split("$")
        except ValueError:
            return False
        expected = hashlib.sha256((salt + password).encode()).hexdigest()
        return hmac.compare_digest(digest, expected)

    def needs_rehash(self, password_hash: str) -> bool:
        return False

    async def dummy_verify(self, password: str) -> None:
        await self.verify("fast$00$00", password)


class InMemoryTokens:
    """Opaque access tokens remembered in memory (the JWT issuer is the production one)."""

    def __init__(self, clock: Clock, lifetime: int = 900) -> None:
        self._clock = clock
        self._lifetime = lifetime
        self._tokens: dict[str, tuple[AccessClaims, datetime]] = {}

    def issue_access(self, user_id: int, session_id: str) -> tuple[str, int]:
        token = secrets.token_urlsafe(24)
        expires = self._clock.now() + timedelta(seconds=self._lifetime)
        claims = AccessClaims(user_id=user_id, session_id=session_id, expires_at=expires)
        self._tokens[token] = (claims, expires)
        return token, self._lifetime

    def verify_access(self, token: str) -> AccessClaims:
        found = self._tokens.get(token)
        if found is None or found[1] <= self._clock.now():
            raise InvalidToken()
        return found[0]


class InMemoryFileStore:
    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}

    async def check(self) -> None:
        return None

    async def save(self, storage_key: str, chunks: AsyncIterable[bytes], max_size: int) -> int:
        parts: list[bytes] = []
        size = 0
        async for chunk in chunks:
            size += len(chunk)
            if size > max_size:
                raise PayloadTooLarge(f"The file is larger than {max_size} bytes.")
            parts.append(chunk)
        self._blobs[storage_key] = b"".join(parts)
        return size

    async def open(self, storage_key: str) -> AsyncIterator[bytes]:
        yield self._blobs[storage_key]

    async def delete(self, storage_key: str) -> None:
        self._blobs.pop(storage_key, None)


class InMemoryLoginThrottle:
    """Per-key failure counter: after ``free_attempts`` failures within ``window`` seconds,
    each further attempt must wait, doubling up to ``max_delay``. Per process."""

    def __init__(
        self,
        free_attempts: int = 5,
        window: float = 900.0,
        base_delay: float = 1.0,
        max_delay: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._free = free_attempts
        self._window = window
        self._base = base_delay
        self._max = max_delay
        self._now = monotonic
        self._failures: dict[str, tuple[int, float]] = {}

    async def check(self, key: str) -> None:
        count, last = self._failures.get(key, (0, 0.0))
        now = self._now()
        if now - last > self._window:
            self._failures.pop(key, None)
            return
        if count >= self._free:
            delay = min(self._max, self._base * 2 ** (count - self._free))
            wait = last + delay - now
            if wait > 0:
                raise Throttled(retry_after=wait)

    async def failed(self, key: str) -> None:
        count, last = self._failures.get(key, (0, 0.0))
        now = self._now()
        if now - last > self._window:
            count = 0
        self._failures[key] = (count + 1, now)
        if len(self._failures) > 100_000:  # bound memory under a spray of usernames
            oldest = sorted(self._failures.items(), key=lambda kv: kv[1][1])[:50_000]
            for k, _ in oldest:
                self._failures.pop(k, None)

    async def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)
