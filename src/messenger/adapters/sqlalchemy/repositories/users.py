"""Users."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import sqlalchemy as sa

from messenger.adapters.sqlalchemy.repositories.rows import (
    duplicate_key,
    new_id,
    select_entity,
    values_of,
)
from messenger.adapters.sqlalchemy.session import SqlSession
from messenger.adapters.sqlalchemy.tables import users
from messenger.domain.administration import UserFilter
from messenger.domain.errors import EmailTaken, UsernameTaken
from messenger.domain.model import User

_USERS = select_entity(users, User)


def _user_conflict(exc: sa.exc.IntegrityError) -> Exception:
    found = duplicate_key(exc)
    if found is None:
        return exc
    return EmailTaken() if "email" in found else UsernameTaken()


# Built once, with an expanding list: posting asks it for every group of posts.
_DELETED_AMONG = sa.select(users.c.id).where(
    users.c.id.in_(sa.bindparam("b_ids", expanding=True)), users.c.deleted_at.is_not(None)
)


class SqlAlchemyUserRepository:
    def __init__(self, db: SqlSession) -> None:
        self._db = db

    async def add(self, user: User) -> User:
        try:
            result = await self._db.write(users.insert().values(values_of(user, without=("id",))))
        except sa.exc.IntegrityError as exc:
            raise _user_conflict(exc) from exc
        return dataclasses.replace(user, id=new_id(result))

    async def get(self, user_id: int) -> User | None:
        row = (await self._db.read(_USERS.where(users.c.id == user_id))).first()
        return User(*row) if row else None

    async def get_many(self, user_ids: Iterable[int]) -> list[User]:
        wanted = sorted(set(user_ids))
        if not wanted:
            return []
        stmt = _USERS.where(users.c.id.in_(wanted)).order_by(users.c.id)
        return [User(*r) for r in await self._db.read(stmt)]

    async def deleted_among(self, user_ids: Iterable[int]) -> set[int]:
        wanted = sorted(set(user_ids))
        if not wanted:
            return set()
        return {int(r[0]) for r in await self._db.read(_DELETED_AMONG, {"b_ids": wanted})}

    async def by_username(self, username: str) -> User | None:
        stmt = _USERS.where(users.c.username == username.lower())
        row = (await self._db.read(stmt)).first()
        return User(*row) if row else None

    async def ids_by_username(self, usernames: Iterable[str]) -> dict[str, int]:
        wanted = sorted({n.lower() for n in usernames})
        if not wanted:
            return {}
        stmt = sa.select(users.c.username, users.c.id).where(users.c.username.in_(wanted))
        return {str(name): int(user_id) for name, user_id in await self._db.read(stmt)}

    async def by_email(self, email: str) -> User | None:
        row = (await self._db.read(_USERS.where(users.c.email == email.lower()))).first()
        return User(*row) if row else None

    async def update(self, user: User) -> None:
        stmt = users.update().where(users.c.id == user.id).values(values_of(user, without=("id",)))
        try:
            await self._db.write(stmt)
        except sa.exc.IntegrityError as exc:
            raise _user_conflict(exc) from exc

    async def search(self, query: str, limit: int, *, after: str | None = None) -> list[User]:
        q = query.lower()
        folded: sa.ColumnElement[str] = sa.func.lower(users.c.display_name)
        if self._db.is_mysql:
            # Match like Python's ``in``: byte-exact after lower-casing, not the accent-
            # insensitive comparison of the column's collation.
            folded = folded.collate("utf8mb4_bin")
        stmt = (
            _USERS.where(
                sa.or_(
                    users.c.username.contains(q, autoescape=True),
                    folded.contains(q, autoescape=True),
                ),
                users.c.deleted_at.is_(None),
            )
            .order_by(users.c.username)
            .limit(limit)
        )
        if after is not None:
            # The column's own collation both sorts and compares, so pages meet exactly.
            stmt = stmt.where(users.c.username > after)
        return [User(*r) for r in await self._db.read(stmt)]

    async def for_admin(
        self, query: str, status: UserFilter | None, limit: int, *, after: str | None = None
    ) -> list[User]:
        stmt = _USERS.order_by(users.c.username).limit(limit)
        if query:
            folded: sa.ColumnElement[str] = sa.func.lower(users.c.display_name)
            if self._db.is_mysql:
                # As in ``search``: byte-exact after lower-casing, like Python's ``in``.
                folded = folded.collate("utf8mb4_bin")
            stmt = stmt.where(
                sa.or_(
                    users.c.username.contains(query, autoescape=True),
                    folded.contains(query, autoescape=True),
                    users.c.email.contains(query, autoescape=True),
                )
            )
        live = users.c.deleted_at.is_(None)
        if status is UserFilter.DELETED:
            stmt = stmt.where(users.c.deleted_at.is_not(None))
        elif status is UserFilter.ADMIN:
            stmt = stmt.where(live, users.c.is_admin.is_(True))
        elif status is UserFilter.DEACTIVATED:
            stmt = stmt.where(live, users.c.deactivated_at.is_not(None))
        elif status is UserFilter.ACTIVE:
            stmt = stmt.where(live, users.c.deactivated_at.is_(None))
        if after is not None:
            stmt = stmt.where(users.c.username > after)
        return [User(*r) for r in await self._db.read(stmt)]

    async def any_user(self) -> bool:
        return (await self._db.read(sa.select(users.c.id).limit(1))).first() is not None

    async def count_accounts(self) -> tuple[int, int]:
        can_log_in = sa.case((users.c.deactivated_at.is_(None), 1), else_=0)
        stmt = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(can_log_in), 0)).where(
            users.c.deleted_at.is_(None)
        )
        total, active = (await self._db.read(stmt)).one()
        return int(total), int(active)

    async def erasing(self, limit: int) -> list[int]:
        stmt = (
            sa.select(users.c.id)
            .where(users.c.erasing_messages.is_(True))
            .order_by(users.c.id)
            .limit(limit)
        )
        return [int(r[0]) for r in await self._db.read(stmt)]
