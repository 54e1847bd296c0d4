"""Images: files record their size in pixels, what they are for, and their smaller variant.

Revision ID: 0004_images
Revises: 0002
Create Date: 2026-12-07

An image upload gets a thumbnail, and an avatar is two files the server encoded (512 and
96 px). Both are rows of ``files``: ``kind`` says which (``upload`` for every row of
before), ``thumbnail_id`` names the smaller variant of a file, ``width``/``height`` are an
image's size (NULL for anything else, as for every row of before: those stay plain files).
Self-contained, like 0001.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0004_images"
down_revision: str | None = "0003_profile_fields"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("width", "height", "kind", "thumbnail_id")


def _key(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def upgrade() -> None:
    op.add_column("files", sa.Column("width", sa.Integer(), nullable=True))
    op.add_column("files", sa.Column("height", sa.Integer(), nullable=True))
    op.add_column(
        "files", sa.Column("kind", sa.String(16), nullable=False, server_default="upload")
    )
    op.add_column("files", sa.Column("thumbnail_id", _key(64), nullable=True))
    op.create_index("ix_files_thumbnail_id", "files", ["thumbnail_id"])


def downgrade() -> None:
    op.drop_index("ix_files_thumbnail_id", table_name="files")
    # The variants were made from other files; without these columns nothing says so, and
    # the sweep of unattached uploads would take them for uploads: they go now.
    op.execute("DELETE FROM files WHERE kind <> 'upload' AND kind <> 'avatar'")
    for column in _COLUMNS:
        if op.get_bind().dialect.name == "sqlite":
            # SQLite (3.35+) drops a column in place; Alembic would copy the table, which the
            # foreign keys pointing at files' owners forbid (as in 0002).
            op.execute(f"ALTER TABLE files DROP COLUMN {column}")
        else:
            op.drop_column("files", column)
