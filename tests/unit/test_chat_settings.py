"""Mute, pin and archive a chat, on the in-memory adapters: the chat list's order (pinned
first in the user's order, then by activity, archived ones apart), un-archiving derived
from new messages, and who hears of a change."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import messenger
from messenger.adapters.codec import decode_event, encode_event
from messenger.adapters.memory import TickingClock
from messenger.contract.wire import Wire
from messenger.domain.chat_prefs import MAX_PINNED_CHATS, MUTED_FOREVER, ChatSettings, Draft
from messenger.domain.errors import (
    ChatNotFound,
    PinnedOrderMismatch,
    TooManyPinnedChats,
    ValidationError,
)
from messenger.domain.events import ChatSettingsUpdated, DraftUpdated
from messenger.domain.model import ChatSummary
from messenger.domain.service import Messenger
from tests.contract_check import check_sync_event
from tests.unit.conftest import Published, new_user

HOUR = timedelta(hours=1)


async def listed(app: Messenger, user_id: int, *, archived: bool = False) -> list[int]:
    """Every chat of the user's list (or archive), walked page by page."""
    ids: list[int] = []
    cursor = None
    while True:
        page = await app.list_chats(user_id, limit=2, cursor=cursor, archived=archived)
        ids += [s.chat.id for s in page.items]
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


async def summary(app: Messenger, user_id: int, chat_id: int) -> ChatSummary:
    for archived in (False, True):
        for item in (await app.list_chats(user_id, limit=100, archived=archived)).items:
            if item.chat.id == chat_id:
                return item
    raise AssertionError(f"chat {chat_id} is in neither list")


def settings_of(item: ChatSummary) -> ChatSettings:
    return item.settings or ChatSettings()


async def post(app: Messenger, user_id: int, chat_id: int, text: str = "hi") -> int:
    result = await app.post_message(user_id, chat_id, f"c-{chat_id}-{text}", text)
    return result.message.id


@pytest.fixture
async def chats(app: Messenger, alice: int, bob: int, carol: int, dave: int) -> list[int]:
    """Three chats of alice, the newest last: dialogs with bob and carol, a group."""
    first, _ = await app.open_dialog(alice, bob)
    second, _ = await app.open_dialog(alice, carol)
    third = await app.create_group(alice, "Team", [bob, dave])
    return [first.chat.id, second.chat.id, third.chat.id]


async def test_the_list_is_by_last_activity_until_something_is_pinned(
    app: Messenger, alice: int, chats: list[int]
) -> None:
    first, second, third = chats
    assert await listed(app, alice) == [third, second, first]

    await app.change_chat_settings(alice, first, pinned=True)

    assert await listed(app, alice) == [first, third, second]


async def test_a_chat_pinned_later_goes_on_top_and_the_order_can_be_changed(
    app: Messenger, alice: int, chats: list[int]
) -> None:
    first, second, third = chats
    await app.change_chat_settings(alice, first, pinned=True)
    _, order = await app.change_chat_settings(alice, second, pinned=True)
    assert order == [second, first]
    assert await listed(app, alice) == [second, first, third]

    assert await app.reorder_pinned_chats(alice, [first, second]) == [first, second]

    assert await listed(app, alice) == [first, second, third]
    await post(app, alice, third)
    assert await listed(app, alice) == [first, second, third]


@pytest.mark.parametrize(
    "order",
    [[], [1], [1, 1], [1, 2, 3]],
    ids=["none", "one missing", "twice", "an unpinned chat"],
)
async def test_a_new_pinned_order_must_name_exactly_the_pinned_chats(
    app: Messenger, alice: int, chats: list[int], order: list[int]
) -> None:
    first, second, _ = chats
    await app.change_chat_settings(alice, first, pinned=True)
    await app.change_chat_settings(alice, second, pinned=True)

    with pytest.raises(PinnedOrderMismatch) as caught:
        await app.reorder_pinned_chats(alice, [chats[i - 1] for i in order])

    assert caught.value.code == "pinned_order_mismatch"
    assert await listed(app, alice) == [second, first, chats[2]]


