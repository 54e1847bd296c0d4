"""The change feed, presence, and the rule that events are published only after commit."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from messenger.adapters.batching import BatchingCommitter
from messenger.adapters.memory import (
    InMemoryStore,
    InMemoryUnitOfWork,
    InMemoryUnitOfWorkFactory,
    InProcessNotifier,
    TickingClock,
)
from messenger.container import in_memory_container
from messenger.domain.errors import (
    NotFound,
    ResyncRequired,
    ServiceUnavailable,
    ValidationError,
)
from messenger.domain.events import Notification, PresenceChanged
from messenger.domain.model import Role
from messenger.domain.service import Messenger
from tests.unit.conftest import Published, store_of


def types(changes_entries: Sequence[object]) -> list[str]:
    return [entry.event.type for entry in changes_entries]  # type: ignore[attr-defined]


# --- changes since ------------------------------------------------------------------------


async def test_without_a_cursor_only_the_current_cursor_is_returned(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    await app.post_message(alice, dialog, "a-1", "hello")

    changes = await app.get_changes_since(bob, since=None)

    assert changes.entries == ()
    assert changes.cursor == 2  # chat_created, new_message
    assert not changes.has_more


async def test_changes_since_a_cursor_are_the_later_events_in_order(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    cursor = (await app.get_changes_since(bob, since=None)).cursor
    posted = (await app.post_message(alice, dialog, "a-1", "hello")).message
    await app.edit_message(alice, posted.id, "hello!")
    await app.mark_read(bob, dialog, posted.id)

    changes = await app.get_changes_since(bob, since=cursor)

    assert types(changes.entries) == ["new_message", "message_updated", "messages_read"]
    positions = [e.position for e in changes.entries]
    assert positions == sorted(positions)
    assert positions[0] > cursor
    assert changes.cursor == positions[-1]
    assert not changes.has_more
    assert (await app.get_changes_since(bob, since=changes.cursor)).entries == ()


async def test_feed_entries_carry_the_positions_that_were_pushed(
    app: Messenger, dialog: int, alice: int, bob: int, published: Published
) -> None:
    published.clear()
    await app.post_message(alice, dialog, "a-1", "hello")
    await app.post_message(bob, dialog, "b-1", "hi")

    changes = await app.get_changes_since(bob, since=1)

    assert [e.position for e in changes.entries] == [n.position for n in published.items]
    assert [e.event for e in changes.entries] == [n.event for n in published.items]


@pytest.mark.parametrize("since", [-1, 3])
async def test_a_cursor_that_is_negative_or_in_the_future_requires_a_resync(
    app: Messenger, dialog: int, alice: int, since: int
) -> None:
    await app.post_message(alice, dialog, "a-1", "hello")  # head is 2

    with pytest.raises(ResyncRequired) as caught:
        await app.get_changes_since(alice, since=since)

    assert caught.value.code == "resync_required"


@pytest.mark.parametrize("limit", [0, 1001])
async def test_the_feed_page_size_is_bounded(app: Messenger, alice: int, limit: int) -> None:
    with pytest.raises(ValidationError) as caught:
        await app.get_changes_since(alice, since=0, limit=limit)

    assert caught.value.field == "limit"


async def test_a_long_feed_is_paged_with_has_more(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    for i in range(7):
        await app.post_message(alice, dialog, f"a-{i}", f"message {i}")
    everything = (await app.get_changes_since(bob, since=0)).entries

    pages = []
    cursor = 0
    while True:
        changes = await app.get_changes_since(bob, since=cursor, limit=3)
        pages.append(changes.entries)
        cursor = changes.cursor
        if not changes.has_more:
            break

    assert [len(p) for p in pages] == [3, 3, 2]
    assert tuple(e for page in pages for e in page) == everything
    assert cursor == (await app.get_changes_since(bob, since=None)).cursor


async def test_a_non_member_sees_nothing_of_a_chat(
    app: Messenger, dialog: int, alice: int, bob: int, carol: int
) -> None:
    message = (await app.post_message(alice, dialog, "a-1", "private")).message
    await app.mark_read(bob, dialog, message.id)
    await app.send_typing(alice, dialog)

    changes = await app.get_changes_since(carol, since=0)

    assert changes.entries == ()
    assert changes.cursor == (await app.get_changes_since(alice, since=None)).cursor


async def test_a_new_member_sees_the_chat_from_joining_on_but_not_before(
    app: Messenger, group: int, alice: int, dave: int
) -> None:
    await app.post_message(alice, group, "a-1", "before dave")

    await app.add_member(alice, group, dave)
    await app.post_message(alice, group, "a-2", "welcome dave")

    changes = await app.get_changes_since(dave, since=0)
    assert types(changes.entries) == ["member_added", "new_message"]
    added = changes.entries[0].event
    assert {m.membership.user_id for m in added.members} >= {alice, dave}  # type: ignore[attr-defined]


async def test_a_removed_member_learns_of_the_removal_and_then_nothing_more(
    app: Messenger, group: int, alice: int, carol: int
) -> None:
    cursor = (await app.get_changes_since(carol, since=None)).cursor

    await app.remove_member(alice, group, carol)
    await app.post_message(alice, group, "a-1", "after carol left")
    await app.rename_group(alice, group, "Without carol")

    changes = await app.get_changes_since(carol, since=cursor)
    assert types(changes.entries) == ["member_removed"]
    assert changes.entries[0].event.subject_user_id == carol


async def test_someone_who_left_and_came_back_sees_only_what_followed_the_return(
    app: Messenger, group: int, alice: int, carol: int
) -> None:
    await app.remove_member(carol, group, carol)
    await app.post_message(alice, group, "a-1", "while carol was away")
    cursor = (await app.get_changes_since(carol, since=None)).cursor

    await app.add_member(alice, group, carol)
    await app.post_message(alice, group, "a-2", "carol is back")

    changes = await app.get_changes_since(carol, since=cursor)
    assert types(changes.entries) == ["member_added", "new_message"]
    assert changes.entries[1].event.message.text == "carol is back"  # type: ignore[attr-defined]


async def test_role_changes_and_renames_reach_every_member_through_the_feed(
    app: Messenger, group: int, alice: int, bob: int, carol: int
) -> None:
    cursor = (await app.get_changes_since(carol, since=None)).cursor

    await app.change_role(alice, group, bob, Role.ADMIN)
    await app.rename_group(bob, group, "Renamed")

    changes = await app.get_changes_since(carol, since=cursor)
    assert types(changes.entries) == ["member_updated", "chat_updated"]


# --- publishing only after commit ---------------------------------------------------------


class CheckingNotifier(InProcessNotifier):
    """Records, for every publish, whether the change was already committed and visible."""

    def __init__(self, store: InMemoryStore) -> None:
        super().__init__()
        self._store = store
        self.checks: list[bool] = []

    async def publish(self, notifications: Sequence[Notification]) -> None:
        head = len(self._store.feed)
        for n in notifications:
            self.checks.append(
                not self._store.write_lock.locked() and (n.position is None or n.position <= head)
            )
        await super().publish(notifications)


class FlakyFactory(InMemoryUnitOfWorkFactory):
    """Units of work whose commit fails while ``failing`` is set (a lost database)."""

    failing = False

    def __call__(self, *, read_only: bool = False) -> InMemoryUnitOfWork:
        uow = super().__call__(read_only=read_only)
        if self.failing:

            async def commit() -> list[Notification]:
                raise ServiceUnavailable()

            uow.commit = commit  # type: ignore[method-assign]
        return uow


def build(factory: InMemoryUnitOfWorkFactory, notifier: InProcessNotifier) -> Messenger:
    container = in_memory_container(
        clock=TickingClock(), uow=factory, notifier=notifier, committer=BatchingCommitter()
    )
    messenger: Messenger = container.messenger()
    return messenger


async def test_events_are_published_after_the_commit_released_the_write_lock() -> None:
    factory = InMemoryUnitOfWorkFactory()
    notifier = CheckingNotifier(factory.store)
    app = build(factory, notifier)
    alice = (await app.register("alice", "password-123")).user.id
    bob = (await app.register("bob", "password-123")).user.id
    chat = (await app.open_dialog(alice, bob))[0].chat.id
    group = (await app.create_group(alice, "Team", [bob])).chat.id

    message = (await app.post_message(alice, chat, "a-1", "hello")).message
    await app.edit_message(alice, message.id, "hello!")
    await app.mark_read(bob, chat, message.id)
    await app.acknowledge_delivery(bob, 100)
    await app.send_typing(bob, chat)
    await app.change_role(alice, group, bob, Role.ADMIN)
    await app.rename_group(alice, group, "Renamed")
    await app.delete_message(alice, message.id)
    await app.report_presence(bob, online=False)
    await app.remove_member(alice, group, bob)

    assert len(notifier.checks) >= 10
    assert all(notifier.checks)


async def test_a_failed_commit_publishes_nothing_and_keeps_nothing() -> None:
    factory = FlakyFactory()
    notifier = InProcessNotifier()
    seen: list[Notification] = []
    notifier.subscribe(seen.append)
    app = build(factory, notifier)
    alice = (await app.register("alice", "password-123")).user.id
    bob = (await app.register("bob", "password-123")).user.id
    chat = (await app.open_dialog(alice, bob))[0].chat.id
    seen.clear()

    factory.failing = True
    with pytest.raises(ServiceUnavailable) as caught:
        await app.post_message(alice, chat, "a-1", "hello")
    with pytest.raises(ServiceUnavailable):
        await app.create_group(alice, "Team", [bob])
    factory.failing = False

    assert caught.value.code == "service_unavailable"
    assert seen == []
    assert (await app.read_history(bob, chat)).items == ()
    assert len((await app.list_chats(alice)).items) == 1
    assert (await app.get_changes_since(bob, since=None)).cursor == 1
    # The client may simply retry with the same client id.
    assert (await app.post_message(alice, chat, "a-1", "hello")).created


async def test_a_rejected_use_case_publishes_nothing_and_records_nothing(
    app: Messenger, dialog: int, group: int, alice: int, bob: int, published: Published
) -> None:
    other = (await app.post_message(alice, group, "g-1", "x")).message
    head = (await app.get_changes_since(alice, since=None)).cursor
    published.clear()

    with pytest.raises(ValidationError):
        await app.post_message(alice, dialog, "a-1", "reply", reply_to_id=other.id)
    with pytest.raises(NotFound):
        await app.mark_read(bob, dialog, other.id)

    assert published.items == []
    assert (await app.get_changes_since(alice, since=None)).cursor == head
    assert (await app.read_history(alice, dialog)).items == ()


# --- presence -----------------------------------------------------------------------------


async def test_coming_online_is_told_to_contacts_only(
    app: Messenger, dialog: int, alice: int, bob: int, carol: int, published: Published
) -> None:
    published.clear()

    await app.report_presence(alice, online=True)

    [notification] = published.items
    assert isinstance(notification.event, PresenceChanged)
    assert notification.event.online
    assert notification.recipients == {bob}
    assert carol not in notification.recipients
    assert notification.position is None


async def test_going_offline_stores_last_seen_and_tells_contacts(
    app: Messenger, group: int, alice: int, bob: int, carol: int, dave: int, published: Published
) -> None:
    published.clear()

    await app.report_presence(bob, online=False)

    [notification] = published.items
    assert isinstance(notification.event, PresenceChanged)
    assert not notification.event.online
    assert notification.recipients == {alice, carol}
    last_seen = (await app.get_profile(alice, bob)).last_seen_at
    assert last_seen is not None
    assert notification.event.last_seen_at == last_seen
    assert store_of(app).feed[-1].entry.event.type != "presence"


async def test_presence_of_someone_without_contacts_is_told_to_nobody(
    app: Messenger, alice: int, published: Published
) -> None:
    published.clear()

    await app.report_presence(alice, online=True)
    await app.report_presence(alice, online=False)

    assert published.items == []
    assert (await app.get_profile(alice, alice)).last_seen_at is not None


async def test_presence_of_an_unknown_user_fails(app: Messenger) -> None:
    with pytest.raises(NotFound):
        await app.report_presence(999, online=True)
