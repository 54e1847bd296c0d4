"""The feed's writing side: a unit of work's events, their positions, the rows at commit.

Positions are handed out at commit time as ``head + 1 ...`` from the head read under the
write lock, and ``feed_head`` moves on in the same transaction: positions become visible
in commit order and a rolled-back unit leaves no hole (see docs/design.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from messenger.adapters.codec import encode_event
from messenger.adapters.sqlalchemy.session import SqlSession
from messenger.adapters.sqlalchemy.tables import feed, feed_head
from messenger.domain.events import (
    ABOUT_A_MESSAGE,
    FEED_EVENTS,
    Event,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    MessagesDelivered,
    MessagesRead,
    Notification,
)
from messenger.domain.ports import Clock

# Events of one message: their rows name it, so that reading the feed can leave out those
# of messages the reader cleared or hid.
_OF_A_MESSAGE = (MessagePosted, MessageEdited, MessageDeleted)

_FEED_INSERT = feed.insert()


def _marker(event: Event) -> int | None:
    """Whose read or delivery mark the event moves (None for other events)."""
    return event.user_id if isinstance(event, MessagesRead | MessagesDelivered) else None


_HEAD_UPDATE = feed_head.update().where(feed_head.c.id == 1)


class FeedWriter:
    """Events recorded by one unit of work, written to the feed when it commits."""

    def __init__(self, session: SqlSession, clock: Clock | None = None) -> None:
        self._session = session
        # What rows are stamped with (pruning goes by it): the system's time unless given.
        self._clock = clock
        self._recorded: list[tuple[Event, frozenset[int]]] = []
        self._rows: list[dict[str, Any]] = []
        # The feed head once this unit's rows are in (set by ``assign_positions``).
        self.head = 0

    def record(self, event: Event, recipients: Iterable[int]) -> None:
        self._recorded.append((event, frozenset(recipients)))

    @property
    def events(self) -> list[Event]:
        return [event for event, _ in self._recorded]

    async def position(self) -> int:
        """The position the next feed event recorded would get."""
        head = await self._session.lock()
        pending = sum(1 for event, _ in self._recorded if isinstance(event, FEED_EVENTS))
        return head + pending + 1

    async def assign_positions(self) -> list[Notification]:
        """Number the recorded feed events from the head read under the lock; nothing is
        written yet. ``has_rows`` then says whether ``write`` will add any."""
        if self._session.head is None and self._recorded:
            await self._session.lock()
        notifications: list[Notification] = []
        rows: list[dict[str, Any]] = []
        head = self._session.head or 0
        now = self._clock.now() if self._clock is not None else datetime.now(UTC)
        for event, recipients in self._recorded:
            position = None
            if isinstance(event, FEED_EVENTS):
                head += 1
                position = head
                message = event.message if isinstance(event, _OF_A_MESSAGE) else None
                # Pins and reactions name their message too (the same filter), but no
                # sender: only posts, edits and deletions are "of" a message for delivery
                # marks.
                about = event.message_id if isinstance(event, ABOUT_A_MESSAGE) else None
                rows.append(
                    {
                        "position": position,
                        "chat_id": event.chat_id,
                        "subject_user_id": event.subject_user_id,
                        "type": event.type,
                        "message_id": message.id if message else about,
                        # A read or delivery mark's owner, so that ``since`` can leave out
                        # the read marks of others for a reader with read receipts off, and
                        # one's own delivery marks (repositories/feed.py).
                        "sender_id": message.sender_id if message else _marker(event),
                        "payload": encode_event(event).decode(),
                        "created_at": now,
                    }
                )
            notifications.append(Notification(event, recipients, position))
        self._rows, self.head = rows, head
        return notifications

    @property
    def has_rows(self) -> bool:
        return bool(self._rows)

    async def write(self) -> None:
        """The numbered rows, in one multi-row INSERT, and the head moved past them."""
        if not self._rows:
            return
        await self._session.write(_FEED_INSERT, self._rows)
        await self._session.write(_HEAD_UPDATE, {"position": self.head})

    def clear(self) -> None:
        self._recorded.clear()
        self._rows = []
        self.head = 0
