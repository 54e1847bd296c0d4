"""Entities and value objects: plain dataclasses, synchronous, no I/O.

Integer ids (users, chats, messages) are handed out by the storage when an entity is
added; string ids (sessions, files) are random and come from the ``IdSource`` port because
they are shown to clients and must not be guessable.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, ClassVar

from messenger.domain.administration import RegistrationMode
from messenger.domain.errors import Forbidden, MessageTooLong, TooManyReactions, ValidationError

if TYPE_CHECKING:  # chat_prefs builds on Chat: a runtime import would be circular
    from messenger.domain.chat_prefs import ChatSettings, Draft

USERNAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_.]{1,30})[a-z0-9]$")
# Deliberately permissive: one @, a dot in the domain, no spaces. Real proof of an
# address is a confirmation mail, not a regex.
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
PASSWORD_MIN = 8
PASSWORD_MAX = 128
DISPLAY_NAME_MAX = 100
BIO_MAX = 500
TITLE_MAX = 100
DEFAULT_MESSAGE_MAX = 5000
DEVICE_NAME_MAX = 100
# Characters of the original a reply's preview carries (the quote above the reply).
REPLY_PREVIEW_LENGTH = 200
CLIENT_ID_MAX = 64
# Nobody alive was born before; the bound also keeps typos like 0199 out.
BIRTHDATE_MIN = date(1900, 1, 1)
# Ids of preset avatars and frames: they become file names in URLs.
PRESET_ID_RE = re.compile(r"^[a-z0-9-]{1,64}$")


class Unset(Enum):
    """A field left out of a change, where ``None`` is a value of its own ("clear it")."""

    UNSET = "unset"


UNSET = Unset.UNSET
# What a deleted account is called (stored as its display name): clients that know
# ``deleted`` show their own translation, older ones still show something meaningful.
DELETED_DISPLAY_NAME = "Deleted account"


class ChatKind(StrEnum):
    DIRECT = "direct"
    GROUP = "group"


class FileKind(StrEnum):
    """What a stored file is for. Variants (``AVATAR_SMALL``, ``THUMBNAIL``) are made by the
    server from another file, which names them in its ``thumbnail_id``; they live and die
    with it and are never attached to messages themselves."""

    UPLOAD = "upload"
    # The 512 px avatar a user's ``avatar_file_id`` names; its thumbnail is the 96 px one.
    AVATAR = "avatar"
    AVATAR_SMALL = "avatar_small"
    THUMBNAIL = "thumbnail"

    @property
    def is_variant(self) -> bool:
        return self in (FileKind.AVATAR_SMALL, FileKind.THUMBNAIL)


# The two sizes of an avatar (square, in pixels) and the box image attachments' thumbnails
# fit in.
AVATAR_LARGE = 512
AVATAR_SMALL = 96
AVATAR_SIZES = (AVATAR_LARGE, AVATAR_SMALL)
THUMBNAIL_BOX = 320
# Characters of the avatar's file id that make its version in URLs: enough to change with
# every new avatar, and not the whole id, which would also be its download id.
AVATAR_VERSION_LENGTH = 12


def avatar_version(file_id: str) -> str:
    """The short version of an avatar (its ``v=`` in URLs), from its 512 px file's id."""
    return file_id[:AVATAR_VERSION_LENGTH]


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"

    @property
    def can_manage(self) -> bool:
        return self in (Role.OWNER, Role.ADMIN)

    @property
    def rank(self) -> int:
        return {Role.OWNER: 3, Role.ADMIN: 2, Role.MEMBER: 1}[self]


# --- validation helpers -------------------------------------------------------------------


def normalize_username(raw: str) -> str:
    """Usernames are case-insensitive, so they are stored lower-cased."""
    username = raw.strip().lower()
    if not USERNAME_RE.match(username):
        raise ValidationError(
            "Username must be 3-32 characters: latin letters, digits, '_' or '.', "
            "starting and ending with a letter or digit.",
            field="username",
        )
    return username


