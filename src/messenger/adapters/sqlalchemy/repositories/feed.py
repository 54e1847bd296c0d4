"""The feed's reading side: what a user may see after a cursor (written by feed_writer.py)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from messenger.adapters.codec import decode_event, encode_event
from messenger.adapters.sqlalchemy.session import SqlSession
from messenger.adapters.sqlalchemy.tables import (
    REF,
    feed,
    feed_head,
    hidden_messages,
    memberships,
    messages,
)
from messenger.domain import events as ev
from messenger.domain.events import FeedEntry, MessageEdited, MessagePosted
from messenger.domain.model import Message, ReplyPreview

_CARRYING = (MessagePosted.type, MessageEdited.type)


def _feed_since(*, others_reads: bool) -> sa.Select[Any]:
    user_id = sa.bindparam("b_user_id", type_=REF)
    in_range: tuple[sa.ColumnElement[bool], ...] = (
        feed.c.position > sa.bindparam("b_position"),
        feed.c.position <= sa.bindparam("b_up_to"),
        # One's own delivery marks are told to the others only (their owner in
        # ``sender_id``; rows written before that have none and still reach everyone,
        # which clients ignore).
        sa.or_(
            feed.c.type != ev.MessagesDelivered.type,
            feed.c.sender_id.is_distinct_from(user_id),
        ),
    )
    if not others_reads:
        # Read marks carry their reader in ``sender_id`` (rows written before that have
        # none, and are left out too: the reader's own marks are in the REST reads).
        in_range += (sa.or_(feed.c.type != ev.MessagesRead.type, feed.c.sender_id == user_id),)
    # Two index-friendly halves: events of the user's chats from their joining position
    # (feed(chat_id, position)) and events about the user (feed(subject_user_id, ...)).
    of_my_chats = (
        sa.select(feed.c.position)
        .select_from(memberships.join(feed, feed.c.chat_id == memberships.c.chat_id))
        .where(
            memberships.c.user_id == user_id,
            feed.c.position >= memberships.c.joined_position,
            *in_range,
            # Rows of a message name it (other rows have none): those the user cleared or
            # hid for themself are not theirs to replay.
            sa.or_(
                feed.c.message_id.is_(None),
                sa.and_(
                    feed.c.message_id > memberships.c.cleared_up_to,
                    ~sa.exists().where(
                        hidden_messages.c.user_id == user_id,
                        hidden_messages.c.message_id == feed.c.message_id,
                    ),
                ),
            ),
        )
    )
    about_me = sa.select(feed.c.position).where(feed.c.subject_user_id == user_id, *in_range)
    visible = sa.union(of_my_chats, about_me).subquery()
    return (
        sa.select(feed.c.position, feed.c.payload)
        .join(visible, visible.c.position == feed.c.position)
        .order_by(feed.c.position)
        .limit(sa.bindparam("b_limit", type_=sa.Integer))
    )


_OLDEST = sa.select(
    sa.func.coalesce(
        sa.select(sa.func.min(feed.c.position)).scalar_subquery() - 1,
        sa.select(feed_head.c.position).where(feed_head.c.id == 1).scalar_subquery(),
    )
)
_FIRST_ROWS = (
    sa.select(feed.c.position, feed.c.created_at)
    .order_by(feed.c.position)
    .limit(sa.bindparam("b_limit", type_=sa.Integer))
)

_FEED_SINCE = _feed_since(others_reads=True)
_FEED_SINCE_OWN_READS = _feed_since(others_reads=False)


class SqlAlchemyFeedRepository:
    def __init__(self, db: SqlSession) -> None:
        self._db = db

    async def since(
        self, user_id: int, position: int, up_to: int, limit: int, *, others_reads: bool = True
    ) -> list[FeedEntry]:
        if limit <= 0 or up_to <= position:
            return []
        params = {"b_user_id": user_id, "b_position": position, "b_up_to": up_to, "b_limit": limit}
        stmt = _FEED_SINCE if others_reads else _FEED_SINCE_OWN_READS
        return [
            FeedEntry(position=int(position), event=decode_event(payload))
            for position, payload in await self._db.read(stmt, params)
        ]

    async def head(self) -> int:
        return await self._db.read_head()

    async def oldest(self) -> int:
        # Both from one statement, so that a feed pruned empty meanwhile cannot pair an old
        # minimum with a newer head. MIN of the primary key reads one index entry.
        return int((await self._db.read(_OLDEST)).scalar_one())

    async def prune(self, older_than: datetime, limit: int) -> int:
        # The start of the primary key, not a scan of created_at: positions are handed out
        # under the write lock with the time of their commit, so the old rows are the
        # first ones, and this reads ``limit`` rows whatever the feed's size (no index on
        # the time needed). Stopping at the first newer row keeps the feed a gap-free tail
        # even if clocks of two processes disagree a little.
        rows = list(await self._db.read(_FIRST_ROWS, {"b_limit": limit}))
        old = []
        for position, created_at in rows:
            if created_at >= older_than:
                break
            old.append(int(position))
        if not old:
            return 0
        # Apart from the unit's transaction and without the write lock: the rows are past
        # every reader's cursor-to-be and no writer touches them. By the listed keys: row
        # locks on those rows only, never a gap lock at the feed's end where writers insert
        # (a range delete could take one when it reaches the head).
        result = await self._db.write_apart(feed.delete().where(feed.c.position.in_(old)))
        # Another process pruning the same rows at once deleted them first: fewer went here.
        return int(result.rowcount)

    async def newest_posted(self, user_id: int, after: int, up_to: int) -> dict[int, int]:
        if up_to <= after:
            return {}
        stmt = (
            sa.select(feed.c.chat_id, sa.func.max(feed.c.message_id))
            .select_from(memberships.join(feed, feed.c.chat_id == memberships.c.chat_id))
            .where(
                memberships.c.user_id == user_id,
                feed.c.position > after,
                feed.c.position <= up_to,
                feed.c.position >= memberships.c.joined_position,
                # Edits and deletions name their message too; only posts deliver one.
                feed.c.type == MessagePosted.type,
                feed.c.sender_id != user_id,
            )
            .group_by(feed.c.chat_id)
        )
        return {int(r[0]): int(r[1]) for r in await self._db.read(stmt)}

    async def redact(self, message: Message) -> None:
        # Rare (an administrator's removal), so plain: the chat's index finds the rows.
        in_chat = feed.c.chat_id == message.chat_id
        for own in (MessagePosted(message=message), MessageEdited(message=message)):
            await self._db.write(
                feed.update()
                .where(in_chat, feed.c.message_id == message.id, feed.c.type == own.type)
                .values(payload=encode_event(own).decode())
            )
        replies = sa.select(messages.c.id).where(
            messages.c.chat_id == message.chat_id, messages.c.reply_to_id == message.id
        )
        stmt = sa.select(feed.c.position, feed.c.payload).where(
            in_chat, feed.c.type.in_(_CARRYING), feed.c.message_id.in_(replies)
        )
        tombstone = ReplyPreview(message.id, message.sender_id, "", True)
        for position, payload in list(await self._db.read(stmt)):
            event = decode_event(payload)
            if not isinstance(event, MessagePosted | MessageEdited):
                continue
            quoted = dataclasses.replace(event.message, reply_to=tombstone)
            await self._db.write(
                feed.update()
                .where(feed.c.position == position)
                .values(payload=encode_event(dataclasses.replace(event, message=quoted)).decode())
            )
