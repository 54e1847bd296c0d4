"""Mentions: which users a text names, who counts, unread mentions and paging through them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import messenger
from messenger.adapters.batching import BatchingCommitter
from messenger.adapters.memory import InMemoryUnitOfWork, InMemoryUnitOfWorkFactory, TickingClock
from messenger.domain.errors import ChatNotFound, DomainError
from messenger.domain.mentions import (
    EVERYONE,
    MAX_MENTIONS,
    mentioned_names,
    resolve_mentions,
)
from messenger.domain.model import USERNAME_RE, AccessClaims, Role
from messenger.domain.service import Messenger
from tests.unit.conftest import Published, new_user, store_of

# --- the parser ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("@bob hi", {"bob"}),
        ("hi @Bob, and @CAROL!", {"bob", "carol"}),
        ("(@bob) [@carol] «@dave»", {"bob", "carol", "dave"}),
        ("ping @bob.", {"bob"}),
        ("ping @bob_", {"bob"}),
        ("@a.b_c", {"a.b_c"}),
        ("@all please", {EVERYONE}),
        ("mail bob@example.com", set()),
        ("see https://example.com/@bob", set()),
        ("@@bob", set()),
        ("x.@bob", set()),
        ("@bo", set()),  # too short to be a username
        ("@" + "b" * 33, set()),  # too long
        ("@bobé", set()),  # the name goes on past the username grammar
        ("code `@bob` here", set()),
        ("```\n@bob\n```", set()),
        ("```@carol``` and @bob", {"bob"}),
        ("an unclosed ` @bob", {"bob"}),
        ("no at sign at all", set()),
    ],
)
def test_a_text_mentions_the_usernames_it_names_outside_code(text: str, names: set[str]) -> None:
    assert mentioned_names(text) == names


@given(st.text(max_size=300))
def test_any_text_yields_only_valid_lower_case_usernames_and_at_most_the_cap(text: str) -> None:
    names = mentioned_names(text)

    assert len(names) <= MAX_MENTIONS
    assert all(USERNAME_RE.match(n) for n in names)
    assert not names or "@" in text


@given(
    names=st.frozensets(st.sampled_from(["ann", "bob", "cat", "dan", EVERYONE])),
    members=st.frozensets(st.integers(1, 6)),
    sender=st.integers(1, 6),
    everyone=st.booleans(),
)
def test_only_members_other_than_the_sender_are_ever_mentioned(
    names: frozenset[str], members: frozenset[int], sender: int, everyone: bool
) -> None:
    ids = {"ann": 1, "bob": 2, "cat": 3, "dan": 7}

    mentioned = resolve_mentions(names, ids, members, sender, everyone=everyone)

    assert set(mentioned) <= members - {sender}
    assert list(mentioned) == sorted(set(mentioned))
    if everyone:
        assert set(mentioned) == members - {sender}


# --- posting and editing ------------------------------------------------------------------


async def test_a_post_mentions_the_members_it_names_case_insensitively(
    app: Messenger, group: int, alice: int, bob: int, carol: int
) -> None:
    result = await app.post_message(alice, group, "c-1", "@BOB and @carol, look")

    assert result.message.mentions == (bob, carol)
    page = await app.read_history(bob, group)
    assert page.items[-1].mentions == (bob, carol)


async def test_a_non_member_the_sender_and_unknown_names_are_not_mentioned(
    app: Messenger, group: int, alice: int, dave: int
) -> None:
    result = await app.post_message(alice, group, "c-1", "@dave @alice @nobody hi")

    assert result.message.mentions == ()


async def test_all_in_a_group_mentions_every_other_member_only_from_owners_and_admins(
    app: Messenger, group: int, alice: int, bob: int, carol: int
) -> None:
    by_owner = await app.post_message(alice, group, "c-1", "@all meeting")
    by_member = await app.post_message(bob, group, "c-2", "@all meeting")
    await app.change_role(alice, group, bob, Role.ADMIN)
    by_admin = await app.post_message(bob, group, "c-3", "@all meeting")

    assert by_owner.message.mentions == (bob, carol)
    assert by_member.message.mentions == ()
    assert by_admin.message.mentions == (alice, carol)


async def test_all_leaves_out_deleted_accounts_that_stay_in_the_group(
    app: Messenger, group: int, alice: int, bob: int, carol: int
) -> None:
    login = await app.authenticate("carol", "password-123")
    await app.delete_account(AccessClaims(carol, login.session.id), "password-123")

    result = await app.post_message(alice, group, "c-1", "@all meeting")

    assert result.message.mentions == (bob,)


async def test_all_in_a_dialog_is_plain_text(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    result = await app.post_message(alice, dialog, "c-1", "@all hi")

    assert result.message.mentions == ()


async def test_the_pushed_message_carries_its_mentions(
    app: Messenger, group: int, alice: int, bob: int, published: Published
) -> None:
    published.clear()

    await app.post_message(alice, group, "c-1", "hey @bob")

    [pushed] = published.to(bob)
    assert pushed.event.message.mentions == (bob,)  # type: ignore[attr-defined]


async def test_posts_of_one_group_commit_resolve_their_mentions_each(
    app: Messenger, group: int, dialog: int, alice: int, bob: int, carol: int
) -> None:
    results = await asyncio.gather(
        app.post_message(alice, group, "c-1", "@carol"),
        app.post_message(alice, dialog, "c-2", "@carol @bob"),
        app.post_message(bob, group, "c-3", "plain"),
        app.post_message(carol, group, "c-4", "@alice @bob"),
    )

    assert [r.message.mentions for r in results] == [(carol,), (bob,), (), (alice, bob)]


async def test_editing_a_mention_away_removes_it_and_editing_one_in_adds_it(
    app: Messenger, group: int, alice: int, bob: int, carol: int
) -> None:
    posted = await app.post_message(alice, group, "c-1", "@bob look")

    edited = await app.edit_message(alice, posted.message.id, "@carol look")

    assert edited.mentions == (carol,)
    assert await _unread_mentions(app, bob, group) == 0
    assert await _unread_mentions(app, carol, group) == 1


async def test_a_deleted_message_mentions_nobody(
    app: Messenger, group: int, alice: int, bob: int
) -> None:
    posted = await app.post_message(alice, group, "c-1", "@bob look")

    deleted = await app.delete_message(alice, posted.message.id)

    assert deleted.mentions == ()
    assert await _unread_mentions(app, bob, group) == 0
    assert (await app.read_history(bob, group, mentioning_me=True)).items == ()


# --- unread mentions ----------------------------------------------------------------------


async def _unread_mentions(app: Messenger, user_id: int, chat_id: int) -> int:
    listing = await app.list_chats(user_id)
    [summary] = [s for s in listing.items if s.chat.id == chat_id]
    return summary.unread_mentions


async def test_the_chat_list_counts_unread_mentions_and_reading_lowers_them(
    app: Messenger, group: int, alice: int, bob: int
) -> None:
    first = await app.post_message(alice, group, "c-1", "@bob one")
    await app.post_message(alice, group, "c-2", "no mention")
    await app.post_message(alice, group, "c-3", "@bob two")
    assert await _unread_mentions(app, bob, group) == 2
    assert await _unread_mentions(app, alice, group) == 0

    state = await app.mark_read(bob, group, first.message.id)

    assert state.unread_mentions == 1
    assert await _unread_mentions(app, bob, group) == 1


async def test_hidden_and_cleared_mentions_are_not_unread(
    app: Messenger, group: int, alice: int, bob: int
) -> None:
    first = await app.post_message(alice, group, "c-1", "@bob one")
    await app.post_message(alice, group, "c-2", "@bob two")

    await app.hide_message(bob, first.message.id)
    assert await _unread_mentions(app, bob, group) == 1
    await app.clear_chat(bob, group)
    assert await _unread_mentions(app, bob, group) == 0
    assert (await app.read_history(bob, group, mentioning_me=True)).items == ()


async def test_history_of_mentions_pages_like_history(
    app: Messenger, group: int, alice: int, bob: int, carol: int
) -> None:
    ids = []
    for i in range(5):
        await app.post_message(carol, group, f"n-{i}", "filler")
        ids.append((await app.post_message(alice, group, f"c-{i}", f"@bob {i}")).message.id)

    newest = await app.read_history(bob, group, mentioning_me=True, limit=2)
    older = await app.read_history(bob, group, mentioning_me=True, before=ids[3], limit=2)
    after = await app.read_history(bob, group, mentioning_me=True, after=ids[0], limit=3)

    assert [m.id for m in newest.items] == ids[3:]
    assert newest.has_more
    assert [m.id for m in older.items] == ids[1:3]
    assert older.has_more
    assert [m.id for m in after.items] == ids[1:4]
    assert after.has_more
    assert (await app.read_history(carol, group, mentioning_me=True)).items == ()


async def test_only_members_page_through_their_mentions(
    app: Messenger, group: int, alice: int, dave: int
) -> None:
    with pytest.raises(ChatNotFound):
        await app.read_history(dave, group, mentioning_me=True)


_ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["post", "read", "hide", "edit", "delete", "clear"]),
        st.integers(0, 2),  # who acts (alice, bob, carol)
        st.frozensets(st.integers(0, 3), max_size=3),  # whom a post names (3: @all)
        st.integers(0, 20),  # which message (an index into those posted)
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=_ACTIONS)
def test_unread_mentions_always_equal_a_recount_from_the_store(
    actions: list[tuple[str, int, frozenset[int], int]],
) -> None:
    asyncio.run(_replay(actions))


async def _replay(actions: list[tuple[str, int, frozenset[int], int]]) -> None:
    app = messenger.in_memory(clock=TickingClock())
    names = ["alice", "bob", "carol"]
    users = [await new_user(app, n) for n in names]
    group = (await app.create_group(users[0], "Team", users[1:])).chat.id
    posted: list[int] = []
    for n, (action, who, named, which) in enumerate(actions):
        actor = users[who]
        text = " ".join("@all" if i == 3 else f"@{names[i]}" for i in sorted(named)) or "hi"
        target = posted[which % len(posted)] if posted else None
        if target is None and action != "post":
            continue
        try:
            if action == "post":
                posted.append((await app.post_message(actor, group, f"c-{n}", text)).message.id)
            elif action == "read":
                await app.mark_read(actor, group, target)
            elif action == "hide":
                await app.hide_message(actor, target)
            elif action == "edit":
                await app.edit_message(actor, target, text)
            elif action == "delete":
                await app.delete_message(actor, target)
            else:
                await app.clear_chat(actor, group)
        except DomainError:  # refusals (not the author, hidden...) are part of the game
            pass
        for user in users:
            assert await _unread_mentions(app, user, group) == _recount(app, user, group)


def _recount(app: Messenger, user_id: int, chat_id: int) -> int:
    store = store_of(app)
    me = store.members[(chat_id, user_id)]
    return sum(
        1
        for m in store.messages.values()
        if m.chat_id == chat_id
        and m.id > me.unread_floor
        and not m.deleted
        and (user_id, m.id) not in store.hidden
        and user_id in m.mentions
        and m.sender_id != user_id
    )


class _NameLookups(InMemoryUnitOfWorkFactory):
    """Counts the username look-ups that units of work make (the posting path's cost)."""

    def __init__(self) -> None:
        super().__init__()
        self.lookups: list[set[str]] = []

    def __call__(self, *, read_only: bool = False) -> InMemoryUnitOfWork:
        uow = super().__call__(read_only=read_only)
        look_up = uow.users.ids_by_username

        async def counted(usernames: Iterable[str]) -> dict[str, int]:
            names = set(usernames)
            self.lookups.append(names)
            return await look_up(names)

        uow.users.ids_by_username = counted  # type: ignore[method-assign]
        return uow


async def test_posts_without_at_look_up_no_names_and_a_group_looks_them_up_once() -> None:
    factory = _NameLookups()
    ports = replace(
        messenger.in_memory(clock=TickingClock()).ports, uow=factory, committer=BatchingCommitter()
    )
    app = Messenger(ports)
    users = [(await app.register(f"user{i}", "password-123")).user.id for i in range(3)]
    group = (await app.create_group(users[0], "team", users[1:])).chat.id

    await asyncio.gather(*(app.post_message(users[0], group, f"p{i}", "plain") for i in range(20)))
    assert factory.lookups == []

    results = await asyncio.gather(
        *(
            app.post_message(users[i % 3], group, f"m{i}", f"@user{(i + 1) % 3} hi")
            for i in range(20)
        )
    )
    assert all(r.message.mentions for r in results)
    # The first post goes alone, the rest queue behind it and share a group commit.
    assert len(factory.lookups) < 20 / 4
