"""The one conversion from domain objects and events to what clients see.

REST responses, socket frames, ``sync`` pages and the broker all go through a ``Wire``, so
a message looks the same however a client receives it. A ``Wire`` knows where the app is
reachable (``root_path``): it makes the URLs clients follow (attachments) from the ids the
domain keeps, so every path agrees on them.

A frame is the same bytes for every recipient; nothing here depends on who receives it.
What differs between recipients (is this me? is it mine?) the client derives from
``ready.user``; a view that really differed would be a separate event with its own
recipients, never an encoding per socket.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
from msgspec import UNSET

from messenger.contract import shapes as s
from messenger.contract.errors import ErrorCode
from messenger.domain import events as ev
from messenger.domain import model
from messenger.domain import themes as th
from messenger.domain.chat_prefs import MUTED_FOREVER, ChatSettings, Draft
from messenger.domain.moderation import AuditRecord, ReportView
from messenger.domain.privacy import PrivacySettings

API_PREFIX = "/api/v1"
FILES_PATH = f"{API_PREFIX}/files"
# The images the server ships (static, public): ``{id}.svg`` under each.
PRESET_AVATARS_PATH = f"{API_PREFIX}/avatars/presets"
AVATAR_FRAMES_PATH = f"{API_PREFIX}/avatar-frames"
# What a file id may look like in its URL (the ids are random and at most 64 characters).
_FILE_ID = re.compile(r"[A-Za-z0-9._~-]{1,64}")

# ``muted_until`` on the wire for a mute without end.
FOREVER = "forever"

_encoder = msgspec.json.Encoder()
_encode = _encoder.encode


def muted_until(moment: datetime | None) -> str | None:
    """A mute's end as clients see it: an ISO timestamp, ``"forever"``, or None."""
    if moment is None:
        return None
    if moment >= MUTED_FOREVER:
        return FOREVER
    return moment.isoformat().replace("+00:00", "Z")


def parse_muted_until(raw: str | None) -> datetime | None:
    """``muted_until`` as a client sends it (an ISO timestamp with its offset, or
    ``"forever"``); ValueError for anything else."""
    if raw is None:
        return None
    if raw == FOREVER:
        return MUTED_FOREVER
    moment = datetime.fromisoformat(raw)
    if moment.tzinfo is None:
        raise ValueError("a timestamp needs its offset (e.g. Z)")
    return moment.astimezone(UTC)


