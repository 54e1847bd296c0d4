"""The SQL adapter's chat cache never answers stale, also when another process writes.

Two unit-of-work factories over one database stand for two server processes: each has its
own cache. Whatever one changes, the other's next post must see.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from messenger.adapters.sqlalchemy import SqlAlchemyUnitOfWorkFactory, create_engine
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
