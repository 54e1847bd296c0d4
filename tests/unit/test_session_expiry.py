"""Refresh sessions end after an idle time and an absolute lifetime."""

from __future__ import annotations

from datetime import timedelta

import pytest

import messenger
from messenger.adapters.memory import TickingClock
from messenger.container import in_memory_container
from messenger.domain.errors import InvalidToken
from messenger.domain.model import Limits
from messenger.domain.service import Messenger
from messenger.settings import Settings, SettingsError

IDLE = timedelta(hours=1)
LIFETIME = timedelta(hours=3)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def app(clock: TickingClock) -> Messenger:
    # No session cache: every check reads the session, as another process would.
    limits = Limits(session_idle=IDLE, session_lifetime=LIFETIME, session_cache_seconds=0)
    return messenger.in_memory(clock=clock, limits=limits)


async def test_refreshing_within_the_idle_time_keeps_the_session(
    app: Messenger, clock: TickingClock
) -> None:
    result = await app.register("alice", "password-123")
    for _ in range(2):
        clock.advance(IDLE - MINUTE)
        result = await app.refresh_session(result.refresh_token)

    assert await app.authorize(result.access_token)
    assert [s.id for s in (await app.list_sessions(result.user.id)).items] == [result.session.id]


async def test_a_session_not_refreshed_for_the_idle_time_is_over(
    app: Messenger, clock: TickingClock
) -> None:
    result = await app.register("alice", "password-123")

    clock.advance(IDLE + MINUTE)

    with pytest.raises(InvalidToken):
        await app.refresh_session(result.refresh_token)
    assert (await app.list_sessions(result.user.id)).items == ()


async def test_an_idle_session_no_longer_authorizes_its_unexpired_access_token(
    clock: TickingClock,
) -> None:
    # An access token that outlives the session's idle time (15 minutes against 10).
    limits = Limits(session_idle=timedelta(minutes=10), session_cache_seconds=0)
    app = messenger.in_memory(clock=clock, limits=limits)
    result = await app.register("alice", "password-123")
    assert await app.authorize(result.access_token)

    clock.advance(timedelta(minutes=11))

    with pytest.raises(InvalidToken):
        await app.authorize(result.access_token)


async def test_a_session_ends_at_its_lifetime_however_often_it_is_refreshed(
    app: Messenger, clock: TickingClock
) -> None:
    result = await app.register("alice", "password-123")
    while True:
        clock.advance(IDLE / 2)
        try:
            result = await app.refresh_session(result.refresh_token)
        except InvalidToken:
            break
        assert result.session.created_at + LIFETIME > clock.now()

    assert result.session.created_at + LIFETIME <= clock.now()
    with pytest.raises(InvalidToken):
        await app.authorize(result.access_token)
    assert (await app.list_sessions(result.user.id)).items == ()


async def test_expired_sessions_are_not_listed_but_live_ones_are(
    app: Messenger, clock: TickingClock
) -> None:
    old = await app.register("alice", "password-123", device_name="old phone")
    clock.advance(IDLE - MINUTE)
    laptop = await app.authenticate("alice", "password-123", device_name="laptop")
    clock.advance(2 * MINUTE)

    sessions = (await app.list_sessions(old.user.id)).items

    assert [s.id for s in sessions] == [laptop.session.id]


def test_the_idle_time_and_lifetime_are_settings_in_days() -> None:
    env = {
        "MESSENGER_SECRET_KEY": "x" * 32,
        "MESSENGER_SESSION_IDLE_DAYS": "7",
        "MESSENGER_SESSION_MAX_DAYS": "30",
    }
    limits = in_memory_container(settings=Settings.from_env(env)).limits()

    assert (limits.session_idle, limits.session_lifetime) == (timedelta(days=7), timedelta(days=30))
    defaults = Settings.from_env({"MESSENGER_SECRET_KEY": "x" * 32})
    assert (defaults.session_idle_days, defaults.session_max_days) == (30, 90)


@pytest.mark.parametrize(("idle", "lifetime"), [("0", "90"), ("31", "30")])
def test_an_idle_time_beyond_the_lifetime_is_refused(idle: str, lifetime: str) -> None:
    env = {
        "MESSENGER_SECRET_KEY": "x" * 32,
        "MESSENGER_SESSION_IDLE_DAYS": idle,
        "MESSENGER_SESSION_MAX_DAYS": lifetime,
    }
    with pytest.raises(SettingsError):
        Settings.from_env(env)