async def test_no_more_chats_can_be_pinned_than_the_cap(app: Messenger, alice: int) -> None:
    groups = [
        (await app.create_group(alice, f"G{i}", [])).chat.id for i in range(MAX_PINNED_CHATS + 1)
    ]
    for chat_id in groups[:MAX_PINNED_CHATS]:
        await app.change_chat_settings(alice, chat_id, pinned=True)

    with pytest.raises(TooManyPinnedChats) as caught:
        await app.change_chat_settings(alice, groups[-1], pinned=True)

    assert caught.value.code == "too_many_pinned_chats"
    await app.change_chat_settings(alice, groups[0], pinned=False)
    await app.change_chat_settings(alice, groups[-1], pinned=True)


async def test_an_archived_chat_leaves_the_list_for_the_archive(
    app: Messenger, alice: int, chats: list[int]
) -> None:
    first, second, third = chats
    await app.change_chat_settings(alice, second, archived=True)

    assert await listed(app, alice) == [third, first]
    assert await listed(app, alice, archived=True) == [second]
    assert settings_of(await summary(app, alice, second)).archived


async def test_a_new_message_unarchives_a_chat_that_is_not_muted(
    app: Messenger, alice: int, carol: int, chats: list[int]
) -> None:
    first, second, third = chats
    await app.change_chat_settings(alice, second, archived=True)

    await post(app, carol, second)

    assert await listed(app, alice) == [second, third, first]
    assert await listed(app, alice, archived=True) == []


async def test_a_muted_archived_chat_stays_archived_whatever_comes(
    app: Messenger, alice: int, carol: int, chats: list[int]
) -> None:
    _, second, _ = chats
    await app.change_chat_settings(alice, second, archived=True, muted_until=MUTED_FOREVER)

    for n in range(3):
        await post(app, carol, second, f"m{n}")

    assert await listed(app, alice, archived=True) == [second]
    item = await summary(app, alice, second)
    assert settings_of(item) == ChatSettings(muted_until=MUTED_FOREVER, archived=True)
    assert item.unread_count == 3  # muted chats still count


async def test_messages_during_a_mute_keep_the_archive_and_the_first_after_it_ends_does_not(
    app: Messenger, clock: TickingClock, alice: int, carol: int, chats: list[int]
) -> None:
    _, second, _ = chats
    await app.change_chat_settings(alice, second, archived=True)
    await app.change_chat_settings(alice, second, muted_until=clock.now() + HOUR)
    await post(app, carol, second, "while muted")

    clock.advance(2 * HOUR)

    assert await listed(app, alice, archived=True) == [second]
    assert settings_of(await summary(app, alice, second)).muted_until is None
    await post(app, carol, second, "after")
    assert await listed(app, alice, archived=True) == []


async def test_muting_after_a_message_already_unarchived_a_chat_does_not_archive_it_again(
    app: Messenger, alice: int, carol: int, chats: list[int]
) -> None:
    _, second, _ = chats
    await app.change_chat_settings(alice, second, archived=True)
    await post(app, carol, second)

    await app.change_chat_settings(alice, second, muted_until=MUTED_FOREVER)

    assert await listed(app, alice, archived=True) == []


async def test_archiving_unpins_and_pinning_unarchives(
    app: Messenger, alice: int, chats: list[int]
) -> None:
    first, _, _ = chats
    await app.change_chat_settings(alice, first, pinned=True)
    settings_now, order = await app.change_chat_settings(alice, first, archived=True)
    assert settings_now == ChatSettings(archived=True)
    assert order == []

    settings_now, order = await app.change_chat_settings(alice, first, pinned=True)
    assert settings_now == ChatSettings(pinned=True)
    assert order == [first]
    with pytest.raises(ValidationError):
        await app.change_chat_settings(alice, first, pinned=True, archived=True)


async def test_a_mute_runs_out_by_itself_and_a_past_moment_unmutes(
    app: Messenger, clock: TickingClock, alice: int, chats: list[int]
) -> None:
    first, second, _ = chats
    until = clock.now() + HOUR
    muted, _ = await app.change_chat_settings(alice, first, muted_until=until)
    assert muted.muted_until == until
    assert muted.muted
    unmuted, _ = await app.change_chat_settings(alice, second, muted_until=clock.now() - HOUR)
    assert not unmuted.muted

    clock.advance(2 * HOUR)

    assert not settings_of(await summary(app, alice, first)).muted


