"""Changing one's profile: name, username, bio, birthdate, preset avatar and frame.

Every change is told as ``ProfileUpdated``: into the feed about the user (so each of their
devices catches up through sync) and pushed, unstored, to the users who share a chat with
them (``tell_chat_mates``).
"""

from __future__ import annotations

from datetime import date, timedelta

from messenger.domain.errors import NotFound, UsernameTaken, ValidationError
from messenger.domain.events import Notification, ProfileUpdated
from messenger.domain.model import (
    UNSET,
    PresetKind,
    PublicProfile,
    Unset,
    User,
    check_avatar,
    check_birthdate,
    clean_bio,
    clean_display_name,
    normalize_username,
)
from messenger.domain.paging import Listing, Order, page_size, paginate
from messenger.domain.ports import UnitOfWork
from messenger.domain.privacy import profile_for, relation
from messenger.domain.usecases.base import UseCase

# The date is already "today" somewhere 14 hours ahead of UTC (Kiribati): a birthday
# entered there must not count as in the future.
_EARLIEST_ZONE_AHEAD = timedelta(hours=14)


async def profile_audience(uow: UnitOfWork, user_id: int) -> frozenset[int]:
    """Who besides the user hears of a change of their profile: everyone sharing a chat."""
    return frozenset(await uow.members.contacts_of(user_id))


async def tell_chat_mates(
    uow: UnitOfWork, event: ProfileUpdated, before: PublicProfile | None = None
) -> list[Notification]:
    """The pushes of a profile change to the user's chat-mates (no feed position: their
    clients read the current profile over REST after a reconnect).

    Each chat-mate gets the profile as they may see it (privacy), one notification per view,
    and only those who see something change (given ``before``) are told."""
    owner = event.profile.id
    mates = await profile_audience(uow, owner)
    if not mates:
        return []
    settings = await uow.privacy.get(owner)
    contacts = {c.user_id for c in await uow.contacts.among(owner, mates)}
    blocked = await uow.blocks.blocked_by(owner, mates)
    views: dict[PublicProfile, set[int]] = {}
    for mate in mates:
        rel = relation(mate, owner, contact=mate in contacts, blocked=mate in blocked)
        seen = profile_for(rel, event.profile, settings)
        if before is None or profile_for(rel, before, settings) != seen:
            views.setdefault(seen, set()).add(mate)
    return [
        Notification(ProfileUpdated(profile=view), frozenset(ids))
        for view, ids in sorted(views.items(), key=lambda v: min(v[1]))
    ]


class ProfileChange(UseCase):
    """Base of the use cases that change the caller's profile: ``_save`` stores it, commits
    and returns the ``ProfileUpdated`` notifications to publish after the commit."""

    async def _load(self, uow: UnitOfWork, user_id: int) -> User:
        user = await uow.users.get(user_id)
        # A deleted account has no profile left to change.
        if user is None or user.deleted:
            raise NotFound("User not found.")
        return user

    async def _save(self, uow: UnitOfWork, user: User, before: PublicProfile) -> list[Notification]:
        """Store ``user`` and commit; the notifications to publish (none when nothing
        anyone sees changed)."""
        await uow.users.update(user)
        after = user.public()
        if after == before:
            await uow.commit()
            return []
        event = ProfileUpdated(profile=after)
        uow.record(event, {user.id})
        pushes = await tell_chat_mates(uow, event, before)
        return [*await uow.commit(), *pushes]


class UpdateProfile(ProfileChange):
    """Change display name, username, avatar, bio or birthdate.

    ``None`` leaves a field as it is, but for ``birthdate``, where ``None`` clears it and
    ``UNSET`` leaves it. The avatar is the id of a file the user uploaded; an empty one
    removes the avatar.
    """

    async def __call__(
        self,
        user_id: int,
        *,
        display_name: str | None = None,
        avatar_file_id: str | None = None,
        bio: str | None = None,
        username: str | None = None,
        birthdate: date | Unset | None = UNSET,
    ) -> User:
        new_username = None if username is None else normalize_username(username)
        async with self._uow() as uow:
            user = await self._load(uow, user_id)
            before = user.public()
            if display_name is not None:
                if not display_name.strip():
                    raise ValidationError("Display name must not be empty.", field="display_name")
                user.display_name = clean_display_name(display_name, fallback=user.username)
            if new_username is not None and new_username != user.username:
                # The unique index still decides a race (UsernameTaken from the update).
                if await uow.users.by_username(new_username) is not None:
                    raise UsernameTaken()
                user.username = new_username
            if avatar_file_id is not None:
                user.avatar_file_id = (
                    check_avatar(await uow.files.get(avatar_file_id), user_id)
                    if avatar_file_id
                    else None
                )
            if bio is not None:
                user.bio = clean_bio(bio)
            if birthdate is not UNSET:
                today = (self._clock.now() + _EARLIEST_ZONE_AHEAD).date()
                user.birthdate = check_birthdate(birthdate, today)
            notifications = await self._save(uow, user, before)
        await self._publish(notifications)
        return user


class ChoosePresetAvatar(ProfileChange):
    """Show one of the server's preset avatars instead of an uploaded one."""

    async def __call__(self, user_id: int, preset: str) -> User:
        preset = self._ports.avatars.check(PresetKind.AVATAR, preset)
        async with self._uow() as uow:
            user = await self._load(uow, user_id)
            before = user.public()
            user.choose_preset_avatar(preset)
            notifications = await self._save(uow, user, before)
        await self._publish(notifications)
        return user


class ChooseAvatarFrame(ProfileChange):
    """Draw one of the server's frames around one's avatar; ``None`` takes it off."""

    async def __call__(self, user_id: int, frame: str | None) -> User:
        if frame is not None:
            frame = self._ports.avatars.check(PresetKind.FRAME, frame)
        async with self._uow() as uow:
            user = await self._load(uow, user_id)
            before = user.public()
            user.avatar_frame = frame
            notifications = await self._save(uow, user, before)
        await self._publish(notifications)
        return user


# Ids are unique within a kind: the last one shown is where the next page starts.
_PRESETS_BY_ID = {
    kind: Order[str](f"{kind.value}s", lambda preset_id: (preset_id,), (str,))
    for kind in PresetKind
}


class ListPresets(UseCase):
    """A page of the preset avatars or of the frames the server offers, by id."""

    async def __call__(
        self, kind: PresetKind, *, limit: int | None = None, cursor: str | None = None
    ) -> Listing[str]:
        ids = sorted(self._ports.avatars.ids(kind))
        return paginate(ids, _PRESETS_BY_ID[kind], page_size(limit, self._limits), cursor)
