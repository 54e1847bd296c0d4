"""The client contract: frames are byte-compatible, published, and old feed rows still read.

The literals below were produced by the code before the contract existed (frames built as
dicts in ``entrypoints/wire.py``, feed rows as msgspec's encoding of the domain
dataclasses, with an attachment ``url`` stored in each message): clients must see the same
bytes, and rows written then must decode to the same events.
"""

# ruff: noqa: E501 (the literals are captured bytes, kept readable in whole fields)

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from messenger.adapters.codec import decode_delivery, decode_event, encode_delivery, encode_event
from messenger.contract import (
    CONTRACT_VERSION,
    PONG,
    ErrorCode,
    Wire,
    asyncapi_document,
    error_frame,
)
from messenger.contract.clientcodes import CLIENT_MODULE, error_codes_js
from messenger.domain import errors as de
from messenger.domain import events as ev
from messenger.domain.model import (
    Attachment,
    Chat,
    ChatKind,
    ChatMember,
    Membership,
    Message,
    PublicProfile,
    Role,
    User,
)
from messenger.entrypoints.http import errors as http_errors
from messenger.entrypoints.ws.protocol import BadFrame, domain_error_frame, parse_frame
from tests.contract_check import check_server_frame, check_sync_event

ROOT = Path(__file__).resolve().parents[2]
T = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
PDF = Attachment(id="f1", name="plan.pdf", content_type="application/pdf", size=1234)
MESSAGE = Message(
    id=7,
    chat_id=3,
    sender_id=1,
    client_id="c-1",
    text="Привет 👋",
    created_at=T,
    reply_to_id=5,
    attachments=(PDF,),
)
CHAT = Chat(
    id=3,
    kind=ChatKind.GROUP,
    title="Team",
    created_by=1,
    created_at=T,
    last_activity_at=T,
    last_message_id=7,
)
BOB = ChatMember(
    Membership(chat_id=3, user_id=2, role=Role.MEMBER, joined_at=T, joined_position=9),
    PublicProfile(
        id=2,
        username="bob",
        display_name="Bob",
        avatar_file_id=None,
        bio="",
        created_at=T,
        last_seen_at=None,
    ),
)
ALICE = ChatMember(
    Membership(
        chat_id=3,
        user_id=1,
        role=Role.OWNER,
        joined_at=T,
        joined_position=1,
        read_message_id=7,
        delivered_message_id=7,
    ),
    PublicProfile(
        id=1,
        username="alice",
        display_name="Alice",
        avatar_file_id="a1",
        bio="hi",
        created_at=T,
        last_seen_at=T,
    ),
)
EVENTS: list[ev.Event] = [
    ev.MessagePosted(MESSAGE),
    ev.MessageEdited(MESSAGE),
    ev.MessageDeleted(MESSAGE),
    ev.MessagesRead(3, 2, 7),
    ev.MessagesDelivered(3, 2, 7),
    ev.ChatCreated(CHAT, (ALICE,)),
    ev.ChatUpdated(CHAT),
    ev.MemberAdded(CHAT, BOB, (ALICE, BOB), 1),
    ev.MemberUpdated(3, BOB.membership, 1),
    ev.MemberRemoved(3, 2, 1),
    ev.UserTyping(3, 1),
    ev.PresenceChanged(1, online=True, last_seen_at=None),
]

