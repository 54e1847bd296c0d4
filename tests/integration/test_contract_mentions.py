"""The storage contract of mentions on every adapter set (memory, SQLite with and without the
chat cache, MariaDB): ids by username, the mentions column and its index, unread mentions and
paging through them, and a whole group commit of posts that mention."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from messenger.domain.model import Message
from messenger.domain.ports import UnitOfWorkFactory
from messenger.domain.service import Messenger
from tests.integration.test_contract import T0, add_chat, add_users, register

pytestmark = pytest.mark.integration


async def test_ids_by_username_finds_exactly_the_names_given(
    uow_factory: UnitOfWorkFactory,
) -> None:
    amy, bob = await add_users(uow_factory, "amy", "bob.b")
    async with uow_factory(read_only=True) as uow:
        assert await uow.users.ids_by_username([]) == {}
        found = await uow.users.ids_by_username(["amy", "bob.b", "nobody", "am"])
    assert found == {"amy": amy.id, "bob.b": bob.id}


async def test_mentions_round_trip_and_follow_edits_and_deletes(
    uow_factory: UnitOfWorkFactory,
) -> None:
    a, b, c = await add_users(uow_factory, "amy", "bea", "cat")
    chat = await add_chat(uow_factory, a.id, [a.id, b.id, c.id])
    new = [
        Message(0, chat.id, a.id, f"m{i}", f"text {i}", T0, mentions=mentions)
        for i, mentions in enumerate([(b.id, c.id), (), (b.id,), (c.id,)])
    ]
    async with uow_factory() as uow:
        added = await uow.messages.add_many(new)
        lone = await uow.messages.add(Message(0, chat.id, c.id, "lone", "hi", T0, mentions=(b.id,)))
        await uow.commit()
    assert [replace(m, id=0) for m in added] == new
    async with uow_factory(read_only=True) as uow:
        assert (await uow.messages.get(added[0].id)) == added[0]
        unread = await uow.messages.count_unread_mentions({chat.id: 0}, b.id)
        assert unread == {chat.id: 3}
        assert await uow.messages.count_unread_mentions({chat.id: added[2].id}, b.id) == {
            chat.id: 1
        }
        assert await uow.messages.count_unread_mentions({}, b.id) == {}
    async with uow_factory() as uow:
        edited = replace(added[0], text="edited", mentions=(c.id,))
        await uow.messages.update(edited)
        deleted = replace(added[2], text="", mentions=(), deleted_at=T0)
        await uow.messages.update(deleted)
        await uow.messages.hide(b.id, lone.id)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.messages.count_unread_mentions({chat.id: 0}, b.id) == {chat.id: 0}
        assert await uow.messages.count_unread_mentions({chat.id: 0}, c.id) == {chat.id: 2}
        assert (await uow.messages.get(added[0].id)) == edited


async def test_paging_through_mentions_ascends_and_respects_before_after_and_limit(
    uow_factory: UnitOfWorkFactory,
) -> None:
    a, b = await add_users(uow_factory, "amy", "bea")
    chat = await add_chat(uow_factory, a.id, [a.id, b.id])
    other = await add_chat(uow_factory, a.id, [a.id, b.id])
    async with uow_factory() as uow:
        added = await uow.messages.add_many(
            [
                Message(0, chat.id if i % 3 else other.id, a.id, f"m{i}", "t", T0, mentions=m)
                for i, m in enumerate([(b.id,), (b.id,), (), (b.id,), (b.id,), (b.id,), ()])
            ]
        )
        await uow.commit()
    mine = [m.id for m in added if m.chat_id == chat.id and m.mentions]
    async with uow_factory(read_only=True) as uow:
        page = uow.messages.mentioning
        assert [m.id for m in await page(b.id, chat.id, before=None, after=None, limit=10)] == mine
        assert [m.id for m in await page(b.id, chat.id, before=None, after=None, limit=2)] == (
            mine[-2:]
        )
        assert [m.id for m in await page(b.id, chat.id, before=mine[-1], after=None, limit=1)] == (
            mine[-2:-1]
        )
        assert [m.id for m in await page(b.id, chat.id, before=None, after=mine[0], limit=1)] == (
            mine[1:2]
        )
        assert await page(a.id, chat.id, before=None, after=None, limit=10) == []
        assert await page(b.id, chat.id, before=None, after=None, limit=0) == []


async def test_a_group_commit_of_mentioning_posts_resolves_each(messenger_app: Messenger) -> None:
    amy = await register(messenger_app, "amy")
    bea = await register(messenger_app, "bea")
    cat = await register(messenger_app, "cat")
    group = (await messenger_app.create_group(amy, "t", [bea, cat])).chat.id
    results = await asyncio.gather(
        *(
            messenger_app.post_message(sender, group, f"c-{i}", text)
            for i, (sender, text) in enumerate(
                [(amy, "@bea @cat"), (bea, "plain"), (cat, "@AMY"), (bea, "@all"), (amy, "@all")]
            )
        )
    )
    assert [r.message.mentions for r in results] == [
        (bea, cat),
        (),
        (amy,),
        (),
        (bea, cat),
    ]
    page = await messenger_app.read_history(bea, group, mentioning_me=True)
    assert [m.id for m in page.items] == [results[0].message.id, results[4].message.id]
    [summary] = (await messenger_app.list_chats(bea)).items
    assert summary.unread_mentions == 2
