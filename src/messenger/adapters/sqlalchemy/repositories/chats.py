"""Chats (dialogs and groups)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, sqlite

from messenger.adapters.sqlalchemy.repositories.rows import (
    duplicate_key,
    new_id,
    select_entity,
    values_of,
)
from messenger.adapters.sqlalchemy.session import SqlSession
from messenger.adapters.sqlalchemy.tables import chats
from messenger.domain.errors import Conflict
from messenger.domain.model import Chat

_CHATS = select_entity(chats, Chat)

# Hot statements are built once with bind parameters: building a Core expression costs
# 30-40 us per call, more than SQLAlchemy's compiled-cache lookup for a prebuilt one.
_CHAT_GET = _CHATS.where(chats.c.id == sa.bindparam("b_id"))
# Without .values(), the parameter dict names the columns to SET; "b_id" is no column.
_CHAT_UPDATE = chats.update().where(chats.c.id == sa.bindparam("b_id"))
# Many chats changed at once (a group commit's last messages): one multi-row upsert of
# existing rows, instead of an UPDATE round trip per chat. Chats are never deleted, and the
# rows were read under the same lock, so the "insert" branch never runs.
_CHANGEABLE = ("title", "last_activity_at", "last_message_id")
_mysql_upsert = mysql.insert(chats)
_CHATS_UPSERT_MYSQL = _mysql_upsert.on_duplicate_key_update(
    {name: _mysql_upsert.inserted[name] for name in _CHANGEABLE}
)
_sqlite_upsert = sqlite.insert(chats)
_CHATS_UPSERT_SQLITE = _sqlite_upsert.on_conflict_do_update(
    index_elements=[chats.c.id], set_={name: _sqlite_upsert.excluded[name] for name in _CHANGEABLE}
)


def _update_values(chat: Chat) -> dict[str, Any]:
    values = values_of(chat, without=("id",))
    values["b_id"] = chat.id
    return values


class SqlAlchemyChatRepository:
    def __init__(self, db: SqlSession) -> None:
        self._db = db

    async def add(self, chat: Chat) -> Chat:
        try:
            result = await self._db.write(chats.insert().values(values_of(chat, without=("id",))))
        except sa.exc.IntegrityError as exc:
            if duplicate_key(exc) is None:
                raise
            raise Conflict("The dialog already exists.") from exc
        return dataclasses.replace(chat, id=new_id(result))

    async def get(self, chat_id: int) -> Chat | None:
        row = (await self._db.read(_CHAT_GET, {"b_id": chat_id})).first()
        return Chat(*row) if row else None

    async def get_many(self, chat_ids: Iterable[int]) -> list[Chat]:
        wanted = sorted(set(chat_ids))
        if not wanted:
            return []
        stmt = _CHATS.where(chats.c.id.in_(wanted)).order_by(chats.c.id)
        return [Chat(*r) for r in await self._db.read(stmt)]

    async def by_direct_key(self, direct_key: str) -> Chat | None:
        stmt = _CHATS.where(chats.c.direct_key == direct_key)
        row = (await self._db.read(stmt)).first()
        return Chat(*row) if row else None

    async def update(self, chat: Chat) -> None:
        await self._db.write(_CHAT_UPDATE, _update_values(chat))

    async def update_many(self, changed: Sequence[Chat]) -> None:
        if len(changed) <= 1:
            for chat in changed:
                await self.update(chat)
            return
        stmt = _CHATS_UPSERT_MYSQL if self._db.is_mysql else _CHATS_UPSERT_SQLITE
        await self._db.write(stmt, [values_of(chat) for chat in changed])
