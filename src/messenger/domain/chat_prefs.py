"""What one user chose for one chat: muted, pinned, archived, and the unsent draft.

Archiving is derived rather than undone by a write: a new message un-archives a chat
unless it is muted, and posting (the hottest path) must not write a row per member for
that. So an archived chat remembers the chat's last message when it was archived
(``archived_up_to``), and stays archived only while no newer message exists, or every
newer one came while the chat was muted. Every settings change first *settles* the
derived state (``settle``), so that the mute stored is the one every message after
``archived_up_to`` arrived under; then comparing the chat's last activity with
``muted_until`` answers "did a message come while unmuted?" without a history read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime

from messenger.domain.errors import MessageTooLong
from messenger.domain.model import Chat

# "Muted forever" is stored as the latest moment DATETIME holds: every comparison with
# ``muted_until`` then needs no special case.
MUTED_FOREVER = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
# As Telegram: a handful of chats on top; more would push the rest off the first screen.
MAX_PINNED_CHATS = 10


@dataclass(frozen=True)
class ChatSettings:
    """One user's settings of one chat as they stand now (what clients see).

    ``muted_until``: None when not muted (also once a mute ran out), ``MUTED_FOREVER``
    for a mute without end."""

    muted_until: datetime | None = None
    pinned: bool = False
    archived: bool = False

    @property
    def muted(self) -> bool:
        return self.muted_until is not None


@dataclass(frozen=True)
class Draft:
    """The text a user started in a chat and did not send yet."""

    text: str
    reply_to_id: int | None
    updated_at: datetime


@dataclass
class ChatPrefs:
    """The stored choices of ``user_id`` for ``chat_id``; no row reads as the defaults."""

    chat_id: int
    user_id: int
    muted_until: datetime | None = None
    # Pinned chats come first, ascending by this (None: not pinned).
    pin_position: int | None = None
    # Archived when the chat's last message was this (0: it had none); None: not archived.
    archived_up_to: int | None = None
    draft_text: str = ""
    draft_reply_to_id: int | None = None
    # None: no draft.
    draft_updated_at: datetime | None = None

    # --- derived state -------------------------------------------------------------------

    def muted(self, now: datetime) -> bool:
        return self.muted_until is not None and self.muted_until > now

    @property
    def pinned(self) -> bool:
        return self.pin_position is not None

    def archived(self, chat: Chat) -> bool:
        """Whether the chat is still archived: no message came since it was archived, or
        all of those came while it was muted (see the module docstring)."""
        if self.archived_up_to is None:
            return False
        if (chat.last_message_id or 0) <= self.archived_up_to:
            return True
        return self.muted_until is not None and chat.last_activity_at < self.muted_until

    def settings(self, chat: Chat, now: datetime) -> ChatSettings:
        return ChatSettings(
            muted_until=self.muted_until if self.muted(now) else None,
            pinned=self.pinned,
            archived=self.archived(chat),
        )

    @property
    def has_draft(self) -> bool:
        return self.draft_updated_at is not None

    @property
    def draft(self) -> Draft | None:
        if self.draft_updated_at is None:
            return None
        return Draft(self.draft_text, self.draft_reply_to_id, self.draft_updated_at)

    @property
    def is_default(self) -> bool:
        """Nothing chosen: the row can go."""
        return (
            self.muted_until is None
            and self.pin_position is None
            and self.archived_up_to is None
            and self.draft_updated_at is None
        )

    # --- changes -------------------------------------------------------------------------

    def settle(self, chat: Chat, now: datetime) -> None:
        """Store the derived state as it now is, before a change: an archive a message
        already undid goes, one still standing moves up to the chat's last message (so
        whatever comes later is judged under the mute about to be stored); a mute that
        ran out goes."""
        if self.archived_up_to is not None:
            self.archived_up_to = chat.last_message_id or 0 if self.archived(chat) else None
        if self.muted_until is not None and not self.muted(now):
            self.muted_until = None

    def mute(self, until: datetime | None, now: datetime) -> None:
        """Mute until a moment (``MUTED_FOREVER``: for ever); None or a past moment unmutes."""
        self.muted_until = None if until is None or until <= now else min(until, MUTED_FOREVER)

    def archive(self, chat: Chat) -> None:
        """Archive the chat as of its last message; an archived chat is not pinned."""
        self.archived_up_to = chat.last_message_id or 0
        self.pin_position = None

    def unarchive(self) -> None:
        self.archived_up_to = None

    def pin(self, position: int) -> None:
        """Pin the chat at ``position``; a pinned chat is not archived."""
        self.pin_position = position
        self.archived_up_to = None

    def unpin(self) -> None:
        self.pin_position = None

    def keep_draft(self, text: str, reply_to_id: int | None, now: datetime) -> None:
        self.draft_text = text
        self.draft_reply_to_id = reply_to_id
        self.draft_updated_at = now

    def drop_draft(self) -> bool:
        """Forget the draft; whether there was one."""
        had = self.has_draft
        self.draft_text = ""
        self.draft_reply_to_id = None
        self.draft_updated_at = None
        return had

    def copy(self) -> ChatPrefs:
        return dataclasses.replace(self)


def clean_draft(raw: str, max_length: int) -> str:
    """A draft as kept: as typed (a draft is restored into the composer exactly), within a
    message's length; only blanks is no draft (the empty string)."""
    if not raw.strip():
        return ""
    if len(raw) > max_length:
        raise MessageTooLong(f"A draft must be at most {max_length} characters.", field="text")
    return raw


def pinned_order(prefs: list[ChatPrefs], chat_ids: set[int] | None = None) -> list[int]:
    """The ids of the pinned chats in the user's order (among ``chat_ids`` when given)."""
    pinned = [
        p
        for p in prefs
        if p.pin_position is not None and (chat_ids is None or p.chat_id in chat_ids)
    ]
    pinned.sort(key=lambda p: (p.pin_position, p.chat_id))
    return [p.chat_id for p in pinned]


__all__ = [
    "MAX_PINNED_CHATS",
    "MUTED_FOREVER",
    "ChatPrefs",
    "ChatSettings",
    "Draft",
    "clean_draft",
    "pinned_order",
]
