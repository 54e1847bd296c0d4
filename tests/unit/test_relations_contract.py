"""The contract of contacts, blocks and privacy: their frames are published and typed,
stored feed rows read back as the same events, and a read mark kept private is stored
without changing the rows of ordinary ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import msgspec
import pytest

from messenger.adapters.codec import decode_event, encode_event
from messenger.contract import CONTRACT_VERSION, Wire
from messenger.domain import events as ev
from messenger.domain.model import Contact, PublicProfile
from messenger.domain.model import ProfileView as DomainProfileView
from messenger.domain.privacy import Audience, PrivacySettings
from tests.contract_check import check_sync_event

T = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
PRIVACY = PrivacySettings(bio=Audience.CONTACTS, groups_add=Audience.CONTACTS, read_receipts=False)
EVENTS: list[ev.Event] = [
    ev.ContactsUpdated(1, 2, Contact(1, 2, "Bobby", T)),
    ev.ContactsUpdated(1, 2, None),
    ev.BlocksUpdated(1, 2, blocked=True),
    ev.PrivacyUpdated(1, PRIVACY),
    ev.MessagesRead(3, 2, 7, private=True),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.type)
def test_the_new_feed_events_are_stored_and_read_back_as_they_were(event: ev.Event) -> None:
    assert decode_event(encode_event(event)) == event


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.type)
def test_the_new_frames_are_described_by_the_published_document(event: ev.Event) -> None:
    check_sync_event(json.loads(Wire().event(event, 5)))


def test_the_frames_carry_the_agreed_fields() -> None:
    frames = [json.loads(Wire().event(e, 5)) for e in EVENTS]

    assert [(f["type"], f["data"]) for f in frames[:3]] == [
        ("contacts_updated", {"user_id": 2, "contact": {"user_id": 2, "local_name": "Bobby"}}),
        ("contacts_updated", {"user_id": 2, "contact": None}),
        ("blocks_updated", {"user_id": 2, "blocked": True}),
    ]
    assert frames[3]["data"] == {
        "privacy": {
            "last_seen": "everybody",
            "online": "everybody",
            "avatar": "everybody",
            "bio": "contacts",
            "birthdate": "everybody",
            "email": "nobody",
            "groups_add": "contacts",
            "read_receipts": False,
        }
    }
    # The reader's own devices see a private mark as any other.
    assert frames[4]["data"] == {"chat_id": 3, "user_id": 2, "message_id": 7}


def test_an_ordinary_read_mark_is_stored_exactly_as_before() -> None:
    assert encode_event(ev.MessagesRead(3, 2, 7)) == (
        b'{"type":"messages_read","data":{"chat":3,"user_id":2,"message_id":7}}'
    )


def test_a_private_read_mark_belongs_to_the_reader_not_the_chat() -> None:
    private = ev.MessagesRead(3, 2, 7, private=True)
    public = ev.MessagesRead(3, 2, 7)

    assert (private.chat_id, private.subject_user_id) == (None, 2)
    assert (public.chat_id, public.subject_user_id) == (3, None)


def test_events_about_ones_own_lists_concern_only_oneself() -> None:
    for event in EVENTS[:4]:
        assert (event.chat_id, event.subject_user_id) == (None, 1)


def test_another_user_read_over_rest_carries_what_the_viewer_made_of_them() -> None:
    profile = PublicProfile(1, "alice", "Alice", None, "", T, None)
    view = DomainProfileView(**vars(profile), is_contact=True, local_name="Al", blocked=False)

    shaped = msgspec.to_builtins(Wire().user_profile(view))

    assert (shaped["is_contact"], shaped["local_name"], shaped["blocked"]) == (True, "Al", False)
    assert shaped["username"] == "alice"


def test_the_contract_version_went_up_with_the_new_frames() -> None:
    major, minor, _ = (int(p) for p in CONTRACT_VERSION.split("."))
    assert (major, minor) >= (1, 3)
