"""Passwords: the most common ones are refused wherever a password is set, and changing the
password (confirmed by the current one) ends every other session."""

from __future__ import annotations

import pytest

from messenger.adapters.memory import InMemoryLoginThrottle, TickingClock
from messenger.adapters.security import BundledCommonPasswords
from messenger.container import in_memory_container
from messenger.domain.errors import (
    InvalidCredentials,
    InvalidToken,
    PasswordTooCommon,
    Throttled,
    ValidationError,
    WrongPassword,
)
from messenger.domain.events import Notification, SessionsEnded
from messenger.domain.model import AuthResult
from messenger.domain.service import Messenger
from tests.unit.conftest import store_of

# A stand-in for the bundled list: a few of its entries (it is lowercased, like this).
COMMON = frozenset({"password123", "iloveyou", "qwertyuiop", "dragon", "monkey", "football"})
OLD = "umbrella-canyon-17"
NEW = "violet kettle marathon"


def build(throttle: InMemoryLoginThrottle | None = None) -> tuple[Messenger, list[Notification]]:
    """The in-memory messenger with the small list, and every notification it publishes."""
    container = in_memory_container(
        clock=TickingClock(), common_passwords=COMMON, throttle=throttle
    )
    app: Messenger = container.messenger()
    seen: list[Notification] = []
    app.ports.notifier.subscribe(seen.append)  # type: ignore[attr-defined]
    return app, seen


def ended(seen: list[Notification]) -> list[SessionsEnded]:
    return [n.event for n in seen if isinstance(n.event, SessionsEnded)]


# --- the most common passwords ------------------------------------------------------------


@pytest.mark.parametrize("password", ["password123", "PassWord123", "ILOVEYOU", " qwertyuiop "])
async def test_registering_refuses_a_most_common_password_in_any_case(password: str) -> None:
    app, _ = build()

    with pytest.raises(PasswordTooCommon) as caught:
        await app.register("alice", password)

    assert caught.value.code == "password_too_common"
    assert caught.value.field == "password"
    assert isinstance(caught.value, ValidationError)  # answered 422, like other bad input
    assert not store_of(app).users


async def test_a_long_passphrase_of_common_words_is_welcome() -> None:
    app, _ = build()

    result = await app.register("alice", "dragon monkey football")

    assert (await app.authenticate("alice", "dragon monkey football")).user.id == result.user.id


@pytest.mark.parametrize("password", ["password1", "iloveyou", "12345678", "Trustno1"])
async def test_the_in_memory_preset_refuses_the_bundled_most_common_passwords(
    app: Messenger, password: str
) -> None:
    with pytest.raises(PasswordTooCommon):
        await app.register("alice", password)


async def test_the_in_memory_preset_accepts_a_passphrase_of_words_from_the_bundled_list(
    app: Messenger,
) -> None:
    # "dragon", "monkey" and "football" are each among the most common passwords.
    assert (await app.register("alice", "dragon monkey football sunshine")).user


def test_the_bundled_list_holds_about_20000_lowercased_passwords() -> None:
    common = BundledCommonPasswords()

    assert 19_000 <= len(common) <= 20_000
    assert "password" in common
    assert "qwerty123" in common
    assert "Password" not in common  # the domain lowercases before asking
    assert "violet kettle marathon" not in common


# --- changing the password ----------------------------------------------------------------


async def _alice_on_three_devices(app: Messenger) -> tuple[AuthResult, AuthResult, AuthResult]:
    phone = await app.register("alice", OLD, device_name="phone")
    laptop = await app.authenticate("alice", OLD, device_name="laptop")
    tablet = await app.authenticate("alice", OLD, device_name="tablet")
    return phone, laptop, tablet


async def test_after_changing_the_password_only_the_new_one_logs_in() -> None:
    app, _ = build()
    phone, _, _ = await _alice_on_three_devices(app)

    await app.change_password(await app.authorize(phone.access_token), OLD, NEW)

    with pytest.raises(InvalidCredentials):
        await app.authenticate("alice", OLD)
    assert (await app.authenticate("alice", NEW)).user.id == phone.user.id