def normalize_email(raw: str | None) -> str | None:
    if raw is None:
        return None
    email = raw.strip().lower()
    if not email:
        return None
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise ValidationError("Email address is not valid.", field="email")
    return email


def check_password(password: str, *, field: str = "password") -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValidationError(
            f"Password must be {PASSWORD_MIN}-{PASSWORD_MAX} characters long.", field=field
        )


# Bidi embeddings, overrides and isolates: in a name they reorder what is shown around it,
# so "alice\u202egnp.exe" reads as "aliceexe.png" (a spoofing trick, CVE-2021-42574).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def strip_unsafe(raw: str, *, keep_newlines: bool = False) -> str:
    """``raw`` without control characters (but newlines where asked) and bidi controls."""
    return "".join(
        c
        for c in raw
        if c not in _BIDI_CONTROLS
        and (unicodedata.category(c) != "Cc" or (keep_newlines and c == "\n"))
    )


def clean_display_name(raw: str | None, fallback: str) -> str:
    name = strip_unsafe(raw or "").strip()
    if not name:
        return fallback
    if len(name) > DISPLAY_NAME_MAX:
        raise ValidationError(
            f"Display name must be at most {DISPLAY_NAME_MAX} characters.", field="display_name"
        )
    return name


def clean_local_name(raw: str | None) -> str | None:
    """A contact's local name as stored (cleaned like a display name); None for none."""
    name = strip_unsafe(raw or "").strip()
    if not name:
        return None
    if len(name) > DISPLAY_NAME_MAX:
        raise ValidationError(
            f"Local name must be at most {DISPLAY_NAME_MAX} characters.", field="local_name"
        )
    return name


def clean_bio(raw: str) -> str:
    bio = strip_unsafe(raw, keep_newlines=True).strip()
    if len(bio) > BIO_MAX:
        raise ValidationError(f"Bio must be at most {BIO_MAX} characters.", field="bio")
    return bio


def check_avatar(file: StoredFile | None, user_id: int) -> str:
    """The id of ``file`` if ``user_id`` may show it as their avatar: a file of the server's
    own that they uploaded themself. An image from elsewhere would tell its host whenever
    someone looks at the profile (a tracking pixel)."""
    if file is None or file.owner_id != user_id:
        raise ValidationError(
            "The avatar must be a file you uploaded to this server.", field="avatar_url"
        )
    return file.id


def check_birthdate(birthdate: date | None, today: date) -> date | None:
    """A birthdate as it may be kept: not in the future and not before 1900 (None: none)."""
    if birthdate is None:
        return None
    if not BIRTHDATE_MIN <= birthdate <= today:
        raise ValidationError(
            f"Birthdate must be between {BIRTHDATE_MIN.isoformat()} and today.",
            field="birthdate",
        )
    return birthdate


class PresetKind(StrEnum):
    """The two kinds of images the server ships for profiles."""

    AVATAR = "avatar"
    FRAME = "frame"


@dataclass(frozen=True)
class AvatarCatalog:
    """The ids of the preset avatars and frames the server ships (the images themselves
    are the delivery edge's business)."""

    presets: frozenset[str] = frozenset()
    frames: frozenset[str] = frozenset()

    def ids(self, kind: PresetKind) -> frozenset[str]:
        return self.presets if kind is PresetKind.AVATAR else self.frames

    def check(self, kind: PresetKind, preset_id: str) -> str:
        """``preset_id`` if the server ships it; a validation error on the kind's field."""
        if preset_id not in self.ids(kind):
            name = "preset" if kind is PresetKind.AVATAR else "frame"
            raise ValidationError(f"There is no such {name}.", field=name)
        return preset_id


def clean_title(raw: str) -> str:
    title = strip_unsafe(raw).strip()
    if not 1 <= len(title) <= TITLE_MAX:
        raise ValidationError(f"Title must be 1-{TITLE_MAX} characters.", field="title")
    return title


