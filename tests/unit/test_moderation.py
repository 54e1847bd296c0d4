"""Moderation on the in-memory fakes: members report messages they see, administrators
resolve reports and remove any message (a tombstone that says so)."""

from __future__ import annotations

import pytest

from messenger.domain.audit import AuditAction, AuditTarget
from messenger.domain.errors import (
    AccountDeactivated,
    Conflict,
    Forbidden,
    InvalidToken,
    NotFound,
    ValidationError,
)
from messenger.domain.events import MessageDeleted, MessageUnpinned, SessionsEnded
from messenger.domain.moderation import ReportStatus, Resolution
from messenger.domain.service import Messenger
from tests.unit.conftest import Published

PASSWORD = "password-123"


async def _team(app: Messenger) -> tuple[int, int, int, int, int]:
    """An administrator (not in the chat), amy and bob in a group, eve outside it; and
    the group's id."""
    admin = (await app.register("root", PASSWORD)).user.id
    amy = (await app.register("amy", PASSWORD)).user.id
    bob = (await app.register("bob", PASSWORD)).user.id
    eve = (await app.register("eve", PASSWORD)).user.id
    chat = (await app.create_group(amy, "team", [bob])).chat.id
    return admin, amy, bob, eve, chat


async def _post(app: Messenger, user: int, chat: int, text: str) -> int:
    return (await app.post_message(user, chat, f"c-{text}", text)).message.id


async def _audit(app: Messenger, action: AuditAction) -> list[tuple[int | None, str | None, str]]:
    async with app.ports.uow(read_only=True) as uow:
        entries = await uow.audit.page(limit=100, action=action)
    return [(e.actor_id, e.target_id, e.detail) for e in entries]


async def test_a_member_reports_a_message_and_again_gets_the_same_open_report(
    app: Messenger,
) -> None:
    admin, amy, bob, _, chat = await _team(app)
    message = await _post(app, amy, chat, "buy now")

    first = await app.report_message(bob, message, "  spam  ")
    again = await app.report_message(bob, message, "more spam")
    by_amy = await app.report_message(amy, message, "oops, mine")

    assert first.created
    assert not again.created
    assert again.view.report == first.view.report
    assert first.view.report.reason == "spam"
    assert first.view.report.status is ReportStatus.OPEN
    assert first.view.reporter.id == bob
    assert first.view.sender.id == amy
    assert first.view.message.text == "buy now"
    assert by_amy.created
    listing = await app.list_reports(admin)
    assert [v.report.id for v in listing.items] == [by_amy.view.report.id, first.view.report.id]


async def test_only_what_you_see_can_be_reported(app: Messenger) -> None:
    _, amy, bob, eve, chat = await _team(app)
    message = await _post(app, amy, chat, "hello")
    hidden = await _post(app, amy, chat, "hide me")
    await app.hide_message(bob, hidden)
    gone = await _post(app, amy, chat, "deleted")
    await app.delete_message(amy, gone)

    with pytest.raises(NotFound):
        await app.report_message(eve, message, "spam")
    with pytest.raises(NotFound):
        await app.report_message(bob, 10**9, "spam")
    with pytest.raises(NotFound):
        await app.report_message(bob, hidden, "spam")
    await app.clear_chat(bob, chat)
    with pytest.raises(NotFound):
        await app.report_message(bob, message, "spam")
    with pytest.raises(Forbidden):
        await app.report_message(amy, gone, "spam")
    for reason in ("", "   ", "x" * 1001):
        with pytest.raises(ValidationError):
            await app.report_message(amy, message, reason)


async def test_only_administrators_list_and_resolve_reports(app: Messenger) -> None:
    admin, amy, bob, _, chat = await _team(app)
    report = (await app.report_message(bob, await _post(app, amy, chat, "x"), "spam")).view

    for outsider in (amy, bob):
        with pytest.raises(Forbidden):
            await app.list_reports(outsider)
        with pytest.raises(Forbidden):
            await app.resolve_report(outsider, report.report.id, Resolution.DISMISS)
        with pytest.raises(Forbidden):
            await app.remove_message(outsider, report.message.id)
        with pytest.raises(Forbidden):
            await app.list_audit_log(outsider)
    with pytest.raises(NotFound):
        await app.resolve_report(admin, 10**9, Resolution.DISMISS)


async def test_dismissing_closes_the_report_once_and_audits_it(app: Messenger) -> None:
    admin, amy, bob, _, chat = await _team(app)
    message = await _post(app, amy, chat, "fine")
    report = (await app.report_message(bob, message, "rude")).view.report

    resolved = await app.resolve_report(admin, report.id, Resolution.DISMISS, address="10.0.0.1")

    assert resolved.report.status is ReportStatus.RESOLVED
    assert resolved.report.resolution is Resolution.DISMISS
    assert resolved.report.resolved_by == admin
    assert not resolved.message.deleted
    with pytest.raises(Conflict):
        await app.resolve_report(admin, report.id, Resolution.DELETE_MESSAGE)
    assert [
        v.report.id for v in (await app.list_reports(admin, status=ReportStatus.OPEN)).items
    ] == []
    assert await _audit(app, AuditAction.REPORT_RESOLVED) == [(admin, str(report.id), "dismiss")]
    # Dismissed, the member may report it again.
    assert (await app.report_message(bob, message, "still rude")).created


