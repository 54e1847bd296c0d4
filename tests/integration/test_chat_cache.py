"""The SQL adapter's chat cache never answers stale, also when another process writes.

Two unit-of-work factories over one database stand for two server processes: each has its
own cache. Whatever one changes, the other's next post must see.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from messenger.adapters.sqlalchemy import SqlAlchemyUnitOfWorkFactory, create_engine
from messenger.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from messenger.domain.errors import ChatNotFound
from messenger.domain.events import MessagePosted, Notification
from messenger.domain.model import Role
from messenger.domain.service import Messenger
from tests.integration.conftest import build_messenger, empty_mariadb

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "mariadb"])
async def two_processes(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[Messenger, Messenger, list[Notification]]]:
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_url")
    else:
        url = request.getfixturevalue("mariadb_url")
        empty_mariadb(url)
    engines = [create_engine(url), create_engine(url)]
    apps = [build_messenger(SqlAlchemyUnitOfWorkFactory(e)) for e in engines]
    pushed: list[Notification] = []
    apps[0].ports.notifier.subscribe(pushed.append)  # type: ignore[attr-defined]
    try:
        yield apps[0], apps[1], pushed
    finally:
        for engine in engines:
            await engine.dispose()


async def _user(app: Messenger, name: str) -> int:
    return (await app.register(name, "correct horse")).user.id


def _recipients_of_last_post(pushed: list[Notification]) -> frozenset[int]:
    posted = [n for n in pushed if isinstance(n.event, MessagePosted)]
    return posted[-1].recipients


async def test_a_post_sees_members_changed_by_another_process(
    two_processes: tuple[Messenger, Messenger, list[Notification]],
) -> None:
    a, b, pushed = two_processes
    alice, bob, carol = [await _user(a, n) for n in ("alice", "bob", "carol")]
    group = (await a.create_group(alice, "team", [bob])).chat.id
    await a.post_message(alice, group, "c1", "warm the cache")
    assert _recipients_of_last_post(pushed) == {alice, bob}

    await b.add_member(alice, group, carol)
    await a.post_message(alice, group, "c2", "carol is in")
    assert _recipients_of_last_post(pushed) == {alice, bob, carol}

    await b.remove_member(alice, group, bob)
    await a.post_message(alice, group, "c3", "bob is out")
    assert _recipients_of_last_post(pushed) == {alice, carol}

    # Carol can post through the first process, which learned of her from the second.
    posted = await a.post_message(carol, group, "c4", "hello")
    assert posted.created


async def test_a_post_does_not_undo_a_rename_made_by_another_process(
    two_processes: tuple[Messenger, Messenger, list[Notification]],
) -> None:
    a, b, _ = two_processes
    alice, bob = [await _user(a, n) for n in ("alice", "bob")]
    group = (await a.create_group(alice, "old", [bob])).chat.id
    await a.post_message(alice, group, "c1", "warm the cache")

    await b.rename_group(alice, group, "new")
    # The post rewrites the chat's last message; a stale cached row would bring "old" back.
    await a.post_message(alice, group, "c2", "after the rename")
    details = await b.get_chat(bob, group)
    assert details.chat.title == "new"
    assert details.chat.last_message_id is not None


async def test_a_removed_member_cannot_post_through_a_process_that_cached_them(
    two_processes: tuple[Messenger, Messenger, list[Notification]],
) -> None:
    a, b, _ = two_processes
    alice, bob = [await _user(a, n) for n in ("alice", "bob")]
    group = (await a.create_group(alice, "team", [bob])).chat.id
    await a.change_role(alice, group, bob, Role.ADMIN)
    await a.post_message(bob, group, "c1", "warm the cache")
    await b.remove_member(alice, group, bob)
    with pytest.raises(ChatNotFound):
        await a.post_message(bob, group, "c2", "still here?")


async def test_changes_in_the_same_process_are_seen_at_once(
    two_processes: tuple[Messenger, Messenger, list[Notification]],
) -> None:
    a, _, pushed = two_processes
    alice, bob, carol = [await _user(a, n) for n in ("alice", "bob", "carol")]
    group = (await a.create_group(alice, "team", [bob])).chat.id
    await a.post_message(alice, group, "c1", "warm the cache")
    await a.add_member(alice, group, carol)
    await a.post_message(alice, group, "c2", "carol is in")
    assert _recipients_of_last_post(pushed) == {alice, bob, carol}
    await a.rename_group(alice, group, "renamed")
    await a.post_message(alice, group, "c3", "renamed")
    assert (await a.get_chat(alice, group)).chat.title == "renamed"


async def _texts(app: Messenger, user: int, chat: int, limit: int = 50) -> list[str]:
    return [m.text for m in (await app.read_history(user, chat, limit=limit)).items]


async def test_history_sees_posts_edits_and_deletes_made_by_another_process(
    two_processes: tuple[Messenger, Messenger, list[Notification]],
) -> None:
    a, b, _ = two_processes
    alice, bob = [await _user(a, n) for n in ("alice", "bob")]
    group = (await a.create_group(alice, "team", [bob])).chat.id
    first = (await a.post_message(alice, group, "c1", "one")).message
    assert await _texts(a, bob, group) == ["one"]  # the newest page is now cached in a

    await b.post_message(bob, group, "c2", "two")
    assert await _texts(a, bob, group) == ["one", "two"]
    await b.edit_message(alice, first.id, "one, edited")
    assert await _texts(a, bob, group) == ["one, edited", "two"]
    await b.delete_message(alice, first.id)
    page = (await a.read_history(bob, group)).items
    assert page[0].deleted
    assert page[1].text == "two"


async def test_history_through_the_same_process_is_current_after_every_change(
    two_processes: tuple[Messenger, Messenger, list[Notification]],
) -> None:
    a, _, _ = two_processes
    alice, bob = [await _user(a, n) for n in ("alice", "bob")]
    dialog = (await a.open_dialog(alice, bob))[0].chat.id
    ids = []
    for n in range(3):
        ids.append((await a.post_message(alice, dialog, f"c{n}", f"m{n}")).message.id)
        assert await _texts(a, bob, dialog) == [f"m{k}" for k in range(n + 1)]
    await a.edit_message(alice, ids[1], "m1!")
    assert await _texts(a, bob, dialog) == ["m0", "m1!", "m2"]
    # A short page first (the cache learns only the newest two), then longer ones.
    small = await a.read_history(bob, dialog, limit=1)
    assert [m.text for m in small.items] == ["m2"]
    assert small.has_more
    full = await a.read_history(bob, dialog, limit=10)
    assert [m.text for m in full.items] == ["m0", "m1!", "m2"]
    assert not full.has_more
    # What a caller does to its page does not reach the next caller.
    full.items[0].text = "scribbled"
    assert await _texts(a, bob, dialog) == ["m0", "m1!", "m2"]


async def test_a_member_removed_by_another_process_cannot_read_history_here(
    two_processes: tuple[Messenger, Messenger, list[Notification]],
) -> None:
    a, b, _ = two_processes
    alice, bob = [await _user(a, n) for n in ("alice", "bob")]
    group = (await a.create_group(alice, "team", [bob])).chat.id
    await a.post_message(alice, group, "c1", "one")
    assert await _texts(a, bob, group) == ["one"]
    await b.remove_member(alice, group, bob)
    with pytest.raises(ChatNotFound):
        await a.read_history(bob, group)


async def test_concurrent_posts_and_reads_always_see_your_own_post_and_never_go_back(
    two_processes: tuple[Messenger, Messenger, list[Notification]],
) -> None:
    a, b, _ = two_processes
    users = [await _user(a, f"user{n}") for n in range(4)]
    group = (await a.create_group(users[0], "team", users[1:])).chat.id
    done = asyncio.Event()

    async def post(app: Messenger, user: int, count: int) -> None:
        for n in range(count):
            mine = (await app.post_message(user, group, f"{user}-{n}", f"{user}:{n}")).message
            # Read your own write, through this process's cache.
            page = await a.read_history(user, group, limit=100)
            assert mine.id in [m.id for m in page.items]

    async def read(user: int) -> None:
        newest_seen = 0
        while not done.is_set():
            ids = [m.id for m in (await a.read_history(user, group, limit=20)).items]
            assert ids == sorted(ids)
            if ids:
                assert ids[-1] >= newest_seen  # a reader never goes back in time
                newest_seen = ids[-1]
            await asyncio.sleep(0)

    readers = [asyncio.create_task(read(u)) for u in users[:2]]
    await asyncio.gather(
        post(a, users[0], 15), post(a, users[1], 15), post(b, users[2], 15), post(a, users[3], 15)
    )
    done.set()
    await asyncio.gather(*readers)
    everything = [m.id for m in (await b.read_history(users[0], group, limit=100)).items]
    assert len(everything) == 60
    assert [m.id for m in (await a.read_history(users[0], group, limit=100)).items] == everything


class _OlderHead:
    """A shared head read that started before the cache took this process's last commit."""

    def __init__(self, head: int) -> None:
        self.head = head

    async def read(self) -> int:
        return self.head


