"""What a server administrator does: manage accounts (list, deactivate, reactivate,
promote, issue password-reset links), invites and the registration mode.

Every action checks its actor inside the transaction that makes the change
(``authorize_admin``: a live administrator, or the operator at the server's shell) and
writes its audit entry there too. Setting a new password with a reset link is the user's
own action (``ResetPassword``), public like logging in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from messenger.domain.administration import (
    INVITE_DEFAULT_LIFETIME,
    INVITE_MAX_LIFETIME,
    INVITE_MAX_USES,
    REGISTRATION_KEY,
    AdminActor,
    Invite,
    IssuedInvite,
    IssuedReset,
    PasswordReset,
    RegistrationMode,
    ServerSettings,
    UserFilter,
    hash_secret,
)
from messenger.domain.audit import AuditAction, AuditTarget
from messenger.domain.errors import Conflict, NotFound, ResetLinkInvalid, ValidationError
from messenger.domain.model import User, normalize_email
from messenger.domain.paging import (
    Listing,
    Order,
    decode_cursor,
    finish_page,
    micros,
    page_size,
)
from messenger.domain.ports import UnitOfWork
from messenger.domain.usecases.accounts import check_new_password
from messenger.domain.usecases.base import (
    UseCase,
    authorize_admin,
    configured_registration,
    revoke_sessions,
)


async def _account(uow: UnitOfWork, user_id: int) -> User:
    user = await uow.users.get(user_id)
    # A deleted account is gone for administrators too: nothing of it is left to manage.
    if user is None or user.deleted:
        raise NotFound("User not found.")
    return user


class DeactivateUser(UseCase):
    """Deactivate an account (an employee who left): every session ends and its sockets
    close at once, on every process; it can no longer log in; everything it wrote stays."""

    async def __call__(
        self, admin_id: AdminActor, user_id: int, *, address: str | None = None
    ) -> User:
        if admin_id == user_id:
            raise Conflict("You cannot deactivate your own account.")
        now = self._clock.now()
        async with self._uow() as uow:
            actor = await authorize_admin(uow, admin_id)
            user = await _account(uow, user_id)
            if user.deactivated_at is None:
                user.deactivated_at = now
                await uow.users.update(user)
                await self._audit(
                    uow,
                    AuditAction.USER_DEACTIVATED,
                    actor,
                    (AuditTarget.USER, user.id),
                    address=address,
                    detail=user.username,
                )
            # Also when it already was: a session a race let through ends now.
            ended = await revoke_sessions(uow, user.id, now)
            await uow.commit()
        await self._end_sessions(user.id, ended)
        return user


class ReactivateUser(UseCase):
    """Let a deactivated account log in again (with its old password, or a reset link)."""

    async def __call__(
        self, admin_id: AdminActor, user_id: int, *, address: str | None = None
    ) -> User:
        async with self._uow() as uow:
            actor = await authorize_admin(uow, admin_id)
            user = await _account(uow, user_id)
            if user.deactivated_at is not None:
                user.deactivated_at = None
                await uow.users.update(user)
                await self._audit(
                    uow,
                    AuditAction.USER_REACTIVATED,
                    actor,
                    (AuditTarget.USER, user.id),
                    address=address,
                    detail=user.username,
                )
                await uow.commit()
        return user


async def _user_named(uow: UnitOfWork, username: str) -> User:
    user = await uow.users.by_username(username.strip().lower())
    if user is None or user.deleted:
        raise NotFound("User not found.")
    return user


class FindUserByName(UseCase):
    """The account with this username, for the server's shell (``messenger users ... NAME``)."""

    async def __call__(self, admin_id: AdminActor, username: str) -> User:
        async with self._uow(read_only=True) as uow:
            await authorize_admin(uow, admin_id)
            return await _user_named(uow, username)


# Usernames are unique: the last one shown is where the next page starts.
ADMIN_USERS: Order[User] = Order("admin_users", lambda u: (u.username,), (str,))


