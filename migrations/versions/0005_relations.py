"""Contacts, blocks and privacy settings.

Revision ID: 0005_relations
Revises: 0004_images
Create Date: 2026-12-07

A user's contacts (with the local name only they see), who blocked whom, and each user's
privacy settings (a row only for users who changed theirs; none means the defaults).
Self-contained, like 0001.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0005_relations"
down_revision: str | None = "0004_images"
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


def _audience(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(16), nullable=False)


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("owner_id", sa.BigInteger(), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), primary_key=True),
        sa.Column("local_name", sa.String(100), nullable=True),
        sa.Column("created_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_contacts_owner_id_users"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_contacts_user_id_users"),
        **MYSQL,
    )
    op.create_index("ix_contacts_user_id", "contacts", ["user_id"])
    op.create_table(
        "blocks",
        sa.Column("blocker_id", sa.BigInteger(), primary_key=True),
        sa.Column("blocked_id", sa.BigInteger(), primary_key=True),
        sa.Column("created_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["blocker_id"], ["users.id"], name="fk_blocks_blocker_id_users"),
        sa.ForeignKeyConstraint(["blocked_id"], ["users.id"], name="fk_blocks_blocked_id_users"),
        **MYSQL,
    )
    op.create_index("ix_blocks_blocked_id", "blocks", ["blocked_id"])
    op.create_table(
        "privacy_settings",
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        _audience("last_seen"),
        _audience("online"),
        _audience("avatar"),
        _audience("bio"),
        _audience("birthdate"),
        _audience("email"),
        _audience("groups_add"),
        sa.Column("read_receipts", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_privacy_settings_user_id_users"
        ),
        **MYSQL,
    )


def downgrade() -> None:
    # Dropping a table drops its indexes (MySQL refuses to drop one a foreign key needs).
    op.drop_table("privacy_settings")
    op.drop_table("blocks")
    op.drop_table("contacts")
