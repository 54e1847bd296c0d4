"""Reactions: who reacted to which message with which emoji, and the counts on the message.

Revision ID: 0009_reactions
Revises: 0008_pins
Create Date: 2026-12-07

``message_reactions`` holds one row per (message, emoji, user); its emoji compares byte for
byte (``utf8mb4_bin``: the default collation would make different emoji equal).
``messages.reactions`` keeps the counts (``[[emoji, count], ...]``, NULL for none) in the
same transaction as the rows, so history shows them without a join. Feed rows of
``message_reactions`` name their message (``feed.message_id``) so that sync leaves out those
of messages the reader cleared or hid. Self-contained, like 0001.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0009_reactions"
down_revision: str | None = "0008_pins"
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


feed = sa.table("feed", sa.column("type", sa.String(32)))


def upgrade() -> None:
    op.add_column("messages", sa.Column("reactions", sa.Text(), nullable=True))
    op.create_table(
        "message_reactions",
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("emoji", _key(32), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_message_reactions_message_id_messages"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_message_reactions_user_id_users"
        ),
        sa.PrimaryKeyConstraint("message_id", "emoji", "user_id", name="pk_message_reactions"),
        **MYSQL,
    )
    op.create_index("ix_message_reactions_user_id", "message_reactions", ["user_id"])


def downgrade() -> None:
    # A server of before cannot read these feed rows: they go with the reactions.
    op.execute(feed.delete().where(feed.c.type == "message_reactions"))
    op.drop_table("message_reactions")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite (3.35+) drops a column in place; Alembic would copy the table, which the
        # foreign keys pointing at it forbid.
        op.execute("ALTER TABLE messages DROP COLUMN reactions")
    else:
        op.drop_column("messages", "reactions")
