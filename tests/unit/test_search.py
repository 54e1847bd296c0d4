"""Message search through the domain, on the in-memory index: words across inflections and
while typing, only what the reader may see, filters, paging, validation."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import messenger
from messenger.adapters import text_search
from messenger.adapters.memory import TickingClock
from messenger.domain.errors import ChatNotFound, DomainError, ValidationError
from messenger.domain.service import Messenger
from tests.unit.conftest import chunks, new_user, store_of


async def found_texts(app: Messenger, user_id: int, q: str, **filters: object) -> list[str]:
    page = await app.search_messages(user_id, q, **filters)  # type: ignore[arg-type]
    return [f.message.text for f in page.items]


# --- words ------------------------------------------------------------------------------


async def test_a_russian_word_finds_its_other_inflections(
    app: Messenger, group: int, alice: int, bob: int
) -> None:
    await app.post_message(bob, group, "c-1", "Два сообщения пришли")
    await app.post_message(bob, group, "c-2", "Завалили сообщениями!")
    await app.post_message(bob, group, "c-3", "Ничего общего")

    assert await found_texts(app, alice, "сообщение") == [
        "Завалили сообщениями!",
        "Два сообщения пришли",
    ]


async def test_an_english_word_finds_its_other_inflections(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    await app.post_message(bob, dialog, "c-1", "I run every day")
    await app.post_message(bob, dialog, "c-2", "Nothing here")

    assert await found_texts(app, alice, "running") == ["I run every day"]
    assert await found_texts(app, alice, "runs daily") == []


async def test_the_last_word_matches_as_a_prefix_while_typing(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    await app.post_message(bob, dialog, "c-1", "Сообщения пришли")
    await app.post_message(bob, dialog, "c-2", "Running late")

    assert await found_texts(app, alice, "сообщ") == ["Сообщения пришли"]
    assert await found_texts(app, alice, "runn") == ["Running late"]
    # Earlier words must be whole: "сообщ" before another word is a word of its own.
    assert await found_texts(app, alice, "сообщ пришли") == []


async def test_short_words_and_stopwords_are_found_like_any_other(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    await app.post_message(bob, dialog, "c-1", "я the it")

    assert await found_texts(app, alice, "я") == ["я the it"]
    assert await found_texts(app, alice, "the it") == ["я the it"]


@pytest.mark.parametrize(
    "q", ["<script>alert(1)</script>", "🎉🎉", "'; DROP TABLE messages; --", '"*"', "+-~<>()"]
)
async def test_punctuation_emoji_and_markup_in_a_query_are_harmless(
    app: Messenger, dialog: int, alice: int, bob: int, q: str
) -> None:
    await app.post_message(bob, dialog, "c-1", "<b>script</b> 🎉 alert")

    page = await app.search_messages(alice, q)

    for item in page.items:
        assert set(item.highlights) <= {"script", "alert", "b"}


async def test_highlights_are_the_words_of_the_text_that_matched_as_written(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    await app.post_message(bob, dialog, "c-1", "Сообщения, сообщениями и СООБЩЕНИЕ: running!")

    [item] = (await app.search_messages(alice, "сообщение run")).items

    assert item.highlights == ("Сообщения", "сообщениями", "СООБЩЕНИЕ", "running")


# --- what the reader may see ------------------------------------------------------------


async def test_only_chats_the_user_is_a_member_of_are_searched(
    app: Messenger, group: int, dialog: int, alice: int, carol: int, bob: int
) -> None:
    await app.post_message(alice, dialog, "c-1", "secret plan")
    await app.post_message(alice, group, "c-2", "public plan")

    assert await found_texts(app, carol, "plan") == ["public plan"]
    assert await found_texts(app, bob, "plan") == ["public plan", "secret plan"]


async def test_a_chat_id_of_a_chat_one_is_not_in_answers_as_no_such_chat(
    app: Messenger, dialog: int, carol: int
) -> None:
    with pytest.raises(ChatNotFound):
        await app.search_messages(carol, "plan", chat_id=dialog)
    with pytest.raises(ChatNotFound):
        await app.search_messages(carol, "plan", chat_id=10**9)


async def test_a_removed_member_no_longer_finds_the_chat(
    app: Messenger, group: int, alice: int, carol: int
) -> None:
    await app.post_message(alice, group, "c-1", "budget talk")
    assert await found_texts(app, carol, "budget") == ["budget talk"]

    await app.remove_member(alice, group, carol)

    assert await found_texts(app, carol, "budget") == []


async def test_deleted_cleared_and_hidden_messages_are_not_found(
    app: Messenger, group: int, alice: int, bob: int, carol: int
) -> None:
    deleted = (await app.post_message(alice, group, "c-1", "apple one")).message
    cleared = (await app.post_message(alice, group, "c-2", "apple two")).message
    await app.delete_message(alice, deleted.id)
    await app.clear_chat(bob, group)
    hidden = (await app.post_message(alice, group, "c-3", "apple three")).message
    await app.post_message(alice, group, "c-4", "apple four")
    await app.hide_message(bob, hidden.id)

    assert await found_texts(app, bob, "apple") == ["apple four"]
    assert await found_texts(app, carol, "apple") == ["apple four", "apple three", "apple two"]
    assert cleared.id < hidden.id


async def test_an_edit_reindexes_the_message(app: Messenger, dialog: int, alice: int) -> None:
    message = (await app.post_message(alice, dialog, "c-1", "old words")).message

    await app.edit_message(alice, message.id, "new phrasing")

    assert await found_texts(app, alice, "old") == []
    assert await found_texts(app, alice, "phrase") == ["new phrasing"]


async def test_a_failed_post_leaves_nothing_in_the_index(
    app: Messenger, dialog: int, alice: int, carol: int
) -> None:
    with pytest.raises(ChatNotFound):
        await app.post_message(carol, dialog, "c-1", "intruder words")

    assert store_of(app).search_terms == {}
    assert await found_texts(app, alice, "intruder") == []


# --- filters and paging -----------------------------------------------------------------


async def test_filters_by_chat_sender_files_and_dates(
    app: Messenger, group: int, dialog: int, alice: int, bob: int, clock: TickingClock
) -> None:
    start = clock.now()
    await app.post_message(alice, group, "c-1", "report one")
    await app.post_message(bob, group, "c-2", "report two")
    upload = await app.upload_file(bob, "r.txt", "text/plain", chunks([b"x"]))
    await app.post_message(bob, dialog, "c-3", "report three", attachment_ids=[upload.id])
    middle = clock.now()
    await app.post_message(alice, dialog, "c-4", "report four")

    assert await found_texts(app, alice, "report", chat_id=dialog) == [
        "report four",
        "report three",
    ]
    assert await found_texts(app, alice, "report", from_user_id=bob) == [
        "report three",
        "report two",
    ]
    assert await found_texts(app, alice, "report", has="file") == ["report three"]
    assert await found_texts(app, alice, "report", has="image") == []
    assert await found_texts(app, alice, "report", after=middle) == ["report four"]
    assert await found_texts(app, alice, "report", before=start + timedelta(microseconds=1)) == []


async def test_pages_run_newest_first_without_repeats(
    app: Messenger, dialog: int, alice: int
) -> None:
    for i in range(7):
        await app.post_message(alice, dialog, f"c-{i}", f"item {i}")
    seen: list[str] = []
    cursor = None
    while True:
        page = await app.search_messages(alice, "item", limit=3, cursor=cursor)
        seen += [f.message.text for f in page.items]
        if not page.has_more:
            break
        cursor = page.next_cursor

    assert seen == [f"item {i}" for i in reversed(range(7))]


@pytest.mark.parametrize(
    ("q", "filters", "field"),
    [
        ("", {}, "q"),
        ("   ", {}, "q"),
        ("x" * 201, {}, "q"),
        ("ok", {"has": "video"}, "has"),
        ("ok", {"limit": 0}, "limit"),
        ("ok", {"cursor": "bogus"}, "cursor"),
    ],
)
async def test_bad_requests_are_validation_errors_on_their_field(
    app: Messenger, alice: int, q: str, filters: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await app.search_messages(alice, q, **filters)  # type: ignore[arg-type]

    assert caught.value.field == field


# --- the analyzer -----------------------------------------------------------------------


@given(st.text(max_size=60))
def test_every_stored_term_is_marked_long_enough_and_only_letters_and_digits(text: str) -> None:
    for term in text_search.document(text).split():
        assert term.startswith(text_search.TERM_MARK)
        assert len(term) >= 3
        assert term.isalnum()


@given(st.text(alphabet=st.characters(categories=["L", "N", "P", "Zs", "So"]), max_size=40))
def test_a_text_matches_a_query_made_of_its_own_words(text: str) -> None:
    words = text_search.words(text)
    query = text_search.parse(" ".join(words[:3]))
    if query:
        assert text_search.matches(query, text_search.terms(text))


# --- the invariant: whatever anyone searches, nothing hidden from them is found ----------

actions = st.lists(
    st.tuples(
        st.sampled_from(["post", "delete", "hide", "clear", "edit"]),
        st.integers(0, 2),  # who
        st.integers(0, 1),  # which chat
        st.sampled_from(["plan", "plans", "planning", "cat", "кот", "коты"]),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions, st.sampled_from(["plan", "pla", "cat", "кот", "коты", "p"]))
def test_results_are_always_among_the_messages_the_user_may_see(
    steps: list[tuple[str, int, int, str]], q: str
) -> None:
    asyncio.run(_results_are_visible(steps, q))


async def _results_are_visible(steps: list[tuple[str, int, int, str]], q: str) -> None:
    app = messenger.in_memory(clock=TickingClock())
    users = [await new_user(app, name) for name in ("ann", "ben", "cid")]
    group = (await app.create_group(users[0], "g", users[1:])).chat.id
    dialog = (await app.open_dialog(users[0], users[1]))[0].chat.id
    chats = [group, dialog]
    posted: list[int] = []
    for n, (action, who, which, word) in enumerate(steps):
        user, chat = users[who], chats[which]
        try:
            if action == "post":
                result = await app.post_message(user, chat, f"c-{n}", f"{word} {n}")
                posted.append(result.message.id)
            elif action == "clear":
                await app.clear_chat(user, chat)
            elif posted:
                target = posted[n % len(posted)]
                if action == "delete":
                    await app.delete_message(user, target)
                elif action == "hide":
                    await app.hide_message(user, target)
                else:
                    await app.edit_message(user, target, f"{word} edited")
        except DomainError:
            pass  # a rule refused the step: the invariant must hold all the same
    for user in users:
        visible: dict[int, str] = {}
        for chat in chats:
            try:
                page = await app.read_history(user, chat, limit=100)
            except ChatNotFound:
                continue
            visible |= {m.id: m.text for m in page.items if not m.deleted}
        found = (await app.search_messages(user, q, limit=50)).items
        assert {f.message.id for f in found} <= set(visible)
        for f in found:
            assert f.message.text == visible[f.message.id]
            assert f.highlights
