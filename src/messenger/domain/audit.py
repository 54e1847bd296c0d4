"""The audit log: what administrators did, and what happened to accounts' security.

An entry is written in the same transaction as the change it tells of, so the log never
claims what did not happen nor misses what did. Security events that change nothing
(a failed login) get a transaction of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# Room for an IPv6 address with a zone, a username or a session id as stored.
TARGET_ID_MAX = 64
DETAIL_MAX = 500


class AuditAction(StrEnum):
    """What an entry tells of; the value is what clients filter by (``?action=``)."""

    # Administrators' actions.
    USER_DEACTIVATED = "user_deactivated"
    USER_REACTIVATED = "user_reactivated"
    PASSWORD_RESET_ISSUED = "password_reset_issued"
    ADMIN_GRANTED = "admin_granted"
    ADMIN_REVOKED = "admin_revoked"
    INVITE_CREATED = "invite_created"
    INVITE_REVOKED = "invite_revoked"
    SETTINGS_CHANGED = "settings_changed"
    REPORT_RESOLVED = "report_resolved"
    MESSAGE_REMOVED = "message_removed"
    # Accounts' security.
    USER_REGISTERED = "user_registered"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    SESSION_REVOKED = "session_revoked"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET_USED = "password_reset_used"


# What happens to accounts as their owners use them, as opposed to what administrators do.
SECURITY_EVENTS = frozenset(
    {
        AuditAction.USER_REGISTERED,
        AuditAction.LOGIN,
        AuditAction.LOGIN_FAILED,
        AuditAction.SESSION_REVOKED,
        AuditAction.PASSWORD_CHANGED,
        AuditAction.PASSWORD_RESET_USED,
    }
)


class AuditTarget(StrEnum):
    """The kind of thing an entry is about."""

    USER = "user"
    SESSION = "session"
    INVITE = "invite"
    SETTINGS = "settings"
    MESSAGE = "message"
    REPORT = "report"


@dataclass
class AuditEntry:
    """One line of the audit log. ``actor_id`` None: the server itself or its shell
    (``messenger`` commands); ``address``: the client address the request came from."""

    id: int
    at: datetime
    action: AuditAction
    actor_id: int | None
    target_type: AuditTarget | None = None
    target_id: str | None = None
    address: str | None = None
    detail: str = ""
