"""Catch-up: the change feed since a cursor, and presence."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from messenger.domain.errors import NotFound, ResyncRequired, ValidationError
from messenger.domain.events import FeedEntry, Notification, PresenceChanged
from messenger.domain.usecases.base import UseCase


@dataclass(frozen=True)
class Changes:
    entries: tuple[FeedEntry, ...]
    cursor: int
    has_more: bool


class GetChangesSince(UseCase):
    """Every feed event the user may see after ``since``, in order, exactly once.

    Without ``since`` only the current cursor is returned (a client takes it together with
    a fresh snapshot). A cursor in the future or older than what the feed keeps cannot be
    continued from: the client must reload (``ResyncRequired``).
    """

    async def __call__(self, user_id: int, since: int | None, limit: int | None = None) -> Changes:
        cap = self._limits.max_feed_page
        limit = cap if limit is None else limit
        if not 1 <= limit <= cap:
            raise ValidationError(f"limit must be 1-{cap}.", field="limit")
        async with self._uow(read_only=True) as uow:
            # The head is read first: every position up to it is committed (writers commit in
            # position order), so reading up to it can neither skip nor repeat an event.
            head = await uow.feed.head()
            if since is None:
                return Changes(entries=(), cursor=head, has_more=False)
            if since < 0 or since > head or since < await uow.feed.oldest():
                raise ResyncRequired()
            entries = await uow.feed.since(user_id, since, head, limit + 1)
        has_more = len(entries) > limit
        if has_more:
            entries = entries[:limit]
            return Changes(entries=tuple(entries), cursor=entries[-1].position, has_more=True)
        return Changes(entries=tuple(entries), cursor=head, has_more=False)


class ReportPresence(UseCase):
    """A user came online (first socket) or went offline (last socket closed).

    Going offline stores ``last_seen_at``. Only users who share a chat are told.
    """

    async def __call__(self, user_id: int, online: bool) -> None:
        now = self._clock.now()
        async with self._uow(read_only=online) as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFound("User not found.")
            if user.deleted:
                # Its sockets closing is no news: a deleted account shows no presence.
                return
            contacts = await uow.members.contacts_of(user_id)
            if not online:
                user.last_seen_at = now
                await uow.users.update(user)
                await uow.commit()
        if contacts:
            event = PresenceChanged(user_id=user_id, online=online, last_seen_at=user.last_seen_at)
            await self._publish([Notification(event, frozenset(contacts))])


class AnnouncePresence(UseCase):
    """Tell users who just became chat-mates of an online user (a new dialog or group, a
    member added) that the user is online: presence frames otherwise report changes only,
    so they would see the user as offline until the next one.

    Only those of ``to`` who share a chat with the user are told.
    """

    async def __call__(self, user_id: int, to: Iterable[int]) -> None:
        async with self._uow(read_only=True) as uow:
            contacts = await uow.members.contacts_of(user_id)
        audience = contacts.intersection(to)
        if audience:
            event = PresenceChanged(user_id=user_id, online=True, last_seen_at=None)
            await self._publish([Notification(event, frozenset(audience))])


class ListContacts(UseCase):
    """Ids of the users who share at least one chat with the user (presence audience)."""

    async def __call__(self, user_id: int) -> set[int]:
        async with self._uow(read_only=True) as uow:
            return await uow.members.contacts_of(user_id)
