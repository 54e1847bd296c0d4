"""Domain events, named in the past tense.

``type`` is the stable wire name clients see (a frame type of the socket protocol and the
``type`` of a ``sync`` event). Events of ``FEED_EVENTS`` are written to the change feed in
the transaction that makes the change; ``EPHEMERAL`` events (typing, presence) are only
pushed and never stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from messenger.domain.chat_prefs import ChatSettings, Draft
from messenger.domain.model import (
    Chat,
    ChatMember,
    Contact,
    Membership,
    Message,
    Pin,
    PublicProfile,
    ReactionCount,
    Role,
)
from messenger.domain.privacy import PrivacySettings
from messenger.domain.themes import Theme, UserSettings


@dataclass(frozen=True)
class Event:
    type: ClassVar[str] = "event"

    @property
    def chat_id(self) -> int | None:
        return None

    @property
    def subject_user_id(self) -> int | None:
        """A user the event concerns even when not (or no longer) a member."""
        return None

    @property
    def introduces(self) -> frozenset[int]:
        """Users who become chat-mates of the chat's other members with this event: each
        side is then told whether the other is online."""
        return frozenset()


@dataclass(frozen=True)
class MessagePosted(Event):
    type: ClassVar[str] = "new_message"
    message: Message

    @property
    def chat_id(self) -> int:
        return self.message.chat_id


@dataclass(frozen=True)
class MessageEdited(Event):
    type: ClassVar[str] = "message_updated"
    message: Message

    @property
    def chat_id(self) -> int:
        return self.message.chat_id


@dataclass(frozen=True)
class MessageDeleted(Event):
    type: ClassVar[str] = "message_deleted"
    message: Message

    @property
    def chat_id(self) -> int:
        return self.message.chat_id


@dataclass(frozen=True)
class MessageReactionsChanged(Event):
    """A member added (``added``) or took back a reaction: the message's counts as they now
    are. The same for every recipient: each client knows its own reactions."""

    type: ClassVar[str] = "message_reactions"
    chat: int
    message_id: int
    user_id: int
    emoji: str
    added: bool
    reactions: tuple[ReactionCount, ...]

    @property
    def chat_id(self) -> int:
        return self.chat


@dataclass(frozen=True)
class MessagesRead(Event):
    """A member's read mark moved. ``private``: the reader has read receipts off, so the
    event is about them alone (their own devices), not about the chat."""

    type: ClassVar[str] = "messages_read"
    chat: int
    user_id: int
    message_id: int
    private: bool = False

    @property
    def chat_id(self) -> int | None:
        return None if self.private else self.chat

    @property
    def subject_user_id(self) -> int | None:
        return self.user_id if self.private else None


@dataclass(frozen=True)
class MessagesDelivered(Event):
    type: ClassVar[str] = "messages_delivered"
    chat: int
    user_id: int
    message_id: int

    @property
    def chat_id(self) -> int:
        return self.chat


@dataclass(frozen=True)
class ChatCreated(Event):
    type: ClassVar[str] = "chat_created"
    chat: Chat
    members: tuple[ChatMember, ...]

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def introduces(self) -> frozenset[int]:
        return frozenset(m.membership.user_id for m in self.members)


@dataclass(frozen=True)
class ChatUpdated(Event):
    type: ClassVar[str] = "chat_updated"
    chat: Chat

    @property
    def chat_id(self) -> int:
        return self.chat.id


@dataclass(frozen=True)
class MemberAdded(Event):
    type: ClassVar[str] = "member_added"
    chat: Chat
    member: ChatMember
    # Everyone in the chat after the addition, so that the new member's client can show the
    # chat from this one event (a replay of the feed needs no extra request).
    members: tuple[ChatMember, ...]
    by_user_id: int

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def subject_user_id(self) -> int:
        return self.member.membership.user_id

    @property
    def introduces(self) -> frozenset[int]:
        return frozenset({self.member.membership.user_id})


@dataclass(frozen=True)
class MemberUpdated(Event):
    type: ClassVar[str] = "member_updated"
    chat: int
    membership: Membership
    by_user_id: int

    @property
    def chat_id(self) -> int:
        return self.chat


@dataclass(frozen=True)
class MemberRemoved(Event):
    type: ClassVar[str] = "member_removed"
    chat: int
    user_id: int
    by_user_id: int

    @property
    def chat_id(self) -> int:
        return self.chat

    @property
    def subject_user_id(self) -> int:
        return self.user_id


@dataclass(frozen=True)
class ChatCleared(Event):
    """A user cleared a chat for themself: messages up to ``up_to_message_id`` are hidden
    from them. Only their own devices learn of it."""

    type: ClassVar[str] = "chat_cleared"
    user_id: int
    chat: int
    up_to_message_id: int

    # ``chat_id`` stays None: the feed routes an event with a chat to all of its members,
    # and this one is the user's alone (``subject_user_id``).
    @property
    def subject_user_id(self) -> int:
        return self.user_id


@dataclass(frozen=True)
class MessageHidden(Event):
    """A user hid one message for themself; only their own devices learn of it."""

    type: ClassVar[str] = "message_hidden"
    user_id: int
    chat: int
    message_id: int

    # No ``chat_id``, as for ``ChatCleared``: the user's alone.
    @property
    def subject_user_id(self) -> int:
        return self.user_id


@dataclass(frozen=True)
class MessagePinned(Event):
    """A message was pinned in its chat: told to the members who see the message, with the
    message as it is (its reply quote left out: that has an audience of its own)."""

    type: ClassVar[str] = "message_pinned"
    pin: Pin
    message: Message

    @property
    def chat_id(self) -> int:
        return self.pin.chat_id

    @property
    def message_id(self) -> int:
        return self.pin.message_id


@dataclass(frozen=True)
class MessageUnpinned(Event):
    """A pin was removed, by a member (``unpinned_by``) or because its message was deleted
    (by whoever deleted it)."""

    type: ClassVar[str] = "message_unpinned"
    chat: int
    message_id: int
    pinned_by: int
    unpinned_by: int

    @property
    def chat_id(self) -> int:
        return self.chat


@dataclass(frozen=True)
class ProfileUpdated(Event):
    """A user changed their profile (name, username, bio, birthdate, avatar, frame).

    Stored in the feed about the user, so each of their devices catches up on it; their
    chat-mates are pushed the same event without a feed position (their own feeds do not
    keep other people's profile changes: a REST read shows the current profile).
    """

    type: ClassVar[str] = "profile_updated"
    profile: PublicProfile

    @property
    def subject_user_id(self) -> int:
        return self.profile.id


@dataclass(frozen=True)
class SettingsUpdated(Event):
    """A user's settings or themes changed: the whole of both, so that a device applies
    the event alone, whatever it missed before."""

    type: ClassVar[str] = "settings_updated"
    settings: UserSettings
    themes: tuple[Theme, ...]

    @property
    def subject_user_id(self) -> int:
        return self.settings.user_id


@dataclass(frozen=True)
class UserTyping(Event):
    type: ClassVar[str] = "typing"
    chat: int
    user_id: int
    # A big chat (``Limits.typing_joined_above``): only devices where it is open are told.
    only_where_open: bool = False

    @property
    def chat_id(self) -> int:
        return self.chat


@dataclass(frozen=True)
class PresenceChanged(Event):
    type: ClassVar[str] = "presence"
    user_id: int
    online: bool
    last_seen_at: datetime | None


@dataclass(frozen=True)
class ContactsUpdated(Event):
    """The owner added, renamed or removed a contact (``contact`` None: removed)."""

    type: ClassVar[str] = "contacts_updated"
    owner_id: int
    user_id: int
    contact: Contact | None

    @property
    def subject_user_id(self) -> int:
        return self.owner_id


@dataclass(frozen=True)
class BlocksUpdated(Event):
    """The blocker blocked or unblocked a user (told to the blocker's devices only)."""

    type: ClassVar[str] = "blocks_updated"
    blocker_id: int
    user_id: int
    blocked: bool

    @property
    def subject_user_id(self) -> int:
        return self.blocker_id


@dataclass(frozen=True)
class PrivacyUpdated(Event):
    """A user changed their privacy settings (told to their own devices only)."""

    type: ClassVar[str] = "privacy_updated"
    user_id: int
    privacy: PrivacySettings

    @property
    def subject_user_id(self) -> int:
        return self.user_id


@dataclass(frozen=True)
class SessionsEnded(Event):
    """Sessions of a user stopped being valid (logged out, revoked, reused refresh token,
    password changed, account deactivated): their open sockets must close at once, on every
    process. Only delivery acts on it; no client is sent it as a frame."""

    type: ClassVar[str] = "sessions_ended"
    user_id: int
    session_ids: tuple[str, ...]


@dataclass(frozen=True)
class PresenceRevealed(Event):
    """Some users may now see whether ``user_id`` is online (an unblock, a new contact, a
    looser ``online`` setting): the processes holding the sockets of either side tell them,
    as for new chat-mates. Only delivery acts on it; no client is sent it as a frame."""

    type: ClassVar[str] = "presence_revealed"
    user_id: int

    @property
    def introduces(self) -> frozenset[int]:
        return frozenset({self.user_id})


@dataclass(frozen=True)
class ChatSettingsUpdated(Event):
    """A user muted, pinned or archived a chat (or undid it), or reordered their pinned
    chats: told to their own devices only. ``pinned_chat_ids``: all of the user's pinned
    chats in their order, so that each event alone sets the order."""

    type: ClassVar[str] = "chat_settings_updated"
    user_id: int
    chat: int
    settings: ChatSettings
    pinned_chat_ids: tuple[int, ...]

    # No ``chat_id``, as for ``ChatCleared``: the user's alone.
    @property
    def subject_user_id(self) -> int:
        return self.user_id


@dataclass(frozen=True)
class DraftUpdated(Event):
    """A user's draft in a chat changed, or went (``draft`` None: sent or cleared); told
    to their own devices only."""

    type: ClassVar[str] = "draft_updated"
    user_id: int
    chat: int
    draft: Draft | None

    @property
    def subject_user_id(self) -> int:
        return self.user_id


FEED_EVENTS: tuple[type[Event], ...] = (
    MessagePosted,
    MessageEdited,
    MessageDeleted,
    MessagesRead,
    MessagesDelivered,
    ChatCreated,
    ChatUpdated,
    MemberAdded,
    MemberUpdated,
    MemberRemoved,
    ContactsUpdated,
    BlocksUpdated,
    PrivacyUpdated,
    ProfileUpdated,
    SettingsUpdated,
    ChatCleared,
    MessageHidden,
    MessagePinned,
    MessageUnpinned,
    MessageReactionsChanged,
    ChatSettingsUpdated,
    DraftUpdated,
)
# Events about one message besides the message's own (posted, edited, deleted): the feed
# names the message in their rows, so that a member who cleared or hid it is not told.
ABOUT_A_MESSAGE: tuple[type[MessagePinned | MessageUnpinned | MessageReactionsChanged], ...] = (
    MessagePinned,
    MessageUnpinned,
    MessageReactionsChanged,
)
EPHEMERAL_EVENTS: tuple[type[Event], ...] = (
    UserTyping,
    PresenceChanged,
    SessionsEnded,
    PresenceRevealed,
)
EVENT_TYPES: dict[str, type[Event]] = {cls.type: cls for cls in FEED_EVENTS + EPHEMERAL_EVENTS}


@dataclass(frozen=True)
class FeedEntry:
    """An event as stored in the change feed: its cursor and the chat it belongs to."""

    position: int
    event: Event


@dataclass(frozen=True)
class Notification:
    """An event on its way to the users who must see it (after commit)."""

    event: Event
    recipients: frozenset[int]
    position: int | None = None  # the feed cursor; None for ephemeral events


@dataclass(frozen=True, slots=True)
class Delivery:
    """A notification as its recipients' clients receive it: the frame, encoded once at
    publish time (opaque bytes to the domain) and handed to every process's sockets."""

    frame: bytes
    recipients: frozenset[int]
    position: int | None = None  # the feed cursor; None for ephemeral events
    # Sessions whose sockets (of the recipients) must close now; such a delivery has no
    # frame for clients.
    ends_sessions: frozenset[str] = frozenset()
    # Users who just became chat-mates of the other recipients (a new chat's members, an
    # added member): delivery tells each side which of the other is online.
    introduces: frozenset[int] = frozenset()
    # Only the recipients' sockets that have this chat open (``join_chat``) get the frame:
    # typing in big chats.
    open_chat: int | None = None


__all__ = [
    "ABOUT_A_MESSAGE",
    "EPHEMERAL_EVENTS",
    "EVENT_TYPES",
    "FEED_EVENTS",
    "BlocksUpdated",
    "ChatCleared",
    "ChatCreated",
    "ChatSettingsUpdated",
    "ChatUpdated",
    "ContactsUpdated",
    "Delivery",
    "DraftUpdated",
    "Event",
    "FeedEntry",
    "MemberAdded",
    "MemberRemoved",
    "MemberUpdated",
    "MessageDeleted",
    "MessageEdited",
    "MessageHidden",
    "MessagePinned",
    "MessagePosted",
    "MessageReactionsChanged",
    "MessageUnpinned",
    "MessagesDelivered",
    "MessagesRead",
    "Notification",
    "PresenceChanged",
    "PresenceRevealed",
    "PrivacyUpdated",
    "ProfileUpdated",
    "Role",
    "SessionsEnded",
    "SettingsUpdated",
    "UserTyping",
]
