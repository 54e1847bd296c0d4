"""Avatars are files of the server's own: users.avatar_url becomes users.avatar_file_id.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07

Any URL could be an avatar, so an image from elsewhere told its host whenever someone looked
at the profile. Now an avatar is a file its user uploaded, and clients get its URL. An
avatar that was such a file (``.../api/v1/files/<id>``, the uploader's own) is kept; any
other is dropped. Self-contained, like 0001.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILES_PATH = "/api/v1/files/"


def _key(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb"
    )


users = sa.table(
    "users",
    sa.column("id", sa.BigInteger()),
    sa.column("avatar_url", sa.String(500)),
    sa.column("avatar_file_id", _key(64)),
)
files = sa.table("files", sa.column("id", _key(64)), sa.column("owner_id", sa.BigInteger()))


def _drop_column(table: str, column: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite (3.35+) drops a column in place; Alembic would copy the table, which the
        # foreign keys pointing at users forbid.
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    else:
        op.drop_column(table, column)


def upgrade() -> None:
    op.add_column("users", sa.Column("avatar_file_id", _key(64), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(users.c.id, users.c.avatar_url).where(users.c.avatar_url.like(f"%{FILES_PATH}%"))
    ).all()
    for user_id, url in rows:
        file_id = url.rsplit(FILES_PATH, 1)[1]
        own = sa.select(files.c.id).where(files.c.id == file_id, files.c.owner_id == user_id)
        if conn.execute(own).first() is not None:
            conn.execute(users.update().where(users.c.id == user_id).values(avatar_file_id=file_id))
    _drop_column("users", "avatar_url")


def downgrade() -> None:
    op.add_column("users", sa.Column("avatar_url", sa.String(500), nullable=True))
    conn = op.get_bind()
    conn.execute(
        users.update()
        .where(users.c.avatar_file_id.is_not(None))
        .values(avatar_url=sa.literal(FILES_PATH) + users.c.avatar_file_id)
    )
    _drop_column("users", "avatar_file_id")
