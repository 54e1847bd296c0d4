"""Pinned messages: who may pin, idempotence, the cap, the order, who is told, and that no
deleted message stays pinned."""

from __future__ import annotations

import pytest

import messenger
from messenger.adapters.codec import decode_event, encode_event
from messenger.adapters.memory import TickingClock
from messenger.domain.errors import ChatNotFound, Forbidden, NotFound, TooManyPins
from messenger.domain.events import MessagePinned, MessageUnpinned
from messenger.domain.model import AccessClaims, Limits, Role
from messenger.domain.service import Messenger
from tests.unit.conftest import Published, new_user, store_of


async def post(app: Messenger, user_id: int, chat_id: int, text: str) -> int:
    return (await app.post_message(user_id, chat_id, f"c-{text}", text)).message.id


async def pinned_ids(app: Messenger, user_id: int, chat_id: int) -> list[int]:
    return [p.pin.message_id for p in (await app.list_pins(user_id, chat_id)).items]


async def test_an_admin_pins_a_message_and_every_member_who_sees_it_is_told(
    app: Messenger, group: int, alice: int, bob: int, carol: int, published: Published
) -> None:
    message = await post(app, bob, group, "deploy at 5")
    published.clear()

    result = await app.pin_message(alice, group, message)

    assert result.created
    assert result.pinned.pin.pinned_by == alice
    assert result.pinned.message.text == "deploy at 5"
    [note] = published.items
    assert isinstance(note.event, MessagePinned)
    assert note.recipients == {alice, bob, carol}
    assert note.position is not None
    assert note.event.message.text == "deploy at 5"
    assert await pinned_ids(app, carol, group) == [message]


async def test_plain_members_of_a_group_may_not_pin_or_unpin(
    app: Messenger, group: int, alice: int, bob: int
) -> None:
    message = await post(app, bob, group, "mine")
    with pytest.raises(Forbidden):
        await app.pin_message(bob, group, message)
    await app.pin_message(alice, group, message)
    with pytest.raises(Forbidden):
        await app.unpin_message(bob, group, message)
    await app.change_role(alice, group, bob, Role.ADMIN)

    await app.unpin_message(bob, group, message)

    assert await pinned_ids(app, alice, group) == []


