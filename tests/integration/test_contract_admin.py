"""The storage contract of the admin role, the audit log and moderation (reports, messages
an administrator removed), on every adapter set (memory, SQLite with and without the chat
cache, MariaDB)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from messenger.domain.audit import AuditAction, AuditEntry, AuditTarget
from messenger.domain.events import MessageDeleted, MessageEdited, MessagePosted
from messenger.domain.moderation import REASON_MAX, Report, ReportStatus, Resolution
from messenger.domain.ports import UnitOfWorkFactory
from messenger.domain.service import Messenger
from tests.integration.test_contract import T0, add_chat, add_message, add_users, all_changes

PASSWORD = "correct horse"

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


async def test_reports_are_stored_found_open_and_paged_newest_first(
    uow_factory: UnitOfWorkFactory,
) -> None:
    amy, bob = await add_users(uow_factory, "amy", "bob")
    chat = await add_chat(uow_factory, amy.id, [amy.id, bob.id])
    first = await add_message(uow_factory, chat.id, amy.id, "1")
    second = await add_message(uow_factory, chat.id, amy.id, "2")
    async with uow_factory() as uow:
        made = [
            await uow.reports.add(Report(0, first.id, bob.id, "spam ✉️", T0)),
            await uow.reports.add(Report(0, second.id, bob.id, "rude", T0 + timedelta(1))),
            await uow.reports.add(Report(0, first.id, amy.id, "x" * REASON_MAX, T0)),
        ]
        await uow.commit()
    ids = [r.id for r in made]
    assert ids == sorted(ids)
    async with uow_factory() as uow:
        # Rolled back: never stored.
        await uow.reports.add(Report(0, second.id, amy.id, "gone", T0))
    async with uow_factory(read_only=True) as uow:
        assert await uow.reports.get(ids[0]) == made[0]
        assert await uow.reports.get(10**12) is None
        assert await uow.reports.open_of(bob.id, first.id) == made[0]
        assert await uow.reports.open_of(bob.id, 10**12) is None
        assert await uow.reports.page(limit=10) == made[::-1]
        assert await uow.reports.page(limit=1, before_id=ids[2]) == [made[1]]
    resolved = made[0]
    async with uow_factory() as uow:
        resolved.resolve(Resolution.DELETE_MESSAGE, amy.id, T0 + timedelta(2))
        await uow.reports.update(resolved)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        stored = await uow.reports.get(resolved.id)
        assert stored == resolved
        assert stored is not None
        assert stored.status is ReportStatus.RESOLVED
        assert stored.resolution is Resolution.DELETE_MESSAGE
        assert await uow.reports.open_of(bob.id, first.id) is None
        assert await uow.reports.page(limit=10, status=ReportStatus.OPEN) == [made[2], made[1]]
        assert await uow.reports.page(limit=10, status=ReportStatus.RESOLVED) == [resolved]


async def test_a_message_an_administrator_removed_says_so_in_history_and_the_feed(
    messenger_app: Messenger,
) -> None:
    admin = (await messenger_app.register("root", PASSWORD)).user
    amy = (await messenger_app.register("amy", PASSWORD)).user
    bob = (await messenger_app.register("bob", PASSWORD)).user
    chat = await messenger_app.create_group(amy.id, "team", [bob.id])
    posted = await messenger_app.post_message(amy.id, chat.chat.id, "c-1", "awful")
    await messenger_app.edit_message(amy.id, posted.message.id, "awful, edited")
    reply = await messenger_app.post_message(
        bob.id, chat.chat.id, "c-4", "answer", reply_to_id=posted.message.id
    )
    kept = await messenger_app.post_message(amy.id, chat.chat.id, "c-2", "fine")
    own = await messenger_app.post_message(amy.id, chat.chat.id, "c-3", "oops")
    await messenger_app.delete_message(amy.id, own.message.id)

    await messenger_app.remove_message(admin.id, posted.message.id)

    page = await messenger_app.read_history(bob.id, chat.chat.id)
    flags = {m.id: (m.deleted, m.removed_by_admin, m.text) for m in page.items}
    assert flags == {
        posted.message.id: (True, True, ""),
        reply.message.id: (False, False, "answer"),
        kept.message.id: (False, False, "fine"),
        own.message.id: (True, False, ""),
    }
    changes = await all_changes(messenger_app, bob.id)
    # Synced from the start, nothing carries what was removed: its post and edit are
    # tombstones now, and the reply quotes it as deleted.
    for entry in changes:
        event = entry.event
        if isinstance(event, MessagePosted | MessageEdited | MessageDeleted):
            assert "awful" not in event.message.text
            quote = event.message.reply_to
            assert quote is None or (quote.deleted and quote.text == "")
    [quoting] = [
        e.event
        for e in changes
        if isinstance(e.event, MessagePosted) and e.event.message.id == reply.message.id
    ]
    assert quoting.message.text == "answer"
    deleted = [e.event for e in changes if isinstance(e.event, MessageDeleted)]
    assert [(d.message.id, d.message.removed_by_admin) for d in deleted] == [
        (own.message.id, False),
        (posted.message.id, True),
    ]
    async with messenger_app.ports.uow(read_only=True) as uow:
        [entry] = await uow.audit.page(limit=1, action=AuditAction.MESSAGE_REMOVED)
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        admin.id,
        AuditTarget.MESSAGE,
        str(posted.message.id),
    )
