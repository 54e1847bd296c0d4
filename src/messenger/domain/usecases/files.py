"""Files: upload, download for those allowed to see them, and the sweep of abandoned ones."""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from messenger.domain.errors import NotFound, PayloadTooLarge, QuotaExceeded, UnsupportedImage
from messenger.domain.model import THUMBNAIL_BOX, EncodedImage, FileKind, StoredFile
from messenger.domain.ports import FileStore, UnitOfWork
from messenger.domain.usecases.base import Ports, UseCase

NAME_MAX = 200
# How much of an upload is kept aside, as it streams to storage, to tell an image by its
# header: more than a JPEG's metadata segments usually take before its size is given.
SNIFF_BYTES = 256 * 1024


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


async def read_at_most(chunks: AsyncIterable[bytes], max_size: int) -> bytes:
    """All the chunks as one bytes; ``PayloadTooLarge`` once more than ``max_size`` arrive."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > max_size:
            raise PayloadTooLarge(f"The file is larger than {max_size} bytes.")
        parts.append(chunk)
    return b"".join(parts)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def store_encoded(
    store: FileStore,
    file_id: str,
    owner_id: int,
    image: EncodedImage,
    *,
    name: str,
    kind: FileKind,
    created_at: datetime,
    thumbnail_id: str | None = None,
) -> StoredFile:
    """Keep the bytes of an image the server encoded, as a file of ``owner_id``; the caller
    adds the row."""
    size = await store.save(file_id, _once(image.data), len(image.data))
    return StoredFile(
        id=file_id,
        owner_id=owner_id,
        name=f"{name}.{image.extension}",
        content_type=image.content_type,
        size=size,
        storage_key=file_id,
        created_at=created_at,
        width=image.width,
        height=image.height,
        kind=kind,
        thumbnail_id=thumbnail_id,
    )


async def fits_quota(uow: UnitOfWork, owner_id: int, size: int, quota: int) -> None:
    """``QuotaExceeded`` if ``size`` more bytes take the user over ``quota`` (0: none).

    Called among the writers, so that uploads made at the same time cannot all fit."""
    if quota > 0 and await uow.files.total_size_of(owner_id) + size > quota:
        raise QuotaExceeded()


class UploadFile(UseCase):
    """Store an uploaded file; it can then be attached to the uploader's messages.

    An image (told by its bytes, within ``Limits.max_image_bytes`` and ``max_image_pixels``)
    gets its size in pixels recorded and a thumbnail: a file of the uploader's of its own
    (``FileKind.THUMBNAIL``), which is never an attachment itself."""

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
        head = bytearray()

        async def sniffed() -> AsyncIterator[bytes]:
            # The file streams to storage as it arrives; only its first bytes stay here.
            async for chunk in chunks:
                if len(head) < SNIFF_BYTES:
                    head.extend(chunk[: SNIFF_BYTES - len(head)])
                yield chunk

        size = await store.save(storage_key, sniffed(), limits.max_upload_bytes)
        stored = StoredFile(
            id=file_id,
            owner_id=user_id,
            name=clean_file_name(name),
            content_type=clean_content_type(content_type),
            size=size,
            storage_key=storage_key,
            created_at=self._clock.now(),
        )
        thumbnail: StoredFile | None = None
        try:
            thumbnail = await self._thumbnail_of(stored, bytes(head))
            await self._keep(stored, thumbnail, quota)
        except BaseException:
            await store.delete(storage_key)
            if thumbnail is not None:
                await store.delete(thumbnail.storage_key)
            raise
        return stored

    async def _thumbnail_of(self, stored: StoredFile, head: bytes) -> StoredFile | None:
        """For an image: record its size in ``stored`` and store its thumbnail's bytes."""
        limits = self._limits
        images = self._ports.images
        if stored.size > limits.max_image_bytes:
            return None
        if await images.probe(head, limits.max_image_pixels) is None:
            return None
        # Only now, for an image of bounded size, is the whole file read into memory.
        data = await read_at_most(self._ports.files.open(stored.storage_key), stored.size)
        try:
            info, encoded = await images.thumbnail(data, THUMBNAIL_BOX, limits.max_image_pixels)
        except UnsupportedImage:
            return None  # a header and no picture: a file like any other
        thumbnail = await store_encoded(
            self._ports.files,
            self._ports.ids.new_id(),
            stored.owner_id,
            encoded,
            name="thumbnail",
            created_at=stored.created_at,
            kind=FileKind.THUMBNAIL,
        )
        stored.width, stored.height, stored.thumbnail_id = info.width, info.height, thumbnail.id
        return thumbnail

    async def _keep(self, stored: StoredFile, thumbnail: StoredFile | None, quota: int) -> None:
        async with self._uow() as uow:
            extra = thumbnail.size if thumbnail is not None else 0
            await fits_quota(uow, stored.owner_id, stored.size + extra, quota)
            if thumbnail is not None:
                await uow.files.add(thumbnail)
            await uow.files.add(stored)
            await uow.commit()


class OpenFile(UseCase):
    """A file's metadata and content, for its uploader and members of chats it is in; a
    thumbnail for whoever may open the file it was made from."""

    async def __call__(self, user_id: int, file_id: str) -> tuple[StoredFile, AsyncIterator[bytes]]:
        async with self._uow(read_only=True) as uow:
            stored = await uow.files.get(file_id)
            allowed = stored is not None and (
                stored.owner_id == user_id or await self._attached_for(uow, stored, user_id)
            )
        if stored is None or not allowed:
            raise NotFound("File not found.")
        return stored, self._ports.files.open(stored.storage_key)

    @staticmethod
    async def _attached_for(uow: UnitOfWork, stored: StoredFile, user_id: int) -> bool:
        if stored.kind.is_variant:
            original = await uow.files.made_from(stored.id)
            return original is not None and await uow.files.attached_in_chats_of(
                original.id, user_id
            )
        return await uow.files.attached_in_chats_of(stored.id, user_id)


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
