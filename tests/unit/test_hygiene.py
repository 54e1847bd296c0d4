"""Account and chat hygiene: deleting an account, clearing a chat and hiding a message for
oneself, on the in-memory adapters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from messenger.adapters.codec import decode_event, encode_event
from messenger.adapters.memory import InMemoryLoginThrottle, TickingClock
from messenger.container import in_memory_container
from messenger.domain.errors import (
    ChatNotFound,
    InvalidCredentials,
    InvalidToken,
    NotFound,
    Throttled,
    UserDeleted,
    WrongPassword,
)
from messenger.domain.events import (
    ChatCleared,
    ChatCreated,
    MemberAdded,
    MemberUpdated,
    MessageDeleted,
    MessageEdited,
    MessageHidden,
    MessagePosted,
    Notification,
    ProfileUpdated,
    SessionsEnded,
)
from messenger.domain.model import (
    DELETED_DISPLAY_NAME,
    AccessClaims,
    AuthResult,
    Chat,
    ChatKind,
    ChatMember,
    Membership,
    PublicProfile,
    Role,
)
from messenger.domain.service import Messenger
from messenger.domain.usecases import FinishAccountDeletion
from tests.unit.conftest import Published, chunks, new_user, store_of

PASSWORD = "password-123"


async def log_in(app: Messenger, username: str) -> AuthResult:
    return await app.authenticate(username, PASSWORD)


def claims_of(result: AuthResult) -> AccessClaims:
    return AccessClaims(result.user.id, result.session.id)


async def post(app: Messenger, user_id: int, chat_id: int, text: str) -> int:
    result = await app.post_message(user_id, chat_id, f"c-{text}", text)
    return result.message.id


async def history(app: Messenger, user_id: int, chat_id: int, limit: int = 100) -> list[int]:
    return [m.id for m in (await app.read_history(user_id, chat_id, limit=limit)).items]


async def synced(app: Messenger, user_id: int, since: int = 0) -> list[object]:
    return [e.event for e in (await app.get_changes_since(user_id, since)).entries]


# --- deleting an account ---------------------------------------------------------------------


async def test_a_wrong_password_refuses_the_deletion_and_counts_against_the_login_throttle() -> (
    None
):
    throttle = InMemoryLoginThrottle(free_attempts=2, monotonic=lambda: 0.0)
    app: Messenger = in_memory_container(clock=TickingClock(), throttle=throttle).messenger()
    claims = claims_of(await app.register("alice", PASSWORD))
    for _ in range(2):
        with pytest.raises(WrongPassword) as caught:
            await app.delete_account(claims, "not my password")
        assert caught.value.code == "invalid_credentials"

    with pytest.raises(Throttled):
        await app.delete_account(claims, PASSWORD)
    with pytest.raises(Throttled):
        await app.authenticate("alice", PASSWORD)
    assert (await app.get_my_account(claims.user_id)).deleted_at is None


async def test_deleting_the_account_ends_every_session_at_once(
    app: Messenger, published: Published
) -> None:
    first = await app.register("alice", PASSWORD)
    second = await log_in(app, "alice")

    await app.delete_account(claims_of(first), PASSWORD)

    for device in (first, second):
        with pytest.raises(InvalidToken):
            await app.authorize(device.access_token)
    [ended] = [n.event for n in published.items if isinstance(n.event, SessionsEnded)]
    assert set(ended.session_ids) == {first.session.id, second.session.id}


async def test_a_deleted_account_can_neither_log_in_nor_refresh(app: Messenger) -> None:
    result = await app.register("alice", PASSWORD, email="alice@example.com")
    await app.delete_account(claims_of(result), PASSWORD)

    for login in ("alice", "alice@example.com", f"deleted-{result.user.id}"):
        with pytest.raises(InvalidCredentials):
            await app.authenticate(login, PASSWORD)
    with pytest.raises(InvalidToken):
        await app.refresh_session(result.refresh_token)


async def test_the_username_and_email_are_free_for_someone_new(app: Messenger) -> None:
    old = await app.register("alice", PASSWORD, email="alice@example.com")
    await app.delete_account(claims_of(old), PASSWORD)

    new = await app.register("alice", "another-password", email="alice@example.com")

    assert new.user.id != old.user.id
    assert (await app.authenticate("alice", "another-password")).user.id == new.user.id


async def test_others_see_a_deleted_account_and_only_chat_mates_are_told(
    app: Messenger, published: Published, bob: int, carol: int
) -> None:
    result = await app.register("alice", PASSWORD)
    alice = result.user.id
    await app.open_dialog(alice, bob)
    await app.update_profile(alice, bio="about me")
    published.clear()

    await app.delete_account(claims_of(result), PASSWORD)

    profile = await app.get_profile(bob, alice)
    assert profile.deleted
    assert profile.display_name == DELETED_DISPLAY_NAME
    assert profile.username == f"deleted-{alice}"
    assert profile.bio == ""
    assert profile.avatar_file_id is None
    # Like any profile change: into the feed about the user, pushed to chat-mates.
    stored, told = [n for n in published.items if isinstance(n.event, ProfileUpdated)]
    assert (stored.recipients, stored.position is not None) == ({alice}, True)
    assert (told.recipients, told.position) == ({bob}, None)
    assert told.event.profile == profile.public()
    assert carol not in told.recipients


async def test_a_group_the_deleted_account_owned_passes_to_an_admin_else_the_oldest_member(
    app: Messenger, published: Published, bob: int, carol: int
) -> None:
    result = await app.register("alice", PASSWORD)
    alice = result.user.id
    dave = await new_user(app, "dave")
    with_admin = (await app.create_group(alice, "Team", [bob, carol])).chat.id
    await app.change_role(alice, with_admin, carol, Role.ADMIN)
    plain = (await app.create_group(alice, "Pair", [dave])).chat.id
    await app.add_member(alice, plain, bob)  # bob joins later: dave is next in line
    alone = (await app.create_group(alice, "Notes", [])).chat.id
    published.clear()

    await app.delete_account(claims_of(result), PASSWORD)

    def roles(chat_id: int) -> dict[int, Role]:
        return {uid: m.role for (cid, uid), m in store_of(app).members.items() if cid == chat_id}

    assert roles(with_admin) == {alice: Role.MEMBER, bob: Role.MEMBER, carol: Role.OWNER}
    assert roles(plain) == {alice: Role.MEMBER, dave: Role.OWNER, bob: Role.MEMBER}
    assert roles(alone) == {alice: Role.OWNER}  # nobody to pass it to
    # The members are told, as with any change of role.
    updated = [n for n in published.items if isinstance(n.event, MemberUpdated)]
    assert {
        (n.event.chat, n.event.membership.user_id, n.event.membership.role) for n in updated
    } == {
        (with_admin, carol, Role.OWNER),
        (with_admin, alice, Role.MEMBER),
        (plain, dave, Role.OWNER),
        (plain, alice, Role.MEMBER),
    }
    assert all(n.position is not None for n in updated)


async def test_the_messages_of_a_deleted_account_stay_in_others_chats(
    app: Messenger, bob: int
) -> None:
    result = await app.register("alice", PASSWORD)
    alice = result.user.id
    details, _ = await app.open_dialog(alice, bob)
    message_id = await post(app, alice, details.chat.id, "hello")

    await app.delete_account(claims_of(result), PASSWORD)

    [kept] = (await app.read_history(bob, details.chat.id)).items
    assert (kept.id, kept.sender_id, kept.text, kept.deleted) == (message_id, alice, "hello", False)


async def test_erasing_deletes_every_message_for_everyone_and_tells_each_chat(
    app: Messenger, published: Published, bob: int, carol: int
) -> None:
    result = await app.register("alice", PASSWORD)
    alice = result.user.id
    dialog, _ = await app.open_dialog(alice, bob)
    group = await app.create_group(alice, "Team", [bob, carol])
    mine = [
        await post(app, alice, dialog.chat.id, "one"),
        await post(app, alice, group.chat.id, "two"),
    ]
    bobs = await post(app, bob, group.chat.id, "three")
    published.clear()

    await app.delete_account(claims_of(result), PASSWORD, erase_messages=True)

    store = store_of(app)
    assert all(store.messages[i].deleted and store.messages[i].text == "" for i in mine)
    assert not store.messages[bobs].deleted
    deleted = {
        n.event.message.id: n.recipients
        for n in published.items
        if isinstance(n.event, MessageDeleted)
    }
    assert deleted == {mine[0]: {alice, bob}, mine[1]: {alice, bob, carol}}
    assert not store.users[alice].erasing_messages


async def test_erasure_runs_in_batches_each_its_own_transaction(app: Messenger, bob: int) -> None:
    result = await app.register("alice", PASSWORD)
    alice = result.user.id
    dialog, _ = await app.open_dialog(alice, bob)
    ids = [await post(app, alice, dialog.chat.id, f"m{i}") for i in range(5)]
    store = store_of(app)
    store.users[alice].deactivate(store.users[alice].created_at, erase_messages=True)
    finish = FinishAccountDeletion(app.ports)
    notifier = app.ports.notifier
    publish = notifier.publish
    published_together: list[int] = []

    async def counting(notifications: Sequence[Notification]) -> None:
        published_together.append(len(notifications))
        await publish(notifications)

    notifier.publish = counting  # type: ignore[method-assign]

    await finish(alice, batch=2)

    assert all(store.messages[i].deleted for i in ids)
    # One transaction (and one publish after it) per batch: 2 + 2 + 1.
    assert published_together == [2, 2, 1]
    assert not store.users[alice].erasing_messages


async def test_an_interrupted_erasure_is_finished_by_the_housekeeping_sweep(
    app: Messenger, bob: int
) -> None:
    result = await app.register("alice", PASSWORD)
    alice = result.user.id
    dialog, _ = await app.open_dialog(alice, bob)
    message_id = await post(app, alice, dialog.chat.id, "left over")
    # As if the server stopped right after the deletion took effect.
    store = store_of(app)
    store.users[alice].deactivate(store.users[alice].created_at, erase_messages=True)

    assert await app.resume_account_deletions() == 1

    assert store.messages[message_id].deleted
    assert not store.users[alice].erasing_messages
    assert await app.resume_account_deletions() == 0


async def test_uploads_no_message_carries_are_removed_and_attached_ones_stay(
    app: Messenger, bob: int
) -> None:
    result = await app.register("alice", PASSWORD)
    alice = result.user.id
    dialog, _ = await app.open_dialog(alice, bob)
    loose = await app.upload_file(alice, "loose.txt", "text/plain", chunks([b"x"]))
    avatar = await app.upload_file(alice, "me.png", "image/png", chunks([b"y"]))
    await app.update_profile(alice, avatar_file_id=avatar.id)
    sent = await app.upload_file(alice, "sent.txt", "text/plain", chunks([b"z"]))
    await app.post_message(alice, dialog.chat.id, "c1", "", attachment_ids=[sent.id])

    await app.delete_account(claims_of(result), PASSWORD)

    store = store_of(app)
    assert set(store.files) == {sent.id}
    # The bytes went with the rows (the in-memory store raises KeyError for a missing key).
    with pytest.raises(KeyError):
        [c async for c in app.ports.files.open(loose.storage_key)]
    _, content = await app.open_file(bob, sent.id)
    assert b"".join([c async for c in content]) == b"z"


async def test_erasing_also_removes_the_files_of_the_erased_messages(
    app: Messenger, bob: int
) -> None:
    result = await app.register("alice", PASSWORD)
    alice = result.user.id
    dialog, _ = await app.open_dialog(alice, bob)
    sent = await app.upload_file(alice, "sent.txt", "text/plain", chunks([b"z"]))
    await app.post_message(alice, dialog.chat.id, "c1", "", attachment_ids=[sent.id])

    await app.delete_account(claims_of(result), PASSWORD, erase_messages=True)

    assert store_of(app).files == {}


async def test_nobody_can_open_a_dialog_with_add_or_write_to_a_deleted_account(
    app: Messenger, bob: int, carol: int
) -> None:
    result = await app.register("alice", PASSWORD)
    alice = result.user.id
    dialog, _ = await app.open_dialog(bob, alice)
    group = await app.create_group(bob, "Team", [carol])
    await app.delete_account(claims_of(result), PASSWORD)

    attempts = [
        app.open_dialog(bob, alice),
        app.open_dialog(carol, alice),
        app.create_group(bob, "New", [alice]),
        app.add_member(bob, group.chat.id, alice),
        app.post_message(bob, dialog.chat.id, "c1", "still there?"),
    ]
    for attempt in attempts:
        with pytest.raises(UserDeleted) as caught:
            await attempt
        assert caught.value.code == "user_deleted"
    # Reading stays possible: the history is still the other side's.
    assert await app.read_history(bob, dialog.chat.id)


async def test_deleted_accounts_vanish_from_user_search(app: Messenger) -> None:
    result = await app.register("alice", PASSWORD)
    await new_user(app, "alina")
    await app.delete_account(claims_of(result), PASSWORD)

    found = await app.search_users(result.user.id, "")
    assert [p.username for p in found.items] == ["alina"]
    assert not (await app.search_users(result.user.id, "deleted")).items


async def test_a_deleted_accounts_sockets_closing_reports_no_presence(
    app: Messenger, published: Published, bob: int
) -> None:
    result = await app.register("alice", PASSWORD)
    await app.open_dialog(result.user.id, bob)
    await app.delete_account(claims_of(result), PASSWORD)
    published.clear()

    await app.report_presence(result.user.id, online=False)

    assert published.items == []
    assert (await app.get_profile(bob, result.user.id)).last_seen_at is None


# --- clearing a chat for me --------------------------------------------------------------


async def test_clearing_hides_everything_so_far_from_me_only(
    app: Messenger, alice: int, bob: int, dialog: int
) -> None:
    first = await post(app, bob, dialog, "one")
    second = await post(app, alice, dialog, "two")

    await app.clear_chat(alice, dialog)

    assert await history(app, alice, dialog) == []
    assert await history(app, bob, dialog) == [first, second]
    newer = await post(app, bob, dialog, "three")
    assert await history(app, alice, dialog) == [newer]


async def test_clearing_hides_the_last_message_and_the_unread_count_for_me_only(
    app: Messenger, alice: int, bob: int, dialog: int
) -> None:
    await post(app, bob, dialog, "one")
    await post(app, bob, dialog, "two")

    await app.clear_chat(alice, dialog)

    [mine] = (await app.list_chats(alice)).items
    assert (mine.last_message, mine.unread_count) == (None, 0)
    [bobs] = (await app.list_chats(bob)).items
    assert bobs.last_message is not None
    newer = await post(app, bob, dialog, "three")
    [mine] = (await app.list_chats(alice)).items
    assert mine.last_message is not None
    assert (mine.last_message.id, mine.unread_count) == (newer, 1)
    assert (await app.mark_read(alice, dialog, newer)).unread_count == 0


async def test_clearing_tells_only_my_own_devices(
    app: Messenger, published: Published, alice: int, bob: int, dialog: int
) -> None:
    last = await post(app, bob, dialog, "one")
    published.clear()

    await app.clear_chat(alice, dialog)

    [note] = published.items
    assert note.event == ChatCleared(user_id=alice, chat=dialog, up_to_message_id=last)
    assert note.recipients == {alice}
    assert note.position is not None
    assert ChatCleared(alice, dialog, last) in await synced(app, alice)
    assert all(not isinstance(e, ChatCleared) for e in await synced(app, bob))


async def test_sync_after_clearing_leaves_out_the_events_of_cleared_messages(
    app: Messenger, alice: int, bob: int, dialog: int
) -> None:
    cleared = await post(app, bob, dialog, "one")
    await app.edit_message(bob, cleared, "one, edited")
    await app.clear_chat(alice, dialog)
    await app.edit_message(bob, cleared, "edited again")
    newer = await post(app, bob, dialog, "two")

    about_messages = [
        e.message.id
        for e in await synced(app, alice)
        if isinstance(e, MessagePosted | MessageEdited | MessageDeleted)
    ]
    assert about_messages == [newer]
    assert cleared in [e.message.id for e in await synced(app, bob) if isinstance(e, MessageEdited)]


async def test_a_cleared_message_answers_as_one_that_does_not_exist(
    app: Messenger, alice: int, bob: int, dialog: int
) -> None:
    mine = await post(app, alice, dialog, "one")
    await app.clear_chat(alice, dialog)

    for attempt in (
        app.get_edit_history(alice, mine),
        app.edit_message(alice, mine, "changed"),
        app.hide_message(alice, mine),
        app.delete_message(alice, mine),
    ):
        with pytest.raises(NotFound):
            await attempt
    assert await app.get_edit_history(bob, mine)


async def test_clearing_an_empty_or_cleared_chat_changes_nothing_and_strangers_are_refused(
    app: Messenger, published: Published, alice: int, dialog: int, carol: int
) -> None:
    published.clear()
    await app.clear_chat(alice, dialog)
    assert published.items == []
    await post(app, alice, dialog, "one")
    await app.clear_chat(alice, dialog)
    await app.clear_chat(alice, dialog)
    assert published.types() == ["new_message", "chat_cleared"]
    with pytest.raises(ChatNotFound):
        await app.clear_chat(carol, dialog)


# --- hiding one message for me ------------------------------------------------------------


async def test_hiding_a_message_hides_it_from_me_only_everywhere(
    app: Messenger, alice: int, bob: int, dialog: int
) -> None:
    first = await post(app, bob, dialog, "one")
    second = await post(app, bob, dialog, "two")

    await app.hide_message(alice, second)

    assert await history(app, alice, dialog) == [first]
    assert await history(app, bob, dialog) == [first, second]
    [mine] = (await app.list_chats(alice)).items
    assert mine.last_message is not None
    assert (mine.last_message.id, mine.unread_count) == (first, 1)
    assert second not in [
        e.message.id for e in await synced(app, alice) if isinstance(e, MessagePosted)
    ]
    assert second in [e.message.id for e in await synced(app, bob) if isinstance(e, MessagePosted)]


async def test_hiding_tells_only_my_own_devices(
    app: Messenger, published: Published, alice: int, bob: int, dialog: int
) -> None:
    message_id = await post(app, bob, dialog, "one")
    published.clear()

    await app.hide_message(alice, message_id)

    [note] = published.items
    assert note.event == MessageHidden(user_id=alice, chat=dialog, message_id=message_id)
    assert note.recipients == {alice}
    assert all(not isinstance(e, MessageHidden) for e in await synced(app, bob))


async def test_hiding_a_message_i_cannot_see_is_not_found(
    app: Messenger, alice: int, bob: int, carol: int, dialog: int
) -> None:
    message_id = await post(app, bob, dialog, "one")
    await app.hide_message(alice, message_id)

    for user_id, target in ((alice, message_id), (carol, message_id), (alice, 10**9)):
        with pytest.raises(NotFound):
            await app.hide_message(user_id, target)


async def test_changes_to_a_message_i_hid_are_not_pushed_to_me(
    app: Messenger, published: Published, alice: int, bob: int, dialog: int
) -> None:
    message_id = await post(app, bob, dialog, "one")
    await app.hide_message(alice, message_id)
    published.clear()

    await app.edit_message(bob, message_id, "edited")
    await app.delete_message(bob, message_id)

    assert [n.recipients for n in published.items] == [{bob}, {bob}]


async def test_history_pages_stay_full_around_hidden_messages(
    app: Messenger, alice: int, bob: int, dialog: int
) -> None:
    ids = [await post(app, bob, dialog, f"m{i}") for i in range(8)]
    for hidden in ids[2:6]:
        await app.hide_message(alice, hidden)

    newest = await app.read_history(alice, dialog, limit=3)
    assert [m.id for m in newest.items] == [ids[1], ids[6], ids[7]]
    assert newest.has_more
    older = await app.read_history(alice, dialog, before=ids[1], limit=3)
    assert ([m.id for m in older.items], older.has_more) == ([ids[0]], False)
    onwards = await app.read_history(alice, dialog, after=ids[0], limit=2)
    assert ([m.id for m in onwards.items], onwards.has_more) == ([ids[1], ids[6]], True)


async def test_the_unread_count_leaves_out_hidden_messages(
    app: Messenger, alice: int, bob: int, dialog: int
) -> None:
    ids = [await post(app, bob, dialog, f"m{i}") for i in range(3)]
    await app.hide_message(alice, ids[1])

    assert (await app.mark_read(alice, dialog, ids[0])).unread_count == 1


# --- the dialog "by the other user" ---------------------------------------------------------


async def test_the_dialog_with_a_user_is_found_but_never_created(
    app: Messenger, alice: int, bob: int, carol: int, dialog: int
) -> None:
    assert await app.find_dialog(alice, bob) == dialog
    assert await app.find_dialog(bob, alice) == dialog
    for user_id, peer_id in ((alice, carol), (alice, alice), (alice, 10**9)):
        with pytest.raises(ChatNotFound):
            await app.find_dialog(user_id, peer_id)
    assert len(store_of(app).chats) == 1


def test_the_stored_feed_keeps_that_an_account_was_deleted() -> None:
    t = datetime(2026, 3, 4, tzinfo=UTC)
    gone = PublicProfile(
        id=5,
        username="deleted-5",
        display_name=DELETED_DISPLAY_NAME,
        avatar_file_id=None,
        bio="",
        created_at=t,
        last_seen_at=None,
        deleted=True,
    )
    chat = Chat(
        id=3, kind=ChatKind.GROUP, title="Team", created_by=1, created_at=t, last_activity_at=t
    )
    member = ChatMember(Membership(chat_id=3, user_id=5, role=Role.MEMBER, joined_at=t), gone)
    for event in (
        ProfileUpdated(profile=gone),
        ChatCreated(chat=chat, members=(member,)),
        MemberAdded(chat=chat, member=member, members=(member,), by_user_id=1),
    ):
        assert decode_event(encode_event(event)) == event
    live = replace(gone, deleted=False)
    # A live profile's stored bytes do not change (rows of before read the same).
    assert b'"deleted":' not in encode_event(ChatCreated(chat, (replace(member, profile=live),)))


async def test_the_media_gallery_leaves_out_what_i_cleared_or_hid(
    app: Messenger, alice: int, bob: int, dialog: int
) -> None:
    async def send_file(name: str) -> int:
        stored = await app.upload_file(bob, name, "text/plain", chunks([b"x"]))
        result = await app.post_message(bob, dialog, f"c-{name}", "", attachment_ids=[stored.id])
        return result.message.id

    async def gallery(user_id: int) -> list[int]:
        page = await app.list_chat_media(user_id, dialog, "file")
        return [item.message_id for item in page.items]

    old = await send_file("old.txt")
    await app.clear_chat(alice, dialog)
    kept, hidden = await send_file("kept.txt"), await send_file("hidden.txt")
    await app.hide_message(alice, hidden)

    assert await gallery(alice) == [kept]
    assert await gallery(bob) == [hidden, kept, old]