# What clients received before the contract existed (ready has gained ``version`` since).
FRAMES_BEFORE = {
    "new_message": (
        '{"type":"new_message","data":{"message":{"id":7,"chat_id":3,"sender_id":1,"client_id":"c-1",'
        '"text":"Привет 👋","reply_to_id":5,"attachments":[{"id":"f1","name":"plan.pdf","content_type":"application/pdf",'
        '"size":1234,"url":"/api/v1/files/f1"}],"created_at":"2026-03-04T05:06:07.123456Z",'
        '"edited_at":null,"deleted":false}},"cursor":10}'
    ),
    "message_updated": (
        '{"type":"message_updated","data":{"message":{"id":7,"chat_id":3,"sender_id":1,"client_id":"c-1",'
        '"text":"Привет 👋","reply_to_id":5,"attachments":[{"id":"f1","name":"plan.pdf","content_type":"application/pdf",'
        '"size":1234,"url":"/api/v1/files/f1"}],"created_at":"2026-03-04T05:06:07.123456Z",'
        '"edited_at":null,"deleted":false}},"cursor":11}'
    ),
    "message_deleted": (
        '{"type":"message_deleted","data":{"message":{"id":7,"chat_id":3,"sender_id":1,"client_id":"c-1",'
        '"text":"Привет 👋","reply_to_id":5,"attachments":[{"id":"f1","name":"plan.pdf","content_type":"application/pdf",'
        '"size":1234,"url":"/api/v1/files/f1"}],"created_at":"2026-03-04T05:06:07.123456Z",'
        '"edited_at":null,"deleted":false}},"cursor":12}'
    ),
    "messages_read": (
        '{"type":"messages_read","data":{"chat_id":3,"user_id":2,"message_id":7},"cursor":13}'
    ),
    "messages_delivered": (
        '{"type":"messages_delivered","data":{"chat_id":3,"user_id":2,"message_id":7},"cursor":14}'
    ),
    "chat_created": (
        '{"type":"chat_created","data":{"chat":{"id":3,"kind":"group","title":"Team","created_by":1,'
        '"created_at":"2026-03-04T05:06:07.123456Z","last_activity_at":"2026-03-04T05:06:07.123456Z",'
        '"last_message_id":7,"members":[{"user_id":1,"role":"owner","joined_at":"2026-03-04T05:06:07.123456Z",'
        '"read_message_id":7,"delivered_message_id":7,"user":{"id":1,"username":"alice","display_name":"Alice",'
        '"avatar_url":"/api/v1/files/a1","bio":"hi","created_at":"2026-03-04T05:06:07.123456Z",'
        '"last_seen_at":"2026-03-04T05:06:07.123456Z"}}]}},"cursor":15}'
    ),
    "chat_updated": (
        '{"type":"chat_updated","data":{"chat":{"id":3,"kind":"group","title":"Team","created_by":1,'
        '"created_at":"2026-03-04T05:06:07.123456Z","last_activity_at":"2026-03-04T05:06:07.123456Z",'
        '"last_message_id":7,"members":[]}},"cursor":16}'
    ),
    "member_added": (
        '{"type":"member_added","data":{"chat_id":3,"member":{"user_id":2,"role":"member",'
        '"joined_at":"2026-03-04T05:06:07.123456Z","read_message_id":0,"delivered_message_id":0,'
        '"user":{"id":2,"username":"bob","display_name":"Bob","avatar_url":null,"bio":"",'
        '"created_at":"2026-03-04T05:06:07.123456Z","last_seen_at":null}},"members":[{"user_id":1,'
        '"role":"owner","joined_at":"2026-03-04T05:06:07.123456Z","read_message_id":7,"delivered_message_id":7,'
        '"user":{"id":1,"username":"alice","display_name":"Alice","avatar_url":"/api/v1/files/a1",'
        '"bio":"hi","created_at":"2026-03-04T05:06:07.123456Z","last_seen_at":"2026-03-04T05:06:07.123456Z"}},'
        '{"user_id":2,"role":"member","joined_at":"2026-03-04T05:06:07.123456Z","read_message_id":0,'
        '"delivered_message_id":0,"user":{"id":2,"username":"bob","display_name":"Bob","avatar_url":null,'
        '"bio":"","created_at":"2026-03-04T05:06:07.123456Z","last_seen_at":null}}],"chat":{'
        '"id":3,"kind":"group","title":"Team","created_by":1,"created_at":"2026-03-04T05:06:07.123456Z",'
        '"last_activity_at":"2026-03-04T05:06:07.123456Z","last_message_id":7,"members":['
        '{"user_id":1,"role":"owner","joined_at":"2026-03-04T05:06:07.123456Z","read_message_id":7,'
        '"delivered_message_id":7,"user":{"id":1,"username":"alice","display_name":"Alice",'
        '"avatar_url":"/api/v1/files/a1","bio":"hi","created_at":"2026-03-04T05:06:07.123456Z",'
        '"last_seen_at":"2026-03-04T05:06:07.123456Z"}},{"user_id":2,"role":"member","joined_at":"2026-03-04T05:06:07.123456Z",'
        '"read_message_id":0,"delivered_message_id":0,"user":{"id":2,"username":"bob","display_name":"Bob",'
        '"avatar_url":null,"bio":"","created_at":"2026-03-04T05:06:07.123456Z","last_seen_at":null}}]},'
        '"by_user_id":1},"cursor":17}'
    ),
    "member_updated": (
        '{"type":"member_updated","data":{"chat_id":3,"member":{"user_id":2,"role":"member",'
        '"joined_at":"2026-03-04T05:06:07.123456Z","read_message_id":0,"delivered_message_id":0},'
        '"by_user_id":1},"cursor":18}'
    ),
    "member_removed": (
        '{"type":"member_removed","data":{"chat_id":3,"user_id":2,"by_user_id":1},"cursor":19}'
    ),
    "typing": ('{"type":"typing","data":{"chat_id":3,"user_id":1}}'),
    "presence": ('{"type":"presence","data":{"user_id":1,"online":true,"last_seen_at":null}}'),
    "ready": (
        '{"type":"ready","data":{"user":{"id":1,"username":"alice","display_name":"Alice",'
        '"avatar_url":null,"bio":"","created_at":"2026-03-04T05:06:07.123456Z","last_seen_at":"2026-03-04T05:06:07.123456Z",'
        '"email":"a@x.io"},"cursor":42}}'
    ),
    "message_sent": (
        '{"type":"message_sent","data":{"client_id":"c-1","message":{"id":7,"chat_id":3,"sender_id":1,'
        '"client_id":"c-1","text":"Привет 👋","reply_to_id":5,"attachments":[{"id":"f1","name":"plan.pdf",'
        '"content_type":"application/pdf","size":1234,"url":"/api/v1/files/f1"}],"created_at":"2026-03-04T05:06:07.123456Z",'
        '"edited_at":null,"deleted":false}}}'
    ),
    "pong": ('{"type":"pong","data":{}}'),
    "error_throttled": (
        '{"type":"error","data":{"code":"throttled","message":"Too many frames; slow down.",'
        '"retry_after":0.25}}'
    ),
    "error_domain": (
        '{"type":"error","data":{"code":"message_too_long","message":"too long","client_id":"c-1",'
        '"chat_id":3,"field":"text"}}'
    ),
    "error_unavailable": (
        '{"type":"error","data":{"code":"service_unavailable","message":"The service is temporarily unavailable.",'
        '"retry_after":1.0}}'
    ),
}

