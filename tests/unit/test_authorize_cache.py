"""Authorize trusts a session it found active for a short while, but never past a local
revocation."""

from __future__ import annotations

import dataclasses

import pytest

import messenger
from messenger.adapters.memory import (
    InMemorySessionTrust,
    InMemoryUnitOfWork,
    InMemoryUnitOfWorkFactory,
    TickingClock,
)
from messenger.domain.errors import InvalidToken
from messenger.domain.model import AccessClaims, AuthResult, Limits
from messenger.domain.service import Messenger
from messenger.domain.usecases import Authorize, Ports


class Monotonic:
    """A clock for the cache's deadlines that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingUow:
    """A unit-of-work factory that counts the units it hands out."""

    def __init__(self, inner: InMemoryUnitOfWorkFactory) -> None:
        self.inner = inner
        self.opened = 0

    def __call__(self, *, read_only: bool = False) -> InMemoryUnitOfWork:
        self.opened += 1
        return self.inner(read_only=read_only)


def _claims(result: AuthResult) -> AccessClaims:
    return AccessClaims(user_id=result.user.id, session_id=result.session.id)


def _who(claims: AccessClaims) -> tuple[int, str]:
    return (claims.user_id, claims.session_id)


@pytest.fixture
def app() -> Messenger:
    # The tests move the cache clock, not this one, so access tokens stay valid.
    return messenger.in_memory(clock=TickingClock())


def _authorize(ports: Ports, clock: Monotonic) -> tuple[Authorize, CountingUow]:
    counting = CountingUow(_store_factory_of(ports))
    return Authorize(dataclasses.replace(ports, uow=counting), monotonic=clock), counting


def _store_factory_of(ports: Ports) -> InMemoryUnitOfWorkFactory:
    assert isinstance(ports.uow, InMemoryUnitOfWorkFactory)
    return ports.uow


async def test_a_cached_session_is_not_read_again(app: Messenger) -> None:
    login = await app.register("alice", "password-123")
    authorize, uow = _authorize(app.ports, Monotonic())
    assert _who(await authorize(login.access_token)) == _who(_claims(login))
    assert _who(await authorize(login.access_token)) == _who(_claims(login))
    assert _who(await authorize(login.access_token)) == _who(_claims(login))
    assert uow.opened == 1


@pytest.mark.parametrize("how", ["log_out", "revoke_session", "refresh_reuse"])
async def test_a_revocation_in_this_process_takes_effect_at_once(app: Messenger, how: str) -> None:
    login = await app.register("alice", "password-123")
    other = await app.authenticate("alice", "password-123")
    clock = Monotonic()
    authorize, uow = _authorize(app.ports, clock)
    await authorize(login.access_token)
    await authorize(other.access_token)
    if how == "log_out":
        await app.log_out(_claims(login))
    elif how == "revoke_session":
        await app.revoke_session(other.user.id, login.session.id)
    else:
        await app.refresh_session(login.refresh_token)
        with pytest.raises(InvalidToken):
            await app.refresh_session(login.refresh_token)
    # The cache clock has not moved: only the revocation can explain the refusal.
    with pytest.raises(InvalidToken):
        await authorize(login.access_token)
    # The other device's session stays cached.
    opened = uow.opened
    assert _who(await authorize(other.access_token)) == _who(_claims(other))
    assert uow.opened == opened


async def test_another_process_revoking_is_seen_after_the_ttl(app: Messenger) -> None:
    login = await app.register("alice", "password-123")
    # A second "process": the same storage, its own session cache.
    elsewhere = Messenger(dataclasses.replace(app.ports, sessions=InMemorySessionTrust()))
    clock = Monotonic()
    authorize, uow = _authorize(app.ports, clock)
    await authorize(login.access_token)
    await elsewhere.log_out(_claims(login))

    clock.now += app.ports.limits.session_cache_seconds - 0.01
    assert _who(await authorize(login.access_token)) == _who(_claims(login))  # the documented delay
    assert uow.opened == 1
    clock.now += 0.02
    with pytest.raises(InvalidToken):
        await authorize(login.access_token)
    assert uow.opened == 2


async def test_a_session_read_before_a_concurrent_revocation_is_not_cached() -> None:
    cache = InMemorySessionTrust()
    epoch = cache.epoch
    cache.revoke("s1")  # committed while the reader was still loading "s1"
    cache.put("s1", 1, 2000.0, epoch=epoch, max_size=10)
    assert cache.get("s1") is None
    cache.put("s1", 1, 2000.0, epoch=cache.epoch, max_size=10)
    assert cache.get("s1") == (1, 2000.0)


async def test_the_cache_is_bounded_and_drops_the_oldest() -> None:
    cache = InMemorySessionTrust()
    for i in range(5):
        cache.put(f"s{i}", i, 2000.0, epoch=cache.epoch, max_size=3)
    assert len(cache) == 3
    assert cache.get("s1") is None
    assert cache.get("s4") == (4, 2000.0)


async def test_a_zero_ttl_turns_the_cache_off() -> None:
    app = messenger.in_memory(clock=TickingClock(), limits=Limits(session_cache_seconds=0))
    login = await app.register("alice", "password-123")
    authorize, uow = _authorize(app.ports, Monotonic())
    await authorize(login.access_token)
    await authorize(login.access_token)
    assert uow.opened == 2
    assert len(app.ports.sessions) == 0


async def test_a_token_of_another_user_for_a_cached_session_is_refused(app: Messenger) -> None:
    login = await app.register("alice", "password-123")
    authorize, _ = _authorize(app.ports, Monotonic())
    await authorize(login.access_token)
    forged = app.ports.tokens.issue_access(login.user.id + 1, login.session.id)[0]
    with pytest.raises(InvalidToken):
        await authorize(forged)
