"""Reactions: react to a message, take it back, who reacted; counts, limits, visibility."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import messenger
from messenger.adapters.emoji import UnicodeEmoji, picker_catalogue, picker_module
from messenger.adapters.memory import TickingClock
from messenger.domain.errors import (
    Blocked,
    Forbidden,
    NotFound,
    Throttled,
    TooManyReactions,
    ValidationError,
)
from messenger.domain.events import MessageReactionsChanged
from messenger.domain.model import Limits, ReactionCount
from messenger.domain.service import Messenger
from tests.unit.conftest import Published, new_user, store_of

THUMBS = "👍"
HEART = "❤️"


async def _post(app: Messenger, user: int, chat: int, text: str = "hi") -> int:
    return (await app.post_message(user, chat, f"c-{text}", text)).message.id


def _recount(app: Messenger, message_id: int) -> dict[str, int]:
    """The counts the reaction rows make, whatever the message says."""
    rows = store_of(app).reactions
    return dict(Counter(emoji for m, emoji, _ in rows if m == message_id))


def _counts(app: Messenger, message_id: int) -> dict[str, int]:
    return {c.emoji: c.count for c in store_of(app).messages[message_id].reactions}


# --- reacting -----------------------------------------------------------------------------


async def test_a_reaction_is_counted_marked_mine_and_pushed_to_every_member_alike(
    app: Messenger, group: int, alice: int, bob: int, carol: int, published: Published
) -> None:
    message_id = await _post(app, alice, group)
    published.clear()

    reacted = await app.react_to_message(bob, message_id, THUMBS)

    assert reacted.message.reactions == (ReactionCount(THUMBS, 1),)
    assert reacted.mine == {THUMBS}
    [note] = published.items
    assert isinstance(note.event, MessageReactionsChanged)
    assert note.recipients == {alice, bob, carol}
    assert note.position is not None
    assert (note.event.user_id, note.event.emoji, note.event.added) == (bob, THUMBS, True)
    page = await app.read_history(carol, group)
    assert page.items[0].reactions == (ReactionCount(THUMBS, 1),)
    assert page.mine == {}
    assert (await app.read_history(bob, group)).mine == {message_id: frozenset({THUMBS})}


async def test_reacting_twice_or_taking_back_what_is_not_there_changes_nothing_and_pushes_nothing(
    app: Messenger, dialog: int, alice: int, bob: int, published: Published
) -> None:
    message_id = await _post(app, alice, dialog)
    await app.react_to_message(bob, message_id, THUMBS)
    published.clear()

    again = await app.react_to_message(bob, message_id, THUMBS)
    absent = await app.remove_reaction(bob, message_id, HEART)

    assert again.message.reactions == absent.message.reactions == (ReactionCount(THUMBS, 1),)
    assert published.items == []


async def test_taking_a_reaction_back_drops_an_emoji_nobody_uses_and_keeps_first_use_order(
    app: Messenger, group: int, alice: int, bob: int, carol: int
) -> None:
    message_id = await _post(app, alice, group)
    await app.react_to_message(bob, message_id, THUMBS)
    await app.react_to_message(carol, message_id, HEART)
    await app.react_to_message(carol, message_id, THUMBS)

    await app.remove_reaction(bob, message_id, THUMBS)
    assert _counts(app, message_id) == {THUMBS: 1, HEART: 1}
    assert [c.emoji for c in store_of(app).messages[message_id].reactions] == [THUMBS, HEART]

    await app.remove_reaction(carol, message_id, THUMBS)
    await app.react_to_message(bob, message_id, THUMBS)
    assert [c.emoji for c in store_of(app).messages[message_id].reactions] == [HEART, THUMBS]


async def test_an_unqualified_emoji_is_the_same_reaction_as_its_fully_qualified_form(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    message_id = await _post(app, alice, dialog)

    await app.react_to_message(alice, message_id, "❤")
    reacted = await app.react_to_message(bob, message_id, "❤️")

    assert reacted.message.reactions == (ReactionCount(HEART, 2),)


@pytest.mark.parametrize(
    "emoji", ["👍🏽", "👨‍👩‍👧", "🏳️‍🌈", "🧑🏽‍💻", "🇷🇺", "1️⃣"], ids=lambda e: e.encode().hex()
)
async def test_skin_tone_joiner_flag_and_keycap_sequences_are_one_emoji(
    app: Messenger, dialog: int, alice: int, emoji: str
) -> None:
    message_id = await _post(app, alice, dialog)

    reacted = await app.react_to_message(alice, message_id, emoji)

    assert reacted.message.reactions == (ReactionCount(emoji, 1),)


@pytest.mark.parametrize(
    "raw", ["", "a", "👍👍", "👍 ", "🏻", "#", ":thumbs_up:", "\x00", "👍" * 40, "<script>"]
)
async def test_anything_but_exactly_one_emoji_is_refused_on_the_emoji_field(
    app: Messenger, dialog: int, alice: int, raw: str
) -> None:
    message_id = await _post(app, alice, dialog)

    with pytest.raises(ValidationError) as caught:
        await app.react_to_message(alice, message_id, raw)

    assert caught.value.field == "emoji"


async def test_a_message_takes_at_most_twenty_different_emoji_but_more_of_each(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    message_id = await _post(app, alice, dialog)
    emoji = [row[0] for row in picker_catalogue()[:21]]
    for e in emoji[:20]:
        await app.react_to_message(alice, message_id, e)

    with pytest.raises(TooManyReactions) as caught:
        await app.react_to_message(bob, message_id, emoji[20])

    assert caught.value.code == "too_many_reactions"
    reacted = await app.react_to_message(bob, message_id, emoji[0])
    assert len(reacted.message.reactions) == 20
    assert reacted.message.reactions[0] == ReactionCount(emoji[0], 2)


async def test_the_limit_of_different_emoji_comes_from_limits(alice_limit: Messenger) -> None:
    app = alice_limit
    alice = await new_user(app, "alice")
    bob = await new_user(app, "bob")
    details, _ = await app.open_dialog(alice, bob)
    message_id = await _post(app, alice, details.chat.id)
    await app.react_to_message(alice, message_id, THUMBS)

    with pytest.raises(TooManyReactions):
        await app.react_to_message(alice, message_id, HEART)


@pytest.fixture
def alice_limit(clock: TickingClock) -> Messenger:
    return messenger.in_memory(clock=clock, limits=Limits(max_reactions=1))


# --- who may ------------------------------------------------------------------------------


async def test_a_stranger_cannot_react_nor_see_who_reacted_and_learns_nothing(
    app: Messenger, dialog: int, alice: int, carol: int, published: Published
) -> None:
    message_id = await _post(app, alice, dialog)
    await app.react_to_message(alice, message_id, THUMBS)
    published.clear()

    with pytest.raises(NotFound):
        await app.react_to_message(carol, message_id, THUMBS)
    with pytest.raises(NotFound):
        await app.remove_reaction(carol, message_id, THUMBS)
    with pytest.raises(NotFound):
        await app.list_reactors(carol, message_id, THUMBS)
    with pytest.raises(NotFound):
        await app.react_to_message(carol, 10**6, THUMBS)
    assert published.items == []


async def test_a_deleted_message_loses_its_reactions_and_takes_no_new_ones(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    message_id = await _post(app, alice, dialog)
    await app.react_to_message(bob, message_id, THUMBS)

    await app.delete_message(alice, message_id)

    assert store_of(app).messages[message_id].reactions == ()
    assert _recount(app, message_id) == {}
    with pytest.raises(Forbidden):
        await app.react_to_message(bob, message_id, THUMBS)
    # Taking back what a deleted message no longer has changes nothing.
    assert (await app.remove_reaction(bob, message_id, THUMBS)).mine == frozenset()


async def test_a_message_hidden_or_cleared_for_a_member_is_not_found_for_them_and_not_pushed(
    app: Messenger, group: int, alice: int, bob: int, carol: int, published: Published
) -> None:
    hidden = await _post(app, alice, group, "one")
    await app.hide_message(bob, hidden)
    await app.clear_chat(carol, group)
    published.clear()

    for user in (bob, carol):
        with pytest.raises(NotFound):
            await app.react_to_message(user, hidden, THUMBS)
        with pytest.raises(NotFound):
            await app.list_reactors(user, hidden, THUMBS)
    await app.react_to_message(alice, hidden, THUMBS)

    [note] = published.items
    assert note.recipients == {alice}
    for user in (bob, carol):
        changes = await app.get_changes_since(user, 0)
        assert "message_reactions" not in [e.event.type for e in changes.entries]


async def test_a_member_who_left_is_not_told_of_reactions_any_more(
    app: Messenger, group: int, alice: int, bob: int, carol: int, published: Published
) -> None:
    message_id = await _post(app, alice, group)
    await app.remove_member(carol, group, carol)
    published.clear()

    await app.react_to_message(bob, message_id, THUMBS)

    assert published.items[0].recipients == {alice, bob}
    with pytest.raises(NotFound):
        await app.react_to_message(carol, message_id, HEART)


async def test_a_user_blocked_by_the_other_side_of_a_dialog_cannot_react_there(
    app: Messenger, dialog: int, alice: int, bob: int, published: Published
) -> None:
    message_id = await _post(app, alice, dialog)
    await app.block_user(alice, bob)
    published.clear()

    with pytest.raises(Blocked):
        await app.react_to_message(bob, message_id, THUMBS)

    assert published.items == []
    # The blocker still may.
    await app.react_to_message(alice, message_id, THUMBS)


async def test_reacting_spends_a_budget_but_repeats_and_refusals_do_not(
    clock: TickingClock,
) -> None:
    app = messenger.in_memory(
        clock=clock, limits=Limits(reaction_rate=0.001, reaction_burst=2, max_reactions=5)
    )
    alice = await new_user(app, "alice")
    chat = (await app.create_group(alice, "Me", [])).chat.id
    message_id = await _post(app, alice, chat)
    await app.react_to_message(alice, message_id, THUMBS)
    await app.react_to_message(alice, message_id, THUMBS)  # a repeat: free
    await app.remove_reaction(alice, message_id, HEART)  # nothing to take back: free
    await app.remove_reaction(alice, message_id, THUMBS)

    with pytest.raises(Throttled):
        await app.react_to_message(alice, message_id, HEART)

    assert store_of(app).messages[message_id].reactions == ()


# --- who reacted --------------------------------------------------------------------------


async def test_who_reacted_pages_through_the_users_by_id(
    app: Messenger, group: int, alice: int, bob: int, carol: int, dave: int
) -> None:
    message_id = await _post(app, alice, group)
    await app.add_member(alice, group, dave)
    for user in (dave, bob, alice):
        await app.react_to_message(user, message_id, THUMBS)
    await app.react_to_message(carol, message_id, HEART)

    first = await app.list_reactors(carol, message_id, THUMBS, limit=2)
    second = await app.list_reactors(carol, message_id, THUMBS, limit=2, cursor=first.next_cursor)

    assert [p.id for p in first.items] == sorted([alice, bob])
    assert first.has_more
    assert [p.id for p in second.items] == [dave]
    assert not second.has_more
    with pytest.raises(ValidationError):
        await app.list_reactors(carol, message_id, THUMBS, cursor="nonsense")


# --- the counts are the rows --------------------------------------------------------------

_ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["react", "unreact", "delete", "hide"]),
        st.integers(0, 2),  # user: alice, bob, carol
        st.integers(0, 2),  # message
        st.sampled_from([THUMBS, HEART, "🎉", "👍🏿"]),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=_ACTIONS)
async def test_counts_equal_a_recount_of_the_rows_whatever_the_sequence(
    actions: list[tuple[str, int, int, str]],
) -> None:
    app = messenger.in_memory(clock=TickingClock())
    users = [await new_user(app, name) for name in ("alice", "bob", "carol")]
    chat = (await app.create_group(users[0], "Team", users[1:])).chat.id
    messages = [await _post(app, users[0], chat, f"m{i}") for i in range(3)]
    for action, user, index, emoji in actions:
        uid, mid = users[user], messages[index]
        try:
            if action == "react":
                await app.react_to_message(uid, mid, emoji)
            elif action == "unreact":
                await app.remove_reaction(uid, mid, emoji)
            elif action == "delete":
                await app.delete_message(users[0], mid)
            else:
                await app.hide_message(uid, mid)
        except (NotFound, Forbidden):
            pass
    for mid in messages:
        counts = store_of(app).messages[mid].reactions
        assert {c.emoji: c.count for c in counts} == _recount(app, mid)
        assert all(c.count > 0 for c in counts)
        assert len({c.emoji for c in counts}) == len(counts)


# --- the emoji set ------------------------------------------------------------------------


def test_every_emoji_of_the_picker_is_a_reaction_the_server_accepts_as_it_is() -> None:
    emoji_set = UnicodeEmoji()
    for emoji, _, _, tones in picker_catalogue():
        assert emoji_set.canonical(emoji) == emoji
        for toned in tones or ():
            assert emoji_set.canonical(toned) == toned


@given(st.text(max_size=40))
def test_any_text_is_refused_or_taken_as_the_stored_form_of_itself(text: str) -> None:
    canonical = UnicodeEmoji().canonical(text)
    if canonical is not None:
        assert UnicodeEmoji().canonical(canonical) == canonical


def test_the_committed_picker_catalogue_is_what_the_pinned_emoji_package_generates() -> None:
    committed = Path(__file__).parents[2] / "client" / "renderer" / "lib" / "emoji-data.js"

    assert committed.read_text(encoding="utf-8") == picker_module(), (
        "regenerate: python -m messenger.adapters.emoji client/renderer/lib/emoji-data.js"
    )