# Feed rows (``feed.payload``) as the code before the storage form wrote them.
ROWS_BEFORE = [
    (
        '{"type":"new_message","data":{"message":{"id":7,"chat_id":3,"sender_id":1,"client_id":"c-1",'
        '"text":"Привет 👋","created_at":"2026-03-04T05:06:07.123456Z","reply_to_id":5,"attachments":['
        '{"id":"f1","name":"plan.pdf","content_type":"application/pdf","size":1234,"url":"/api/v1/files/f1"}],'
        '"edited_at":null,"deleted_at":null}}}'
    ),
    (
        '{"type":"message_updated","data":{"message":{"id":7,"chat_id":3,"sender_id":1,"client_id":"c-1",'
        '"text":"Привет 👋","created_at":"2026-03-04T05:06:07.123456Z","reply_to_id":5,"attachments":['
        '{"id":"f1","name":"plan.pdf","content_type":"application/pdf","size":1234,"url":"/api/v1/files/f1"}],'
        '"edited_at":null,"deleted_at":null}}}'
    ),
    (
        '{"type":"message_deleted","data":{"message":{"id":7,"chat_id":3,"sender_id":1,"client_id":"c-1",'
        '"text":"Привет 👋","created_at":"2026-03-04T05:06:07.123456Z","reply_to_id":5,"attachments":['
        '{"id":"f1","name":"plan.pdf","content_type":"application/pdf","size":1234,"url":"/api/v1/files/f1"}],'
        '"edited_at":null,"deleted_at":null}}}'
    ),
    ('{"type":"messages_read","data":{"chat":3,"user_id":2,"message_id":7}}'),
    ('{"type":"messages_delivered","data":{"chat":3,"user_id":2,"message_id":7}}'),
    (
        '{"type":"chat_created","data":{"chat":{"id":3,"kind":"group","title":"Team","created_by":1,'
        '"created_at":"2026-03-04T05:06:07.123456Z","last_activity_at":"2026-03-04T05:06:07.123456Z",'
        '"last_message_id":7,"direct_key":null},"members":[{"membership":{"chat_id":3,"user_id":1,'
        '"role":"owner","joined_at":"2026-03-04T05:06:07.123456Z","joined_position":1,"read_message_id":7,'
        '"delivered_message_id":7},"profile":{"id":1,"username":"alice","display_name":"Alice",'
        '"avatar_url":"/api/v1/files/a1","bio":"hi","created_at":"2026-03-04T05:06:07.123456Z",'
        '"last_seen_at":"2026-03-04T05:06:07.123456Z"}}]}}'
    ),
    (
        '{"type":"chat_updated","data":{"chat":{"id":3,"kind":"group","title":"Team","created_by":1,'
        '"created_at":"2026-03-04T05:06:07.123456Z","last_activity_at":"2026-03-04T05:06:07.123456Z",'
        '"last_message_id":7,"direct_key":null}}}'
    ),
    (
        '{"type":"member_added","data":{"chat":{"id":3,"kind":"group","title":"Team","created_by":1,'
        '"created_at":"2026-03-04T05:06:07.123456Z","last_activity_at":"2026-03-04T05:06:07.123456Z",'
        '"last_message_id":7,"direct_key":null},"member":{"membership":{"chat_id":3,"user_id":2,'
        '"role":"member","joined_at":"2026-03-04T05:06:07.123456Z","joined_position":9,"read_message_id":0,'
        '"delivered_message_id":0},"profile":{"id":2,"username":"bob","display_name":"Bob",'
        '"avatar_url":null,"bio":"","created_at":"2026-03-04T05:06:07.123456Z","last_seen_at":null}},'
        '"members":[{"membership":{"chat_id":3,"user_id":1,"role":"owner","joined_at":"2026-03-04T05:06:07.123456Z",'
        '"joined_position":1,"read_message_id":7,"delivered_message_id":7},"profile":{"id":1,'
        '"username":"alice","display_name":"Alice","avatar_url":"/api/v1/files/a1","bio":"hi",'
        '"created_at":"2026-03-04T05:06:07.123456Z","last_seen_at":"2026-03-04T05:06:07.123456Z"}},'
        '{"membership":{"chat_id":3,"user_id":2,"role":"member","joined_at":"2026-03-04T05:06:07.123456Z",'
        '"joined_position":9,"read_message_id":0,"delivered_message_id":0},"profile":{"id":2,'
        '"username":"bob","display_name":"Bob","avatar_url":null,"bio":"","created_at":"2026-03-04T05:06:07.123456Z",'
        '"last_seen_at":null}}],"by_user_id":1}}'
    ),
    (
        '{"type":"member_updated","data":{"chat":3,"membership":{"chat_id":3,"user_id":2,'
        '"role":"member","joined_at":"2026-03-04T05:06:07.123456Z","joined_position":9,"read_message_id":0,'
        '"delivered_message_id":0},"by_user_id":1}}'
    ),
    ('{"type":"member_removed","data":{"chat":3,"user_id":2,"by_user_id":1}}'),
    ('{"type":"typing","data":{"chat":3,"user_id":1}}'),
    ('{"type":"presence","data":{"user_id":1,"online":true,"last_seen_at":null}}'),
]


