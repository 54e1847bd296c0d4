"""The storage contract of reactions on every adapter set (memory, SQLite with and without the
chat cache, MariaDB): rows, counts on the message, the feed and the cached newest page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from messenger.adapters.sqlalchemy import SqlAlchemyUnitOfWorkFactory, create_engine
from messenger.domain.events import MessageReactionsChanged
from messenger.domain.model import Message, Reaction, ReactionCount
from messenger.domain.ports import UnitOfWorkFactory
from messenger.domain.service import Messenger
from tests.integration.conftest import build_messenger, empty_mariadb
from tests.integration.test_contract import T0, add_chat, add_users, all_changes

pytestmark = pytest.mark.integration

# Emoji a case- or accent-insensitive collation would mix up: tones of one hand, a flag
# next to its letters, the heart with and without its variation selector.
EMOJI = ["👍", "👍🏻", "👍🏿", "🇷🇺", "❤️", "👨‍👩‍👧"]


async def test_reactions_are_kept_per_message_emoji_and_user_byte_for_byte(
    uow_factory: UnitOfWorkFactory,
) -> None:
    a, b = await add_users(uow_factory, "amy", "bob")
    chat = await add_chat(uow_factory, a.id, [a.id, b.id])
    async with uow_factory() as uow:
        first = await uow.messages.add(Message(0, chat.id, a.id, "c1", "one", T0))
        second = await uow.messages.add(Message(0, chat.id, a.id, "c2", "two", T0))
        for emoji in EMOJI:
            await uow.reactions.add(Reaction(first.id, a.id, emoji, T0))
        await uow.reactions.add(Reaction(first.id, b.id, "👍", T0))
        await uow.reactions.add(Reaction(second.id, b.id, "🇷🇺", T0))
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        mine = await uow.reactions.mine(a.id, [first.id, second.id])
        assert mine == {first.id: frozenset(EMOJI)}
        assert await uow.reactions.mine(b.id, [first.id, second.id]) == {
            first.id: frozenset({"👍"}),
            second.id: frozenset({"🇷🇺"}),
        }
        assert await uow.reactions.mine(a.id, []) == {}
        assert await uow.reactions.users_of(first.id, "👍", after=None, limit=10) == [a.id, b.id]
        assert await uow.reactions.users_of(first.id, "👍", after=a.id, limit=10) == [b.id]
        assert await uow.reactions.users_of(first.id, "👍🏻", after=None, limit=10) == [a.id]
        assert await uow.reactions.users_of(first.id, "👍", after=None, limit=1) == [a.id]
    async with uow_factory() as uow:
        await uow.reactions.remove(first.id, a.id, "👍")
        await uow.reactions.remove_all(second.id)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.reactions.users_of(first.id, "👍", after=None, limit=10) == [b.id]
        assert await uow.reactions.mine(b.id, [second.id]) == {}


async def test_a_message_keeps_its_counts_in_order_and_none_reads_as_none(
    uow_factory: UnitOfWorkFactory,
) -> None:
    (a,) = await add_users(uow_factory, "amy")
    chat = await add_chat(uow_factory, a.id, [a.id])
    counts = tuple(ReactionCount(e, n) for n, e in enumerate(EMOJI, start=1))
    async with uow_factory() as uow:
        message = await uow.messages.add(Message(0, chat.id, a.id, "c1", "one", T0))
        message.reactions = counts
        await uow.messages.update_reactions(message)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        stored = await uow.messages.get(message.id)
        assert stored is not None
        assert stored.reactions == counts
        assert stored.text == "one"
    async with uow_factory() as uow:
        message.reactions = ()
        await uow.messages.update_reactions(message)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        [page] = await uow.messages.page(chat.id, before=None, after=None, limit=5)
        assert page.reactions == ()


async def test_reactions_through_the_use_cases_reach_history_the_feed_and_the_cached_page(
    messenger_app: Messenger,
) -> None:
    app = messenger_app
    amy = (await app.register("amy", "correct horse")).user.id
    bob = (await app.register("bob", "correct horse")).user.id
    chat = (await app.create_group(amy, "Team", [bob])).chat.id
    message = (await app.post_message(amy, chat, "c1", "hello")).message.id
    # The newest page is read (and cached where there is a cache) before the reactions.
    assert (await app.read_history(bob, chat)).items[0].reactions == ()

    await app.react_to_message(bob, message, "👍🏽")
    await app.react_to_message(amy, message, "👍🏽")
    await app.react_to_message(amy, message, "🎉")
    await app.remove_reaction(amy, message, "👍🏽")

    page = await app.read_history(bob, chat)
    assert page.items[0].reactions == (ReactionCount("👍🏽", 1), ReactionCount("🎉", 1))
    assert page.mine == {message: frozenset({"👍🏽"})}
    assert (await app.read_history(amy, chat)).mine == {message: frozenset({"🎉"})}
    reactions = [e.event for e in await all_changes(app, bob)]
    reactions = [e for e in reactions if isinstance(e, MessageReactionsChanged)]
    assert [(e.user_id, e.emoji, e.added) for e in reactions] == [
        (bob, "👍🏽", True),
        (amy, "👍🏽", True),
        (amy, "🎉", True),
        (amy, "👍🏽", False),
    ]
    assert reactions[-1].reactions == page.items[0].reactions

    await app.delete_message(amy, message)
    assert (await app.read_history(bob, chat)).items[0].reactions == ()
    assert (await app.read_history(bob, chat)).mine == {}


async def test_sync_leaves_out_reactions_to_a_message_the_reader_hid(
    messenger_app: Messenger,
) -> None:
    app = messenger_app
    amy = (await app.register("amy", "correct horse")).user.id
    bob = (await app.register("bob", "correct horse")).user.id
    chat = (await app.create_group(amy, "Team", [bob])).chat.id
    message = (await app.post_message(amy, chat, "c1", "hello")).message.id
    await app.hide_message(bob, message)

    await app.react_to_message(amy, message, "👍")

    types = [e.event.type for e in await all_changes(app, bob)]
    assert "message_reactions" not in types
    assert "message_reactions" in [e.event.type for e in await all_changes(app, amy)]


@pytest.fixture(params=["sqlite", "mariadb"])
async def sql_engine(request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_url")
    else:
        url = request.getfixturevalue("mariadb_url")
        empty_mariadb(url)
    engine = create_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_history_asks_for_the_readers_reactions_once_and_only_when_a_message_has_some(
    sql_engine: AsyncEngine,
) -> None:
    app = build_messenger(SqlAlchemyUnitOfWorkFactory(sql_engine))
    amy = (await app.register("amy", "correct horse")).user.id
    bob = (await app.register("bob", "correct horse")).user.id
    chat = (await app.create_group(amy, "Team", [bob])).chat.id
    for n in range(5):
        await app.post_message(amy, chat, f"c{n}", f"m{n}")
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa.event.listen(sql_engine.sync_engine, "before_cursor_execute", note)
    try:
        await app.read_history(bob, chat)  # fills the cache
        statements.clear()
        await app.read_history(bob, chat)
        plain = list(statements)
        message = (await app.read_history(bob, chat)).items[2].id
        await app.react_to_message(amy, message, "👍")
        await app.read_history(bob, chat)
        statements.clear()
        page = await app.read_history(bob, chat)
        reacted = list(statements)
    finally:
        sa.event.remove(sql_engine.sync_engine, "before_cursor_execute", note)

    assert not [s for s in plain if "message_reactions" in s]
    assert len([s for s in reacted if "message_reactions" in s]) == 1
    assert len(reacted) == len(plain) + 1
    assert page.items[2].reactions == (ReactionCount("👍", 1),)


async def test_a_reaction_made_by_another_process_is_in_this_ones_cached_page(
    sql_engine: AsyncEngine,
) -> None:
    here = build_messenger(SqlAlchemyUnitOfWorkFactory(sql_engine))
    there = build_messenger(SqlAlchemyUnitOfWorkFactory(sql_engine))
    amy = (await here.register("amy", "correct horse")).user.id
    bob = (await here.register("bob", "correct horse")).user.id
    chat = (await here.create_group(amy, "Team", [bob])).chat.id
    message = (await here.post_message(amy, chat, "c1", "hello")).message.id
    assert (await here.read_history(bob, chat)).items[0].reactions == ()

    await there.react_to_message(bob, message, "🎉")

    page = await here.read_history(bob, chat)
    assert page.items[0].reactions == (ReactionCount("🎉", 1),)
    assert page.mine == {message: frozenset({"🎉"})}
