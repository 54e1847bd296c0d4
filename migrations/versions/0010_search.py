"""Message search: the full-text index of messages' words.

Revision ID: 0010_search
Revises: 0009_reactions
Create Date: 2026-12-07

``message_search`` holds, per live message with text, its chat and its terms as
``messenger.adapters.text_search.document`` makes them (words and Snowball stems, marked
so that InnoDB's minimum token size and stopwords drop none). MariaDB/MySQL: an InnoDB
table with a FULLTEXT index; SQLite: an FTS5 virtual table keyed by the message id
(``rowid``). Neither is in the declared ``metadata`` (``tables.in_declared_schema``), so
Alembic's comparison leaves them alone. Messages stored before are indexed here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from messenger.adapters import text_search

revision: str = "0010_search"
down_revision: str | None = "0009_reactions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000

messages = sa.table(
    "messages",
    sa.column("id", sa.BigInteger()),
    sa.column("chat_id", sa.BigInteger()),
    sa.column("text", sa.Text()),
    sa.column("deleted_at", sa.DateTime()),
)


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _index_stored_messages() -> None:
    conn = op.get_bind()
    key = "rowid" if _is_sqlite() else "message_id"
    insert = sa.text(
        f"INSERT INTO message_search ({key}, chat_id, terms) VALUES (:id, :chat_id, :terms)"
    )
    after = 0
    while True:
        rows = conn.execute(
            sa.select(messages.c.id, messages.c.chat_id, messages.c.text)
            .where(messages.c.id > after, messages.c.deleted_at.is_(None))
            .order_by(messages.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        found = [
            {"id": r[0], "chat_id": r[1], "terms": terms}
            for r in rows
            if (terms := text_search.document(r[2]))
        ]
        if found:
            conn.execute(insert, found)
        after = rows[-1][0]


def upgrade() -> None:
    if _is_sqlite():
        # No tokenizer options: the terms are lowercased letters and digits already, and
        # unicode61 splits them exactly where text_search does.
        op.execute(
            "CREATE VIRTUAL TABLE message_search USING fts5("
            "terms, chat_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 0')"
        )
    else:
        op.execute(
            "CREATE TABLE message_search ("
            " message_id BIGINT NOT NULL PRIMARY KEY,"
            " chat_id BIGINT NOT NULL,"
            " terms TEXT NOT NULL,"
            " KEY ix_message_search_chat_id_message_id (chat_id, message_id),"
            " FULLTEXT KEY ft_message_search_terms (terms)"
            ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
        )
    _index_stored_messages()


def downgrade() -> None:
    op.execute("DROP TABLE message_search")