def clean_text(raw: str, max_length: int, *, with_attachments: bool = False) -> str:
    """The text as stored: trimmed and within the limit. It may be empty only for a message
    that carries attachments (a file sent, or left, without a caption)."""
    text = raw.strip()
    if not text and not with_attachments:
        raise ValidationError("Message text must not be empty.", field="text")
    if len(text) > max_length:
        raise MessageTooLong(f"Message text must be at most {max_length} characters.", field="text")
    return text


def check_client_id(client_id: str) -> str:
    cid = client_id.strip()
    if not 1 <= len(cid) <= CLIENT_ID_MAX:
        raise ValidationError(f"client_id must be 1-{CLIENT_ID_MAX} characters.", field="client_id")
    return cid


# --- entities -----------------------------------------------------------------------------


@dataclass
class User:
    id: int
    username: str
    email: str | None
    password_hash: str
    display_name: str
    created_at: datetime
    # A file the user uploaded (clients get its URL); None: no avatar.
    avatar_file_id: str | None = None
    bio: str = ""
    last_seen_at: datetime | None = None
    # The highest feed cursor any of the user's devices acknowledged; the floor for the
    # next delivery-watermark computation so an ack never rescans the whole feed.
    delivered_cursor: int = 0
    birthdate: date | None = None
    # One of the server's preset avatars (shown when there is no uploaded avatar).
    avatar_preset: str | None = None
    # One of the server's frames, drawn around the avatar.
    avatar_frame: str | None = None
    # When the account was deleted (None: it is live). A deleted account keeps its id, so
    # its messages stay attributed to it, but nothing else of the person.
    deleted_at: datetime | None = None
    # The deletion asked to erase the user's messages and that is not finished yet (it runs
    # in batches and resumes after a restart).
    erasing_messages: bool = False
    # A server administrator (the ``/admin`` API and console; the first account of a fresh
    # server, or ``messenger create-user NAME --admin``).
    is_admin: bool = False
    # When an administrator deactivated the account (an employee who left): nobody can log
    # in to it, its sessions are ended, and everything it wrote stays, under its name.
    # Unlike a deletion it can be undone (reactivated).
    deactivated_at: datetime | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def deactivated(self) -> bool:
        return self.deactivated_at is not None

    @property
    def can_log_in(self) -> bool:
        """Neither deleted by its owner nor deactivated by an administrator."""
        return self.deleted_at is None and self.deactivated_at is None

    def deactivate(self, now: datetime, *, erase_messages: bool) -> None:
        """Delete the account: free the username and email, forget the profile and make
        the password match nothing. The id stays (messages, memberships)."""
        # A hyphen is never valid in a chosen username, so the tombstone cannot collide
        # with anyone's, and the old name is free to be registered again.
        self.username = f"deleted-{self.id}"
        self.email = None
        self.password_hash = ""
        self.display_name = DELETED_DISPLAY_NAME
        self.avatar_file_id = None
        self.avatar_preset = None
        self.avatar_frame = None
        self.birthdate = None
        self.bio = ""
        self.last_seen_at = None
        self.deleted_at = now
        self.erasing_messages = erase_messages

    def public(self) -> PublicProfile:
        return PublicProfile(
            id=self.id,
            username=self.username,
            display_name=self.display_name,
            avatar_file_id=self.avatar_file_id,
            bio=self.bio,
            created_at=self.created_at,
            last_seen_at=self.last_seen_at,
            birthdate=self.birthdate,
            avatar_preset=self.avatar_preset,
            avatar_frame=self.avatar_frame,
            deleted=self.deleted_at is not None,
        )

    def choose_preset_avatar(self, preset: str) -> None:
        """Show one of the server's avatars; it replaces an uploaded one."""
        self.avatar_preset = preset
        self.avatar_file_id = None


