"""The storage contract of pins, forwards and reply quotes, on every adapter set (memory,
SQLite with and without the chat cache, MariaDB)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from messenger.domain.events import MessagePinned, MessagePosted, MessageUnpinned
from messenger.domain.model import ForwardedFrom, Message, Pin, ReplyPreview
from messenger.domain.ports import UnitOfWorkFactory
from messenger.domain.service import Messenger
from tests.integration.test_contract import T0, add_chat, add_users, all_changes

pytestmark = pytest.mark.integration

PASSWORD = "correct horse"


async def test_pins_are_kept_per_chat_newest_first(uow_factory: UnitOfWorkFactory) -> None:
    a, b = await add_users(uow_factory, "amy", "bob")
    chat = await add_chat(uow_factory, a.id, [a.id, b.id])
    other = await add_chat(uow_factory, a.id, [a.id])
    async with uow_factory() as uow:
        ids = [
            (await uow.messages.add(Message(0, chat.id, b.id, f"c{i}", f"m{i}", T0))).id
            for i in range(3)
        ]
        elsewhere = (await uow.messages.add(Message(0, other.id, a.id, "o", "o", T0))).id
        pins = [
            Pin(chat.id, ids[0], a.id, T0 + timedelta(seconds=2)),
            Pin(chat.id, ids[2], b.id, T0 + timedelta(seconds=1)),
            Pin(chat.id, ids[1], b.id, T0 + timedelta(seconds=2)),
            Pin(other.id, elsewhere, a.id, T0),
        ]
        for pin in pins:
            await uow.pins.add(pin)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.pins.of_chat(chat.id) == [pins[2], pins[0], pins[1]]
        assert await uow.pins.get(chat.id, ids[2]) == pins[1]
        assert await uow.pins.get(other.id, ids[2]) is None
        assert sorted(await uow.pins.among([ids[1], elsewhere, 10**9]), key=str) == sorted(
            [pins[2], pins[3]], key=str
        )
        assert await uow.pins.among([]) == []
    async with uow_factory() as uow:
        await uow.pins.remove(chat.id, ids[0])
        await uow.pins.remove(chat.id, ids[0])  # again: nothing changes
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.pins.of_chat(chat.id) == [pins[2], pins[1]]


async def test_messages_by_ids_and_those_some_member_no_longer_sees(
    uow_factory: UnitOfWorkFactory,
) -> None:
    a, b, c = await add_users(uow_factory, "amy", "bob", "cat")
    chat = await add_chat(uow_factory, a.id, [a.id, b.id])
    other = await add_chat(uow_factory, a.id, [a.id, c.id])
    async with uow_factory() as uow:
        ids = [
            (await uow.messages.add(Message(0, chat.id, b.id, f"c{i}", f"m{i}", T0))).id
            for i in range(4)
        ]
        # Cat, not in the chat, hides nothing there that counts.
        await uow.messages.hide(c.id, ids[3])
        await uow.messages.hide(b.id, ids[2])
        amy = await uow.members.get(chat.id, a.id)
        assert amy is not None
        amy.clear(ids[0])
        await uow.members.update(amy)
        theirs = (await uow.messages.add(Message(0, other.id, a.id, "x", "x", T0))).id
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        found = await uow.messages.get_many([ids[1], ids[3], 10**9])
        assert sorted(found) == [ids[1], ids[3]]
        assert found[ids[1]].text == "m1"
        assert await uow.messages.get_many([]) == {}
        assert await uow.messages.hidden_from_some([*ids, theirs]) == {ids[0], ids[2]}
        assert await uow.messages.hidden_from_some([]) == set()


async def test_a_forward_source_round_trips_and_the_quote_is_no_column(
    uow_factory: UnitOfWorkFactory,
) -> None:
    a, b = await add_users(uow_factory, "amy", "bob")
    chat = await add_chat(uow_factory, a.id, [a.id, b.id])
    source = ForwardedFrom(chat_id=None, sender_id=b.id, sent_at=T0 - timedelta(days=1))
    async with uow_factory() as uow:
        first = await uow.messages.add(Message(0, chat.id, a.id, "f", "fwd", T0))
        quoting = Message(
            0,
            chat.id,
            a.id,
            "g",
            "g",
            T0,
            reply_to_id=first.id,
            forwarded_from=source,
            reply_to=ReplyPreview(first.id, a.id, "fwd", False),
        )
        [stored] = await uow.messages.add_many([quoting])
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        read = await uow.messages.get(stored.id)
        assert read is not None
        assert read.forwarded_from == source
        assert read.reply_to is None  # made by reads, never stored
        assert (await uow.messages.get(first.id)).forwarded_from is None  # type: ignore[union-attr]


async def test_pin_frames_reach_only_members_who_see_the_message_and_survive_sync(
    messenger_app: Messenger,
) -> None:
    app = messenger_app
    amy = (await app.register("amy", PASSWORD)).user.id
    bob = (await app.register("bob", PASSWORD)).user.id
    group = (await app.create_group(amy, "Team", [bob])).chat.id
    original = await app.post_message(amy, group, "o", "the original")
    await app.clear_chat(bob, group)
    reply = await app.post_message(amy, group, "r", "a reply", reply_to_id=original.message.id)
    await app.pin_message(amy, group, original.message.id)
    await app.pin_message(amy, group, reply.message.id)
    await app.delete_message(amy, reply.message.id)

    amys = [e.event for e in await all_changes(app, amy)]
    bobs = [e.event for e in await all_changes(app, bob)]

    assert [type(e) for e in amys if isinstance(e, MessagePinned | MessageUnpinned)] == [
        MessagePinned,
        MessagePinned,
        MessageUnpinned,
    ]
    # Bob cleared the original: he is told of the reply's pin only, and no quote of it.
    assert [
        (type(e), e.message_id) for e in bobs if isinstance(e, MessagePinned | MessageUnpinned)
    ] == [
        (MessagePinned, reply.message.id),
        (MessageUnpinned, reply.message.id),
    ]
    [posted] = [e for e in bobs if isinstance(e, MessagePosted)]
    assert posted.message.reply_to == ReplyPreview(original.message.id, amy, "", True)
    history = (await app.read_history(amy, group)).items
    assert history[0].id == original.message.id
    assert [p.pin.message_id for p in (await app.list_pins(amy, group)).items] == [
        original.message.id
    ]
    assert (await app.list_pins(bob, group)).items == ()
