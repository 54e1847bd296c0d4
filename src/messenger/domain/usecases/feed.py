"""Catch-up: the change feed since a cursor, and presence."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from messenger.domain.errors import NotFound, ResyncRequired, ValidationError
from messenger.domain.events import FeedEntry, Notification, PresenceChanged, PresenceRevealed
from messenger.domain.ports import UnitOfWork
from messenger.domain.privacy import Audience, Relation, online_visible, relation, visible
from messenger.domain.usecases.base import UseCase


@dataclass(frozen=True)
class Changes:
    entries: tuple[FeedEntry, ...]
    cursor: int
    has_more: bool


class PruneFeed(UseCase):
    """Delete feed entries older than ``Limits.feed_retention_days`` (0: keep them forever),
    ``batch`` by ``batch``, each batch its own short transaction (housekeeping and ``messenger
    feed prune``); returns how many went.

    A batch deletes apart from the writers' lock (``FeedRepository.prune``), and is small
    so that its transaction stays short. A client whose cursor fell before what is left
    reloads its snapshot (``ResyncRequired``): the chat list, history and read marks come
    from the tables, not from the feed.
    """

    # 100 rows: on MariaDB a batch of 500 took ~130 ms and tripled posting's p50 while it
    # ran (the disk, not a lock); 100 took ~35 ms (bench/feed_prune.py).
    async def __call__(self, *, batch: int = 100) -> int:
        days = self._limits.feed_retention_days
        if days <= 0:
            return 0
        older_than = self._clock.now() - timedelta(days=days)
        pruned = 0
        while True:
            async with self._uow(read_only=True) as uow:
                gone = await uow.feed.prune(older_than, batch)
            pruned += gone
            if gone < batch:
                return pruned


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
            if since < 0 or since > head:
                raise ResyncRequired()
            # With read receipts off one does not see others' marks: filtered as read, so a
            # change of the setting applies to what was stored before it too.
            receipts = (await uow.privacy.get(user_id)).read_receipts
            entries = await uow.feed.since(user_id, since, head, limit + 1, others_reads=receipts)
            # Asked after the read: pruning only ever moves ``oldest`` up, so if the cursor
            # is still held now, nothing after it was pruned while it was read (a prune that
            # commits in between cannot leave a silent gap, whatever the isolation).
            if since < await uow.feed.oldest():
                raise ResyncRequired()
        has_more = len(entries) > limit
        if has_more:
            entries = entries[:limit]
            return Changes(entries=tuple(entries), cursor=entries[-1].position, has_more=True)
        return Changes(entries=tuple(entries), cursor=head, has_more=False)


async def _audience(uow: UnitOfWork, user_id: int, mates: set[int]) -> tuple[set[int], set[int]]:
    """Of the user's chat-mates: who may be told that the user is online, and which of
    those may also see when the user was last seen."""
    if not mates:
        return set(), set()
    settings = await uow.privacy.get(user_id)
    contacts = {c.user_id for c in await uow.contacts.among(user_id, mates)}
    blocked = await uow.blocks.blocked_by(user_id, mates)

    def rel(mate: int) -> Relation:
        return relation(mate, user_id, contact=mate in contacts, blocked=mate in blocked)

    online = {m for m in mates if online_visible(rel(m), settings)}
    return online, {m for m in online if visible(settings.last_seen, rel(m))}


async def who_sees_online(uow: UnitOfWork, user_id: int) -> set[int]:
    """The user's chat-mates who may be told now whether the user is online."""
    told, _ = await _audience(uow, user_id, await uow.members.contacts_of(user_id))
    return told


def shown_offline(user_id: int, lost: set[int]) -> list[Notification]:
    """For users who just lost sight of whether the user is online (a block, a removed
    contact, a stricter ``online`` setting): an offline presence without a time, so that a
    client which showed the user online stops showing it. Presence is pushed as changes
    only; without this they would see "online" until they reloaded."""
    if not lost:
        return []
    event = PresenceChanged(user_id=user_id, online=False, last_seen_at=None)
    return [Notification(event, frozenset(lost))]


def revealed(user_id: int, gained: set[int]) -> list[Notification]:
    """For users who just gained sight of whether the user is online: delivery tells them
    (and the user, of them) as it tells new chat-mates, from whichever process holds the
    sockets; the domain does not know who is online."""
    if not gained:
        return []
    return [Notification(PresenceRevealed(user_id), frozenset(gained | {user_id}))]


class ReportPresence(UseCase):
    """A user came online (first socket) or went offline (last socket closed).

    Going offline stores ``last_seen_at``. Only chat-mates who may see the user online are
    told, and the time only to those who may also see the last seen time: two frames with
    two views when they differ.
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
            if (await uow.privacy.get(user_id)).online is Audience.NOBODY:
                # Shown to nobody: no need to read the chat-mates, thousands for a member
                # of a big channel, on every first and last socket.
                told: set[int] = set()
                with_time: set[int] = set()
            else:
                mates = await uow.members.contacts_of(user_id)
                told, with_time = await _audience(uow, user_id, mates)
            if not online:
                user.last_seen_at = now
                await uow.users.update(user)
                await uow.commit()
        notifications = []
        if with_time:
            event = PresenceChanged(user_id=user_id, online=online, last_seen_at=user.last_seen_at)
            notifications.append(Notification(event, frozenset(with_time)))
        if told - with_time:
            event = PresenceChanged(user_id=user_id, online=online, last_seen_at=None)
            notifications.append(Notification(event, frozenset(told - with_time)))
        await self._publish(notifications)


class AnnouncePresence(UseCase):
    """Tell users who just became chat-mates of an online user (a new dialog or group, a
    member added) that the user is online: presence frames otherwise report changes only,
    so they would see the user as offline until the next one.

    Only those of ``to`` who share a chat with the user and may see them online are told.
    """

    async def __call__(self, user_id: int, to: Iterable[int]) -> None:
        async with self._uow(read_only=True) as uow:
            mates = await uow.members.contacts_of(user_id)
            audience, _ = await _audience(uow, user_id, mates.intersection(to))
        if audience:
            event = PresenceChanged(user_id=user_id, online=True, last_seen_at=None)
            await self._publish([Notification(event, frozenset(audience))])


# Which of some users are online now: known to whoever holds the sockets (delivery), not to
# the domain.
OnlineAmong = Callable[[set[int]], Awaitable[set[int]]]


class ListChatMates(UseCase):
    """Ids of the users who share at least one chat with the user and whose being online
    the user may see (who a new socket is told is online).

    With ``online``, only those of them online now: the privacy rule is applied to them
    alone, in one read, so a socket's ``ready`` costs by its online chat-mates (and what it
    is told) rather than by every member of every chat it is in. One who comes online
    after being asked is told by their own presence report, which goes to every chat-mate
    who may see it.
    """

    async def __call__(self, user_id: int, online: OnlineAmong | None = None) -> set[int]:
        if online is None:
            async with self._uow(read_only=True) as uow:
                mates = await uow.members.contacts_of(user_id)
                return await uow.privacy.online_visible_to(user_id, mates)
        # Two short units rather than one held open while ``online`` asks the process or
        # the presence registry (over the network): a slow registry must not hold a
        # database connection per socket getting ready.
        async with self._uow(read_only=True) as uow:
            mates = await uow.members.contacts_of(user_id)
        if not mates:
            return set()
        mates = await online(mates)
        if not mates:
            return set()
        async with self._uow(read_only=True) as uow:
            return await uow.privacy.online_visible_to(user_id, mates)
