"""Messages, their edit history and the indexes of the files they carry and the users they
mention."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from messenger.adapters.sqlalchemy.repositories.rows import (
    duplicate_key,
    new_id,
    select_entity,
    values_of,
)
from messenger.adapters.sqlalchemy.session import SqlSession
from messenger.adapters.sqlalchemy.tables import (
    hidden_messages,
    memberships,
    message_attachments,
    message_edits,
    message_mentions,
    messages,
)
from messenger.domain.errors import Conflict
from messenger.domain.model import Message, MessageEdit

_MESSAGES = select_entity(messages, Message, derived=Message.DERIVED)
_NOT_WRITTEN = ("id", *Message.DERIVED)
_MESSAGE_INSERT = messages.insert()
# Executed with many rows, SQLAlchemy sends one multi-row INSERT ... RETURNING (MariaDB
# 10.5+, SQLite 3.35+) instead of a round trip per row.
_MESSAGE_INSERT_MANY = messages.insert().returning(messages.c.id)
_MESSAGE_GET = _MESSAGES.where(messages.c.id == sa.bindparam("b_id"))
_MESSAGE_BY_CLIENT_ID = _MESSAGES.where(
    messages.c.sender_id == sa.bindparam("b_sender_id"),
    messages.c.client_id == sa.bindparam("b_client_id"),
)
_EDITS_OF = (
    select_entity(message_edits, MessageEdit)
    .where(message_edits.c.message_id == sa.bindparam("b_message_id"))
    .order_by(message_edits.c.id)
)


def _history_page(*, before: bool, after: bool) -> sa.Select[Any]:
    # The page's ids from the (chat_id, id) index alone, then their rows: asked for whole
    # rows, MariaDB (10.11) reads the index by chat_id only and fetches the row of every
    # message from the chat's end down to ``before`` (0.4 s at 80,000 messages back,
    # bench/many_chats.py) instead of the 50 of the page. A derived table, because MariaDB
    # refuses LIMIT inside IN (subquery).
    ids = sa.select(messages.c.id).where(messages.c.chat_id == sa.bindparam("b_chat_id"))
    if before:
        ids = ids.where(messages.c.id < sa.bindparam("b_before"))
    if after:
        ids = ids.where(messages.c.id > sa.bindparam("b_after"))
    order = messages.c.id if after else messages.c.id.desc()
    page = ids.order_by(order).limit(sa.bindparam("b_limit", type_=sa.Integer)).subquery()
    return _MESSAGES.join_from(messages, page, messages.c.id == page.c.id).order_by(order)


def _mentions_page(*, before: bool, after: bool) -> sa.Select[Any]:
    mentioned = sa.select(message_mentions.c.message_id).where(
        message_mentions.c.user_id == sa.bindparam("b_user_id"),
        message_mentions.c.chat_id == sa.bindparam("b_chat_id"),
    )
    if before:
        mentioned = mentioned.where(message_mentions.c.message_id < sa.bindparam("b_before"))
    if after:
        mentioned = mentioned.where(message_mentions.c.message_id > sa.bindparam("b_after"))
        mentioned = mentioned.order_by(message_mentions.c.message_id)
    else:
        mentioned = mentioned.order_by(message_mentions.c.message_id.desc())
    # The page's ids come from the (user, chat, message) index alone; a derived table,
    # because MariaDB refuses LIMIT inside IN (subquery).
    ids = mentioned.limit(sa.bindparam("b_limit", type_=sa.Integer)).subquery()
    return _MESSAGES.join_from(messages, ids, messages.c.id == ids.c.message_id).order_by(
        messages.c.id
    )


_MENTIONS_PAGES = {
    (before, after): _mentions_page(before=before, after=after)
    for before in (False, True)
    for after in (False, True)
}

# Keeps a query's bound values well under SQLite's limit (999 in old builds).
_PAIRS_PER_QUERY = 400

# Keyed by (before given, after given).
_HISTORY_PAGES = {
    (before, after): _history_page(before=before, after=after)
    for before in (False, True)
    for after in (False, True)
}


def _new_values(message: Message) -> dict[str, Any]:
    return values_of(message, without=_NOT_WRITTEN)


def _mention_rows(message: Message) -> list[dict[str, int]]:
    return [
        {"user_id": u, "message_id": message.id, "chat_id": message.chat_id}
        for u in message.mentions
    ]


class SqlAlchemyMessageRepository:
    def __init__(self, db: SqlSession) -> None:
        self._db = db

    async def add(self, message: Message) -> Message:
        try:
            result = await self._db.write(_MESSAGE_INSERT, _new_values(message))
        except sa.exc.IntegrityError as exc:
            if duplicate_key(exc) is None:
                raise
            raise Conflict("Duplicate client id.") from exc
        stored = dataclasses.replace(message, id=new_id(result))
        if stored.attachments:
            await self._index_attachments(stored, fresh=True)
        if stored.mentions:
            await self._db.write(message_mentions.insert(), _mention_rows(stored))
        return stored

    async def add_many(self, new: Sequence[Message]) -> list[Message]:
        if len(new) <= 1:
            return [await self.add(m) for m in new]
        try:
            result = await self._db.write(_MESSAGE_INSERT_MANY, [_new_values(m) for m in new])
        except sa.exc.IntegrityError as exc:
            if duplicate_key(exc) is None:
                raise
            raise Conflict("Duplicate client id.") from exc
        # One statement (or a few, in order) under the write lock hands out ascending ids in
        # row order on both databases; RETURNING itself promises no order, so sort.
        ids = sorted(int(r[0]) for r in result)
        stored = [dataclasses.replace(m, id=i) for m, i in zip(new, ids, strict=True)]
        index = [
            {"file_id": f, "message_id": m.id}
            for m in stored
            for f in dict.fromkeys(a.id for a in m.attachments)
        ]
        if index:
            await self._db.write(message_attachments.insert(), index)
        mentioned = [row for m in stored for row in _mention_rows(m)]
        if mentioned:
            await self._db.write(message_mentions.insert(), mentioned)
        return stored

    async def _index_attachments(self, message: Message, *, fresh: bool = False) -> None:
        # The index follows the message: an edit or a delete drops files no longer attached.
        if not fresh:
            await self._db.write(
                message_attachments.delete().where(message_attachments.c.message_id == message.id)
            )
        file_ids = list(dict.fromkeys(a.id for a in message.attachments))
        if file_ids:
            await self._db.write(
                message_attachments.insert(),
                [{"file_id": f, "message_id": message.id} for f in file_ids],
            )

    async def get(self, message_id: int) -> Message | None:
        row = (await self._db.read(_MESSAGE_GET, {"b_id": message_id})).first()
        return Message(*row) if row else None

    async def get_many(self, message_ids: Iterable[int]) -> dict[int, Message]:
        wanted = sorted(set(message_ids))
        if not wanted:
            return {}
        if len(wanted) == 1:
            message = await self.get(wanted[0])
            return {message.id: message} if message else {}
        stmt = _MESSAGES.where(messages.c.id.in_(wanted))
        return {m.id: m for m in (Message(*r) for r in await self._db.read(stmt))}

    async def hidden_from_some(self, message_ids: Iterable[int]) -> set[int]:
        wanted = sorted(set(message_ids))
        if not wanted:
            return set()
        # A member cleared past the message, or hid it: both are per member of its chat.
        cleared = sa.exists().where(
            memberships.c.chat_id == messages.c.chat_id,
            memberships.c.cleared_up_to >= messages.c.id,
        )
        hidden = sa.exists().where(
            hidden_messages.c.message_id == messages.c.id,
            memberships.c.chat_id == messages.c.chat_id,
            memberships.c.user_id == hidden_messages.c.user_id,
        )
        stmt = sa.select(messages.c.id).where(messages.c.id.in_(wanted), sa.or_(cleared, hidden))
        return {int(r[0]) for r in await self._db.read(stmt)}

    async def by_client_id(self, sender_id: int, client_id: str) -> Message | None:
        params = {"b_sender_id": sender_id, "b_client_id": client_id}
        row = (await self._db.read(_MESSAGE_BY_CLIENT_ID, params)).first()
        return Message(*row) if row else None

    async def by_client_ids(
        self, pairs: Sequence[tuple[int, str]]
    ) -> dict[tuple[int, str], Message]:
        wanted = set(pairs)
        if len(wanted) == 1:
            # A lone post (no queue): the prebuilt statement, not IN lists rendered anew.
            [(sender_id, client_id)] = wanted
            message = await self.by_client_id(sender_id, client_id)
            return {(sender_id, client_id): message} if message else {}
        found: dict[tuple[int, str], Message] = {}
        ordered = sorted(wanted)
        for start in range(0, len(ordered), _PAIRS_PER_QUERY):
            chunk = ordered[start : start + _PAIRS_PER_QUERY]
            # Two plain IN lists are a range on the (sender_id, client_id) unique index on
            # both databases; the few cross combinations they also match are dropped below.
            stmt = _MESSAGES.where(
                messages.c.sender_id.in_({s for s, _ in chunk}),
                messages.c.client_id.in_({c for _, c in chunk}),
            )
            for r in await self._db.read(stmt):
                message = Message(*r)
                pair = (message.sender_id, message.client_id)
                if pair in wanted:
                    found[pair] = message
        return found

    async def update(self, message: Message) -> None:
        stmt = messages.update().where(messages.c.id == message.id)
        await self._db.write(stmt.values(_new_values(message)))
        await self._index_attachments(message)
        # The index follows the text: a mention edited away, or a deleted message, leaves it.
        await self._db.write(
            message_mentions.delete().where(message_mentions.c.message_id == message.id)
        )
        if message.mentions:
            await self._db.write(message_mentions.insert(), _mention_rows(message))

    async def add_edit(self, edit: MessageEdit) -> None:
        await self._db.write(message_edits.insert().values(values_of(edit)))

    async def edits_of(self, message_id: int) -> list[MessageEdit]:
        rows = await self._db.read(_EDITS_OF, {"b_message_id": message_id})
        return [MessageEdit(*r) for r in rows]

    async def forget_edits(self, message_id: int) -> None:
        await self._db.write(message_edits.delete().where(message_edits.c.message_id == message_id))

    async def page(
        self, chat_id: int, *, before: int | None, after: int | None, limit: int
    ) -> list[Message]:
        if limit <= 0:
            return []
        stmt = _HISTORY_PAGES[before is not None, after is not None]
        params = {"b_chat_id": chat_id, "b_before": before, "b_after": after, "b_limit": limit}
        rows = (await self._db.read(stmt, params)).all()
        # Without ``after`` the page was read newest first.
        ordered = rows if after is not None else reversed(rows)
        return [Message(*r) for r in ordered]

    async def last_of_chats(self, chat_ids: Sequence[int]) -> dict[int, Message]:
        if not chat_ids:
            return {}
        newest = (
            sa.select(sa.func.max(messages.c.id))
            .where(messages.c.chat_id.in_(list(chat_ids)))
            .group_by(messages.c.chat_id)
        )
        stmt = _MESSAGES.where(messages.c.id.in_(newest.scalar_subquery()))
        found = (Message(*r) for r in await self._db.read(stmt))
        return {m.chat_id: m for m in found}

    async def count_unread(self, watermarks: dict[int, int], reader_id: int) -> dict[int, int]:
        result = dict.fromkeys(watermarks, 0)
        if not watermarks:
            return result
        stmt = (
            sa.select(messages.c.chat_id, sa.func.count())
            .where(
                sa.or_(
                    *(
                        sa.and_(messages.c.chat_id == chat_id, messages.c.id > watermark)
                        for chat_id, watermark in watermarks.items()
                    )
                ),
                messages.c.sender_id != reader_id,
                messages.c.deleted_at.is_(None),
                ~sa.exists().where(
                    hidden_messages.c.user_id == reader_id,
                    hidden_messages.c.message_id == messages.c.id,
                ),
            )
            .group_by(messages.c.chat_id)
        )
        for row in await self._db.read(stmt):
            result[int(row[0])] = int(row[1])
        return result

    async def count_unread_mentions(
        self, watermarks: dict[int, int], reader_id: int
    ) -> dict[int, int]:
        result = dict.fromkeys(watermarks, 0)
        if not watermarks:
            return result
        mm = message_mentions
        # Only the index is read: the rows of a deleted message are gone with its mentions.
        stmt = (
            sa.select(mm.c.chat_id, sa.func.count())
            .where(
                mm.c.user_id == reader_id,
                sa.or_(
                    *(
                        sa.and_(mm.c.chat_id == chat_id, mm.c.message_id > watermark)
                        for chat_id, watermark in watermarks.items()
                    )
                ),
                ~sa.exists().where(
                    hidden_messages.c.user_id == reader_id,
                    hidden_messages.c.message_id == mm.c.message_id,
                ),
            )
            .group_by(mm.c.chat_id)
        )
        for row in await self._db.read(stmt):
            result[int(row[0])] = int(row[1])
        return result

    async def mentioning(
        self, user_id: int, chat_id: int, *, before: int | None, after: int | None, limit: int
    ) -> list[Message]:
        if limit <= 0:
            return []
        stmt = _MENTIONS_PAGES[before is not None, after is not None]
        params = {
            "b_user_id": user_id,
            "b_chat_id": chat_id,
            "b_before": before,
            "b_after": after,
            "b_limit": limit,
        }
        return [Message(*r) for r in await self._db.read(stmt, params)]

    async def hide(self, user_id: int, message_id: int) -> None:
        # Under the write lock: nobody can hide the same message between the look and the
        # insert.
        if not await self.hidden_among(user_id, [message_id]):
            await self._db.write(
                hidden_messages.insert().values(user_id=user_id, message_id=message_id)
            )

    async def hidden_among(self, user_id: int, message_ids: Sequence[int]) -> set[int]:
        wanted = sorted(set(message_ids))
        if not wanted:
            return set()
        stmt = sa.select(hidden_messages.c.message_id).where(
            hidden_messages.c.user_id == user_id, hidden_messages.c.message_id.in_(wanted)
        )
        return {int(r[0]) for r in await self._db.read(stmt)}

    async def hiders(self, message_ids: Sequence[int]) -> dict[int, set[int]]:
        wanted = sorted(set(message_ids))
        if not wanted:
            return {}
        stmt = sa.select(hidden_messages.c.message_id, hidden_messages.c.user_id).where(
            hidden_messages.c.message_id.in_(wanted)
        )
        result: dict[int, set[int]] = {}
        for message_id, user_id in await self._db.read(stmt):
            result.setdefault(int(message_id), set()).add(int(user_id))
        return result

    async def update_reactions(self, message: Message) -> None:
        stmt = messages.update().where(messages.c.id == message.id)
        await self._db.write(stmt.values(reactions=message.reactions))

    async def live_of_sender(self, sender_id: int, limit: int) -> list[Message]:
        stmt = (
            _MESSAGES.where(messages.c.sender_id == sender_id, messages.c.deleted_at.is_(None))
            .order_by(messages.c.id)
            .limit(limit)
        )
        return [Message(*r) for r in await self._db.read(stmt)]

    async def count_since(self, since: datetime) -> int:
        # An index range scan (``ix_messages_created_at``, migration 0014): today's rows only.
        stmt = (
            sa.select(sa.func.count()).select_from(messages).where(messages.c.created_at >= since)
        )
        return int((await self._db.read(stmt)).scalar_one())
