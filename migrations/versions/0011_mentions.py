"""Mentions: who a message's text names with ``@username`` or ``@all``.

Revision ID: 0011_mentions
Revises: 0010_search
Create Date: 2026-12-07

``messages.mentions`` holds the ids a message mentions (a JSON array, NULL for none), so a
history page carries them without a join; ``message_mentions`` indexes them by user and
chat, which counts a user's unread mentions per chat and pages through them. Messages
written before mention nobody. Self-contained, like 0001.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_mentions"
down_revision: str | None = "0010_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}


def upgrade() -> None:
    op.add_column("messages", sa.Column("mentions", sa.Text(), nullable=True))
    op.create_table(
        "message_mentions",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_message_mentions_user_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_message_mentions_message_id_messages"
        ),
        sa.PrimaryKeyConstraint("user_id", "message_id", name="pk_message_mentions"),
        **MYSQL,
    )
    op.create_index("ix_message_mentions_message_id", "message_mentions", ["message_id"])
    op.create_index(
        "ix_message_mentions_user_id_chat_id_message_id",
        "message_mentions",
        ["user_id", "chat_id", "message_id"],
    )


def downgrade() -> None:
    # Its indexes go with it (MariaDB refuses to drop one a foreign key needs).
    op.drop_table("message_mentions")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite (3.35+) drops a column in place; Alembic would copy the table, which the
        # foreign keys pointing at it forbid.
        op.execute("ALTER TABLE messages DROP COLUMN mentions")
    else:
        op.drop_column("messages", "mentions")
