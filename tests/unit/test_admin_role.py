"""The server administrator role: who holds it from the start, and who may act as one."""

from __future__ import annotations

import pytest

from messenger.domain.errors import Forbidden
from messenger.domain.service import Messenger
from messenger.domain.usecases.base import require_admin
from tests.unit.conftest import store_of


async def test_the_first_account_of_a_fresh_server_is_its_administrator(app: Messenger) -> None:
    first = await app.register("alice", "password-123")
    second = await app.register("bob", "password-123")

    assert first.user.is_admin
    assert not second.user.is_admin
    assert (await app.get_my_account(first.user.id)).is_admin
    assert not (await app.get_my_account(second.user.id)).is_admin


async def test_a_deleted_first_account_does_not_make_the_next_one_an_administrator(
    app: Messenger,
) -> None:
    first = await app.register("alice", "password-123")
    claims = await app.authorize(first.access_token)
    await app.delete_account(claims, "password-123")

    assert not (await app.register("bob", "password-123")).user.is_admin


async def test_the_servers_shell_may_create_an_administrator_at_any_time(app: Messenger) -> None:
    await app.register("alice", "password-123")

    assert (await app.register("root", "password-123", admin=True)).user.is_admin


async def test_only_a_live_administrator_passes_the_admin_check(app: Messenger) -> None:
    admin = (await app.register("alice", "password-123")).user
    user = (await app.register("bob", "password-123")).user
    uow_factory = app.ports.uow

    async with uow_factory(read_only=True) as uow:
        assert (await require_admin(uow, admin.id)).id == admin.id
        for who in (user.id, 10**9):
            with pytest.raises(Forbidden):
                await require_admin(uow, who)
    store_of(app).users[admin.id].deactivated_at = admin.created_at
    async with uow_factory(read_only=True) as uow:
        with pytest.raises(Forbidden):
            await require_admin(uow, admin.id)