async def test_settings_reach_only_the_users_own_devices(
    app: Messenger, published: Published, alice: int, bob: int, chats: list[int]
) -> None:
    first, _, _ = chats
    published.clear()

    await app.change_chat_settings(alice, first, muted_until=MUTED_FOREVER, pinned=True)

    [note] = published.items
    assert note.recipients == {alice}
    assert note.event == ChatSettingsUpdated(
        alice, first, ChatSettings(muted_until=MUTED_FOREVER, pinned=True), (first,)
    )
    assert settings_of(await summary(app, bob, first)) == ChatSettings()
    assert decode_event(encode_event(note.event)) == note.event


async def test_a_change_that_changes_nothing_tells_nobody(
    app: Messenger, published: Published, alice: int, chats: list[int]
) -> None:
    first, _, _ = chats
    await app.change_chat_settings(alice, first, pinned=True)
    published.clear()

    await app.change_chat_settings(alice, first, pinned=True, archived=False)
    await app.change_chat_settings(alice, first)

    assert published.items == []


async def test_only_members_change_a_chats_settings(
    app: Messenger, alice: int, carol: int, chats: list[int]
) -> None:
    first, _, _ = chats  # alice and bob's dialog
    with pytest.raises(ChatNotFound):
        await app.change_chat_settings(carol, first, pinned=True)
    with pytest.raises(ChatNotFound):
        await app.change_chat_settings(carol, 10_000, archived=True)
    with pytest.raises(PinnedOrderMismatch):
        await app.reorder_pinned_chats(carol, [first])


async def test_leaving_a_group_takes_its_pin_out_of_the_count_and_the_order(
    app: Messenger, bob: int, chats: list[int]
) -> None:
    first, _, third = chats
    await app.change_chat_settings(bob, third, pinned=True)
    await app.change_chat_settings(bob, first, pinned=True)

    await app.remove_member(bob, third, bob)

    assert await app.reorder_pinned_chats(bob, [first]) == [first]


# --- any sequence of settings and posts: the list equals a recomputation ------------------


@dataclass
class _Model:
    """What alice should see, kept the plain (eager) way: an archive is undone by the
    first message that comes while the chat is not muted."""

    activity: dict[int, int] = field(default_factory=dict)
    pinned: list[int] = field(default_factory=list)
    archived: set[int] = field(default_factory=set)
    muted_until: dict[int, object] = field(default_factory=dict)

    def expected(self) -> tuple[list[int], list[int]]:
        by_activity = sorted(self.activity, key=lambda c: self.activity[c], reverse=True)
        rest = [c for c in by_activity if c not in self.pinned and c not in self.archived]
        return self.pinned + rest, [c for c in by_activity if c in self.archived]


_ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "pin",
                "unpin",
                "archive",
                "unarchive",
                "mute_hour",
                "mute_forever",
                "unmute",
                "post",
                "post",
                "wait",
                "reorder",
            ]
        ),
        # Three chats: enough for an order, few enough that actions meet on one chat.
        st.integers(0, 2),
        st.randoms(use_true_random=False),
    ),
    min_size=3,
    max_size=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=_ACTIONS)
