"""The argon2 adapter: real hashes, bounded concurrency, and a bounded queue."""

from __future__ import annotations

import asyncio
import time

import pytest
from argon2 import PasswordHasher as _Argon2

from messenger.adapters.security.passwords import Argon2Hasher
from messenger.domain.errors import ServiceUnavailable


class SlowArgon2(_Argon2):
    """Cheap parameters plus a fixed delay, so a queue builds up quickly."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        time.sleep(0.05)
        return super().hash(password, salt=salt)


async def test_a_hash_verifies_and_a_wrong_password_does_not() -> None:
    hasher = Argon2Hasher(hasher=_Argon2(time_cost=1, memory_cost=8, parallelism=1))
    digest = await hasher.hash("correct horse")
    assert await hasher.verify(digest, "correct horse")
    assert not await hasher.verify(digest, "wrong horse")
    assert not await hasher.verify("not a hash", "correct horse")


async def test_a_login_storm_beyond_the_queue_gets_busy_with_retry_after_at_once() -> None:
    hasher = Argon2Hasher(concurrency=1, hasher=SlowArgon2(), max_waiting=2)
    outcomes = await asyncio.gather(
        *(hasher.hash(f"password-{i}") for i in range(8)), return_exceptions=True
    )
    busy = [o for o in outcomes if isinstance(o, ServiceUnavailable)]
    done = [o for o in outcomes if isinstance(o, str)]
    assert busy
    assert len(done) >= 2
    assert all(b.retry_after >= 1.0 for b in busy)
    # Once the storm is over, hashing works again (the queue count went back down).
    assert await hasher.hash("after the storm")


async def test_a_cancelled_waiter_leaves_the_queue() -> None:
    hasher = Argon2Hasher(concurrency=1, hasher=SlowArgon2(), max_waiting=1)
    first = asyncio.create_task(hasher.hash("one"))
    await asyncio.sleep(0.01)
    waiting = asyncio.create_task(hasher.hash("two"))
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await first
    assert await hasher.hash("three")
