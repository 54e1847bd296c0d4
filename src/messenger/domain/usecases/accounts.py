"""Accounts and sessions: register, log in, refresh, log out, profiles, user search,
deleting an account.

Changing a profile is in ``profile.py``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from messenger.domain.administration import Invite, RegistrationMode, hash_secret
from messenger.domain.audit import AuditAction, AuditTarget
from messenger.domain.errors import (
    AccountDeactivated,
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    InviteRequired,
    NotFound,
    PasswordTooCommon,
    RegistrationClosed,
    UsernameTaken,
    WrongPassword,
)
from messenger.domain.events import MessageDeleted, ProfileUpdated
from messenger.domain.model import (
    DEVICE_NAME_MAX,
    AccessClaims,
    AuthResult,
    ProfileView,
    RefreshToken,
    Session,
    User,
    check_password,
    clean_display_name,
    normalize_email,
    normalize_username,
)
from messenger.domain.paging import (
    Listing,
    Order,
    decode_cursor,
    finish_page,
    micros,
    page_size,
    paginate,
)
from messenger.domain.ports import CommonPasswords, UnitOfWork
from messenger.domain.usecases.base import (
    Ports,
    UseCase,
    configured_registration,
    revoke_sessions,
    seen_by,
    views_of,
)
from messenger.domain.usecases.chats import hand_over_groups
from messenger.domain.usecases.files import remove_files
from messenger.domain.usecases.pins import unpin_deleted
from messenger.domain.usecases.profile import tell_chat_mates


def hash_refresh_token(token: str) -> str:
    # Refresh tokens carry 256 random bits, so a fast hash is enough: the stored value is
    # useless to someone who reads the database, and lookups stay an index seek.
    return hashlib.sha256(token.encode()).hexdigest()


def check_new_password(password: str, common: CommonPasswords, *, field: str = "password") -> None:
    """A password about to be set: of a sensible length and not one of the most common.

    Length is the only other rule, so a long passphrase of plain words is welcome.
    """
    check_password(password, field=field)
    # Like Django's validator: the list is lowercased, and "Password1 " is guessed as soon
    # as "password1".
    if password.strip().lower() in common:
        raise PasswordTooCommon(field=field)


def _account_attempts(user_id: int, address: str | None) -> str:
    # The throttle key of wrong passwords for an account from one client address, shared
    # by logging in and changing the password, so the one cannot add guesses to the other.
    return f"user:{user_id}" if address is None else f"user:{user_id}@{address}"


def _device(name: str | None) -> str:
    device = (name or "").strip()[:DEVICE_NAME_MAX]
    return device or "unknown device"


class _SessionStarter(UseCase):
    async def _start_session(
        self, uow: UnitOfWork, user: User, device_name: str | None
    ) -> AuthResult:
        now = self._clock.now()
        session = Session(
            id=self._ports.ids.new_id(),
            user_id=user.id,
            device_name=_device(device_name),
            created_at=now,
            last_used_at=now,
        )
        await uow.sessions.add(session)
        return await self._issue(uow, user, session)

    async def _issue(self, uow: UnitOfWork, user: User, session: Session) -> AuthResult:
        refresh = self._ports.ids.new_secret()
        await uow.sessions.add_token(
            RefreshToken(
                token_hash=hash_refresh_token(refresh),
                session_id=session.id,
                created_at=self._clock.now(),
            )
        )
        access, expires_in = self._ports.tokens.issue_access(user.id, session.id)
        return AuthResult(
            user=user,
            session=session,
            access_token=access,
            refresh_token=refresh,
            expires_in=expires_in,
        )


class Register(_SessionStarter):
    """Create an account and log it in, as the server's registration mode allows.

    ``open``: anyone; ``invite``: only with a valid ``invite_token``; ``closed``: nobody.
    Whatever the mode, the first account of a fresh server registers (it becomes the
    administrator who then creates or invites the others), and so does any account the
    server's operator creates at its shell (``by_operator``: ``messenger create-user``).
    A valid invite is counted as used in every mode, in the transaction that creates the
    account: write units of work are serialised, so concurrent registrations cannot use an
    invite more often than it allows.
    """

    async def __call__(
        self,
        username: str,
        password: str,
        email: str | None = None,
        display_name: str | None = None,
        device_name: str | None = None,
        *,
        invite_token: str | None = None,
        admin: bool = False,
        by_operator: bool = False,
        address: str | None = None,
    ) -> AuthResult:
        """``admin``: the account is a server administrator from the start (the server's
        shell creates such); the first account of a fresh server always is. ``address``:
        the client's, for the audit log."""
        username = normalize_username(username)
        email = normalize_email(email)
        check_new_password(password, self._ports.common_passwords)
        name = clean_display_name(display_name, fallback=username)
        invite_hash = None if invite_token is None else hash_secret(invite_token)
        # Fail fast on a refused registration or a taken name before spending a hash; the
        # write transaction decides again, and the unique index decides a race.
        async with self._uow(read_only=True) as uow:
            fresh = not await uow.users.any_user()
            await self._admission(uow, email, invite_hash, any_mode=by_operator or fresh)
            if await uow.users.by_username(username) is not None:
                raise UsernameTaken()
            if email is not None and await uow.users.by_email(email) is not None:
                raise EmailTaken()
        password_hash = await self._ports.hasher.hash(password)
        async with self._uow() as uow:
            # Write units of work are serialised, so two first registrations racing cannot
            # both find the server empty, nor two registrations both take an invite's last use.
            first = not await uow.users.any_user()
            invite = await self._admission(uow, email, invite_hash, any_mode=by_operator or first)
            user = await uow.users.add(
                User(
                    id=0,
                    username=username,
                    email=email,
                    password_hash=password_hash,
                    display_name=name,
                    created_at=self._clock.now(),
                    is_admin=admin or first,
                )
            )
            if invite is not None:
                invite.used += 1
                await uow.invites.update(invite)
            await self._audit(
                uow,
                AuditAction.USER_REGISTERED,
                user.id,
                (AuditTarget.USER, user.id),
                address=address,
                detail=f"{username} (administrator)" if user.is_admin else username,
            )
            result = await self._start_session(uow, user, device_name)
            await uow.commit()
        return result

    async def _admission(
        self, uow: UnitOfWork, email: str | None, invite_hash: str | None, *, any_mode: bool
    ) -> Invite | None:
        """The valid invite the registration uses (None: none), or the mode's refusal
        (``any_mode``: none, for the operator and the first account of a fresh server)."""
        invite = None
        if invite_hash is not None:
            found = await uow.invites.by_token(invite_hash)
            if found is not None and found.admits(email, self._clock.now()):
                invite = found
        if any_mode:
            return invite
        mode = await configured_registration(uow, self._limits.registration)
        if mode is RegistrationMode.CLOSED:
            raise RegistrationClosed()
        if mode is RegistrationMode.INVITE and invite is None:
            raise InviteRequired()
        return invite


