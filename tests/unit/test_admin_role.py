"""The server administrator role: who holds it from the start, and who may act as one."""

from __future__ import annotations

import pytest

from messenger.domain.audit import SECURITY_EVENTS, AuditAction
from messenger.domain.errors import (
    AccountDeactivated,
    Conflict,
    Forbidden,
    InvalidCredentials,
    InvalidToken,
    NotFound,
)
from messenger.domain.events import SessionsEnded
from messenger.domain.service import Messenger
from messenger.domain.usecases.base import require_admin
from tests.unit.conftest import Published, store_of


async def test_the_first_account_of_a_fresh_server_is_its_administrator(app: Messenger) -> None:
    first = await app.register("alice", "password-123")
    second = await app.register("bob", "password-123")

    assert first.user.is_admin
    assert not second.user.is_admin
    assert (await app.get_my_account(first.user.id)).is_admin
    assert not (await app.get_my_account(second.user.id)).is_admin


async def test_a_deleted_first_account_does_not_make_the_next_one_an_administrator(
    app: Messenger,
) -> None:
    first = await app.register("alice", "password-123")
    claims = await app.authorize(first.access_token)
    await app.delete_account(claims, "password-123")

    assert not (await app.register("bob", "password-123")).user.is_admin


async def test_the_servers_shell_may_create_an_administrator_at_any_time(app: Messenger) -> None:
    await app.register("alice", "password-123")

    assert (await app.register("root", "password-123", admin=True)).user.is_admin


async def test_only_a_live_administrator_passes_the_admin_check(app: Messenger) -> None:
    admin = (await app.register("alice", "password-123")).user
    user = (await app.register("bob", "password-123")).user
    uow_factory = app.ports.uow

    async with uow_factory(read_only=True) as uow:
        assert (await require_admin(uow, admin.id)).id == admin.id
        for who in (user.id, 10**9):
            with pytest.raises(Forbidden):
                await require_admin(uow, who)
    store_of(app).users[admin.id].deactivated_at = admin.created_at
    async with uow_factory(read_only=True) as uow:
        with pytest.raises(Forbidden):
            await require_admin(uow, admin.id)


# --- deactivating and reactivating accounts ------------------------------------------------


# Logins, registrations and the like are audited too (tests/unit/test_audit.py); these
# tests look at what administrators did.
async def audit_of(app: Messenger) -> list[tuple[AuditAction, int | None, str | None]]:
    async with app.ports.uow(read_only=True) as uow:
        return [
            (e.action, e.actor_id, e.target_id)
            for e in await uow.audit.page(limit=100)
            if e.action not in SECURITY_EVENTS
        ]


async def test_a_deactivated_account_is_logged_out_everywhere_and_cannot_log_in_again(
    app: Messenger, published: Published
) -> None:
    admin = (await app.register("alice", "password-123")).user
    bob = await app.register("bob", "password-123")
    other_device = await app.authenticate("bob", "password-123")
    published.clear()

    await app.deactivate_user(admin.id, bob.user.id, address="127.0.0.2")

    [ended] = [n.event for n in published.items if isinstance(n.event, SessionsEnded)]
    assert set(ended.session_ids) == {bob.session.id, other_device.session.id}
    for result in (bob, other_device):
        with pytest.raises(InvalidToken):
            await app.authorize(result.access_token)
        with pytest.raises(InvalidToken):
            await app.refresh_session(result.refresh_token)
    with pytest.raises(AccountDeactivated):
        await app.authenticate("bob", "password-123")
    # A wrong password says nothing about the account.
    with pytest.raises(InvalidCredentials):
        await app.authenticate("bob", "wrong-password")
    assert (await app.get_my_account(bob.user.id)).deactivated_at is not None
    assert await audit_of(app) == [(AuditAction.USER_DEACTIVATED, admin.id, str(bob.user.id))]


async def test_what_a_deactivated_account_wrote_stays(app: Messenger) -> None:
    admin = (await app.register("alice", "password-123")).user
    bob = (await app.register("bob", "password-123")).user
    chat = (await app.open_dialog(bob.id, admin.id))[0].chat.id
    await app.post_message(bob.id, chat, "c-1", "handing over")

    await app.deactivate_user(admin.id, bob.id)

    page = await app.read_history(admin.id, chat)
    assert [m.text for m in page.items] == ["handing over"]
    assert (await app.get_profile(admin.id, bob.id)).username == "bob"


async def test_a_reactivated_account_logs_in_with_its_password(app: Messenger) -> None:
    admin = (await app.register("alice", "password-123")).user
    bob = (await app.register("bob", "password-123")).user
    await app.deactivate_user(admin.id, bob.id)

    again = await app.reactivate_user(admin.id, bob.id, address="::1")

    assert again.deactivated_at is None
    assert (await app.authenticate("bob", "password-123")).user.id == bob.id
    assert [a for a, _, _ in await audit_of(app)] == [
        AuditAction.USER_REACTIVATED,
        AuditAction.USER_DEACTIVATED,
    ]
    # Reactivating a live account changes nothing and tells nothing.
    await app.reactivate_user(admin.id, bob.id)
    assert len(await audit_of(app)) == 2


async def test_only_administrators_deactivate_and_never_themselves(app: Messenger) -> None:
    admin = (await app.register("alice", "password-123")).user
    bob = (await app.register("bob", "password-123")).user
    carol = (await app.register("carol", "password-123")).user

    with pytest.raises(Forbidden):
        await app.deactivate_user(bob.id, carol.id)
    with pytest.raises(Forbidden):
        await app.reactivate_user(bob.id, carol.id)
    with pytest.raises(Conflict):
        await app.deactivate_user(admin.id, admin.id)
    with pytest.raises(NotFound):
        await app.deactivate_user(admin.id, 10**9)
    claims = await app.authorize((await app.authenticate("carol", "password-123")).access_token)
    await app.delete_account(claims, "password-123")
    with pytest.raises(NotFound):
        await app.deactivate_user(admin.id, carol.id)
    assert await audit_of(app) == []
    # A deactivated administrator is no administrator.
    await app.deactivate_user(admin.id, bob.id)
    root = (await app.register("root", "password-123", admin=True)).user
    await app.deactivate_user(root.id, admin.id)
    with pytest.raises(Forbidden):
        await app.reactivate_user(admin.id, bob.id)
