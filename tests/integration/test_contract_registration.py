"""The storage contract of the run-time server settings, invites, password-reset links and
the administrators' user list, on every adapter set (memory, SQLite with and without the
chat cache, MariaDB)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from messenger.domain.administration import Invite, PasswordReset, UserFilter
from messenger.domain.ports import UnitOfWorkFactory
from tests.integration.test_contract import T0, user

pytestmark = pytest.mark.integration


async def test_server_settings_are_stored_by_key_and_roll_back(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory(read_only=True) as uow:
        assert await uow.server_settings.get("registration") is None
    async with uow_factory() as uow:
        await uow.server_settings.put("registration", "invite")
        await uow.commit()
    async with uow_factory() as uow:
        await uow.server_settings.put("registration", "closed")
        await uow.server_settings.put("other", "x")
    async with uow_factory(read_only=True) as uow:
        assert await uow.server_settings.get("registration") == "invite"
        assert await uow.server_settings.get("other") is None
    async with uow_factory() as uow:
        await uow.server_settings.put("registration", "closed")
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.server_settings.get("registration") == "closed"


def invite(n: int, *, at_minute: int, **kw: object) -> Invite:
    return Invite(
        id=f"inv{n}",
        token_hash=f"{n:064x}",
        email=kw.pop("email", None),  # type: ignore[arg-type]
        created_at=T0 + timedelta(minutes=at_minute),
        created_by=kw.pop("created_by", None),  # type: ignore[arg-type]
        expires_at=T0 + timedelta(days=7),
        uses=kw.pop("uses", 1),  # type: ignore[arg-type]
    )


async def test_invites_are_found_by_id_and_token_and_paged_newest_first(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        amy = await uow.users.add(user("amy"))
        # Two made in the same instant: the id orders them.
        written = [
            invite(1, at_minute=0, email="bob@example.com", created_by=amy.id),
            invite(2, at_minute=1, uses=None),
            invite(3, at_minute=1),
            invite(4, at_minute=2),
        ]
        for i in written:
            await uow.invites.add(i)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.invites.get("inv1") == written[0]
        assert await uow.invites.by_token(f"{2:064x}") == written[1]
        assert await uow.invites.get("nope") is None
        assert await uow.invites.by_token("0" * 63 + "f") is None
        everything = await uow.invites.page(10)
        assert [i.id for i in everything] == ["inv4", "inv3", "inv2", "inv1"]
        first = await uow.invites.page(2)
        last = first[-1]
        rest = await uow.invites.page(10, before=(last.created_at, last.id))
        assert [i.id for i in first + rest] == ["inv4", "inv3", "inv2", "inv1"]
    async with uow_factory() as uow:
        used = written[1]
        used.used = 5
        used.revoked_at = T0 + timedelta(hours=1)
        await uow.invites.update(used)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.invites.get("inv2") == used


async def test_password_resets_are_found_by_token_and_marked_used(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        amy = await uow.users.add(user("amy"))
        bob = await uow.users.add(user("bob"))
        links = [
            PasswordReset(f"{n:064x}", who, T0, T0 + timedelta(hours=24), created_by=amy.id)
            for n, who in ((1, bob.id), (2, bob.id), (3, amy.id))
        ]
        for link in links:
            await uow.password_resets.add(link)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.password_resets.by_token(f"{1:064x}") == links[0]
        assert await uow.password_resets.by_token("f" * 64) is None
        unused = await uow.password_resets.unused_of(bob.id)
        assert sorted(r.token_hash for r in unused) == [links[0].token_hash, links[1].token_hash]
        links[0].used_at = T0 + timedelta(minutes=5)
        await uow.password_resets.update(links[0])
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.password_resets.by_token(f"{1:064x}") == links[0]
        assert [r.token_hash for r in await uow.password_resets.unused_of(bob.id)] == [
            links[1].token_hash
        ]


async def test_administrators_list_accounts_by_username_filtered_and_paged(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        added = {
            name: await uow.users.add(user(name, email=f"{name}@corp.example", display_name=dn))
            for name, dn in (
                ("amy", "Amy Admin"),
                ("bob", "Bob"),
                ("cat", "Cat Ω"),
                ("dan", "Dan"),
                ("eve", "Eve"),
            )
        }
        added["amy"].is_admin = True
        added["cat"].deactivated_at = T0
        added["dan"].deactivate(T0, erase_messages=False)
        for name in ("amy", "cat", "dan"):
            await uow.users.update(added[name])
        await uow.commit()
    tomb = f"deleted-{added['dan'].id}"
    async with uow_factory(read_only=True) as uow:

        async def names(q: str = "", status: UserFilter | None = None, **kw: object) -> list[str]:
            found = await uow.users.for_admin(q, status, 10, **kw)  # type: ignore[arg-type]
            return [u.username for u in found]

        assert await names() == ["amy", "bob", "cat", tomb, "eve"]
        assert await names(status=UserFilter.ACTIVE) == ["amy", "bob", "eve"]
        assert await names(status=UserFilter.DEACTIVATED) == ["cat"]
        assert await names(status=UserFilter.DELETED) == [tomb]
        assert await names(status=UserFilter.ADMIN) == ["amy"]
        assert await names("admin") == ["amy"]
        assert await names("ω") == ["cat"]
        assert await names("eve@corp") == ["eve"]
        assert await names("%") == []
        assert await names(after="bob") == ["cat", tomb, "eve"]
        assert [u.username for u in await uow.users.for_admin("", None, 2)] == ["amy", "bob"]
        [amy] = await uow.users.for_admin("amy", None, 10)
        assert amy == added["amy"]
