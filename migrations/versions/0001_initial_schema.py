"""Initial schema: users, chats, memberships, messages, the change feed, sessions, files.

Revision ID: 0001
Revises:
Create Date: 2026-05-01

Self-contained on purpose (no imports from the application): a migration must keep
producing the same schema however the code evolves. The types mirror
``messenger.adapters.sqlalchemy.tables``; the drift test keeps the two in step.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}


def _time() -> sa.types.TypeEngine[object]:
    # Naive UTC with microseconds.
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _key(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def _id() -> sa.Column[int]:
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    )


def upgrade() -> None:
    feed_head = op.create_table(
        "feed_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        **MYSQL,
    )
    # The one row every write transaction locks first; position 0 = an empty feed.
    op.bulk_insert(feed_head, [{"id": 1, "position": 0}])

    op.create_table(
        "users",
        _id(),
        sa.Column("username", _key(32), nullable=False),
        sa.Column("email", _key(254), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("avatar_url", sa.String(500), nullable=True),
        sa.Column("bio", sa.String(500), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("last_seen_at", _time(), nullable=True),
        sa.Column("delivered_cursor", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.UniqueConstraint("email", name="uq_users_email"),
        **MYSQL,
    )
    op.create_table(
        "chats",
        _id(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(100), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("last_activity_at", _time(), nullable=False),
        sa.Column("last_message_id", sa.BigInteger(), nullable=True),
        sa.Column("direct_key", _key(64), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name="fk_chats_created_by_users"),
        sa.UniqueConstraint("direct_key", name="uq_chats_direct_key"),
        **MYSQL,
    )
    op.create_table(
        "memberships",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("joined_at", _time(), nullable=False),
        sa.Column("joined_position", sa.BigInteger(), nullable=False),
        sa.Column("read_message_id", sa.BigInteger(), nullable=False),
        sa.Column("delivered_message_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name="fk_memberships_chat_id_chats"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_memberships_user_id_users"),
        **MYSQL,
    )
    op.create_index("ix_memberships_user_id", "memberships", ["user_id"])
    op.create_table(
        "messages",
        _id(),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("sender_id", sa.BigInteger(), nullable=False),
        sa.Column("client_id", _key(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("reply_to_id", sa.BigInteger(), nullable=True),
        sa.Column("attachments", sa.Text(), nullable=True),
        sa.Column("edited_at", _time(), nullable=True),
        sa.Column("deleted_at", _time(), nullable=True),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name="fk_messages_chat_id_chats"),
        sa.ForeignKeyConstraint(["sender_id"], ["users.id"], name="fk_messages_sender_id_users"),
        sa.UniqueConstraint("sender_id", "client_id", name="uq_messages_sender_id_client_id"),
        **MYSQL,
    )
    op.create_index("ix_messages_chat_id_id", "messages", ["chat_id", "id"])
    op.create_table(
        "message_edits",
        _id(),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("edited_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_message_edits_message_id_messages"
        ),
        **MYSQL,
    )
    op.create_index("ix_message_edits_message_id", "message_edits", ["message_id"])
    op.create_table(
        "message_attachments",
        sa.Column("file_id", _key(64), primary_key=True),
        sa.Column("message_id", sa.BigInteger(), primary_key=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_message_attachments_message_id_messages"
        ),
        **MYSQL,
    )
    op.create_index("ix_message_attachments_message_id", "message_attachments", ["message_id"])
    op.create_table(
        "feed",
        sa.Column("position", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("subject_user_id", sa.BigInteger(), nullable=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("sender_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "payload",
            sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.Column("created_at", _time(), nullable=False),
        **MYSQL,
    )
    op.create_index("ix_feed_chat_id_position", "feed", ["chat_id", "position"])
    op.create_index("ix_feed_subject_user_id_position", "feed", ["subject_user_id", "position"])
    op.create_table(
        "sessions",
        sa.Column("id", _key(64), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("device_name", sa.String(100), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("last_used_at", _time(), nullable=False),
        sa.Column("revoked_at", _time(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_sessions_user_id_users"),
        **MYSQL,
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", _key(64), primary_key=True),
        sa.Column("session_id", _key(64), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("used_at", _time(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name="fk_refresh_tokens_session_id_sessions"
        ),
        **MYSQL,
    )
    op.create_index("ix_refresh_tokens_session_id", "refresh_tokens", ["session_id"])
    op.create_table(
        "files",
        sa.Column("id", _key(64), primary_key=True),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("storage_key", _key(255), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_files_owner_id_users"),
        **MYSQL,
    )
    op.create_index("ix_files_owner_id", "files", ["owner_id"])


def downgrade() -> None:
    # Children first, so foreign keys never point at a dropped table.
    for table in (
        "files",
        "refresh_tokens",
        "sessions",
        "feed",
        "message_attachments",
        "message_edits",
        "messages",
        "memberships",
        "chats",
        "users",
        "feed_head",
    ):
        op.drop_table(table)
