"""Files: upload, download for those allowed to see them, and the sweep of abandoned ones."""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

from messenger.domain.errors import NotFound, QuotaExceeded
from messenger.domain.model import StoredFile
from messenger.domain.usecases.base import Ports, UseCase

NAME_MAX = 200


def clean_file_name(raw: str) -> str:
    """Keep a display name only: no directories, no control characters."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    return name[:NAME_MAX] or "file"


def clean_content_type(raw: str | None) -> str:
    value = (raw or "").split(";", 1)[0].strip().lower()
    if not value or "/" not in value or len(value) > 100:
        return "application/octet-stream"
    return value


@dataclass(frozen=True)
class NewFile:
    """A file as it arrives: the name and type the client gave, and its bytes on demand."""

    name: str
    content_type: str | None
    chunks: AsyncIterable[bytes]


class UploadFile(UseCase):
    """Store an uploaded file; it can then be attached to the uploader's messages."""

    async def __call__(
        self, user_id: int, name: str, content_type: str | None, chunks: AsyncIterable[bytes]
    ) -> StoredFile:
        limits = self._limits
        per_minute = limits.uploads_per_minute
        self._spend("uploads", user_id, per_minute / 60, per_minute)
        quota = limits.upload_quota_bytes
        if quota > 0:
            # A full quota refuses before a byte is read; otherwise the file's size decides,
            # once it is known.
            async with self._uow(read_only=True) as uow:
                if await uow.files.total_size_of(user_id) >= quota:
                    raise QuotaExceeded()
        file_id = self._ports.ids.new_id()
        # The storage name is ours, never the client's: no path tricks can reach the disk.
        storage_key = file_id
        store = self._ports.files
        size = await store.save(storage_key, chunks, limits.max_upload_bytes)
        stored = StoredFile(
            id=file_id,
            owner_id=user_id,
            name=clean_file_name(name),
            content_type=clean_content_type(content_type),
            size=size,
            storage_key=storage_key,
            created_at=self._clock.now(),
        )
        try:
            await self._keep(stored, quota)
        except BaseException:
            await store.delete(storage_key)
            raise
        return stored

    async def _keep(self, stored: StoredFile, quota: int) -> None:
        async with self._uow() as uow:
            # Among the writers, so that uploads made at the same time cannot all fit.
            if quota > 0 and await uow.files.total_size_of(stored.owner_id) + stored.size > quota:
                raise QuotaExceeded()
            await uow.files.add(stored)
            await uow.commit()


class OpenFile(UseCase):
    """A file's metadata and content, for its uploader and members of chats it is in."""

    async def __call__(self, user_id: int, file_id: str) -> tuple[StoredFile, AsyncIterator[bytes]]:
        async with self._uow(read_only=True) as uow:
            stored = await uow.files.get(file_id)
            allowed = stored is not None and (
                stored.owner_id == user_id or await uow.files.attached_in_chats_of(file_id, user_id)
            )
        if stored is None or not allowed:
            raise NotFound("File not found.")
        return stored, self._ports.files.open(stored.storage_key)


class DeleteAbandonedUploads(UseCase):
    """Delete the uploads attached to no message ``Limits.unattached_upload_hours`` after
    they were made, and their bytes (housekeeping the server runs periodically); returns how
    many were deleted."""

    async def __call__(self, batch: int = 500) -> int:
        hours = self._limits.unattached_upload_hours
        if hours <= 0:
            return 0
        cutoff = self._clock.now() - timedelta(hours=hours)
        deleted = 0
        while True:
            # Found without the write lock; removed under it, where a post attaching one of
            # them either went first (the file stays) or will not find it.
            async with self._uow(read_only=True) as uow:
                found = await uow.files.unattached_before(cutoff, batch)
            if not found:
                return deleted
            deleted += await remove_files(self._ports, found)
            if len(found) < batch:
                return deleted


async def remove_files(ports: Ports, found: Sequence[StoredFile]) -> int:
    """Delete those of ``found`` that no message carries (read again under the write lock,
    where a post attaching one either went first and it stays, or will not find it), rows
    first, then bytes; returns how many."""
    if not found:
        return 0
    async with ports.uow() as uow:
        removed = set(await uow.files.remove_unattached([f.id for f in found]))
        await uow.commit()
    # The bytes go only once the rows are gone for good.
    for file in found:
        if file.id in removed:
            await ports.files.delete(file.storage_key)
    return len(removed)
