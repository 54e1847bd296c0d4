"""An index on the time messages were posted, for the admin console's "messages today".

Revision ID: 0014_message_day_index
Revises: 0013_admin
Create Date: 2026-12-07

Counting today's messages then reads today's index entries, not the whole table; the
index grows at its right end only, as messages are posted in time order.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_message_day_index"
down_revision: str | None = "0013_admin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_messages_created_at", "messages", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_created_at", table_name="messages")
