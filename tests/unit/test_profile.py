"""Changing one's profile: username, birthdate, preset avatar, frame, and who hears of it."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from xml.etree import ElementTree

import pytest

from messenger.adapters.memory import TickingClock
from messenger.assets import bundled_catalog, bundled_images
from messenger.domain.errors import UsernameTaken, ValidationError
from messenger.domain.events import ProfileUpdated
from messenger.domain.model import PRESET_ID_RE, PresetKind
from messenger.domain.service import Messenger
from tests.unit.conftest import Published, chunks, new_user, store_of

# --- username ------------------------------------------------------------------------------


async def test_a_new_username_is_normalised_and_the_old_one_is_free_again(
    app: Messenger, alice: int
) -> None:
    user = await app.update_profile(alice, username="  Alice.Cooper ")

    assert user.username == "alice.cooper"
    assert (await app.get_profile(alice, alice)).username == "alice.cooper"
    assert (await app.authenticate("alice.cooper", "password-123")).user.id == alice
    # The old name is nobody's now: someone else may register it.
    assert await new_user(app, "alice") != alice


async def test_a_username_someone_has_is_refused_and_nothing_changes(
    app: Messenger, alice: int, bob: int, published: Published
) -> None:
    with pytest.raises(UsernameTaken):
        await app.update_profile(alice, username="BOB", bio="changed")

    assert (await app.get_profile(alice, alice)).username == "alice"
    assert (await app.get_profile(alice, alice)).bio == ""
    assert published.items == []


@pytest.mark.parametrize("username", ["ab", "-alice", "alice!", "a" * 33, "alice_"])
async def test_a_username_breaking_the_registration_rules_is_refused(
    app: Messenger, alice: int, username: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        await app.update_profile(alice, username=username)
    assert refused.value.field == "username"


async def test_ones_own_username_in_other_letters_is_no_change(
    app: Messenger, alice: int, published: Published
) -> None:
    assert (await app.update_profile(alice, username="ALICE")).username == "alice"
    assert published.items == []


# --- birthdate -----------------------------------------------------------------------------


async def test_a_birthdate_is_set_left_alone_by_other_changes_and_cleared_with_none(
    app: Messenger, alice: int
) -> None:
    assert (await app.update_profile(alice, birthdate=date(1990, 2, 3))).birthdate == date(
        1990, 2, 3
    )
    assert (await app.update_profile(alice, bio="hi")).birthdate == date(1990, 2, 3)
    assert (await app.get_profile(alice, alice)).birthdate == date(1990, 2, 3)

    assert (await app.update_profile(alice, birthdate=None)).birthdate is None
    assert (await app.get_profile(alice, alice)).birthdate is None


@pytest.mark.parametrize(
    "birthdate",
    [date(1899, 12, 31), date(2026, 1, 3), date(9999, 1, 1)],
    ids=["before 1900", "the day after tomorrow", "far future"],
)
async def test_a_birthdate_before_1900_or_in_the_future_is_refused(
    app: Messenger, alice: int, birthdate: date
) -> None:
    # The test clock stands at 2026-01-01.
    with pytest.raises(ValidationError) as refused:
        await app.update_profile(alice, birthdate=birthdate)
    assert refused.value.field == "birthdate"
    assert (await app.get_profile(alice, alice)).birthdate is None


async def test_a_birthday_that_is_today_somewhere_on_earth_is_accepted(
    app: Messenger, alice: int, clock: TickingClock
) -> None:
    clock.advance(timedelta(hours=12))  # 2026-01-01 12:00 UTC: already the 2nd in Kiribati
    user = await app.update_profile(alice, birthdate=date(2026, 1, 2))
    assert user.birthdate == date(2026, 1, 2)
    assert (await app.update_profile(alice, birthdate=date(1900, 1, 1))).birthdate == date(
        1900, 1, 1
    )


# --- preset avatars and frames -------------------------------------------------------------


async def test_a_preset_avatar_replaces_an_uploaded_one(app: Messenger, alice: int) -> None:
    picture = await app.upload_file(alice, "me.png", "image/png", chunks([b"png"]))
    await app.update_profile(alice, avatar_file_id=picture.id)

    user = await app.choose_preset_avatar(alice, "cat")

    assert (user.avatar_preset, user.avatar_file_id) == ("cat", None)
    profile = await app.get_profile(alice, alice)
    assert (profile.avatar_preset, profile.avatar_file_id) == ("cat", None)


async def test_an_unknown_preset_is_refused_on_the_preset_field(
    app: Messenger, alice: int, published: Published
) -> None:
    with pytest.raises(ValidationError) as refused:
        await app.choose_preset_avatar(alice, "../cat")
    assert refused.value.field == "preset"
    assert (await app.get_profile(alice, alice)).avatar_preset is None
    assert published.items == []


async def test_a_frame_is_put_on_and_taken_off(app: Messenger, alice: int) -> None:
    assert (await app.choose_avatar_frame(alice, "gold")).avatar_frame == "gold"
    assert (await app.get_profile(alice, alice)).avatar_frame == "gold"
    assert (await app.choose_avatar_frame(alice, None)).avatar_frame is None
    assert (await app.get_profile(alice, alice)).avatar_frame is None


async def test_an_unknown_frame_is_refused_on_the_frame_field(app: Messenger, alice: int) -> None:
    await app.choose_avatar_frame(alice, "gold")
    with pytest.raises(ValidationError) as refused:
        await app.choose_avatar_frame(alice, "cat")  # a preset avatar, not a frame
    assert refused.value.field == "frame"
    assert (await app.get_profile(alice, alice)).avatar_frame == "gold"


async def test_the_lists_of_presets_and_frames_page_by_id(app: Messenger) -> None:
    avatars = await app.list_presets(PresetKind.AVATAR)
    assert list(avatars.items) == sorted(bundled_catalog().presets)
    assert not avatars.has_more

    first = await app.list_presets(PresetKind.FRAME, limit=4)
    rest = await app.list_presets(PresetKind.FRAME, cursor=first.next_cursor)
    assert first.has_more
    assert [*first.items, *rest.items] == sorted(bundled_catalog().frames)
    # A cursor of one list is no cursor of the other.
    with pytest.raises(ValidationError):
        await app.list_presets(PresetKind.AVATAR, cursor=first.next_cursor)


# --- who hears of a change -----------------------------------------------------------------

Change = Callable[[Messenger, int], Awaitable[object]]
CHANGES: dict[str, Change] = {
    "display name": lambda app, uid: app.update_profile(uid, display_name="Alice C."),
    "username": lambda app, uid: app.update_profile(uid, username="alice2"),
    "bio": lambda app, uid: app.update_profile(uid, bio="Hello"),
    "birthdate": lambda app, uid: app.update_profile(uid, birthdate=date(1990, 2, 3)),
    "preset avatar": lambda app, uid: app.choose_preset_avatar(uid, "owl"),
    "frame": lambda app, uid: app.choose_avatar_frame(uid, "stars"),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
async def test_every_change_goes_to_the_users_feed_and_to_their_chat_mates_only(
    app: Messenger,
    alice: int,
    bob: int,
    carol: int,
    dave: int,
    dialog: int,
    published: Published,
    change: Change,
) -> None:
    await app.create_group(alice, "Team", [carol])
    published.clear()
    cursor = (await app.get_changes_since(alice, None)).cursor

    await change(app, alice)

    [own, mates] = published.items
    assert isinstance(own.event, ProfileUpdated)
    assert own.event.profile == (await app.get_profile(alice, alice)).public()
    # Alice's devices: a feed event, so a device that was away catches up through sync.
    assert (own.recipients, own.position is not None) == ({alice}, True)
    # Her chat-mates: the same event pushed, kept in nobody's feed.
    assert (mates.event, mates.recipients, mates.position) == (own.event, {bob, carol}, None)
    assert published.to(dave) == []

    [entry] = (await app.get_changes_since(alice, cursor)).entries
    assert entry.event == own.event
    assert (await app.get_changes_since(bob, cursor)).entries == ()


async def test_a_user_who_shares_no_chat_tells_only_their_own_devices(
    app: Messenger, alice: int, bob: int, published: Published
) -> None:
    await app.update_profile(alice, bio="Hello")
    [own] = published.items
    assert own.recipients == {alice}


async def test_a_change_that_changes_nothing_is_not_told(
    app: Messenger, alice: int, dialog: int, published: Published
) -> None:
    await app.update_profile(alice, bio="Hello", birthdate=date(1990, 2, 3))
    published.clear()

    await app.update_profile(alice, bio="Hello", birthdate=date(1990, 2, 3))
    await app.update_profile(alice)
    await app.choose_avatar_frame(alice, None)

    assert published.items == []


async def test_the_stored_profile_is_what_the_event_says(
    app: Messenger, alice: int, published: Published
) -> None:
    await app.update_profile(alice, username="ally", birthdate=date(2000, 1, 1), bio="x")
    await app.choose_preset_avatar(alice, "fox")
    await app.choose_avatar_frame(alice, "neon")

    stored = store_of(app).users[alice]
    last = published.items[-1].event
    assert isinstance(last, ProfileUpdated)
    assert last.profile == stored.public()
    assert (stored.username, stored.birthdate, stored.avatar_preset, stored.avatar_frame) == (
        "ally",
        date(2000, 1, 1),
        "fox",
        "neon",
    )


# --- the shipped images --------------------------------------------------------------------

SVG_NS = "{http://www.w3.org/2000/svg}"
# What would make an image more than a picture: script, outside resources, event handlers.
_ACTIVE = re.compile(
    r"<script|javascript:|\bon[a-z]+\s*=|<foreignObject|https?://(?!www\.w3\.org/)"
)


@pytest.mark.parametrize(("kind", "at_least"), [(PresetKind.AVATAR, 12), (PresetKind.FRAME, 6)])
def test_the_server_ships_enough_square_svg_images_with_nothing_active(
    kind: PresetKind, at_least: int
) -> None:
    images = bundled_images(kind)
    assert len(images) >= at_least
    for preset_id, svg in images.items():
        assert PRESET_ID_RE.match(preset_id)
        root = ElementTree.fromstring(svg)
        assert root.tag == f"{SVG_NS}svg", preset_id
        _, _, width, height = root.attrib["viewBox"].split()
        assert width == height, preset_id
        assert not _ACTIVE.search(svg.decode()), preset_id


def _circle_fills(element: ElementTree.Element, inherited: str = "black") -> list[str]:
    """The fill each circle is painted with (its own, else its nearest group's)."""
    fill = element.attrib.get("fill", inherited)
    own = [fill] if element.tag == f"{SVG_NS}circle" else []
    return own + [f for child in element for f in _circle_fills(child, fill)]


def test_frames_leave_the_avatar_inside_them_uncovered() -> None:
    # A frame is drawn over the avatar: a filled shape over the middle would hide the face.
    for frame_id, svg in bundled_images(PresetKind.FRAME).items():
        root = ElementTree.fromstring(svg)
        fills = _circle_fills(root)
        assert fills, frame_id
        assert set(fills) == {"none"}, frame_id
        assert root.find(f".//{SVG_NS}rect") is None, frame_id


def test_the_catalogue_is_the_shipped_files() -> None:
    catalog = bundled_catalog()
    assert catalog.presets == set(bundled_images(PresetKind.AVATAR))
    assert catalog.frames == set(bundled_images(PresetKind.FRAME))
    assert not catalog.presets & catalog.frames