class Authenticate(_SessionStarter):
    """Log in by username or email and password.

    Failures are counted per account *and client address* (``address``; None: per account
    only), so someone guessing from elsewhere slows themself down, never the owner logging in
    from their own machine. What one address may try in all is the entrypoint's per-address
    request limit (``MESSENGER_AUTH_RATE_LIMIT``).

    Logins and failed logins go to the audit log. A failure changes nothing else, so its
    entry gets a small transaction of its own; one is written only for an attempt the
    throttle let through (a locked-out guess costs no write), so a flood of wrong passwords
    writes no more entries than the throttle and the per-address limit allow attempts.
    """

    async def __call__(
        self,
        login: str,
        password: str,
        device_name: str | None = None,
        *,
        address: str | None = None,
    ) -> AuthResult:
        key = login.strip().lower()
        where = "" if address is None else f"@{address}"
        throttle = self._ports.throttle
        attempts = f"login:{key}{where}"
        await throttle.check(attempts)
        hasher = self._ports.hasher
        async with self._uow(read_only=True) as uow:
            user = await (uow.users.by_email(key) if "@" in key else uow.users.by_username(key))
        # A deleted account answers as one that never existed (its tombstone name too).
        if user is None or user.deleted:
            await hasher.dummy_verify(password)
            await throttle.failed(attempts)
            # The name tried, never the password: a typo of a real name, or someone probing.
            await self._failed(None, address, f"unknown account {key[:100]!r}")
            raise InvalidCredentials()
        # One counter per account, whichever name (username or email) it is reached by, so
        # that alternating the two does not double the guesses.
        attempts = _account_attempts(user.id, address)
        await throttle.check(attempts)
        if not await hasher.verify(user.password_hash, password):
            await throttle.failed(attempts)
            await self._failed(user.id, address, "wrong password")
            raise InvalidCredentials()
        await throttle.succeeded(attempts)
        new_hash = await hasher.hash(password) if hasher.needs_rehash(user.password_hash) else None
        async with self._uow() as uow:
            fresh = await uow.users.get(user.id)
            if fresh is None or fresh.deleted:
                raise InvalidCredentials()
            deactivated = fresh.deactivated
            if not deactivated:
                if new_hash is not None:
                    fresh.password_hash = new_hash
                    await uow.users.update(fresh)
                result = await self._start_session(uow, fresh, device_name)
                await self._audit(
                    uow,
                    AuditAction.LOGIN,
                    fresh.id,
                    (AuditTarget.SESSION, result.session.id),
                    address=address,
                    detail=result.session.device_name,
                )
                await uow.commit()
        if deactivated:
            await self._failed(user.id, address, "account deactivated")
            # Said only now, to someone who knows the password: a stranger cannot probe
            # which accounts were deactivated.
            raise AccountDeactivated()
        return result

    async def _failed(self, user_id: int | None, address: str | None, detail: str) -> None:
        async with self._uow() as uow:
            target = None if user_id is None else (AuditTarget.USER, user_id)
            await self._audit(
                uow, AuditAction.LOGIN_FAILED, None, target, address=address, detail=detail
            )
            await uow.commit()


