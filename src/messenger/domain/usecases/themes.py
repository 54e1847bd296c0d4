"""Themes and settings: make, edit and delete a theme, choose the theme and the language.

Every change tells all the user's devices the whole new state (``SettingsUpdated``, in the
feed about the user), so a device that was offline catches up from one event.
"""

from __future__ import annotations

from collections.abc import Mapping

from messenger.domain.errors import NotFound, TooManyThemes
from messenger.domain.events import SettingsUpdated
from messenger.domain.paging import Listing, Order, micros, page_size, paginate
from messenger.domain.ports import UnitOfWork
from messenger.domain.themes import (
    Theme,
    UserSettings,
    check_background,
    clean_colors,
    clean_theme_name,
    is_color,
)
from messenger.domain.usecases.base import UseCase

# Oldest first: a user's list keeps its order as themes are added.
THEMES_BY_AGE: Order[Theme] = Order("themes", lambda t: (micros(t.created_at), t.id), (int, str))


async def _background(uow: UnitOfWork, user_id: int, raw: str | None) -> str | None:
    file = None if raw is None or raw == "" or is_color(raw) else await uow.files.get(raw)
    return check_background(raw, file, user_id)


async def _own_theme(uow: UnitOfWork, user_id: int, theme_id: str) -> Theme:
    theme = await uow.themes.get(theme_id)
    # Someone else's theme answers like a missing one: ids cannot be probed.
    if theme is None or theme.owner_id != user_id:
        raise NotFound("Theme not found.")
    return theme


async def _record_settings(uow: UnitOfWork, settings: UserSettings) -> None:
    themes = await uow.themes.of_user(settings.user_id)
    uow.record(SettingsUpdated(settings=settings, themes=tuple(themes)), {settings.user_id})


class CreateTheme(UseCase):
    """Make a new theme (it does not become the active one by itself)."""

    async def __call__(
        self,
        user_id: int,
        name: str,
        colors: Mapping[str, str],
        background: str | None = None,
    ) -> Theme:
        name = clean_theme_name(name)
        cleaned = clean_colors(colors)
        now = self._clock.now()
        async with self._uow() as uow:
            if len(await uow.themes.of_user(user_id)) >= self._limits.max_themes:
                raise TooManyThemes()
            theme = Theme(
                id=self._ports.ids.new_id(),
                owner_id=user_id,
                name=name,
                colors=cleaned,
                background=await _background(uow, user_id, background),
                created_at=now,
                updated_at=now,
            )
            await uow.themes.add(theme)
            await _record_settings(uow, await uow.settings.get(user_id))
            notifications = await uow.commit()
        await self._publish(notifications)
        return theme


class EditTheme(UseCase):
    """Replace a theme's name, colours and background."""

    async def __call__(
        self,
        user_id: int,
        theme_id: str,
        name: str,
        colors: Mapping[str, str],
        background: str | None = None,
    ) -> Theme:
        name = clean_theme_name(name)
        cleaned = clean_colors(colors)
        async with self._uow() as uow:
            theme = await _own_theme(uow, user_id, theme_id)
            theme.name = name
            theme.colors = cleaned
            theme.background = await _background(uow, user_id, background)
            theme.updated_at = self._clock.now()
            await uow.themes.update(theme)
            await _record_settings(uow, await uow.settings.get(user_id))
            notifications = await uow.commit()
        await self._publish(notifications)
        return theme


class DeleteTheme(UseCase):
    """Delete a theme; if it was the active one, the app follows the system again."""

    async def __call__(self, user_id: int, theme_id: str) -> None:
        async with self._uow() as uow:
            await _own_theme(uow, user_id, theme_id)
            await uow.themes.remove(theme_id)
            settings = await uow.settings.get(user_id)
            if settings.forget_theme(theme_id):
                await uow.settings.save(settings)
            await _record_settings(uow, settings)
            notifications = await uow.commit()
        await self._publish(notifications)


class ListThemes(UseCase):
    """The user's own themes, oldest first (the built-in ones are the client's)."""

    async def __call__(
        self, user_id: int, limit: int | None = None, *, cursor: str | None = None
    ) -> Listing[Theme]:
        cap = self._limits.max_themes
        size = cap if limit is None else page_size(limit, self._limits, cap=cap)
        async with self._uow(read_only=True) as uow:
            themes = await uow.themes.of_user(user_id)
        return paginate(themes, THEMES_BY_AGE, size, cursor)


class GetSettings(UseCase):
    """The user's chosen theme and language."""

    async def __call__(self, user_id: int) -> UserSettings:
        async with self._uow(read_only=True) as uow:
            return await uow.settings.get(user_id)


class ChangeSettings(UseCase):
    """Choose the active theme or the language (``None`` leaves one as it is)."""

    async def __call__(
        self, user_id: int, *, theme_id: str | None = None, language: str | None = None
    ) -> UserSettings:
        if theme_id is None and language is None:
            # Nothing chosen: nothing to tell the other devices.
            async with self._uow(read_only=True) as uow:
                return await uow.settings.get(user_id)
        async with self._uow() as uow:
            settings = await uow.settings.get(user_id)
            if theme_id is not None:
                own = {t.id for t in await uow.themes.of_user(user_id)}
                settings.choose_theme(theme_id, own)
            if language is not None:
                settings.choose_language(language)
            await uow.settings.save(settings)
            await _record_settings(uow, settings)
            notifications = await uow.commit()
        await self._publish(notifications)
        return settings
