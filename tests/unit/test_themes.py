"""Themes and settings: what a theme may hold, whose it is, the cap, the active theme, and
the ``settings_updated`` every change sends to all the user's devices (and only theirs)."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import messenger
from messenger.adapters.codec import decode_event, encode_event
from messenger.adapters.memory import TickingClock
from messenger.contract import Wire
from messenger.domain import events as ev
from messenger.domain.errors import NotFound, TooManyThemes, ValidationError
from messenger.domain.model import Limits
from messenger.domain.service import Messenger
from messenger.domain.themes import (
    BUILT_IN_THEMES,
    COLOR_TOKENS,
    LANGUAGES,
    Theme,
    UserSettings,
    clean_colors,
)
from tests.contract_check import check_server_frame, check_sync_event
from tests.unit.conftest import Published, chunks, store_of

COLORS = {
    "background": "#101820",
    "surface": "#1B2733",
    "text": "#F2F2F2",
    "accent": "#ff8800",
    "bubble_in": "#223344",
    "bubble_out": "#335577",
}


# --- what a theme may hold ----------------------------------------------------------------


async def test_a_new_theme_keeps_its_colours_lower_cased_and_gets_an_id(
    app: Messenger, alice: int
) -> None:
    theme = await app.create_theme(alice, "  Night  ", COLORS, background="#000000")

    assert theme.id
    assert theme.owner_id == alice
    assert theme.name == "Night"
    assert theme.colors["surface"] == "#1b2733"
    assert set(theme.colors) == set(COLORS)
    assert theme.background == "#000000"


async def test_every_declared_token_is_accepted(app: Messenger, alice: int) -> None:
    theme = await app.create_theme(alice, "All", dict.fromkeys(COLOR_TOKENS, "#abcdef"))

    assert list(theme.colors) == list(COLOR_TOKENS)


@pytest.mark.parametrize(
    ("colors", "field"),
    [
        ({"backgroud": "#000000"}, "colors.backgroud"),
        ({"accent": "red"}, "colors.accent"),
        ({"accent": "#12345"}, "colors.accent"),
        ({"accent": "#1234567"}, "colors.accent"),
        ({"text": "#gg0000"}, "colors.text"),
    ],
)
async def test_unknown_tokens_and_bad_colours_are_refused_naming_the_token(
    app: Messenger, alice: int, colors: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await app.create_theme(alice, "Broken", colors)

    assert caught.value.field == field
    assert not store_of(app).themes


@pytest.mark.parametrize("name", ["", "   ", "\u202e\u202e", "x" * 65])
async def test_a_name_must_have_1_to_64_characters_once_cleaned(
    app: Messenger, alice: int, name: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await app.create_theme(alice, name, COLORS)

    assert caught.value.field == "name"


async def test_control_and_bidi_characters_are_cleaned_from_the_name(
    app: Messenger, alice: int
) -> None:
    theme = await app.create_theme(alice, "Da\u202ewn\x07", COLORS)

    assert theme.name == "Dawn"


@given(st.from_regex(r"\A#[0-9a-fA-F]{6}\Z"))
def test_any_rrggbb_colour_is_kept_lower_cased(color: str) -> None:
    assert clean_colors({"accent": color}) == {"accent": color.lower()}


@given(st.text(max_size=10).filter(lambda s: not re.fullmatch(r"#[0-9a-fA-F]{6}", s)))
def test_anything_else_is_not_a_colour(value: str) -> None:
    with pytest.raises(ValidationError):
        clean_colors({"accent": value})


async def test_the_background_may_be_an_image_the_user_uploaded(app: Messenger, alice: int) -> None:
    image = await app.upload_file(alice, "sky.png", "image/png", chunks([b"\x89PNG"]))

    theme = await app.create_theme(alice, "Sky", COLORS, background=image.id)

    assert theme.background == image.id
    assert theme.background_file_id == image.id
    assert Wire().theme(theme).background_url == f"/api/v1/files/{image.id}"


async def test_someone_elses_image_a_missing_file_or_a_non_image_is_no_background(
    app: Messenger, alice: int, bob: int
) -> None:
    bobs = await app.upload_file(bob, "b.png", "image/png", chunks([b"x"]))
    text = await app.upload_file(alice, "a.txt", "text/plain", chunks([b"x"]))

    for background in (bobs.id, "no-such-file", text.id, "red"):
        with pytest.raises(ValidationError) as caught:
            await app.create_theme(alice, "Stolen", COLORS, background=background)
        assert caught.value.field == "background"


async def test_a_theme_background_is_not_swept_as_an_abandoned_upload(
    clock: TickingClock, app: Messenger, alice: int
) -> None:
    image = await app.upload_file(alice, "sky.png", "image/png", chunks([b"x"]))
    await app.create_theme(alice, "Sky", COLORS, background=image.id)
    clock.advance(timedelta(days=2))

    assert await app.delete_abandoned_uploads() == 0
    assert image.id in store_of(app).files


# --- whose it is --------------------------------------------------------------------------


async def test_a_user_lists_only_their_own_themes_oldest_first(
    app: Messenger, alice: int, bob: int
) -> None:
    first = await app.create_theme(alice, "First", COLORS)
    await app.create_theme(bob, "Bob's", COLORS)
    second = await app.create_theme(alice, "Second", {})

    page = await app.list_themes(alice)

    assert [t.id for t in page.items] == [first.id, second.id]
    assert not page.has_more


async def test_themes_page_the_house_way(app: Messenger, alice: int) -> None:
    made = [await app.create_theme(alice, f"T{i}", COLORS) for i in range(3)]

    first = await app.list_themes(alice, 2)
    rest = await app.list_themes(alice, 2, cursor=first.next_cursor)

    assert first.has_more
    assert [t.id for t in (*first.items, *rest.items)] == [t.id for t in made]
    assert not rest.has_more


async def test_editing_replaces_name_colours_and_background(app: Messenger, alice: int) -> None:
    theme = await app.create_theme(alice, "Old", COLORS, background="#000000")

    edited = await app.edit_theme(alice, theme.id, "New", {"accent": "#00ff00"})

    assert (edited.name, edited.colors, edited.background) == ("New", {"accent": "#00ff00"}, None)
    assert (await app.list_themes(alice)).items == (edited,)


async def test_someone_elses_theme_cannot_be_edited_or_deleted_as_if_it_did_not_exist(
    app: Messenger, alice: int, bob: int
) -> None:
    theme = await app.create_theme(alice, "Mine", COLORS)

    with pytest.raises(NotFound):
        await app.edit_theme(bob, theme.id, "Taken", COLORS)
    with pytest.raises(NotFound):
        await app.delete_theme(bob, theme.id)
    with pytest.raises(NotFound):
        await app.delete_theme(alice, "no-such-theme")
    assert (await app.list_themes(alice)).items[0].name == "Mine"


async def test_a_user_keeps_at_most_max_themes() -> None:
    app = messenger.in_memory(clock=TickingClock(), limits=Limits(max_themes=2))
    alice = (await app.register("alice", "password-123")).user.id
    one = await app.create_theme(alice, "1", COLORS)
    await app.create_theme(alice, "2", COLORS)

    with pytest.raises(TooManyThemes) as caught:
        await app.create_theme(alice, "3", COLORS)
    assert caught.value.code == "too_many_themes"

    await app.delete_theme(alice, one.id)
    await app.create_theme(alice, "3", COLORS)


# --- settings -----------------------------------------------------------------------------


async def test_settings_default_to_the_system_theme_and_language(
    app: Messenger, alice: int
) -> None:
    assert await app.get_settings(alice) == UserSettings(alice, "system", "system")


async def test_the_active_theme_is_a_built_in_one_or_one_of_the_users_own(
    app: Messenger, alice: int, bob: int
) -> None:
    mine = await app.create_theme(alice, "Mine", COLORS)
    bobs = await app.create_theme(bob, "Bob's", COLORS)

    await app.change_settings(alice, theme_id="dark")
    assert (await app.get_settings(alice)).theme_id == "dark"
    await app.change_settings(alice, theme_id=mine.id)
    assert (await app.get_settings(alice)).theme_id == mine.id
    for theme_id in (bobs.id, "sepia", ""):
        with pytest.raises(ValidationError) as caught:
            await app.change_settings(alice, theme_id=theme_id)
        assert caught.value.field == "theme_id"
    assert (await app.get_settings(alice)).theme_id == mine.id


async def test_changing_only_the_language_keeps_the_theme(app: Messenger, alice: int) -> None:
    await app.change_settings(alice, theme_id="light")

    await app.change_settings(alice, language="ru")

    assert await app.get_settings(alice) == UserSettings(alice, "light", "ru")
    with pytest.raises(ValidationError) as caught:
        await app.change_settings(alice, language="de")
    assert caught.value.field == "language"


async def test_deleting_the_active_theme_falls_back_to_system(app: Messenger, alice: int) -> None:
    active = await app.create_theme(alice, "Active", COLORS)
    other = await app.create_theme(alice, "Other", COLORS)
    await app.change_settings(alice, theme_id=active.id, language="en")

    await app.delete_theme(alice, other.id)
    assert (await app.get_settings(alice)).theme_id == active.id
    await app.delete_theme(alice, active.id)

    assert await app.get_settings(alice) == UserSettings(alice, "system", "en")


# --- settings_updated ---------------------------------------------------------------------


async def test_every_change_tells_only_the_user_the_whole_new_state(
    app: Messenger, alice: int, bob: int, published: Published
) -> None:
    theme = await app.create_theme(alice, "Night", COLORS)
    await app.edit_theme(alice, theme.id, "Dusk", COLORS)
    await app.change_settings(alice, theme_id=theme.id)
    await app.delete_theme(alice, theme.id)

    assert published.types() == ["settings_updated"] * 4
    assert all(n.recipients == {alice} and n.position for n in published.items)
    states = [n.event for n in published.items]
    assert all(isinstance(e, ev.SettingsUpdated) for e in states)
    assert [[t.name for t in e.themes] for e in states] == [["Night"], ["Dusk"], ["Dusk"], []]  # type: ignore[attr-defined]
    assert [e.settings.theme_id for e in states] == [  # type: ignore[attr-defined]
        "system",
        "system",
        theme.id,
        "system",
    ]
    assert published.to(bob) == []


async def test_the_feed_replays_settings_updated_to_the_user_alone(
    app: Messenger, alice: int, bob: int
) -> None:
    start = (await app.get_changes_since(alice, None)).cursor
    await app.change_settings(alice, language="ru")

    mine = await app.get_changes_since(alice, start)
    theirs = await app.get_changes_since(bob, start)

    assert [e.event.type for e in mine.entries] == ["settings_updated"]
    assert theirs.entries == ()


async def test_a_refused_change_publishes_nothing(
    app: Messenger, alice: int, published: Published
) -> None:
    with pytest.raises(ValidationError):
        await app.change_settings(alice, theme_id="nope", language="ru")

    assert published.items == []
    assert (await app.get_settings(alice)).language == "system"


async def test_choosing_nothing_changes_nothing_and_tells_nobody(
    app: Messenger, alice: int, published: Published
) -> None:
    await app.change_settings(alice, language="en")
    published.clear()

    assert await app.change_settings(alice) == UserSettings(alice, "system", "en")
    assert published.items == []


# A user's actions: make a theme, delete, choose (a built-in or an own theme, by index into
# both), pick a language; indexes past the end pick nothing there.
ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(0, 0)),
        st.tuples(st.just("delete"), st.integers(0, 3)),
        st.tuples(st.just("choose"), st.integers(0, 6)),
        st.tuples(st.just("language"), st.integers(0, len(LANGUAGES) - 1)),
    ),
    max_size=14,
)


async def _play(actions: list[tuple[str, int]]) -> None:
    app = messenger.in_memory(clock=TickingClock(), limits=Limits(max_themes=3))
    alice = (await app.register("alice", "password-123")).user.id
    seen: list[ev.Notification] = []
    app.ports.notifier.subscribe(seen.append)  # type: ignore[attr-defined]
    for action, n in actions:
        own = [t.id for t in (await app.list_themes(alice)).items]
        try:
            if action == "create":
                await app.create_theme(alice, "T", {"accent": "#ff8800"})
            elif action == "delete" and n < len(own):
                await app.delete_theme(alice, own[n])
            elif action == "choose" and n < len(BUILT_IN_THEMES) + len(own):
                await app.change_settings(alice, theme_id=[*BUILT_IN_THEMES, *own][n])
            elif action == "language":
                await app.change_settings(alice, language=LANGUAGES[n])
        except TooManyThemes:
            pass
        now = await app.get_settings(alice)
        themes = (await app.list_themes(alice)).items
        # The active theme always exists: a built-in one or one of the user's.
        assert now.theme_id in BUILT_IN_THEMES or now.theme_id in {t.id for t in themes}
        # The newest settings_updated, pushed and replayed alike, is the state as stored.
        replay = await app.get_changes_since(alice, 0)
        for last in (
            seen[-1].event if seen else None,
            replay.entries[-1].event if replay.entries else None,
        ):
            if last is None:
                assert (now, themes) == (UserSettings(alice), ())
                continue
            assert isinstance(last, ev.SettingsUpdated)
            assert (last.settings, last.themes) == (now, themes)


@settings(max_examples=60, deadline=None)
@given(ACTIONS)
def test_the_newest_settings_updated_is_always_the_stored_state(
    actions: list[tuple[str, int]],
) -> None:
    asyncio.run(_play(actions))


def _event() -> ev.SettingsUpdated:
    t = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
    themes = (
        Theme("t1", 1, "Night", {"accent": "#ff8800"}, "#000000", t, t),
        Theme("t2", 1, "Sky", {}, "f1", t, t),
    )
    return ev.SettingsUpdated(UserSettings(1, "t1", "ru"), themes)


def test_settings_updated_is_stored_and_read_back_unchanged() -> None:
    event = _event()

    assert decode_event(encode_event(event)) == event


def test_settings_updated_is_a_published_feed_frame() -> None:
    frame = json.loads(Wire("/chat").event(_event(), 42))

    check_server_frame(frame)
    check_sync_event(frame)
    assert frame["type"] == "settings_updated"
    assert frame["cursor"] == 42
    assert frame["data"]["settings"] == {"theme_id": "t1", "language": "ru"}
    night, sky = frame["data"]["themes"]
    assert (night["background"], night["background_url"]) == ("#000000", None)
    assert (sky["background"], sky["background_url"]) == ("f1", "/chat/api/v1/files/f1")
