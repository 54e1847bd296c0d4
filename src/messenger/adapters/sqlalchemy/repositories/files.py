"""Uploaded files, and whether a user may see one through the messages it is attached to."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from messenger.adapters.sqlalchemy.repositories.rows import select_entity, values_of
from messenger.adapters.sqlalchemy.session import SqlSession
from messenger.adapters.sqlalchemy.tables import files, memberships, message_attachments, messages
from messenger.domain.model import StoredFile

_FILES = select_entity(files, StoredFile)


class SqlAlchemyFileRepository:
    def __init__(self, db: SqlSession) -> None:
        self._db = db

    async def add(self, file: StoredFile) -> None:
        await self._db.write(files.insert().values(values_of(file)))

    async def get(self, file_id: str) -> StoredFile | None:
        row = (await self._db.read(_FILES.where(files.c.id == file_id))).first()
        return StoredFile(*row) if row else None

    async def get_many(self, file_ids: Sequence[str]) -> list[StoredFile]:
        if not file_ids:
            return []
        stmt = _FILES.where(files.c.id.in_(list(set(file_ids))))
        found = {f.id: f for f in (StoredFile(*r) for r in await self._db.read(stmt))}
        return [found[i] for i in file_ids if i in found]

    async def attached_in_chats_of(self, file_id: str, user_id: int) -> bool:
        stmt = (
            sa.select(sa.literal(1))
            .select_from(
                message_attachments.join(
                    messages, messages.c.id == message_attachments.c.message_id
                ).join(
                    memberships,
                    sa.and_(
                        memberships.c.chat_id == messages.c.chat_id,
                        memberships.c.user_id == user_id,
                    ),
                )
            )
            .where(message_attachments.c.file_id == file_id)
            .limit(1)
        )
        return (await self._db.read(stmt)).first() is not None