class RefreshSession(_SessionStarter):
    """Trade a refresh token for a new pair; a reused token revokes its whole family (in
    the audit log: the server revoked the session, from ``address``)."""

    async def __call__(self, refresh_token: str, *, address: str | None = None) -> AuthResult:
        now = self._clock.now()
        reused = False
        async with self._uow() as uow:
            token = await uow.sessions.token(hash_refresh_token(refresh_token))
            if token is None:
                raise InvalidToken()
            session = await uow.sessions.get(token.session_id)
            if session is None or not session.active_at(now, self._limits):
                raise InvalidToken()
            user = await uow.users.get(session.user_id)
            if user is None or not user.can_log_in:
                raise InvalidToken()
            if token.used_at is not None:
                # Someone holds a copy of a token that was already rotated: either the
                # client or a thief, and we cannot tell which; end the family for both.
                session.revoked_at = now
                await uow.sessions.update(session)
                await self._audit(
                    uow,
                    AuditAction.SESSION_REVOKED,
                    None,
                    (AuditTarget.SESSION, session.id),
                    address=address,
                    detail=f"refresh token reused (user {user.id})",
                )
                await uow.commit()
                reused = True
            else:
                token.used_at = now
                await uow.sessions.update_token(token)
                session.last_used_at = now
                await uow.sessions.update(session)
                result = await self._issue(uow, user, session)
                await uow.commit()
        if reused:
            await self._end_sessions(session.user_id, [session.id])
            raise InvalidToken("This refresh token was already used; the session is revoked.")
        return result


