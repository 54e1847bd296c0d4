"""The feed keeps ``MESSENGER_FEED_RETENTION_DAYS``: older entries are pruned in batches, a
cursor inside the window still gets every later event, and one before it gets 410
``resync_required``, never a silent gap (on the in-memory adapters; the SQL ones in
tests/integration/test_feed_retention.py)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from messenger import embedded
from messenger.adapters.memory import InMemoryUnitOfWork, InMemoryUnitOfWorkFactory, TickingClock
from messenger.container import in_memory_container
from messenger.domain.errors import ResyncRequired
from messenger.domain.model import Limits
from messenger.domain.service import Messenger
from messenger.entrypoints.housekeeping import sweeping_uploads
from messenger.settings import Settings, SettingsError
from tests.unit.conftest import new_user, store_of

DAY = timedelta(days=1)


async def _retaining(days: int) -> tuple[Messenger, TickingClock, int, int, int]:
    """An app keeping ``days`` of feed, alice and bob in a dialog."""
    clock = TickingClock()
    app = embedded.in_memory(clock=clock, limits=Limits(feed_retention_days=days))
    alice, bob = await new_user(app, "alice"), await new_user(app, "bob")
    details, _ = await app.open_dialog(alice, bob)
    return app, clock, alice, bob, details.chat.id


async def test_entries_past_the_retention_are_pruned_in_batches_from_the_start() -> None:
    app, clock, alice, bob, dialog = await _retaining(30)
    for i in range(4):
        await app.post_message(alice, dialog, f"old-{i}", "old")
    old_head = (await app.get_changes_since(bob, None)).cursor
    clock.advance(31 * DAY)
    await app.post_message(alice, dialog, "new", "new")

    assert await app.prune_feed(batch=2) == old_head
    assert await app.prune_feed(batch=2) == 0
    store = store_of(app)
    assert store.feed_base == old_head
    assert [s.entry.position for s in store.feed] == [old_head + 1]


async def test_a_cursor_inside_the_window_gets_every_later_event_one_before_it_410() -> None:
    app, clock, alice, bob, dialog = await _retaining(30)
    stale = (await app.get_changes_since(bob, None)).cursor
    await app.post_message(alice, dialog, "old", "old")
    clock.advance(31 * DAY)
    kept = (await app.get_changes_since(bob, None)).cursor
    posted = (await app.post_message(alice, dialog, "new", "new")).message
    await app.mark_read(bob, dialog, posted.id)
    await app.prune_feed()

    changes = await app.get_changes_since(bob, kept)
    assert [e.event.type for e in changes.entries] == ["new_message", "messages_read"]
    assert [e.position for e in changes.entries] == [kept + 1, kept + 2]
    for cursor in (0, stale, kept - 1):
        with pytest.raises(ResyncRequired):
            await app.get_changes_since(bob, cursor)
    # A reloading client starts again from the current cursor.
    fresh = await app.get_changes_since(bob, None)
    assert (await app.get_changes_since(bob, fresh.cursor)).entries == ()


async def test_a_feed_pruned_empty_still_continues_from_its_head() -> None:
    app, clock, alice, bob, dialog = await _retaining(30)
    await app.post_message(alice, dialog, "old", "old")
    head = (await app.get_changes_since(bob, None)).cursor
    clock.advance(31 * DAY)

    assert await app.prune_feed() == head
    assert (await app.get_changes_since(bob, head)).entries == ()
    posted = await app.post_message(bob, dialog, "later", "later")
    assert [e.position for e in (await app.get_changes_since(alice, head)).entries] == [head + 1]
    assert posted.message.text == "later"
    with pytest.raises(ResyncRequired):
        await app.get_changes_since(bob, head - 1)


async def test_a_retention_of_zero_keeps_the_whole_feed() -> None:
    app, clock, alice, bob, dialog = await _retaining(0)
    await app.post_message(alice, dialog, "old", "old")
    clock.advance(10_000 * DAY)

    assert await app.prune_feed() == 0
    assert len((await app.get_changes_since(bob, 0)).entries) == 2


async def test_what_the_tables_hold_outlives_the_feed() -> None:
    """What a reloading client reads (chat list, history, read marks) does not come from
    the feed, and an administrator can still remove a message whose feed rows are gone."""
    app, clock, alice, bob, dialog = await _retaining(30)
    posted = (await app.post_message(alice, dialog, "old", "an old secret")).message
    await app.mark_read(bob, dialog, posted.id)
    clock.advance(31 * DAY)
    await app.prune_feed()

    (summary,) = await _chats(app, bob)
    assert summary.last_message is not None
    assert summary.last_message.text == "an old secret"
    history = await app.read_history(bob, dialog, limit=10)
    assert [m.text for m in history.items] == ["an old secret"]
    members = await app.get_chat(alice, dialog)
    assert {m.membership.user_id: m.membership.read_message_id for m in members.members}[
        bob
    ] == posted.id
    await app.edit_message(alice, posted.id, "edited after the prune")
    await app.acknowledge_delivery(bob, (await app.get_changes_since(bob, None)).cursor)
    assert [m.text for m in (await app.read_history(bob, dialog, limit=10)).items] == [
        "edited after the prune"
    ]


async def _chats(app: Messenger, uid: int) -> list[Any]:
    return list((await app.list_chats(uid, limit=10)).items)


class _PruneWhileReading(InMemoryUnitOfWorkFactory):
    """Prunes the feed's first entries right after a reader read it (a prune committing in
    another process between the read and the answer)."""

    def __init__(self, inner: InMemoryUnitOfWorkFactory, count: int) -> None:
        super().__init__(inner.store, clock=inner.clock)
        self.count = count

    def __call__(self, *, read_only: bool = False) -> InMemoryUnitOfWork:
        uow = super().__call__(read_only=read_only)
        if read_only:
            read, store, count = uow.feed.since, self.store, self.count

            async def racing(*args: Any, **kwargs: Any) -> Any:
                found = await read(*args, **kwargs)
                del store.feed[:count]
                store.feed_base += count
                return found

            uow.feed.since = racing  # type: ignore[method-assign]
        return uow


async def test_a_prune_committing_while_sync_reads_answers_410_not_a_gap() -> None:
    app, _, alice, bob, dialog = await _retaining(30)
    for i in range(3):
        await app.post_message(alice, dialog, f"m-{i}", "hi")
    factory = app.ports.uow
    assert isinstance(factory, InMemoryUnitOfWorkFactory)
    racing = Messenger(replace(app.ports, uow=_PruneWhileReading(factory, 2)))

    with pytest.raises(ResyncRequired):
        await racing.get_changes_since(bob, 1)


async def test_a_running_server_prunes_the_feed_by_itself() -> None:
    app, clock, alice, _, dialog = await _retaining(30)
    await app.post_message(alice, dialog, "old", "old")
    head = (await app.get_changes_since(alice, None)).cursor
    clock.advance(31 * DAY)

    async with sweeping_uploads(app, every=0.01, first_after=0):
        for _ in range(200):
            if not store_of(app).feed:
                break
            await asyncio.sleep(0.01)

    assert not store_of(app).feed
    assert store_of(app).feed_base == head


def test_the_retention_comes_from_the_environment_and_is_never_negative() -> None:
    env = {"MESSENGER_SECRET_KEY": "x" * 32, "MESSENGER_FEED_RETENTION_DAYS": "7"}
    assert in_memory_container(settings=Settings.from_env(env)).limits().feed_retention_days == 7
    default = Settings.from_env({"MESSENGER_SECRET_KEY": "x" * 32})
    assert default.feed_retention_days == 30
    assert Settings.from_env({**env, "MESSENGER_FEED_RETENTION_DAYS": "0"}).feed_retention_days == 0
    for bad in ("-1", "a month"):
        with pytest.raises(SettingsError):
            Settings.from_env({**env, "MESSENGER_FEED_RETENTION_DAYS": bad})
