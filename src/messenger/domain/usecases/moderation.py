"""Moderation and the audit log: members report messages; server administrators resolve
reports, remove any message, and read (and the server prunes) the audit log.

Every administrator's action checks the caller inside the transaction that makes the
change (``require_admin``) and writes its audit entry there too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from messenger.domain.audit import AuditAction, AuditTarget
from messenger.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from messenger.domain.model import Message
from messenger.domain.moderation import (
    AuditRecord,
    Report,
    ReportStatus,
    ReportView,
    Resolution,
    clean_reason,
)
from messenger.domain.paging import Listing, Order, decode_cursor, finish_page, page_size
from messenger.domain.ports import UnitOfWork
from messenger.domain.usecases.admin import DeactivateUser
from messenger.domain.usecases.base import Ports, UseCase, require_admin
from messenger.domain.usecases.messages import delete_for_everyone, load_visible_message

REPORTS_NEWEST_FIRST: Order[ReportView] = Order(
    "reports", lambda v: (v.report.id,), (int,), descending=True
)
AUDIT_NEWEST_FIRST: Order[AuditRecord] = Order(
    "audit", lambda r: (r.entry.id,), (int,), descending=True
)


@dataclass(frozen=True)
class Reported:
    """A report made, or the reporter's open one of the message (``created`` False)."""

    view: ReportView
    created: bool


async def _views(uow: UnitOfWork, reports: Sequence[Report]) -> list[ReportView]:
    """Reports with their reporters, messages and senders (three reads for a page)."""
    messages = await uow.messages.get_many({r.message_id for r in reports})
    wanted = {r.reporter_id for r in reports} | {m.sender_id for m in messages.values()}
    users = {u.id: u for u in await uow.users.get_many(wanted)}
    views = []
    for report in reports:
        message = messages[report.message_id]
        views.append(
            ReportView(report, users[report.reporter_id], message, users[message.sender_id])
        )
    return views


async def _open_report(uow: UnitOfWork, report_id: int) -> Report:
    """The report, which must still be open (409 once resolved)."""
    report = await uow.reports.get(report_id)
    if report is None:
        raise NotFound("Report not found.")
    if report.resolution is not None:
        raise Conflict("This report was already resolved.")
    return report


class ReportMessage(UseCase):
    """Report a message you see to the server's administrators, with a reason. Reporting it
    again while your report is open answers that report; a message you do not see is one
    that does not exist, and a deleted one has nothing left to report."""

    async def __call__(self, user_id: int, message_id: int, reason: str) -> Reported:
        reason = clean_reason(reason)
        async with self._uow() as uow:
            message = await load_visible_message(uow, message_id, user_id)
            if message.deleted:
                raise Forbidden("A deleted message cannot be reported.")
            report = await uow.reports.open_of(user_id, message.id)
            created = report is None
            if report is None:
                # Write units of work are serialised: two reports racing cannot both find
                # none open.
                report = await uow.reports.add(
                    Report(0, message.id, user_id, reason, self._clock.now())
                )
            [view] = await _views(uow, [report])
            if created:
                await uow.commit()
        return Reported(view, created)