@dataclass(frozen=True)
class PublicProfile:
    """What other users may see of a user (no email, no hash)."""

    id: int
    username: str
    display_name: str
    avatar_file_id: str | None
    bio: str
    created_at: datetime
    last_seen_at: datetime | None
    # Defaults: profiles stored in the feed before these fields existed lack them.
    birthdate: date | None = None
    avatar_preset: str | None = None
    avatar_frame: str | None = None
    deleted: bool = False


@dataclass(frozen=True)
class ProfileView(PublicProfile):
    """Another user's profile as one viewer sees it (privacy applied), with what the viewer
    made of them: a contact (and the local name only the viewer sees), or blocked."""

    is_contact: bool = False
    local_name: str | None = None
    blocked: bool = False
    # Shown only where the owner's ``email`` setting lets the viewer see it (default: nobody).
    email: str | None = None

    def public(self) -> PublicProfile:
        """The profile alone, as frames carry it."""
        return PublicProfile(
            **{f.name: getattr(self, f.name) for f in dataclasses.fields(PublicProfile)}
        )


@dataclass
class Contact:
    """Someone in a user's contacts, with the name only that user sees them by."""

    owner_id: int
    user_id: int
    local_name: str | None
    created_at: datetime


@dataclass
class Block:
    """A user blocked another: the blocked one is kept away from the blocker."""

    blocker_id: int
    blocked_id: int
    created_at: datetime


@dataclass
class Chat:
    id: int
    kind: ChatKind
    title: str | None
    created_by: int
    created_at: datetime
    last_activity_at: datetime
    last_message_id: int | None = None
    # For dialogs "<smaller user id>:<larger user id>"; the storage keeps it unique so that
    # concurrent "open dialog" calls converge on one chat.
    direct_key: str | None = None

    @staticmethod
    def direct_key_for(a: int, b: int) -> str:
        low, high = sorted((a, b))
        return f"{low}:{high}"


@dataclass
class Membership:
    chat_id: int
    user_id: int
    role: Role
    joined_at: datetime
    # Feed position at which the member joined: feed events before it are not theirs.
    joined_position: int = 0
    read_message_id: int = 0
    delivered_message_id: int = 0
    # Cleared "for me": messages up to this id are hidden from this member only.
    cleared_up_to: int = 0
    # The member hid a message of this chat for themself: only then is history filtered
    # through the hidden messages (most members never hide one; history is a hot read).
    has_hidden: bool = False

    def sees(self, message_id: int) -> bool:
        """Whether the member's clearing leaves this message visible to them."""
        return message_id > self.cleared_up_to

    def clear(self, up_to_message_id: int) -> bool:
        """Hide everything up to a message from this member; never undone. Returns
        whether anything more is hidden."""
        if up_to_message_id <= self.cleared_up_to:
            return False
        self.cleared_up_to = up_to_message_id
        return True

    @property
    def unread_floor(self) -> int:
        """Messages at or below this id do not count as unread: read, or cleared."""
        return max(self.read_message_id, self.cleared_up_to)

    def mark_read(self, message_id: int) -> bool:
        """Move the read watermark forward; never back. Returns whether it moved."""
        if message_id <= self.read_message_id:
            return False
        self.read_message_id = message_id
        # Reading implies delivery.
        self.delivered_message_id = max(self.delivered_message_id, message_id)
        return True

    def mark_delivered(self, message_id: int) -> bool:
        if message_id <= self.delivered_message_id:
            return False
        self.delivered_message_id = message_id
        return True


@dataclass(frozen=True)
class Attachment:
    """A file as it is attached to a message (copied in, so history needs no join). No URL:
    where a client downloads it depends on where the server is reachable, which is the
    delivery edge's business."""

    id: str
    name: str
    content_type: str
    size: int
    # Images the server could decode (by their bytes) have their size in pixels and a
    # thumbnail file; anything else has None in all three.
    width: int | None = None
    height: int | None = None
    thumbnail_id: str | None = None

    @property
    def is_image(self) -> bool:
        return self.width is not None


