"""What users chose per chat (mute, pin, archive) and their drafts."""

from __future__ import annotations

import sqlalchemy as sa

from messenger.adapters.sqlalchemy.repositories.rows import select_entity, values_of
from messenger.adapters.sqlalchemy.session import SqlSession
from messenger.adapters.sqlalchemy.tables import chat_prefs
from messenger.domain.chat_prefs import ChatPrefs

_PREFS = select_entity(chat_prefs, ChatPrefs)
_KEY = ("chat_id", "user_id")


def _key(chat_id: int, user_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(chat_prefs.c.chat_id == chat_id, chat_prefs.c.user_id == user_id)


class SqlAlchemyChatPrefsRepository:
    def __init__(self, db: SqlSession) -> None:
        self._db = db

    async def get(self, chat_id: int, user_id: int) -> ChatPrefs | None:
        row = (await self._db.read(_PREFS.where(_key(chat_id, user_id)))).first()
        return ChatPrefs(*row) if row else None

    async def of_user(self, user_id: int) -> list[ChatPrefs]:
        stmt = _PREFS.where(chat_prefs.c.user_id == user_id).order_by(chat_prefs.c.chat_id)
        return [ChatPrefs(*r) for r in await self._db.read(stmt)]

    async def save(self, prefs: ChatPrefs) -> None:
        where = _key(prefs.chat_id, prefs.user_id)
        if prefs.is_default:
            await self._db.write(chat_prefs.delete().where(where))
            return
        # Under the unit's write lock nobody else writes the row meanwhile, so looking first
        # cannot race. (An UPDATE's row count cannot tell: MySQL counts only changed rows.)
        exists = (await self._db.read(sa.select(chat_prefs.c.chat_id).where(where))).first()
        if exists is None:
            await self._db.write(chat_prefs.insert().values(values_of(prefs)))
        else:
            values = values_of(prefs, without=_KEY)
            await self._db.write(chat_prefs.update().where(where).values(values))

    async def remove(self, chat_id: int, user_id: int) -> None:
        await self._db.write(chat_prefs.delete().where(_key(chat_id, user_id)))
