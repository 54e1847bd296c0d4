"""Pinned messages, and forwards' sources.

Revision ID: 0008_pins
Revises: 0007_hygiene
Create Date: 2026-12-07

``pinned_messages`` holds the messages pinned in each chat (who pinned them and when);
``messages.forwarded_from`` the first source of a forwarded message (JSON: its author, when
they sent it, and its chat where the forward's audience may know it), NULL for the others.
Reply previews are read from the originals and need no column. Self-contained, like 0001.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0008_pins"
down_revision: str | None = "0007_hygiene"
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


def upgrade() -> None:
    op.add_column("messages", sa.Column("forwarded_from", sa.Text(), nullable=True))
    op.create_table(
        "pinned_messages",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("pinned_by", sa.BigInteger(), nullable=False),
        sa.Column("pinned_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name="fk_pinned_messages_chat_id_chats"),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_pinned_messages_message_id_messages"
        ),
        sa.ForeignKeyConstraint(
            ["pinned_by"], ["users.id"], name="fk_pinned_messages_pinned_by_users"
        ),
        sa.PrimaryKeyConstraint("chat_id", "message_id", name="pk_pinned_messages"),
        **MYSQL,
    )
    op.create_index("ix_pinned_messages_message_id", "pinned_messages", ["message_id"])


def downgrade() -> None:
    # Its index goes with it (MariaDB refuses to drop one a foreign key needs).
    op.drop_table("pinned_messages")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite (3.35+) drops a column in place; Alembic would copy the table, which the
        # foreign keys pointing at it forbid.
        op.execute("ALTER TABLE messages DROP COLUMN forwarded_from")
    else:
        op.drop_column("messages", "forwarded_from")
