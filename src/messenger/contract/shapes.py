"""What clients see: every REST shape and every socket frame, as msgspec Structs.

Server frames form one tagged union on ``type`` (``ServerFrame``); feed frames also carry
their ``cursor``. The published AsyncAPI document is generated from these classes, so a
field added here is a field documented there. Field order is the order of the bytes on
the wire; keep it when adding fields (at the end).

The Structs skip the garbage collector (``gc=False``): they are built per event on the
hot path and never form reference cycles.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import msgspec
from msgspec import UNSET, UnsetType

from messenger.contract.errors import ErrorCode

# The version of this contract: the AsyncAPI document's ``info.version`` and the ``ready``
# frame's ``version``. A new frame type or field raises the minor version (clients ignore
# what they do not know); anything a client could trip over raises the major version.
CONTRACT_VERSION = "1.7.0"

# --- objects (the REST API's response bodies, and what frames carry) ----------------------


class Avatar(msgspec.Struct, kw_only=True, gc=False):
    """Where a client loads an avatar: ``small`` for lists (96 px), ``large`` for the
    profile (512 px); a preset avatar is one SVG for both."""

    small: str
    large: str


class PublicProfile(msgspec.Struct, kw_only=True, gc=False):
    """What any signed-in user may see of another user.

    ``avatar`` is null when there is no avatar; ``avatar_url`` is ``avatar.large`` (kept
    for older clients). ``avatar_preset`` and ``avatar_frame`` are ids of the server's
    preset avatars and frames (``GET /avatars/list``, ``GET /avatar-frames/list``); the
    client draws the frame around the avatar.

    ``deleted``: the account was deleted. Its id stays (its messages keep their author);
    its username is a tombstone (``deleted-<id>``), its display name is "Deleted account"
    (clients that know ``deleted`` show their own translation), and the rest is empty.
    """

    id: int
    username: str
    display_name: str
    avatar_url: str | None
    bio: str
    created_at: datetime
    last_seen_at: datetime | None
    birthdate: date | None
    avatar: Avatar | None
    avatar_preset: str | None
    avatar_frame: str | None
    deleted: bool


class UserProfile(PublicProfile, kw_only=True, gc=False):
    """Another user as the caller sees them (REST reads): fields their privacy settings hide
    from the caller are null (``bio`` empty); ``is_contact`` and ``local_name`` (seen only
    by the caller) come from the caller's contacts, ``blocked`` says the caller blocked
    them. ``email`` is there only where their ``email`` privacy setting shows it to the
    caller (a private field is absent, not null)."""

    is_contact: bool
    local_name: str | None
    blocked: bool
    email: str | UnsetType = UNSET


class Contact(msgspec.Struct, kw_only=True, gc=False):
    """Someone in the caller's contacts; ``local_name`` is seen by the caller alone."""

    user_id: int
    local_name: str | None


Audience = Literal["everybody", "contacts", "nobody"]


class Privacy(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, gc=False):
    """Privacy settings: who sees my last seen time, that I am online, my avatar, bio,
    birthdate and email (``contacts``: those in my contacts), who may add me to groups,
    and whether read marks are exchanged (off: others do not see mine, nor I theirs)."""

    last_seen: Audience
    online: Audience
    avatar: Audience
    bio: Audience
    birthdate: Audience
    email: Audience
    groups_add: Literal["everybody", "contacts"]
    read_receipts: bool


class User(PublicProfile, kw_only=True, gc=False):
    """The caller's own account; ``is_admin``: a server administrator (the ``/admin``
    console and API)."""

    email: str | None
    is_admin: bool = False