async def test_both_users_of_a_dialog_may_pin(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    first = await post(app, alice, dialog, "one")
    second = await post(app, alice, dialog, "two")

    await app.pin_message(bob, dialog, first)
    await app.pin_message(alice, dialog, second)

    assert await pinned_ids(app, alice, dialog) == [second, first]


async def test_strangers_get_not_found_for_the_chat_and_its_pins(
    app: Messenger, group: int, alice: int, dave: int
) -> None:
    message = await post(app, alice, group, "inside")
    await app.pin_message(alice, group, message)
    for attempt in (
        app.pin_message(dave, group, message),
        app.unpin_message(dave, group, message),
        app.list_pins(dave, group),
    ):
        with pytest.raises(ChatNotFound):
            await attempt


async def test_a_message_of_another_chat_or_deleted_cannot_be_pinned(
    app: Messenger, group: int, dialog: int, alice: int
) -> None:
    elsewhere = await post(app, alice, dialog, "elsewhere")
    gone = await post(app, alice, group, "gone")
    await app.delete_message(alice, gone)

    for message_id in (elsewhere, gone, 10**9):
        with pytest.raises(NotFound):
            await app.pin_message(alice, group, message_id)


async def test_pinning_twice_and_unpinning_twice_change_nothing_the_second_time(
    app: Messenger, group: int, alice: int, published: Published
) -> None:
    message = await post(app, alice, group, "once")
    first = await app.pin_message(alice, group, message)
    published.clear()

    again = await app.pin_message(alice, group, message)

    assert not again.created
    assert again.pinned.pin == first.pinned.pin
    assert published.items == []
    await app.unpin_message(alice, group, message)
    assert published.types() == ["message_unpinned"]
    published.clear()
    await app.unpin_message(alice, group, message)
    assert published.items == []


async def test_a_chat_keeps_at_most_its_cap_of_pins() -> None:
    app = messenger.in_memory(clock=TickingClock(), limits=Limits(max_pins=2))
    alice_id = await new_user(app, "alice")
    bob_id = await new_user(app, "bob")
    details, _ = await app.open_dialog(alice_id, bob_id)
    chat = details.chat.id
    ids = [await post(app, alice_id, chat, f"m{i}") for i in range(3)]
    await app.pin_message(alice_id, chat, ids[0])
    await app.pin_message(alice_id, chat, ids[1])

    with pytest.raises(TooManyPins) as raised:
        await app.pin_message(alice_id, chat, ids[2])

    assert raised.value.code == "too_many_pins"
    # Re-pinning one that is pinned is no new pin, and unpinning makes room.
    await app.pin_message(alice_id, chat, ids[1])
    await app.unpin_message(alice_id, chat, ids[0])
    await app.pin_message(alice_id, chat, ids[2])
    assert await pinned_ids(app, alice_id, chat) == [ids[2], ids[1]]


async def test_pins_page_newest_pin_first(app: Messenger, dialog: int, alice: int) -> None:
    ids = [await post(app, alice, dialog, f"m{i}") for i in range(5)]
    for message_id in (ids[3], ids[0], ids[4], ids[1]):
        await app.pin_message(alice, dialog, message_id)

    first = await app.list_pins(alice, dialog, limit=3)
    rest = await app.list_pins(alice, dialog, limit=3, cursor=first.next_cursor)

    assert [p.pin.message_id for p in first.items] == [ids[1], ids[4], ids[0]]
    assert first.has_more
    assert [p.pin.message_id for p in rest.items] == [ids[3]]
    assert not rest.has_more


async def test_deleting_a_pinned_message_unpins_it_and_tells_who_saw_it(
    app: Messenger, group: int, alice: int, bob: int, carol: int, published: Published
) -> None:
    message = await post(app, bob, group, "oops")
    await app.pin_message(alice, group, message)
    published.clear()

    await app.delete_message(bob, message)

    assert published.types() == ["message_deleted", "message_unpinned"]
    unpinned = published.items[1]
    assert isinstance(unpinned.event, MessageUnpinned)
    assert unpinned.event.unpinned_by == bob
    assert unpinned.event.pinned_by == alice
    assert unpinned.recipients == {alice, bob, carol}
    assert store_of(app).pins == {}


async def test_erasing_a_deleted_accounts_messages_unpins_them(
    app: Messenger, dialog: int, alice: int, bob: int, published: Published
) -> None:
    login = await app.register("erin", "password-123")
    erin = login.user.id
    chat, _ = await app.open_dialog(erin, bob)
    message = await post(app, erin, chat.chat.id, "bye")
    await app.pin_message(bob, chat.chat.id, message)
    published.clear()

    claims = AccessClaims(user_id=erin, session_id=login.session.id)
    await app.delete_account(claims, "password-123", erase_messages=True)

    unpinned = [n.event for n in published.items if isinstance(n.event, MessageUnpinned)]
    assert [(e.message_id, e.unpinned_by) for e in unpinned] == [(message, erin)]
    assert await pinned_ids(app, bob, chat.chat.id) == []


async def test_a_member_who_cleared_or_hid_a_pinned_message_sees_neither_it_nor_its_frames(
    app: Messenger, group: int, alice: int, bob: int, carol: int, published: Published
) -> None:
    cleared = await post(app, alice, group, "before clearing")
    await app.clear_chat(carol, group)
    hidden = await post(app, alice, group, "hidden by carol")
    await app.hide_message(carol, hidden)
    published.clear()

    await app.pin_message(alice, group, cleared)
    await app.pin_message(alice, group, hidden)

    assert all(carol not in n.recipients for n in published.items)
    assert await pinned_ids(app, carol, group) == []
    assert await pinned_ids(app, bob, group) == [hidden, cleared]
    changes = await app.get_changes_since(carol, 0)
    assert not any(isinstance(e.event, MessagePinned) for e in changes.entries)
    changes = await app.get_changes_since(bob, 0)
    assert sum(isinstance(e.event, MessagePinned) for e in changes.entries) == 2


async def test_pin_events_keep_their_stored_form(app: Messenger, dialog: int, alice: int) -> None:
    message = await post(app, alice, dialog, "kept")
    await app.pin_message(alice, dialog, message)
    await app.unpin_message(alice, dialog, message)

    for stored in store_of(app).feed[-2:]:
        event = stored.entry.event
        assert decode_event(encode_event(event)) == event
