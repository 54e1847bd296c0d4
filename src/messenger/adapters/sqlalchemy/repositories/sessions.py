"""Sessions (one per logged-in device) and their refresh tokens."""

from __future__ import annotations

from messenger.adapters.sqlalchemy.repositories.rows import select_entity, values_of
from messenger.adapters.sqlalchemy.session import SqlSession
from messenger.adapters.sqlalchemy.tables import refresh_tokens, sessions
from messenger.domain.model import RefreshToken, Session

_SESSIONS = select_entity(sessions, Session)
_TOKENS = select_entity(refresh_tokens, RefreshToken)


class SqlAlchemySessionRepository:
    def __init__(self, db: SqlSession) -> None:
        self._db = db

    async def add(self, session: Session) -> None:
        await self._db.write(sessions.insert().values(values_of(session)))

    async def get(self, session_id: str) -> Session | None:
        row = (await self._db.read(_SESSIONS.where(sessions.c.id == session_id))).first()
        return Session(*row) if row else None

    async def update(self, session: Session) -> None:
        # What a session's life changes; its owner and start stay.
        await self._db.write(
            sessions.update()
            .where(sessions.c.id == session.id)
            .values(
                device_name=session.device_name,
                last_used_at=session.last_used_at,
                revoked_at=session.revoked_at,
            )
        )

    async def of_user(self, user_id: int) -> list[Session]:
        stmt = _SESSIONS.where(sessions.c.user_id == user_id).order_by(
            sessions.c.created_at, sessions.c.id
        )
        return [Session(*r) for r in await self._db.read(stmt)]

    async def add_token(self, token: RefreshToken) -> None:
        await self._db.write(refresh_tokens.insert().values(values_of(token)))

    async def token(self, token_hash: str) -> RefreshToken | None:
        stmt = _TOKENS.where(refresh_tokens.c.token_hash == token_hash)
        row = (await self._db.read(stmt)).first()
        return RefreshToken(*row) if row else None

    async def update_token(self, token: RefreshToken) -> None:
        await self._db.write(
            refresh_tokens.update()
            .where(refresh_tokens.c.token_hash == token.token_hash)
            .values(used_at=token.used_at)
        )
