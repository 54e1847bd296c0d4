"""Themes and settings: users' own colour themes, and the theme and language they chose.

Revision ID: 0006_themes
Revises: 0005_relations
Create Date: 2026-12-07

Self-contained, like the others. ``user_settings`` has a row only for users who chose
something; no row reads as the defaults (the system theme and language).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0006_themes"
down_revision: str | None = "0005_relations"
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


def upgrade() -> None:
    op.create_table(
        "themes",
        sa.Column("id", _key(64), primary_key=True),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("colors", sa.Text(), nullable=False),
        sa.Column("background", _key(64), nullable=True),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_themes_owner_id_users"),
        **MYSQL,
    )
    op.create_index("ix_themes_owner_id_created_at", "themes", ["owner_id", "created_at"])
    op.create_table(
        "user_settings",
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("theme_id", _key(64), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_user_settings_user_id_users"),
        **MYSQL,
    )


def downgrade() -> None:
    # The index goes with its table (MariaDB refuses to drop it first: the foreign key on
    # owner_id uses it).
    op.drop_table("user_settings")
    op.drop_table("themes")
