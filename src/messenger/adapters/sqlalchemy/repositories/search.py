"""The message search index: InnoDB FULLTEXT on MariaDB/MySQL, FTS5 on SQLite.

Both hold one row per message with text: its chat and its marked terms
(``text_search.document``), and match ``text_search``'s query strings, so they find what
the in-memory index finds. The row goes with the message's own writes, in their
transaction; results are read joined with ``messages``, newest first, with every rule of
``MessageQuery`` in the statement (the reader's chats above their floors, not deleted, not
hidden by them, the filters). SQLite answers a page with one query; MariaDB with a few
(``find`` says why), and the final word check is ``text_search``'s own on the texts.
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

# How much of the reader's newest messages the MariaDB search reads by LIKE before it
# turns to the full-text index (see ``find``).
RECENT_ROWS = 1000  # of the reader's newest messages read by LIKE at first
MAX_WIDENING = 16  # the most the second window may be wider than the first
PROBE_IDS = 10_000  # the newest ids whose share of the reader's messages sizes the window
_BY_CHAT = "ix_message_search_chat_id_message_id"
_MESSAGES = select_entity(messages, Message, derived=Message.DERIVED)

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
    """The ``SearchIndex`` port over the unit of work's SQL session."""

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
        if not self._db.is_mysql:
            match = _FTS5_MATCH.bindparams(b_query=text_search.fts5(words))
            return _matching(words, await self._read(match, query, limit))
        # InnoDB's full-text search costs by the documents it matches, all of them before
        # any ORDER BY ... LIMIT: a word in a fifth of a million messages takes it over a
        # second. So the reader's newest messages are read first through the (chat, id)
        # index and matched by LIKE: a common word's newest page is there. Few matches
        # there say the word is rare enough for the full-text index to find the rest,
        # older than that window, quickly; some, that a wider window will do.
        top = query.below_id - 1 if query.below_id is not None else await self._newest()
        window = await self._window(query, top, RECENT_ROWS)
        low = top
        found: list[Message] = []
        for _ in range(2):
            high, low = low, max(0, low - window)
            recent = await self._recent(words, query, limit - len(found), low, high)
            found += _matching(words, recent)
            if len(found) >= limit or low == 0 or not recent:
                break
            # Some matches, short of a page: widen so as to expect the page twice over.
            window = min(window * MAX_WIDENING, window * -(-2 * limit // len(recent)))
        if len(found) >= limit or low == 0:
            return found[:limit]
        match = _MYSQL_MATCH.bindparams(b_query=text_search.boolean_mode(words))
        older = await self._read(match, query, limit - len(found), below=low + 1)
        return (found + _matching(words, older))[:limit]

    async def _window(self, query: MessageQuery, top: int, rows: int) -> int:
        """How many ids back from ``top`` hold about ``rows`` of the reader's messages,
        from how many the newest PROBE_IDS ids hold (counted in the index alone)."""
        probe = (
            sa.select(sa.func.count())
            .select_from(self._table)
            .where(
                self._chat.in_(sorted(query.floors)),
                self._id > top - PROBE_IDS,
                self._id <= top,
            )
            .with_hint(self._table, f"FORCE INDEX ({_BY_CHAT})")
        )
        seen = int((await self._db.read(probe)).scalar_one())
        # None among the newest: the reader's chats are quiet; look far back at once.
        return PROBE_IDS * rows // seen if seen else PROBE_IDS * rows

    async def _recent(
        self,
        words: Sequence[text_search.QueryWord],
        query: MessageQuery,
        limit: int,
        low: int,
        high: int,
    ) -> list[Message]:
        """Matches by LIKE among the reader's messages with ids in (low, high]."""
        within = sa.and_(self._id > low, self._id <= high, *self._like(words))
        return await self._read(within, query, limit, by_chat=True)

    async def _newest(self) -> int:
        newest = await self._db.read(sa.select(sa.func.max(self._id)))
        return int(newest.scalar_one() or 0)

    async def _read(
        self,
        match: sa.ColumnElement[bool] | sa.TextClause,
        query: MessageQuery,
        limit: int,
        *,
        below: int | None = None,
        by_chat: bool = False,
    ) -> list[Message]:
        stmt = (
            _MESSAGES.select_from(self._table.join(messages, messages.c.id == self._id))
            .where(match, *self._rules(query))
            .order_by(self._id.desc())
            .limit(limit)
        )
        if by_chat:
            # Left to itself MariaDB walks the primary key back from the newest id, through
            # every chat's rows: the reader's chats are a few ranges of this index.
            stmt = stmt.with_hint(self._table, f"FORCE INDEX ({_BY_CHAT})")
        if below is not None:
            stmt = stmt.where(self._id < below)
        return [Message(*r) for r in await self._db.read(stmt)]

    def _like(self, words: Sequence[text_search.QueryWord]) -> list[sa.ColumnElement[bool]]:
        # Terms are letters and digits only: nothing in a pattern is a wildcard but ours.
        padded = sa.func.concat(" ", message_search.c.terms, " ")
        mark = text_search.TERM_MARK
        rules: list[sa.ColumnElement[bool]] = []
        for q in words:
            if q.prefix:
                options = dict.fromkeys((q.stem, q.word))
                rules.append(sa.or_(*(padded.like(f"% {mark}{o}%") for o in options)))
            else:
                rules.append(padded.like(f"% {mark}{q.stem} %"))
        return rules

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


def _matching(words: Sequence[text_search.QueryWord], found: list[Message]) -> list[Message]:
    """The messages whose text matches exactly as ``text_search`` says: a database's own
    folding (MariaDB's collation, LIKE) may be looser than the analyzer."""
    return [m for m in found if text_search.matches(words, text_search.terms(m.text))]


__all__ = ["SqlAlchemySearchIndex"]
