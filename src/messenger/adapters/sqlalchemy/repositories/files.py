"""Uploaded files, and whether a user may see one through the messages it is attached to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from messenger.adapters.sqlalchemy.repositories.rows import select_entity, values_of
from messenger.adapters.sqlalchemy.session import SqlSession
from messenger.adapters.sqlalchemy.tables import (
    files,
    hidden_messages,
    memberships,
    message_attachments,
    messages,
    themes,
    users,
)
from messenger.domain.model import FileKind, MediaItem, StoredFile

_FILES = select_entity(files, StoredFile)
_VARIANTS = [k.value for k in FileKind if k.is_variant]
_original = files.alias("original")

# The index says which files messages carry; a file with no row there is attached to none.
# A file in use as someone's avatar or a theme's background is not abandoned either. A
# variant (a thumbnail, an avatar's small size) goes with the file it was made from, once
# that one is gone.
_UNATTACHED = sa.or_(
    sa.and_(
        files.c.kind.not_in(_VARIANTS),
        ~sa.exists().where(message_attachments.c.file_id == files.c.id),
        ~sa.exists().where(users.c.avatar_file_id == files.c.id),
        ~sa.exists().where(themes.c.background == files.c.id),
    ),
    sa.and_(
        files.c.kind.in_(_VARIANTS),
        ~sa.exists().where(_original.c.thumbnail_id == files.c.id),
    ),
)
_MEDIA = (
    sa.select(*_FILES.selected_columns, messages.c.id, messages.c.sender_id, messages.c.created_at)
    .select_from(
        message_attachments.join(files, files.c.id == message_attachments.c.file_id).join(
            messages, messages.c.id == message_attachments.c.message_id
        )
    )
    .where(messages.c.deleted_at.is_(None))
    .order_by(messages.c.id.desc(), files.c.id.desc())
)
_FILE_FIELDS = len(_FILES.selected_columns)


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

    async def remove(self, file_ids: Sequence[str]) -> None:
        if file_ids:
            await self._db.write(files.delete().where(files.c.id.in_(list(set(file_ids)))))

    async def made_from(self, variant_id: str) -> StoredFile | None:
        row = (await self._db.read(_FILES.where(files.c.thumbnail_id == variant_id))).first()
        return StoredFile(*row) if row else None

    async def media_of_chat(
        self,
        chat_id: int,
        *,
        images: bool,
        before: tuple[int, str] | None,
        limit: int,
        after_message_id: int = 0,
        reader_id: int | None = None,
    ) -> list[MediaItem]:
        stmt = _MEDIA.where(
            messages.c.chat_id == chat_id,
            messages.c.id > after_message_id,
            files.c.width.is_not(None) if images else files.c.width.is_(None),
        )
        if reader_id is not None:
            stmt = stmt.where(
                ~sa.exists().where(
                    hidden_messages.c.user_id == reader_id,
                    hidden_messages.c.message_id == messages.c.id,
                )
            )
        if before is not None:
            message_id, file_id = before
            stmt = stmt.where(
                sa.or_(
                    messages.c.id < message_id,
                    sa.and_(messages.c.id == message_id, files.c.id < file_id),
                )
            )
        rows = await self._db.read(stmt.limit(limit))
        return [
            MediaItem(
                StoredFile(*row[:_FILE_FIELDS]).as_attachment(),
                message_id=row[_FILE_FIELDS],
                sender_id=row[_FILE_FIELDS + 1],
                posted_at=row[_FILE_FIELDS + 2],
            )
            for row in rows
        ]
