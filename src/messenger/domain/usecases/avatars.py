"""Avatars: an uploaded image becomes the user's avatar in two sizes; who may see it."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

from messenger.domain.errors import NotFound, PayloadTooLarge, ValidationError
from messenger.domain.model import (
    AVATAR_LARGE,
    AVATAR_SIZES,
    AVATAR_SMALL,
    FileKind,
    StoredFile,
    User,
    avatar_version,
    check_avatar,
)
from messenger.domain.ports import UnitOfWork
from messenger.domain.privacy import visible
from messenger.domain.usecases.base import UseCase, relations_to
from messenger.domain.usecases.files import fits_quota, read_at_most, store_encoded
from messenger.domain.usecases.profile import ProfileChange


async def may_see_avatar(uow: UnitOfWork, viewer_id: int, owner: User) -> bool:
    """Whether ``viewer_id`` may see ``owner``'s avatar image: the owner's ``avatar``
    privacy setting, and nobody they blocked (the one place that decides it)."""
    seen = await relations_to(uow, viewer_id, [owner.id])
    return visible(seen.settings_of(owner.id).avatar, seen.of(owner.id))


async def _avatar_files(uow: UnitOfWork, user: User) -> list[StoredFile]:
    """The files of the user's avatar that the server made (and so may delete with it): the
    512 px one and its 96 px one. An avatar of before (any upload of theirs) is not one of
    them; it stays a plain upload."""
    if user.avatar_file_id is None:
        return []
    large = await uow.files.get(user.avatar_file_id)
    if large is None or large.kind is not FileKind.AVATAR:
        return []
    small = await uow.files.get(large.thumbnail_id) if large.thumbnail_id else None
    return [large] if small is None else [large, small]


class _ChangeAvatar(ProfileChange):
    """Shared by the ways an image becomes an avatar: re-encode, store, swap, clean up."""

    def _spend_upload(self, user_id: int) -> None:
        # Re-encoding is CPU work a client could ask for in a loop: it costs an upload.
        per_minute = self._limits.uploads_per_minute
        self._spend("uploads", user_id, per_minute / 60, per_minute)

    async def _become_avatar(self, user_id: int, data: bytes) -> User:
        limits = self._limits
        store = self._ports.files
        ids = self._ports.ids
        large_image, small_image = await self._ports.images.avatar(
            data, AVATAR_SIZES, limits.max_image_pixels
        )
        now = self._clock.now()
        small = await store_encoded(
            store,
            ids.new_id(),
            user_id,
            small_image,
            name="avatar-96",
            kind=FileKind.AVATAR_SMALL,
            created_at=now,
        )
        try:
            large = await store_encoded(
                store,
                ids.new_id(),
                user_id,
                large_image,
                name="avatar-512",
                kind=FileKind.AVATAR,
                created_at=now,
                thumbnail_id=small.id,
            )
        except BaseException:
            await store.delete(small.storage_key)
            raise
        try:
            async with self._uow() as uow:
                user = await _load_user(uow, user_id)
                await fits_quota(uow, user_id, large.size + small.size, limits.upload_quota_bytes)
                replaced = await _avatar_files(uow, user)
                before = user.public()
                await uow.files.add(small)
                await uow.files.add(large)
                user.avatar_file_id = large.id
                user.avatar_preset = None  # an uploaded picture replaces a preset
                await uow.files.remove([f.id for f in replaced])
                notifications = await self._save(uow, user, before)
        except BaseException:
            await store.delete(small.storage_key)
            await store.delete(large.storage_key)
            raise
        for file in replaced:
            await store.delete(file.storage_key)
        await self._publish(notifications)
        return user


class UploadAvatar(_ChangeAvatar):
    """Make an uploaded image (PNG, JPEG, WebP or GIF, told by its bytes) the user's avatar:
    cropped to a centred square, re-encoded without its metadata at 512 and 96 px. The
    upload budget and the storage quota apply; the avatar it replaces is deleted."""

    async def __call__(self, user_id: int, chunks: AsyncIterable[bytes]) -> User:
        self._spend_upload(user_id)
        data = await read_at_most(chunks, self._limits.max_avatar_bytes)
        return await self._become_avatar(user_id, data)


class SetAvatarFromUpload(_ChangeAvatar):
    """Make a file the user uploaded before their avatar (how clients of before set one,
    by its URL): it is made into the avatar's two sizes as ``UploadAvatar`` does, and stays
    the plain upload it was."""

    async def __call__(self, user_id: int, file_id: str) -> User:
        async with self._uow(read_only=True) as uow:
            user = await _load_user(uow, user_id)
            file = await uow.files.get(file_id)
        check_avatar(file, user_id)
        assert file is not None  # check_avatar refused None
        if user.avatar_file_id == file.id:
            return user  # already the avatar: an unchanged profile sent back
        self._spend_upload(user_id)
        if file.size > self._limits.max_avatar_bytes:
            raise PayloadTooLarge(f"An avatar is at most {self._limits.max_avatar_bytes} bytes.")
        data = await read_at_most(self._ports.files.open(file.storage_key), file.size)
        return await self._become_avatar(user_id, data)


class RemoveAvatar(ProfileChange):
    """Remove the user's avatar (an uploaded picture or a preset); the files the server
    made of it are deleted."""

    async def __call__(self, user_id: int) -> User:
        async with self._uow() as uow:
            user = await _load_user(uow, user_id)
            before = user.public()
            removed = await _avatar_files(uow, user)
            user.avatar_file_id = None
            user.avatar_preset = None
            await uow.files.remove([f.id for f in removed])
            notifications = await self._save(uow, user, before)
        for file in removed:
            await self._ports.files.delete(file.storage_key)
        await self._publish(notifications)
        return user


@dataclass(frozen=True)
class AvatarImage:
    """One size of a user's avatar: its file, the avatar's version, and its bytes."""

    file: StoredFile
    version: str
    content: AsyncIterator[bytes]


class GetAvatar(UseCase):
    """A user's avatar image at 96 or 512 px, for a viewer allowed to see it (``NotFound``
    otherwise, exactly as for a user without one)."""

    async def __call__(self, viewer_id: int, user_id: int, size: int) -> AvatarImage:
        if size not in AVATAR_SIZES:
            raise ValidationError(f"size must be {AVATAR_SMALL} or {AVATAR_LARGE}.", field="size")
        async with self._uow(read_only=True) as uow:
            user = await uow.users.get(user_id)
            if (
                user is None
                or user.avatar_file_id is None
                or not await may_see_avatar(uow, viewer_id, user)
            ):
                raise NotFound("No avatar.")
            large = await uow.files.get(user.avatar_file_id)
            if large is None:
                raise NotFound("No avatar.")
            chosen = large
            # An avatar of before has one size only: it serves as both.
            if size == AVATAR_SMALL and large.thumbnail_id:
                chosen = await uow.files.get(large.thumbnail_id) or large
        return AvatarImage(
            file=chosen,
            version=avatar_version(large.id),
            content=self._ports.files.open(chosen.storage_key),
        )


async def _load_user(uow: UnitOfWork, user_id: int) -> User:
    user = await uow.users.get(user_id)
    if user is None:
        raise NotFound("User not found.")
    return user
