"""The message search index: InnoDB FULLTEXT on MariaDB/MySQL, FTS5 on SQLite.

Both hold one row per message with text: its chat and its marked terms
(``text_search.document``), and match ``text_search``'s query strings, so they find what
the in-memory index finds. The row goes with the message's own writes, in their
transaction; results are read joined with ``messages``, newest first, with every rule of
``MessageQuery`` in the same statement (the reader's chats above their floors, not deleted,
not hidden by them, the filters), so a page is one query.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from messenger.adapters import text_search
from messenger.adapters.sqlalchemy.repositories.rows import select_entity
from messenger.adapters.sqlalchemy.session import SqlSession
from messenger.adapters.sqlalchemy.tables import (
    REF,
    SEARCH_TABLE,
    files,
    hidden_messages,
    message_attachments,
    message_search,
    messages,
)
from messenger.domain.model import Has, Message, MessageQuery

# SQLite's FTS5 table keys its rows by ``rowid``: the message id.
_fts5 = sa.table(SEARCH_TABLE, sa.column("rowid", REF), sa.column("chat_id", REF))
_MYSQL_MATCH = sa.text(f"MATCH ({SEARCH_TABLE}.terms) AGAINST (:b_query IN BOOLEAN MODE)")
_FTS5_MATCH = sa.text(f"{SEARCH_TABLE} MATCH :b_query")
_MYSQL_INSERT = sa.text(
    f"INSERT INTO {SEARCH_TABLE} (message_id, chat_id, terms) VALUES (:id, :chat_id, :terms)"
)
_FTS5_INSERT = sa.text(
    f"INSERT INTO {SEARCH_TABLE} (rowid, chat_id, terms) VALUES (:id, :chat_id, :terms)"
)


class SqlAlchemySearchIndex:
    def __init__(self, db: SqlSession) -> None:
        self._db = db
        table = message_search if db.is_mysql else _fts5
        self._id = table.c.message_id if db.is_mysql else table.c.rowid
        self._chat = table.c.chat_id
        self._table = table

    async def add_many(self, new: Sequence[Message]) -> None:
        rows = [
            {"id": m.id, "chat_id": m.chat_id, "terms": terms}
            for m in new
            if not m.deleted and (terms := text_search.document(m.text))
        ]
        if rows:
            # Executed with many rows: one multi-row INSERT on MariaDB (the driver rewrites
            # executemany), one prepared statement stepped per row on SQLite.
            await self._db.write(_MYSQL_INSERT if self._db.is_mysql else _FTS5_INSERT, rows)

    async def replace(self, message: Message) -> None:
        await self.remove([message.id])
        await self.add_many([message])

    async def remove(self, message_ids: Sequence[int]) -> None:
        if message_ids:
            await self._db.write(sa.delete(self._table).where(self._id.in_(list(message_ids))))

    async def find(self, query: MessageQuery, limit: int) -> list[Message]:
        words = text_search.parse(query.text)
        if not words or not query.floors or limit <= 0:
            return []
        if self._db.is_mysql:
            match = _MYSQL_MATCH.bindparams(b_query=text_search.boolean_mode(words))
        else:
            match = _FTS5_MATCH.bindparams(b_query=text_search.fts5(words))
        stmt = (
            select_entity(messages, Message)
            .select_from(self._table.join(messages, messages.c.id == self._id))
            .where(match, *self._rules(query))
            .order_by(self._id.desc())
            .limit(limit)
        )
        return [Message(*r) for r in await self._db.read(stmt)]

    def _rules(self, query: MessageQuery) -> list[sa.ColumnElement[bool]]:
        rules: list[sa.ColumnElement[bool]] = [
            self._chat.in_(sorted(query.floors)),
            messages.c.deleted_at.is_(None),
            ~sa.exists().where(
                hidden_messages.c.user_id == query.reader_id,
                hidden_messages.c.message_id == messages.c.id,
            ),
        ]
        # Most members never cleared a chat: only the chats with a floor cost a condition.
        rules += [
            sa.or_(self._chat != chat_id, self._id > floor)
            for chat_id, floor in sorted(query.floors.items())
            if floor > 0
        ]
        if query.below_id is not None:
            rules.append(self._id < query.below_id)
        if query.sender_id is not None:
            rules.append(messages.c.sender_id == query.sender_id)
        if query.sent_before is not None:
            rules.append(messages.c.created_at < query.sent_before)
        if query.sent_after is not None:
            rules.append(messages.c.created_at > query.sent_after)
        if query.has is Has.FILE:
            rules.append(messages.c.attachments.is_not(None))
        elif query.has is Has.IMAGE:
            rules.append(
                sa.exists()
                .select_from(
                    message_attachments.join(files, files.c.id == message_attachments.c.file_id)
                )
                .where(
                    message_attachments.c.message_id == messages.c.id, files.c.width.is_not(None)
                )
            )
        return rules

    def highlights(self, query: str, text: str) -> tuple[str, ...]:
        return tuple(text_search.highlights(text_search.parse(query), text))


__all__ = ["SqlAlchemySearchIndex"]
