"""Contacts, blocking and privacy at the domain level (in-memory adapters): the rules of
issue 14, and the privacy matrix over every channel a user learns about another through
(REST reads, pushed notifications, ``sync``)."""

from __future__ import annotations

from datetime import date

import pytest

from messenger.contract.wire import Wire
from messenger.domain.errors import (
    Blocked,
    ChatNotFound,
    NotFound,
    PrivacyRestricted,
    ValidationError,
)
from messenger.domain.events import (
    BlocksUpdated,
    ChatCreated,
    ContactsUpdated,
    Event,
    MessagesDelivered,
    MessagesRead,
    Notification,
    PresenceChanged,
    PresenceRevealed,
    PrivacyUpdated,
    ProfileUpdated,
    UserTyping,
)
from messenger.domain.model import PublicProfile
from messenger.domain.privacy import Audience, Relation, visible
from messenger.domain.service import Messenger
from messenger.domain.usecases.feed import OnlineAmong
from tests.unit.conftest import Published, chunks, new_user

# --- contacts ------------------------------------------------------------------------------


async def test_adding_a_contact_shows_them_as_one_and_tells_only_the_owners_devices(
    app: Messenger, alice: int, bob: int, published: Published
) -> None:
    view, created = await app.add_contact(alice, bob, "Bobby")

    assert created
    assert (view.id, view.is_contact, view.local_name, view.blocked) == (bob, True, "Bobby", False)
    [note] = published.items
    assert isinstance(note.event, ContactsUpdated)
    assert note.recipients == {alice}
    assert note.event.subject_user_id == alice
    assert note.event.chat_id is None
    assert [e.event.type for e in (await app.get_changes_since(alice, 0)).entries] == [
        "contacts_updated"
    ]
    assert (await app.get_changes_since(bob, 0)).entries == ()


async def test_adding_again_changes_nothing_unless_a_local_name_is_given(
    app: Messenger, alice: int, bob: int, published: Published
) -> None:
    await app.add_contact(alice, bob, "Bobby")
    published.clear()

    again, created = await app.add_contact(alice, bob)
    assert not created
    assert again.local_name == "Bobby"
    assert published.items == []

    renamed, created = await app.add_contact(alice, bob, "Robert")
    assert not created
    assert renamed.local_name == "Robert"
    assert published.types() == ["contacts_updated"]


async def test_oneself_and_unknown_users_cannot_be_contacts(app: Messenger, alice: int) -> None:
    with pytest.raises(ValidationError):
        await app.add_contact(alice, alice)
    with pytest.raises(NotFound):
        await app.add_contact(alice, 999)


async def test_a_local_name_is_cleaned_like_a_display_name(
    app: Messenger, alice: int, bob: int
) -> None:
    view, _ = await app.add_contact(alice, bob, "  Bo\u202eb\x07  ")
    assert view.local_name == "Bob"
    blank, _ = await app.add_contact(alice, bob, "   ")
    assert blank.local_name is None
    with pytest.raises(ValidationError) as caught:
        await app.add_contact(alice, bob, "x" * 101)
    assert caught.value.field == "local_name"


async def test_a_local_name_is_seen_only_by_its_owner(
    app: Messenger, alice: int, bob: int, carol: int
) -> None:
    await app.add_contact(alice, bob, "Bobby")

    assert (await app.get_profile(alice, bob)).local_name == "Bobby"
    assert [p.local_name for p in (await app.search_users(alice, "bob")).items] == ["Bobby"]
    for viewer in (bob, carol):
        seen = await app.get_profile(viewer, bob)
        assert (seen.local_name, seen.is_contact) == (None, False)


async def test_renaming_and_clearing_a_local_name(
    app: Messenger, alice: int, bob: int, carol: int, published: Published
) -> None:
    await app.add_contact(alice, bob)

    assert (await app.rename_contact(alice, bob, "B.")).local_name == "B."
    assert (await app.rename_contact(alice, bob, None)).local_name is None
    assert published.types() == ["contacts_updated"] * 3
    with pytest.raises(NotFound):
        await app.rename_contact(alice, carol, "C.")


