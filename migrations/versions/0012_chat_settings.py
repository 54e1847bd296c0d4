"""Chat settings and drafts: what a user chose for a chat (muted, pinned, archived) and the
text they started there.

Revision ID: 0012_chat_settings
Revises: 0011_mentions
Create Date: 2026-12-07

Self-contained, like the others. ``chat_prefs`` has a row only where a user chose
something or keeps a draft; no row reads as the defaults. ``archived_up_to`` is the chat's
last message when it was archived: a newer message un-archives the chat (unless it came
while muted) without a write at post time (see ``messenger.domain.chat_prefs``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0012_chat_settings"
down_revision: str | None = "0011_mentions"
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
    op.create_table(
        "chat_prefs",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("muted_until", _time(), nullable=True),
        sa.Column("pin_position", sa.Integer(), nullable=True),
        sa.Column("archived_up_to", sa.BigInteger(), nullable=True),
        sa.Column("draft_text", sa.Text(), nullable=False),
        sa.Column("draft_reply_to_id", sa.BigInteger(), nullable=True),
        sa.Column("draft_updated_at", _time(), nullable=True),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name="fk_chat_prefs_chat_id_chats"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_chat_prefs_user_id_users"),
        sa.PrimaryKeyConstraint("chat_id", "user_id", name="pk_chat_prefs"),
        **MYSQL,
    )
    op.create_index("ix_chat_prefs_user_id", "chat_prefs", ["user_id"])


def downgrade() -> None:
    # Its index goes with it (MariaDB refuses to drop one a foreign key needs).
    op.drop_table("chat_prefs")
