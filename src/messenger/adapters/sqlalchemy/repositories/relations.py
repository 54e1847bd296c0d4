"""Contacts, blocks and privacy settings: what users decided about each other."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from messenger.adapters.sqlalchemy.repositories.rows import select_entity, values_of
from messenger.adapters.sqlalchemy.session import SqlSession
from messenger.adapters.sqlalchemy.tables import blocks, contacts, privacy_settings, users
from messenger.domain.model import Block, Contact
from messenger.domain.privacy import DEFAULT, Audience, PrivacySettings

_CONTACTS = select_entity(contacts, Contact)
_BLOCKS = select_entity(blocks, Block)
_PRIVACY = select_entity(privacy_settings, PrivacySettings)
_SETTINGS = tuple(c.name for c in _PRIVACY.selected_columns)


def _contact_key(owner_id: int, user_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(contacts.c.owner_id == owner_id, contacts.c.user_id == user_id)


def _block_key(blocker_id: int, blocked_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(blocks.c.blocker_id == blocker_id, blocks.c.blocked_id == blocked_id)


# Built once, with expanding lists: posting asks it for every group of posts.
_BLOCKING_ANY = (
    sa.select(blocks.c.blocker_id)
    .distinct()
    .where(
        blocks.c.blocker_id.in_(sa.bindparam("b_blockers", expanding=True)),
        blocks.c.blocked_id.in_(sa.bindparam("b_users", expanding=True)),
    )
)


# Those of some owners (``v_owners``) whose being online one viewer (``v_viewer``) may see:
# ``privacy.online_visible`` (``visible(settings.online, relation)``) evaluated by the
# database, so that a socket's ``ready`` gets one row per chat-mate it will be told of, not
# one per online chat-mate (in a channel whose members hide their status, thousands).
# Built once, with an expanding list. The storage contract checks it against the domain's
# rule for every setting and relation.
_ONLINE_VISIBLE = (
    sa.select(users.c.id)
    .select_from(
        users.outerjoin(privacy_settings, privacy_settings.c.user_id == users.c.id)
        .outerjoin(
            contacts,
            sa.and_(
                contacts.c.owner_id == users.c.id,
                contacts.c.user_id == sa.bindparam("v_viewer"),
            ),
        )
        .outerjoin(
            blocks,
            sa.and_(
                blocks.c.blocker_id == users.c.id,
                blocks.c.blocked_id == sa.bindparam("v_viewer"),
            ),
        )
    )
    .where(
        users.c.id.in_(sa.bindparam("v_owners", expanding=True)),
        sa.or_(
            users.c.id == sa.bindparam("v_viewer"),  # oneself
            sa.and_(
                blocks.c.blocker_id.is_(None),  # a block outweighs every setting
                sa.or_(
                    privacy_settings.c.user_id.is_(None),  # the defaults: everybody
                    privacy_settings.c.online == Audience.EVERYBODY,
                    sa.and_(
                        privacy_settings.c.online == Audience.CONTACTS,
                        contacts.c.owner_id.is_not(None),
                    ),
                ),
            ),
        ),
    )
)


class SqlAlchemyContactRepository:
    def __init__(self, db: SqlSession) -> None:
        self._db = db

    async def get(self, owner_id: int, user_id: int) -> Contact | None:
        row = (await self._db.read(_CONTACTS.where(_contact_key(owner_id, user_id)))).first()
        return Contact(*row) if row else None

    async def put(self, contact: Contact) -> None:
        key = _contact_key(contact.owner_id, contact.user_id)
        # The use case read the row under the write lock: it knows whether it is there.
        exists = (await self._db.read(sa.select(contacts.c.owner_id).where(key))).first()
        if exists is None:
            await self._db.write(contacts.insert().values(values_of(contact)))
        else:
            await self._db.write(contacts.update().where(key).values(local_name=contact.local_name))

    async def remove(self, owner_id: int, user_id: int) -> None:
        await self._db.write(contacts.delete().where(_contact_key(owner_id, user_id)))

    async def of_owner(self, owner_id: int, *, after: int | None, limit: int) -> list[Contact]:
        stmt = _CONTACTS.where(contacts.c.owner_id == owner_id)
        if after is not None:
            stmt = stmt.where(contacts.c.user_id > after)
        stmt = stmt.order_by(contacts.c.user_id).limit(limit)
        return [Contact(*r) for r in await self._db.read(stmt)]

    async def among(self, owner_id: int, user_ids: Iterable[int]) -> list[Contact]:
        wanted = sorted(set(user_ids))
        if not wanted:
            return []
        stmt = _CONTACTS.where(
            contacts.c.owner_id == owner_id, contacts.c.user_id.in_(wanted)
        ).order_by(contacts.c.user_id)
        return [Contact(*r) for r in await self._db.read(stmt)]

    async def owners_having(self, user_id: int, owner_ids: Iterable[int]) -> set[int]:
        wanted = sorted(set(owner_ids))
        if not wanted:
            return set()
        stmt = sa.select(contacts.c.owner_id).where(
            contacts.c.user_id == user_id, contacts.c.owner_id.in_(wanted)
        )
        return {int(r[0]) for r in await self._db.read(stmt)}


class SqlAlchemyBlockRepository:
    def __init__(self, db: SqlSession) -> None:
        self._db = db

    async def get(self, blocker_id: int, blocked_id: int) -> Block | None:
        row = (await self._db.read(_BLOCKS.where(_block_key(blocker_id, blocked_id)))).first()
        return Block(*row) if row else None

    async def add(self, block: Block) -> None:
        await self._db.write(blocks.insert().values(values_of(block)))

    async def remove(self, blocker_id: int, blocked_id: int) -> None:
        await self._db.write(blocks.delete().where(_block_key(blocker_id, blocked_id)))

    async def of_blocker(self, blocker_id: int, *, after: int | None, limit: int) -> list[Block]:
        stmt = _BLOCKS.where(blocks.c.blocker_id == blocker_id)
        if after is not None:
            stmt = stmt.where(blocks.c.blocked_id > after)
        stmt = stmt.order_by(blocks.c.blocked_id).limit(limit)
        return [Block(*r) for r in await self._db.read(stmt)]

    async def blockers_of(self, user_id: int, among: Iterable[int]) -> set[int]:
        wanted = sorted(set(among))
        if not wanted:
            return set()
        stmt = sa.select(blocks.c.blocker_id).where(
            blocks.c.blocked_id == user_id, blocks.c.blocker_id.in_(wanted)
        )
        return {int(r[0]) for r in await self._db.read(stmt)}

    async def blocked_by(self, blocker_id: int, among: Iterable[int]) -> set[int]:
        wanted = sorted(set(among))
        if not wanted:
            return set()
        stmt = sa.select(blocks.c.blocked_id).where(
            blocks.c.blocker_id == blocker_id, blocks.c.blocked_id.in_(wanted)
        )
        return {int(r[0]) for r in await self._db.read(stmt)}

    async def blocking_any(self, blocker_ids: Iterable[int], user_ids: Iterable[int]) -> set[int]:
        blockers, users = sorted(set(blocker_ids)), sorted(set(user_ids))
        if not blockers or not users:
            return set()
        params = {"b_blockers": blockers, "b_users": users}
        return {int(r[0]) for r in await self._db.read(_BLOCKING_ANY, params)}


class SqlAlchemyPrivacyRepository:
    def __init__(self, db: SqlSession) -> None:
        self._db = db

    async def get(self, user_id: int) -> PrivacySettings:
        return (await self.get_many([user_id]))[user_id]

    async def get_many(self, user_ids: Iterable[int]) -> dict[int, PrivacySettings]:
        wanted = sorted(set(user_ids))
        found = dict.fromkeys(wanted, DEFAULT)
        if not wanted:
            return found
        stmt = sa.select(privacy_settings.c.user_id, *_PRIVACY.selected_columns).where(
            privacy_settings.c.user_id.in_(wanted)
        )
        for user_id, *values in await self._db.read(stmt):
            found[int(user_id)] = PrivacySettings(*values)
        return found

    async def online_visible_to(self, viewer_id: int, owner_ids: Iterable[int]) -> set[int]:
        wanted = sorted(set(owner_ids))
        if not wanted:
            return set()
        params = {"v_viewer": viewer_id, "v_owners": wanted}
        return {int(r[0]) for r in await self._db.read(_ONLINE_VISIBLE, params)}

    async def put(self, user_id: int, settings: PrivacySettings) -> None:
        values = {name: getattr(settings, name) for name in _SETTINGS}
        key = privacy_settings.c.user_id == user_id
        exists = (await self._db.read(sa.select(privacy_settings.c.user_id).where(key))).first()
        if exists is None:
            await self._db.write(privacy_settings.insert().values(user_id=user_id, **values))
        else:
            await self._db.write(privacy_settings.update().where(key).values(**values))