def frames_now(wire: Wire) -> dict[str, str]:
    out = {
        e.type: wire.event(e, None if e.type in ("typing", "presence") else 10 + i).decode()
        for i, e in enumerate(EVENTS)
    }
    user = User(
        id=1,
        username="alice",
        email="a@x.io",
        password_hash="h",
        display_name="Alice",
        created_at=T,
        last_seen_at=T,
    )
    out["ready"] = wire.ready(user, 42).decode()
    out["message_sent"] = wire.message_sent("c-1", MESSAGE).decode()
    out["pong"] = PONG.decode()
    out["error_throttled"] = error_frame(
        ErrorCode.THROTTLED, "Too many frames; slow down.", retry_after=0.25
    ).decode()
    out["error_domain"] = domain_error_frame(
        de.MessageTooLong("too long", field="text"), client_id="c-1", chat_id=3
    ).decode()
    out["error_unavailable"] = domain_error_frame(de.ServiceUnavailable()).decode()
    return out


# --- frames --------------------------------------------------------------------------------


# A profile as clients received it before profiles gained birthdate, avatar, preset, frame.
_PROFILE_BEFORE = re.compile(
    r'"avatar_url":(null|"[^"]*"),"bio":"[^"]*","created_at":"[^"]*","last_seen_at":(null|"[^"]*")'
)


