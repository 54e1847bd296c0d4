"""The audit log on the in-memory fakes: security events recorded where they happen, read
by administrators newest first with the actor's account, and pruned past its retention."""

from __future__ import annotations

from datetime import timedelta

import pytest

from messenger import embedded
from messenger.adapters.memory.fakes import TickingClock
from messenger.container import in_memory_container
from messenger.domain.audit import AuditAction, AuditTarget
from messenger.domain.errors import (
    AccountDeactivated,
    Forbidden,
    InvalidCredentials,
    InvalidToken,
    Throttled,
    ValidationError,
)
from messenger.domain.model import AccessClaims, Limits
from messenger.domain.service import Messenger
from messenger.settings import Settings, SettingsError

PASSWORD = "password-123"


async def _entries(app: Messenger) -> list[tuple[AuditAction, int | None, str | None, str]]:
    """The whole log, oldest first: (action, actor, target id, detail)."""
    async with app.ports.uow(read_only=True) as uow:
        found = await uow.audit.page(limit=1000)
    return [(e.action, e.actor_id, e.target_id, e.detail) for e in reversed(found)]


async def test_registering_logging_in_and_out_and_changing_the_password_are_audited(
    app: Messenger,
) -> None:
    alice = await app.register("alice", PASSWORD, address="10.0.0.1")
    bob = await app.register("bob", PASSWORD)
    phone = await app.authenticate("bob", PASSWORD, "phone", address="10.0.0.2")
    await app.change_password(
        AccessClaims(bob.user.id, phone.session.id), PASSWORD, "new password 42", address="::1"
    )
    laptop = await app.authenticate("bob", "new password 42", "laptop")
    await app.revoke_session(bob.user.id, laptop.session.id, address="10.0.0.3")
    await app.log_out(AccessClaims(bob.user.id, phone.session.id), address="10.0.0.2")

    assert await _entries(app) == [
        (AuditAction.USER_REGISTERED, alice.user.id, str(alice.user.id), "alice (administrator)"),
        (AuditAction.USER_REGISTERED, bob.user.id, str(bob.user.id), "bob"),
        (AuditAction.LOGIN, bob.user.id, phone.session.id, "phone"),
        # The session that registering opened ended with the change, and the phone's stays.
        (AuditAction.PASSWORD_CHANGED, bob.user.id, str(bob.user.id), "other sessions ended: 1"),
        (AuditAction.LOGIN, bob.user.id, laptop.session.id, "laptop"),
        (AuditAction.SESSION_REVOKED, bob.user.id, laptop.session.id, "device logged out: laptop"),
        (AuditAction.SESSION_REVOKED, bob.user.id, phone.session.id, "log out: phone"),
    ]
    async with app.ports.uow(read_only=True) as uow:
        addresses = [e.address for e in reversed(await uow.audit.page(limit=100))]
    assert addresses == [
        "10.0.0.1",
        None,
        "10.0.0.2",
        "::1",
        None,
        "10.0.0.3",
        "10.0.0.2",
    ]


async def test_failed_logins_name_the_account_or_the_login_tried_never_the_password(
    app: Messenger,
) -> None:
    admin = (await app.register("root", PASSWORD)).user.id
    bob = (await app.register("bob", PASSWORD)).user.id
    for login in ("bob", "nobody@example.org"):
        with pytest.raises(InvalidCredentials):
            await app.authenticate(login, "secret guess 1", address="192.0.2.7")
    await app.deactivate_user(admin, bob)
    with pytest.raises(AccountDeactivated):
        await app.authenticate("bob", PASSWORD, address="192.0.2.7")

    failed = await app.list_audit_log(admin, action="login_failed")
    assert [(r.entry.actor_id, r.entry.target_id, r.entry.detail) for r in failed.items] == [
        (None, str(bob), "account deactivated"),
        (None, None, "unknown account 'nobody@example.org'"),
        (None, str(bob), "wrong password"),
    ]
    assert all(r.entry.address == "192.0.2.7" for r in failed.items)
    assert all(r.entry.target_type in (None, AuditTarget.USER) for r in failed.items)
    assert not any("guess" in r.entry.detail for r in failed.items)


