"""Who reacted to which message with which emoji (the counts are a column of messages)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from messenger.adapters.sqlalchemy.session import SqlSession
from messenger.adapters.sqlalchemy.tables import REF, message_reactions
from messenger.domain.model import Reaction

_r = message_reactions.c
_MINE = sa.select(_r.message_id, _r.emoji).where(
    _r.user_id == sa.bindparam("b_user_id", type_=REF),
    _r.message_id.in_(sa.bindparam("b_ids", expanding=True)),
)
_REMOVE = message_reactions.delete().where(
    _r.message_id == sa.bindparam("b_message_id", type_=REF),
    _r.emoji == sa.bindparam("b_emoji"),
    _r.user_id == sa.bindparam("b_user_id", type_=REF),
)


class SqlAlchemyReactionRepository:
    def __init__(self, db: SqlSession) -> None:
        self._db = db

    async def add(self, reaction: Reaction) -> None:
        await self._db.write(
            message_reactions.insert().values(
                message_id=reaction.message_id,
                emoji=reaction.emoji,
                user_id=reaction.user_id,
                created_at=reaction.created_at,
            )
        )

    async def remove(self, message_id: int, user_id: int, emoji: str) -> None:
        params = {"b_message_id": message_id, "b_emoji": emoji, "b_user_id": user_id}
        await self._db.write(_REMOVE, params)

    async def remove_all(self, message_id: int) -> None:
        await self._db.write(message_reactions.delete().where(_r.message_id == message_id))

    async def mine(self, user_id: int, message_ids: Sequence[int]) -> dict[int, frozenset[str]]:
        wanted = sorted(set(message_ids))
        if not wanted:
            return {}
        found: dict[int, set[str]] = {}
        # The primary key starts with the message: one range per message of the page.
        for message_id, emoji in await self._db.read(
            _MINE, {"b_user_id": user_id, "b_ids": wanted}
        ):
            found.setdefault(int(message_id), set()).add(str(emoji))
        return {k: frozenset(v) for k, v in found.items()}

    async def users_of(
        self, message_id: int, emoji: str, *, after: int | None, limit: int
    ) -> list[int]:
        stmt = sa.select(_r.user_id).where(_r.message_id == message_id, _r.emoji == emoji)
        if after is not None:
            stmt = stmt.where(_r.user_id > after)
        stmt = stmt.order_by(_r.user_id).limit(limit)
        return [int(r[0]) for r in await self._db.read(stmt)]