# An attachment as clients received it before attachments gained image sizes.
_ATTACHMENT_BEFORE = re.compile(r'"url":"/api/v1/files/[^"]*"(?=\})')


_MESSAGE_END = re.compile(r'"edited_at":(?:null|"[^"]*"),"deleted":(?:true|false)')


def _with_profile_fields(frame: str) -> str:
    """``frame`` with the fields 1.3.0 added: at the end of each profile (none of them set;
    an uploaded avatar now served at its two sizes, ``avatar_url`` the large one) and of each
    attachment (no image sizes); ``deleted`` (1.4.0) at the end of each profile; and
    ``reply_to``, ``forwarded_from`` and ``mentions`` (1.6.0) at the end of each message."""

    def add(found: re.Match[str]) -> str:
        url = found.group(1)
        if url == "null":
            avatar = "null"
            old = found.group(0)
        else:
            file_id = url.strip('"').rsplit("/", 1)[1]
            small = f'"/api/v1/users/1/avatar?size=96&v={file_id}"'
            large = f'"/api/v1/users/1/avatar?size=512&v={file_id}"'
            avatar = f'{{"small":{small},"large":{large}}}'
            old = found.group(0).replace(url, large, 1)
        return (
            f'{old},"birthdate":null,"avatar":{avatar},"avatar_preset":null,"avatar_frame":null,'
            '"deleted":false'
        )

    with_profiles = _PROFILE_BEFORE.sub(add, frame)
    with_attachments = _ATTACHMENT_BEFORE.sub(
        lambda found: f'{found.group(0)},"width":null,"height":null,"thumbnail_url":null',
        with_profiles,
    )
    # 1.6.0: each message ends with its reply quote, forward source and mentions (none of
    # them here; reactions are left out of frames).
    return _MESSAGE_END.sub(
        lambda found: f'{found.group(0)},"reply_to":null,"forwarded_from":null,"mentions":[]',
        with_attachments,
    )


def test_every_frame_is_byte_for_byte_what_clients_received_before() -> None:
    now = frames_now(Wire())
    expected = {kind: _with_profile_fields(frame) for kind, frame in FRAMES_BEFORE.items()}
    expected["ready"] = expected["ready"][:-2] + f',"version":"{CONTRACT_VERSION}"}}}}'
    # 1.7.0: the caller's own account says whether they are a server administrator.
    expected["ready"] = expected["ready"].replace('"a@x.io"}', '"a@x.io","is_admin":false}', 1)
    assert now == expected
    # Fields were only added, each profile's old fields first and in their order.
    assert expected["chat_created"] != FRAMES_BEFORE["chat_created"]
    assert expected["typing"] == FRAMES_BEFORE["typing"]


def test_every_frame_is_described_by_the_published_document() -> None:
    for frame in frames_now(Wire()).values():
        check_server_frame(json.loads(frame))
    for i, event in enumerate(EVENTS[:10]):
        check_sync_event(json.loads(Wire().event(event, i + 1)))


@pytest.mark.parametrize(
    ("frame", "why"),
    [
        ({"type": "brand_new", "data": {}}, "a frame type the document does not list"),
        ({"type": "typing", "data": {"chat_id": 1, "user_id": 2, "x": 3}}, "an undeclared field"),
        ({"type": "typing", "data": {"chat_id": "1", "user_id": 2}}, "a value of the wrong type"),
        ({"type": "typing", "data": {"chat_id": 1}}, "a missing field"),
        ({"type": "new_message", "data": {"message": {}}, "cursor": 1}, "an empty message"),
        ({"type": "error", "data": {"code": "made_up", "message": "?"}}, "an unlisted code"),
    ],
)
def test_a_frame_the_document_does_not_describe_fails_the_check(
    frame: dict[str, Any], why: str
) -> None:
    with pytest.raises((AssertionError, ValueError)):
        check_server_frame(frame)


def test_a_sync_event_must_be_a_feed_frame_with_its_cursor() -> None:
    with pytest.raises(AssertionError):
        check_sync_event(json.loads(Wire().event(ev.UserTyping(3, 1), None)))


def test_urls_are_made_from_the_file_id_under_the_root_path() -> None:
    framed = json.loads(Wire("/chat").event(ev.MessagePosted(MESSAGE), 1))
    [attachment] = framed["data"]["message"]["attachments"]
    assert attachment["url"] == "/chat/api/v1/files/f1"
    assert Wire().file_url("f1") == "/api/v1/files/f1"