async def test_a_reader_one_commit_behind_the_cache_is_answered_and_clears_nothing(
    sqlite_url: str,
) -> None:
    engine = create_engine(sqlite_url)
    factory = SqlAlchemyUnitOfWorkFactory(engine)
    app = build_messenger(factory)
    try:
        alice, bob, carol = [await _user(app, n) for n in ("alice", "bob", "carol")]
        dialog = (await app.open_dialog(alice, bob))[0].chat.id
        other = (await app.open_dialog(alice, carol))[0].chat.id
        await app.post_message(alice, other, "o1", "elsewhere")
        await app.post_message(alice, dialog, "c1", "one")
        await app.read_history(carol, other)  # fills the cached pages
        await app.read_history(bob, dialog)
        await app.post_message(alice, dialog, "c2", "two")  # applied to it
        cache = factory.cache
        assert cache is not None
        assert cache.head is not None
        behind = SqlAlchemyUnitOfWork(
            engine,
            read_only=True,
            cache=cache,
            heads=_OlderHead(cache.head - 1),  # type: ignore[arg-type]
        )
        async with behind as uow:
            page = await uow.messages.page(dialog, before=None, after=None, limit=51)
        assert [m.text for m in page] == ["one", "two"]
        assert cache.newest(other, 51) is not None  # still there: nothing was cleared
    finally:
        await engine.dispose()


async def test_a_page_read_on_a_snapshot_older_than_a_commit_applied_since_is_not_kept(
    sqlite_url: str,
) -> None:
    # SQLite reads in a transaction: the snapshot starts at the reader's first query, so a
    # commit applied to the cache after it is missing from the page the reader then reads.
    engine = create_engine(sqlite_url)
    factory = SqlAlchemyUnitOfWorkFactory(engine)
    app = build_messenger(factory)
    try:
        alice, bob = [await _user(app, n) for n in ("alice", "bob")]
        dialog = (await app.open_dialog(alice, bob))[0].chat.id
        await app.post_message(alice, dialog, "c1", "one")
        cache = factory.cache
        assert cache is not None
        async with SqlAlchemyUnitOfWork(
            engine, read_only=True, cache=cache, heads=factory.heads
        ) as reader:
            assert await reader.members.get(dialog, bob) is not None  # the snapshot starts
            await app.post_message(alice, dialog, "c2", "two")  # lands and is applied
            old = await reader.messages.page(dialog, before=None, after=None, limit=51)
        assert [m.text for m in old] == ["one"]
        assert await _texts(app, bob, dialog) == ["one", "two"]
    finally:
        await engine.dispose()