class Authorize(UseCase):
    """Check an access token and that its session is still alive.

    A session found active is trusted for ``Limits.session_cache_seconds`` without reading
    storage again (the check was 15% of a history request). A revocation made in this
    process (log out, revoke a device, refresh token reuse) takes effect at once; one made
    by another server process is seen here at most that many seconds later.
    """

    def __init__(self, ports: Ports, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        super().__init__(ports)
        self._monotonic = monotonic
        self._cache = ports.sessions

    async def __call__(self, access_token: str) -> AccessClaims:
        claims = self._ports.tokens.verify_access(access_token)
        cached = self._cache.get(claims.session_id)
        if cached is not None:
            user_id, deadline = cached
            if self._monotonic() < deadline:
                if user_id != claims.user_id:
                    raise InvalidToken()
                return claims
            self._cache.expire(claims.session_id)
        epoch = self._cache.epoch
        async with self._uow(read_only=True) as uow:
            session = await uow.sessions.get(claims.session_id)
        limits = self._limits
        if (
            session is None
            or not session.active_at(self._clock.now(), limits)
            or session.user_id != claims.user_id
        ):
            raise InvalidToken()
        if limits.session_cache_seconds > 0:
            self._cache.put(
                session.id,
                session.user_id,
                self._monotonic() + limits.session_cache_seconds,
                epoch=epoch,
                max_size=limits.session_cache_size,
            )
        return claims


class LogOut(UseCase):
    """End the caller's current session.

    The audit log has it as a ``session_revoked`` (detail "log out"): a session ended by
    its holder is as much a part of an account's security story as one ended elsewhere.
    """

    async def __call__(self, claims: AccessClaims, *, address: str | None = None) -> None:
        await RevokeSession(self._ports)(
            claims.user_id, claims.session_id, address=address, reason="log out"
        )


# Most recently used first; the id orders sessions used at the same instant.
SESSIONS_BY_USE: Order[Session] = Order(
    "sessions", lambda s: (micros(s.last_used_at), s.id), (int, str), descending=True
)


class ListSessions(UseCase):
    """A page of the caller's active sessions (devices), most recently used first."""

    async def __call__(
        self, user_id: int, *, limit: int | None = None, cursor: str | None = None
    ) -> Listing[Session]:
        size = page_size(limit, self._limits)
        async with self._uow(read_only=True) as uow:
            sessions = await uow.sessions.of_user(user_id)
        now = self._clock.now()
        active = sorted(
            (s for s in sessions if s.active_at(now, self._limits)),
            key=SESSIONS_BY_USE.key,
            reverse=True,
        )
        return paginate(active, SESSIONS_BY_USE, size, cursor)


class RevokeSession(UseCase):
    """Log one of the caller's devices out (audited as ``session_revoked``)."""

    async def __call__(
        self,
        user_id: int,
        session_id: str,
        *,
        address: str | None = None,
        reason: str = "device logged out",
    ) -> None:
        async with self._uow() as uow:
            session = await uow.sessions.get(session_id)
            if session is None or session.user_id != user_id:
                raise NotFound("Session not found.")
            if session.active:
                session.revoked_at = self._clock.now()
                await uow.sessions.update(session)
                await self._audit(
                    uow,
                    AuditAction.SESSION_REVOKED,
                    user_id,
                    (AuditTarget.SESSION, session.id),
                    address=address,
                    detail=f"{reason}: {session.device_name}",
                )
                await uow.commit()
        # Also when it was already revoked (perhaps by another process, whose sockets of it
        # may not all be closed yet): stop trusting it, close its sockets everywhere.
        await self._end_sessions(user_id, [session_id])


class _ConfirmedByPassword(UseCase):
    """A change of the account that the current password must confirm.

    Wrong passwords count against the same per-account and address budget as logins
    (``address``), so a stolen access token cannot be used to guess the password either.
    """

    async def _confirm(self, claims: AccessClaims, password: str, address: str | None) -> None:
        throttle = self._ports.throttle
        attempts = _account_attempts(claims.user_id, address)
        await throttle.check(attempts)
        async with self._uow(read_only=True) as uow:
            user = await uow.users.get(claims.user_id)
        if user is None or user.deleted:
            raise InvalidToken()
        if not await self._ports.hasher.verify(user.password_hash, password):
            await throttle.failed(attempts)
            raise WrongPassword()
        await throttle.succeeded(attempts)


class ChangePassword(_ConfirmedByPassword):
    """Change one's password, confirmed by the current one; every other session ends.

    The caller's own session stays.
    """

    async def __call__(
        self,
        claims: AccessClaims,
        current_password: str,
        new_password: str,
        *,
        address: str | None = None,
    ) -> None:
        check_new_password(new_password, self._ports.common_passwords, field="new_password")
        await self._confirm(claims, current_password, address)
        new_hash = await self._ports.hasher.hash(new_password)
        now = self._clock.now()
        async with self._uow() as uow:
            user = await uow.users.get(claims.user_id)
            if user is None or user.deleted:
                raise InvalidToken()
            user.password_hash = new_hash
            await uow.users.update(user)
            # Whoever else holds a session may be the reason for the change.
            ended = await revoke_sessions(uow, user.id, now, keep=claims.session_id)
            await self._audit(
                uow,
                AuditAction.PASSWORD_CHANGED,
                user.id,
                (AuditTarget.USER, user.id),
                address=address,
                detail=f"other sessions ended: {len(ended)}",
            )
            await uow.commit()
        await self._end_sessions(user.id, ended)


class DeleteAccount(_ConfirmedByPassword):
    """Delete one's account, confirmed by the password.

    At once: every session ends (sockets close), the username and email are free again, the
    profile becomes a "Deleted account" (chat-mates are told) and nobody can log in. The
    messages stay in others' chats under the deleted account, unless ``erase_messages``:
    then they are deleted for everyone too, batch by batch (``FinishAccountDeletion``).
    """

    def __init__(self, ports: Ports) -> None:
        super().__init__(ports)
        self._finish = FinishAccountDeletion(ports)

    async def __call__(
        self,
        claims: AccessClaims,
        password: str,
        *,
        erase_messages: bool = False,
        address: str | None = None,
    ) -> None:
        await self._confirm(claims, password, address)
        now = self._clock.now()
        async with self._uow() as uow:
            user = await uow.users.get(claims.user_id)
            if user is None or user.deleted:
                raise InvalidToken()
            user.deactivate(now, erase_messages=erase_messages)
            await uow.users.update(user)
            await hand_over_groups(uow, user.id)
            ended = await revoke_sessions(uow, user.id, now)
            # Told like any profile change: into the feed about the user, pushed to
            # chat-mates.
            event = ProfileUpdated(profile=user.public())
            uow.record(event, {user.id})
            pushes = await tell_chat_mates(uow, event)
            notifications = [*await uow.commit(), *pushes]
        await self._end_sessions(user.id, ended)
        await self._publish(notifications)
        await self._finish(user.id)


class FinishAccountDeletion(UseCase):
    """What deleting an account leaves to do after it took effect: erase the messages (if
    asked) in batches of ``batch``, each its own transaction, so that 100,000 messages
    never make one huge one; then remove the user's uploads that no message carries.

    Safe to run again at any point: a deletion interrupted by a restart keeps
    ``User.erasing_messages`` set, and ``ResumeAccountDeletions`` (housekeeping) finishes it.
    """

    async def __call__(self, user_id: int, *, batch: int = 200) -> None:
        while await self._erase_batch(user_id, batch):
            pass
        async with self._uow(read_only=True) as uow:
            user = await uow.users.get(user_id)
        if user is None or not user.deleted:
            return
        while True:
            async with self._uow(read_only=True) as uow:
                found = await uow.files.unattached_of(user_id, batch)
            # A thumbnail is unattached only once its original is gone: go on until a pass
            # finds nothing more to remove.
            if not found or not await remove_files(self._ports, found):
                return

    async def _erase_batch(self, user_id: int, batch: int) -> bool:
        """Delete the next batch of the user's messages for everyone; whether any remain."""
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
            if user is None or not user.erasing_messages:
                return False
            found = await uow.messages.live_of_sender(user_id, batch)
            audiences = await seen_by(uow, found)
            now = self._clock.now()
            for message in found:
                if message.reactions:
                    await uow.reactions.remove_all(message.id)
                message.delete(now)
                await uow.messages.forget_edits(message.id)
                await uow.messages.update(message)
                uow.record(MessageDeleted(message=message), audiences[message.id])
            await unpin_deleted(uow, found, audiences)
            await uow.search.remove([m.id for m in found])
            more = len(found) == batch
            if not more:
                user.erasing_messages = False
                await uow.users.update(user)
            notifications = await uow.commit()
        await self._publish(notifications)
        return more


class ResumeAccountDeletions(UseCase):
    """Finish account deletions a restart interrupted (housekeeping); returns how many."""

    async def __call__(self, limit: int = 100) -> int:
        async with self._uow(read_only=True) as uow:
            pending = await uow.users.erasing(limit)
        finish = FinishAccountDeletion(self._ports)
        for user_id in pending:
            await finish(user_id)
        return len(pending)


class GetMyAccount(UseCase):
    """The caller's own account (with email)."""

    async def __call__(self, user_id: int) -> User:
        async with self._uow(read_only=True) as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise NotFound("User not found.")
        return user


class GetProfile(UseCase):
    """A user's profile as the viewer may see it (privacy applied)."""

    async def __call__(self, viewer_id: int, user_id: int) -> ProfileView:
        async with self._uow(read_only=True) as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFound("User not found.")
            [view] = await views_of(uow, viewer_id, [user])
        return view


# Usernames are unique: the last one shown is where the next page starts.
USERS_BY_USERNAME: Order[ProfileView] = Order("users", lambda p: (p.username,), (str,))


class SearchUsers(UseCase):
    """Find people by username or display name; an empty query lists the directory."""

    async def __call__(
        self, viewer_id: int, query: str, limit: int | None = None, *, cursor: str | None = None
    ) -> Listing[ProfileView]:
        cap = self._limits.max_search_results
        size = cap if limit is None else page_size(limit, self._limits, cap=cap)
        start = decode_cursor(USERS_BY_USERNAME, cursor)
        after = None if start is None else str(start[0])
        async with self._uow(read_only=True) as uow:
            users = await uow.users.search(query.strip().lower()[:100], size + 1, after=after)
            views = await views_of(uow, viewer_id, users)
        return finish_page(views, USERS_BY_USERNAME, size)