@dataclass(frozen=True)
class ForwardedFrom:
    """Where a forwarded message first came from: its author and when they sent it, and its
    chat only where the forward's audience may know of that chat (``chat_id`` None
    otherwise). Forwarding a forward keeps the first source."""

    chat_id: int | None
    sender_id: int
    sent_at: datetime


@dataclass(frozen=True)
class ReplyPreview:
    """The quote of the message a reply answers, as one audience may see it: the start of
    its text, or nothing and ``deleted`` when it is gone (or gone for that audience)."""

    id: int
    sender_id: int
    text: str
    deleted: bool

    @staticmethod
    def of(original: Message, *, visible: bool = True) -> ReplyPreview:
        """The preview of ``original``; ``visible`` False: as a deleted one (the reader
        cleared or hid it, and must not read its text here)."""
        if original.deleted or not visible:
            return ReplyPreview(original.id, original.sender_id, "", True)
        return ReplyPreview(
            original.id, original.sender_id, original.text[:REPLY_PREVIEW_LENGTH], False
        )


@dataclass(frozen=True)
class ReactionCount:
    """How many users reacted to a message with one emoji."""

    emoji: str
    count: int


@dataclass(frozen=True)
class Reaction:
    """One user's reaction to a message: one emoji (a user may react with several)."""

    message_id: int
    user_id: int
    emoji: str
    created_at: datetime


@dataclass
class Message:
    id: int
    chat_id: int
    sender_id: int
    client_id: str
    text: str
    created_at: datetime
    reply_to_id: int | None = None
    attachments: tuple[Attachment, ...] = ()
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    forwarded_from: ForwardedFrom | None = None
    # The counts of its reactions by emoji, in the order each emoji was first used (kept on
    # the message so that history needs no extra read to show them; the rows of who
    # reacted are the truth it is kept equal to, in the same transaction).
    reactions: tuple[ReactionCount, ...] = ()
    # The members the text mentions (ascending ids; see ``domain.mentions``).
    mentions: tuple[int, ...] = ()
    # A server administrator deleted it (moderation): its tombstone says so. A column of the
    # message, read with the row, so history and sync need nothing more to show it.
    removed_by_admin: bool = False
    # Not stored: the preview of ``reply_to_id`` that reads and events fill in for their
    # audience (None: no reply, or not filled in).
    reply_to: ReplyPreview | None = None

    # Fields that are views made when reading, never columns of the message.
    DERIVED: ClassVar[tuple[str, ...]] = ("reply_to",)

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    def add_reaction(self, emoji: str, limit: int) -> None:
        """Count one more reaction with ``emoji`` (the caller checked it is a new one)."""
        if self.deleted:
            raise Forbidden("A deleted message cannot get reactions.")
        counts = list(self.reactions)
        for index, count in enumerate(counts):
            if count.emoji == emoji:
                counts[index] = ReactionCount(emoji, count.count + 1)
                break
        else:
            if len(counts) >= limit:
                raise TooManyReactions(f"A message may carry at most {limit} different reactions.")
            counts.append(ReactionCount(emoji, 1))
        self.reactions = tuple(counts)

    def remove_reaction(self, emoji: str) -> None:
        """Count one reaction with ``emoji`` less (the caller checked there is one); an emoji
        nobody reacts with any more leaves the list (and goes to its end if used again)."""
        self.reactions = tuple(
            ReactionCount(c.emoji, c.count - 1) if c.emoji == emoji else c
            for c in self.reactions
            if c.emoji != emoji or c.count > 1
        )

    def edit(self, editor_id: int, text: str, now: datetime) -> MessageEdit:
        if editor_id != self.sender_id:
            raise Forbidden("Only the author can edit a message.")
        if self.deleted:
            raise Forbidden("A deleted message cannot be edited.")
        previous = MessageEdit(message_id=self.id, text=self.text, edited_at=now)
        self.text = text
        self.edited_at = now
        return previous

    def room_for_attachments(self, editor_id: int, limit: int) -> int:
        """How many more files the author may attach (at least one, or an error)."""
        if editor_id != self.sender_id:
            raise Forbidden("Only the author can attach files to a message.")
        if self.deleted:
            raise Forbidden("A deleted message cannot get attachments.")
        room = limit - len(self.attachments)
        if room <= 0:
            raise ValidationError(f"A message may carry at most {limit} files.", field="file")
        return room

    def attach(self, editor_id: int, attachments: Sequence[Attachment], limit: int) -> None:
        """Add files after sending; the text and its edit history stay as they are."""
        if len(attachments) > self.room_for_attachments(editor_id, limit):
            raise ValidationError(f"A message may carry at most {limit} files.", field="file")
        self.attachments = (*self.attachments, *attachments)

    def delete(self, now: datetime, *, by_admin: bool = False) -> None:
        """Leave a tombstone; ``by_admin``: a server administrator removed it (moderation)."""
        # A tombstone keeps the id (ordering, replies, read marks) but nothing of the content
        # (nor a quote of someone else's).
        self.removed_by_admin = by_admin
        self.text = ""
        self.attachments = ()
        self.reactions = ()
        self.mentions = ()
        self.deleted_at = now
        self.reply_to = None

    def forwarded(self, chat_id_shown: bool) -> ForwardedFrom:
        """Where a forward of this message comes from: its own source if it is a forward
        itself; its chat only if ``chat_id_shown``."""
        source = self.forwarded_from
        if source is not None:
            return ForwardedFrom(
                source.chat_id if chat_id_shown else None, source.sender_id, source.sent_at
            )
        return ForwardedFrom(
            self.chat_id if chat_id_shown else None, self.sender_id, self.created_at
        )


