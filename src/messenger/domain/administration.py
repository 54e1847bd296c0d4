"""What a server administrator manages besides accounts: who may register (the mode and
invites), and one-time password-reset links.

Invite and reset tokens are random secrets shown once; storage keeps only their SHA-256
(like refresh tokens), so a copy of the database opens no account.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum

# The longest an invite may stay valid, and its default.
INVITE_MAX_LIFETIME = timedelta(days=90)
INVITE_DEFAULT_LIFETIME = timedelta(days=7)
# More uses than any company has people: a typo, not an intention.
INVITE_MAX_USES = 100_000
# The key the run-time registration mode is stored under (``ServerSettingsRepository``).
REGISTRATION_KEY = "registration"


class RegistrationMode(StrEnum):
    """Who may create an account through ``/auth/register``."""

    OPEN = "open"  # anyone who reaches the server
    INVITE = "invite"  # only with a valid invite
    CLOSED = "closed"  # nobody: administrators create accounts (``messenger create-user``)


class Operator(Enum):
    """The server's operator at its shell (``messenger users ...``, ``messenger invite``):
    acts as an administrator without an account, and is audited with no actor.

    A value of its own rather than ``None``, so that a missing caller id can never pass
    for the operator: the HTTP routes always pass the caller's user id.
    """

    SHELL = "shell"


OPERATOR = Operator.SHELL

# Who performs an administrator's action: an administrator's user id, or the operator.
AdminActor = int | Operator


def hash_secret(token: str) -> str:
    """The stored form of an invite or reset token: 256 random bits need no slow hash."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Invite:
    """An invitation to register: for anyone holding the link, or for one email only."""

    id: str
    token_hash: str
    email: str | None
    created_at: datetime
    # The administrator who made it; None: the server's shell.
    created_by: int | None
    expires_at: datetime
    # How many registrations it admits (None: any number), and how many it admitted.
    uses: int | None
    used: int = 0
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def active_at(self, now: datetime) -> bool:
        """Neither revoked, expired nor used up."""
        return (
            self.revoked_at is None
            and now < self.expires_at
            and (self.uses is None or self.used < self.uses)
        )

    def admits(self, email: str | None, now: datetime) -> bool:
        """Whether a registration with this (normalised) email may use it now."""
        return self.active_at(now) and (self.email is None or self.email == email)


@dataclass
class PasswordReset:
    """A one-time link an administrator issued for a user to set a new password."""

    token_hash: str
    user_id: int
    created_at: datetime
    expires_at: datetime
    # The administrator who issued it; None: the server's shell.
    created_by: int | None = None
    used_at: datetime | None = None

    def usable_at(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at


class UserStatus(StrEnum):
    """An account as an administrator sees it (``AdminUser.status``)."""

    ACTIVE = "active"
    DEACTIVATED = "deactivated"
    DELETED = "deleted"


class UserFilter(StrEnum):
    """Which accounts an administrator lists (``?status=``): a status, or the live
    administrators."""

    ACTIVE = "active"
    DEACTIVATED = "deactivated"
    DELETED = "deleted"
    ADMIN = "admin"


@dataclass(frozen=True)
class ServerSettings:
    """The server's settings an administrator changes at run time."""

    registration: RegistrationMode


@dataclass(frozen=True)
class IssuedInvite:
    """A new invite with its token: the only time the token is known."""

    invite: Invite
    token: str


@dataclass(frozen=True)
class IssuedReset:
    """A new password-reset link's token (shown once) and when it stops working."""

    token: str
    user_id: int
    expires_at: datetime
