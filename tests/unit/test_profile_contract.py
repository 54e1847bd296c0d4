"""``profile_updated`` and the profile's new fields in the contract and the stored feed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from messenger.adapters.codec import decode_delivery, decode_event, encode_delivery, encode_event
from messenger.contract import Wire, asyncapi_document
from messenger.domain import events as ev
from messenger.domain.model import (
    Chat,
    ChatKind,
    ChatMember,
    Membership,
    PresetKind,
    PublicProfile,
    Role,
    User,
)
from tests.contract_check import check_server_frame, check_sync_event

T = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
ALICE = PublicProfile(
    id=1,
    username="alice",
    display_name="Alice",
    avatar_file_id=None,
    bio="hi",
    created_at=T,
    last_seen_at=None,
    birthdate=date(1990, 2, 3),
    avatar_preset="cat",
    avatar_frame="gold",
)
CHANGED = ev.ProfileUpdated(ALICE)


def test_the_users_own_devices_get_it_with_a_cursor_as_sync_does() -> None:
    frame = json.loads(Wire().event(CHANGED, 12))

    check_sync_event(frame)
    assert frame == {
        "type": "profile_updated",
        "data": {
            "user": {
                "id": 1,
                "username": "alice",
                "display_name": "Alice",
                "avatar_url": "/api/v1/avatars/presets/cat.svg",
                "bio": "hi",
                "created_at": "2026-03-04T05:06:07.123456Z",
                "last_seen_at": None,
                "birthdate": "1990-02-03",
                "avatar": {
                    "small": "/api/v1/avatars/presets/cat.svg",
                    "large": "/api/v1/avatars/presets/cat.svg",
                },
                "avatar_preset": "cat",
                "avatar_frame": "gold",
                "deleted": False,
            }
        },
        "cursor": 12,
    }


def test_chat_mates_get_the_same_frame_without_a_cursor() -> None:
    delivery = Wire().delivery(ev.Notification(CHANGED, frozenset({2, 3})))
    frame = json.loads(delivery.frame)

    check_server_frame(frame)
    assert "cursor" not in frame
    assert frame["data"] == json.loads(Wire().event(CHANGED, 12))["data"]
    assert delivery.position is None
    assert decode_delivery(encode_delivery(delivery)) == delivery


def test_the_document_lists_profile_updated_and_its_profile_fields() -> None:
    schemas = asyncapi_document()["components"]["schemas"]
    assert "ProfileUpdatedFrame" in schemas
    profile = schemas["PublicProfile"]
    assert {"birthdate", "avatar", "avatar_preset", "avatar_frame"} <= set(profile["required"])


def test_the_stored_event_keeps_every_field_of_the_profile() -> None:
    stored = encode_event(CHANGED)
    assert decode_event(stored) == CHANGED
    without = ev.ProfileUpdated(
        PublicProfile(
            id=2,
            username="bob",
            display_name="Bob",
            avatar_file_id="f1",
            bio="",
            created_at=T,
            last_seen_at=T,
        )
    )
    assert decode_event(encode_event(without)) == without


def test_an_uploaded_avatar_wins_over_a_preset_and_no_avatar_is_null() -> None:
    wire = Wire("/chat")
    user = User(
        id=1,
        username="alice",
        email=None,
        password_hash="h",
        display_name="Alice",
        created_at=T,
        avatar_file_id="f1",
        avatar_preset="cat",
    )
    shown = wire.user(user)
    assert shown.avatar is not None
    assert shown.avatar.large == shown.avatar_url == "/chat/api/v1/users/1/avatar?size=512&v=f1"
    assert shown.avatar.small == "/chat/api/v1/users/1/avatar?size=96&v=f1"

    user.avatar_file_id = None
    assert wire.user(user).avatar_url == "/chat/api/v1/avatars/presets/cat.svg"
    user.avatar_preset = None
    assert (wire.user(user).avatar, wire.user(user).avatar_url) == (None, None)


def test_preset_and_frame_urls_live_under_the_root_path() -> None:
    wire = Wire("/chat/")
    assert wire.preset_url(PresetKind.AVATAR, "cat") == "/chat/api/v1/avatars/presets/cat.svg"
    assert wire.preset_url(PresetKind.FRAME, "gold") == "/chat/api/v1/avatar-frames/gold.svg"


def test_a_chat_created_row_keeps_the_members_presets_frames_and_birthdates() -> None:
    # Sync replays chat_created from the stored row: it must show what the push showed.
    chat = Chat(
        id=5, kind=ChatKind.DIRECT, title=None, created_by=1, created_at=T, last_activity_at=T
    )
    member = ChatMember(Membership(chat_id=5, user_id=1, role=Role.MEMBER, joined_at=T), ALICE)
    created = ev.ChatCreated(chat, (member,))

    stored = encode_event(created)

    assert decode_event(stored) == created
    assert Wire().event(decode_event(stored), 3) == Wire().event(created, 3)
    assert b'"avatar_preset":"cat"' in stored
