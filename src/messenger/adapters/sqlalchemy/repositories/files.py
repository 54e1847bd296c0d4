"""Uploaded files, and whether a user may see one through the messages it is attached to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from messenger.adapters.sqlalchemy.repositories.rows import select_entity, values_of
from messenger.adapters.sqlalchemy.session import SqlSession
from messenger.adapters.sqlalchemy.tables import (
    files,
    memberships,
    message_attachments,
    messages,
    themes,
    users,
)
from messenger.domain.model import StoredFile

_FILES = select_entity(files, StoredFile)

# The index says which files messages carry; a file with no row there is attached to none.
# A file in use as someone's avatar or a theme's background is not abandoned either.
_UNATTACHED = sa.and_(
    ~sa.exists().where(message_attachments.c.file_id == files.c.id),
    ~sa.exists().where(users.c.avatar_file_id == files.c.id),
    ~sa.exists().where(themes.c.background == files.c.id),
)


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

    async def total_size_of(self, owner_id: int) -> int:
        stmt = sa.select(sa.func.coalesce(sa.func.sum(files.c.size), 0)).where(
            files.c.owner_id == owner_id
        )
        return int((await self._db.read(stmt)).scalar_one())

    async def unattached_before(self, cutoff: datetime, limit: int) -> list[StoredFile]:
        stmt = (
            _FILES.where(files.c.created_at < cutoff, _UNATTACHED)
            .order_by(files.c.created_at, files.c.id)
            .limit(limit)
        )
        return [StoredFile(*r) for r in await self._db.read(stmt)]

    async def unattached_of(self, owner_id: int, limit: int) -> list[StoredFile]:
        stmt = (
            _FILES.where(files.c.owner_id == owner_id, _UNATTACHED)
            .order_by(files.c.created_at, files.c.id)
            .limit(limit)
        )
        return [StoredFile(*r) for r in await self._db.read(stmt)]

    async def remove_unattached(self, file_ids: Sequence[str]) -> list[str]:
        if not file_ids:
            return []
        wanted = list(dict.fromkeys(file_ids))
        stmt = sa.select(files.c.id).where(files.c.id.in_(wanted), _UNATTACHED)
        removable = [str(r[0]) for r in await self._db.read(stmt)]
        if removable:
            await self._db.write(files.delete().where(files.c.id.in_(removable)))
        return removable