@dataclass(frozen=True)
class Pin:
    """A message pinned in its chat (shown in the chat's header bar)."""

    chat_id: int
    message_id: int
    pinned_by: int
    pinned_at: datetime


@dataclass(frozen=True)
class PinnedMessage:
    """A pin with its message, as a member reads the chat's pins."""

    pin: Pin
    message: Message


@dataclass(frozen=True)
class MessageEdit:
    """The text a message had before an edit."""

    message_id: int
    text: str
    edited_at: datetime


@dataclass
class Session:
    """One logged-in device: a refresh-token family."""

    id: str
    user_id: int
    device_name: str
    created_at: datetime
    last_used_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Not revoked (it may have expired all the same: see ``active_at``)."""
        return self.revoked_at is None

    def active_at(self, now: datetime, limits: Limits) -> bool:
        """Not revoked, refreshed within ``limits.session_idle`` and started within
        ``limits.session_lifetime``: a stolen refresh token does not last for ever."""
        return (
            self.revoked_at is None
            and now - self.last_used_at < limits.session_idle
            and now - self.created_at < limits.session_lifetime
        )


@dataclass
class RefreshToken:
    token_hash: str
    session_id: str
    created_at: datetime
    used_at: datetime | None = None


@dataclass
class StoredFile:
    id: str
    owner_id: int
    name: str
    content_type: str
    size: int
    storage_key: str
    created_at: datetime
    # Images (recognised by their bytes, decodable within ``Limits``): size in pixels.
    width: int | None = None
    height: int | None = None
    kind: FileKind = FileKind.UPLOAD
    # The smaller variant the server made of this file (an image's thumbnail, an avatar's
    # 96 px version): downloadable by whoever may download this one.
    thumbnail_id: str | None = None

    def as_attachment(self) -> Attachment:
        return Attachment(
            id=self.id,
            name=self.name,
            content_type=self.content_type,
            size=self.size,
            width=self.width,
            height=self.height,
            thumbnail_id=self.thumbnail_id,
        )


@dataclass(frozen=True)
class ImageInfo:
    """What an image's bytes say it is: one of the accepted formats, and its size."""

    format: str
    width: int
    height: int


@dataclass(frozen=True)
class EncodedImage:
    """An image the server encoded (an avatar size, a thumbnail), ready to store."""

    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