async def test_removing_a_contact_says_so_once(
    app: Messenger, alice: int, bob: int, published: Published
) -> None:
    await app.add_contact(alice, bob)
    published.clear()

    await app.remove_contact(alice, bob)
    await app.remove_contact(alice, bob)

    [note] = published.items
    assert isinstance(note.event, ContactsUpdated)
    assert note.event.contact is None
    assert not (await app.get_profile(alice, bob)).is_contact


async def test_contacts_page_by_user_id(app: Messenger, alice: int) -> None:
    others = [await new_user(app, f"user{i}") for i in range(5)]
    for other in reversed(others):
        await app.add_contact(alice, other)

    seen: list[int] = []
    cursor = None
    while True:
        page = await app.list_contacts(alice, limit=2, cursor=cursor)
        seen += [v.id for v in page.items]
        assert all(v.is_contact for v in page.items)
        if not page.has_more:
            break
        cursor = page.next_cursor
    assert seen == sorted(others)
    with pytest.raises(ValidationError):
        await app.list_contacts(alice, cursor="bogus")


# --- blocking ------------------------------------------------------------------------------


async def test_blocking_tells_only_the_blockers_devices_and_is_idempotent(
    app: Messenger, alice: int, bob: int, published: Published
) -> None:
    await app.block_user(alice, bob)
    await app.block_user(alice, bob)

    [note] = published.items
    assert isinstance(note.event, BlocksUpdated)
    assert (note.event.user_id, note.event.blocked, note.recipients) == (bob, True, {alice})
    assert (await app.get_profile(alice, bob)).blocked
    assert not (await app.get_profile(bob, alice)).blocked
    assert [v.id for v in (await app.list_blocked_users(alice)).items] == [bob]

    await app.unblock_user(alice, bob)
    await app.unblock_user(alice, bob)
    assert published.types() == ["blocks_updated", "blocks_updated"]
    assert (await app.list_blocked_users(alice)).items == ()


async def test_nobody_blocks_themself_or_an_unknown_user(app: Messenger, alice: int) -> None:
    with pytest.raises(ValidationError):
        await app.block_user(alice, alice)
    with pytest.raises(NotFound):
        await app.block_user(alice, 999)


async def test_a_blocked_user_cannot_open_a_dialog_with_the_blocker_but_the_blocker_can(
    app: Messenger, alice: int, bob: int
) -> None:
    await app.block_user(alice, bob)

    with pytest.raises(Blocked) as caught:
        await app.open_dialog(bob, alice)
    assert caught.value.code == "blocked"

    details, created = await app.open_dialog(alice, bob)
    assert created
    # Once it exists it is in both lists anyway: opening it is finding it.
    again, created = await app.open_dialog(bob, alice)
    assert again.chat.id == details.chat.id
    assert not created