class Wire:
    """Domain objects in their wire shapes (``messenger.contract.shapes``) and encoded
    frames; also the socket hub's ``FrameEncoder``."""

    __slots__ = ("_files_url", "_frames_url", "_presets_url", "root_path")

    def __init__(self, root_path: str = "") -> None:
        self.root_path = root_path.rstrip("/")
        self._files_url = f"{self.root_path}{FILES_PATH}/"
        self._presets_url = f"{self.root_path}{PRESET_AVATARS_PATH}/"
        self._frames_url = f"{self.root_path}{AVATAR_FRAMES_PATH}/"

    # --- URLs --------------------------------------------------------------------------------

    def file_url(self, file_id: str) -> str:
        """Where a client downloads a file (``GET /api/v1/files/{id}`` under the root)."""
        return self._files_url + file_id

    def file_id_of(self, url: str) -> str | None:
        """The id of the file a ``file_url`` points to; None for any other URL."""
        if not url.startswith(self._files_url):
            return None
        file_id = url[len(self._files_url) :]
        # One path segment of unreserved characters: nothing may follow the id.
        return file_id if _FILE_ID.fullmatch(file_id) else None

    def preset_url(self, kind: model.PresetKind, preset_id: str) -> str:
        """Where clients load a preset avatar or a frame (an SVG)."""
        base = self._presets_url if kind is model.PresetKind.AVATAR else self._frames_url
        return f"{base}{preset_id}.svg"

    def avatar_of(self, p: model.PublicProfile | model.User) -> s.Avatar | None:
        """The profile's avatar as clients load it: the uploaded one, else the preset, else
        None. The one place that decides it (``avatar_url`` follows ``avatar``)."""
        if p.avatar_file_id is not None:
            return self.avatar_urls(p.id, p.avatar_file_id)
        if p.avatar_preset is not None:
            url = self.preset_url(model.PresetKind.AVATAR, p.avatar_preset)
            return s.Avatar(small=url, large=url)
        return None

    def avatar_image_url(self, user_id: int, file_id: str, size: int) -> str:
        """Where clients load a user's avatar at ``size`` px: ``file_id`` (the avatar's 512 px
        file) makes its version, so a new avatar is a new URL."""
        version = model.avatar_version(file_id)
        return f"{self.root_path}{API_PREFIX}/users/{user_id}/avatar?size={size}&v={version}"

    def avatar_urls(self, user_id: int, file_id: str | None) -> s.Avatar | None:
        """Both sizes of a user's avatar, or None without one."""
        if file_id is None:
            return None
        return s.Avatar(
            small=self.avatar_image_url(user_id, file_id, model.AVATAR_SMALL),
            large=self.avatar_image_url(user_id, file_id, model.AVATAR_LARGE),
        )

    def avatar_url(self, user_id: int, file_id: str | None) -> str | None:
        """The large avatar's URL (``avatar_url``, for clients of before ``avatar``)."""
        if file_id is None:
            return None
        return self.avatar_image_url(user_id, file_id, model.AVATAR_LARGE)

    # --- objects -----------------------------------------------------------------------------

    def public_profile(self, p: model.PublicProfile) -> s.PublicProfile:
        avatar = self.avatar_of(p)
        return s.PublicProfile(
            id=p.id,
            username=p.username,
            display_name=p.display_name,
            avatar_url=None if avatar is None else avatar.large,
            bio=p.bio,
            created_at=p.created_at,
            last_seen_at=p.last_seen_at,
            birthdate=p.birthdate,
            avatar=avatar,
            avatar_preset=p.avatar_preset,
            avatar_frame=p.avatar_frame,
            deleted=p.deleted,
        )

    def user_profile(self, p: model.ProfileView) -> s.UserProfile:
        """Another user as the caller sees them (a REST read)."""
        return s.UserProfile(
            **msgspec.structs.asdict(self.public_profile(p)),
            is_contact=p.is_contact,
            local_name=p.local_name,
            blocked=p.blocked,
            email=UNSET if p.email is None else p.email,
        )

    def privacy(self, p: PrivacySettings) -> s.Privacy:
        return s.Privacy(
            last_seen=p.last_seen.value,
            online=p.online.value,
            avatar=p.avatar.value,
            bio=p.bio.value,
            birthdate=p.birthdate.value,
            email=p.email.value,
            groups_add=p.groups_add.value,  # type: ignore[arg-type]
            read_receipts=p.read_receipts,
        )

    def user(self, u: model.User) -> s.User:
        avatar = self.avatar_of(u)
        return s.User(
            id=u.id,
            username=u.username,
            email=u.email,
            display_name=u.display_name,
            avatar_url=None if avatar is None else avatar.large,
            bio=u.bio,
            created_at=u.created_at,
            last_seen_at=u.last_seen_at,
            birthdate=u.birthdate,
            avatar=avatar,
            avatar_preset=u.avatar_preset,
            avatar_frame=u.avatar_frame,
            deleted=u.deleted,
            is_admin=u.is_admin,
        )

    def preset(self, kind: model.PresetKind, preset_id: str) -> s.PresetImage:
        return s.PresetImage(id=preset_id, url=self.preset_url(kind, preset_id))

    def membership(
        self, m: model.Membership, profile: model.PublicProfile | None = None
    ) -> s.Member:
        return s.Member(
            user_id=m.user_id,
            role=m.role.value,
            joined_at=m.joined_at,
            read_message_id=m.read_message_id,
            delivered_message_id=m.delivered_message_id,
            user=self.public_profile(profile) if profile is not None else UNSET,
        )

    def member(self, m: model.ChatMember) -> s.Member:
        return self.membership(m.membership, m.profile)

    def attachment(self, a: model.Attachment) -> s.Attachment:
        return s.Attachment(
            id=a.id,
            name=a.name,
            content_type=a.content_type,
            size=a.size,
            url=self._files_url + a.id,
            width=a.width,
            height=a.height,
            thumbnail_url=None if a.thumbnail_id is None else self._files_url + a.thumbnail_id,
        )

    def file(self, f: model.StoredFile) -> s.File:
        return s.File(
            id=f.id,
            name=f.name,
            content_type=f.content_type,
            size=f.size,
            url=self._files_url + f.id,
            width=f.width,
            height=f.height,
            thumbnail_url=None if f.thumbnail_id is None else self._files_url + f.thumbnail_id,
        )

    def media_item(self, m: model.MediaItem) -> s.MediaItem:
        return s.MediaItem(
            file=self.attachment(m.file),
            message_id=m.message_id,
            sender_id=m.sender_id,
            posted_at=m.posted_at,
        )

    def reply_preview(self, r: model.ReplyPreview | None) -> s.ReplyPreview | None:
        if r is None:
            return None
        return s.ReplyPreview(id=r.id, sender_id=r.sender_id, text=r.text, deleted=r.deleted)

    def forwarded_from(self, f: model.ForwardedFrom | None) -> s.ForwardedFrom | None:
        if f is None:
            return None
        return s.ForwardedFrom(
            sender_id=f.sender_id,
            sent_at=f.sent_at,
            chat_id=UNSET if f.chat_id is None else f.chat_id,
        )

    def pin(self, p: model.PinnedMessage) -> s.Pin:
        pin = p.pin
        return s.Pin(
            chat_id=pin.chat_id,
            message_id=pin.message_id,
            pinned_by=pin.pinned_by,
            pinned_at=pin.pinned_at,
            message=self.message(p.message),
        )

    def reactions(
        self, counts: tuple[model.ReactionCount, ...], mine: frozenset[str] | None = None
    ) -> list[s.Reaction]:
        """A message's reaction counts; with ``mine`` (the reader's emoji), each with ``me``."""
        if mine is None:
            return [s.Reaction(emoji=c.emoji, count=c.count) for c in counts]
        return [s.Reaction(emoji=c.emoji, count=c.count, me=c.emoji in mine) for c in counts]

    def message(self, m: model.Message, mine: frozenset[str] | None = None) -> s.Message:
        """A message; ``mine`` (the emoji the reader reacted with) for a REST answer, which
        then carries ``reactions``; None for frames, which leave them out (see the shape)."""
        return s.Message(
            id=m.id,
            chat_id=m.chat_id,
            sender_id=m.sender_id,
            client_id=m.client_id,
            text=m.text,
            reply_to_id=m.reply_to_id,
            attachments=[self.attachment(a) for a in m.attachments] if m.attachments else [],
            created_at=m.created_at,
            edited_at=m.edited_at,
            deleted=m.deleted_at is not None,
            reply_to=None if m.reply_to is None else self.reply_preview(m.reply_to),
            forwarded_from=None
            if m.forwarded_from is None
            else self.forwarded_from(m.forwarded_from),
            reactions=UNSET if mine is None else self.reactions(m.reactions, mine),
            mentions=list(m.mentions),
            removed_by_admin=True if m.removed_by_admin else UNSET,
        )

    @staticmethod
    def user_ref(u: model.User) -> s.UserRef:
        return s.UserRef(id=u.id, username=u.username, display_name=u.display_name)

    def report(self, v: ReportView) -> s.Report:
        r, m = v.report, v.message
        return s.Report(
            id=r.id,
            status=r.status.value,
            reason=r.reason,
            created_at=r.created_at,
            reporter=self.user_ref(v.reporter),
            message=s.ReportedMessage(
                id=m.id,
                chat_id=m.chat_id,
                sender=self.user_ref(v.sender),
                text=m.text,
                created_at=m.created_at,
                deleted=m.deleted,
            ),
            resolution=None if r.resolution is None else r.resolution.value,
            resolved_by=r.resolved_by,
            resolved_at=r.resolved_at,
        )

    def audit_entry(self, record: AuditRecord) -> s.AuditEntry:
        e = record.entry
        return s.AuditEntry(
            id=e.id,
            at=e.at,
            action=e.action.value,
            actor=None if record.actor is None else self.user_ref(record.actor),
            target_type=None if e.target_type is None else e.target_type.value,
            target_id=e.target_id,
            address=e.address,
            detail=e.detail,
        )

    def history(self, page: model.Page) -> list[s.Message]:
        """A history page's messages as its reader sees them (with ``me``)."""
        mine, none = page.mine, frozenset[str]()
        return [self.message(m, mine.get(m.id, none)) for m in page.items]

    def reacted(self, r: model.Reacted) -> s.Message:
        return self.message(r.message, r.mine)

    def chat(self, c: model.Chat, members: tuple[model.ChatMember, ...]) -> s.Chat:
        return s.Chat(
            id=c.id,
            kind=c.kind.value,
            title=c.title,
            created_by=c.created_by,
            created_at=c.created_at,
            last_activity_at=c.last_activity_at,
            last_message_id=c.last_message_id,
            members=[self.member(m) for m in members],
        )

    def chat_details(self, d: model.ChatDetails) -> s.Chat:
        return self.chat(d.chat, d.members)

    def chat_summary(self, summary: model.ChatSummary) -> s.ChatSummary:
        c = summary.chat
        last = summary.last_message
        return s.ChatSummary(
            id=c.id,
            kind=c.kind.value,
            title=c.title,
            created_by=c.created_by,
            created_at=c.created_at,
            last_activity_at=c.last_activity_at,
            last_message_id=c.last_message_id,
            members=[self.member(m) for m in summary.members],
            last_message=self.message(last) if last is not None else None,
            unread_count=summary.unread_count,
            unread_mentions=summary.unread_mentions,
            **self._chat_settings(summary.settings or ChatSettings()),
            draft=self.draft(summary.draft),
        )

    @staticmethod
    def _chat_settings(x: ChatSettings) -> dict[str, Any]:
        return {
            "muted_until": muted_until(x.muted_until),
            "muted": x.muted,
            "pinned": x.pinned,
            "archived": x.archived,
        }

    def chat_settings(self, chat_id: int, x: ChatSettings, pinned: Sequence[int]) -> s.ChatSettings:
        return s.ChatSettings(
            chat_id=chat_id, **self._chat_settings(x), pinned_chat_ids=list(pinned)
        )

    def draft(self, d: Draft | None) -> s.Draft | None:
        if d is None:
            return None
        return s.Draft(text=d.text, reply_to_id=d.reply_to_id, updated_at=d.updated_at)

    def session(self, sess: model.Session, current_session_id: str | None = None) -> s.Session:
        return s.Session(
            id=sess.id,
            device_name=sess.device_name,
            created_at=sess.created_at,
            last_used_at=sess.last_used_at,
            current=sess.id == current_session_id,
        )

    def theme(self, t: th.Theme) -> s.Theme:
        image = t.background_file_id
        return s.Theme(
            id=t.id,
            name=t.name,
            colors=dict(t.colors),
            background=t.background,
            background_url=None if image is None else self._files_url + image,
            created_at=t.created_at,
            updated_at=t.updated_at,
        )

    def settings(self, x: th.UserSettings) -> s.Settings:
        return s.Settings(theme_id=x.theme_id, language=x.language)  # type: ignore[arg-type]

    # --- frames ------------------------------------------------------------------------------

    def frame(self, event: ev.Event, cursor: int | None = None) -> s.ServerFrame:
        """The frame of a domain event; ``cursor`` is its feed position (feed events only)."""
        if cursor is not None:
            return self.feed_frame(event, cursor)
        match event:
            case ev.UserTyping():
                return s.TypingFrame(data=s.TypingData(chat_id=event.chat, user_id=event.user_id))
            case ev.ProfileUpdated():
                # To chat-mates: not in their feed, so no cursor.
                return s.ProfileUpdatedFrame(
                    data=s.ProfileUpdatedData(user=self.public_profile(event.profile))
                )
            case ev.PresenceChanged():
                return s.PresenceFrame(
                    data=s.PresenceData(
                        user_id=event.user_id,
                        online=event.online,
                        last_seen_at=event.last_seen_at,
                    )
                )
        raise ValueError(f"no wire form for event {event.type!r} without a cursor")

    def feed_frame(self, event: ev.Event, cursor: int) -> s.FeedFrame:
        """The frame of a feed event at position ``cursor``."""
        match event:
            case ev.MessagePosted():
                return s.NewMessageFrame(
                    data=s.MessageEventData(message=self.message(event.message)),
                    cursor=cursor,
                )
            case ev.MessageEdited():
                return s.MessageUpdatedFrame(
                    data=s.MessageEventData(message=self.message(event.message)),
                    cursor=cursor,
                )
            case ev.MessageDeleted():
                return s.MessageDeletedFrame(
                    data=s.MessageEventData(message=self.message(event.message)),
                    cursor=cursor,
                )
            case ev.MessagesRead():
                return s.MessagesReadFrame(
                    data=s.WatermarkData(
                        chat_id=event.chat, user_id=event.user_id, message_id=event.message_id
                    ),
                    cursor=cursor,
                )
            case ev.MessagesDelivered():
                return s.MessagesDeliveredFrame(
                    data=s.WatermarkData(
                        chat_id=event.chat, user_id=event.user_id, message_id=event.message_id
                    ),
                    cursor=cursor,
                )
            case ev.ChatCreated():
                return s.ChatCreatedFrame(
                    data=s.ChatEventData(chat=self.chat(event.chat, event.members)),
                    cursor=cursor,
                )
            case ev.ChatUpdated():
                # Only the chat row changed; members are unchanged and sent elsewhere.
                return s.ChatUpdatedFrame(
                    data=s.ChatEventData(chat=self.chat(event.chat, ())),
                    cursor=cursor,
                )
            case ev.MemberAdded():
                return s.MemberAddedFrame(
                    data=s.MemberAddedData(
                        chat_id=event.chat.id,
                        member=self.member(event.member),
                        members=[self.member(m) for m in event.members],
                        chat=self.chat(event.chat, event.members),
                        by_user_id=event.by_user_id,
                    ),
                    cursor=cursor,
                )
            case ev.MemberUpdated():
                return s.MemberUpdatedFrame(
                    data=s.MemberUpdatedData(
                        chat_id=event.chat,
                        member=self.membership(event.membership),
                        by_user_id=event.by_user_id,
                    ),
                    cursor=cursor,
                )
            case ev.MemberRemoved():
                return s.MemberRemovedFrame(
                    data=s.MemberRemovedData(
                        chat_id=event.chat, user_id=event.user_id, by_user_id=event.by_user_id
                    ),
                    cursor=cursor,
                )
            case ev.ContactsUpdated():
                contact = event.contact
                return s.ContactsUpdatedFrame(
                    data=s.ContactsUpdatedData(
                        user_id=event.user_id,
                        contact=None
                        if contact is None
                        else s.Contact(user_id=contact.user_id, local_name=contact.local_name),
                    ),
                    cursor=cursor,
                )
            case ev.BlocksUpdated():
                return s.BlocksUpdatedFrame(
                    data=s.BlocksUpdatedData(user_id=event.user_id, blocked=event.blocked),
                    cursor=cursor,
                )
            case ev.PrivacyUpdated():
                return s.PrivacyUpdatedFrame(
                    data=s.PrivacyUpdatedData(privacy=self.privacy(event.privacy)),
                    cursor=cursor,
                )
            case ev.ProfileUpdated():
                return s.ProfileUpdatedFrame(
                    data=s.ProfileUpdatedData(user=self.public_profile(event.profile)),
                    cursor=cursor,
                )
            case ev.SettingsUpdated():
                return s.SettingsUpdatedFrame(
                    data=s.SettingsUpdatedData(
                        settings=self.settings(event.settings),
                        themes=[self.theme(t) for t in event.themes],
                    ),
                    cursor=cursor,
                )
            case ev.ChatCleared():
                return s.ChatClearedFrame(
                    data=s.ChatClearedData(
                        chat_id=event.chat, up_to_message_id=event.up_to_message_id
                    ),
                    cursor=cursor,
                )
            case ev.MessagePinned():
                pin = event.pin
                return s.MessagePinnedFrame(
                    data=s.MessagePinnedData(
                        chat_id=pin.chat_id,
                        message_id=pin.message_id,
                        pinned_by=pin.pinned_by,
                        pinned_at=pin.pinned_at,
                        message=self.message(event.message),
                    ),
                    cursor=cursor,
                )
            case ev.MessageUnpinned():
                return s.MessageUnpinnedFrame(
                    data=s.MessageUnpinnedData(
                        chat_id=event.chat,
                        message_id=event.message_id,
                        pinned_by=event.pinned_by,
                        unpinned_by=event.unpinned_by,
                    ),
                    cursor=cursor,
                )
            case ev.MessageHidden():
                return s.MessageHiddenFrame(
                    data=s.MessageHiddenData(chat_id=event.chat, message_id=event.message_id),
                    cursor=cursor,
                )
            case ev.MessageReactionsChanged():
                return s.MessageReactionsFrame(
                    data=s.MessageReactionsData(
                        chat_id=event.chat,
                        message_id=event.message_id,
                        user_id=event.user_id,
                        emoji=event.emoji,
                        added=event.added,
                        reactions=self.reactions(event.reactions),
                    ),
                    cursor=cursor,
                )
            case ev.ChatSettingsUpdated():
                return s.ChatSettingsUpdatedFrame(
                    data=s.ChatSettingsUpdatedData(
                        chat_id=event.chat,
                        **self._chat_settings(event.settings),
                        pinned_chat_ids=list(event.pinned_chat_ids),
                    ),
                    cursor=cursor,
                )
            case ev.DraftUpdated():
                return s.DraftUpdatedFrame(
                    data=s.DraftUpdatedData(chat_id=event.chat, draft=self.draft(event.draft)),
                    cursor=cursor,
                )
        raise ValueError(f"no feed frame for event {event.type!r}")

    def event(self, event: ev.Event, cursor: int | None) -> bytes:
        """The encoded frame of a domain event."""
        return _encode(self.frame(event, cursor))

    def delivery(self, notification: ev.Notification) -> ev.Delivery:
        """A notification as its recipients receive it: encoded here, once for everyone."""
        event = notification.event
        if isinstance(event, ev.SessionsEnded):
            # Acted on by delivery (the sockets of these sessions close), never sent.
            return ev.Delivery(b"", notification.recipients, None, frozenset(event.session_ids))
        if isinstance(event, ev.PresenceRevealed):
            # Acted on by delivery (each side is told whether the other is online), never sent.
            return ev.Delivery(b"", notification.recipients, None, introduces=event.introduces)
        return ev.Delivery(
            self.event(notification.event, notification.position),
            notification.recipients,
            notification.position,
            introduces=event.introduces,
            open_chat=(
                event.chat if isinstance(event, ev.UserTyping) and event.only_where_open else None
            ),
        )

    def ready(self, user: model.User, cursor: int) -> bytes:
        return _encode(
            s.ReadyFrame(
                data=s.ReadyData(user=self.user(user), cursor=cursor, version=s.CONTRACT_VERSION)
            )
        )

    def auth_ok(self, expires_at: datetime | None) -> bytes:
        return _encode(s.AuthOkFrame(data=s.AuthOkData(expires_at=expires_at)))

    def message_sent(self, client_id: str, message: model.Message) -> bytes:
        return _encode(
            s.MessageSentFrame(
                data=s.MessageSentData(client_id=client_id, message=self.message(message))
            )
        )


def error_frame(
    code: ErrorCode | str,
    message: str,
    *,
    client_id: str | None = None,
    chat_id: int | None = None,
    field: str | None = None,
    retry_after: float | None = None,
) -> bytes:
    """An encoded ``error`` frame; ``code`` must be one of the contract's."""
    return _encode(
        s.ErrorFrame(
            data=s.ErrorData(
                code=ErrorCode(code),
                message=message,
                client_id=UNSET if client_id is None else client_id,
                chat_id=UNSET if chat_id is None else chat_id,
                field=UNSET if field is None else field,
                retry_after=UNSET if retry_after is None else retry_after,
            )
        )
    )


PONG = _encode(s.PongFrame(data=s.EmptyData()))