class Member(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """A user's membership in a chat; ``user`` is the profile where it is known."""

    user_id: int
    role: Literal["owner", "admin", "member"]
    joined_at: datetime
    read_message_id: int
    delivered_message_id: int
    user: PublicProfile | UnsetType = UNSET


class Attachment(msgspec.Struct, kw_only=True, gc=False):
    """A file attached to a message; ``url`` downloads it (made by the server from ``id``).

    An image (recognised by the server from its bytes) has its ``width`` and ``height`` in
    pixels and a ``thumbnail_url`` (WebP, within 320 x 320); anything else has null there.
    """

    id: str
    name: str
    content_type: str
    size: int
    url: str
    width: int | None = None
    height: int | None = None
    thumbnail_url: str | None = None


class File(Attachment, kw_only=True, gc=False):
    """An uploaded file."""


class ReplyPreview(msgspec.Struct, kw_only=True, gc=False):
    """The quote of the message a reply answers: its author and the first 200 characters
    of its text. ``deleted`` (and an empty ``text``): it was deleted, or, in REST reads,
    the reader cleared or hid it for themself. Frames quote it as of the moment, for the
    whole chat: as deleted if any member no longer sees it (read the reply again over REST
    for your own view)."""

    id: int
    sender_id: int
    text: str
    deleted: bool


class ForwardedFrom(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """Where a forwarded message first came from (forwarding a forward keeps the first
    source): its author, when they sent it, and its chat, present only when everyone the
    forward was sent to was a member of that chat then."""

    sender_id: int
    sent_at: datetime
    chat_id: int | UnsetType = UNSET


class Reaction(msgspec.Struct, kw_only=True, gc=False):
    """How many users reacted to a message with ``emoji`` (one Unicode emoji, in its
    fully-qualified form). ``me``: the caller is one of them; only REST answers (which are
    the caller's own) carry it, never a pushed frame (the same bytes for every recipient:
    a client knows its own reactions from REST and from the ``user_id`` of
    ``message_reactions``)."""

    emoji: str
    count: int
    me: bool | UnsetType = UNSET


class Message(msgspec.Struct, kw_only=True, gc=False):
    """A message. ``reply_to``: the quote of ``reply_to_id`` (null without a reply, and on
    a deleted message); ``forwarded_from``: null unless it is a forward. ``reactions`` (by
    first use, each with ``me``) is in history pages and in the answers of the reaction
    requests; the messages of frames (``new_message``, ``message_updated``,
    ``message_deleted``, ``message_sent``, ``sync``) and of the other answers leave it out:
    keep what you have and apply ``message_reactions`` frames (a new message has none; a
    deleted one loses them)."""

    id: int
    chat_id: int
    sender_id: int
    client_id: str
    text: str
    reply_to_id: int | None
    attachments: list[Attachment]
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    reply_to: ReplyPreview | None = None
    forwarded_from: ForwardedFrom | None = None
    reactions: list[Reaction] | UnsetType = UNSET
    # The ids of the members the text mentions (``@username``, ``@all``): a client may
    # notify about a mention even where the chat is muted.
    mentions: list[int]
    # Only on a tombstone a server administrator left (moderation), then true: show
    # "removed by an administrator" instead of "deleted".
    removed_by_admin: bool | UnsetType = UNSET


class Chat(msgspec.Struct, kw_only=True, gc=False):
    id: int
    kind: Literal["direct", "group"]
    title: str | None
    created_by: int
    created_at: datetime
    last_activity_at: datetime
    last_message_id: int | None
    members: list[Member]


class Draft(msgspec.Struct, kw_only=True, gc=False):
    """The text the caller started in a chat and did not send yet (and what it replies
    to), kept for all their devices until they send a message there or clear it."""

    text: str
    reply_to_id: int | None
    updated_at: datetime


class ChatSummary(Chat, kw_only=True, gc=False):
    """A row of the chat list.

    The caller's own settings of the chat: ``muted_until`` (an ISO timestamp, ``"forever"``,
    or null when not muted; a muted chat still counts ``unread_count``, shown greyed),
    ``muted`` (the same as a boolean), ``pinned``, ``archived``; and their ``draft``."""

    last_message: Message | None
    unread_count: int
    # Unread messages that mention the user (``GET /chats/{id}/messages?mentions=me``).
    unread_mentions: int
    muted_until: str | None = None
    muted: bool = False
    pinned: bool = False
    archived: bool = False
    draft: Draft | None = None


class Pin(msgspec.Struct, kw_only=True, gc=False):
    """A pinned message of a chat, who pinned it and when."""

    chat_id: int
    message_id: int
    pinned_by: int
    pinned_at: datetime
    message: Message


class PresetImage(msgspec.Struct, kw_only=True, gc=False):
    """A preset avatar or an avatar frame the server ships: an SVG image at ``url``."""

    id: str
    url: str


class MediaItem(msgspec.Struct, kw_only=True, gc=False):
    """A file of a chat's media gallery, and the message that carries it."""

    file: Attachment
    message_id: int
    sender_id: int
    posted_at: datetime


class Session(msgspec.Struct, kw_only=True, gc=False):
    """A logged-in device."""

    id: str
    device_name: str
    created_at: datetime
    last_used_at: datetime
    current: bool


class Theme(msgspec.Struct, kw_only=True, gc=False):
    """A colour theme the user made. ``colors`` maps colour tokens (``background``,
    ``surface``, ``text``, ``text_muted``, ``border``, ``accent``, ``bubble_in``,
    ``bubble_in_text``, ``bubble_out``, ``bubble_out_text``, ``danger``) to ``#rrggbb``;
    tokens left out keep the built-in palette's colours. ``background`` (of the chat pane)
    is a ``#rrggbb`` colour or the id of an image the user uploaded, which
    ``background_url`` downloads (null for a colour)."""

    id: str
    name: str
    colors: dict[str, str]
    background: str | None
    background_url: str | None
    created_at: datetime
    updated_at: datetime


class Settings(msgspec.Struct, kw_only=True, gc=False):
    """What the user chose for all their devices: ``theme_id`` is one of their themes'
    ids or a built-in theme (``system``, ``light``, ``dark``)."""

    theme_id: str
    language: Literal["system", "en", "ru"]


class UserRef(msgspec.Struct, kw_only=True, gc=False):
    """Who did something, as the admin console names them."""

    id: int
    username: str
    display_name: str


class ReportedMessage(msgspec.Struct, kw_only=True, gc=False):
    """The message a report is about, as it is now (a deleted one has no text left)."""

    id: int
    chat_id: int
    sender: UserRef
    text: str
    created_at: datetime
    deleted: bool


class Report(msgspec.Struct, kw_only=True, gc=False):
    """A member's report of a message (``/admin/reports``): open until an administrator
    resolves it with ``resolution``."""

    id: int
    status: Literal["open", "resolved"]
    reason: str
    created_at: datetime
    reporter: UserRef
    message: ReportedMessage
    resolution: Literal["dismiss", "delete_message", "deactivate_user"] | None
    resolved_by: int | None
    resolved_at: datetime | None


class AuditEntry(msgspec.Struct, kw_only=True, gc=False):
    """One line of the audit log (``/admin/audit``): ``actor`` null for the server itself
    (or its shell, or a login attempt nobody was authenticated for); ``address``: the
    client address the request came from."""

    id: int
    at: datetime
    action: str
    actor: UserRef | None
    target_type: str | None
    target_id: str | None
    address: str | None
    detail: str


# --- the data of server frames -------------------------------------------------------------


class MessageEventData(msgspec.Struct, kw_only=True, gc=False):
    """``new_message``, ``message_updated``, ``message_deleted`` (a tombstone)."""

    message: Message


class WatermarkData(msgspec.Struct, kw_only=True, gc=False):
    """``messages_read``, ``messages_delivered``: a member's watermark moved forward (a
    delivery mark goes to the chat's other members, never to its own user's devices)."""

    chat_id: int
    user_id: int
    message_id: int


class MessageReactionsData(msgspec.Struct, kw_only=True, gc=False):
    """``message_reactions``: ``user_id`` added (``added``) or took back a reaction with
    ``emoji``; ``reactions`` are the message's counts as they now are, by first use (no
    ``me``: every member gets the same bytes; yours are those whose ``user_id`` is you)."""

    chat_id: int
    message_id: int
    user_id: int
    emoji: str
    added: bool
    reactions: list[Reaction]


class ChatEventData(msgspec.Struct, kw_only=True, gc=False):
    """``chat_created`` (with members) and ``chat_updated`` (the chat row only: members is
    empty; they are unchanged)."""

    chat: Chat


class MemberAddedData(msgspec.Struct, kw_only=True, gc=False):
    """Everyone in the chat after the addition, so a new member's client can show the chat
    from this frame alone."""

    chat_id: int
    member: Member
    members: list[Member]
    chat: Chat
    by_user_id: int


class MemberUpdatedData(msgspec.Struct, kw_only=True, gc=False):
    chat_id: int
    member: Member
    by_user_id: int


class MemberRemovedData(msgspec.Struct, kw_only=True, gc=False):
    chat_id: int
    user_id: int
    by_user_id: int


class ChatClearedData(msgspec.Struct, kw_only=True, gc=False):
    """``chat_cleared``: you cleared this chat for yourself (on this or another of your
    devices); drop its messages up to ``up_to_message_id``. Only your devices get it."""

    chat_id: int
    up_to_message_id: int


class MessageHiddenData(msgspec.Struct, kw_only=True, gc=False):
    """``message_hidden``: you deleted this message for yourself; drop it. Only your
    devices get it."""

    chat_id: int
    message_id: int


class ChatSettings(msgspec.Struct, kw_only=True, gc=False):
    """The caller's settings of a chat. ``muted_until`` is an ISO timestamp, ``"forever"``
    or null; ``pinned_chat_ids``: all the caller's pinned chats in their order. A new
    message un-archives a chat that is not muted (clients apply it themselves: no frame
    says so)."""

    chat_id: int
    muted_until: str | None
    muted: bool
    pinned: bool
    archived: bool
    pinned_chat_ids: list[int]


class ChatSettingsUpdatedData(ChatSettings, kw_only=True, gc=False):
    """``chat_settings_updated``: you muted, pinned or archived a chat, or undid it, or
    reordered your pinned chats (on this or another of your devices). Only your devices
    get it."""


class DraftUpdatedData(msgspec.Struct, kw_only=True, gc=False):
    """``draft_updated``: your draft in a chat changed on another device, or went (null:
    cleared, or a message was sent there). Only your devices get it."""

    chat_id: int
    draft: Draft | None


class ProfileUpdatedData(msgspec.Struct, kw_only=True, gc=False):
    """A user changed their profile (name, username, bio, birthdate, avatar or frame).

    The user's own devices get it with a ``cursor`` (it is in their feed and in ``sync``);
    users who share a chat with them get it without one (re-read profiles over REST after a
    reconnect)."""

    user: PublicProfile


class MessagePinnedData(msgspec.Struct, kw_only=True, gc=False):
    """``message_pinned``: a message of the chat was pinned (sent to the members who see
    it). ``message`` is the pinned message (its ``reply_to`` is null here)."""

    chat_id: int
    message_id: int
    pinned_by: int
    pinned_at: datetime
    message: Message


class MessageUnpinnedData(msgspec.Struct, kw_only=True, gc=False):
    """``message_unpinned``: a pin was removed by ``unpinned_by``, or went with its
    message when that was deleted (``unpinned_by`` is then who deleted it)."""

    chat_id: int
    message_id: int
    pinned_by: int
    unpinned_by: int


class TypingData(msgspec.Struct, kw_only=True, gc=False):
    chat_id: int
    user_id: int


class PresenceData(msgspec.Struct, kw_only=True, gc=False):
    user_id: int
    online: bool
    last_seen_at: datetime | None


class ContactsUpdatedData(msgspec.Struct, kw_only=True, gc=False):
    """The caller added, renamed (``contact``) or removed (null) a contact (sent to the
    caller's own devices)."""

    user_id: int
    contact: Contact | None


class BlocksUpdatedData(msgspec.Struct, kw_only=True, gc=False):
    """The caller blocked or unblocked a user (sent to the caller's own devices)."""

    user_id: int
    blocked: bool


class PrivacyUpdatedData(msgspec.Struct, kw_only=True, gc=False):
    """The caller's privacy settings changed (sent to the caller's own devices)."""

    privacy: Privacy


class SettingsUpdatedData(msgspec.Struct, kw_only=True, gc=False):
    """The user's settings or themes changed (on any of their devices): the settings and
    every theme of the user, as they are now."""

    settings: Settings
    themes: list[Theme]


class AuthOkData(msgspec.Struct, kw_only=True, gc=False):
    """A fresh ``auth`` on the open socket was accepted: the socket stays open until this
    token's expiry (null: it does not expire), then closes with 4002 unless another fresh
    ``auth`` comes first."""

    expires_at: datetime | None


class ReadyData(msgspec.Struct, kw_only=True, gc=False):
    """The socket is authenticated; feed frames after ``cursor`` follow. ``version`` is the
    contract's (the AsyncAPI document's ``info.version``)."""

    user: User
    cursor: int
    version: str


class MessageSentData(msgspec.Struct, kw_only=True, gc=False):
    """The answer to this socket's ``send_message`` (the message also arrives as
    ``new_message`` with its cursor)."""

    client_id: str
    message: Message


class ErrorData(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """A request of this socket failed (or, for ``auth``, the socket is about to close).

    ``client_id`` and ``chat_id`` name the request that failed; ``field`` the offending
    input; ``retry_after`` (seconds) comes with ``throttled`` and ``service_unavailable``.
    """

    code: ErrorCode
    message: str
    client_id: str | UnsetType = UNSET
    chat_id: int | UnsetType = UNSET
    field: str | UnsetType = UNSET
    retry_after: float | UnsetType = UNSET


class EmptyData(msgspec.Struct, frozen=True, gc=False):
    """No data."""


# --- server frames -------------------------------------------------------------------------


class Frame(msgspec.Struct, kw_only=True, tag_field="type", omit_defaults=True, gc=False):
    """``{"type": ..., "data": {...}}``: the base of every frame."""


class NewMessageFrame(Frame, tag="new_message", gc=False):
    data: MessageEventData
    cursor: int


class MessageUpdatedFrame(Frame, tag="message_updated", gc=False):
    data: MessageEventData
    cursor: int


class MessageDeletedFrame(Frame, tag="message_deleted", gc=False):
    data: MessageEventData
    cursor: int


class MessageReactionsFrame(Frame, tag="message_reactions", gc=False):
    data: MessageReactionsData
    cursor: int


class MessagesReadFrame(Frame, tag="messages_read", gc=False):
    data: WatermarkData
    cursor: int


class MessagesDeliveredFrame(Frame, tag="messages_delivered", gc=False):
    data: WatermarkData
    cursor: int


class ChatCreatedFrame(Frame, tag="chat_created", gc=False):
    data: ChatEventData
    cursor: int


class ChatUpdatedFrame(Frame, tag="chat_updated", gc=False):
    data: ChatEventData
    cursor: int


class MemberAddedFrame(Frame, tag="member_added", gc=False):
    data: MemberAddedData
    cursor: int


class MemberUpdatedFrame(Frame, tag="member_updated", gc=False):
    data: MemberUpdatedData
    cursor: int


class MemberRemovedFrame(Frame, tag="member_removed", gc=False):
    data: MemberRemovedData
    cursor: int


class ContactsUpdatedFrame(Frame, tag="contacts_updated", gc=False):
    data: ContactsUpdatedData
    cursor: int


class BlocksUpdatedFrame(Frame, tag="blocks_updated", gc=False):
    data: BlocksUpdatedData
    cursor: int


class PrivacyUpdatedFrame(Frame, tag="privacy_updated", gc=False):
    data: PrivacyUpdatedData
    cursor: int


class ChatClearedFrame(Frame, tag="chat_cleared", gc=False):
    data: ChatClearedData
    cursor: int


class MessageHiddenFrame(Frame, tag="message_hidden", gc=False):
    data: MessageHiddenData
    cursor: int


class ChatSettingsUpdatedFrame(Frame, tag="chat_settings_updated", gc=False):
    data: ChatSettingsUpdatedData
    cursor: int


class DraftUpdatedFrame(Frame, tag="draft_updated", gc=False):
    data: DraftUpdatedData
    cursor: int


class ProfileUpdatedFrame(Frame, tag="profile_updated", gc=False):
    data: ProfileUpdatedData
    cursor: int | UnsetType = UNSET


class SettingsUpdatedFrame(Frame, tag="settings_updated", gc=False):
    data: SettingsUpdatedData
    cursor: int


class MessagePinnedFrame(Frame, tag="message_pinned", gc=False):
    data: MessagePinnedData
    cursor: int


class MessageUnpinnedFrame(Frame, tag="message_unpinned", gc=False):
    data: MessageUnpinnedData
    cursor: int


class TypingFrame(Frame, tag="typing", gc=False):
    data: TypingData


class PresenceFrame(Frame, tag="presence", gc=False):
    data: PresenceData


class ReadyFrame(Frame, tag="ready", gc=False):
    data: ReadyData


class AuthOkFrame(Frame, tag="auth_ok", gc=False):
    data: AuthOkData


class MessageSentFrame(Frame, tag="message_sent", gc=False):
    data: MessageSentData


class ErrorFrame(Frame, tag="error", gc=False):
    data: ErrorData


class PongFrame(Frame, tag="pong", gc=False):
    data: EmptyData


# The change feed's frames: pushed over the socket with their cursor, and what ``sync``
# pages hold.
FeedFrame = (
    NewMessageFrame
    | MessageUpdatedFrame
    | MessageDeletedFrame
    | MessagesReadFrame
    | MessagesDeliveredFrame
    | ChatCreatedFrame
    | ChatUpdatedFrame
    | MemberAddedFrame
    | MemberUpdatedFrame
    | MemberRemovedFrame
    | ContactsUpdatedFrame
    | BlocksUpdatedFrame
    | PrivacyUpdatedFrame
    | ProfileUpdatedFrame
    | SettingsUpdatedFrame
    | ChatClearedFrame
    | MessageHiddenFrame
    | MessagePinnedFrame
    | MessageUnpinnedFrame
    | MessageReactionsFrame
    | ChatSettingsUpdatedFrame
    | DraftUpdatedFrame
)
ServerFrame = (
    FeedFrame
    | TypingFrame
    | PresenceFrame
    | ProfileUpdatedFrame
    | ReadyFrame
    | AuthOkFrame
    | MessageSentFrame
    | ErrorFrame
    | PongFrame
)


# --- client frames -------------------------------------------------------------------------


class AuthRequest(msgspec.Struct, frozen=True):
    token: str


class SendMessageRequest(msgspec.Struct, frozen=True):
    chat_id: int
    client_id: str
    # May be left out only with ``forward_of`` (a forward carries its source's text).
    text: str = ""
    reply_to_id: int | None = None
    attachment_ids: list[str] = []
    # Forward this message here (``text`` empty): see ``POST /chats/{id}/messages``.
    forward_of: int | None = None


class TypingRequest(msgspec.Struct, frozen=True):
    chat_id: int


class JoinChatRequest(msgspec.Struct, frozen=True):
    """The chat is open on this socket: in chats of more than ``MESSENGER_TYPING_JOINED_ABOVE``
    members (100 by default) ``typing`` reaches only sockets that joined it. A chat the
    caller is not in is an ``error`` frame with ``not_found``."""

    chat_id: int


class LeaveChatRequest(msgspec.Struct, frozen=True):
    """The chat is no longer open on this socket."""

    chat_id: int


class MarkReadRequest(msgspec.Struct, frozen=True):
    chat_id: int
    message_id: int


class AckRequest(msgspec.Struct, frozen=True):
    """Every feed event up to ``cursor`` reached this device (moves delivery marks)."""

    cursor: int


class ClientFrame(msgspec.Struct, kw_only=True, tag_field="type", frozen=True):
    """A frame a client sends: ``{"type": ..., "data": {...}}``."""


class AuthFrame(ClientFrame, tag="auth", frozen=True):
    data: AuthRequest


class SendMessageFrame(ClientFrame, tag="send_message", frozen=True):
    data: SendMessageRequest


class TypingRequestFrame(ClientFrame, tag="typing", frozen=True):
    data: TypingRequest


class MarkReadFrame(ClientFrame, tag="mark_read", frozen=True):
    data: MarkReadRequest


class JoinChatFrame(ClientFrame, tag="join_chat", frozen=True):
    data: JoinChatRequest


class LeaveChatFrame(ClientFrame, tag="leave_chat", frozen=True):
    data: LeaveChatRequest


class AckFrame(ClientFrame, tag="ack", frozen=True):
    data: AckRequest


class PingFrame(ClientFrame, tag="ping", frozen=True):
    data: EmptyData = EmptyData()


ClientFrames = (
    AuthFrame
    | SendMessageFrame
    | TypingRequestFrame
    | MarkReadFrame
    | AckFrame
    | PingFrame
    | JoinChatFrame
    | LeaveChatFrame
)
