"""Files: upload, and download for those allowed to see them."""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterable, AsyncIterator

from messenger.domain.errors import NotFound
from messenger.domain.model import StoredFile
from messenger.domain.usecases.base import UseCase

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


class UploadFile(UseCase):
    """Store an uploaded file; it can then be attached to the uploader's messages."""

    async def __call__(
        self, user_id: int, name: str, content_type: str | None, chunks: AsyncIterable[bytes]
    ) -> StoredFile:
        file_id = self._ports.ids.new_id()
        # The storage name is ours, never the client's: no path tricks can reach the disk.
        storage_key = file_id
        store = self._ports.files
        size = await store.save(storage_key, chunks, self._limits.max_upload_bytes)
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
            async with self._uow() as uow:
                await uow.files.add(stored)
                await uow.commit()
        except BaseException:
            await store.delete(storage_key)
            raise
        return stored


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
