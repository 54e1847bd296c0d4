"""Run-time server settings, invites and password-reset links."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from messenger.adapters.sqlalchemy.repositories.rows import select_entity, values_of
from messenger.adapters.sqlalchemy.session import SqlSession
from messenger.adapters.sqlalchemy.tables import invites, password_resets, server_settings
from messenger.domain.administration import Invite, PasswordReset

_INVITES = select_entity(invites, Invite)
_RESETS = select_entity(password_resets, PasswordReset)


class SqlAlchemyServerSettings:
    def __init__(self, db: SqlSession) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        stmt = sa.select(server_settings.c.value).where(server_settings.c.key == key)
        row = (await self._db.read(stmt)).first()
        return None if row is None else str(row[0])

    async def put(self, key: str, value: str) -> None:
        # Write units of work are serialised: no other writer can insert the key meanwhile.
        stmt = server_settings.update().where(server_settings.c.key == key).values(value=value)
        if (await self._db.write(stmt)).rowcount == 0:
            await self._db.write(server_settings.insert().values(key=key, value=value))


class SqlAlchemyInviteRepository:
    def __init__(self, db: SqlSession) -> None:
        self._db = db

    async def add(self, invite: Invite) -> None:
        await self._db.write(invites.insert().values(values_of(invite)))

    async def get(self, invite_id: str) -> Invite | None:
        row = (await self._db.read(_INVITES.where(invites.c.id == invite_id))).first()
        return Invite(*row) if row else None

    async def by_token(self, token_hash: str) -> Invite | None:
        row = (await self._db.read(_INVITES.where(invites.c.token_hash == token_hash))).first()
        return Invite(*row) if row else None

    async def update(self, invite: Invite) -> None:
        stmt = invites.update().where(invites.c.id == invite.id)
        await self._db.write(stmt.values(values_of(invite, without=("id",))))

    async def page(self, limit: int, *, before: tuple[datetime, str] | None = None) -> list[Invite]:
        stmt = _INVITES.order_by(invites.c.created_at.desc(), invites.c.id.desc()).limit(limit)
        if before is not None:
            at, invite_id = before
            stmt = stmt.where(
                sa.or_(
                    invites.c.created_at < at,
                    sa.and_(invites.c.created_at == at, invites.c.id < invite_id),
                )
            )
        return [Invite(*r) for r in await self._db.read(stmt)]


class SqlAlchemyPasswordResetRepository:
    def __init__(self, db: SqlSession) -> None:
        self._db = db

    async def add(self, reset: PasswordReset) -> None:
        await self._db.write(password_resets.insert().values(values_of(reset)))

    async def by_token(self, token_hash: str) -> PasswordReset | None:
        stmt = _RESETS.where(password_resets.c.token_hash == token_hash)
        row = (await self._db.read(stmt)).first()
        return PasswordReset(*row) if row else None

    async def unused_of(self, user_id: int) -> list[PasswordReset]:
        stmt = _RESETS.where(
            password_resets.c.user_id == user_id, password_resets.c.used_at.is_(None)
        )
        return [PasswordReset(*r) for r in await self._db.read(stmt)]

    async def update(self, reset: PasswordReset) -> None:
        stmt = password_resets.update().where(password_resets.c.token_hash == reset.token_hash)
        await self._db.write(stmt.values(values_of(reset, without=("token_hash",))))
