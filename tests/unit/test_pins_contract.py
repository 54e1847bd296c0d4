"""The contract of replies, forwards and pins: their frames are published and typed, stored
feed rows read back as the same events, and a message that is neither a reply nor a forward
is stored exactly as before."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import msgspec
import pytest

from messenger.adapters.codec import decode_event, encode_event
from messenger.contract import CONTRACT_VERSION, Wire
from messenger.contract import shapes as s
from messenger.domain import events as ev
from messenger.domain.model import ForwardedFrom, Message, Pin, ReplyPreview
from tests.contract_check import check_server_frame, check_sync_event

T = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
PLAIN = Message(7, 3, 1, "c-1", "hi", T)
REPLY = Message(8, 3, 2, "c-2", "re", T, reply_to_id=7, reply_to=ReplyPreview(7, 1, "hi", False))
FORWARD = Message(
    9, 3, 2, "c-3", "hi", T, forwarded_from=ForwardedFrom(chat_id=None, sender_id=1, sent_at=T)
)
NAMED = Message(10, 3, 2, "c-4", "hi", T, forwarded_from=ForwardedFrom(4, 1, T))
EVENTS: list[ev.Event] = [
    ev.MessagePosted(REPLY),
    ev.MessageEdited(FORWARD),
    ev.MessagePosted(NAMED),
    ev.MessagePinned(Pin(3, 7, 1, T), PLAIN),
    ev.MessageUnpinned(3, 7, 1, 2),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.type)
def test_the_new_feed_events_are_stored_and_read_back_as_they_were(event: ev.Event) -> None:
    assert decode_event(encode_event(event)) == event


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.type)
def test_the_new_frames_are_described_by_the_published_document(event: ev.Event) -> None:
    check_sync_event(json.loads(Wire().event(event, 5)))
    check_server_frame(json.loads(Wire().event(event, 5)))


def test_the_frames_carry_the_agreed_fields() -> None:
    reply, forward, named, pinned, unpinned = (json.loads(Wire().event(e, 5)) for e in EVENTS)

    assert reply["data"]["message"]["reply_to"] == {
        "id": 7,
        "sender_id": 1,
        "text": "hi",
        "deleted": False,
    }
    assert reply["data"]["message"]["forwarded_from"] is None
    # chat_id is absent (not null) where the audience may not know the source's chat.
    assert forward["data"]["message"]["forwarded_from"] == {
        "sender_id": 1,
        "sent_at": "2026-03-04T05:06:07.123456Z",
    }
    assert named["data"]["message"]["forwarded_from"]["chat_id"] == 4
    assert pinned["type"] == "message_pinned"
    assert {k: v for k, v in pinned["data"].items() if k != "message"} == {
        "chat_id": 3,
        "message_id": 7,
        "pinned_by": 1,
        "pinned_at": "2026-03-04T05:06:07.123456Z",
    }
    assert pinned["data"]["message"]["text"] == "hi"
    assert unpinned == {
        "type": "message_unpinned",
        "data": {"chat_id": 3, "message_id": 7, "pinned_by": 1, "unpinned_by": 2},
        "cursor": 5,
    }


def test_a_message_that_is_no_reply_nor_forward_is_stored_as_before() -> None:
    row = encode_event(ev.MessagePosted(PLAIN))

    assert b'reply_to"' not in row.replace(b"reply_to_id", b"")
    assert b"forwarded_from" not in row


def test_pin_events_are_about_their_message_and_go_to_the_chat() -> None:
    pinned, unpinned = EVENTS[3], EVENTS[4]
    assert isinstance(pinned, ev.MessagePinned)
    assert isinstance(unpinned, ev.MessageUnpinned)
    assert (pinned.chat_id, pinned.message_id) == (3, 7)
    assert (unpinned.chat_id, unpinned.message_id) == (3, 7)
    assert {ev.MessagePinned, ev.MessageUnpinned} <= set(ev.ABOUT_A_MESSAGE)


def test_a_socket_may_send_a_forward_without_text() -> None:
    frame = msgspec.json.decode(
        b'{"type":"send_message","data":{"chat_id":1,"client_id":"c","forward_of":9}}',
        type=s.ClientFrames,
    )
    assert isinstance(frame, s.SendMessageFrame)
    assert (frame.data.text, frame.data.forward_of) == ("", 9)


def test_the_contract_version_went_up_with_the_new_frames() -> None:
    assert tuple(map(int, CONTRACT_VERSION.split("."))) >= (1, 6, 0)