def test_a_delivery_crosses_the_broker_as_the_bytes_it_was_encoded_to() -> None:
    delivery = Wire().delivery(ev.Notification(ev.MessagePosted(MESSAGE), frozenset({1, 2}), 10))
    assert decode_delivery(encode_delivery(delivery)) == delivery
    assert json.loads(delivery.frame)["cursor"] == 10
    # The common envelope stays three items long.
    assert len(json.loads(encode_delivery(delivery))) == 3


def test_revocations_and_new_chat_mates_cross_the_broker_too() -> None:
    ended = Wire().delivery(ev.Notification(ev.SessionsEnded(1, ("s1", "s2")), frozenset({1})))
    assert ended.frame == b""
    assert ended.ends_sessions == {"s1", "s2"}
    assert decode_delivery(encode_delivery(ended)) == ended

    chat = Chat(
        id=5, kind=ChatKind.DIRECT, title=None, created_by=1, created_at=T, last_activity_at=T
    )
    members = tuple(
        ChatMember(
            membership=Membership(chat_id=5, user_id=uid, role=Role.MEMBER, joined_at=T),
            profile=PublicProfile(
                id=uid,
                username=f"u{uid}",
                display_name=f"U{uid}",
                avatar_file_id=None,
                bio="",
                created_at=T,
                last_seen_at=None,
            ),
        )
        for uid in (1, 2)
    )
    created = Wire().delivery(ev.Notification(ev.ChatCreated(chat, members), frozenset({1, 2}), 11))
    assert created.introduces == {1, 2}
    assert decode_delivery(encode_delivery(created)) == created


def test_typing_for_open_chats_only_crosses_the_broker_with_its_chat() -> None:
    big = Wire().delivery(
        ev.Notification(ev.UserTyping(3, 1, only_where_open=True), frozenset({2}))
    )
    assert big.open_chat == 3
    assert decode_delivery(encode_delivery(big)) == big
    small = Wire().delivery(ev.Notification(ev.UserTyping(3, 1), frozenset({2})))
    assert small.open_chat is None
    assert len(json.loads(encode_delivery(small))) == 3
    # The frame is the same either way: which sockets get it is delivery's business.
    assert big.frame == small.frame


def test_client_frames_are_parsed_as_the_document_describes_them() -> None:
    document = asyncapi_document()
    names = {m["name"] for m in document["components"]["messages"].values()}
    assert {"auth", "send_message", "typing", "mark_read", "ack", "ping"} <= names
    assert {"join_chat", "leave_chat"} <= names
    kind, data = parse_frame(
        b'{"type":"send_message","data":{"chat_id":1,"client_id":"c","text":"t"}}'
    )
    assert (kind, data.chat_id) == ("send_message", 1)  # type: ignore[attr-defined]
    with pytest.raises(BadFrame):
        parse_frame(b'{"type":"send_message","data":{}}')


def test_the_document_carries_the_contract_version() -> None:
    document = asyncapi_document("/chat/api/v1/ws")
    assert document["asyncapi"].startswith("3.")
    assert document["info"]["version"] == CONTRACT_VERSION
    assert document["channels"]["socket"]["address"] == "/chat/api/v1/ws"
    assert sorted(document["components"]["schemas"]["ErrorCode"]["enum"]) == sorted(ErrorCode)


# --- the stored feed -----------------------------------------------------------------------


def test_feed_rows_written_before_the_storage_form_still_read_as_the_same_events() -> None:
    assert [decode_event(row) for row in ROWS_BEFORE] == EVENTS


def test_rows_are_written_in_the_same_layout_without_the_urls() -> None:
    for row, event in zip(ROWS_BEFORE, EVENTS, strict=True):
        assert encode_event(event).decode() == re.sub(r',"url":"[^"]*"', "", row)
        assert decode_event(encode_event(event)) == event


def test_a_row_of_an_unknown_version_or_type_is_refused() -> None:
    with pytest.raises(ValueError, match="version"):
        decode_event('{"type":"typing","data":{"chat":1,"user_id":2},"v":2}')
    with pytest.raises(ValueError, match="stored event"):
        decode_event('{"type":"brand_new","data":{}}')


# --- error codes ---------------------------------------------------------------------------


