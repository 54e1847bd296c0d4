"""The privacy rules themselves (``domain/privacy.py``): who may see what, as pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from messenger.domain.errors import ValidationError
from messenger.domain.model import ChatMember, Membership, PublicProfile, Role
from messenger.domain.privacy import (
    DEFAULT,
    Audience,
    PrivacySettings,
    Relation,
    Relations,
    for_all,
    may_add_to_groups,
    profile_for,
    read_marks_visible,
    relation,
    visible,
)

T = datetime(2026, 3, 4, tzinfo=UTC)
AUDIENCES = st.sampled_from(list(Audience))
RELATIONS = st.sampled_from(list(Relation))


@dataclass(frozen=True)
class ProfileWithBirthdate(PublicProfile):
    """A profile as it is once the profile fields of the same issue arrive."""

    birthdate: date | None = None


def alice(**fields: object) -> ProfileWithBirthdate:
    values: dict[str, object] = {
        "id": 1,
        "username": "alice",
        "display_name": "Alice",
        "avatar_file_id": "a1",
        "bio": "hi",
        "created_at": T,
        "last_seen_at": T,
        "birthdate": date(1990, 5, 6),
    }
    values.update(fields)
    return ProfileWithBirthdate(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("setting", "rel", "seen"),
    [
        (Audience.EVERYBODY, Relation.STRANGER, True),
        (Audience.EVERYBODY, Relation.CONTACT, True),
        (Audience.EVERYBODY, Relation.BLOCKED, False),
        (Audience.CONTACTS, Relation.STRANGER, False),
        (Audience.CONTACTS, Relation.CONTACT, True),
        (Audience.CONTACTS, Relation.BLOCKED, False),
        (Audience.NOBODY, Relation.STRANGER, False),
        (Audience.NOBODY, Relation.CONTACT, False),
        (Audience.NOBODY, Relation.BLOCKED, False),
        (Audience.NOBODY, Relation.SELF, True),
    ],
)
def test_a_setting_lets_exactly_its_audience_see(
    setting: Audience, rel: Relation, seen: bool
) -> None:
    assert visible(setting, rel) is seen


@given(AUDIENCES, AUDIENCES)
def test_a_wider_audience_never_shows_less(narrow: Audience, wide: Audience) -> None:
    order = [Audience.NOBODY, Audience.CONTACTS, Audience.EVERYBODY]
    if order.index(narrow) <= order.index(wide):
        for rel in Relation:
            assert visible(narrow, rel) <= visible(wide, rel)


def test_a_block_outweighs_being_a_contact_and_oneself_is_never_blocked() -> None:
    assert relation(2, 1, contact=True, blocked=True) is Relation.BLOCKED
    assert relation(2, 1, contact=True, blocked=False) is Relation.CONTACT
    assert relation(2, 1, contact=False, blocked=False) is Relation.STRANGER
    assert relation(1, 1, contact=False, blocked=True) is Relation.SELF


def test_the_defaults_are_telegrams_everything_open_but_the_email() -> None:
    assert (
        PrivacySettings(
            last_seen=Audience.EVERYBODY,
            online=Audience.EVERYBODY,
            avatar=Audience.EVERYBODY,
            bio=Audience.EVERYBODY,
            birthdate=Audience.EVERYBODY,
            email=Audience.NOBODY,
            groups_add=Audience.EVERYBODY,
            read_receipts=True,
        )
        == DEFAULT
    )


@given(AUDIENCES, AUDIENCES, AUDIENCES, AUDIENCES, RELATIONS)
def test_a_profile_shows_a_guarded_field_exactly_when_its_setting_lets_the_viewer(
    last_seen: Audience, avatar: Audience, bio: Audience, birthdate: Audience, rel: Relation
) -> None:
    settings = PrivacySettings(last_seen=last_seen, avatar=avatar, bio=bio, birthdate=birthdate)

    seen = profile_for(rel, alice(), settings)

    assert (seen.last_seen_at == T) is visible(last_seen, rel)
    assert (seen.avatar_file_id == "a1") is visible(avatar, rel)
    assert (seen.bio == "hi") is visible(bio, rel)
    assert (seen.birthdate == date(1990, 5, 6)) is visible(birthdate, rel)
    # Hidden is null, the bio empty; the name and the rest always show.
    assert seen.last_seen_at in (T, None)
    assert seen.avatar_file_id in ("a1", None)
    assert seen.bio in ("hi", "")
    assert seen.birthdate in (date(1990, 5, 6), None)
    assert (seen.id, seen.username, seen.display_name) == (1, "alice", "Alice")


def test_a_blocked_viewer_sees_nothing_guarded_even_of_an_open_profile() -> None:
    seen = profile_for(Relation.BLOCKED, alice(), DEFAULT)

    assert (seen.last_seen_at, seen.avatar_file_id, seen.bio, seen.birthdate) == (
        None,
        None,
        "",
        None,
    )


@pytest.mark.parametrize(
    ("groups_add", "rel", "allowed"),
    [
        (Audience.EVERYBODY, Relation.STRANGER, True),
        (Audience.EVERYBODY, Relation.BLOCKED, False),
        (Audience.CONTACTS, Relation.STRANGER, False),
        (Audience.CONTACTS, Relation.CONTACT, True),
    ],
)
def test_who_may_add_one_to_groups(groups_add: Audience, rel: Relation, allowed: bool) -> None:
    assert may_add_to_groups(rel, PrivacySettings(groups_add=groups_add)) is allowed


def test_nobody_is_not_a_choice_for_group_adds() -> None:
    with pytest.raises(ValidationError) as caught:
        PrivacySettings(groups_add=Audience.NOBODY)
    assert caught.value.field == "groups_add"


def test_settings_change_by_name_and_refuse_what_they_do_not_know() -> None:
    changed = DEFAULT.changed(bio="contacts", read_receipts=False)

    assert changed.bio is Audience.CONTACTS
    assert not changed.read_receipts
    assert changed.avatar is Audience.EVERYBODY
    for bad in ({"bio": "friends"}, {"read_receipts": "no"}, {"mood": "everybody"}, {"bio": True}):
        with pytest.raises(ValidationError):
            DEFAULT.changed(**bad)  # type: ignore[arg-type]


@given(st.booleans(), st.booleans())
def test_read_marks_are_exchanged_only_when_both_have_receipts_on(
    viewer_on: bool, owner_on: bool
) -> None:
    viewer = PrivacySettings(read_receipts=viewer_on)
    owner = PrivacySettings(read_receipts=owner_on)
    assert read_marks_visible(viewer, owner) is (viewer_on and owner_on)


def member(user_id: int, read: int, **profile: object) -> ChatMember:
    fields: dict[str, object] = {"id": user_id, "username": f"u{user_id}"}
    fields.update(profile)
    return ChatMember(
        Membership(3, user_id, Role.MEMBER, T, read_message_id=read, delivered_message_id=read),
        alice(**fields),
    )


def test_a_viewer_sees_their_own_read_mark_and_others_only_with_receipts_on_both_sides() -> None:
    settings = {2: PrivacySettings(read_receipts=False)}
    seen_by_1 = Relations(1, frozenset(), frozenset(), settings)
    seen_by_2 = Relations(2, frozenset(), frozenset(), settings)
    seen_by_3 = Relations(3, frozenset(), frozenset(), settings)

    assert seen_by_1.member(member(1, 7)).membership.read_message_id == 7
    assert seen_by_1.member(member(2, 7)).membership.read_message_id == 0
    assert seen_by_2.member(member(2, 7)).membership.read_message_id == 7
    assert seen_by_2.member(member(1, 7)).membership.read_message_id == 0
    assert seen_by_3.member(member(1, 7)).membership.read_message_id == 7
    # Delivery marks are not read receipts.
    assert seen_by_1.member(member(2, 7)).membership.delivered_message_id == 7


def test_a_frame_carries_what_strangers_may_see_and_nothing_guarded_of_a_blocker() -> None:
    settings = {1: PrivacySettings(bio=Audience.CONTACTS)}
    members = [member(1, 5), member(2, 6)]

    shared = for_all(members, settings, blockers=[2])

    first, second = shared
    assert (first.profile.bio, first.profile.avatar_file_id) == ("", "a1")
    assert (second.profile.bio, second.profile.avatar_file_id, second.profile.last_seen_at) == (
        "",
        None,
        None,
    )
    assert [m.membership.delivered_message_id for m in shared] == [5, 6]


def test_a_frame_carries_read_marks_only_when_every_member_has_receipts_on() -> None:
    members = [member(1, 5), member(2, 6)]

    assert [m.membership.read_message_id for m in for_all(members, {}, [])] == [5, 6]
    quiet = {2: PrivacySettings(read_receipts=False)}
    assert [m.membership.read_message_id for m in for_all(members, quiet, [])] == [0, 0]
