"""Bytes for the stored change feed, and the broker's envelope.

The feed keeps events in a storage form of its own: Structs whose layout is frozen per
version and mapped to and from the domain's events here, and only here. Renaming a field
of a domain class changes a mapping below, never the stored rows; a new layout is a new
version, and the Structs of the old one stay to read old rows.

Version 1 is byte for byte the layout the feed had before it had a storage form (msgspec's
encoding of the domain dataclasses), so rows written then decode as they are. A Struct of a
version may gain optional fields at its end, with a default that is not written
(``omit_defaults``): rows without them read as before, and what lacks them is still written
as before. Rows of that
time carry a ``url`` in each attachment; it is ignored (URLs are made at the delivery
edge from the file id). A row without ``"v"`` is version 1, and version 1 rows are still
written without it.

The broker carries what clients receive: each notification's frame, encoded once by the
publishing process (``encode_delivery``), with its recipients and feed position.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Union

import msgspec

from messenger.domain import chat_prefs as cp
from messenger.domain import events as ev
from messenger.domain import model as m
from messenger.domain import privacy as pv
from messenger.domain import themes as th

STORAGE_VERSION = 1

_encoder = msgspec.json.Encoder()


# --- storage form, version 1 (frozen: do not change these classes) -------------------------
# Defaults are those the domain classes had when version 1 was fixed: msgspec filled a
# missing field from them, so rows without such a field were readable and stay readable.


class _Attachment1(msgspec.Struct, omit_defaults=True, gc=False):
    id: str
    name: str
    content_type: str
    size: int
    # Added without a new version: left out when None, so an attachment that is no image
    # is written byte for byte as before and a row of before reads as no image.
    width: int | None = None
    height: int | None = None
    thumbnail_id: str | None = None


class _Message1(msgspec.Struct, gc=False):
    id: int
    chat_id: int
    sender_id: int
    client_id: str
    text: str
    created_at: datetime
    reply_to_id: int | None = None
    attachments: tuple[_Attachment1, ...] = ()
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    # Added without a new version: UNSET (never written) when the message mentions nobody,
    # so such a message is written byte for byte as before and a row of before reads as
    # mentioning nobody.
    mentions: tuple[int, ...] | msgspec.UnsetType = msgspec.UNSET
    # Added the same way: written only on a tombstone an administrator left (moderation).
    removed_by_admin: bool | msgspec.UnsetType = msgspec.UNSET


class _Chat1(msgspec.Struct, gc=False):
    id: int
    kind: str
    title: str | None
    created_by: int
    created_at: datetime
    last_activity_at: datetime
    last_message_id: int | None = None
    direct_key: str | None = None


class _Membership1(msgspec.Struct, gc=False):
    chat_id: int
    user_id: int
    role: str
    joined_at: datetime
    joined_position: int = 0
    read_message_id: int = 0
    delivered_message_id: int = 0


class _Profile1(msgspec.Struct, omit_defaults=True, gc=False):
    id: int
    username: str
    display_name: str
    avatar_url: str | None
    bio: str
    created_at: datetime
    last_seen_at: datetime | None
    # Added since, at the end and left out when unset: a profile without them is stored
    # byte for byte as version 1 had it, and a row without them reads as before.
    birthdate: date | None = None
    avatar_preset: str | None = None
    avatar_frame: str | None = None
    deleted: bool = False


class _ChatMember1(msgspec.Struct, gc=False):
    membership: _Membership1
    profile: _Profile1


class _ReplyPreview1(msgspec.Struct, gc=False):
    id: int
    sender_id: int
    text: str
    deleted: bool


class _Forwarded1(msgspec.Struct, omit_defaults=True, gc=False):
    sender_id: int
    sent_at: datetime
    chat_id: int | None = None


class _MessageEvent1(msgspec.Struct, omit_defaults=True, gc=False):
    message: _Message1
    # Added since, left out when None: a message that is no forward and no reply is written
    # byte for byte as before. They belong to the message; they sit here because
    # ``_Message1`` writes its defaults, and a new field there would change every row.
    reply_to: _ReplyPreview1 | None = None
    forwarded_from: _Forwarded1 | None = None


class _Watermark1(msgspec.Struct, gc=False):
    chat: int
    user_id: int
    message_id: int


class _ChatCreated1(msgspec.Struct, gc=False):
    chat: _Chat1
    members: tuple[_ChatMember1, ...]


class _ChatUpdated1(msgspec.Struct, gc=False):
    chat: _Chat1


class _MemberAdded1(msgspec.Struct, gc=False):
    chat: _Chat1
    member: _ChatMember1
    members: tuple[_ChatMember1, ...]
    by_user_id: int


class _MemberUpdated1(msgspec.Struct, gc=False):
    chat: int
    membership: _Membership1
    by_user_id: int


class _MemberRemoved1(msgspec.Struct, gc=False):
    chat: int
    user_id: int
    by_user_id: int


class _ChatCleared1(msgspec.Struct, gc=False):
    user_id: int
    chat: int
    up_to_message_id: int


class _MessageHidden1(msgspec.Struct, gc=False):
    user_id: int
    chat: int
    message_id: int


class _Pin1(msgspec.Struct, gc=False):
    chat_id: int
    message_id: int
    pinned_by: int
    pinned_at: datetime


class _MessagePinned1(msgspec.Struct, gc=False):
    pin: _Pin1
    message: _MessageEvent1


class _MessageUnpinned1(msgspec.Struct, gc=False):
    chat: int
    message_id: int
    pinned_by: int
    unpinned_by: int


class _ChatSettings1(msgspec.Struct, gc=False):
    muted_until: datetime | None
    pinned: bool
    archived: bool


class _ChatSettingsUpdated1(msgspec.Struct, gc=False):
    user_id: int
    chat: int
    settings: _ChatSettings1
    pinned_chat_ids: tuple[int, ...]


class _Draft1(msgspec.Struct, gc=False):
    text: str
    reply_to_id: int | None
    updated_at: datetime


class _DraftUpdated1(msgspec.Struct, gc=False):
    user_id: int
    chat: int
    draft: _Draft1 | None


class _Typing1(msgspec.Struct, gc=False):
    chat: int
    user_id: int


class _Presence1(msgspec.Struct, gc=False):
    user_id: int
    online: bool
    last_seen_at: datetime | None


# Layouts added later in version 1: new event types, and ``messages_read`` with the
# ``private`` flag, which is left out when false so that the rows of before (which have no
# such field) are written and read exactly as they were.


class _ReadMark1(msgspec.Struct, omit_defaults=True, gc=False):
    chat: int
    user_id: int
    message_id: int
    private: bool = False


class _Contact1(msgspec.Struct, gc=False):
    owner_id: int
    user_id: int
    local_name: str | None
    created_at: datetime


class _ContactsUpdated1(msgspec.Struct, gc=False):
    owner_id: int
    user_id: int
    contact: _Contact1 | None


class _BlocksUpdated1(msgspec.Struct, gc=False):
    blocker_id: int
    user_id: int
    blocked: bool


class _Privacy1(msgspec.Struct, gc=False):
    last_seen: str
    online: str
    avatar: str
    bio: str
    birthdate: str
    email: str
    groups_add: str
    read_receipts: bool


class _PrivacyUpdated1(msgspec.Struct, gc=False):
    user_id: int
    privacy: _Privacy1


class _UserProfile1(msgspec.Struct, gc=False):
    # Written since profile_updated; unlike _Profile1 it keeps the avatar as its file id and
    # carries the fields profiles gained with it.
    id: int
    username: str
    display_name: str
    avatar_file_id: str | None
    bio: str
    created_at: datetime
    last_seen_at: datetime | None
    birthdate: date | None
    avatar_preset: str | None
    avatar_frame: str | None
    # Added since, with a default: rows written before it read as a live account.
    deleted: bool = False


class _ProfileUpdated1(msgspec.Struct, gc=False):
    profile: _UserProfile1


class _Theme1(msgspec.Struct, gc=False):
    id: str
    owner_id: int
    name: str
    colors: dict[str, str]
    background: str | None
    created_at: datetime
    updated_at: datetime


class _Settings1(msgspec.Struct, gc=False):
    user_id: int
    theme_id: str
    language: str


class _SettingsUpdated1(msgspec.Struct, gc=False):
    settings: _Settings1
    themes: tuple[_Theme1, ...]


class _Reactions1(msgspec.Struct, gc=False):
    chat: int
    message_id: int
    user_id: int
    emoji: str
    added: bool
    # [emoji, count] by first use.
    reactions: tuple[tuple[str, int], ...]


# --- domain -> storage ---------------------------------------------------------------------


def _attachment(a: m.Attachment) -> _Attachment1:
    return _Attachment1(a.id, a.name, a.content_type, a.size, a.width, a.height, a.thumbnail_id)


def _message(x: m.Message) -> _Message1:
    return _Message1(
        x.id,
        x.chat_id,
        x.sender_id,
        x.client_id,
        x.text,
        x.created_at,
        x.reply_to_id,
        tuple([_attachment(a) for a in x.attachments]) if x.attachments else (),
        x.edited_at,
        x.deleted_at,
        x.mentions or msgspec.UNSET,
        True if x.removed_by_admin else msgspec.UNSET,
    )


def _message_event_of(x: m.Message) -> _MessageEvent1:
    r = x.reply_to
    f = x.forwarded_from
    return _MessageEvent1(
        _message(x),
        None if r is None else _ReplyPreview1(r.id, r.sender_id, r.text, r.deleted),
        None if f is None else _Forwarded1(f.sender_id, f.sent_at, f.chat_id),
    )


def _chat(c: m.Chat) -> _Chat1:
    return _Chat1(
        c.id,
        c.kind.value,
        c.title,
        c.created_by,
        c.created_at,
        c.last_activity_at,
        c.last_message_id,
        c.direct_key,
    )


def _membership(x: m.Membership) -> _Membership1:
    return _Membership1(
        x.chat_id,
        x.user_id,
        x.role.value,
        x.joined_at,
        x.joined_position,
        x.read_message_id,
        x.delivered_message_id,
    )


# Version 1 keeps an avatar as a URL (any URL, in rows of before avatars were files); an
# avatar file is written as its URL without the root path, as such rows hold it.
_V1_FILES_URL = "/api/v1/files/"


def _profile(p: m.PublicProfile) -> _Profile1:
    avatar = p.avatar_file_id
    return _Profile1(
        p.id,
        p.username,
        p.display_name,
        None if avatar is None else _V1_FILES_URL + avatar,
        p.bio,
        p.created_at,
        p.last_seen_at,
        p.birthdate,
        p.avatar_preset,
        p.avatar_frame,
        p.deleted,
    )


def _avatar_file_id(url: str | None) -> str | None:
    """The avatar's file id in version 1's ``avatar_url``; None for any other URL (dropped,
    as migration 0002 drops it from the users table)."""
    if url is None:
        return None
    _, files, file_id = url.rpartition(_V1_FILES_URL)
    return file_id if files and file_id and "/" not in file_id else None


def _user_profile(p: m.PublicProfile) -> _UserProfile1:
    return _UserProfile1(
        p.id,
        p.username,
        p.display_name,
        p.avatar_file_id,
        p.bio,
        p.created_at,
        p.last_seen_at,
        p.birthdate,
        p.avatar_preset,
        p.avatar_frame,
        p.deleted,
    )


def _chat_member(x: m.ChatMember) -> _ChatMember1:
    return _ChatMember1(_membership(x.membership), _profile(x.profile))


def _theme(t: th.Theme) -> _Theme1:
    return _Theme1(
        t.id, t.owner_id, t.name, dict(t.colors), t.background, t.created_at, t.updated_at
    )


def _stored(event: ev.Event) -> msgspec.Struct:
    match event:
        case ev.MessagePosted() | ev.MessageEdited() | ev.MessageDeleted():
            return _message_event_of(event.message)
        case ev.MessagePinned():
            pin = event.pin
            return _MessagePinned1(
                _Pin1(pin.chat_id, pin.message_id, pin.pinned_by, pin.pinned_at),
                _message_event_of(event.message),
            )
        case ev.MessageUnpinned():
            return _MessageUnpinned1(
                event.chat, event.message_id, event.pinned_by, event.unpinned_by
            )
        case ev.MessagesRead():
            return _ReadMark1(event.chat, event.user_id, event.message_id, event.private)
        case ev.MessagesDelivered():
            return _Watermark1(event.chat, event.user_id, event.message_id)
        case ev.ChatCreated():
            return _ChatCreated1(_chat(event.chat), tuple(map(_chat_member, event.members)))
        case ev.ChatUpdated():
            return _ChatUpdated1(_chat(event.chat))
        case ev.MemberAdded():
            return _MemberAdded1(
                _chat(event.chat),
                _chat_member(event.member),
                tuple(map(_chat_member, event.members)),
                event.by_user_id,
            )
        case ev.MemberUpdated():
            return _MemberUpdated1(event.chat, _membership(event.membership), event.by_user_id)
        case ev.MemberRemoved():
            return _MemberRemoved1(event.chat, event.user_id, event.by_user_id)
        case ev.ContactsUpdated():
            c = event.contact
            return _ContactsUpdated1(
                event.owner_id,
                event.user_id,
                None if c is None else _Contact1(c.owner_id, c.user_id, c.local_name, c.created_at),
            )
        case ev.BlocksUpdated():
            return _BlocksUpdated1(event.blocker_id, event.user_id, event.blocked)
        case ev.PrivacyUpdated():
            p = event.privacy
            return _PrivacyUpdated1(
                event.user_id,
                _Privacy1(
                    p.last_seen.value,
                    p.online.value,
                    p.avatar.value,
                    p.bio.value,
                    p.birthdate.value,
                    p.email.value,
                    p.groups_add.value,
                    p.read_receipts,
                ),
            )
        case ev.ProfileUpdated():
            return _ProfileUpdated1(_user_profile(event.profile))
        case ev.ChatCleared():
            return _ChatCleared1(event.user_id, event.chat, event.up_to_message_id)
        case ev.MessageHidden():
            return _MessageHidden1(event.user_id, event.chat, event.message_id)
        case ev.MessageReactionsChanged():
            return _Reactions1(
                event.chat,
                event.message_id,
                event.user_id,
                event.emoji,
                event.added,
                tuple((c.emoji, c.count) for c in event.reactions),
            )
        case ev.ChatSettingsUpdated():
            cs = event.settings
            return _ChatSettingsUpdated1(
                event.user_id,
                event.chat,
                _ChatSettings1(cs.muted_until, cs.pinned, cs.archived),
                event.pinned_chat_ids,
            )
        case ev.DraftUpdated():
            d = event.draft
            return _DraftUpdated1(
                event.user_id,
                event.chat,
                None if d is None else _Draft1(d.text, d.reply_to_id, d.updated_at),
            )
        case ev.UserTyping():
            return _Typing1(event.chat, event.user_id)
        case ev.PresenceChanged():
            return _Presence1(event.user_id, event.online, event.last_seen_at)
        case ev.SettingsUpdated():
            x = event.settings
            return _SettingsUpdated1(
                _Settings1(x.user_id, x.theme_id, x.language), tuple(map(_theme, event.themes))
            )
    raise ValueError(f"no storage form for event {event.type!r}")


# --- storage -> domain ---------------------------------------------------------------------


def _domain_message(x: _Message1) -> m.Message:
    return m.Message(
        id=x.id,
        chat_id=x.chat_id,
        sender_id=x.sender_id,
        client_id=x.client_id,
        text=x.text,
        created_at=x.created_at,
        reply_to_id=x.reply_to_id,
        attachments=tuple(
            m.Attachment(
                id=a.id,
                name=a.name,
                content_type=a.content_type,
                size=a.size,
                width=a.width,
                height=a.height,
                thumbnail_id=a.thumbnail_id,
            )
            for a in x.attachments
        ),
        edited_at=x.edited_at,
        deleted_at=x.deleted_at,
        mentions=x.mentions or (),
        removed_by_admin=x.removed_by_admin is True,
    )


def _domain_chat(c: _Chat1) -> m.Chat:
    return m.Chat(
        id=c.id,
        kind=m.ChatKind(c.kind),
        title=c.title,
        created_by=c.created_by,
        created_at=c.created_at,
        last_activity_at=c.last_activity_at,
        last_message_id=c.last_message_id,
        direct_key=c.direct_key,
    )


def _domain_membership(x: _Membership1) -> m.Membership:
    return m.Membership(
        chat_id=x.chat_id,
        user_id=x.user_id,
        role=m.Role(x.role),
        joined_at=x.joined_at,
        joined_position=x.joined_position,
        read_message_id=x.read_message_id,
        delivered_message_id=x.delivered_message_id,
    )


def _domain_chat_member(x: _ChatMember1) -> m.ChatMember:
    p = x.profile
    return m.ChatMember(
        _domain_membership(x.membership),
        m.PublicProfile(
            id=p.id,
            username=p.username,
            display_name=p.display_name,
            avatar_file_id=_avatar_file_id(p.avatar_url),
            bio=p.bio,
            created_at=p.created_at,
            last_seen_at=p.last_seen_at,
            birthdate=p.birthdate,
            avatar_preset=p.avatar_preset,
            avatar_frame=p.avatar_frame,
            deleted=p.deleted,
        ),
    )


def _domain_profile(p: _UserProfile1) -> m.PublicProfile:
    return m.PublicProfile(
        id=p.id,
        username=p.username,
        display_name=p.display_name,
        avatar_file_id=p.avatar_file_id,
        bio=p.bio,
        created_at=p.created_at,
        last_seen_at=p.last_seen_at,
        birthdate=p.birthdate,
        avatar_preset=p.avatar_preset,
        avatar_frame=p.avatar_frame,
        deleted=p.deleted,
    )


def _domain_settings_updated(d: _SettingsUpdated1) -> ev.SettingsUpdated:
    x = d.settings
    return ev.SettingsUpdated(
        th.UserSettings(user_id=x.user_id, theme_id=x.theme_id, language=x.language),
        tuple(
            th.Theme(
                id=t.id,
                owner_id=t.owner_id,
                name=t.name,
                colors=t.colors,
                background=t.background,
                created_at=t.created_at,
                updated_at=t.updated_at,
            )
            for t in d.themes
        ),
    )


def _domain_contacts_updated(d: _ContactsUpdated1) -> ev.ContactsUpdated:
    c = d.contact
    contact = None if c is None else m.Contact(c.owner_id, c.user_id, c.local_name, c.created_at)
    return ev.ContactsUpdated(d.owner_id, d.user_id, contact)


def _domain_privacy_updated(d: _PrivacyUpdated1) -> ev.PrivacyUpdated:
    p = d.privacy
    settings = pv.PrivacySettings(
        last_seen=pv.Audience(p.last_seen),
        online=pv.Audience(p.online),
        avatar=pv.Audience(p.avatar),
        bio=pv.Audience(p.bio),
        birthdate=pv.Audience(p.birthdate),
        email=pv.Audience(p.email),
        groups_add=pv.Audience(p.groups_add),
        read_receipts=p.read_receipts,
    )
    return ev.PrivacyUpdated(d.user_id, settings)


def _domain_message_of(d: _MessageEvent1) -> m.Message:
    message = _domain_message(d.message)
    r = d.reply_to
    if r is not None:
        message.reply_to = m.ReplyPreview(r.id, r.sender_id, r.text, r.deleted)
    f = d.forwarded_from
    if f is not None:
        message.forwarded_from = m.ForwardedFrom(f.chat_id, f.sender_id, f.sent_at)
    return message


def _message_event(
    cls: type[ev.MessagePosted | ev.MessageEdited | ev.MessageDeleted],
) -> Callable[[Any], ev.Event]:
    return lambda d: cls(_domain_message_of(d))


def _domain_message_pinned(d: _MessagePinned1) -> ev.MessagePinned:
    p = d.pin
    pin = m.Pin(p.chat_id, p.message_id, p.pinned_by, p.pinned_at)
    return ev.MessagePinned(pin, _domain_message_of(d.message))


# Per event type: the version 1 Struct of its data, and the domain event made from it.
_V1: dict[str, tuple[type[msgspec.Struct], Callable[[Any], ev.Event]]] = {
    ev.MessagePosted.type: (_MessageEvent1, _message_event(ev.MessagePosted)),
    ev.MessageEdited.type: (_MessageEvent1, _message_event(ev.MessageEdited)),
    ev.MessageDeleted.type: (_MessageEvent1, _message_event(ev.MessageDeleted)),
    ev.MessagesRead.type: (
        _ReadMark1,
        lambda d: ev.MessagesRead(d.chat, d.user_id, d.message_id, d.private),
    ),
    ev.MessagesDelivered.type: (
        _Watermark1,
        lambda d: ev.MessagesDelivered(d.chat, d.user_id, d.message_id),
    ),
    ev.ChatCreated.type: (
        _ChatCreated1,
        lambda d: ev.ChatCreated(_domain_chat(d.chat), tuple(map(_domain_chat_member, d.members))),
    ),
    ev.ChatUpdated.type: (_ChatUpdated1, lambda d: ev.ChatUpdated(_domain_chat(d.chat))),
    ev.MemberAdded.type: (
        _MemberAdded1,
        lambda d: ev.MemberAdded(
            _domain_chat(d.chat),
            _domain_chat_member(d.member),
            tuple(map(_domain_chat_member, d.members)),
            d.by_user_id,
        ),
    ),
    ev.MemberUpdated.type: (
        _MemberUpdated1,
        lambda d: ev.MemberUpdated(d.chat, _domain_membership(d.membership), d.by_user_id),
    ),
    ev.MemberRemoved.type: (
        _MemberRemoved1,
        lambda d: ev.MemberRemoved(d.chat, d.user_id, d.by_user_id),
    ),
    ev.ContactsUpdated.type: (_ContactsUpdated1, _domain_contacts_updated),
    ev.BlocksUpdated.type: (
        _BlocksUpdated1,
        lambda d: ev.BlocksUpdated(d.blocker_id, d.user_id, d.blocked),
    ),
    ev.PrivacyUpdated.type: (_PrivacyUpdated1, _domain_privacy_updated),
    ev.ChatCleared.type: (
        _ChatCleared1,
        lambda d: ev.ChatCleared(d.user_id, d.chat, d.up_to_message_id),
    ),
    ev.MessageHidden.type: (
        _MessageHidden1,
        lambda d: ev.MessageHidden(d.user_id, d.chat, d.message_id),
    ),
    ev.ProfileUpdated.type: (
        _ProfileUpdated1,
        lambda d: ev.ProfileUpdated(_domain_profile(d.profile)),
    ),
    ev.ChatSettingsUpdated.type: (
        _ChatSettingsUpdated1,
        lambda d: ev.ChatSettingsUpdated(
            d.user_id,
            d.chat,
            cp.ChatSettings(d.settings.muted_until, d.settings.pinned, d.settings.archived),
            tuple(d.pinned_chat_ids),
        ),
    ),
    ev.DraftUpdated.type: (
        _DraftUpdated1,
        lambda d: ev.DraftUpdated(
            d.user_id,
            d.chat,
            None
            if d.draft is None
            else cp.Draft(d.draft.text, d.draft.reply_to_id, d.draft.updated_at),
        ),
    ),
    ev.UserTyping.type: (_Typing1, lambda d: ev.UserTyping(d.chat, d.user_id)),
    ev.PresenceChanged.type: (
        _Presence1,
        lambda d: ev.PresenceChanged(d.user_id, d.online, d.last_seen_at),
    ),
    ev.SettingsUpdated.type: (_SettingsUpdated1, _domain_settings_updated),
    ev.MessagePinned.type: (_MessagePinned1, _domain_message_pinned),
    ev.MessageUnpinned.type: (
        _MessageUnpinned1,
        lambda d: ev.MessageUnpinned(d.chat, d.message_id, d.pinned_by, d.unpinned_by),
    ),
    ev.MessageReactionsChanged.type: (
        _Reactions1,
        lambda d: ev.MessageReactionsChanged(
            d.chat,
            d.message_id,
            d.user_id,
            d.emoji,
            d.added,
            tuple(m.ReactionCount(e, n) for e, n in d.reactions),
        ),
    ),
}


def _row_class(type_: str, data: type[msgspec.Struct]) -> type[msgspec.Struct]:
    # A row is {"type": ..., "data": {...}}, plus "v" from version 2 on: one Struct per
    # event type, tagged by "type", so that a row decodes in one pass.
    return msgspec.defstruct(
        f"_Row1_{type_}",
        [("data", data), ("v", int, STORAGE_VERSION)],
        tag_field="type",
        tag=type_,
        omit_defaults=True,
        gc=False,
    )


_ROWS = {type_: _row_class(type_, data) for type_, (data, _) in _V1.items()}
_MAKE: dict[type[msgspec.Struct], Callable[[Any], ev.Event]] = {
    _ROWS[type_]: make for type_, (_, make) in _V1.items()
}
_row_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(
    Union[tuple(_ROWS.values())]  # noqa: UP007 (a union built at runtime)
)


def encode_event(event: ev.Event) -> bytes:
    """The stored form of a domain event (the feed's ``payload``)."""
    return _encoder.encode(_ROWS[event.type](_stored(event)))


def decode_event(raw: bytes | str) -> ev.Event:
    """The domain event of a stored payload, of any version this code knows."""
    try:
        row = _row_decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise ValueError(f"not a stored event: {exc}") from None
    if row.v != STORAGE_VERSION:
        raise ValueError(f"unknown storage version {row.v} of a stored event")
    return _MAKE[type(row)](row.data)


# --- the broker ----------------------------------------------------------------------------


class _Envelope(msgspec.Struct, array_like=True, gc=False):
    position: int | None
    recipients: frozenset[int]
    frame: msgspec.Raw


class _LongEnvelope(_Envelope, array_like=True, gc=False):
    # Only revocations, new chat-mates and typing in big chats carry these, so every other
    # envelope stays three items long.
    ends_sessions: frozenset[str] = frozenset()
    introduces: frozenset[int] = frozenset()
    open_chat: int | None = None


_envelope_decoder = msgspec.json.Decoder(_LongEnvelope)


def encode_delivery(delivery: ev.Delivery) -> bytes:
    """A delivery for the broker: ``[position, [recipients...], frame, [sessions...]?,
    [introduced users...]?, open chat?]``."""
    if delivery.ends_sessions or delivery.introduces or delivery.open_chat is not None:
        return _encoder.encode(
            _LongEnvelope(
                delivery.position,
                delivery.recipients,
                msgspec.Raw(delivery.frame or b"null"),
                delivery.ends_sessions,
                delivery.introduces,
                delivery.open_chat,
            )
        )
    return _encoder.encode(
        _Envelope(delivery.position, delivery.recipients, msgspec.Raw(delivery.frame))
    )


def decode_delivery(raw: bytes) -> ev.Delivery:
    """The delivery of a broker message; the frame is passed on as it is, never decoded."""
    envelope = _envelope_decoder.decode(raw)
    frame = bytes(envelope.frame)
    return ev.Delivery(
        b"" if frame == b"null" else frame,
        envelope.recipients,
        envelope.position,
        envelope.ends_sessions,
        envelope.introduces,
        envelope.open_chat,
    )