async def test_changing_the_password_ends_every_other_session_and_keeps_the_current_one() -> None:
    app, _ = build()
    phone, laptop, tablet = await _alice_on_three_devices(app)
    bob = await app.register("bob", OLD)

    await app.change_password(await app.authorize(laptop.access_token), OLD, NEW)

    for other in (phone, tablet):
        with pytest.raises(InvalidToken):
            await app.authorize(other.access_token)
        with pytest.raises(InvalidToken):
            await app.refresh_session(other.refresh_token)
    assert await app.authorize(laptop.access_token)
    assert (await app.refresh_session(laptop.refresh_token)).session.id == laptop.session.id
    assert [s.id for s in (await app.list_sessions(laptop.user.id)).items] == [laptop.session.id]
    assert await app.authorize(bob.access_token)  # nobody else's sessions


async def test_changing_the_password_closes_exactly_the_other_sessions_sockets() -> None:
    app, seen = build()
    phone, laptop, tablet = await _alice_on_three_devices(app)
    await app.register("bob", OLD)
    seen.clear()

    await app.change_password(await app.authorize(laptop.access_token), OLD, NEW)

    [event] = ended(seen)
    assert event.user_id == laptop.user.id
    assert sorted(event.session_ids) == sorted([phone.session.id, tablet.session.id])
    [notification] = [n for n in seen if n.event is event]
    assert notification.recipients == frozenset({laptop.user.id})


async def test_with_no_other_session_changing_the_password_ends_nothing() -> None:
    app, seen = build()
    alice = await app.register("alice", OLD)

    await app.change_password(await app.authorize(alice.access_token), OLD, NEW)

    assert ended(seen) == []
    assert await app.authorize(alice.access_token)


async def test_a_wrong_current_password_is_refused_and_changes_nothing() -> None:
    app, seen = build()
    phone, laptop, _ = await _alice_on_three_devices(app)
    seen.clear()

    with pytest.raises(WrongPassword) as caught:
        await app.change_password(await app.authorize(laptop.access_token), "not-my-password", NEW)

    assert caught.value.code == "invalid_credentials"
    assert await app.authorize(phone.access_token)
    assert (await app.authenticate("alice", OLD)).user
    assert ended(seen) == []


@pytest.mark.parametrize(
    ("new_password", "error"),
    [("PASSWORD123", PasswordTooCommon), ("short", ValidationError), ("x" * 129, ValidationError)],
)
async def test_a_new_password_breaking_the_rules_is_refused_on_the_new_password_field(
    new_password: str, error: type[ValidationError]
) -> None:
    app, seen = build()
    phone, laptop, _ = await _alice_on_three_devices(app)
    seen.clear()

    with pytest.raises(error) as caught:
        await app.change_password(await app.authorize(laptop.access_token), OLD, new_password)

    assert caught.value.field == "new_password"
    assert await app.authorize(phone.access_token)
    assert (await app.authenticate("alice", OLD)).user
    assert ended(seen) == []


async def test_a_long_passphrase_is_accepted_as_the_new_password() -> None:
    app, _ = build()
    alice = await app.register("alice", OLD)
    passphrase = "iloveyou " * 14  # 126 characters of a common password, repeated

    await app.change_password(await app.authorize(alice.access_token), OLD, passphrase)

    assert (await app.authenticate("alice", passphrase)).user


async def test_wrong_current_passwords_count_against_the_login_throttle() -> None:
    app, _ = build(InMemoryLoginThrottle(free_attempts=3))
    alice = await app.register("alice", OLD)
    claims = await app.authorize(alice.access_token)
    for _ in range(3):
        with pytest.raises(WrongPassword):
            await app.change_password(claims, "guess-number-n", NEW, address="203.0.113.9")

    # From that address, neither changing nor logging in works for a while, right or not...
    with pytest.raises(Throttled):
        await app.change_password(claims, OLD, NEW, address="203.0.113.9")
    with pytest.raises(Throttled):
        await app.authenticate("alice", OLD, address="203.0.113.9")
    # ...while the owner, elsewhere, is not locked out.
    assert (await app.authenticate("alice", OLD, address="198.51.100.7")).user


async def test_wrong_logins_count_against_changing_the_password() -> None:
    app, _ = build(InMemoryLoginThrottle(free_attempts=2))
    alice = await app.register("alice", OLD)
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            await app.authenticate("alice", "guess-number-n", address="203.0.113.9")

    with pytest.raises(Throttled):
        await app.change_password(
            await app.authorize(alice.access_token), OLD, NEW, address="203.0.113.9"
        )
