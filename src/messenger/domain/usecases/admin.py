"""What a server administrator does to accounts: deactivate and reactivate them.

Every action checks the caller is a live administrator (``require_admin``) inside the
transaction that makes the change, and writes its audit entry there too.
"""

from __future__ import annotations

from messenger.domain.audit import AuditAction, AuditTarget
from messenger.domain.errors import Conflict, NotFound
from messenger.domain.model import User
from messenger.domain.ports import UnitOfWork
from messenger.domain.usecases.base import UseCase, require_admin


async def _account(uow: UnitOfWork, user_id: int) -> User:
    user = await uow.users.get(user_id)
    # A deleted account is gone for administrators too: nothing of it is left to manage.
    if user is None or user.deleted:
        raise NotFound("User not found.")
    return user


class DeactivateUser(UseCase):
    """Deactivate an account (an employee who left): every session ends and its sockets
    close at once, on every process; it can no longer log in; everything it wrote stays."""

    async def __call__(self, admin_id: int, user_id: int, *, address: str | None = None) -> User:
        if admin_id == user_id:
            raise Conflict("You cannot deactivate your own account.")
        now = self._clock.now()
        ended: list[str] = []
        async with self._uow() as uow:
            await require_admin(uow, admin_id)
            user = await _account(uow, user_id)
            if user.deactivated_at is None:
                user.deactivated_at = now
                await uow.users.update(user)
                await self._audit(
                    uow,
                    AuditAction.USER_DEACTIVATED,
                    admin_id,
                    (AuditTarget.USER, user.id),
                    address=address,
                    detail=user.username,
                )
            # Also when it already was: a session a race let through ends now.
            for session in await uow.sessions.of_user(user.id):
                if session.active:
                    session.revoked_at = now
                    await uow.sessions.update(session)
                    ended.append(session.id)
            await uow.commit()
        await self._end_sessions(user.id, ended)
        return user


class ReactivateUser(UseCase):
    """Let a deactivated account log in again (with its old password, or a reset link)."""

    async def __call__(self, admin_id: int, user_id: int, *, address: str | None = None) -> User:
        async with self._uow() as uow:
            await require_admin(uow, admin_id)
            user = await _account(uow, user_id)
            if user.deactivated_at is not None:
                user.deactivated_at = None
                await uow.users.update(user)
                await self._audit(
                    uow,
                    AuditAction.USER_REACTIVATED,
                    admin_id,
                    (AuditTarget.USER, user.id),
                    address=address,
                    detail=user.username,
                )
                await uow.commit()
        return user
