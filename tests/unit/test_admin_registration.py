"""Who may register: the registration mode (environment, then an administrator's choice)
and invites."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import messenger
from messenger.adapters.memory import TickingClock
from messenger.container import in_memory_container
from messenger.domain.administration import OPERATOR, RegistrationMode
from messenger.domain.audit import SECURITY_EVENTS, AuditAction, AuditEntry
from messenger.domain.errors import (
    Forbidden,
    InviteRequired,
    NotFound,
    RegistrationClosed,
    ValidationError,
)
from messenger.domain.model import Limits
from messenger.domain.ports import UnitOfWork
from messenger.domain.service import Messenger
from messenger.settings import Settings, SettingsError
from tests.unit.conftest import store_of

PASSWORD = "password-123"


def server(mode: RegistrationMode, clock: TickingClock | None = None) -> Messenger:
    return messenger.in_memory(clock=clock, limits=Limits(registration=mode))


async def with_admin(app: Messenger) -> int:
    """The first account (an administrator: a fresh server takes it whatever the mode)."""
    return (await app.register("root", PASSWORD)).user.id


async def audit_actions(app: Messenger) -> list[AuditAction]:
    async with app.ports.uow(read_only=True) as uow:
        return [e.action for e in await admin_entries(uow)]


async def admin_entries(uow: UnitOfWork) -> list[AuditEntry]:
    """The audit log without the security events that registering and logging in write."""
    return [e for e in await uow.audit.page(limit=100) if e.action not in SECURITY_EVENTS]


# --- the mode -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(RegistrationMode))
async def test_a_fresh_server_registers_its_first_account_whatever_the_mode(
    mode: RegistrationMode,
) -> None:
    app = server(mode)
    assert await app.get_registration_mode() is RegistrationMode.OPEN

    first = await app.register("root", PASSWORD)

    assert first.user.is_admin
    assert await app.get_registration_mode() is mode


async def test_a_closed_server_registers_nobody_but_the_operators_accounts() -> None:
    app = server(RegistrationMode.CLOSED)
    await with_admin(app)

    with pytest.raises(RegistrationClosed):
        await app.register("bob", PASSWORD)
    assert (await app.register("bob", PASSWORD, by_operator=True)).user.username == "bob"


async def test_an_invite_server_needs_a_valid_invite() -> None:
    app = server(RegistrationMode.INVITE)
    admin = await with_admin(app)
    with pytest.raises(InviteRequired):
        await app.register("bob", PASSWORD)
    with pytest.raises(InviteRequired):
        await app.register("bob", PASSWORD, invite_token="made-up")

    issued = await app.create_invite(admin)
    bob = await app.register("bob", PASSWORD, invite_token=issued.token)

    assert not bob.user.is_admin
    assert (await app.get_invite(admin, issued.invite.id)).used == 1
    # Used up: it admits nobody else.
    with pytest.raises(InviteRequired):
        await app.register("carol", PASSWORD, invite_token=issued.token)


async def test_an_administrators_choice_wins_over_the_environment() -> None:
    app = server(RegistrationMode.OPEN)
    admin = await with_admin(app)
    assert (await app.get_server_settings(admin)).registration is RegistrationMode.OPEN

    changed = await app.change_server_settings(
        admin, registration=RegistrationMode.CLOSED, address="::1"
    )

    assert changed.registration is RegistrationMode.CLOSED
    assert await app.get_registration_mode() is RegistrationMode.CLOSED
    with pytest.raises(RegistrationClosed):
        await app.register("bob", PASSWORD)
    async with app.ports.uow(read_only=True) as uow:
        [entry] = await admin_entries(uow)
    assert entry.action is AuditAction.SETTINGS_CHANGED
    assert (entry.actor_id, entry.address) == (admin, "::1")
    assert entry.detail == "registration: open → closed"
    # The same value again changes and tells nothing.
    await app.change_server_settings(admin, registration=RegistrationMode.CLOSED)
    await app.change_server_settings(admin)
    assert len(await audit_actions(app)) == 1


async def test_only_administrators_see_and_change_the_settings() -> None:
    app = server(RegistrationMode.OPEN)
    await with_admin(app)
    bob = (await app.register("bob", PASSWORD)).user.id

    with pytest.raises(Forbidden):
        await app.get_server_settings(bob)
    with pytest.raises(Forbidden):
        await app.change_server_settings(bob, registration=RegistrationMode.OPEN)
    # The operator at the shell is audited with no actor.
    await app.change_server_settings(OPERATOR, registration=RegistrationMode.INVITE)
    async with app.ports.uow(read_only=True) as uow:
        [entry] = await admin_entries(uow)
    assert entry.actor_id is None


# --- invites --------------------------------------------------------------------------------


async def test_an_invite_is_stored_hashed_and_listed_newest_first() -> None:
    app = server(RegistrationMode.INVITE)
    admin = await with_admin(app)
    first = await app.create_invite(admin, email="Bob@Example.com", uses=None)
    second = await app.create_invite(admin, expires_in=60, uses=3)

    stored = store_of(app).invites[first.invite.id]
    assert first.token not in (stored.token_hash, stored.id)
    assert stored.email == "bob@example.com"
    assert stored.uses is None
    assert second.invite.expires_at - second.invite.created_at == timedelta(seconds=60)
    assert first.invite.expires_at - first.invite.created_at == timedelta(days=7)
    page = await app.list_invites(admin, limit=1)
    assert [i.id for i in page.items] == [second.invite.id]
    rest = await app.list_invites(admin, limit=1, cursor=page.next_cursor)
    assert [i.id for i in rest.items] == [first.invite.id]
    assert not rest.has_more
    assert await audit_actions(app) == [AuditAction.INVITE_CREATED] * 2


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("expires_in", {"expires_in": 0}),
        ("expires_in", {"expires_in": 90 * 86400 + 1}),
        ("uses", {"uses": 0}),
        ("email", {"email": "not an email"}),
    ],
)
async def test_an_invite_out_of_bounds_is_refused(field: str, kwargs: dict[str, object]) -> None:
    app = server(RegistrationMode.INVITE)
    admin = await with_admin(app)
    with pytest.raises(ValidationError) as caught:
        await app.create_invite(admin, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


async def test_an_invite_for_an_email_admits_only_that_email() -> None:
    app = server(RegistrationMode.INVITE)
    admin = await with_admin(app)
    issued = await app.create_invite(admin, email="bob@example.com")

    with pytest.raises(InviteRequired):
        await app.register("bob", PASSWORD, invite_token=issued.token)
    with pytest.raises(InviteRequired):
        await app.register("bob", PASSWORD, email="eve@example.com", invite_token=issued.token)
    bob = await app.register("bob", PASSWORD, email="BOB@example.com", invite_token=issued.token)
    assert bob.user.email == "bob@example.com"


async def test_an_expired_or_revoked_invite_admits_nobody() -> None:
    clock = TickingClock()
    app = server(RegistrationMode.INVITE, clock)
    admin = await with_admin(app)
    expiring = await app.create_invite(admin, expires_in=3600)
    revoked = await app.create_invite(admin, uses=None)

    await app.revoke_invite(admin, revoked.invite.id, address="::1")
    clock.advance(timedelta(hours=1))

    for issued in (expiring, revoked):
        with pytest.raises(InviteRequired):
            await app.register("bob", PASSWORD, invite_token=issued.token)
        assert not (await app.get_invite(admin, issued.invite.id)).active_at(clock.now())
    assert (await app.get_invite(admin, revoked.invite.id)).revoked
    # Revoking again changes nothing; an unknown invite is not found.
    await app.revoke_invite(admin, revoked.invite.id)
    with pytest.raises(NotFound):
        await app.revoke_invite(admin, "nope")
    with pytest.raises(NotFound):
        await app.get_invite(admin, "nope")
    assert (await audit_actions(app)).count(AuditAction.INVITE_REVOKED) == 1


async def test_an_open_server_counts_a_valid_invite_and_ignores_a_bad_one() -> None:
    app = server(RegistrationMode.OPEN)
    admin = await with_admin(app)
    issued = await app.create_invite(admin, uses=2)

    await app.register("bob", PASSWORD, invite_token=issued.token)
    await app.register("carol", PASSWORD, invite_token="made-up")

    assert (await app.get_invite(admin, issued.invite.id)).used == 1


async def test_a_closed_server_refuses_even_a_valid_invite() -> None:
    app = server(RegistrationMode.CLOSED)
    admin = await with_admin(app)
    issued = await app.create_invite(admin)

    with pytest.raises(RegistrationClosed):
        await app.register("bob", PASSWORD, invite_token=issued.token)
    assert (await app.get_invite(admin, issued.invite.id)).used == 0


async def test_only_administrators_manage_invites() -> None:
    app = server(RegistrationMode.OPEN)
    admin = await with_admin(app)
    bob = (await app.register("bob", PASSWORD)).user.id
    issued = await app.create_invite(admin)

    with pytest.raises(Forbidden):
        await app.create_invite(bob)
    with pytest.raises(Forbidden):
        await app.list_invites(bob)
    with pytest.raises(Forbidden):
        await app.get_invite(bob, issued.invite.id)
    with pytest.raises(Forbidden):
        await app.revoke_invite(bob, issued.invite.id)
    assert (await app.create_invite(OPERATOR)).invite.created_by is None


async def test_a_failed_registration_does_not_use_the_invite() -> None:
    app = server(RegistrationMode.INVITE)
    admin = await with_admin(app)
    issued = await app.create_invite(admin)

    with pytest.raises(ValidationError):
        await app.register("bob", "short", invite_token=issued.token)
    await app.register("bob", PASSWORD, invite_token=issued.token)
    with pytest.raises(Exception):  # noqa: B017, PT011 - taken name, then an invite used up
        await app.register("bob", PASSWORD, invite_token=issued.token)
    assert (await app.get_invite(admin, issued.invite.id)).used == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(uses=st.integers(1, 5), tries=st.integers(0, 9), yields=st.lists(st.integers(0, 3)))
def test_an_invite_of_n_uses_admits_exactly_n_registrations_whatever_the_interleaving(
    uses: int, tries: int, yields: list[int]
) -> None:
    async def scenario() -> None:
        app = server(RegistrationMode.INVITE)
        admin = await with_admin(app)
        issued = await app.create_invite(admin, uses=uses)

        async def attempt(i: int) -> bool:
            # A varying number of event-loop turns before each attempt interleaves them.
            for _ in range(yields[i % len(yields)] if yields else 0):
                await asyncio.sleep(0)
            try:
                await app.register(f"user{i}", PASSWORD, invite_token=issued.token)
            except InviteRequired:
                return False
            return True

        admitted = await asyncio.gather(*(attempt(i) for i in range(tries)))
        assert sum(admitted) == min(uses, tries)
        assert (await app.get_invite(admin, issued.invite.id)).used == min(uses, tries)

    asyncio.run(scenario())


# --- the settings ---------------------------------------------------------------------------


def test_the_registration_settings_are_read_from_the_environment() -> None:
    base = {"MESSENGER_SECRET_KEY": "k" * 40}
    defaults = Settings.from_env(base)
    assert (defaults.registration, defaults.password_reset_hours) == ("open", 24)
    assert defaults.public_url is None
    chosen = Settings.from_env(
        base
        | {
            "MESSENGER_REGISTRATION": " Invite ",
            "MESSENGER_PASSWORD_RESET_HOURS": "2",
            "MESSENGER_PUBLIC_URL": "https://chat.example.com/team",
        }
    )
    assert (chosen.registration, chosen.password_reset_hours) == ("invite", 2)
    assert chosen.public_url == "https://chat.example.com/team"
    limits = in_memory_container(settings=replace(chosen, database_url="memory://")).limits()
    assert limits.registration is RegistrationMode.INVITE
    assert limits.password_reset_valid == timedelta(hours=2)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MESSENGER_REGISTRATION", "sometimes"),
        ("MESSENGER_PASSWORD_RESET_HOURS", "0"),
        ("MESSENGER_PUBLIC_URL", "chat.example.com"),
        ("MESSENGER_PUBLIC_URL", "https://chat.example.com/"),
    ],
)
def test_a_bad_registration_setting_stops_the_server(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"MESSENGER_SECRET_KEY": "k" * 40, name: value})
