"""The storage contract of account deletion, clearing and hiding for me, on every adapter set
(memory, SQLite with and without the chat cache, MariaDB)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from messenger.domain.events import MessageDeleted, MessageEdited, MessagePosted
from messenger.domain.model import AccessClaims, AuthResult, Message
from messenger.domain.ports import UnitOfWorkFactory
from messenger.domain.service import Messenger
from tests.integration.test_contract import T0, add_chat, add_users, all_changes

pytestmark = pytest.mark.integration

PASSWORD = "correct horse"


async def sign_up(app: Messenger, name: str) -> AuthResult:
    return await app.register(name, PASSWORD)


async def post(app: Messenger, user_id: int, chat_id: int, text: str) -> int:
    return (await app.post_message(user_id, chat_id, f"c-{text}", text)).message.id


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_hidden_messages_are_kept_per_user(uow_factory: UnitOfWorkFactory) -> None:
    a, b = await add_users(uow_factory, "amy", "bob")
    chat = await add_chat(uow_factory, a.id, [a.id, b.id])
    async with uow_factory() as uow:
        ids = [
            (await uow.messages.add(Message(0, chat.id, b.id, f"c{i}", f"m{i}", T0))).id
            for i in range(3)
        ]
        await uow.messages.hide(a.id, ids[1])
        await uow.messages.hide(a.id, ids[1])  # again: nothing changes
        await uow.messages.hide(b.id, ids[1])
        await uow.messages.hide(b.id, ids[2])
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.messages.hidden_among(a.id, ids) == {ids[1]}
        assert await uow.messages.hidden_among(a.id, []) == set()
        assert await uow.messages.hiders(ids) == {ids[1]: {a.id, b.id}, ids[2]: {b.id}}
        # Bob sent none of them; Amy's unread count leaves out what she hid.
        assert await uow.messages.count_unread({chat.id: 0}, a.id) == {chat.id: 2}
        assert [m.id for m in await uow.messages.live_of_sender(b.id, 2)] == ids[:2]


async def test_deleting_an_account_frees_its_names_and_hides_it_from_search(
    messenger_app: Messenger,
) -> None:
    app = messenger_app
    old = await app.register("amy", PASSWORD, email="amy@example.com")
    await app.delete_account(AccessClaims(old.user.id, old.session.id), PASSWORD)

    new = await app.register("amy", PASSWORD, email="amy@example.com")

    assert new.user.id != old.user.id
    assert [p.id for p in (await app.search_users(new.user.id, "amy")).items] == [new.user.id]
    profile = await app.get_profile(new.user.id, old.user.id)
    assert (profile.deleted, profile.username) == (True, f"deleted-{old.user.id}")
    async with app.ports.uow(read_only=True) as uow:
        assert await uow.users.deleted_among([new.user.id, old.user.id, 999]) == {old.user.id}
        assert await uow.users.deleted_among([]) == set()


async def test_erasing_a_deleted_accounts_messages_in_batches_and_removing_its_files(
    messenger_app: Messenger,
) -> None:
    app = messenger_app
    amy = await sign_up(app, "amy")
    bob = await sign_up(app, "bob")
    dialog, _ = await app.open_dialog(amy.user.id, bob.user.id)
    sent = await app.upload_file(amy.user.id, "a.txt", "text/plain", _chunks(b"a"))
    loose = await app.upload_file(amy.user.id, "b.txt", "text/plain", _chunks(b"b"))
    await app.post_message(amy.user.id, dialog.chat.id, "f", "", attachment_ids=[sent.id])
    for i in range(5):
        await post(app, amy.user.id, dialog.chat.id, f"m{i}")
    kept = await post(app, bob.user.id, dialog.chat.id, "bob's")

    await app.delete_account(
        AccessClaims(amy.user.id, amy.session.id), PASSWORD, erase_messages=True
    )

    page = await app.read_history(bob.user.id, dialog.chat.id)
    assert [(m.id == kept, m.deleted) for m in page.items] == [(False, True)] * 6 + [(True, False)]
    async with app.ports.uow(read_only=True) as uow:
        assert await uow.files.get_many([sent.id, loose.id]) == []
        assert await uow.users.erasing(10) == []
    deleted = [
        e for e in await all_changes(app, bob.user.id) if isinstance(e.event, MessageDeleted)
    ]
    assert len(deleted) == 6


async def test_clearing_and_hiding_filter_history_chat_list_and_sync(
    messenger_app: Messenger,
) -> None:
    app = messenger_app
    amy = (await sign_up(app, "amy")).user.id
    bob = (await sign_up(app, "bob")).user.id
    chat = (await app.open_dialog(amy, bob))[0].chat.id
    cleared = [await post(app, bob, chat, f"old{i}") for i in range(3)]
    await app.edit_message(bob, cleared[0], "edited before the clear")
    await app.clear_chat(amy, chat)
    await app.edit_message(bob, cleared[1], "edited after the clear")
    newer = [await post(app, bob, chat, f"new{i}") for i in range(4)]
    await app.hide_message(amy, newer[3])
    await app.edit_message(bob, newer[3], "edited after the hide")

    assert [m.id for m in (await app.read_history(amy, chat)).items] == newer[:3]
    assert [m.id for m in (await app.read_history(amy, chat, limit=2)).items] == newer[1:3]
    assert [m.id for m in (await app.read_history(bob, chat)).items] == cleared + newer
    [summary] = (await app.list_chats(amy)).items
    assert summary.last_message is not None
    assert (summary.last_message.id, summary.unread_count) == (newer[2], 3)
    about_messages = [
        e.event.message.id
        for e in await all_changes(app, amy)
        if isinstance(e.event, MessagePosted | MessageEdited | MessageDeleted)
    ]
    assert about_messages == newer[:3]
    types = [e.event.type for e in await all_changes(app, amy)]
    assert types.count("chat_cleared") == 1
    assert types.count("message_hidden") == 1
    bobs = [e.event.type for e in await all_changes(app, bob)]
    assert "chat_cleared" not in bobs
    assert "message_hidden" not in bobs
    assert bobs.count("message_updated") == 3


async def test_the_media_gallery_leaves_out_what_the_reader_cleared_or_hid(
    messenger_app: Messenger,
) -> None:
    app = messenger_app
    amy = (await sign_up(app, "amy")).user.id
    bob = (await sign_up(app, "bob")).user.id
    chat = (await app.open_dialog(amy, bob))[0].chat.id

    async def send_file(name: str) -> int:
        stored = await app.upload_file(bob, name, "text/plain", _chunks(b"x"))
        result = await app.post_message(bob, chat, f"c-{name}", "", attachment_ids=[stored.id])
        return result.message.id

    old = await send_file("old.txt")
    await app.clear_chat(amy, chat)
    kept, hidden = await send_file("kept.txt"), await send_file("hidden.txt")
    await app.hide_message(amy, hidden)

    mine = await app.list_chat_media(amy, chat, "file")
    bobs = await app.list_chat_media(bob, chat, "file")
    assert [i.message_id for i in mine.items] == [kept]
    assert [i.message_id for i in bobs.items] == [hidden, kept, old]
