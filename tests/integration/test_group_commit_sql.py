"""The guarantees of posting over real SQL (SQLite and MariaDB), with either committer.

Two factories over one database stand for two server processes where a race between
processes matters. The batching committer must write a whole queue of posts in one unit of
work (that is what the benchmark measures); the direct one writes each post alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from messenger.adapters.batching import BatchingCommitter
from messenger.adapters.memory import DirectCommitter
from messenger.adapters.sqlalchemy import SqlAlchemyUnitOfWorkFactory, create_engine
from messenger.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from messenger.domain.errors import ChatNotFound, Conflict, ServiceUnavailable, ValidationError
from messenger.domain.events import MessagePosted, Notification
from messenger.domain.ports import Committer, UnitOfWorkFactory
from messenger.domain.service import Messenger
from messenger.domain.usecases import PostResult
from tests.integration.conftest import build_messenger, empty_mariadb

pytestmark = pytest.mark.integration


class CountingFactory:
    """Counts the write units of work of an SQL factory, and can break the next commit."""

    def __init__(self, inner: SqlAlchemyUnitOfWorkFactory) -> None:
        self.inner = inner
        self.writes = 0
        self.fail_next_commit = False

    def __call__(self, *, read_only: bool = False) -> SqlAlchemyUnitOfWork:
        uow = self.inner(read_only=read_only)
        if not read_only:
            self.writes += 1
            if self.fail_next_commit:
                self.fail_next_commit = False

                async def broken_commit() -> list[Notification]:
                    raise ServiceUnavailable()

                uow.commit = broken_commit  # type: ignore[method-assign]
        return uow


class VisibleAtPublish:
    """A notifier that checks, through another connection, that every posted message it is
    handed is already committed."""

    def __init__(self, reader: UnitOfWorkFactory) -> None:
        self.reader = reader
        self.published: list[Notification] = []
        self.unseen: list[int] = []

    async def publish(self, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            if isinstance(n.event, MessagePosted):
                async with self.reader(read_only=True) as uow:
                    if await uow.messages.get(n.event.message.id) is None:
                        self.unseen.append(n.event.message.id)
        self.published.extend(notifications)


@pytest.fixture(params=["sqlite", "mariadb"])
async def engines(request: pytest.FixtureRequest) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """Two engines over one fresh database: two server processes."""
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_url")
    else:
        url = request.getfixturevalue("mariadb_url")
        empty_mariadb(url)
    first, second = create_engine(url), create_engine(url)
    try:
        yield first, second
    finally:
        await first.dispose()
        await second.dispose()


@pytest.fixture(params=["batching", "direct"])
def committer(request: pytest.FixtureRequest) -> Committer:
    return BatchingCommitter() if request.param == "batching" else DirectCommitter()


def batching(committer: Committer) -> bool:
    return isinstance(committer, BatchingCommitter)


async def _team(app: Messenger, size: int = 4) -> tuple[int, list[int], int]:
    users = [(await app.register(f"user{i}", "correct horse")).user.id for i in range(size)]
    stranger = (await app.register("stranger", "correct horse")).user.id
    chat = (await app.create_group(users[0], "team", users[1:])).chat.id
    return chat, users, stranger


def _app(
    engine: AsyncEngine, committer: Committer, reader: AsyncEngine | None = None
) -> tuple[Messenger, CountingFactory, VisibleAtPublish]:
    factory = CountingFactory(SqlAlchemyUnitOfWorkFactory(engine))
    notifier = VisibleAtPublish(SqlAlchemyUnitOfWorkFactory(reader or engine))
    app = build_messenger(factory, committer=committer)  # type: ignore[arg-type]
    return Messenger(replace(app.ports, notifier=notifier)), factory, notifier


async def test_concurrent_posts_share_one_unit_of_work_and_are_published_after_commit(
    engines: tuple[AsyncEngine, AsyncEngine], committer: Committer
) -> None:
    app, factory, notifier = _app(engines[0], committer, reader=engines[1])
    chat, users, _ = await _team(app)
    before = factory.writes
    results = await asyncio.gather(
        *(app.post_message(users[i % 4], chat, f"c{i}", f"text {i}") for i in range(30))
    )
    if batching(committer):
        assert factory.writes - before <= 2  # the first alone, the rest queued behind it
    else:
        assert factory.writes - before == 30
    ids = [r.message.id for r in results]
    assert all(r.created for r in results)
    assert notifier.unseen == []
    posted = [n.event.message.id for n in notifier.published if isinstance(n.event, MessagePosted)]
    if batching(committer):
        # Queued in call order, written in that order: ids and publishing follow it.
        assert ids == sorted(ids)
        assert posted == ids
    assert sorted(posted) == sorted(ids)
    page = await app.read_history(users[1], chat, limit=50)
    assert [m.id for m in page.items] == sorted(ids)
    # Ids ascend in commit order: the feed, in position order, has them ascending.
    feed = await app.get_changes_since(users[1], 0)
    in_feed = [e.event.message.id for e in feed.entries if isinstance(e.event, MessagePosted)]
    assert in_feed == sorted(ids)


async def test_a_post_that_breaks_a_rule_fails_alone_and_resends_in_a_group_are_found(
    engines: tuple[AsyncEngine, AsyncEngine], committer: Committer
) -> None:
    app, factory, notifier = _app(engines[0], committer)
    chat, users, stranger = await _team(app)
    other = (await app.create_group(users[0], "other", [users[1]])).chat.id
    stored = await app.post_message(users[1], chat, "s", "stored before")
    notifier.published.clear()
    before = factory.writes
    outcomes = await asyncio.gather(
        app.post_message(users[0], chat, "warm-up", "goes alone"),
        app.post_message(users[0], chat, "a", "fine"),
        app.post_message(stranger, chat, "b", "not a member"),
        app.post_message(users[0], chat, "r", "bad reply", reply_to_id=10**6),
        app.post_message(users[1], chat, "k", "first"),
        app.post_message(users[1], chat, "k", "resent in the same group"),
        app.post_message(users[1], other, "k", "same client id, other chat"),
        app.post_message(users[1], chat, "s", "resend of a stored one"),
        app.post_message(users[2], chat, "z", "fine too"),
        return_exceptions=True,
    )
    warm_up, fine, stranger_post, bad_reply, first, resent, reused, old, last = outcomes
    assert isinstance(stranger_post, ChatNotFound)
    assert isinstance(bad_reply, ValidationError)
    for ok in (warm_up, fine, last):
        assert not isinstance(ok, BaseException)
        assert ok.created
    assert not isinstance(old, BaseException)
    assert (old.created, old.message) == (False, stored.message)
    # One message for client id "k": the posts to its chat get it (created once), the post
    # to the other chat is refused. Which one wins is the order of commits; with group
    # commit that is the order of the calls.
    k_posts = [first, resent, reused]
    winners = [o for o in k_posts if not isinstance(o, BaseException) and o.created]
    assert len(winners) == 1
    [winner] = winners
    for o in k_posts:
        if isinstance(o, BaseException):
            assert isinstance(o, Conflict)
        else:
            assert o.message.id == winner.message.id
    if batching(committer):
        assert winner is first
        assert isinstance(reused, Conflict)
        # One group, written once trusting the keys and once looking the resends up.
        assert factory.writes - before <= 3
    published = [n.event.message.id for n in notifier.published]  # type: ignore[attr-defined]
    created = [o.message.id for o in outcomes if not isinstance(o, BaseException) and o.created]
    assert sorted(published) == sorted(created)
    page = await app.read_history(users[0], chat)
    in_chat = [stored.message.id] + [o.message.id for o in created_in(outcomes, chat)]
    assert [m.id for m in page.items] == sorted(in_chat)


def created_in(outcomes: Sequence[object], chat: int) -> list[PostResult]:
    return [
        o for o in outcomes if isinstance(o, PostResult) and o.created and o.message.chat_id == chat
    ]


async def test_a_failed_commit_fails_its_group_and_keeps_and_publishes_nothing(
    engines: tuple[AsyncEngine, AsyncEngine], committer: Committer
) -> None:
    app, factory, notifier = _app(engines[0], committer)
    chat, users, _ = await _team(app)
    notifier.published.clear()
    factory.fail_next_commit = True
    outcomes = await asyncio.gather(
        *(app.post_message(users[0], chat, f"x{i}", "hello") for i in range(4)),
        return_exceptions=True,
    )
    assert isinstance(outcomes[0], ServiceUnavailable)
    if batching(committer):
        assert all(isinstance(o, ServiceUnavailable) for o in outcomes)
    stored = sorted(o.message.id for o in outcomes if not isinstance(o, BaseException))
    assert sorted(n.event.message.id for n in notifier.published) == stored  # type: ignore[attr-defined]
    assert [m.id for m in (await app.read_history(users[0], chat)).items] == stored
    # Nothing of the failed group was kept: its client ids are free.
    again = await app.post_message(users[0], chat, "x0", "hello")
    assert again.created


async def test_a_race_with_another_process_on_the_same_client_id_finds_the_winner(
    engines: tuple[AsyncEngine, AsyncEngine], committer: Committer
) -> None:
    here, _, pushed_here = _app(engines[0], committer)
    there, _, pushed_there = _app(engines[1], BatchingCommitter())
    chat, users, _ = await _team(here)
    created: list[int] = []
    for round_ in range(4):
        same = f"same-{round_}"
        outcomes = await asyncio.gather(
            there.post_message(users[0], chat, same, "from there"),
            *(here.post_message(users[i], chat, f"here-{round_}-{i}", "bystander") for i in (1, 2)),
            here.post_message(users[0], chat, same, "from here"),
            *(there.post_message(users[i], chat, f"there-{round_}-{i}", "other") for i in (1, 3)),
        )
        racers = [outcomes[0], outcomes[3]]
        assert len({r.message.id for r in racers}) == 1
        assert sorted(r.created for r in racers) == [False, True]
        assert all(o.created for i, o in enumerate(outcomes) if i not in (0, 3))
        created += [o.message.id for o in outcomes if o.created]
    # Only what was created was published, each message once, by the process that stored it.
    published = [
        n.event.message.id
        for n in pushed_here.published + pushed_there.published
        if isinstance(n.event, MessagePosted)
    ]
    assert sorted(published) == sorted(created)
    page = await here.read_history(users[0], chat, limit=100)
    assert [m.id for m in page.items] == sorted(created)


async def test_a_cancelled_callers_post_is_still_stored(
    engines: tuple[AsyncEngine, AsyncEngine], committer: Committer
) -> None:
    app, _, _ = _app(engines[0], committer)
    chat, users, _ = await _team(app)
    posting = asyncio.ensure_future(app.post_message(users[0], chat, "gone", "hello"))
    await asyncio.sleep(0)
    posting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await posting
    again = await app.post_message(users[0], chat, "gone", "hello")
    assert not again.created
    assert [m.client_id for m in (await app.read_history(users[0], chat)).items] == ["gone"]


async def test_a_group_of_posts_indexes_its_texts_in_one_statement_and_none_without_text(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    app, factory, _ = _app(engines[0], BatchingCommitter())
    chat, users, _ = await _team(app)
    statements: list[str] = []

    def note(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "message_search" in statement:
            statements.append(statement)

    sync_engine = engines[0].sync_engine
    event.listen(sync_engine, "before_cursor_execute", note)
    try:
        before = factory.writes
        await asyncio.gather(
            *(app.post_message(users[i % 4], chat, f"c{i}", f"отчёт {i}") for i in range(20))
        )
        groups = factory.writes - before
        indexed = len(statements)
        upload = await app.upload_file(users[0], "a.txt", "text/plain", _bytes(b"x"))
        statements.clear()
        await app.post_message(users[0], chat, "only-a-file", "", attachment_ids=[upload.id])
    finally:
        event.remove(sync_engine, "before_cursor_execute", note)

    assert indexed == groups
    assert statements == []  # nothing to index, nothing written
    found = await app.search_messages(users[1], "отчеты", limit=50)
    assert len(found.items) == 20


async def _bytes(data: bytes) -> AsyncIterator[bytes]:
    yield data