async def test_resolving_by_deleting_leaves_a_tombstone_removed_by_an_administrator(
    app: Messenger, published: Published
) -> None:
    admin, amy, bob, _, chat = await _team(app)
    message = await _post(app, amy, chat, "awful words")
    await app.react_to_message(bob, message, "👍")
    await app.pin_message(amy, chat, message)
    report = (await app.report_message(bob, message, "awful")).view.report
    published.clear()

    resolved = await app.resolve_report(admin, report.id, Resolution.DELETE_MESSAGE)

    assert resolved.message.deleted
    assert resolved.message.removed_by_admin
    [deleted] = [n for n in published.items if isinstance(n.event, MessageDeleted)]
    assert deleted.recipients == {amy, bob}
    assert deleted.event.message.removed_by_admin
    assert deleted.event.message.text == ""
    assert any(isinstance(n.event, MessageUnpinned) for n in published.items)
    for reader in (amy, bob):
        [shown] = (await app.read_history(reader, chat)).items
        assert (shown.deleted, shown.removed_by_admin, shown.text) == (True, True, "")
        assert shown.reactions == ()
    assert (await app.list_pins(amy, chat)).items == ()
    assert (await app.search_messages(bob, "awful")).items == ()
    assert [a for a, _, _ in await _audit(app, AuditAction.MESSAGE_REMOVED)] == [admin]
    assert [d for _, _, d in await _audit(app, AuditAction.REPORT_RESOLVED)] == ["delete_message"]


async def test_resolving_by_deactivating_ends_the_senders_sessions(
    app: Messenger, published: Published
) -> None:
    admin = (await app.register("root", PASSWORD)).user.id
    amy = await app.register("amy", PASSWORD)
    bob = (await app.register("bob", PASSWORD)).user.id
    chat = (await app.create_group(amy.user.id, "team", [bob])).chat.id
    report = (
        await app.report_message(bob, await _post(app, amy.user.id, chat, "threat"), "threat")
    ).view.report
    published.clear()

    resolved = await app.resolve_report(admin, report.id, Resolution.DEACTIVATE_USER)

    assert resolved.report.resolution is Resolution.DEACTIVATE_USER
    assert not resolved.message.deleted
    assert [n.event.session_ids for n in published.items if isinstance(n.event, SessionsEnded)] == [
        (amy.session.id,)
    ]
    with pytest.raises(InvalidToken):
        await app.authorize(amy.access_token)
    with pytest.raises(AccountDeactivated):
        await app.authenticate("amy", PASSWORD)
    assert [t for _, t, _ in await _audit(app, AuditAction.USER_DEACTIVATED)] == [str(amy.user.id)]
    assert len(await _audit(app, AuditAction.REPORT_RESOLVED)) == 1


async def test_an_administrator_removes_any_message_without_being_in_its_chat(
    app: Messenger, published: Published
) -> None:
    admin, amy, bob, eve, chat = await _team(app)
    message = await _post(app, amy, chat, "remove me")
    await app.hide_message(bob, message)
    published.clear()

    removed = await app.remove_message(admin, message, address="::1")
    again = await app.remove_message(admin, message)

    assert removed.removed_by_admin
    assert again == removed
    # Told only to whoever still sees it.
    [deleted] = [n for n in published.items if isinstance(n.event, MessageDeleted)]
    assert deleted.recipients == {amy}
    assert await _audit(app, AuditAction.MESSAGE_REMOVED) == [
        (admin, str(message), f"chat {chat}, sender {amy}")
    ]
    with pytest.raises(NotFound):
        await app.remove_message(admin, 10**9)
    # A sender's own deletion is no administrator's.
    own = await _post(app, amy, chat, "mine")
    assert not (await app.delete_message(amy, own)).removed_by_admin
    assert eve


async def test_reports_page_newest_first_by_status(app: Messenger) -> None:
    admin, amy, bob, _, chat = await _team(app)
    reports = [
        (await app.report_message(bob, await _post(app, amy, chat, f"m{i}"), "spam")).view.report
        for i in range(5)
    ]
    await app.resolve_report(admin, reports[1].id, Resolution.DISMISS)

    first = await app.list_reports(admin, status=ReportStatus.OPEN, limit=2)
    rest = await app.list_reports(admin, status=ReportStatus.OPEN, cursor=first.next_cursor)
    resolved = await app.list_reports(admin, status=ReportStatus.RESOLVED)

    assert [v.report.id for v in first.items] == [reports[4].id, reports[3].id]
    assert first.has_more
    assert [v.report.id for v in rest.items] == [reports[2].id, reports[0].id]
    assert not rest.has_more
    assert [v.report.id for v in resolved.items] == [reports[1].id]
    with pytest.raises(ValidationError):
        await app.list_reports(admin, cursor="nonsense")
    with pytest.raises(ValidationError):
        await app.list_reports(admin, limit=0)


async def test_removing_reported_message_then_resolving_deletes_nothing_twice(
    app: Messenger, published: Published
) -> None:
    admin, amy, bob, _, chat = await _team(app)
    message = await _post(app, amy, chat, "x")
    report = (await app.report_message(bob, message, "spam")).view.report
    await app.remove_message(admin, message)
    published.clear()

    resolved = await app.resolve_report(admin, report.id, Resolution.DELETE_MESSAGE)

    assert resolved.message.removed_by_admin
    assert not any(isinstance(n.event, MessageDeleted) for n in published.items)
    assert len(await _audit(app, AuditAction.MESSAGE_REMOVED)) == 1
    entry = (await app.list_audit_log(admin, action="report_resolved")).items[0]
    assert entry.entry.target_type is AuditTarget.REPORT