async def test_in_their_dialog_the_blocked_cannot_write_and_the_blocker_still_can(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    await app.block_user(alice, bob)

    with pytest.raises(Blocked):
        await app.post_message(bob, dialog, "b-1", "hello?")
    assert (await app.post_message(alice, dialog, "a-1", "still here")).created

    await app.unblock_user(alice, bob)
    assert (await app.post_message(bob, dialog, "b-2", "thanks")).created


async def test_a_blocked_user_cannot_put_the_blocker_into_a_group(
    app: Messenger, alice: int, bob: int, carol: int
) -> None:
    await app.block_user(alice, bob)

    with pytest.raises(Blocked):
        await app.create_group(bob, "Team", [carol, alice])
    group = (await app.create_group(bob, "Team", [carol])).chat.id
    with pytest.raises(Blocked):
        await app.add_member(bob, group, alice)
    # The other way round is no one's business but alice's.
    assert (await app.create_group(alice, "Mine", [bob])).chat.id


async def test_shared_groups_stay_shared_and_the_blocker_sees_no_typing_of_the_blocked(
    app: Messenger, group: int, alice: int, bob: int, carol: int, published: Published
) -> None:
    await app.block_user(alice, bob)
    published.clear()

    assert (await app.post_message(bob, group, "b-1", "hi all")).created
    await app.send_typing(bob, group)
    await app.send_typing(carol, group)

    typing = {
        n.event.user_id: n.recipients for n in published.items if isinstance(n.event, UserTyping)
    }
    assert typing == {bob: {carol}, carol: {alice, bob}}


async def test_a_blocked_user_is_not_told_the_blockers_presence(
    app: Messenger, group: int, alice: int, bob: int, carol: int, published: Published
) -> None:
    await app.block_user(alice, bob)
    published.clear()

    await app.report_presence(alice, online=True)
    await app.report_presence(alice, online=False)
    await app.announce_presence(alice, {bob, carol})

    assert all(
        n.recipients == {carol} for n in published.items if isinstance(n.event, PresenceChanged)
    )
    assert await app.list_chat_mates(bob) == {carol}
    assert await app.list_chat_mates(carol) == {alice, bob}


def _online(users: set[int], asked: list[set[int]] | None = None) -> OnlineAmong:
    """Who is online, as delivery knows it; records what it is asked about."""

    async def online_among(user_ids: set[int]) -> set[int]:
        if asked is not None:
            asked.append(set(user_ids))
        return users & user_ids

    return online_among


async def test_a_new_socket_is_told_of_the_online_chat_mates_it_may_see_and_asks_of_mates_only(
    app: Messenger, group: int, alice: int, bob: int, carol: int, dave: int
) -> None:
    erin, fred = await new_user(app, "erin"), await new_user(app, "fred")
    await app.create_group(alice, "Other", [erin, fred])
    await app.change_privacy(carol, online="nobody")
    await app.change_privacy(erin, online="contacts")
    await app.add_contact(fred, alice)
    await app.change_privacy(fred, online="contacts")
    asked: list[set[int]] = []

    seen = await app.list_chat_mates(alice, _online({bob, carol, dave, erin, fred}, asked))

    # bob shows everybody; carol nobody; erin contacts, not alice's; fred has alice as one.
    assert seen == {bob, fred}
    # Whether someone is online is asked of chat-mates only (dave shares no chat).
    assert asked == [{bob, carol, erin, fred}]
    assert await app.list_chat_mates(alice, _online({dave}, asked)) == set()


async def test_a_new_socket_of_someone_without_chat_mates_asks_nobody_about_presence(
    app: Messenger, alice: int, bob: int
) -> None:
    asked: list[set[int]] = []
    assert await app.list_chat_mates(alice, _online({bob}, asked)) == set()
    assert asked == []


# --- privacy settings ----------------------------------------------------------------------


async def test_privacy_is_all_of_it_changed_in_parts_and_told_to_ones_own_devices(
    app: Messenger, alice: int, bob: int, published: Published
) -> None:
    before = await app.get_privacy(alice)
    assert before.email is Audience.NOBODY
    assert before.read_receipts

    after = await app.change_privacy(alice, last_seen="contacts", read_receipts=False)
    same = await app.change_privacy(alice, last_seen="contacts")

    assert after == same == await app.get_privacy(alice)
    assert (after.last_seen, after.read_receipts, after.bio) == (
        Audience.CONTACTS,
        False,
        Audience.EVERYBODY,
    )
    [note] = published.items
    assert isinstance(note.event, PrivacyUpdated)
    assert note.recipients == {alice}
    assert note.event.privacy == after
    assert (await app.get_privacy(bob)).read_receipts


async def test_groups_add_contacts_lets_only_contacts_add_one(
    app: Messenger, alice: int, bob: int, carol: int
) -> None:
    await app.change_privacy(alice, groups_add="contacts")
    await app.add_contact(alice, carol)

    with pytest.raises(PrivacyRestricted) as caught:
        await app.create_group(bob, "Team", [alice])
    assert caught.value.code == "privacy_restricted"
    group = (await app.create_group(bob, "Team", [])).chat.id
    with pytest.raises(PrivacyRestricted):
        await app.add_member(bob, group, alice)

    # Being in bob's contacts is not what counts: alice must have the adder in hers.
    await app.add_contact(bob, alice)
    with pytest.raises(PrivacyRestricted):
        await app.add_member(bob, group, alice)
    assert (await app.create_group(carol, "Friends", [alice])).chat.id


# --- the matrix: each setting x {contact, stranger, blocked} x {REST, push, sync} --------

RELATIONS = [Relation.CONTACT, Relation.STRANGER, Relation.BLOCKED]
PROFILE_FIELDS = {
    "avatar": "avatar_file_id",
    "bio": "bio",
    "last_seen": "last_seen_at",
    "birthdate": "birthdate",
}


async def _owner_and_viewer(app: Messenger, rel: Relation, **privacy: str) -> tuple[int, int, str]:
    """alice (the owner, with an avatar, a bio and a last seen time) and bob (the viewer)
    related as ``rel`` says; returns their ids and alice's avatar file id."""
    alice = (await app.register("alice", "password-123", email="alice@example.com")).user.id
    bob = await new_user(app, "bob")
    avatar = await app.upload_file(alice, "me.png", "image/png", chunks([b"png"]))
    await app.update_profile(
        alice, avatar_file_id=avatar.id, bio="Hello", birthdate=date(1990, 5, 6)
    )
    await app.report_presence(alice, online=False)
    if rel is Relation.CONTACT:
        await app.add_contact(alice, bob)
    elif rel is Relation.BLOCKED:
        await app.block_user(alice, bob)
    await app.change_privacy(alice, **privacy)
    return alice, bob, avatar.id


def _shows(profile: PublicProfile, setting: str) -> bool:
    value = getattr(profile, PROFILE_FIELDS[setting])
    return value not in (None, "")


def _profiles_of(event: Event, user_id: int) -> list[PublicProfile]:
    assert isinstance(event, ChatCreated)
    return [m.profile for m in event.members if m.profile.id == user_id]


@pytest.mark.parametrize("setting", sorted(PROFILE_FIELDS))
@pytest.mark.parametrize("audience", list(Audience))
@pytest.mark.parametrize("rel", RELATIONS)
async def test_profile_fields_show_exactly_as_the_setting_says_on_every_channel(
    app: Messenger, published: Published, setting: str, audience: Audience, rel: Relation
) -> None:
    alice, bob, _ = await _owner_and_viewer(app, rel, **{setting: audience.value})
    group = (await app.create_group(alice, "Team", [bob])).chat.id
    expected = visible(audience, rel)

    # REST reads: the profile, search, the members of a chat and of the chat list.
    assert _shows(await app.get_profile(bob, alice), setting) is expected
    [found] = (await app.search_users(bob, "alice")).items
    assert _shows(found, setting) is expected
    chat = await app.get_chat(bob, group)
    [member] = [m.profile for m in chat.members if m.profile.id == alice]
    assert _shows(member, setting) is expected
    [summary] = (await app.list_chats(bob)).items
    [listed] = [m.profile for m in summary.members if m.profile.id == alice]
    assert _shows(listed, setting) is expected
    # The owner always sees it all.
    assert _shows(await app.get_profile(alice, alice), setting)

    # A frame is the same for every recipient: it shows what strangers may see, and
    # nothing guarded of an owner who blocked a recipient.
    for_all = audience is Audience.EVERYBODY and rel is not Relation.BLOCKED
    [created] = [n for n in published.to(bob) if isinstance(n.event, ChatCreated)]
    assert all(_shows(p, setting) is for_all for p in _profiles_of(created.event, alice))
    [entry] = (await app.get_changes_since(bob, 0)).entries
    assert all(_shows(p, setting) is for_all for p in _profiles_of(entry.event, alice))


@pytest.mark.parametrize("audience", list(Audience))
@pytest.mark.parametrize("rel", RELATIONS)
async def test_the_email_shows_in_profile_reads_exactly_as_the_setting_says(
    app: Messenger, published: Published, audience: Audience, rel: Relation
) -> None:
    alice, bob, _ = await _owner_and_viewer(app, rel, email=audience.value)
    expected = "alice@example.com" if visible(audience, rel) else None

    assert (await app.get_profile(bob, alice)).email == expected
    [found] = (await app.search_users(bob, "alice")).items
    assert found.email == expected
    # Frames never carry an email: they are the same bytes for every recipient.
    await app.create_group(alice, "Team", [bob])
    assert all(
        not hasattr(p, "email")
        for n in published.to(bob)
        if isinstance(n.event, ChatCreated)
        for p in _profiles_of(n.event, alice)
    )


async def test_nobody_but_the_owner_sees_the_email_by_default(app: Messenger) -> None:
    alice = (await app.register("alice", "password-123", email="alice@example.com")).user.id
    bob = await new_user(app, "bob")
    await app.add_contact(alice, bob)
    assert (await app.get_profile(bob, alice)).email is None
    assert (await app.get_profile(alice, alice)).email == "alice@example.com"


@pytest.mark.parametrize("audience", list(Audience))
@pytest.mark.parametrize("rel", RELATIONS)
async def test_online_and_last_seen_are_pushed_only_to_whom_they_may_show(
    app: Messenger, published: Published, audience: Audience, rel: Relation
) -> None:
    alice, bob, _ = await _owner_and_viewer(app, rel, online=audience.value)
    await app.create_group(alice, "Team", [bob])
    published.clear()

    await app.report_presence(alice, online=True)
    await app.announce_presence(alice, {bob})
    told = [n for n in published.to(bob) if isinstance(n.event, PresenceChanged)]

    assert bool(told) is visible(audience, rel)
    assert (alice in await app.list_chat_mates(bob)) is visible(audience, rel)
    # A new socket asks about those online only: the same rule, and nothing of the offline.
    assert (alice in await app.list_chat_mates(bob, _online({alice}))) is visible(audience, rel)
    assert await app.list_chat_mates(bob, _online(set())) == set()
    # Presence is never stored: sync has none of it for anyone.
    assert all(e.event.type != "presence" for e in (await app.get_changes_since(bob, 0)).entries)


@pytest.mark.parametrize("audience", list(Audience))
@pytest.mark.parametrize("rel", RELATIONS)
async def test_the_last_seen_time_goes_only_to_whom_it_may_show(
    app: Messenger, published: Published, audience: Audience, rel: Relation
) -> None:
    alice, bob, _ = await _owner_and_viewer(app, rel, last_seen=audience.value)
    carol = await new_user(app, "carol")
    await app.create_group(alice, "Team", [bob, carol])
    published.clear()

    await app.report_presence(alice, online=False)

    offline = {
        uid: n.event.last_seen_at
        for n in published.items
        if isinstance(n.event, PresenceChanged)
        for uid in n.recipients
    }
    if rel is Relation.BLOCKED:
        assert bob not in offline
    else:
        assert (offline[bob] is not None) is visible(audience, rel)
    assert (offline[carol] is not None) is visible(audience, Relation.STRANGER)


# --- read receipts -------------------------------------------------------------------------


@pytest.mark.parametrize("reader_on", [True, False])
@pytest.mark.parametrize("viewer_on", [True, False])
async def test_read_marks_reach_others_only_when_both_have_read_receipts_on(
    app: Messenger,
    dialog: int,
    alice: int,
    bob: int,
    published: Published,
    reader_on: bool,
    viewer_on: bool,
) -> None:
    await app.change_privacy(bob, read_receipts=reader_on)
    await app.change_privacy(alice, read_receipts=viewer_on)
    posted = (await app.post_message(alice, dialog, "a-1", "hi")).message
    published.clear()

    await app.mark_read(bob, dialog, posted.id)
    expected = reader_on and viewer_on

    [note] = [n for n in published.items if isinstance(n.event, MessagesRead)]
    assert bob in note.recipients
    assert (alice in note.recipients) is expected
    synced = [e.event for e in (await app.get_changes_since(alice, 0)).entries]
    assert any(isinstance(e, MessagesRead) for e in synced) is expected
    [mine] = [
        e.event
        for e in (await app.get_changes_since(bob, 0)).entries
        if e.event.type == "messages_read"
    ]
    assert isinstance(mine, MessagesRead)
    assert mine.message_id == posted.id
    chat = await app.get_chat(alice, dialog)
    [bobs] = [m.membership for m in chat.members if m.membership.user_id == bob]
    assert (bobs.read_message_id == posted.id) is expected
    # The reader always sees their own mark.
    own = await app.get_chat(bob, dialog)
    assert [m.membership.read_message_id for m in own.members if m.membership.user_id == bob] == [
        posted.id
    ]


async def test_turning_receipts_off_hides_others_marks_already_in_the_feed(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    posted = (await app.post_message(alice, dialog, "a-1", "hi")).message
    await app.mark_read(bob, dialog, posted.id)
    assert any(
        e.event.type == "messages_read" for e in (await app.get_changes_since(alice, 0)).entries
    )

    await app.change_privacy(alice, read_receipts=False)

    assert all(
        e.event.type != "messages_read" for e in (await app.get_changes_since(alice, 0)).entries
    )


async def test_a_private_read_mark_is_about_the_reader_not_the_chat(
    app: Messenger, dialog: int, alice: int, bob: int, published: Published
) -> None:
    await app.change_privacy(bob, read_receipts=False)
    posted = (await app.post_message(alice, dialog, "a-1", "hi")).message

    await app.mark_read(bob, dialog, posted.id)

    [note] = [n for n in published.items if isinstance(n.event, MessagesRead)]
    assert note.recipients == {bob}
    assert (note.event.chat_id, note.event.subject_user_id) == (None, bob)


@pytest.mark.parametrize(("reader_on", "viewer_on"), [(False, True), (True, False)])
async def test_a_read_mark_others_may_not_see_still_shows_the_message_delivered(
    app: Messenger,
    dialog: int,
    alice: int,
    bob: int,
    published: Published,
    reader_on: bool,
    viewer_on: bool,
) -> None:
    # Found by the state machine: reading moves the delivery mark too, and the one not told
    # of the read mark replayed a delivery mark REST reads did not show.
    await app.change_privacy(bob, read_receipts=reader_on)
    await app.change_privacy(alice, read_receipts=viewer_on)
    posted = (await app.post_message(alice, dialog, "a-1", "hi")).message
    published.clear()

    await app.mark_read(bob, dialog, posted.id)

    [note] = [n for n in published.items if isinstance(n.event, MessagesDelivered)]
    assert note.recipients == {alice}  # the reader's own devices need no delivery mark
    assert note.event.message_id == posted.id
    synced = [e.event for e in (await app.get_changes_since(alice, 0)).entries]
    assert [e.message_id for e in synced if isinstance(e, MessagesDelivered)] == [posted.id]
    chat = await app.get_chat(alice, dialog)
    [bobs] = [m.membership for m in chat.members if m.membership.user_id == bob]
    assert (bobs.delivered_message_id, bobs.read_message_id) == (posted.id, 0)


async def test_with_receipts_on_both_sides_the_read_mark_alone_tells_delivery(
    app: Messenger, dialog: int, alice: int, bob: int, published: Published
) -> None:
    posted = (await app.post_message(alice, dialog, "a-1", "hi")).message
    published.clear()
    await app.mark_read(bob, dialog, posted.id)
    assert published.types() == ["messages_read"]


async def test_a_stranger_still_cannot_read_a_chat_by_marking_it(
    app: Messenger, dialog: int, carol: int
) -> None:
    with pytest.raises(ChatNotFound):
        await app.mark_read(carol, dialog, 1)


async def test_a_preset_avatar_is_hidden_like_an_uploaded_one_and_the_frame_stays(
    app: Messenger, alice: int, bob: int
) -> None:
    await app.choose_preset_avatar(alice, "fox")
    await app.choose_avatar_frame(alice, "gold")
    await app.change_privacy(alice, avatar="nobody")

    seen = await app.get_profile(bob, alice)

    assert (seen.avatar_preset, seen.avatar_file_id, seen.avatar_frame) == (None, None, "gold")
    assert (await app.get_profile(alice, alice)).avatar_preset == "fox"


async def test_profile_changes_reach_each_chat_mate_as_they_may_see_them(
    app: Messenger, group: int, alice: int, bob: int, carol: int, published: Published
) -> None:
    await app.add_contact(alice, bob)
    await app.change_privacy(alice, bio="contacts")
    published.clear()

    await app.update_profile(alice, bio="Only for friends")
    pushed = [n for n in published.items if isinstance(n.event, ProfileUpdated)]
    told = {uid: n.event.profile.bio for n in pushed for uid in n.recipients}
    # carol sees no bio before or after: nothing changed for her, so she is not told.
    assert told == {alice: "Only for friends", bob: "Only for friends"}

    published.clear()
    await app.update_profile(alice, display_name="Alice L.")
    pushed = [n for n in published.items if isinstance(n.event, ProfileUpdated)]
    told = {uid: n.event.profile.bio for n in pushed for uid in n.recipients}
    assert told == {alice: "Only for friends", bob: "Only for friends", carol: ""}


async def test_the_avatar_image_is_served_only_to_whom_the_avatar_shows(
    app: Messenger, alice: int, bob: int, carol: int
) -> None:
    picture = await app.upload_file(alice, "me.png", "image/png", chunks([b"png"]))
    await app.update_profile(alice, avatar_file_id=picture.id)
    await app.change_privacy(alice, avatar="contacts")
    await app.add_contact(alice, bob)

    assert await app.get_avatar(bob, alice, 96)
    assert await app.get_avatar(alice, alice, 512)
    with pytest.raises(NotFound):
        await app.get_avatar(carol, alice, 96)
    await app.block_user(alice, bob)
    with pytest.raises(NotFound):
        await app.get_avatar(bob, alice, 96)


# --- losing sight of someone's presence ------------------------------------------------------


def _presence_to(published: Published, user_id: int) -> list[PresenceChanged]:
    return [n.event for n in published.to(user_id) if isinstance(n.event, PresenceChanged)]


async def test_whoever_loses_sight_of_ones_presence_is_told_one_is_offline_without_a_time(
    app: Messenger, published: Published
) -> None:
    alice, bob = await new_user(app, "alice"), await new_user(app, "bob")
    carol, dave = await new_user(app, "carol"), await new_user(app, "dave")
    await app.create_group(alice, "Team", [bob, carol, dave])
    await app.add_contact(alice, carol)
    published.clear()

    # A setting that is not about being online tells nobody anything.
    await app.change_privacy(alice, bio="nobody")
    assert [_presence_to(published, u) for u in (bob, carol, dave)] == [[], [], []]

    # Online for contacts only: bob and dave lose sight; carol, a contact, does not.
    await app.change_privacy(alice, online="contacts")
    offline = PresenceChanged(user_id=alice, online=False, last_seen_at=None)
    assert [_presence_to(published, u) for u in (bob, carol, dave)] == [[offline], [], [offline]]
    published.clear()

    # Carol stops being a contact: now she loses sight too.
    await app.remove_contact(alice, carol)
    assert _presence_to(published, carol) == [offline]
    published.clear()

    # A block under "everybody": only the blocked user is told.
    await app.change_privacy(alice, online="everybody")
    await app.block_user(alice, bob)
    assert [_presence_to(published, u) for u in (bob, carol, dave)] == [[offline], [], []]


def _revealed(published: Published) -> list[tuple[int, frozenset[int]]]:
    return [
        (n.event.user_id, n.recipients)
        for n in published.items
        if isinstance(n.event, PresenceRevealed)
    ]


async def test_whoever_regains_sight_of_ones_presence_is_introduced_again(
    app: Messenger, published: Published
) -> None:
    alice, bob = await new_user(app, "alice"), await new_user(app, "bob")
    carol = await new_user(app, "carol")
    await app.create_group(alice, "Team", [bob, carol])
    await app.change_privacy(alice, online="contacts")
    await app.block_user(alice, bob)
    published.clear()

    # A new contact may see her online again: delivery introduces the two (it knows who
    # is online; the domain does not).
    await app.add_contact(alice, carol)
    assert _revealed(published) == [(alice, frozenset({alice, carol}))]
    published.clear()

    # Looser: everybody but the blocked bob.
    await app.change_privacy(alice, online="everybody")
    assert _revealed(published) == []  # carol already saw; bob is blocked
    await app.unblock_user(alice, bob)
    assert _revealed(published) == [(alice, frozenset({alice, bob}))]


def test_a_revealed_presence_is_a_frameless_delivery_that_introduces() -> None:
    note = Notification(PresenceRevealed(1), frozenset({1, 2}))
    delivery = Wire().delivery(note)
    assert (delivery.frame, delivery.recipients, delivery.introduces) == (
        b"",
        frozenset({1, 2}),
        frozenset({1}),
    )
