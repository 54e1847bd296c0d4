"""Memberships: who is in which chat, with their role and read/delivered watermarks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from messenger.adapters.sqlalchemy.repositories.rows import duplicate_key, select_entity, values_of
from messenger.adapters.sqlalchemy.session import SqlSession
from messenger.adapters.sqlalchemy.tables import (
    INT64_MAX,
    INT64_MIN,
    chat_prefs,
    chats,
    memberships,
)
from messenger.domain.chat_list import PINNED, UNPINNED, ListedChat, chat_list_order
from messenger.domain.chat_prefs import ChatPrefs
from messenger.domain.errors import Conflict
from messenger.domain.model import Chat, Membership
from messenger.domain.paging import Key, micros

_MEMBERSHIPS = select_entity(memberships, Membership)
# Built once: an alias builds proxies for all its columns, which cost more than the rest of
# the query (about 0.24 ms per call), and this query runs on every socket's ``ready``.
_MINE = memberships.alias("mine")
_OTHER = memberships.alias("other")

_MEMBERSHIP_GET = _MEMBERSHIPS.where(
    memberships.c.chat_id == sa.bindparam("b_chat_id"),
    memberships.c.user_id == sa.bindparam("b_user_id"),
)
_MEMBER_IDS = sa.select(memberships.c.user_id).where(
    memberships.c.chat_id == sa.bindparam("b_chat_id")
)
# A post's recipients and who of them keeps a draft in the chat, in the one query a post
# would make anyway: the draft's row (rare) joins by its primary key.
_MEMBER_IDS_WITH_DRAFTS = (
    sa.select(memberships.c.user_id, chat_prefs.c.draft_updated_at.is_not(None))
    .select_from(
        memberships.outerjoin(
            chat_prefs,
            sa.and_(
                chat_prefs.c.chat_id == memberships.c.chat_id,
                chat_prefs.c.user_id == memberships.c.user_id,
            ),
        )
    )
    .where(memberships.c.chat_id == sa.bindparam("b_chat_id"))
)
_MEMBERS_OF_CHAT = _MEMBERSHIPS.where(memberships.c.chat_id == sa.bindparam("b_chat_id")).order_by(
    memberships.c.user_id
)
_KEY = ("chat_id", "user_id")

# --- the chat list (domain.chat_list): a page picked and sorted by the database ----------
# The user's memberships join their chat and the user's prefs by primary key; the database
# sorts those few thousand short rows (ids and sort keys only, in a derived table: whole
# rows, a TEXT draft among them, sorted three times slower in MariaDB) and reads only the
# page's rows whole, which the list's own key orders here. Sorting every chat here cost
# 150-200 ms for 2,000 chats, most of it decoding rows.
_LISTED_ENTITIES = ((memberships, Membership), (chats, Chat), (chat_prefs, ChatPrefs))
_LISTED_PARTS = [select_entity(t, e).selected_columns for t, e in _LISTED_ENTITIES]
_LISTED_COLUMNS = [column for part in _LISTED_PARTS for column in part]
_CHAT_AT = len(_LISTED_PARTS[0])
_PREFS_AT = _CHAT_AT + len(_LISTED_PARTS[1])
_JOINED = memberships.join(chats, chats.c.id == memberships.c.chat_id).outerjoin(
    chat_prefs,
    sa.and_(
        chat_prefs.c.chat_id == memberships.c.chat_id,
        chat_prefs.c.user_id == memberships.c.user_id,
    ),
)
_PAGE_IDS = sa.select(memberships.c.chat_id).select_from(_JOINED)
# ChatPrefs.archived, NULL-safe (no prefs row: every column NULL, not archived).
_LAST_MESSAGE = sa.func.coalesce(chats.c.last_message_id, 0)
_ARCHIVED = sa.and_(
    chat_prefs.c.archived_up_to.is_not(None),
    sa.or_(
        chat_prefs.c.archived_up_to >= _LAST_MESSAGE,
        sa.and_(
            chat_prefs.c.muted_until.is_not(None),
            chats.c.last_activity_at < chat_prefs.c.muted_until,
        ),
    ),
)
_NOT_ARCHIVED = sa.or_(
    chat_prefs.c.archived_up_to.is_(None),
    sa.and_(
        chat_prefs.c.archived_up_to < _LAST_MESSAGE,
        sa.or_(
            chat_prefs.c.muted_until.is_(None),
            chats.c.last_activity_at >= chat_prefs.c.muted_until,
        ),
    ),
)
_PINNED = chat_prefs.c.pin_position.is_not(None)
_UNPINNED = chat_prefs.c.pin_position.is_(None)
_BY_ACTIVITY = (chats.c.last_activity_at.desc(), chats.c.id.desc())
_BY_PIN = (chat_prefs.c.pin_position.asc(), chats.c.id.desc())
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROS_MIN = micros(datetime.min.replace(tzinfo=UTC))
_MICROS_MAX = micros(datetime.max.replace(tzinfo=UTC))


def _clamp(value: int) -> int:
    return min(max(value, INT64_MIN), INT64_MAX)


def _active_before(at_micros: int, chat_id: int) -> sa.ColumnElement[bool] | None:
    """(last activity in microseconds, id) < (at_micros, chat_id), as the key compares them;
    None: no chat is (a cursor's time before any a datetime holds)."""
    if at_micros > _MICROS_MAX:
        return sa.true()
    if at_micros < _MICROS_MIN:
        return None
    at = _EPOCH + timedelta(microseconds=at_micros)
    return sa.or_(
        chats.c.last_activity_at < at,
        sa.and_(chats.c.last_activity_at == at, chats.c.id < chat_id),
    )


def _pinned_after(minus_position: int, chat_id: int) -> sa.ColumnElement[bool]:
    """(-pin position, id) < (minus_position, chat_id), as the key compares them."""
    position = _clamp(-minus_position)
    return sa.or_(
        chat_prefs.c.pin_position > position,
        sa.and_(chat_prefs.c.pin_position == position, chats.c.id < chat_id),
    )


def _page_ids(
    *conditions: sa.ColumnElement[bool] | None,
    order: tuple[sa.UnaryExpression[object], ...],
    limit: int,
) -> sa.Select[tuple[int]]:
    """The ids of the first ``limit`` of the user's chats that meet ``conditions``, in
    ``order`` (a derived table: SQLite takes no LIMIT in a bare member of a UNION)."""
    first = (
        _PAGE_IDS.where(*(c for c in conditions if c is not None))
        .order_by(*order)
        .limit(limit)
        .subquery()
    )
    return sa.select(first.c.chat_id)


def _key(chat_id: int, user_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(memberships.c.chat_id == chat_id, memberships.c.user_id == user_id)


class SqlAlchemyMembershipRepository:
    def __init__(self, db: SqlSession) -> None:
        self._db = db

    async def add(self, membership: Membership) -> None:
        try:
            await self._db.write(memberships.insert().values(values_of(membership)))
        except sa.exc.IntegrityError as exc:
            if duplicate_key(exc) is None:
                raise
            raise Conflict("Already a member.") from exc

    async def get(self, chat_id: int, user_id: int) -> Membership | None:
        params = {"b_chat_id": chat_id, "b_user_id": user_id}
        row = (await self._db.read(_MEMBERSHIP_GET, params)).first()
        return Membership(*row) if row else None

    async def update(self, membership: Membership) -> None:
        stmt = (
            memberships.update()
            .where(_key(membership.chat_id, membership.user_id))
            .values(values_of(membership, without=_KEY))
        )
        await self._db.write(stmt)

    async def remove(self, chat_id: int, user_id: int) -> None:
        await self._db.write(memberships.delete().where(_key(chat_id, user_id)))

    async def member_ids(self, chat_id: int) -> frozenset[int]:
        rows = await self._db.read(_MEMBER_IDS, {"b_chat_id": chat_id})
        return frozenset(int(r[0]) for r in rows)

    async def member_ids_with_drafts(self, chat_id: int) -> tuple[frozenset[int], frozenset[int]]:
        rows = (await self._db.read(_MEMBER_IDS_WITH_DRAFTS, {"b_chat_id": chat_id})).all()
        members = frozenset(int(r[0]) for r in rows)
        return members, frozenset(int(r[0]) for r in rows if r[1])

    async def of_chat(self, chat_id: int) -> list[Membership]:
        return await self.of_chats([chat_id])

    async def of_user(self, user_id: int) -> list[Membership]:
        stmt = _MEMBERSHIPS.where(memberships.c.user_id == user_id).order_by(memberships.c.chat_id)
        return [Membership(*r) for r in await self._db.read(stmt)]

    async def chat_list(
        self, user_id: int, *, archived: bool, after: Key | None, limit: int
    ) -> list[ListedChat]:
        mine = memberships.c.user_id == user_id
        parts: list[sa.Select[tuple[int]]] = []
        if archived:
            # Archived chats go by activity alone: the key is (activity, id).
            where = None if after is None else _active_before(int(after[0]), int(after[1]))
            if after is None or where is not None:
                parts.append(_page_ids(mine, _ARCHIVED, where, order=_BY_ACTIVITY, limit=limit))
        else:
            # The key is (PINNED, -position, id) or (UNPINNED, activity, id): up to a page of
            # the pinned chats that follow the key and one of the others, in one query.
            kind, first, chat_id = (PINNED + 1, 0, 0) if after is None else (int(p) for p in after)
            if kind >= PINNED:
                where = _pinned_after(first, chat_id) if kind == PINNED else None
                parts.append(
                    _page_ids(mine, _NOT_ARCHIVED, _PINNED, where, order=_BY_PIN, limit=limit)
                )
            where = _active_before(first, chat_id) if kind == UNPINNED else None
            if kind > UNPINNED or (kind == UNPINNED and where is not None):
                parts.append(
                    _page_ids(
                        mine, _NOT_ARCHIVED, _UNPINNED, where, order=_BY_ACTIVITY, limit=limit
                    )
                )
        if not parts:
            return []
        ids = parts[0] if len(parts) == 1 else sa.union_all(*parts)
        page = ids.subquery("page")
        stmt = (
            sa.select(*_LISTED_COLUMNS)
            .select_from(sa.join(page, _JOINED, memberships.c.chat_id == page.c.chat_id))
            .where(mine)
        )
        listed = [
            ListedChat(
                Membership(*row[:_CHAT_AT]),
                Chat(*row[_CHAT_AT:_PREFS_AT]),
                None if row[_PREFS_AT] is None else ChatPrefs(*row[_PREFS_AT:]),
            )
            for row in await self._db.read(stmt)
        ]
        # At most two pages' worth: the list's own key puts them in order.
        listed.sort(key=chat_list_order(archived).key, reverse=True)
        return listed[:limit]

    async def of_chats(self, chat_ids: Iterable[int]) -> list[Membership]:
        wanted = sorted(set(chat_ids))
        if not wanted:
            return []
        if len(wanted) == 1:
            # One chat (every post's recipients) with "=": an IN list is re-rendered into the
            # SQL on each execution, which took ~70 us more per call.
            rows = await self._db.read(_MEMBERS_OF_CHAT, {"b_chat_id": wanted[0]})
            return [Membership(*r) for r in rows]
        stmt = _MEMBERSHIPS.where(memberships.c.chat_id.in_(wanted)).order_by(
            memberships.c.chat_id, memberships.c.user_id
        )
        return [Membership(*r) for r in await self._db.read(stmt)]

    async def contacts_of(self, user_id: int) -> set[int]:
        mine, other = _MINE, _OTHER
        stmt = (
            sa.select(other.c.user_id)
            .distinct()
            .select_from(mine.join(other, other.c.chat_id == mine.c.chat_id))
            .where(mine.c.user_id == user_id, other.c.user_id != user_id)
        )
        return {int(r[0]) for r in await self._db.read(stmt)}
