"""The storage contract of chat settings and drafts, on every adapter set: memory, SQLite
(with and without the chat cache), MariaDB (the fixtures of tests/integration/test_contract.py).
"""

from __future__ import annotations

import asyncio

import pytest

from messenger.domain.chat_prefs import MUTED_FOREVER, ChatPrefs
from messenger.domain.events import DraftUpdated, Notification
from messenger.domain.ports import UnitOfWorkFactory
from messenger.domain.service import Messenger
from tests.integration.test_contract import T0, add_chat, add_users, register

pytestmark = pytest.mark.integration


async def test_chat_prefs_read_back_unchanged_and_defaults_leave_no_row(
    uow_factory: UnitOfWorkFactory,
) -> None:
    alice, bob = await add_users(uow_factory, "alice", "bob")
    first = await add_chat(uow_factory, alice.id, [alice.id, bob.id])
    second = await add_chat(uow_factory, alice.id, [alice.id])
    kept = ChatPrefs(first.id, alice.id, MUTED_FOREVER, -3, 17, "черновик 🌙", 5, T0)
    async with uow_factory() as uow:
        await uow.chat_prefs.save(kept)
        await uow.chat_prefs.save(ChatPrefs(second.id, alice.id, pin_position=0))
        await uow.chat_prefs.save(ChatPrefs(first.id, bob.id, muted_until=T0))
        await uow.commit()

    async with uow_factory(read_only=True) as uow:
        assert await uow.chat_prefs.get(first.id, alice.id) == kept
        assert [p.chat_id for p in await uow.chat_prefs.of_user(alice.id)] == [first.id, second.id]
        assert await uow.chat_prefs.get(second.id, bob.id) is None

    async with uow_factory() as uow:
        await uow.chat_prefs.save(ChatPrefs(second.id, alice.id))
        await uow.chat_prefs.save(ChatPrefs(first.id, alice.id, pin_position=1))
        await uow.chat_prefs.remove(first.id, bob.id)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.chat_prefs.of_user(alice.id) == [ChatPrefs(first.id, alice.id, None, 1)]
        assert await uow.chat_prefs.of_user(bob.id) == []


async def test_members_come_with_those_who_keep_a_draft(uow_factory: UnitOfWorkFactory) -> None:
    alice, bob, carol = await add_users(uow_factory, "alice", "bob", "carol")
    chat = await add_chat(uow_factory, alice.id, [alice.id, bob.id])
    elsewhere = await add_chat(uow_factory, alice.id, [alice.id, carol.id])
    async with uow_factory() as uow:
        await uow.chat_prefs.save(ChatPrefs(chat.id, bob.id, draft_text="hi", draft_updated_at=T0))
        await uow.chat_prefs.save(ChatPrefs(chat.id, alice.id, pin_position=0))
        await uow.chat_prefs.save(
            ChatPrefs(elsewhere.id, alice.id, draft_text="x", draft_updated_at=T0)
        )
        await uow.commit()

    async with uow_factory(read_only=True) as uow:
        members, drafting = await uow.members.member_ids_with_drafts(chat.id)
        assert await uow.members.member_ids(chat.id) == members
    assert members == {alice.id, bob.id}
    assert drafting == {bob.id}


async def test_a_post_drops_a_draft_saved_after_the_chats_members_were_cached(
    messenger_app: Messenger,
) -> None:
    app = messenger_app
    alice, bob = await register(app, "alice"), await register(app, "bob")
    details, _ = await app.open_dialog(alice, bob)
    chat_id = details.chat.id
    # Members (and who keeps a draft: nobody) go into the chat cache with this post.
    await app.post_message(bob, chat_id, "c0", "hello")
    told: list[Notification] = []
    app.ports.notifier.subscribe(told.append)  # type: ignore[attr-defined]

    await app.save_draft(alice, chat_id, "an answer", None)
    await app.post_message(alice, chat_id, "c1", "an answer")
    await app.post_message(alice, chat_id, "c2", "and more")

    drafts = [n.event for n in told if isinstance(n.event, DraftUpdated)]
    assert [d.draft is None for d in drafts] == [False, True]
    [item] = (await app.list_chats(alice)).items
    assert item.draft is None


async def test_posts_grouped_in_one_commit_drop_each_senders_draft_once(
    messenger_app: Messenger,
) -> None:
    app = messenger_app
    alice, bob = await register(app, "alice"), await register(app, "bob")
    group = (await app.create_group(alice, "Team", [bob])).chat.id
    await app.save_draft(alice, group, "a", None)
    await app.save_draft(bob, group, "b", None)
    told: list[Notification] = []
    app.ports.notifier.subscribe(told.append)  # type: ignore[attr-defined]

    await asyncio.gather(
        *(app.post_message((alice, bob)[i % 2], group, f"c{i}", f"m{i}") for i in range(6))
    )

    dropped = sorted(n.event.user_id for n in told if isinstance(n.event, DraftUpdated))
    assert dropped == sorted([alice, bob])
    for uid in (alice, bob):
        [item] = (await app.list_chats(uid)).items
        assert item.draft is None


async def test_settings_through_the_use_cases_order_the_list(messenger_app: Messenger) -> None:
    app = messenger_app
    alice, bob = await register(app, "alice"), await register(app, "bob")
    chats = [(await app.create_group(alice, f"G{i}", [bob])).chat.id for i in range(4)]
    await app.change_chat_settings(alice, chats[0], pinned=True)
    await app.change_chat_settings(alice, chats[1], archived=True, muted_until=MUTED_FOREVER)
    await app.change_chat_settings(alice, chats[2], archived=True)
    await app.post_message(bob, chats[1], "c1", "muted")
    await app.post_message(bob, chats[2], "c2", "wakes it up")

    main = [s.chat.id for s in (await app.list_chats(alice, limit=1)).items]
    page = await app.list_chats(alice, limit=2)
    rest = await app.list_chats(alice, limit=2, cursor=page.next_cursor)
    archived = await app.list_chats(alice, archived=True)

    assert main == [chats[0]]
    assert [s.chat.id for s in page.items + rest.items] == [chats[0], chats[2], chats[3]]
    assert [s.chat.id for s in archived.items] == [chats[1]]
    settings = archived.items[0].settings
    assert settings is not None
    assert settings.muted_until == MUTED_FOREVER
