"""SQLAlchemy Core tables: the schema that migrations/ creates and the repositories query.

MySQL/MariaDB tables are InnoDB in utf8mb4. Identifier-like strings (usernames, emails,
client ids, random ids, token hashes) use the binary collation: they are compared exactly
as the domain and the in-memory adapter compare them (values are normalised before they
are stored), and a case-insensitive collation would make random ids collide by case.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect

from messenger.domain.audit import DETAIL_MAX, TARGET_ID_MAX, AuditAction, AuditTarget
from messenger.domain.model import (
    Attachment,
    ChatKind,
    FileKind,
    ForwardedFrom,
    ReactionCount,
    Role,
)
from messenger.domain.moderation import REASON_MAX, Resolution
from messenger.domain.privacy import Audience

MYSQL_TABLE: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out; stored naive UTC with microseconds."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def key(length: int) -> sa.types.TypeEngine[str]:
    """A string compared byte for byte (see the module docstring)."""
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def long_text() -> sa.types.TypeEngine[str]:
    # A ChatCreated event of a big group is larger than the 64 KiB of a MySQL TEXT. (Text,
    # not a BLOB: aiomysql 0.3 cannot bind bytes with PyMySQL 1.2.)
    return sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


_E = TypeVar("_E", bound=StrEnum)


class EnumString(sa.TypeDecorator[_E]):
    """A domain enum stored as its value: rows carry the enum, as the entity's field does."""

    impl = sa.String
    cache_ok = True

    def __init__(self, enum: type[_E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: _E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any | None, dialect: Dialect) -> _E | None:
        return None if value is None else self.enum(value)


class StoredAttachment(msgspec.Struct, frozen=True, omit_defaults=True):
    """An attachment as the ``messages.attachments`` column holds it.

    Its own frozen layout rather than the domain's dataclass, so renaming a domain field is
    a code change here and never a silent change of stored data. Rows written before file
    URLs were derived at the edge also carry ``url``; it is ignored. The image fields came
    later: left out when None, so a row of before reads as a file that is no image, and a
    file that is no image is stored as it was then.
    """

    id: str
    name: str
    content_type: str
    size: int
    width: int | None = None
    height: int | None = None
    thumbnail_id: str | None = None


_attachments_encoder = msgspec.json.Encoder()
_attachments_decoder = msgspec.json.Decoder(list[StoredAttachment])


class AttachmentsJSON(sa.TypeDecorator[tuple[Attachment, ...]]):
    """A message's attachments as msgspec JSON; NULL (not ``[]``) when there are none."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(
        self, value: tuple[Attachment, ...] | None, dialect: Dialect
    ) -> str | None:
        if not value:
            return None
        stored = [
            StoredAttachment(
                a.id, a.name, a.content_type, a.size, a.width, a.height, a.thumbnail_id
            )
            for a in value
        ]
        return _attachments_encoder.encode(stored).decode()

    def process_result_value(self, value: Any | None, dialect: Dialect) -> tuple[Attachment, ...]:
        if not value:
            return ()
        return tuple(
            Attachment(
                id=a.id,
                name=a.name,
                content_type=a.content_type,
                size=a.size,
                width=a.width,
                height=a.height,
                thumbnail_id=a.thumbnail_id,
            )
            for a in _attachments_decoder.decode(value)
        )


class StoredForward(msgspec.Struct, frozen=True, omit_defaults=True):
    """Where a forwarded message came from, as ``messages.forwarded_from`` holds it (its
    own frozen layout, like ``StoredAttachment``)."""

    sender_id: int
    sent_at: datetime
    chat_id: int | None = None


_forward_encoder = msgspec.json.Encoder()
_forward_decoder = msgspec.json.Decoder(StoredForward)


class ForwardJSON(sa.TypeDecorator[ForwardedFrom]):
    """A forward's source as msgspec JSON; NULL for a message that is no forward."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: ForwardedFrom | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        stored = StoredForward(value.sender_id, value.sent_at, value.chat_id)
        return _forward_encoder.encode(stored).decode()

    def process_result_value(self, value: Any | None, dialect: Dialect) -> ForwardedFrom | None:
        if not value:
            return None
        x = _forward_decoder.decode(value)
        sent_at = x.sent_at if x.sent_at.tzinfo else x.sent_at.replace(tzinfo=UTC)
        return ForwardedFrom(chat_id=x.chat_id, sender_id=x.sender_id, sent_at=sent_at)


_reactions_encoder = msgspec.json.Encoder()
_reactions_decoder = msgspec.json.Decoder(list[tuple[str, int]])


class ReactionsJSON(sa.TypeDecorator[tuple[ReactionCount, ...]]):
    """A message's reaction counts as ``[[emoji, count], ...]`` in order of first use; NULL
    (not ``[]``) when there are none, as on almost every message."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(
        self, value: tuple[ReactionCount, ...] | None, dialect: Dialect
    ) -> str | None:
        if not value:
            return None
        return _reactions_encoder.encode([(c.emoji, c.count) for c in value]).decode()

    def process_result_value(
        self, value: Any | None, dialect: Dialect
    ) -> tuple[ReactionCount, ...]:
        if not value:
            return ()
        return tuple(ReactionCount(e, n) for e, n in _reactions_decoder.decode(value))


_ids_encoder = msgspec.json.Encoder()
_ids_decoder = msgspec.json.Decoder(tuple[int, ...])


class IdsJSON(sa.TypeDecorator[tuple[int, ...]]):
    """A tuple of ids as a JSON array; NULL (not ``[]``) when there are none."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: tuple[int, ...] | None, dialect: Dialect) -> str | None:
        return _ids_encoder.encode(value).decode() if value else None

    def process_result_value(self, value: Any | None, dialect: Dialect) -> tuple[int, ...]:
        return _ids_decoder.decode(value) if value else ()


_colors_encoder = msgspec.json.Encoder()
_colors_decoder = msgspec.json.Decoder(dict[str, str])


class ColorsJSON(sa.TypeDecorator[dict[str, str]]):
    """A theme's colours, token to ``#rrggbb``, as a JSON object."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: dict[str, str] | None, dialect: Dialect) -> str | None:
        return None if value is None else _colors_encoder.encode(value).decode()

    def process_result_value(self, value: Any | None, dialect: Dialect) -> dict[str, str]:
        return {} if not value else _colors_decoder.decode(value)


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Int64(sa.TypeDecorator[int]):
    """A BIGINT that accepts any Python int in comparisons.

    Ids and cursors come from clients; SQLite's driver raises OverflowError for an int
    beyond 64 bits. Clamping keeps every comparison with a storable value true or false
    as before (no row can hold an id beyond the range), so ``before=10**30`` still means
    "everything".
    """

    impl = sa.BigInteger
    cache_ok = True

    def __init__(self, *, rowid: bool = False) -> None:
        super().__init__()
        self.rowid = rowid

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if self.rowid and dialect.name == "sqlite":
            # Only an INTEGER PRIMARY KEY is SQLite's auto-incrementing rowid.
            return dialect.type_descriptor(sa.Integer())
        return dialect.type_descriptor(sa.BigInteger())

    def process_bind_param(self, value: int | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return min(max(value, INT64_MIN), INT64_MAX)


ID = Int64(rowid=True)
REF = Int64()


def _id_column() -> sa.Column[int]:
    return sa.Column("id", ID, primary_key=True, autoincrement=True)


feed_head = sa.Table(
    "feed_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("position", Int64(), nullable=False),
    **MYSQL_TABLE,
)

users = sa.Table(
    "users",
    metadata,
    _id_column(),
    sa.Column("username", key(32), nullable=False, unique=True),
    sa.Column("email", key(254), nullable=True, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("display_name", sa.String(100), nullable=False),
    # A file the user uploaded (see migration 0002).
    sa.Column("avatar_file_id", key(64), nullable=True),
    sa.Column("bio", sa.String(500), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("last_seen_at", UTCDateTime(), nullable=True),
    sa.Column("delivered_cursor", Int64(), nullable=False),
    sa.Column("birthdate", sa.Date(), nullable=True),
    # Ids of the server's preset avatar and frame (see migration 0003).
    sa.Column("avatar_preset", key(64), nullable=True),
    sa.Column("avatar_frame", key(64), nullable=True),
    # A deleted account (see migration 0007_hygiene) and whether its messages are still
    # being erased.
    sa.Column("deleted_at", UTCDateTime(), nullable=True),
    sa.Column(
        "erasing_messages", sa.Boolean(), nullable=False, index=True, server_default=sa.false()
    ),
    # Server administrators and accounts an administrator deactivated (migration 0013).
    sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("deactivated_at", UTCDateTime(), nullable=True),
    **MYSQL_TABLE,
)

chats = sa.Table(
    "chats",
    metadata,
    _id_column(),
    sa.Column("kind", EnumString(ChatKind, 16), nullable=False),
    sa.Column("title", sa.String(100), nullable=True),
    sa.Column("created_by", REF, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("last_activity_at", UTCDateTime(), nullable=False),
    sa.Column("last_message_id", REF, nullable=True),
    sa.Column("direct_key", key(64), nullable=True, unique=True),
    **MYSQL_TABLE,
)

memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column("chat_id", REF, sa.ForeignKey("chats.id"), primary_key=True),
    sa.Column("user_id", REF, sa.ForeignKey("users.id"), primary_key=True, index=True),
    sa.Column("role", EnumString(Role, 16), nullable=False),
    sa.Column("joined_at", UTCDateTime(), nullable=False),
    sa.Column("joined_position", Int64(), nullable=False),
    sa.Column("read_message_id", Int64(), nullable=False),
    sa.Column("delivered_message_id", Int64(), nullable=False),
    # The member cleared the chat for themself up to this message id (0: never).
    sa.Column("cleared_up_to", Int64(), nullable=False, server_default="0"),
    # The member hid at least one message of the chat for themself.
    sa.Column("has_hidden", sa.Boolean(), nullable=False, server_default=sa.false()),
    **MYSQL_TABLE,
)

messages = sa.Table(
    "messages",
    metadata,
    _id_column(),
    sa.Column("chat_id", REF, sa.ForeignKey("chats.id"), nullable=False),
    sa.Column("sender_id", REF, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("client_id", key(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("reply_to_id", REF, nullable=True),
    # The attachments as copied into the message (msgspec JSON), NULL when there are none.
    sa.Column("attachments", AttachmentsJSON(), nullable=True),
    sa.Column("edited_at", UTCDateTime(), nullable=True),
    sa.Column("deleted_at", UTCDateTime(), nullable=True),
    # A forward's first source (JSON), NULL for a message that is no forward.
    sa.Column("forwarded_from", ForwardJSON(), nullable=True),
    # The reaction counts, kept equal to message_reactions in the same transaction (see
    # migration 0009_reactions): history shows them without reading who reacted.
    sa.Column("reactions", ReactionsJSON(), nullable=True),
    # The members the text mentions (JSON ids), NULL when none (migration 0011_mentions).
    sa.Column("mentions", IdsJSON(), nullable=True),
    # A server administrator deleted it (migration 0016_moderation): read with the row, so
    # showing the tombstone costs no statement.
    sa.Column("removed_by_admin", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("sender_id", "client_id"),
    sa.Index(None, "chat_id", "id"),
    # The admin console's "messages today" reads today's rows only (migration 0014).
    sa.Index(None, "created_at"),
    **MYSQL_TABLE,
)

message_edits = sa.Table(
    "message_edits",
    metadata,
    _id_column(),
    sa.Column("message_id", REF, sa.ForeignKey("messages.id"), nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("edited_at", UTCDateTime(), nullable=False),
    **MYSQL_TABLE,
)

# Which messages carry which file: lets "may this user download the file" be one join.
message_attachments = sa.Table(
    "message_attachments",
    metadata,
    sa.Column("file_id", key(64), primary_key=True),
    sa.Column("message_id", REF, sa.ForeignKey("messages.id"), primary_key=True, index=True),
    **MYSQL_TABLE,
)

# Messages pinned in their chat.
pinned_messages = sa.Table(
    "pinned_messages",
    metadata,
    sa.Column("chat_id", REF, sa.ForeignKey("chats.id"), primary_key=True),
    sa.Column("message_id", REF, sa.ForeignKey("messages.id"), primary_key=True, index=True),
    sa.Column("pinned_by", REF, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("pinned_at", UTCDateTime(), nullable=False),
    **MYSQL_TABLE,
)

# Who a message mentions, by user then chat: counts a user's unread mentions per chat and
# pages through them. It follows ``messages.mentions`` (a deleted message mentions nobody).
message_mentions = sa.Table(
    "message_mentions",
    metadata,
    sa.Column("user_id", REF, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("message_id", REF, sa.ForeignKey("messages.id"), primary_key=True, index=True),
    sa.Column("chat_id", REF, nullable=False),
    sa.Index(None, "user_id", "chat_id", "message_id"),
    **MYSQL_TABLE,
)

# Messages a user hid for themself ("delete for me").
hidden_messages = sa.Table(
    "hidden_messages",
    metadata,
    sa.Column("user_id", REF, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("message_id", REF, sa.ForeignKey("messages.id"), primary_key=True, index=True),
    **MYSQL_TABLE,
)

# Who reacted to which message with which emoji. The emoji compares byte for byte (``key``):
# a case- or accent-insensitive collation would make different emoji one.
message_reactions = sa.Table(
    "message_reactions",
    metadata,
    sa.Column("message_id", REF, sa.ForeignKey("messages.id"), primary_key=True),
    sa.Column("emoji", key(32), primary_key=True),
    sa.Column("user_id", REF, sa.ForeignKey("users.id"), primary_key=True, index=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    **MYSQL_TABLE,
)

feed = sa.Table(
    "feed",
    metadata,
    sa.Column("position", Int64(), primary_key=True, autoincrement=False),
    sa.Column("chat_id", REF, nullable=True),
    sa.Column("subject_user_id", REF, nullable=True),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("message_id", REF, nullable=True),
    sa.Column("sender_id", REF, nullable=True),
    sa.Column("payload", long_text(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Index(None, "chat_id", "position"),
    sa.Index(None, "subject_user_id", "position"),
    **MYSQL_TABLE,
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", key(64), primary_key=True),
    sa.Column("user_id", REF, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("device_name", sa.String(100), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("last_used_at", UTCDateTime(), nullable=False),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
    **MYSQL_TABLE,
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("token_hash", key(64), primary_key=True),
    sa.Column("session_id", key(64), sa.ForeignKey("sessions.id"), nullable=False, index=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("used_at", UTCDateTime(), nullable=True),
    **MYSQL_TABLE,
)

files = sa.Table(
    "files",
    metadata,
    sa.Column("id", key(64), primary_key=True),
    sa.Column("owner_id", REF, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("content_type", sa.String(100), nullable=False),
    sa.Column("size", Int64(), nullable=False),
    sa.Column("storage_key", key(255), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    # Images (see migration 0004): their size, and the smaller variant made of them.
    sa.Column("width", sa.Integer, nullable=True),
    sa.Column("height", sa.Integer, nullable=True),
    sa.Column("kind", EnumString(FileKind, 16), nullable=False, server_default="upload"),
    sa.Column("thumbnail_id", key(64), nullable=True, index=True),
    **MYSQL_TABLE,
)

themes = sa.Table(
    "themes",
    metadata,
    sa.Column("id", key(64), primary_key=True),
    sa.Column("owner_id", REF, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("colors", ColorsJSON(), nullable=False),
    # A "#rrggbb" colour or the id of an uploaded image (files.id; no foreign key: the
    # column holds colours as well).
    sa.Column("background", key(64), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Index(None, "owner_id", "created_at"),
    **MYSQL_TABLE,
)

# A row only once a user chose something; no row reads as the defaults.
user_settings = sa.Table(
    "user_settings",
    metadata,
    sa.Column("user_id", REF, sa.ForeignKey("users.id"), primary_key=True, autoincrement=False),
    sa.Column("theme_id", key(64), nullable=False),
    sa.Column("language", sa.String(16), nullable=False),
    **MYSQL_TABLE,
)

# A user's contacts, with the name only the owner sees them by.
contacts = sa.Table(
    "contacts",
    metadata,
    sa.Column("owner_id", REF, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("user_id", REF, sa.ForeignKey("users.id"), primary_key=True, index=True),
    sa.Column("local_name", sa.String(100), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    **MYSQL_TABLE,
)

blocks = sa.Table(
    "blocks",
    metadata,
    sa.Column("blocker_id", REF, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("blocked_id", REF, sa.ForeignKey("users.id"), primary_key=True, index=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    **MYSQL_TABLE,
)

# One row per user who changed a privacy setting; no row: the defaults.
privacy_settings = sa.Table(
    "privacy_settings",
    metadata,
    sa.Column("user_id", REF, sa.ForeignKey("users.id"), primary_key=True, autoincrement=False),
    sa.Column("last_seen", EnumString(Audience, 16), nullable=False),
    sa.Column("online", EnumString(Audience, 16), nullable=False),
    sa.Column("avatar", EnumString(Audience, 16), nullable=False),
    sa.Column("bio", EnumString(Audience, 16), nullable=False),
    sa.Column("birthdate", EnumString(Audience, 16), nullable=False),
    sa.Column("email", EnumString(Audience, 16), nullable=False),
    sa.Column("groups_add", EnumString(Audience, 16), nullable=False),
    sa.Column("read_receipts", sa.Boolean(), nullable=False),
    **MYSQL_TABLE,
)

# What a user chose for a chat (chat_prefs.py): a row only once they chose something.
chat_prefs = sa.Table(
    "chat_prefs",
    metadata,
    sa.Column("chat_id", REF, sa.ForeignKey("chats.id"), primary_key=True),
    sa.Column("user_id", REF, sa.ForeignKey("users.id"), primary_key=True, index=True),
    sa.Column("muted_until", UTCDateTime(), nullable=True),
    sa.Column("pin_position", sa.Integer(), nullable=True),
    # The chat's last message when it was archived (0: none); NULL: not archived.
    sa.Column("archived_up_to", Int64(), nullable=True),
    sa.Column("draft_text", sa.Text(), nullable=False),
    sa.Column("draft_reply_to_id", REF, nullable=True),
    sa.Column("draft_updated_at", UTCDateTime(), nullable=True),
    **MYSQL_TABLE,
)

# The message search index (migration 0010_search) is not in ``metadata``: each database
# has its own kind of table. MariaDB/MySQL: an InnoDB table with a FULLTEXT index on
# ``terms`` and a (chat_id, message_id) index for the newest messages of given chats;
# SQLite: an FTS5 virtual table (``rowid`` is the message id, ``chat_id`` is stored
# unindexed) with its shadow tables. ``terms`` holds text_search.document(text).
SEARCH_TABLE = "message_search"
message_search = sa.table(
    SEARCH_TABLE,
    sa.column("message_id", REF),
    sa.column("chat_id", REF),
    sa.column("terms", sa.Text),
)


audit_log = sa.Table(
    "audit_log",
    metadata,
    _id_column(),
    sa.Column("at", UTCDateTime(), nullable=False, index=True),
    sa.Column("action", EnumString(AuditAction, 32), nullable=False),
    # No foreign key: the log outlives what it tells of, and is pruned on its own.
    sa.Column("actor_id", REF, nullable=True),
    sa.Column("target_type", EnumString(AuditTarget, 16), nullable=True),
    sa.Column("target_id", key(TARGET_ID_MAX), nullable=True),
    sa.Column("address", key(64), nullable=True),
    sa.Column("detail", sa.String(DETAIL_MAX), nullable=False),
    # The console's filters, each newest first.
    sa.Index("ix_audit_log_actor_id", "actor_id", "id"),
    sa.Index("ix_audit_log_action", "action", "id"),
    **MYSQL_TABLE,
)


# Settings an administrator changed at run time (migration 0014), by key.
server_settings = sa.Table(
    "server_settings",
    metadata,
    sa.Column("key", key(64), primary_key=True),
    sa.Column("value", sa.String(1000), nullable=False),
    **MYSQL_TABLE,
)

invites = sa.Table(
    "invites",
    metadata,
    sa.Column("id", key(64), primary_key=True),
    # SHA-256 of the token (hex): the token itself is shown once and never stored.
    sa.Column("token_hash", key(64), nullable=False, unique=True),
    sa.Column("email", key(254), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    # No foreign key: an invite outlives the administrator who made it (None: the shell).
    sa.Column("created_by", REF, nullable=True),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
    sa.Column("uses", sa.Integer(), nullable=True),
    sa.Column("used", sa.Integer(), nullable=False),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
    # The console's list, newest first.
    sa.Index("ix_invites_created_at", "created_at", "id"),
    **MYSQL_TABLE,
)

password_resets = sa.Table(
    "password_resets",
    metadata,
    sa.Column("token_hash", key(64), primary_key=True),
    sa.Column("user_id", REF, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
    sa.Column("created_by", REF, nullable=True),
    sa.Column("used_at", UTCDateTime(), nullable=True),
    **MYSQL_TABLE,
)

# Members' reports of messages (migration 0016_moderation).
reports = sa.Table(
    "reports",
    metadata,
    _id_column(),
    sa.Column("message_id", REF, sa.ForeignKey("messages.id"), nullable=False),
    sa.Column("reporter_id", REF, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("reason", sa.String(REASON_MAX), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("resolution", EnumString(Resolution, 16), nullable=True),
    sa.Column("resolved_by", REF, nullable=True),
    sa.Column("resolved_at", UTCDateTime(), nullable=True),
    # "Has this member an open report of this message": one seek per report made.
    sa.Index(None, "message_id", "reporter_id"),
    **MYSQL_TABLE,
)


def in_declared_schema(name: str | None, type_: str) -> bool:
    """Whether Alembic's comparison covers a schema object: not the search index's tables
    (FTS5's shadow tables included) nor their indexes, which ``metadata`` cannot declare."""
    if type_ == "table" and name is not None and name.startswith(SEARCH_TABLE):
        return False
    return not (type_ == "index" and name is not None and name.startswith("ft_" + SEARCH_TABLE))


# Every table holding data, children first (the order in which to empty them).
DATA_TABLES = (
    SEARCH_TABLE,
    "audit_log",
    "server_settings",
    "invites",
    "password_resets",
    "reports",
    "chat_prefs",
    "contacts",
    "blocks",
    "privacy_settings",
    "user_settings",
    "themes",
    "refresh_tokens",
    "sessions",
    "message_attachments",
    "message_mentions",
    "message_edits",
    "hidden_messages",
    "pinned_messages",
    "message_reactions",
    "feed",
    "memberships",
    "messages",
    "files",
    "chats",
    "users",
)
