"""Account and chat hygiene: deleted accounts, chats cleared and messages hidden "for me".

Revision ID: 0007_hygiene
Revises: 0006_themes
Create Date: 2026-12-07

``users.deleted_at`` marks a deleted account (its id stays, so its messages keep their
author) and ``users.erasing_messages`` a deletion whose erasure of the messages is not
finished yet (it runs in batches and resumes). ``memberships.cleared_up_to`` hides a chat's
messages up to an id from one member; ``hidden_messages`` hides single messages from one
user. Feed rows of edits and deletions now name their message (``feed.message_id`` and
``sender_id``, as posts did), so that sync can leave out those of hidden messages: rows
written before are filled in from their payload. Self-contained, like 0001.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0007_hygiene"
down_revision: str | None = "0006_themes"
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


feed = sa.table(
    "feed",
    sa.column("position", sa.BigInteger()),
    sa.column("type", sa.String(32)),
    sa.column("message_id", sa.BigInteger()),
    sa.column("sender_id", sa.BigInteger()),
    sa.column("payload", sa.Text()),
)
# Feed events of a message other than its post: their rows had no message id until now.
_CHANGES = ("message_updated", "message_deleted")
_BATCH = 1000


def _name_the_messages_of_old_feed_rows() -> None:
    conn = op.get_bind()
    after = 0
    while True:
        rows = conn.execute(
            sa.select(feed.c.position, feed.c.payload)
            .where(feed.c.type.in_(_CHANGES), feed.c.message_id.is_(None), feed.c.position > after)
            .order_by(feed.c.position)
            .limit(_BATCH)
        ).all()
        for position, payload in rows:
            message = json.loads(payload)["data"]["message"]
            conn.execute(
                feed.update()
                .where(feed.c.position == position)
                .values(message_id=message["id"], sender_id=message["sender_id"])
            )
        if len(rows) < _BATCH:
            return
        after = rows[-1][0]


def _drop_column(table: str, column: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite (3.35+) drops a column in place; Alembic would copy the table, which the
        # foreign keys pointing at it forbid.
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    else:
        op.drop_column(table, column)


def upgrade() -> None:
    op.add_column("users", sa.Column("deleted_at", _time(), nullable=True))
    op.add_column(
        "users",
        sa.Column("erasing_messages", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_users_erasing_messages", "users", ["erasing_messages"])
    op.add_column(
        "memberships",
        sa.Column("cleared_up_to", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.add_column(
        "memberships",
        sa.Column("has_hidden", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "hidden_messages",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_hidden_messages_user_id_users"),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_hidden_messages_message_id_messages"
        ),
        sa.PrimaryKeyConstraint("user_id", "message_id", name="pk_hidden_messages"),
        **MYSQL,
    )
    op.create_index("ix_hidden_messages_message_id", "hidden_messages", ["message_id"])
    _name_the_messages_of_old_feed_rows()


def downgrade() -> None:
    # Before, only posts named their message (delivery marks count those rows).
    op.execute(
        feed.update().where(feed.c.type.in_(_CHANGES)).values(message_id=None, sender_id=None)
    )
    # Its index goes with it (MariaDB refuses to drop one a foreign key needs).
    op.drop_table("hidden_messages")
    _drop_column("memberships", "has_hidden")
    _drop_column("memberships", "cleared_up_to")
    op.drop_index("ix_users_erasing_messages", table_name="users")
    _drop_column("users", "erasing_messages")
    _drop_column("users", "deleted_at")