async def test_a_locked_out_guess_writes_nothing(app: Messenger) -> None:
    await app.register("bob", PASSWORD)
    attempts = 0
    while True:
        attempts += 1
        try:
            await app.authenticate("bob", "wrong guess", address="192.0.2.9")
        except InvalidCredentials:
            continue
        except Throttled:
            break
    # Every attempt that reached a password check is in the log; those the throttle
    # refused, far cheaper, are not.
    written = [a for a, *_ in await _entries(app) if a is AuditAction.LOGIN_FAILED]
    assert len(written) == attempts - 1
    for _ in range(20):
        with pytest.raises(Throttled):
            await app.authenticate("bob", "wrong guess", address="192.0.2.9")
    assert [a for a, *_ in await _entries(app) if a is AuditAction.LOGIN_FAILED] == written


async def test_reusing_a_refresh_token_revokes_the_session_in_the_log(app: Messenger) -> None:
    bob = await app.register("bob", PASSWORD)
    await app.refresh_session(bob.refresh_token)
    with pytest.raises(InvalidToken):
        await app.refresh_session(bob.refresh_token, address="203.0.113.5")

    *_, last = await _entries(app)
    assert last == (
        AuditAction.SESSION_REVOKED,
        None,
        bob.session.id,
        f"refresh token reused (user {bob.user.id})",
    )


async def test_the_log_pages_newest_first_with_the_actors_account_and_filters(
    app: Messenger,
) -> None:
    admin = (await app.register("root", PASSWORD)).user
    bob = (await app.register("bob", PASSWORD)).user
    for _ in range(3):
        await app.authenticate("bob", PASSWORD)

    first = await app.list_audit_log(admin.id, limit=2)
    rest = await app.list_audit_log(admin.id, cursor=first.next_cursor)
    mine = await app.list_audit_log(admin.id, actor_id=admin.id)
    logins = await app.list_audit_log(admin.id, action="login", actor_id=bob.id)

    ids = [r.entry.id for r in (*first.items, *rest.items)]
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == 5
    assert first.has_more
    assert not rest.has_more
    assert first.items[0].actor == bob
    assert [r.entry.action for r in mine.items] == [AuditAction.USER_REGISTERED]
    assert mine.items[0].actor == admin
    assert len(logins.items) == 3
    with pytest.raises(ValidationError):
        await app.list_audit_log(admin.id, action="no_such_action")
    with pytest.raises(ValidationError):
        await app.list_audit_log(admin.id, cursor="bad")
    with pytest.raises(Forbidden):
        await app.list_audit_log(bob.id)


async def test_entries_past_the_retention_are_pruned_in_batches() -> None:
    clock = TickingClock()
    app = embedded.in_memory(clock=clock, limits=Limits(audit_retention_days=30))
    for i in range(5):
        await app.register(f"old{i}", PASSWORD)
    clock.advance(timedelta(days=31))
    await app.register("recent", PASSWORD)

    assert await app.prune_audit_log(batch=2) == 5
    assert await app.prune_audit_log(batch=2) == 0
    assert [d for *_, d in await _entries(app)] == ["recent"]


async def test_a_retention_of_zero_keeps_every_entry() -> None:
    clock = TickingClock()
    app = embedded.in_memory(clock=clock, limits=Limits(audit_retention_days=0))
    await app.register("alice", PASSWORD)
    clock.advance(timedelta(days=10_000))

    assert await app.prune_audit_log() == 0
    assert len(await _entries(app)) == 1


def test_the_retention_comes_from_the_environment_and_is_never_negative() -> None:
    env = {"MESSENGER_SECRET_KEY": "x" * 32, "MESSENGER_AUDIT_RETENTION_DAYS": "90"}
    assert in_memory_container(settings=Settings.from_env(env)).limits().audit_retention_days == 90
    default = Settings.from_env({"MESSENGER_SECRET_KEY": "x" * 32})
    assert default.audit_retention_days == 365
    for bad in ("-1", "a year"):
        with pytest.raises(SettingsError):
            Settings.from_env({**env, "MESSENGER_AUDIT_RETENTION_DAYS": bad})
