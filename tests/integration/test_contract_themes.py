"""The storage contract of themes and settings, on every adapter set: memory, SQLite,
MariaDB (the fixtures of tests/integration/test_contract.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from messenger.domain.events import SettingsUpdated
from messenger.domain.model import StoredFile
from messenger.domain.ports import UnitOfWorkFactory
from messenger.domain.themes import Theme, UserSettings
from tests.integration.test_contract import T0, add_users

pytestmark = pytest.mark.integration


def theme(theme_id: str, owner: int, at: datetime = T0, **colors: str) -> Theme:
    return Theme(theme_id, owner, f"Theme {theme_id}", dict(colors), None, at, at)


async def test_themes_are_kept_per_owner_oldest_first_and_read_back_unchanged(
    uow_factory: UnitOfWorkFactory,
) -> None:
    alice, bob = await add_users(uow_factory, "alice", "bob")
    later = T0 + timedelta(microseconds=1)
    async with uow_factory() as uow:
        await uow.themes.add(theme("b", alice.id, later, accent="#ff8800"))
        await uow.themes.add(theme("a", alice.id, later, text="#000000", surface="#ffffff"))
        await uow.themes.add(theme("z", alice.id, T0))
        await uow.themes.add(theme("c", bob.id))
        await uow.commit()

    async with uow_factory(read_only=True) as uow:
        mine = await uow.themes.of_user(alice.id)
        found = await uow.themes.get("a")

    assert [t.id for t in mine] == ["z", "a", "b"]
    assert found == theme("a", alice.id, later, text="#000000", surface="#ffffff")


async def test_a_theme_is_replaced_and_removed(uow_factory: UnitOfWorkFactory) -> None:
    (alice,) = await add_users(uow_factory, "alice")
    async with uow_factory() as uow:
        await uow.themes.add(theme("t", alice.id, accent="#ff8800"))
        await uow.commit()
    edited = Theme("t", alice.id, "Ночь 🌙", {"bubble_out": "#123456"}, "file1", T0, T0)

    async with uow_factory() as uow:
        await uow.themes.update(edited)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.themes.get("t") == edited
    async with uow_factory() as uow:
        await uow.themes.remove("t")
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.themes.get("t") is None
        assert await uow.themes.of_user(alice.id) == []


async def test_settings_read_as_defaults_until_saved_and_saving_the_same_twice_is_fine(
    uow_factory: UnitOfWorkFactory,
) -> None:
    (alice,) = await add_users(uow_factory, "alice")
    async with uow_factory(read_only=True) as uow:
        assert await uow.settings.get(alice.id) == UserSettings(alice.id)

    for _ in range(2):
        async with uow_factory() as uow:
            await uow.settings.save(UserSettings(alice.id, "dark", "ru"))
            await uow.commit()
    async with uow_factory() as uow:
        await uow.settings.save(UserSettings(alice.id, "light", "ru"))
        await uow.rollback()

    async with uow_factory(read_only=True) as uow:
        assert await uow.settings.get(alice.id) == UserSettings(alice.id, "dark", "ru")


async def test_settings_updated_is_in_the_feed_of_its_user_only(
    uow_factory: UnitOfWorkFactory,
) -> None:
    alice, bob = await add_users(uow_factory, "alice", "bob")
    event = SettingsUpdated(
        UserSettings(alice.id, "t", "en"), (theme("t", alice.id, accent="#ff8800"),)
    )
    async with uow_factory() as uow:
        start = await uow.feed.head()
        uow.record(event, {alice.id})
        await uow.commit()

    async with uow_factory(read_only=True) as uow:
        head = await uow.feed.head()
        mine = await uow.feed.since(alice.id, start, head, 10)
        theirs = await uow.feed.since(bob.id, start, head, 10)

    assert [e.event for e in mine] == [event]
    assert theirs == []


async def test_a_theme_background_is_not_an_abandoned_upload(
    uow_factory: UnitOfWorkFactory,
) -> None:
    (alice,) = await add_users(uow_factory, "alice")
    old = datetime(2020, 1, 1, tzinfo=UTC)
    async with uow_factory() as uow:
        for file_id in ("bg", "loose"):
            await uow.files.add(
                StoredFile(file_id, alice.id, "a.png", "image/png", 1, file_id, old)
            )
        await uow.themes.add(Theme("t", alice.id, "Sky", {}, "bg", T0, T0))
        await uow.commit()

    async with uow_factory() as uow:
        found = await uow.files.unattached_before(T0, 10)
        removed = await uow.files.remove_unattached(["bg", "loose"])
        await uow.commit()

    assert [f.id for f in found] == ["loose"]
    assert removed == ["loose"]
