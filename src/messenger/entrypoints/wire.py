"""What clients see: msgspec Structs for domain objects and the event frames.

One conversion for REST responses, socket frames and ``sync`` pages, so that a message
looks the same however a client receives it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from messenger.domain import events as ev
from messenger.domain import model


class PublicProfile(msgspec.Struct, kw_only=True):
    """What any signed-in user may see of another user."""

    id: int
    username: str
    display_name: str
    avatar_url: str | None
    bio: str
    created_at: datetime
    last_seen_at: datetime | None


class User(PublicProfile, kw_only=True):
    """The caller's own account."""

    email: str | None


class Member(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A user's membership in a chat; ``user`` is the profile where it is known."""

    user_id: int
    role: Literal["owner", "admin", "member"]
    joined_at: datetime
    read_message_id: int
    delivered_message_id: int
    user: PublicProfile | UnsetType = UNSET


class Attachment(msgspec.Struct, kw_only=True):
    id: str
    name: str
    content_type: str
    size: int
    url: str


class File(Attachment, kw_only=True):
    """An uploaded file."""


class Message(msgspec.Struct, kw_only=True):
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


class Chat(msgspec.Struct, kw_only=True):
    id: int
    kind: Literal["direct", "group"]
    title: str | None
    created_by: int
    created_at: datetime
    last_activity_at: datetime
    last_message_id: int | None
    members: list[Member]


class ChatSummary(Chat, kw_only=True):
    """A row of the chat list."""

    last_message: Message | None
    unread_count: int


class Session(msgspec.Struct, kw_only=True):
    """A logged-in device."""

    id: str
    device_name: str
    created_at: datetime
    last_used_at: datetime
    current: bool


class EventFrame(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An event as pushed over the socket or returned by ``sync``."""

    type: str
    data: dict[str, Any]
    cursor: int | UnsetType = UNSET


# --- conversions --------------------------------------------------------------------------


def public_profile(p: model.PublicProfile) -> PublicProfile:
    return PublicProfile(
        id=p.id,
        username=p.username,
        display_name=p.display_name,
        avatar_url=p.avatar_url,
        bio=p.bio,
        created_at=p.created_at,
        last_seen_at=p.last_seen_at,
    )


def user(u: model.User) -> User:
    return User(
        id=u.id,
        username=u.username,
        email=u.email,
        display_name=u.display_name,
        avatar_url=u.avatar_url,
        bio=u.bio,
        created_at=u.created_at,
        last_seen_at=u.last_seen_at,
    )


def membership(m: model.Membership, profile: model.PublicProfile | None = None) -> Member:
    return Member(
        user_id=m.user_id,
        role=m.role.value,
        joined_at=m.joined_at,
        read_message_id=m.read_message_id,
        delivered_message_id=m.delivered_message_id,
        user=public_profile(profile) if profile is not None else UNSET,
    )


def member(m: model.ChatMember) -> Member:
    return membership(m.membership, m.profile)


def attachment(a: model.Attachment) -> Attachment:
    return Attachment(id=a.id, name=a.name, content_type=a.content_type, size=a.size, url=a.url)


def file(f: model.StoredFile, url: str) -> File:
    return File(id=f.id, name=f.name, content_type=f.content_type, size=f.size, url=url)


def message(m: model.Message) -> Message:
    return Message(
        id=m.id,
        chat_id=m.chat_id,
        sender_id=m.sender_id,
        client_id=m.client_id,
        text=m.text,
        reply_to_id=m.reply_to_id,
        attachments=[attachment(a) for a in m.attachments],
        created_at=m.created_at,
        edited_at=m.edited_at,
        deleted=m.deleted,
    )


def chat(c: model.Chat, members: tuple[model.ChatMember, ...]) -> Chat:
    return Chat(
        id=c.id,
        kind=c.kind.value,
        title=c.title,
        created_by=c.created_by,
        created_at=c.created_at,
        last_activity_at=c.last_activity_at,
        last_message_id=c.last_message_id,
        members=[member(m) for m in members],
    )


def chat_details(d: model.ChatDetails) -> Chat:
    return chat(d.chat, d.members)


def chat_summary(s: model.ChatSummary) -> ChatSummary:
    base = chat(s.chat, s.members)
    return ChatSummary(
        **{f: getattr(base, f) for f in Chat.__struct_fields__},
        last_message=message(s.last_message) if s.last_message is not None else None,
        unread_count=s.unread_count,
    )


def session(s: model.Session, current_session_id: str | None = None) -> Session:
    return Session(
        id=s.id,
        device_name=s.device_name,
        created_at=s.created_at,
        last_used_at=s.last_used_at,
        current=s.id == current_session_id,
    )


def event_data(event: ev.Event) -> dict[str, Any]:
    """The ``data`` of an event frame."""
    match event:
        case ev.MessagePosted() | ev.MessageEdited() | ev.MessageDeleted():
            return {"message": message(event.message)}
        case ev.MessagesRead() | ev.MessagesDelivered():
            return {"chat_id": event.chat, "user_id": event.user_id, "message_id": event.message_id}
        case ev.ChatCreated():
            return {"chat": chat(event.chat, event.members)}
        case ev.ChatUpdated():
            # Only the chat row changed; members are unchanged and sent elsewhere.
            return {"chat": chat(event.chat, ())}
        case ev.MemberAdded():
            return {
                "chat_id": event.chat.id,
                "member": member(event.member),
                "members": [member(m) for m in event.members],
                "chat": chat(event.chat, event.members),
                "by_user_id": event.by_user_id,
            }
        case ev.MemberUpdated():
            return {
                "chat_id": event.chat,
                "member": membership(event.membership),
                "by_user_id": event.by_user_id,
            }
        case ev.MemberRemoved():
            return {"chat_id": event.chat, "user_id": event.user_id, "by_user_id": event.by_user_id}
        case ev.UserTyping():
            return {"chat_id": event.chat, "user_id": event.user_id}
        case ev.PresenceChanged():
            return {
                "user_id": event.user_id,
                "online": event.online,
                "last_seen_at": event.last_seen_at,
            }
    raise ValueError(f"no wire form for event {event.type!r}")


def event_frame(event: ev.Event, cursor: int | None = None) -> EventFrame:
    """``{type, data, cursor?}`` for an event; ``cursor`` is the feed position if stored."""
    return EventFrame(
        type=event.type, data=event_data(event), cursor=UNSET if cursor is None else cursor
    )


__all__ = [
    "Attachment",
    "Chat",
    "ChatSummary",
    "EventFrame",
    "File",
    "Member",
    "Message",
    "PublicProfile",
    "Session",
    "User",
    "event_data",
    "event_frame",
]
