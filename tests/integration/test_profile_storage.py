"""The storage contract for profiles, run on every adapter set: memory, SQLite, MariaDB."""

from __future__ import annotations

from datetime import date

import pytest

from messenger.domain.errors import UsernameTaken
from messenger.domain.events import ProfileUpdated
from messenger.domain.ports import UnitOfWorkFactory
from messenger.domain.service import Messenger
from tests.integration.test_contract import add_users, all_changes, register

pytestmark = pytest.mark.integration


async def test_profile_fields_round_trip(uow_factory: UnitOfWorkFactory) -> None:
    [alice] = await add_users(uow_factory, "alice")
    alice.birthdate = date(1900, 1, 1)
    alice.avatar_preset = "owl"
    alice.avatar_frame = "gold"
    async with uow_factory() as uow:
        await uow.users.update(alice)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.users.get(alice.id) == alice


async def test_a_username_moves_and_the_old_one_is_free(uow_factory: UnitOfWorkFactory) -> None:
    [alice, bob] = await add_users(uow_factory, "alice", "bob")
    alice.username = "bob"
    async with uow_factory() as uow:
        with pytest.raises(UsernameTaken):
            await uow.users.update(alice)
    alice.username = "ally"
    async with uow_factory() as uow:
        await uow.users.update(alice)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert (await uow.users.by_username("ally")) == alice
        assert await uow.users.by_username("alice") is None
        assert (await uow.users.by_username("bob")) == bob
    await add_users(uow_factory, "alice")


async def test_a_rolled_back_rename_keeps_the_old_username(uow_factory: UnitOfWorkFactory) -> None:
    [alice] = await add_users(uow_factory, "alice")
    alice.username = "ally"
    async with uow_factory() as uow:
        await uow.users.update(alice)
    async with uow_factory(read_only=True) as uow:
        found = await uow.users.by_username("alice")
        assert found is not None
        assert found.username == "alice"
        assert await uow.users.by_username("ally") is None


async def test_profile_changes_are_replayed_to_the_user_only(messenger_app: Messenger) -> None:
    alice = await register(messenger_app, "alice")
    bob = await register(messenger_app, "bob")
    await messenger_app.open_dialog(alice, bob)
    cursor = (await messenger_app.get_changes_since(alice, None)).cursor

    await messenger_app.update_profile(alice, username="ally", birthdate=date(1990, 2, 3))
    await messenger_app.choose_preset_avatar(alice, "cat")
    await messenger_app.choose_avatar_frame(alice, "stars")

    replayed = [e.event for e in await all_changes(messenger_app, alice, cursor)]
    assert all(isinstance(e, ProfileUpdated) for e in replayed)
    last = replayed[-1]
    assert isinstance(last, ProfileUpdated)
    assert last.profile == (await messenger_app.get_profile(alice, alice)).public()
    assert (last.profile.username, last.profile.birthdate) == ("ally", date(1990, 2, 3))
    assert (last.profile.avatar_preset, last.profile.avatar_frame) == ("cat", "stars")
    assert len(replayed) == 3
    assert await all_changes(messenger_app, bob, cursor) == []