async def test_whatever_the_settings_and_posts_the_list_equals_a_recomputation(
    actions: list[tuple[str, int, object]],
) -> None:
    clock = TickingClock()
    app = messenger.in_memory(clock=clock)
    alice, bob = await new_user(app, "alice"), await new_user(app, "bob")
    model = _Model()
    chats = []
    for n in range(3):
        chat_id = (await app.create_group(alice, f"G{n}", [bob])).chat.id
        chats.append(chat_id)
        model.activity[chat_id] = len(model.activity)
    tick = len(chats)
    for action, index, rnd in actions:
        chat_id = chats[index]
        if action == "pin":
            await app.change_chat_settings(alice, chat_id, pinned=True)
            if chat_id not in model.pinned:
                model.pinned.insert(0, chat_id)
            model.archived.discard(chat_id)
        elif action == "unpin":
            await app.change_chat_settings(alice, chat_id, pinned=False)
            model.pinned = [c for c in model.pinned if c != chat_id]
        elif action == "archive":
            await app.change_chat_settings(alice, chat_id, archived=True)
            model.archived.add(chat_id)
            model.pinned = [c for c in model.pinned if c != chat_id]
        elif action == "unarchive":
            await app.change_chat_settings(alice, chat_id, archived=False)
            model.archived.discard(chat_id)
        elif action in ("mute_hour", "mute_forever", "unmute"):
            until = {"mute_hour": clock.now() + HOUR, "mute_forever": MUTED_FOREVER}.get(action)
            await app.change_chat_settings(alice, chat_id, muted_until=until)
            model.muted_until[chat_id] = until
        elif action == "post":
            sender = (alice, bob)[index % 2]
            tick += 1
            message = await app.post_message(sender, chat_id, f"c{tick}", "hi")
            until = model.muted_until.get(chat_id)
            muted = until is not None and until > message.message.created_at  # type: ignore[operator]
            if not muted:
                model.archived.discard(chat_id)
            model.activity[chat_id] = tick
        elif action == "wait":
            clock.advance(2 * HOUR)
        elif action == "reorder":
            order = list(model.pinned)
            rnd.shuffle(order)  # type: ignore[attr-defined]
            await app.reorder_pinned_chats(alice, order)
            model.pinned = order
        main, archive = model.expected()
        assert await listed(app, alice) == main
        assert await listed(app, alice, archived=True) == archive
    assert await listed(app, bob) == sorted(
        model.activity, key=lambda c: model.activity[c], reverse=True
    )


# --- the frames, as clients receive them -------------------------------------------------


def test_the_settings_and_draft_frames_are_what_the_document_describes() -> None:
    wire = Wire()
    at = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)
    frames = [
        wire.event(ChatSettingsUpdated(1, 7, ChatSettings(MUTED_FOREVER, True, False), (7, 3)), 5),
        wire.event(ChatSettingsUpdated(1, 7, ChatSettings(at, False, True), ()), 6),
        wire.event(DraftUpdated(1, 7, Draft("почти", 42, at)), 7),
        wire.event(DraftUpdated(1, 7, None), 8),
    ]

    assert frames == [
        b'{"type":"chat_settings_updated","data":{"chat_id":7,"muted_until":"forever",'
        b'"muted":true,"pinned":true,"archived":false,"pinned_chat_ids":[7,3]},"cursor":5}',
        b'{"type":"chat_settings_updated","data":{"chat_id":7,"muted_until":'
        b'"2026-05-01T12:30:00Z","muted":true,"pinned":false,"archived":true,'
        b'"pinned_chat_ids":[]},"cursor":6}',
        b'{"type":"draft_updated","data":{"chat_id":7,"draft":{"text":"\xd0\xbf\xd0\xbe\xd1\x87'
        b'\xd1\x82\xd0\xb8","reply_to_id":42,"updated_at":"2026-05-01T12:30:00Z"}},"cursor":7}',
        b'{"type":"draft_updated","data":{"chat_id":7,"draft":null},"cursor":8}',
    ]
    for frame in frames:
        check_sync_event(json.loads(frame))


@pytest.mark.parametrize("forget", ["hide", "clear"])
async def test_a_device_syncing_past_a_hidden_unarchiving_message_learns_the_chat_is_back(
    app: Messenger, alice: int, carol: int, chats: list[int], forget: str
) -> None:
    # Sync leaves out messages the user hid or cleared, and with them the news that one of
    # them brought the chat back from the archive: the device must hear it all the same.
    _, second, _ = chats
    await app.change_chat_settings(alice, second, archived=True)
    cursor = (await app.get_changes_since(alice, since=None)).cursor
    message = await post(app, carol, second)
    if forget == "hide":
        await app.hide_message(alice, message)
    else:
        await app.clear_chat(alice, second)

    events = [e.event for e in (await app.get_changes_since(alice, since=cursor)).entries]
    settings = [e for e in events if isinstance(e, ChatSettingsUpdated) and e.chat == second]
    assert settings
    assert not settings[-1].settings.archived
    assert not settings_of(await summary(app, alice, second)).archived