class ListReports(UseCase):
    """A page of members' reports, newest first (``status``: open or resolved only)."""

    async def __call__(
        self,
        admin_id: int,
        *,
        status: ReportStatus | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Listing[ReportView]:
        size = page_size(limit, self._limits)
        start = decode_cursor(REPORTS_NEWEST_FIRST, cursor)
        async with self._uow(read_only=True) as uow:
            await require_admin(uow, admin_id)
            before = None if start is None else int(start[0])
            found = await uow.reports.page(limit=size + 1, before_id=before, status=status)
            views = await _views(uow, found)
        return finish_page(views, REPORTS_NEWEST_FIRST, size)


class _Removing(UseCase):
    """What removing a message and resolving a report by deleting it share."""

    async def _remove(
        self, uow: UnitOfWork, message: Message, admin_id: int, address: str | None
    ) -> None:
        await delete_for_everyone(uow, message, admin_id, self._clock.now(), by_admin=True)
        await self._audit(
            uow,
            AuditAction.MESSAGE_REMOVED,
            admin_id,
            (AuditTarget.MESSAGE, message.id),
            address=address,
            detail=f"chat {message.chat_id}, sender {message.sender_id}",
        )


class RemoveMessage(_Removing):
    """An administrator deletes any message for everyone (they need not be in its chat):
    its tombstone says an administrator removed it. Removing a deleted message changes
    nothing."""

    async def __call__(
        self, admin_id: int, message_id: int, *, address: str | None = None
    ) -> Message:
        async with self._uow() as uow:
            await require_admin(uow, admin_id)
            message = await uow.messages.get(message_id)
            if message is None:
                raise NotFound("Message not found.")
            if message.deleted:
                return message
            await self._remove(uow, message, admin_id, address)
            notifications = await uow.commit()
        await self._publish(notifications)
        return message


class ResolveReport(_Removing):
    """Resolve an open report: dismiss it, delete its message for everyone, or deactivate
    the message's sender (as ``DeactivateUser`` does: sessions end, sockets close)."""

    def __init__(self, ports: Ports) -> None:
        super().__init__(ports)
        self._deactivate = DeactivateUser(ports)

    async def __call__(
        self, admin_id: int, report_id: int, action: Resolution, *, address: str | None = None
    ) -> ReportView:
        if action is Resolution.DEACTIVATE_USER:
            async with self._uow(read_only=True) as uow:
                await require_admin(uow, admin_id)
                report = await _open_report(uow, report_id)
                message = await uow.messages.get(report.message_id)
                sender = None if message is None else await uow.users.get(message.sender_id)
            # A deleted account has nothing left to deactivate: the report just closes.
            if sender is not None and not sender.deleted:
                await self._deactivate(admin_id, sender.id, address=address)
        async with self._uow() as uow:
            await require_admin(uow, admin_id)
            report = await _open_report(uow, report_id)
            if action is Resolution.DELETE_MESSAGE:
                message = await uow.messages.get(report.message_id)
                if message is not None and not message.deleted:
                    await self._remove(uow, message, admin_id, address)
            report.resolve(action, admin_id, self._clock.now())
            await uow.reports.update(report)
            await self._audit(
                uow,
                AuditAction.REPORT_RESOLVED,
                admin_id,
                (AuditTarget.REPORT, report.id),
                address=address,
                detail=action.value,
            )
            [view] = await _views(uow, [report])
            notifications = await uow.commit()
        await self._publish(notifications)
        return view


class ListAuditLog(UseCase):
    """A page of the audit log, newest first, with each actor's account; ``actor_id`` and
    ``action`` (an ``AuditAction`` value) narrow it."""

    async def __call__(
        self,
        admin_id: int,
        *,
        actor_id: int | None = None,
        action: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Listing[AuditRecord]:
        try:
            wanted = None if action is None else AuditAction(action)
        except ValueError:
            raise ValidationError("No such audit action.", field="action") from None
        size = page_size(limit, self._limits)
        start = decode_cursor(AUDIT_NEWEST_FIRST, cursor)
        async with self._uow(read_only=True) as uow:
            await require_admin(uow, admin_id)
            before = None if start is None else int(start[0])
            entries = await uow.audit.page(
                limit=size + 1, before_id=before, actor_id=actor_id, action=wanted
            )
            actor_ids = {e.actor_id for e in entries if e.actor_id is not None}
            actors = {u.id: u for u in await uow.users.get_many(actor_ids)}
        records = [
            AuditRecord(e, None if e.actor_id is None else actors.get(e.actor_id)) for e in entries
        ]
        return finish_page(records, AUDIT_NEWEST_FIRST, size)


class PruneAuditLog(UseCase):
    """Delete audit entries older than ``Limits.audit_retention_days`` (0: keep them
    forever), ``batch`` by ``batch``, each batch its own short transaction (housekeeping);
    returns how many went."""

    async def __call__(self, *, batch: int = 1000) -> int:
        days = self._limits.audit_retention_days
        if days <= 0:
            return 0
        older_than = self._clock.now() - timedelta(days=days)
        pruned = 0
        while True:
            async with self._uow() as uow:
                gone = await uow.audit.prune(older_than, batch)
                await uow.commit()
            pruned += gone
            if gone < batch:
                return pruned