@dataclass(frozen=True)
class MediaItem:
    """An attachment in a chat's media gallery, with the message that carries it."""

    file: Attachment
    message_id: int
    sender_id: int
    posted_at: datetime


@dataclass(frozen=True)
class ChatMember:
    """A membership together with the member's public profile."""

    membership: Membership
    profile: PublicProfile


@dataclass(frozen=True)
class ChatDetails:
    chat: Chat
    members: tuple[ChatMember, ...]


@dataclass(frozen=True)
class ChatSummary:
    """One row of the chat list."""

    chat: Chat
    members: tuple[ChatMember, ...]
    last_message: Message | None
    unread_count: int
    # Unread messages that mention the user (counted like ``unread_count``).
    unread_mentions: int = 0
    # The reader's own settings of the chat and their draft in it (chat_prefs.py).
    # None: the defaults (not muted, pinned or archived).
    settings: ChatSettings | None = None
    draft: Draft | None = None


@dataclass(frozen=True)
class AuthResult:
    user: User
    session: Session
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    session_id: str
    # When the token stops being accepted (None: never, for tokens that do not expire);
    # an open socket closes then unless its client authenticated again.
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Page:
    """A history page; ``items`` ascend by id.

    ``has_more``: more in the paging direction (older ones, or newer ones for an ``after``
    page); ``has_newer``: newer ones exist beyond the page, ``None`` where the request
    already tells (a ``before`` page has the message it pages back from). ``mine``: per
    message of the page with reactions, the emoji the reader reacted with (none: not
    there).
    """

    items: tuple[Message, ...]
    has_more: bool = False
    has_newer: bool | None = None
    mine: Mapping[int, frozenset[str]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Reacted:
    """A message as its reader sees it after reacting: with the emoji they reacted with."""

    message: Message
    mine: frozenset[str]


class Has(StrEnum):
    """What a searched message must carry besides matching words."""

    FILE = "file"  # any attachment
    IMAGE = "image"  # an attachment the server decoded as an image


@dataclass(frozen=True)
class MessageQuery:
    """A message search as the index runs it: the words, and exactly which messages the
    reader may see (the use case fills ``floors`` from the reader's memberships).

    ``floors``: the chats to search, each with the id at and below which the reader sees
    nothing of it (``Membership.cleared_up_to``). Deleted messages and those the reader hid
    are never found. ``below_id``: only older messages (the next page)."""

    text: str
    reader_id: int
    floors: Mapping[int, int]
    sender_id: int | None = None
    has: Has | None = None
    sent_before: datetime | None = None
    sent_after: datetime | None = None
    below_id: int | None = None

    def admits(self, message: Message) -> bool:
        """Whether a message passes every filter but the words and the reader's hiding."""
        floor = self.floors.get(message.chat_id)
        return (
            floor is not None
            and message.id > floor
            and not message.deleted
            and (self.below_id is None or message.id < self.below_id)
            and (self.sender_id is None or message.sender_id == self.sender_id)
            and (self.sent_before is None or message.created_at < self.sent_before)
            and (self.sent_after is None or message.created_at > self.sent_after)
            and (
                self.has is None
                or (self.has is Has.FILE and bool(message.attachments))
                or (self.has is Has.IMAGE and any(a.width is not None for a in message.attachments))
            )
        )


@dataclass(frozen=True)
class FoundMessage:
    """A search result: the message and the words of its text that matched the query."""

    message: Message
    highlights: tuple[str, ...]


@dataclass(frozen=True)
class Limits:
    max_message_length: int = DEFAULT_MESSAGE_MAX
    max_page_size: int = 100
    default_page_size: int = 50
    max_group_members: int = 1000
    max_feed_page: int = 1000
    max_attachments: int = 10
    # Every theme of a user travels in each ``settings_updated``, so their number is capped.
    max_themes: int = 50
    max_upload_bytes: int = 20 * 1024 * 1024
    # An avatar upload is read into memory to be re-encoded: it is smaller than any upload.
    max_avatar_bytes: int = 5 * 1024 * 1024
    # Uploads up to this size and this many pixels are decoded for a thumbnail; larger ones
    # stay plain files. Decoding costs memory by the pixel (a 40 MP RGBA image is 160 MB),
    # whatever the file's size: a small file may claim huge dimensions (a decompression bomb).
    max_image_bytes: int = 20 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    # Posts written in one transaction at most (group commit).
    max_post_batch: int = 64
    # In chats of more members than this, ``typing`` goes only to devices where the chat is
    # open (in a 5,000-member channel, typing to everyone would be most of the traffic).
    typing_joined_above: int = 100
    max_search_results: int = 50
    # Messages pinned in one chat at most.
    max_pins: int = 100
    # Different emoji on one message at most (every reaction frame carries all of them).
    max_reactions: int = 20
    # Reactions added or taken back per second, and the burst: each is pushed to the chat.
    reaction_rate: float = 5.0
    reaction_burst: int = 40
    # How long a process trusts a session it found active without asking storage again;
    # a revocation made by another process reaches this one within this delay (0: no cache).
    session_cache_seconds: float = 5.0
    session_cache_size: int = 10_000
    # Per-user budgets against flooding (0: no limit). Each is a token bucket: a sustained
    # rate and a burst; the hourly and per-minute ones refill their whole burst over the hour
    # or the minute.
    post_rate: float = 20.0  # messages per second, as the socket allows frames
    post_burst: int = 60
    chats_per_hour: int = 50  # dialogs opened and groups created
    member_adds_per_hour: int = 300  # people put into groups, at creation or later
    uploads_per_minute: int = 20
    upload_quota_bytes: int = 1024**3  # the sum of a user's stored files
    # Uploads attached to no message are deleted this long after they were made (0: never).
    unattached_upload_hours: float = 24.0
    # A session (a logged-in device) ends after this long without a refresh, and this long
    # after login whatever happens (MESSENGER_SESSION_IDLE_DAYS, MESSENGER_SESSION_MAX_DAYS).
    session_idle: timedelta = timedelta(days=30)
    session_lifetime: timedelta = timedelta(days=90)
    # Who may register until an administrator sets the mode at run time (then the stored
    # one wins): MESSENGER_REGISTRATION.
    registration: RegistrationMode = RegistrationMode.OPEN
    # How long an administrator's password-reset link works (MESSENGER_PASSWORD_RESET_HOURS).
    password_reset_valid: timedelta = timedelta(hours=24)
    # Audit entries older than this are pruned by housekeeping (0: kept forever;
    # MESSENGER_AUDIT_RETENTION_DAYS).
    audit_retention_days: int = 365
    # Feed entries older than this are pruned by housekeeping (0: kept forever;
    # MESSENGER_FEED_RETENTION_DAYS): a cursor before them must resync.
    feed_retention_days: int = 30


__all__ = [
    "AVATAR_LARGE",
    "AVATAR_SIZES",
    "AVATAR_SMALL",
    "THUMBNAIL_BOX",
    "AccessClaims",
    "Attachment",
    "AuthResult",
    "AvatarCatalog",
    "Block",
    "Chat",
    "ChatDetails",
    "ChatKind",
    "ChatMember",
    "ChatSummary",
    "Contact",
    "EncodedImage",
    "FileKind",
    "ForwardedFrom",
    "FoundMessage",
    "Has",
    "ImageInfo",
    "Limits",
    "MediaItem",
    "Membership",
    "Message",
    "MessageEdit",
    "MessageQuery",
    "Page",
    "Pin",
    "PinnedMessage",
    "PresetKind",
    "ProfileView",
    "PublicProfile",
    "Reacted",
    "Reaction",
    "ReactionCount",
    "RefreshToken",
    "ReplyPreview",
    "Role",
    "Session",
    "StoredFile",
    "Unset",
    "User",
]
