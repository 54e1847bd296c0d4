"""The storage contract of the admin console's live figures, on every adapter set (memory,
SQLite with and without the chat cache, MariaDB)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from messenger.domain.model import Message
from messenger.domain.ports import UnitOfWorkFactory
from tests.integration.test_contract import T0, add_chat, add_users

pytestmark = pytest.mark.integration


async def test_accounts_are_counted_without_the_deleted_and_active_without_the_deactivated(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory(read_only=True) as uow:
        assert await uow.users.count_accounts() == (0, 0)
    _, bob, cid, _ = await add_users(uow_factory, "amy", "bob", "cid", "dan")
    async with uow_factory() as uow:
        bob.deactivated_at = T0
        cid.deleted_at = T0
        await uow.users.update(bob)
        await uow.users.update(cid)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.users.count_accounts() == (3, 2)


async def test_messages_are_counted_from_a_moment_on_deleted_ones_included(
    uow_factory: UnitOfWorkFactory,
) -> None:
    amy, bob = await add_users(uow_factory, "amy", "bob")
    chat = await add_chat(uow_factory, amy.id, [amy.id, bob.id])
    midnight = T0.replace(hour=0, minute=0, second=0, microsecond=0)
    times = [
        midnight - timedelta(microseconds=1),
        midnight,
        midnight + timedelta(hours=1),
        T0,
        T0 + timedelta(hours=5),
    ]
    async with uow_factory() as uow:
        for i, at in enumerate(times):
            message = await uow.messages.add(Message(0, chat.id, amy.id, f"c{i}", f"m{i}", at))
        message.deleted_at = T0 + timedelta(hours=6)
        await uow.messages.update(message)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.messages.count_since(midnight) == 4
        assert await uow.messages.count_since(T0) == 2
        assert await uow.messages.count_since(T0 + timedelta(days=1)) == 0