def _subclasses(cls: type[de.DomainError]) -> list[type[de.DomainError]]:
    return [cls, *(c for sub in cls.__subclasses__() for c in _subclasses(sub))]


def test_every_code_the_server_can_answer_with_is_in_the_published_enum() -> None:
    import messenger.entrypoints.http  # noqa: F401 (its errors, e.g. MalformedUpload)

    codes = {c.value for c in ErrorCode}
    assert {cls.code for cls in _subclasses(de.DomainError)} <= codes
    assert set(http_errors._HTTP_CODES.values()) <= codes
    assert {http_errors.http_error_code(s) for s in range(400, 600)} <= set(ErrorCode)


def test_the_web_clients_error_codes_are_generated_from_the_enum() -> None:
    generated = (ROOT / CLIENT_MODULE).read_text(encoding="utf-8")
    assert generated == error_codes_js(), (
        f"{CLIENT_MODULE} is stale: run .venv/bin/python -m messenger.contract {CLIENT_MODULE}"
    )


# --- the published documents ---------------------------------------------------------------


def _app(**settings: Any) -> Any:
    from messenger.container import Container
    from messenger.entrypoints.http import create_app
    from messenger.settings import Settings

    return create_app(
        Container(
            settings=Settings(
                secret_key="contract-test-secret-key-0123456789abcdef",
                database_url="memory://",
                **settings,
            )
        )
    )


def test_the_asyncapi_document_is_served_next_to_openapi() -> None:
    from litestar.testing import TestClient

    with TestClient(_app()) as http:
        served = http.get("/api/v1/docs/asyncapi.json")
        openapi = http.get("/api/v1/docs/openapi.json").json()

    # What the tests validate frames against is exactly what clients download.
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/json")
    assert served.json() == asyncapi_document("/api/v1/ws")
    assert sorted(openapi["components"]["schemas"]["ErrorCode"]["enum"]) == sorted(ErrorCode)
    problem = openapi["components"]["schemas"]["Problem"]
    assert problem["properties"]["code"] == {"$ref": "#/components/schemas/ErrorCode"}
    assert "/api/v1/docs/asyncapi.json" not in openapi["paths"]


def test_without_docs_the_schema_documents_stay_and_no_page_loads_a_cdn_script() -> None:
    from litestar.testing import TestClient

    with TestClient(_app(docs=False)) as http:
        assert http.get("/api/v1/docs/openapi.json").status_code == 200
        assert http.get("/api/v1/docs/asyncapi.json").status_code == 200
        # Without the HTML pages, /docs itself answers with the schema: no page, no script.
        assert "<script" not in http.get("/api/v1/docs").text
        assert http.get("/api/v1/docs/swagger").status_code == 404
    with TestClient(_app(docs=True)) as http:
        assert "<script" in http.get("/api/v1/docs").text


def test_an_avatar_that_was_an_outside_url_reads_as_no_avatar() -> None:
    row = ROWS_BEFORE[5].replace(
        '"avatar_url":"/api/v1/files/a1"', '"avatar_url":"https://x/a.png"'
    )
    created = decode_event(row)
    assert isinstance(created, ev.ChatCreated)
    assert created.members[0].profile.avatar_file_id is None


def test_every_documented_error_is_problem_details_and_the_shared_ones_are_there() -> None:
    openapi = _app().openapi_schema.to_schema()
    problem = {"$ref": "#/components/schemas/Problem"}
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            errors = {int(s) for s in responses if s[0] in "45"}
            for status in errors:
                content = responses[str(status)]["content"]
                assert content == {"application/problem+json": {"schema": problem}}, (path, status)
            label = f"{method.upper()} {path}"
            if "requestBody" in operation:
                assert {400, 413} <= errors, label
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                assert 422 in errors, label
            if any(p["in"] == "path" for p in operation.get("parameters", [])):
                assert {404, 422} <= errors, label
            if operation.get("security"):
                assert {401, 503} <= errors, label
    chats = openapi["paths"]["/api/v1/chats/{chat_id}/members"]["post"]["responses"]
    assert {"201", "400", "401", "403", "404", "409", "413", "422", "429", "503"} == set(chats)
    assert set(openapi["paths"]["/api/v1/health"]["get"]["responses"]) == {"200"}
    assert "410" in openapi["paths"]["/api/v1/sync"]["get"]["responses"]
