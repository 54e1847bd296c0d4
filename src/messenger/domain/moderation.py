"""Moderation: members report messages, server administrators resolve the reports.

A member reports a message they see, with a reason; an administrator dismisses the report,
deletes the message for everyone (its tombstone says an administrator removed it) or
deactivates its sender. A member has at most one open report of a message: reporting it
again answers the open one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from messenger.domain.audit import AuditEntry
from messenger.domain.errors import ValidationError
from messenger.domain.model import Message, User

REASON_MAX = 1000


class ReportStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Resolution(StrEnum):
    """What an administrator did about a report."""

    DISMISS = "dismiss"
    DELETE_MESSAGE = "delete_message"
    DEACTIVATE_USER = "deactivate_user"


def clean_reason(reason: str) -> str:
    """A report's reason: 1..``REASON_MAX`` characters once trimmed."""
    reason = reason.strip()
    if not 1 <= len(reason) <= REASON_MAX:
        raise ValidationError(f"A reason must be 1-{REASON_MAX} characters long.", field="reason")
    return reason


@dataclass
class Report:
    """A member's report of a message, open until an administrator resolves it."""

    id: int
    message_id: int
    reporter_id: int
    reason: str
    created_at: datetime
    resolution: Resolution | None = None
    resolved_by: int | None = None
    resolved_at: datetime | None = None

    @property
    def status(self) -> ReportStatus:
        return ReportStatus.OPEN if self.resolution is None else ReportStatus.RESOLVED

    def resolve(self, resolution: Resolution, admin_id: int, now: datetime) -> None:
        self.resolution = resolution
        self.resolved_by = admin_id
        self.resolved_at = now


@dataclass(frozen=True)
class ReportView:
    """A report as administrators see it: who reported what, and the message as it is now
    (a deleted one has no text left)."""

    report: Report
    reporter: User
    message: Message
    sender: User


@dataclass(frozen=True)
class AuditRecord:
    """An audit entry with its actor's account (None: the server itself, or an account
    no longer there)."""

    entry: AuditEntry
    actor: User | None


__all__ = [
    "REASON_MAX",
    "AuditRecord",
    "Report",
    "ReportStatus",
    "ReportView",
    "Resolution",
    "clean_reason",
]
