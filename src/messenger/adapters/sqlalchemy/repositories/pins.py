"""Pinned messages."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from messenger.adapters.sqlalchemy.repositories.rows import select_entity, values_of
from messenger.adapters.sqlalchemy.session import SqlSession
from messenger.adapters.sqlalchemy.tables import pinned_messages
from messenger.domain.model import Pin

_PINS = select_entity(pinned_messages, Pin)
_PIN_GET = _PINS.where(
    pinned_messages.c.chat_id == sa.bindparam("b_chat_id"),
    pinned_messages.c.message_id == sa.bindparam("b_message_id"),
)
_PINS_OF_CHAT = _PINS.where(pinned_messages.c.chat_id == sa.bindparam("b_chat_id")).order_by(
    pinned_messages.c.pinned_at.desc(), pinned_messages.c.message_id.desc()
)


class SqlAlchemyPinRepository:
    def __init__(self, db: SqlSession) -> None:
        self._db = db

    async def get(self, chat_id: int, message_id: int) -> Pin | None:
        params = {"b_chat_id": chat_id, "b_message_id": message_id}
        row = (await self._db.read(_PIN_GET, params)).first()
        return Pin(*row) if row else None

    async def add(self, pin: Pin) -> None:
        await self._db.write(pinned_messages.insert().values(values_of(pin)))

    async def remove(self, chat_id: int, message_id: int) -> None:
        await self._db.write(
            pinned_messages.delete().where(
                pinned_messages.c.chat_id == chat_id, pinned_messages.c.message_id == message_id
            )
        )

    async def of_chat(self, chat_id: int) -> list[Pin]:
        return [Pin(*r) for r in await self._db.read(_PINS_OF_CHAT, {"b_chat_id": chat_id})]

    async def among(self, message_ids: Iterable[int]) -> list[Pin]:
        wanted = sorted(set(message_ids))
        if not wanted:
            return []
        stmt = _PINS.where(pinned_messages.c.message_id.in_(wanted))
        return [Pin(*r) for r in await self._db.read(stmt)]