class ListUsers(UseCase):
    """A page of every account (deleted ones too), by username: those whose username,
    display name or email contains ``query``, of one ``status`` where given."""

    async def __call__(
        self,
        admin_id: AdminActor,
        query: str = "",
        status: UserFilter | None = None,
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Listing[User]:
        size = page_size(limit, self._limits)
        start = decode_cursor(ADMIN_USERS, cursor)
        after = None if start is None else str(start[0])
        async with self._uow(read_only=True) as uow:
            await authorize_admin(uow, admin_id)
            found = await uow.users.for_admin(
                query.strip().lower()[:100], status, size + 1, after=after
            )
        return finish_page(found, ADMIN_USERS, size)


class _ChangeAdminRole(UseCase):
    _grant: bool

    async def __call__(
        self, admin_id: AdminActor, user_id: int, *, address: str | None = None
    ) -> User:
        # There is always an administrator left: none can remove their own role (the
        # operator has none, and can always promote someone again).
        if not self._grant and admin_id == user_id:
            raise Conflict("You cannot remove your own administrator role.")
        async with self._uow() as uow:
            actor = await authorize_admin(uow, admin_id)
            user = await _account(uow, user_id)
            if user.is_admin != self._grant:
                user.is_admin = self._grant
                await uow.users.update(user)
                await self._audit(
                    uow,
                    AuditAction.ADMIN_GRANTED if self._grant else AuditAction.ADMIN_REVOKED,
                    actor,
                    (AuditTarget.USER, user.id),
                    address=address,
                    detail=user.username,
                )
                await uow.commit()
        return user


class PromoteUser(_ChangeAdminRole):
    """Make an account a server administrator."""

    _grant = True


class DemoteUser(_ChangeAdminRole):
    """Take the server administrator role from an account (never one's own)."""

    _grant = False


class IssuePasswordReset(UseCase):
    """A one-time link for a user to set a new password (someone who forgot theirs),
    valid ``Limits.password_reset_valid``. The token is shown only here; a deactivated
    account stays deactivated."""

    async def __call__(
        self, admin_id: AdminActor, user_id: int, *, address: str | None = None
    ) -> IssuedReset:
        token = self._ports.ids.new_secret()
        now = self._clock.now()
        expires_at = now + self._limits.password_reset_valid
        async with self._uow() as uow:
            actor = await authorize_admin(uow, admin_id)
            user = await _account(uow, user_id)
            await uow.password_resets.add(
                PasswordReset(
                    token_hash=hash_secret(token),
                    user_id=user.id,
                    created_at=now,
                    expires_at=expires_at,
                    created_by=actor,
                )
            )
            await self._audit(
                uow,
                AuditAction.PASSWORD_RESET_ISSUED,
                actor,
                (AuditTarget.USER, user.id),
                address=address,
                detail=user.username,
            )
            await uow.commit()
        return IssuedReset(token=token, user_id=user.id, expires_at=expires_at)


class ResetPassword(UseCase):
    """Set a new password with a reset link an administrator issued: every session of the
    account ends, and the link (and any older one) works no more."""

    async def __call__(self, token: str, new_password: str, *, address: str | None = None) -> None:
        token_hash = hash_secret(token)
        async with self._uow(read_only=True) as uow:
            await self._usable(uow, token_hash)
        check_new_password(new_password, self._ports.common_passwords, field="new_password")
        new_hash = await self._ports.hasher.hash(new_password)
        now = self._clock.now()
        async with self._uow() as uow:
            user = await self._usable(uow, token_hash)
            user.password_hash = new_hash
            await uow.users.update(user)
            for link in await uow.password_resets.unused_of(user.id):
                link.used_at = now
                await uow.password_resets.update(link)
            ended = await revoke_sessions(uow, user.id, now)
            await self._audit(
                uow,
                AuditAction.PASSWORD_RESET_USED,
                user.id,
                (AuditTarget.USER, user.id),
                address=address,
                detail=user.username,
            )
            await uow.commit()
        await self._end_sessions(user.id, ended)

    async def _usable(self, uow: UnitOfWork, token_hash: str) -> User:
        reset = await uow.password_resets.by_token(token_hash)
        if reset is None or not reset.usable_at(self._clock.now()):
            raise ResetLinkInvalid()
        user = await uow.users.get(reset.user_id)
        if user is None or user.deleted:
            raise ResetLinkInvalid()
        return user


# --- registration ---------------------------------------------------------------------------


class GetRegistrationMode(UseCase):
    """Who may register now (public: the login screen asks). A fresh server is open
    whatever its mode, so that its first account (its administrator) can register."""

    async def __call__(self) -> RegistrationMode:
        async with self._uow(read_only=True) as uow:
            if not await uow.users.any_user():
                return RegistrationMode.OPEN
            return await configured_registration(uow, self._limits.registration)


class GetServerSettings(UseCase):
    """The settings an administrator may change at run time, as they are now."""

    async def __call__(self, admin_id: AdminActor) -> ServerSettings:
        async with self._uow(read_only=True) as uow:
            await authorize_admin(uow, admin_id)
            mode = await configured_registration(uow, self._limits.registration)
        return ServerSettings(registration=mode)


class ChangeServerSettings(UseCase):
    """Change the server's settings; the stored value wins over the environment's from
    then on."""

    async def __call__(
        self,
        admin_id: AdminActor,
        *,
        registration: RegistrationMode | None = None,
        address: str | None = None,
    ) -> ServerSettings:
        async with self._uow() as uow:
            actor = await authorize_admin(uow, admin_id)
            mode = await configured_registration(uow, self._limits.registration)
            if registration is not None and registration is not mode:
                await uow.server_settings.put(REGISTRATION_KEY, registration.value)
                await self._audit(
                    uow,
                    AuditAction.SETTINGS_CHANGED,
                    actor,
                    (AuditTarget.SETTINGS, REGISTRATION_KEY),
                    address=address,
                    detail=f"registration: {mode.value} → {registration.value}",
                )
                await uow.commit()
                mode = registration
        return ServerSettings(registration=mode)


# --- invites --------------------------------------------------------------------------------

# Newest first; the id orders invites made in the same microsecond.
INVITES_BY_AGE: Order[Invite] = Order(
    "invites", lambda i: (micros(i.created_at), i.id), (int, str), descending=True
)


def _invite_lifetime(expires_in: int | None) -> timedelta:
    if expires_in is None:
        return INVITE_DEFAULT_LIFETIME
    if not 1 <= expires_in <= INVITE_MAX_LIFETIME.total_seconds():
        raise ValidationError(
            f"expires_in must be 1-{int(INVITE_MAX_LIFETIME.total_seconds())} seconds.",
            field="expires_in",
        )
    return timedelta(seconds=expires_in)


class CreateInvite(UseCase):
    """Invite someone to register: a link for anyone who holds it, or only for ``email``;
    valid ``expires_in`` seconds (7 days by default, 90 at most) for ``uses``
    registrations (None: any number)."""

    async def __call__(
        self,
        admin_id: AdminActor,
        *,
        email: str | None = None,
        expires_in: int | None = None,
        uses: int | None = 1,
        address: str | None = None,
    ) -> IssuedInvite:
        email = normalize_email(email)
        lifetime = _invite_lifetime(expires_in)
        if uses is not None and not 1 <= uses <= INVITE_MAX_USES:
            raise ValidationError(f"uses must be 1-{INVITE_MAX_USES}, or null.", field="uses")
        token = self._ports.ids.new_secret()
        now = self._clock.now()
        async with self._uow() as uow:
            actor = await authorize_admin(uow, admin_id)
            invite = Invite(
                id=self._ports.ids.new_id(),
                token_hash=hash_secret(token),
                email=email,
                created_at=now,
                created_by=actor,
                expires_at=now + lifetime,
                uses=uses,
            )
            await uow.invites.add(invite)
            await self._audit(
                uow,
                AuditAction.INVITE_CREATED,
                actor,
                (AuditTarget.INVITE, invite.id),
                address=address,
                detail="" if email is None else email,
            )
            await uow.commit()
        return IssuedInvite(invite=invite, token=token)


class ListInvites(UseCase):
    """A page of the invites, newest first (revoked and used-up ones too)."""

    async def __call__(
        self, admin_id: AdminActor, *, limit: int | None = None, cursor: str | None = None
    ) -> Listing[Invite]:
        size = page_size(limit, self._limits)
        start = decode_cursor(INVITES_BY_AGE, cursor)
        async with self._uow(read_only=True) as uow:
            await authorize_admin(uow, admin_id)
            before = None
            if start is not None:
                micro, invite_id = int(start[0]), str(start[1])
                before = (_from_micros(micro), invite_id)
            found = await uow.invites.page(size + 1, before=before)
        return finish_page(found, INVITES_BY_AGE, size)


def _from_micros(value: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=value)


class GetInvite(UseCase):
    """One invite."""

    async def __call__(self, admin_id: AdminActor, invite_id: str) -> Invite:
        async with self._uow(read_only=True) as uow:
            await authorize_admin(uow, admin_id)
            invite = await uow.invites.get(invite_id)
        if invite is None:
            raise NotFound("Invite not found.")
        return invite


class RevokeInvite(UseCase):
    """Make an invite admit nobody any more (registrations it admitted stay)."""

    async def __call__(
        self, admin_id: AdminActor, invite_id: str, *, address: str | None = None
    ) -> Invite:
        async with self._uow() as uow:
            actor = await authorize_admin(uow, admin_id)
            invite = await uow.invites.get(invite_id)
            if invite is None:
                raise NotFound("Invite not found.")
            if invite.revoked_at is None:
                invite.revoked_at = self._clock.now()
                await uow.invites.update(invite)
                await self._audit(
                    uow,
                    AuditAction.INVITE_REVOKED,
                    actor,
                    (AuditTarget.INVITE, invite.id),
                    address=address,
                    detail="" if invite.email is None else invite.email,
                )
                await uow.commit()
        return invite
