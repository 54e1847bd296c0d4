"""The storage contract of the admin role and the audit log, on every adapter set (memory,
SQLite with and without the chat cache, MariaDB)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from messenger.domain.audit import AuditAction, AuditEntry, AuditTarget
from messenger.domain.ports import UnitOfWorkFactory
from tests.integration.test_contract import T0, add_users

pytestmark = pytest.mark.integration


async def test_the_admin_flag_and_deactivation_are_stored(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(read_only=True) as uow:
        assert not await uow.users.any_user()
    amy, bob = await add_users(uow_factory, "amy", "bob")
    assert not amy.is_admin
    assert amy.deactivated_at is None
    async with uow_factory() as uow:
        amy.is_admin = True
        bob.deactivated_at = T0
        await uow.users.update(amy)
        await uow.users.update(bob)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.users.any_user()
        assert await uow.users.get(amy.id) == amy
        stored = await uow.users.get(bob.id)
        assert stored is not None
        assert stored.deactivated_at == T0
        assert not stored.can_log_in


def entry(i: int, action: AuditAction, actor: int | None, **kw: object) -> AuditEntry:
    return AuditEntry(0, T0 + timedelta(minutes=i), action, actor, **kw)  # type: ignore[arg-type]


async def test_the_audit_log_pages_newest_first_filters_and_prunes_the_oldest(
    uow_factory: UnitOfWorkFactory,
) -> None:
    amy, bob = await add_users(uow_factory, "amy", "bob")
    written = [
        entry(0, AuditAction.LOGIN, amy.id, address="127.0.0.2"),
        entry(1, AuditAction.LOGIN_FAILED, None, detail="login: ghost", address="::1"),
        entry(
            2,
            AuditAction.USER_DEACTIVATED,
            amy.id,
            target_type=AuditTarget.USER,
            target_id=str(bob.id),
        ),
        entry(3, AuditAction.LOGIN, bob.id),
        entry(4, AuditAction.SETTINGS_CHANGED, amy.id, detail="registration: open → invite"),
    ]
    async with uow_factory() as uow:
        for e in written:
            await uow.audit.record(e)
        await uow.commit()
    async with uow_factory() as uow:
        # Rolled back: never in the log.
        await uow.audit.record(entry(5, AuditAction.LOGIN, bob.id))
    async with uow_factory(read_only=True) as uow:
        everything = await uow.audit.page(limit=10)
        assert [(e.action, e.at) for e in everything] == [
            (e.action, e.at) for e in reversed(written)
        ]
        ids = [e.id for e in everything]
        assert ids == sorted(ids, reverse=True)
        assert everything[2].target_type is AuditTarget.USER
        assert everything[2].target_id == str(bob.id)
        assert everything[3].detail == "login: ghost"
        assert everything[3].address == "::1"
        assert everything[3].actor_id is None
        assert await uow.audit.page(limit=2, before_id=ids[1]) == everything[2:4]
        assert [e.action for e in await uow.audit.page(limit=10, actor_id=amy.id)] == [
            AuditAction.SETTINGS_CHANGED,
            AuditAction.USER_DEACTIVATED,
            AuditAction.LOGIN,
        ]
        logins = await uow.audit.page(limit=10, action=AuditAction.LOGIN)
        assert [e.actor_id for e in logins] == [bob.id, amy.id]
    async with uow_factory() as uow:
        assert await uow.audit.prune(T0 + timedelta(minutes=3), limit=2) == 2
        assert await uow.audit.prune(T0 + timedelta(minutes=3), limit=2) == 1
        assert await uow.audit.prune(T0 + timedelta(minutes=3), limit=2) == 0
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert [e.action for e in await uow.audit.page(limit=10)] == [
            AuditAction.SETTINGS_CHANGED,
            AuditAction.LOGIN,
        ]
