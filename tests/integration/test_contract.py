"""One contract for the storage ports, run on every adapter set: memory, SQLite, MariaDB.

The in-memory fakes are what the unit tests trust; these tests keep them honest against
the real databases, at the repository level and through the use cases.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from messenger.adapters.memory import TickingClock
from messenger.domain.errors import (
    ChatNotFound,
    Conflict,
    EmailTaken,
    InvalidToken,
    NotFound,
    UsernameTaken,
)
from messenger.domain.events import FeedEntry, MessagePosted
from messenger.domain.model import (
    Attachment,
    Block,
    Chat,
    ChatKind,
    Contact,
    FileKind,
    Membership,
    Message,
    MessageEdit,
    Role,
    StoredFile,
    User,
)
from messenger.domain.ports import UnitOfWorkFactory
from messenger.domain.privacy import Audience, PrivacySettings, online_visible, relation
from messenger.domain.service import Messenger
from tests.integration.conftest import build_messenger

# Searching is done by someone; who does not matter here (nobody hides anything).
ANYONE = 1

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def user(name: str, email: str | None = None, display_name: str | None = None) -> User:
    return User(
        id=0,
        username=name,
        email=email,
        password_hash="x",
        display_name=display_name or name,
        created_at=T0,
    )


async def add_users(uow_factory: UnitOfWorkFactory, *names: str) -> list[User]:
    async with uow_factory() as uow:
        added = [await uow.users.add(user(n)) for n in names]
        await uow.commit()
    return added


async def add_chat(uow_factory: UnitOfWorkFactory, creator: int, members: list[int]) -> Chat:
    async with uow_factory() as uow:
        chat = await uow.chats.add(
            Chat(
                id=0,
                kind=ChatKind.GROUP,
                title="t",
                created_by=creator,
                created_at=T0,
                last_activity_at=T0,
            )
        )
        for uid in members:
            await uow.members.add(Membership(chat.id, uid, Role.MEMBER, T0))
        await uow.commit()
    return chat


async def add_message(
    uow_factory: UnitOfWorkFactory, chat_id: int, sender_id: int, client_id: str
) -> Message:
    async with uow_factory() as uow:
        message = await uow.messages.add(
            Message(0, chat_id, sender_id, client_id, f"text {client_id}", T0)
        )
        await uow.commit()
    return message


async def register(app: Messenger, name: str, display_name: str | None = None) -> int:
    result = await app.register(name, "correct horse", display_name=display_name)
    return result.user.id


async def all_changes(app: Messenger, user_id: int, since: int = 0) -> list[FeedEntry]:
    entries: list[FeedEntry] = []
    while True:
        changes = await app.get_changes_since(user_id, since=since)
        entries.extend(changes.entries)
        since = changes.cursor
        if not changes.has_more:
            return entries


# --- users ---------------------------------------------------------------------------------


async def test_usernames_and_emails_are_unique_ignoring_case(messenger_app: Messenger) -> None:
    await messenger_app.register("Alice", "correct horse", email="Alice@Example.org")
    with pytest.raises(UsernameTaken):
        await messenger_app.register("ALICE", "correct horse")
    with pytest.raises(EmailTaken):
        await messenger_app.register("alice2", "correct horse", email="alice@EXAMPLE.org")


async def test_the_store_itself_rejects_duplicate_users(uow_factory: UnitOfWorkFactory) -> None:
    [alice, bob] = await add_users(uow_factory, "alice", "bob")
    async with uow_factory() as uow:
        bob.email = "bob@example.org"
        await uow.users.update(bob)
        await uow.commit()
    async with uow_factory() as uow:
        with pytest.raises(UsernameTaken):
            await uow.users.add(user("alice"))
    async with uow_factory() as uow:
        with pytest.raises(EmailTaken):
            await uow.users.add(user("carol", email="bob@example.org"))
    async with uow_factory() as uow:
        alice.email = "bob@example.org"
        with pytest.raises(EmailTaken):
            await uow.users.update(alice)
    async with uow_factory(read_only=True) as uow:
        assert (await uow.users.by_email("BOB@example.org")).id == bob.id  # type: ignore[union-attr]
        assert (await uow.users.by_username("Alice")).id == alice.id  # type: ignore[union-attr]
        assert (await uow.users.get(alice.id)).email is None  # type: ignore[union-attr]


async def test_ids_ascend_and_repositories_hand_out_copies(uow_factory: UnitOfWorkFactory) -> None:
    added = await add_users(uow_factory, "ann", "ben", "cid")
    ids = [u.id for u in added]
    assert ids == sorted(ids)
    assert len(set(ids)) == 3
    async with uow_factory(read_only=True) as uow:
        loaded = await uow.users.get(ids[0])
        assert loaded is not None
        loaded.display_name = "changed without update"
        assert (await uow.users.get(ids[0])).display_name == "ann"  # type: ignore[union-attr]
        assert [u.id for u in await uow.users.get_many([ids[2], ids[0], ids[2], 10**9])] == [
            ids[0],
            ids[2],
        ]
        assert await uow.users.get(10**9) is None


async def test_search_matches_username_or_display_name_and_orders_by_username(
    messenger_app: Messenger,
) -> None:
    await register(messenger_app, "zed", "Иван Петров")
    await register(messenger_app, "ivan_k", "Kuznetsov")
    await register(messenger_app, "ivan.b", "B")
    await register(messenger_app, "maria", "Мария 🌸")
    found = (await messenger_app.search_users(ANYONE, "ИВАН")).items
    assert [p.username for p in found] == ["zed"]
    found = (await messenger_app.search_users(ANYONE, "ivan")).items
    assert [p.username for p in found] == ["ivan.b", "ivan_k"]
    # "_" is a literal character, not a LIKE wildcard.
    assert [p.username for p in (await messenger_app.search_users(ANYONE, "n_k")).items] == [
        "ivan_k"
    ]
    assert [p.username for p in (await messenger_app.search_users(ANYONE, "", limit=2)).items] == [
        "ivan.b",
        "ivan_k",
    ]
    assert [p.display_name for p in (await messenger_app.search_users(ANYONE, "🌸")).items] == [
        "Мария 🌸"
    ]
    # The next page starts after the last username shown, in the storage's own order.
    first = await messenger_app.search_users(ANYONE, "", limit=2)
    rest = await messenger_app.search_users(ANYONE, "", limit=2, cursor=first.next_cursor)
    assert first.has_more
    assert [p.username for p in rest.items] == ["maria", "zed"]
    assert (rest.has_more, rest.next_cursor) == (False, None)


async def test_text_and_times_round_trip_exactly(uow_factory: UnitOfWorkFactory) -> None:
    moscow = timezone(timedelta(hours=3))
    when = datetime(2026, 7, 9, 23, 59, 58, 999999, tzinfo=moscow)
    async with uow_factory() as uow:
        stored = await uow.users.add(
            User(
                id=0,
                username="olga",
                email=None,
                password_hash="h",
                display_name="Ольга 👩‍💻",
                created_at=when,
                bio="Ёлка, 𝄞 and ✓",
                last_seen_at=when,
            )
        )
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        loaded = await uow.users.get(stored.id)
    assert loaded is not None
    assert loaded.display_name == "Ольга 👩‍💻"
    assert loaded.bio == "Ёлка, 𝄞 and ✓"
    assert loaded.created_at == when
    assert loaded.last_seen_at == when
    assert loaded.created_at.utcoffset() is not None
    assert loaded.created_at.microsecond == 999999


async def test_ids_beyond_64_bits_simply_find_nothing(uow_factory: UnitOfWorkFactory) -> None:
    [a] = await add_users(uow_factory, "amy")
    chat = await add_chat(uow_factory, a.id, [a.id])
    message = await add_message(uow_factory, chat.id, a.id, "1")
    huge = 10**30
    async with uow_factory(read_only=True) as uow:
        assert await uow.users.get(huge) is None
        assert await uow.chats.get(-huge) is None
        assert await uow.members.get(huge, a.id) is None
        assert await uow.messages.page(chat.id, before=huge, after=None, limit=5) == [message]
        assert await uow.messages.page(chat.id, before=None, after=huge, limit=5) == []
        assert await uow.feed.since(a.id, huge, huge + 1, 5) == []


# --- chats and members ---------------------------------------------------------------------


async def test_one_dialog_per_direct_key(uow_factory: UnitOfWorkFactory) -> None:
    [a, b] = await add_users(uow_factory, "amy", "bea")
    key = Chat.direct_key_for(a.id, b.id)
    dialog = Chat(0, ChatKind.DIRECT, None, a.id, T0, T0, direct_key=key)
    async with uow_factory() as uow:
        first = await uow.chats.add(dialog)
        await uow.commit()
    async with uow_factory() as uow:
        with pytest.raises(Conflict):
            await uow.chats.add(dialog)
    async with uow_factory(read_only=True) as uow:
        assert (await uow.chats.by_direct_key(key)) == first
        assert await uow.chats.by_direct_key("0:0") is None


async def test_update_many_changes_exactly_the_given_chats(
    uow_factory: UnitOfWorkFactory,
) -> None:
    [a, b] = await add_users(uow_factory, "amy", "bea")
    key = Chat.direct_key_for(a.id, b.id)
    async with uow_factory() as uow:
        dialog = await uow.chats.add(Chat(0, ChatKind.DIRECT, None, a.id, T0, T0, direct_key=key))
        groups = [await uow.chats.add(Chat(0, ChatKind.GROUP, f"g{n}", a.id, T0, T0)) for n in "12"]
        await uow.commit()
    later = T0 + timedelta(minutes=5)
    changed = [replace(dialog, last_message_id=7, last_activity_at=later)]
    changed.append(replace(groups[0], title="renamed", last_message_id=9, last_activity_at=later))
    async with uow_factory() as uow:
        await uow.chats.update_many(changed)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.chats.get_many([dialog.id, *(g.id for g in groups)]) == [
            *changed,
            groups[1],
        ]
        assert await uow.chats.by_direct_key(key) == changed[0]


async def test_memberships_and_contacts(uow_factory: UnitOfWorkFactory) -> None:
    [a, b, c, d] = await add_users(uow_factory, "amy", "bea", "cat", "dan")
    one = await add_chat(uow_factory, a.id, [a.id, b.id])
    two = await add_chat(uow_factory, c.id, [c.id, a.id])
    async with uow_factory() as uow:
        with pytest.raises(Conflict):
            await uow.members.add(Membership(one.id, b.id, Role.MEMBER, T0))
    async with uow_factory() as uow:
        m = await uow.members.get(one.id, b.id)
        assert m is not None
        assert m.mark_read(7)
        m.role = Role.ADMIN
        await uow.members.update(m)
        await uow.members.remove(two.id, c.id)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.members.contacts_of(a.id) == {b.id}
        assert await uow.members.contacts_of(d.id) == set()
        assert [m.chat_id for m in await uow.members.of_user(a.id)] == [one.id, two.id]
        both = await uow.members.of_chats([two.id, one.id])
        assert [(m.chat_id, m.user_id) for m in both] == [
            (one.id, a.id),
            (one.id, b.id),
            (two.id, a.id),
        ]
        bea = await uow.members.get(one.id, b.id)
        assert bea == Membership(one.id, b.id, Role.ADMIN, T0, 0, 7, 7)


async def test_whose_being_online_a_viewer_may_see_follows_the_privacy_rule(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """``privacy.online_visible_to`` applies ``online_visible`` in the store: every
    ``online`` setting (or none stored) against every relation the owner has to the
    viewer, and what the viewer thinks of the owner changes nothing."""
    kinds = [(a, c, b) for a in (None, *Audience) for c in (False, True) for b in (False, True)]
    [viewer, *owners] = await add_users(
        uow_factory, "viewer", *(f"owner{i}" for i in range(len(kinds)))
    )
    v = viewer.id
    async with uow_factory() as uow:
        for owner, (audience, contact, blocked) in zip(owners, kinds, strict=True):
            if audience is not None:
                # Another setting hiding everything must not count for ``online``.
                await uow.privacy.put(
                    owner.id, PrivacySettings(online=audience, last_seen=Audience.NOBODY)
                )
            if contact:
                await uow.contacts.put(Contact(owner.id, v, None, T0))
            if blocked:
                await uow.blocks.add(Block(owner.id, v, T0))
            # The viewer's own view of the owner is no relation of the owner to the viewer.
            await uow.contacts.put(Contact(v, owner.id, None, T0))
        await uow.privacy.put(v, PrivacySettings(online=Audience.NOBODY))
        await uow.commit()
    expected = {
        owner.id
        for owner, (audience, contact, blocked) in zip(owners, kinds, strict=True)
        if online_visible(
            relation(v, owner.id, contact=contact, blocked=blocked),
            PrivacySettings(online=audience or Audience.EVERYBODY),
        )
    }
    ids = [o.id for o in owners]
    async with uow_factory(read_only=True) as uow:
        assert await uow.privacy.online_visible_to(v, ids) == expected
        assert await uow.privacy.online_visible_to(v, [*ids, 10**9]) == expected
        assert await uow.privacy.online_visible_to(v, ids[:3]) == expected & set(ids[:3])
        assert await uow.privacy.online_visible_to(v, []) == set()
        # Oneself: always (as ``relation`` says), whatever one's own setting.
        assert await uow.privacy.online_visible_to(v, [v]) == {v}
    # Nobody hides from everyone: a few do, most show (the matrix is not all one way).
    assert 0 < len(expected) < len(owners)


# --- messages ------------------------------------------------------------------------------


async def test_history_pages_ascend_and_respect_before_after_and_limit(
    uow_factory: UnitOfWorkFactory,
) -> None:
    [a] = await add_users(uow_factory, "amy")
    chat = await add_chat(uow_factory, a.id, [a.id])
    other = await add_chat(uow_factory, a.id, [a.id])
    ids = []
    for i in range(10):
        ids.append((await add_message(uow_factory, chat.id, a.id, f"c{i}")).id)
        await add_message(uow_factory, other.id, a.id, f"o{i}")
    assert ids == sorted(ids)

    async def page(
        before: int | None = None, after: int | None = None, limit: int = 3
    ) -> list[int]:
        async with uow_factory(read_only=True) as uow:
            items = await uow.messages.page(chat.id, before=before, after=after, limit=limit)
        return [m.id for m in items]

    assert await page() == ids[-3:]
    assert await page(before=ids[3], limit=2) == ids[1:3]
    assert await page(before=ids[1], limit=5) == ids[:1]
    assert await page(after=ids[5], limit=2) == ids[6:8]
    assert await page(after=ids[8], limit=5) == ids[9:]
    assert await page(after=ids[2], before=ids[6], limit=10) == ids[3:6]
    assert await page(after=ids[2], before=ids[6], limit=2) == ids[3:5]
    assert await page(before=ids[0]) == []
    assert await page(limit=0) == []


async def test_read_history_through_the_use_case(messenger_app: Messenger) -> None:
    a = await register(messenger_app, "amy")
    b = await register(messenger_app, "bea")
    dialog, _ = await messenger_app.open_dialog(a, b)
    sent = [
        (await messenger_app.post_message(a, dialog.chat.id, f"c{i}", f"m{i}")).message.id
        for i in range(5)
    ]
    page = await messenger_app.read_history(b, dialog.chat.id, limit=2)
    assert [m.id for m in page.items] == sent[-2:]
    assert page.has_more
    page = await messenger_app.read_history(b, dialog.chat.id, before=sent[1], limit=2)
    assert [m.id for m in page.items] == sent[:1]
    assert not page.has_more
    page = await messenger_app.read_history(b, dialog.chat.id, after=sent[0], limit=3)
    assert [m.id for m in page.items] == sent[1:4]
    assert page.has_more


async def test_resending_a_client_id_returns_the_first_message(messenger_app: Messenger) -> None:
    a = await register(messenger_app, "amy")
    b = await register(messenger_app, "bea")
    dialog, _ = await messenger_app.open_dialog(a, b)
    first = await messenger_app.post_message(a, dialog.chat.id, "same", "hello")
    again = await messenger_app.post_message(a, dialog.chat.id, "same", "hello again")
    assert first.created
    assert not again.created
    assert again.message == first.message
    # Client ids are case-sensitive: "SAME" is another message.
    other = await messenger_app.post_message(a, dialog.chat.id, "SAME", "hi")
    assert other.created
    assert other.message.id > first.message.id


async def test_the_store_rejects_a_duplicate_client_id(uow_factory: UnitOfWorkFactory) -> None:
    [a] = await add_users(uow_factory, "amy")
    chat = await add_chat(uow_factory, a.id, [a.id])
    first = await add_message(uow_factory, chat.id, a.id, "dup")
    async with uow_factory() as uow:
        with pytest.raises(Conflict):
            await uow.messages.add(Message(0, chat.id, a.id, "dup", "again", T0))
    async with uow_factory(read_only=True) as uow:
        assert await uow.messages.by_client_id(a.id, "dup") == first
        assert await uow.messages.by_client_id(a.id, "DUP") is None


async def test_messages_by_client_ids_finds_exact_pairs_only(
    uow_factory: UnitOfWorkFactory,
) -> None:
    a, b = await add_users(uow_factory, "amy", "bea")
    chat = await add_chat(uow_factory, a.id, [a.id, b.id])
    a1 = await add_message(uow_factory, chat.id, a.id, "one")
    a2 = await add_message(uow_factory, chat.id, a.id, "two")
    b1 = await add_message(uow_factory, chat.id, b.id, "three")
    async with uow_factory(read_only=True) as uow:
        found = await uow.messages.by_client_ids(
            [
                (a.id, "one"),
                (b.id, "three"),
                (a.id, "two"),
                (a.id, "one"),  # asked twice: still one entry
                (b.id, "one"),  # amy's client id, but bea's: no message
                (a.id, "three"),  # bea's client id, amy's: no message
                (a.id, "ONE"),  # client ids are case-sensitive
                (a.id, "missing"),
            ]
        )
        assert found == {(a.id, "one"): a1, (a.id, "two"): a2, (b.id, "three"): b1}
        assert await uow.messages.by_client_ids([]) == {}
        assert await uow.messages.by_client_ids([(a.id, "one")]) == {(a.id, "one"): a1}
        assert await uow.messages.by_client_ids([(a.id, "ONE")]) == {}
    # Seen from a write unit of work too, including what it has added itself.
    async with uow_factory() as uow:
        fresh = await uow.messages.add(Message(0, chat.id, b.id, "four", "text", T0))
        assert await uow.messages.by_client_ids([(b.id, "four"), (b.id, "three")]) == {
            (b.id, "four"): fresh,
            (b.id, "three"): b1,
        }
        await uow.rollback()


async def test_add_many_stores_in_order_with_ascending_ids(uow_factory: UnitOfWorkFactory) -> None:
    a, b = await add_users(uow_factory, "amy", "bea")
    chat = await add_chat(uow_factory, a.id, [a.id, b.id])
    before = await add_message(uow_factory, chat.id, a.id, "before")
    pdf = Attachment(id="file-1", name="a.pdf", content_type="application/pdf", size=4)
    new = [
        Message(0, chat.id, b.id, "x", "first", T0, attachments=(pdf, pdf)),
        Message(0, chat.id, a.id, "y", "second", T0 + timedelta(seconds=1)),
        Message(0, chat.id, b.id, "z", "third", T0, reply_to_id=before.id),
    ]
    async with uow_factory() as uow:
        assert await uow.messages.add_many([]) == []
        added = await uow.messages.add_many(new)
        await uow.commit()
    assert [m.id for m in added] == sorted(m.id for m in added)
    assert added[0].id > before.id
    assert [replace(m, id=0) for m in added] == new
    assert all(m.id == 0 for m in new)  # the caller's messages are not changed
    async with uow_factory(read_only=True) as uow:
        page = await uow.messages.page(chat.id, before=None, after=before.id, limit=10)
        assert page == added
        # The attachment index follows the new messages: amy, a chat-mate, may open the file.
        assert await uow.files.attached_in_chats_of("file-1", a.id)


async def test_add_many_rejects_duplicate_client_ids(uow_factory: UnitOfWorkFactory) -> None:
    [a] = await add_users(uow_factory, "amy")
    chat = await add_chat(uow_factory, a.id, [a.id])
    await add_message(uow_factory, chat.id, a.id, "old")
    for client_ids in (["new", "old"], ["new", "twin", "twin"]):
        async with uow_factory() as uow:
            with pytest.raises(Conflict):
                await uow.messages.add_many(
                    [Message(0, chat.id, a.id, c, "t", T0) for c in client_ids]
                )
            await uow.rollback()
    async with uow_factory(read_only=True) as uow:
        assert await uow.messages.by_client_ids([(a.id, "new"), (a.id, "twin")]) == {}


async def test_many_client_ids_are_found_in_one_call(uow_factory: UnitOfWorkFactory) -> None:
    [a] = await add_users(uow_factory, "amy")
    chat = await add_chat(uow_factory, a.id, [a.id])
    async with uow_factory() as uow:
        added = [
            await uow.messages.add(Message(0, chat.id, a.id, f"c{i}", "x", T0)) for i in range(450)
        ]
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        # More pairs than one SQL query binds: the adapter splits them.
        found = await uow.messages.by_client_ids([(a.id, f"c{i}") for i in range(900)])
    assert found == {(a.id, m.client_id): m for m in added}


async def test_unread_counts_skip_own_and_deleted_messages(messenger_app: Messenger) -> None:
    a = await register(messenger_app, "amy")
    b = await register(messenger_app, "bea")
    dialog, _ = await messenger_app.open_dialog(a, b)
    chat_id = dialog.chat.id
    m1 = (await messenger_app.post_message(a, chat_id, "1", "one")).message
    await messenger_app.post_message(b, chat_id, "2", "mine")
    m3 = (await messenger_app.post_message(a, chat_id, "3", "three")).message
    m4 = (await messenger_app.post_message(a, chat_id, "4", "four")).message
    await messenger_app.delete_message(a, m3.id)
    [summary] = (await messenger_app.list_chats(b)).items
    assert summary.unread_count == 2
    assert summary.last_message is not None
    assert summary.last_message.id == m4.id
    state = await messenger_app.mark_read(b, chat_id, m1.id)
    assert state.unread_count == 1
    assert state.read_message_id == m1.id
    state = await messenger_app.mark_read(b, chat_id, m4.id)
    assert state.unread_count == 0
    [summary] = (await messenger_app.list_chats(a)).items
    assert summary.unread_count == 1  # bea's one message; amy's own never count


async def test_chat_list_pages_continue_after_the_last_chat_shown(
    messenger_app: Messenger,
) -> None:
    a = await register(messenger_app, "amy")
    b = await register(messenger_app, "bea")
    groups = [(await messenger_app.create_group(a, f"g{i}", [b])).chat.id for i in range(5)]
    last = (await messenger_app.post_message(b, groups[1], "1", "up")).message

    first = await messenger_app.list_chats(a, limit=2)
    rest = await messenger_app.list_chats(a, limit=3, cursor=first.next_cursor)

    assert [s.chat.id for s in first.items] == [groups[1], groups[4]]
    assert [s.chat.id for s in rest.items] == [groups[3], groups[2], groups[0]]
    assert (first.has_more, rest.has_more, rest.next_cursor) == (True, False, None)
    assert first.items[0].last_message == last
    assert first.items[0].unread_count == 1
    assert {m.profile.id for m in rest.items[0].members} == {a, b}


async def test_last_message_per_chat_and_edit_history(uow_factory: UnitOfWorkFactory) -> None:
    [a] = await add_users(uow_factory, "amy")
    one = await add_chat(uow_factory, a.id, [a.id])
    two = await add_chat(uow_factory, a.id, [a.id])
    empty = await add_chat(uow_factory, a.id, [a.id])
    await add_message(uow_factory, one.id, a.id, "1")
    last_one = await add_message(uow_factory, one.id, a.id, "2")
    last_two = await add_message(uow_factory, two.id, a.id, "3")
    async with uow_factory() as uow:
        await uow.messages.add_edit(MessageEdit(last_one.id, "v1", T0))
        await uow.messages.add_edit(MessageEdit(last_one.id, "v2", T0 + timedelta(seconds=1)))
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        last = await uow.messages.last_of_chats([one.id, two.id, empty.id])
        assert last == {one.id: last_one, two.id: last_two}
        assert [e.text for e in await uow.messages.edits_of(last_one.id)] == ["v1", "v2"]
    async with uow_factory() as uow:
        await uow.messages.forget_edits(last_one.id)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.messages.edits_of(last_one.id) == []


async def test_edit_and_delete_through_the_use_cases(messenger_app: Messenger) -> None:
    a = await register(messenger_app, "amy")
    b = await register(messenger_app, "bea")
    dialog, _ = await messenger_app.open_dialog(a, b)
    sent = (await messenger_app.post_message(a, dialog.chat.id, "1", "first")).message
    edited = await messenger_app.edit_message(a, sent.id, "second")
    assert edited.edited_at is not None
    history = (await messenger_app.get_edit_history(b, sent.id)).items
    assert [e.text for e in history] == ["first"]
    await messenger_app.delete_message(a, sent.id)
    page = await messenger_app.read_history(b, dialog.chat.id)
    [tombstone] = page.items
    assert tombstone.deleted
    assert tombstone.text == ""
    assert (await messenger_app.get_edit_history(b, sent.id)).items == ()


# --- the change feed -----------------------------------------------------------------------


async def test_feed_shows_members_their_chats_from_joining_and_events_about_them(
    messenger_app: Messenger,
) -> None:
    app = messenger_app
    owner = await register(app, "owner")
    early = await register(app, "early")
    late = await register(app, "late")
    group = await app.create_group(owner, "Команда 🚀", [early])
    chat_id = group.chat.id
    await app.post_message(owner, chat_id, "before", "before the late one joined")
    await app.add_member(owner, chat_id, late)
    await app.post_message(early, chat_id, "after", "after")
    assert [e.event.type for e in await all_changes(app, late)] == ["member_added", "new_message"]
    await app.remove_member(owner, chat_id, late)
    await app.post_message(owner, chat_id, "gone", "after the late one left")

    # Visibility follows current membership: once removed, only the events about the user
    # remain (what they must learn: they were added, then removed).
    assert [e.event.type for e in await all_changes(app, late)] == [
        "member_added",
        "member_removed",
    ]
    early_types = [e.event.type for e in await all_changes(app, early)]
    assert early_types == [
        "chat_created",
        "new_message",
        "member_added",
        "new_message",
        "member_removed",
        "new_message",
    ]
    entries = await all_changes(app, early)
    positions = [e.position for e in entries]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    created = entries[0].event
    assert created.type == "chat_created"
    assert created.chat.title == "Команда 🚀"  # type: ignore[attr-defined]
    # A page boundary continues exactly where the last page ended.
    first = await app.get_changes_since(early, since=0, limit=2)
    rest = await app.get_changes_since(early, since=first.cursor)
    assert first.has_more
    assert [*first.entries, *rest.entries] == entries


async def test_head_and_positions_follow_commits(uow_factory: UnitOfWorkFactory) -> None:
    [a] = await add_users(uow_factory, "amy")
    chat = await add_chat(uow_factory, a.id, [a.id])
    async with uow_factory(read_only=True) as uow:
        assert await uow.feed.head() == 0
        assert await uow.feed.oldest() == 0
    async with uow_factory() as uow:
        assert await uow.position() == 1
        message = await uow.messages.add(Message(0, chat.id, a.id, "c", "hi", T0))
        uow.record(MessagePosted(message=message), {a.id})
        assert await uow.position() == 2
        uow.record(MessagePosted(message=message), {a.id})
        notifications = await uow.commit()
    assert [n.position for n in notifications] == [1, 2]
    assert notifications[0].recipients == frozenset({a.id})
    async with uow_factory(read_only=True) as uow:
        assert await uow.feed.head() == 2
        entries = await uow.feed.since(a.id, 0, 2, 10)
        assert [e.position for e in entries] == [1, 2]
        assert entries[0].event == MessagePosted(message=message)
        assert [e.position for e in await uow.feed.since(a.id, 0, 2, 1)] == [1]
        assert await uow.feed.since(a.id, 1, 1, 10) == []


async def test_acknowledging_delivery_moves_watermarks_of_others_messages(
    messenger_app: Messenger,
) -> None:
    app = messenger_app
    a = await register(app, "amy")
    b = await register(app, "bea")
    dialog, _ = await app.open_dialog(a, b)
    m1 = (await app.post_message(a, dialog.chat.id, "1", "one")).message
    m2 = (await app.post_message(a, dialog.chat.id, "2", "two")).message
    await app.post_message(b, dialog.chat.id, "3", "own message: not a delivery")
    cursor = (await app.get_changes_since(b, since=None)).cursor
    await app.acknowledge_delivery(b, cursor)
    details = await app.get_chat(a, dialog.chat.id)
    bea = next(m for m in details.members if m.membership.user_id == b)
    amy = next(m for m in details.members if m.membership.user_id == a)
    assert bea.membership.delivered_message_id == m2.id > m1.id
    assert amy.membership.delivered_message_id == 0
    assert (await app.get_my_account(b)).delivered_cursor == cursor
    seen = [e.event.type for e in await all_changes(app, a)]
    assert seen[-1] == "messages_delivered"


async def test_newest_posted_only_counts_visible_messages_by_others(
    uow_factory: UnitOfWorkFactory,
) -> None:
    [a, b] = await add_users(uow_factory, "amy", "bea")
    chat = await add_chat(uow_factory, a.id, [a.id, b.id])
    stranger_chat = await add_chat(uow_factory, a.id, [a.id])
    posted = []
    for chat_id, sender, cid in [
        (chat.id, a.id, "1"),
        (chat.id, a.id, "2"),
        (chat.id, b.id, "3"),
        (stranger_chat.id, a.id, "4"),
    ]:
        async with uow_factory() as uow:
            message = await uow.messages.add(Message(0, chat_id, sender, cid, "x", T0))
            uow.record(MessagePosted(message=message), {a.id, b.id})
            await uow.commit()
        posted.append(message)
    async with uow_factory(read_only=True) as uow:
        assert await uow.feed.newest_posted(b.id, 0, 4) == {chat.id: posted[1].id}
        assert await uow.feed.newest_posted(b.id, 0, 1) == {chat.id: posted[0].id}
        assert await uow.feed.newest_posted(b.id, 2, 4) == {}
        assert await uow.feed.newest_posted(a.id, 0, 4) == {chat.id: posted[2].id}


# --- sessions, tokens, files ---------------------------------------------------------------


async def test_sessions_and_refresh_token_rotation(messenger_app: Messenger) -> None:
    app = messenger_app
    first = await app.register("amy", "correct horse", device_name="Телефон")
    second = await app.authenticate("AMY", "correct horse", device_name="laptop")
    sessions = (await app.list_sessions(first.user.id)).items
    assert {s.device_name for s in sessions} == {"Телефон", "laptop"}
    rotated = await app.refresh_session(first.refresh_token)
    assert rotated.session.id == first.session.id
    with pytest.raises(InvalidToken):
        await app.refresh_session(first.refresh_token)  # reuse revokes the family
    with pytest.raises(InvalidToken):
        await app.refresh_session(rotated.refresh_token)
    assert [s.id for s in (await app.list_sessions(first.user.id)).items] == [second.session.id]
    await app.authorize(second.access_token)
    with pytest.raises(InvalidToken):
        await app.authorize(first.access_token)


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_files_are_visible_where_attached_and_follow_edits(
    messenger_app: Messenger,
) -> None:
    app = messenger_app
    a = await register(app, "amy")
    b = await register(app, "bea")
    c = await register(app, "cat")
    dialog, _ = await app.open_dialog(a, b)
    stored = await app.upload_file(a, "отчёт.pdf", "application/pdf", _chunks(b"%PDF"))
    with pytest.raises(NotFound):
        await app.open_file(b, stored.id)
    sent = await app.post_message(a, dialog.chat.id, "f", "see file", attachment_ids=[stored.id])
    [attachment] = sent.message.attachments
    assert attachment.name == "отчёт.pdf"
    assert attachment.size == 4
    page = await app.read_history(b, dialog.chat.id)
    assert page.items[-1].attachments == sent.message.attachments
    meta, _ = await app.open_file(b, stored.id)
    assert meta == stored
    with pytest.raises(NotFound):
        await app.open_file(c, stored.id)
    await app.delete_message(a, sent.message.id)
    with pytest.raises(NotFound):
        await app.open_file(b, stored.id)
    assert (await app.open_file(a, stored.id))[0] == stored


async def test_file_repository(uow_factory: UnitOfWorkFactory) -> None:
    [a] = await add_users(uow_factory, "amy")
    files = [StoredFile(f"id-{i}", a.id, f"n{i}", "text/plain", i, f"k{i}", T0) for i in range(3)]
    async with uow_factory() as uow:
        for f in files:
            await uow.files.add(f)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        got = await uow.files.get_many(["id-2", "missing", "id-0"])
        assert got == [files[2], files[0]]
        assert await uow.files.get("ID-0") is None  # random ids are case-sensitive
        assert not await uow.files.attached_in_chats_of("id-0", a.id)


async def test_storage_used_and_unattached_files(uow_factory: UnitOfWorkFactory) -> None:
    [a, b] = await add_users(uow_factory, "amy", "bea")
    chat = await add_chat(uow_factory, a.id, [a.id, b.id])

    def file(i: int, owner: User, age: timedelta) -> StoredFile:
        return StoredFile(f"f-{i}", owner.id, f"n{i}", "text/plain", 10 * i, f"k{i}", T0 - age)

    old, older, oldest, attached, fresh, bea_old = [
        file(1, a, timedelta(hours=25)),
        file(2, a, timedelta(hours=30)),
        file(3, a, timedelta(days=3)),
        file(4, a, timedelta(days=2)),
        file(5, a, timedelta(hours=1)),
        file(6, b, timedelta(hours=26)),
    ]
    async with uow_factory() as uow:
        for f in (old, older, oldest, attached, fresh, bea_old):
            await uow.files.add(f)
        carried = Attachment(attached.id, attached.name, attached.content_type, attached.size)
        await uow.messages.add(Message(0, chat.id, a.id, "m", "", T0, attachments=(carried,)))
        await uow.commit()
    cutoff = T0 - timedelta(hours=24)
    async with uow_factory(read_only=True) as uow:
        assert await uow.files.total_size_of(a.id) == 10 + 20 + 30 + 40 + 50
        assert await uow.files.total_size_of(b.id) == 60
        assert await uow.files.total_size_of(999) == 0
        # Oldest first, the attached and the fresh left out, whoever uploaded them.
        assert await uow.files.unattached_before(cutoff, 10) == [oldest, older, bea_old, old]
        assert await uow.files.unattached_before(cutoff, 2) == [oldest, older]
    async with uow_factory() as uow:
        removed = await uow.files.remove_unattached([old.id, attached.id, "missing", fresh.id])
        assert sorted(removed) == [old.id, fresh.id]
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        left = await uow.files.get_many([f"f-{i}" for i in range(1, 7)])
        assert [f.id for f in left] == [older.id, oldest.id, attached.id, bea_old.id]
        assert await uow.files.total_size_of(a.id) == 20 + 30 + 40


async def test_abandoned_uploads_are_swept_through_the_use_case(
    uow_factory: UnitOfWorkFactory,
) -> None:
    clock = TickingClock(start=T0)
    app = build_messenger(uow_factory, clock=clock)
    a = await register(app, "amy")
    b = await register(app, "bea")
    dialog, _ = await app.open_dialog(a, b)
    abandoned = await app.upload_file(a, "a.txt", "text/plain", _chunks(b"a"))
    kept = await app.upload_file(a, "b.txt", "text/plain", _chunks(b"b"))
    avatar = await app.upload_file(b, "me.png", "image/png", _chunks(b"png"))
    await app.update_profile(b, avatar_file_id=avatar.id)
    sent = await app.post_message(a, dialog.chat.id, "f", "", attachment_ids=[kept.id])
    clock.advance(timedelta(hours=25))

    assert await app.delete_abandoned_uploads() == 1
    # An avatar is attached to no message, yet it is in use.
    assert (await app.open_file(b, avatar.id))[0] == avatar

    with pytest.raises(NotFound):
        await app.open_file(a, abandoned.id)
    assert (await app.open_file(b, kept.id))[0] == kept
    await app.delete_message(a, sent.message.id)
    assert await app.delete_abandoned_uploads() == 1
    with pytest.raises(NotFound):
        await app.open_file(a, kept.id)


async def test_a_variant_goes_with_the_file_it_was_made_from(
    uow_factory: UnitOfWorkFactory,
) -> None:
    [a] = await add_users(uow_factory, "amy")
    old = T0 - timedelta(days=2)
    thumbnail = StoredFile(
        "t-1", a.id, "t.webp", "image/webp", 5, "kt", old, 32, 16, FileKind.THUMBNAIL
    )
    image = StoredFile(
        "i-1", a.id, "i.png", "image/png", 50, "ki", old, 640, 320, thumbnail_id=thumbnail.id
    )
    async with uow_factory() as uow:
        await uow.files.add(thumbnail)
        await uow.files.add(image)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.files.get(image.id) == image
        assert await uow.files.made_from(thumbnail.id) == image
        assert await uow.files.made_from(image.id) is None
        assert await uow.files.unattached_before(T0, 10) == [image]
    async with uow_factory() as uow:
        assert await uow.files.remove_unattached([image.id, thumbnail.id]) == [image.id]
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.files.unattached_before(T0, 10) == [thumbnail]
        await uow.files.remove([thumbnail.id, "missing"])
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.files.get(thumbnail.id) is None


async def test_a_chats_media_newest_first_without_deleted_messages(
    uow_factory: UnitOfWorkFactory,
) -> None:
    [a, b] = await add_users(uow_factory, "amy", "bea")
    chat = await add_chat(uow_factory, a.id, [a.id, b.id])
    other = await add_chat(uow_factory, a.id, [a.id])

    def file(name: str, image: bool) -> StoredFile:
        size = (64, 48) if image else (None, None)
        thumbnail = f"{name}-t" if image else None
        return StoredFile(name, a.id, name, "x/y", 1, name, T0, *size, thumbnail_id=thumbnail)

    files = {n: file(n, n.startswith("img")) for n in ("img-a", "img-b", "img-c", "img-d", "doc")}
    async with uow_factory() as uow:
        for f in files.values():
            await uow.files.add(f)

        async def send(chat_id: int, sender: int, *names: str) -> Message:
            carried = tuple(files[n].as_attachment() for n in names)
            return await uow.messages.add(
                Message(0, chat_id, sender, f"c{names}{chat_id}", "", T0, attachments=carried)
            )

        first = await send(chat.id, a.id, "img-a", "doc")
        second = await send(chat.id, b.id, "img-c", "img-b")
        gone = await send(chat.id, a.id, "img-d")
        await send(other.id, a.id, "img-a")
        gone.delete(T0)
        await uow.messages.update(gone)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        media = uow.files.media_of_chat
        images = await media(chat.id, images=True, before=None, limit=10)
        assert [(m.message_id, m.file.id) for m in images] == [
            (second.id, "img-c"),
            (second.id, "img-b"),
            (first.id, "img-a"),
        ]
        assert images[0].sender_id == b.id
        assert images[0].posted_at == T0
        assert images[0].file == files["img-c"].as_attachment()
        rest = await media(chat.id, images=True, before=(second.id, "img-c"), limit=10)
        assert [m.file.id for m in rest] == ["img-b", "img-a"]
        assert [m.file.id for m in await media(chat.id, images=True, before=None, limit=1)] == [
            "img-c"
        ]
        after = await media(chat.id, images=True, before=None, limit=10, after_message_id=first.id)
        assert [m.file.id for m in after] == ["img-c", "img-b"]
        docs = await media(chat.id, images=False, before=None, limit=10)
        assert [(m.message_id, m.file.id) for m in docs] == [(first.id, "doc")]


# --- transactions --------------------------------------------------------------------------


class Boom(Exception):
    pass


async def test_a_failed_unit_of_work_leaves_nothing_behind(uow_factory: UnitOfWorkFactory) -> None:
    [a] = await add_users(uow_factory, "amy")
    chat = await add_chat(uow_factory, a.id, [a.id])

    async def fail_halfway() -> None:
        async with uow_factory() as uow:
            await uow.users.add(user("ghost"))
            message = await uow.messages.add(Message(0, chat.id, a.id, "c", "hi", T0))
            uow.record(MessagePosted(message=message), {a.id})
            await uow.members.remove(chat.id, a.id)
            raise Boom

    with pytest.raises(Boom):
        await fail_halfway()
    async with uow_factory(read_only=True) as uow:
        assert await uow.users.by_username("ghost") is None
        assert await uow.messages.by_client_id(a.id, "c") is None
        assert await uow.members.get(chat.id, a.id) is not None
        assert await uow.feed.head() == 0
    # Leaving without commit rolls back as well.
    async with uow_factory() as uow:
        await uow.users.add(user("ghost"))
    async with uow_factory(read_only=True) as uow:
        assert await uow.users.by_username("ghost") is None
    # The store keeps working after a rollback.
    async with uow_factory() as uow:
        assert await uow.position() == 1


async def test_read_only_units_of_work_refuse_writes(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(read_only=True) as uow:
        with pytest.raises(RuntimeError):
            await uow.users.add(user("amy"))
        with pytest.raises(RuntimeError):
            await uow.position()


async def test_a_stranger_cannot_see_a_chat(messenger_app: Messenger) -> None:
    a = await register(messenger_app, "amy")
    b = await register(messenger_app, "bea")
    c = await register(messenger_app, "cat")
    dialog, _ = await messenger_app.open_dialog(a, b)
    with pytest.raises(ChatNotFound):
        await messenger_app.read_history(c, dialog.chat.id)


# --- concurrency ---------------------------------------------------------------------------


async def test_concurrent_open_dialog_converges_on_one_chat(messenger_app: Messenger) -> None:
    a = await register(messenger_app, "amy")
    b = await register(messenger_app, "bea")
    results = await asyncio.gather(
        *(
            messenger_app.open_dialog(a, b) if i % 2 else messenger_app.open_dialog(b, a)
            for i in range(16)
        )
    )
    assert len({details.chat.id for details, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert len((await messenger_app.list_chats(a)).items) == 1


async def test_concurrent_posts_with_one_client_id_store_one_message(
    messenger_app: Messenger,
) -> None:
    a = await register(messenger_app, "amy")
    b = await register(messenger_app, "bea")
    dialog, _ = await messenger_app.open_dialog(a, b)
    results = await asyncio.gather(
        *(messenger_app.post_message(a, dialog.chat.id, "same", "hello") for _ in range(8))
    )
    assert len({r.message.id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    page = await messenger_app.read_history(b, dialog.chat.id)
    assert len(page.items) == 1


async def test_a_syncing_reader_sees_every_change_once_in_order(
    messenger_app: Messenger,
) -> None:
    app = messenger_app
    reader = await register(app, "reader")
    writers = [await register(app, f"writer{i}") for i in range(8)]
    chats = [
        (await app.create_group(writers[i], f"g{i}", [reader, *writers])).chat.id for i in range(4)
    ]
    done = asyncio.Event()
    seen: list[FeedEntry] = []

    async def write(index: int) -> None:
        for n in range(30):
            chat_id = chats[(index + n) % len(chats)]
            await app.post_message(writers[index], chat_id, f"{index}-{n}", f"message {n}")

    async def read() -> None:
        cursor = 0
        while True:
            finished = done.is_set()
            changes = await app.get_changes_since(reader, since=cursor)
            seen.extend(changes.entries)
            cursor = changes.cursor
            if finished and not changes.has_more:
                return
            await asyncio.sleep(0)

    reading = asyncio.create_task(read())
    await asyncio.gather(*(write(i) for i in range(len(writers))))
    done.set()
    await reading

    final = await all_changes(app, reader)
    assert len(final) == len(chats) + 8 * 30
    assert [e.position for e in seen] == [e.position for e in final]
    assert seen == final
    positions = [e.position for e in final]
    assert positions == sorted(set(positions))
    # Message ids ascend in feed order: they became visible in the order they were given.
    ids = [e.event.message.id for e in final if isinstance(e.event, MessagePosted)]
    assert ids == sorted(ids)
