"""Chats and membership: dialogs, groups, members and roles, the chat list."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

import messenger
from messenger.adapters.memory import TickingClock
from messenger.domain.errors import (
    AlreadyAMember,
    ChatNotFound,
    Forbidden,
    NotAMember,
    NotFound,
    ValidationError,
)
from messenger.domain.model import ChatKind, Limits, Role
from messenger.domain.service import Messenger
from tests.unit.conftest import Published, new_user


async def roles(app: Messenger, viewer: int, chat_id: int) -> dict[int, Role]:
    details = await app.get_chat(viewer, chat_id)
    return {m.membership.user_id: m.membership.role for m in details.members}


# --- open dialog --------------------------------------------------------------------------


async def test_opening_a_dialog_creates_it_once_for_both_sides(
    app: Messenger, alice: int, bob: int, published: Published
) -> None:
    first, created = await app.open_dialog(alice, bob)
    again, created_again = await app.open_dialog(alice, bob)
    other_side, created_by_peer = await app.open_dialog(bob, alice)

    assert created
    assert not created_again
    assert not created_by_peer
    assert first.chat.id == again.chat.id == other_side.chat.id
    assert first.chat.kind is ChatKind.DIRECT
    assert {m.membership.user_id for m in first.members} == {alice, bob}
    assert published.types() == ["chat_created"]
    assert published.items[0].recipients == {alice, bob}


async def test_concurrent_openings_of_one_dialog_converge_on_one_chat(
    app: Messenger, alice: int, bob: int
) -> None:
    results = await asyncio.gather(*(app.open_dialog(*pair) for pair in [(alice, bob)] * 5))
    results += await asyncio.gather(*(app.open_dialog(*pair) for pair in [(bob, alice)] * 5))

    assert len({details.chat.id for details, _ in results}) == 1
    assert sum(created for _, created in results) == 1


async def test_a_dialog_with_yourself_is_rejected(app: Messenger, alice: int) -> None:
    with pytest.raises(ValidationError):
        await app.open_dialog(alice, alice)


async def test_a_dialog_with_an_unknown_user_is_rejected(
    app: Messenger, alice: int, published: Published
) -> None:
    with pytest.raises(NotFound) as caught:
        await app.open_dialog(alice, 999)

    assert caught.value.code == "not_found"
    assert published.items == []


# --- groups -------------------------------------------------------------------------------


async def test_creating_a_group_makes_the_creator_its_owner(
    app: Messenger, alice: int, bob: int, carol: int, published: Published
) -> None:
    details = await app.create_group(alice, "  Team  ", [bob, carol, bob, alice])

    assert details.chat.kind is ChatKind.GROUP
    assert details.chat.title == "Team"
    assert await roles(app, alice, details.chat.id) == {
        alice: Role.OWNER,
        bob: Role.MEMBER,
        carol: Role.MEMBER,
    }
    assert published.types() == ["chat_created"]
    assert published.items[0].recipients == {alice, bob, carol}


@pytest.mark.parametrize("title", ["", "   ", "x" * 101])
async def test_a_group_title_must_have_1_to_100_characters(
    app: Messenger, alice: int, title: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await app.create_group(alice, title, [])

    assert caught.value.field == "title"


async def test_a_group_with_an_unknown_member_is_not_created(
    app: Messenger, alice: int, published: Published
) -> None:
    with pytest.raises(NotFound):
        await app.create_group(alice, "Team", [999])

    assert (await app.list_chats(alice)).items == ()
    assert published.items == []


async def test_renaming_a_group_is_for_owner_and_admins(
    app: Messenger, group: int, alice: int, bob: int, carol: int, published: Published
) -> None:
    await app.change_role(alice, group, bob, Role.ADMIN)
    published.clear()

    renamed = await app.rename_group(bob, group, "Core team")

    assert renamed.chat.title == "Core team"
    assert published.types() == ["chat_updated"]
    with pytest.raises(Forbidden):
        await app.rename_group(carol, group, "Mine now")
    assert (await app.get_chat(carol, group)).chat.title == "Core team"


async def test_renaming_to_the_same_title_publishes_nothing(
    app: Messenger, group: int, alice: int, published: Published
) -> None:
    published.clear()

    await app.rename_group(alice, group, "Team")

    assert published.items == []


async def test_a_dialog_cannot_be_renamed(app: Messenger, dialog: int, alice: int) -> None:
    with pytest.raises(Forbidden):
        await app.rename_group(alice, dialog, "Our chat")


async def test_a_stranger_cannot_rename_a_group(app: Messenger, group: int, dave: int) -> None:
    with pytest.raises(ChatNotFound):
        await app.rename_group(dave, group, "Hijacked")


# --- add member ---------------------------------------------------------------------------


async def test_an_admin_adds_a_member(
    app: Messenger, group: int, alice: int, bob: int, dave: int, published: Published
) -> None:
    await app.change_role(alice, group, bob, Role.ADMIN)
    published.clear()

    member = await app.add_member(bob, group, dave)

    assert member.membership.user_id == dave
    assert member.membership.role is Role.MEMBER
    assert member.profile.username == "dave"
    assert published.types() == ["member_added"]
    assert dave in published.items[0].recipients
    assert (await app.get_chat(dave, group)).chat.id == group


async def test_only_the_owner_adds_admins(
    app: Messenger, group: int, alice: int, bob: int, dave: int
) -> None:
    await app.change_role(alice, group, bob, Role.ADMIN)

    with pytest.raises(Forbidden):
        await app.add_member(bob, group, dave, Role.ADMIN)
    member = await app.add_member(alice, group, dave, Role.ADMIN)

    assert member.membership.role is Role.ADMIN


async def test_a_plain_member_cannot_add_anyone(
    app: Messenger, group: int, bob: int, dave: int
) -> None:
    with pytest.raises(Forbidden):
        await app.add_member(bob, group, dave)


async def test_adding_someone_already_in_the_group_is_a_conflict(
    app: Messenger, group: int, alice: int, bob: int
) -> None:
    with pytest.raises(AlreadyAMember) as caught:
        await app.add_member(alice, group, bob)

    assert caught.value.code == "already_a_member"


async def test_nobody_can_be_added_as_a_second_owner(
    app: Messenger, group: int, alice: int, dave: int
) -> None:
    with pytest.raises(ValidationError) as caught:
        await app.add_member(alice, group, dave, Role.OWNER)

    assert caught.value.field == "role"


async def test_adding_an_unknown_user_fails(app: Messenger, group: int, alice: int) -> None:
    with pytest.raises(NotFound):
        await app.add_member(alice, group, 999)


async def test_nobody_can_be_added_to_a_dialog(
    app: Messenger, dialog: int, alice: int, carol: int
) -> None:
    with pytest.raises(Forbidden):
        await app.add_member(alice, dialog, carol)


# --- remove member / leave ----------------------------------------------------------------


async def test_the_owner_removes_a_member(
    app: Messenger, group: int, alice: int, bob: int, published: Published
) -> None:
    published.clear()

    await app.remove_member(alice, group, bob)

    assert published.types() == ["member_removed"]
    assert bob in published.items[0].recipients  # the removed member learns it too
    with pytest.raises(ChatNotFound):
        await app.get_chat(bob, group)


async def test_a_member_cannot_remove_an_admin(
    app: Messenger, group: int, alice: int, bob: int, carol: int
) -> None:
    await app.change_role(alice, group, bob, Role.ADMIN)

    with pytest.raises(Forbidden) as caught:
        await app.remove_member(carol, group, bob)

    assert caught.value.code == "forbidden"
    assert bob in await roles(app, alice, group)


async def test_an_admin_cannot_remove_another_admin_or_the_owner(
    app: Messenger, group: int, alice: int, bob: int, carol: int
) -> None:
    await app.change_role(alice, group, bob, Role.ADMIN)
    await app.change_role(alice, group, carol, Role.ADMIN)

    with pytest.raises(Forbidden):
        await app.remove_member(bob, group, carol)
    with pytest.raises(Forbidden):
        await app.remove_member(bob, group, alice)


async def test_a_member_cannot_remove_another_member(
    app: Messenger, group: int, bob: int, carol: int
) -> None:
    with pytest.raises(Forbidden):
        await app.remove_member(bob, group, carol)


async def test_removing_someone_who_is_not_a_member_fails(
    app: Messenger, group: int, alice: int, dave: int
) -> None:
    with pytest.raises(NotAMember) as caught:
        await app.remove_member(alice, group, dave)

    assert caught.value.code == "not_a_member"


async def test_a_member_leaves_a_group(app: Messenger, group: int, alice: int, carol: int) -> None:
    await app.remove_member(carol, group, carol)

    assert carol not in await roles(app, alice, group)
    assert (await app.list_chats(carol)).items == ()


async def test_when_the_owner_leaves_the_longest_serving_admin_becomes_owner(
    app: Messenger, group: int, alice: int, bob: int, carol: int, dave: int, published: Published
) -> None:
    await app.add_member(alice, group, dave, Role.ADMIN)
    await app.change_role(alice, group, carol, Role.ADMIN)
    published.clear()

    await app.remove_member(alice, group, alice)

    # carol and dave are both admins; carol joined first.
    assert await roles(app, bob, group) == {bob: Role.MEMBER, carol: Role.OWNER, dave: Role.ADMIN}
    assert published.types() == ["member_removed", "member_updated"]


async def test_when_the_owner_leaves_without_admins_the_longest_serving_member_owns(
    app: Messenger, alice: int, bob: int, carol: int
) -> None:
    group = (await app.create_group(alice, "Team", [carol])).chat.id
    await app.add_member(alice, group, bob)  # joins later than carol

    await app.remove_member(alice, group, alice)

    assert (await roles(app, bob, group))[carol] is Role.OWNER


async def test_a_dialog_cannot_be_left(app: Messenger, dialog: int, alice: int) -> None:
    with pytest.raises(Forbidden):
        await app.remove_member(alice, dialog, alice)


# --- change role --------------------------------------------------------------------------


async def test_the_owner_promotes_and_demotes_admins(
    app: Messenger, group: int, alice: int, bob: int, published: Published
) -> None:
    published.clear()

    promoted = await app.change_role(alice, group, bob, Role.ADMIN)
    unchanged = await app.change_role(alice, group, bob, Role.ADMIN)
    demoted = await app.change_role(alice, group, bob, Role.MEMBER)

    assert promoted.role is Role.ADMIN
    assert unchanged.role is Role.ADMIN
    assert demoted.role is Role.MEMBER
    assert published.types() == ["member_updated", "member_updated"]


async def test_only_the_owner_changes_roles(
    app: Messenger, group: int, alice: int, bob: int, carol: int
) -> None:
    await app.change_role(alice, group, bob, Role.ADMIN)

    with pytest.raises(Forbidden):
        await app.change_role(bob, group, carol, Role.ADMIN)
    with pytest.raises(Forbidden):
        await app.change_role(carol, group, carol, Role.ADMIN)


async def test_giving_the_owner_role_transfers_ownership(
    app: Messenger, group: int, alice: int, bob: int
) -> None:
    await app.change_role(alice, group, bob, Role.OWNER)

    assert (await roles(app, alice, group))[alice] is Role.ADMIN
    assert (await roles(app, alice, group))[bob] is Role.OWNER
    with pytest.raises(Forbidden):
        await app.change_role(alice, group, bob, Role.MEMBER)


async def test_the_owner_cannot_change_their_own_role(
    app: Messenger, group: int, alice: int
) -> None:
    with pytest.raises(Forbidden):
        await app.change_role(alice, group, alice, Role.MEMBER)


async def test_changing_the_role_of_a_non_member_fails(
    app: Messenger, group: int, alice: int, dave: int
) -> None:
    with pytest.raises(NotAMember):
        await app.change_role(alice, group, dave, Role.ADMIN)


async def test_roles_do_not_exist_in_a_dialog(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    with pytest.raises(Forbidden):
        await app.change_role(alice, dialog, bob, Role.ADMIN)


# --- get chat and list chats --------------------------------------------------------------


async def test_a_stranger_sees_a_chat_exactly_like_a_missing_one(
    app: Messenger, group: int, dave: int
) -> None:
    with pytest.raises(ChatNotFound) as stranger:
        await app.get_chat(dave, group)
    with pytest.raises(ChatNotFound) as missing:
        await app.get_chat(dave, 999)

    assert (stranger.value.code, str(stranger.value)) == (missing.value.code, str(missing.value))


async def test_chats_are_listed_by_last_activity(
    app: Messenger, alice: int, bob: int, carol: int
) -> None:
    with_bob = (await app.open_dialog(alice, bob))[0].chat.id
    with_carol = (await app.open_dialog(alice, carol))[0].chat.id
    team = (await app.create_group(alice, "Team", [bob])).chat.id

    assert [s.chat.id for s in (await app.list_chats(alice)).items] == [team, with_carol, with_bob]
    await app.post_message(bob, with_bob, "c1", "hi")
    assert [s.chat.id for s in (await app.list_chats(alice)).items] == [with_bob, team, with_carol]


async def test_the_chat_list_shows_the_last_message_and_members(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    await app.post_message(alice, dialog, "c1", "first")
    last = (await app.post_message(bob, dialog, "c2", "second")).message

    [summary] = (await app.list_chats(alice)).items

    assert summary.last_message == last
    assert {m.profile.username for m in summary.members} == {"alice", "bob"}


async def test_unread_counts_ignore_own_and_deleted_messages(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    first = (await app.post_message(bob, dialog, "b1", "one")).message
    await app.post_message(bob, dialog, "b2", "two")
    doomed = (await app.post_message(bob, dialog, "b3", "three")).message
    await app.post_message(alice, dialog, "a1", "mine")
    await app.delete_message(bob, doomed.id)

    [alice_view] = (await app.list_chats(alice)).items
    [bob_view] = (await app.list_chats(bob)).items
    assert alice_view.unread_count == 2
    assert bob_view.unread_count == 1

    await app.mark_read(alice, dialog, first.id)
    [alice_view] = (await app.list_chats(alice)).items
    assert alice_view.unread_count == 1


async def test_a_user_without_chats_has_an_empty_list(app: Messenger) -> None:
    loner = await new_user(app, "loner")

    assert (await app.list_chats(loner)).items == ()


# --- paging the chat list -------------------------------------------------------------------


async def _page_through(app: Messenger, user_id: int, limit: int) -> list[list[int]]:
    pages: list[list[int]] = []
    cursor: str | None = None
    while True:
        page = await app.list_chats(user_id, limit=limit, cursor=cursor)
        pages.append([s.chat.id for s in page.items])
        if not page.has_more:
            assert page.next_cursor is None
            return pages
        assert page.next_cursor is not None
        cursor = page.next_cursor


async def test_paging_through_the_chat_list_returns_every_chat_once_most_recent_first(
    app: Messenger, alice: int, bob: int
) -> None:
    chats = [(await app.create_group(alice, f"g{i}", [bob])).chat.id for i in range(7)]
    await app.post_message(bob, chats[2], "c1", "wakes g2 up")
    everything = [s.chat.id for s in (await app.list_chats(alice, limit=100)).items]

    pages = await _page_through(app, alice, limit=3)

    assert everything == [chats[2], chats[6], chats[5], chats[4], chats[3], chats[1], chats[0]]
    assert pages == [everything[0:3], everything[3:6], everything[6:7]]


async def test_the_chat_list_pages_by_fifty_unless_asked_otherwise() -> None:
    # More new chats than an hour's budget allows by default.
    app = messenger.in_memory(limits=Limits(chats_per_hour=0))
    alice = await new_user(app, "alice")
    for i in range(51):
        await app.create_group(alice, f"g{i}", [])

    first = await app.list_chats(alice)
    rest = await app.list_chats(alice, cursor=first.next_cursor)

    assert (len(first.items), first.has_more) == (50, True)
    assert (len(rest.items), rest.has_more, rest.next_cursor) == (1, False, None)


async def test_chats_active_at_the_same_instant_are_each_listed_once() -> None:
    app = messenger.in_memory(clock=TickingClock(step=timedelta(0)))
    alice, bob = await new_user(app, "alice"), await new_user(app, "bob")
    created = {(await app.create_group(alice, f"g{i}", [bob])).chat.id for i in range(5)}

    pages = await _page_through(app, alice, limit=2)

    listed = [chat_id for page in pages for chat_id in page]
    assert sorted(listed) == sorted(created)
    assert listed == sorted(created, reverse=True), "ties go by id, newest first"


async def test_a_chat_that_becomes_active_while_paging_moves_to_the_top_and_is_never_repeated(
    app: Messenger, alice: int, bob: int
) -> None:
    chats = [(await app.create_group(alice, f"g{i}", [bob])).chat.id for i in range(6)]
    first = await app.list_chats(alice, limit=2)
    assert [s.chat.id for s in first.items] == [chats[5], chats[4]]

    await app.post_message(bob, chats[4], "c1", "already seen")
    await app.post_message(bob, chats[0], "c2", "not seen yet")
    rest = await app.list_chats(alice, limit=10, cursor=first.next_cursor)
    fresh = await app.list_chats(alice, limit=10)

    # The client hears of both posts on its socket; the pages themselves never repeat a chat.
    assert [s.chat.id for s in rest.items] == [chats[3], chats[2], chats[1]]
    assert [s.chat.id for s in fresh.items][:2] == [chats[0], chats[4]]


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor",
        "!!!!",
        "ü",
        "\ud800",
        "x" * 10_000,
        "W10",  # []
        "WyJjaGF0cyJd",  # ["chats"]: no key
        "WyJjaGF0cyIsMSwiMiJd",  # ["chats",1,"2"]: the id is no number
        "WyJjaGF0cyIsdHJ1ZSwxXQ",  # ["chats",true,1]
        "WyJzZXNzaW9ucyIsMSwiYSJd",  # ["sessions",1,"a"]: another list's cursor
        "WyJjaGF0cyIsMSwy",  # truncated JSON
        "_w",  # not UTF-8 once decoded
    ],
)
async def test_a_chat_list_cursor_that_was_never_handed_out_is_a_validation_error(
    app: Messenger, alice: int, cursor: str
) -> None:
    with pytest.raises(ValidationError) as invalid:
        await app.list_chats(alice, cursor=cursor)

    assert (invalid.value.code, invalid.value.field) == ("validation_error", "cursor")


@pytest.mark.parametrize("limit", [0, -1, 101])
async def test_a_chat_list_page_size_out_of_range_is_a_validation_error(
    app: Messenger, alice: int, limit: int
) -> None:
    with pytest.raises(ValidationError) as invalid:
        await app.list_chats(alice, limit=limit)

    assert invalid.value.field == "limit"
