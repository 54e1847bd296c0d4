"""Themes and settings."""

from __future__ import annotations

import sqlalchemy as sa

from messenger.adapters.sqlalchemy.repositories.rows import select_entity, values_of
from messenger.adapters.sqlalchemy.session import SqlSession
from messenger.adapters.sqlalchemy.tables import themes, user_settings
from messenger.domain.themes import Theme, UserSettings

_THEMES = select_entity(themes, Theme)
_SETTINGS = select_entity(user_settings, UserSettings)


class SqlAlchemyThemeRepository:
    def __init__(self, db: SqlSession) -> None:
        self._db = db

    async def add(self, theme: Theme) -> None:
        await self._db.write(themes.insert().values(values_of(theme)))

    async def get(self, theme_id: str) -> Theme | None:
        row = (await self._db.read(_THEMES.where(themes.c.id == theme_id))).first()
        return Theme(*row) if row else None

    async def update(self, theme: Theme) -> None:
        stmt = themes.update().where(themes.c.id == theme.id)
        await self._db.write(stmt.values(values_of(theme, without=("id", "owner_id"))))

    async def remove(self, theme_id: str) -> None:
        await self._db.write(themes.delete().where(themes.c.id == theme_id))

    async def of_user(self, user_id: int) -> list[Theme]:
        stmt = _THEMES.where(themes.c.owner_id == user_id).order_by(
            themes.c.created_at, themes.c.id
        )
        return [Theme(*r) for r in await self._db.read(stmt)]


class SqlAlchemySettingsRepository:
    def __init__(self, db: SqlSession) -> None:
        self._db = db

    async def get(self, user_id: int) -> UserSettings:
        row = (await self._db.read(_SETTINGS.where(user_settings.c.user_id == user_id))).first()
        return UserSettings(*row) if row else UserSettings(user_id=user_id)

    async def save(self, settings: UserSettings) -> None:
        # Under the unit's write lock nobody else writes the row meanwhile, so looking first
        # cannot race. (An UPDATE's row count cannot tell: MySQL counts only changed rows.)
        where = user_settings.c.user_id == settings.user_id
        exists = (await self._db.read(sa.select(user_settings.c.user_id).where(where))).first()
        if exists is None:
            await self._db.write(user_settings.insert().values(values_of(settings)))
        else:
            values = values_of(settings, without=("user_id",))
            await self._db.write(user_settings.update().where(where).values(values))
