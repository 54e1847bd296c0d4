"""Registration modes, invites and password-reset links.

Revision ID: 0015_registration
Revises: 0014_message_day_index
Create Date: 2026-12-07

Self-contained, like the others. ``server_settings`` holds what an administrator changed at
run time (the registration mode); invite and reset tokens are stored as their SHA-256 only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0015_registration"
down_revision: str | None = "0014_message_day_index"
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
    # Compared byte for byte on MySQL, as every key column is.
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def _ref() -> sa.types.TypeEngine[int]:
    return sa.BigInteger()


def upgrade() -> None:
    op.create_table(
        "server_settings",
        sa.Column("key", _key(64), primary_key=True),
        sa.Column("value", sa.String(1000), nullable=False),
        **MYSQL,
    )
    op.create_table(
        "invites",
        sa.Column("id", _key(64), primary_key=True),
        sa.Column("token_hash", _key(64), nullable=False),
        sa.Column("email", _key(254), nullable=True),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("created_by", _ref(), nullable=True),
        sa.Column("expires_at", _time(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=True),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("revoked_at", _time(), nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_invites_token_hash"),
        **MYSQL,
    )
    op.create_index("ix_invites_created_at", "invites", ["created_at", "id"])
    op.create_table(
        "password_resets",
        sa.Column("token_hash", _key(64), primary_key=True),
        sa.Column("user_id", _ref(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("expires_at", _time(), nullable=False),
        sa.Column("created_by", _ref(), nullable=True),
        sa.Column("used_at", _time(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_password_resets_user_id_users"),
        **MYSQL,
    )
    op.create_index("ix_password_resets_user_id", "password_resets", ["user_id"])


def downgrade() -> None:
    op.drop_table("password_resets")
    op.drop_table("invites")
    op.drop_table("server_settings")
