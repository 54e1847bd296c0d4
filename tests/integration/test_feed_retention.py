"""Feed retention on every storage adapter: pruned from the start in batches, a cursor in
the window continues, one before it gets 410, two prunes at once are harmless, and
``messenger feed prune`` does it from the shell."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from messenger.adapters.memory import FastHasher, InMemoryUnitOfWorkFactory, TickingClock
from messenger.adapters.sqlalchemy import SqlAlchemyUnitOfWorkFactory
from messenger.container import Container, running
from messenger.domain.errors import ResyncRequired
from messenger.domain.ports import UnitOfWorkFactory
from messenger.domain.service import Messenger
from messenger.entrypoints import cli
from messenger.settings import Settings
from tests.integration.conftest import build_messenger

DAY = timedelta(days=1)


def _with_clock(uow_factory: UnitOfWorkFactory) -> tuple[Messenger, TickingClock]:
    clock = TickingClock()
    # The feed's rows are stamped with the same clock the pruning reads.
    assert isinstance(uow_factory, InMemoryUnitOfWorkFactory | SqlAlchemyUnitOfWorkFactory)
    uow_factory.clock = clock
    return build_messenger(uow_factory, clock), clock


async def _dialog(app: Messenger) -> tuple[int, int, int]:
    alice = (await app.register("alice", "password-123")).user.id
    bob = (await app.register("bob", "password-123")).user.id
    details, _ = await app.open_dialog(alice, bob)
    return alice, bob, details.chat.id


async def _head(app: Messenger, uid: int) -> int:
    return (await app.get_changes_since(uid, None)).cursor


async def test_the_feed_is_pruned_from_its_start_and_a_cursor_before_it_gets_410(
    uow_factory: UnitOfWorkFactory,
) -> None:
    app, clock = _with_clock(uow_factory)
    alice, bob, dialog = await _dialog(app)
    for i in range(5):
        await app.post_message(alice, dialog, f"old-{i}", f"old {i}")
    stale = await _head(app, bob)
    clock.advance(31 * DAY)
    kept = await _head(app, bob)
    posted = (await app.post_message(alice, dialog, "new", "new")).message
    await app.mark_read(bob, dialog, posted.id)

    assert await app.prune_feed(batch=2) == stale
    assert await app.prune_feed(batch=2) == 0

    changes = await app.get_changes_since(bob, kept)
    assert [e.event.type for e in changes.entries] == ["new_message", "messages_read"]
    assert [e.position for e in changes.entries] == [kept + 1, kept + 2]
    for cursor in (0, stale - 1):
        with pytest.raises(ResyncRequired):
            await app.get_changes_since(bob, cursor)
    # What a reloading client reads comes from the tables, all of it still there.
    history = await app.read_history(bob, dialog, limit=10)
    assert [m.text for m in history.items] == [*(f"old {i}" for i in range(5)), "new"]
    chat = await app.get_chat(alice, dialog)
    assert {m.membership.user_id: m.membership.read_message_id for m in chat.members}[
        bob
    ] == posted.id


async def test_a_feed_pruned_empty_continues_from_its_head(
    uow_factory: UnitOfWorkFactory,
) -> None:
    app, clock = _with_clock(uow_factory)
    alice, bob, dialog = await _dialog(app)
    await app.post_message(alice, dialog, "old", "old")
    head = await _head(app, bob)
    clock.advance(31 * DAY)

    assert await app.prune_feed() == head
    assert (await app.get_changes_since(bob, head)).entries == ()
    await app.post_message(bob, dialog, "later", "later")
    assert [e.position for e in (await app.get_changes_since(alice, head)).entries] == [head + 1]
    with pytest.raises(ResyncRequired):
        await app.get_changes_since(bob, head - 1)


async def test_two_prunes_at_once_delete_each_entry_once_and_leave_no_gap(
    uow_factory: UnitOfWorkFactory,
) -> None:
    app, clock = _with_clock(uow_factory)
    alice, bob, dialog = await _dialog(app)
    for i in range(12):
        await app.post_message(alice, dialog, f"old-{i}", "old")
    old = await _head(app, bob)
    clock.advance(31 * DAY)
    await app.post_message(alice, dialog, "new", "new")

    pruned = await asyncio.gather(app.prune_feed(batch=3), app.prune_feed(batch=3))

    assert sum(pruned) == old
    assert [e.position for e in (await app.get_changes_since(bob, old)).entries] == [old + 1]


async def test_an_administrator_removes_a_message_whose_feed_rows_are_gone(
    uow_factory: UnitOfWorkFactory,
) -> None:
    app, clock = _with_clock(uow_factory)
    admin, bob, dialog = await _dialog(app)  # the first account administers the server
    secret = (await app.post_message(bob, dialog, "s", "an old secret")).message
    clock.advance(31 * DAY)
    kept = await _head(app, bob)
    reply = await app.post_message(admin, dialog, "r", "a reply", reply_to_id=secret.id)
    await app.prune_feed()

    await app.remove_message(admin, secret.id)

    entries = (await app.get_changes_since(bob, kept)).entries
    texts = [getattr(e.event, "message", None) for e in entries]
    assert all(m is None or "secret" not in m.text for m in texts)
    quoted = [m.reply_to for m in texts if m is not None and m.id == reply.message.id]
    assert quoted
    assert all(q is not None and q.deleted and q.text == "" for q in quoted)


async def test_feed_prune_from_the_shell(
    shell_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = shell_settings
    # Written forty days ago, by a server whose clock said so.
    clock = TickingClock(start=datetime.now(UTC) - 40 * DAY)
    async with running(Container(settings=settings, clock=clock, hasher=FastHasher())) as (
        app,
        _,
    ):
        await _dialog(app)
        head = await _head(app, 1)

    with pytest.raises(SystemExit) as exited:
        # asyncio.run inside: from a worker thread, as this test already runs a loop.
        await asyncio.to_thread(cli.main, ["feed", "prune"])

    assert exited.value.code == 0
    assert f"pruned {head} feed entries" in capsys.readouterr().out
    async with running(Container(settings=settings, hasher=FastHasher())) as (app, _):
        with pytest.raises(ResyncRequired):
            await app.get_changes_since(1, 0)
        assert (await app.get_changes_since(1, head)).entries == ()
