"""Memberships: who is in which chat, with their role and read/delivered watermarks."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from messenger.adapters.sqlalchemy.repositories.rows import duplicate_key, select_entity, values_of
from messenger.adapters.sqlalchemy.session import SqlSession
from messenger.adapters.sqlalchemy.tables import chat_prefs, memberships
from messenger.domain.errors import Conflict
from messenger.domain.model import Membership

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
