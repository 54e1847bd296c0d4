"""Profiles gain a birthdate, a preset avatar and an avatar frame.

Revision ID: 0003_profile_fields
Revises: 0002
Create Date: 2026-12-07

The preset and the frame are ids of images the server ships (not files, not URLs), so a
renamed or removed preset leaves only a dangling id, which the server shows as no preset.
Self-contained, like 0001.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0003_profile_fields"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("birthdate", "avatar_preset", "avatar_frame")


def _key(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def upgrade() -> None:
    op.add_column("users", sa.Column("birthdate", sa.Date(), nullable=True))
    op.add_column("users", sa.Column("avatar_preset", _key(64), nullable=True))
    op.add_column("users", sa.Column("avatar_frame", _key(64), nullable=True))


def downgrade() -> None:
    for column in reversed(COLUMNS):
        if op.get_bind().dialect.name == "sqlite":
            # SQLite (3.35+) drops a column in place; Alembic would copy the table, which the
            # foreign keys pointing at users forbid.
            op.execute(f"ALTER TABLE users DROP COLUMN {column}")
        else:
            op.drop_column("users", column)
