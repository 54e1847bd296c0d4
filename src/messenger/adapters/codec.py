"""Bytes for domain events: one encoding for the stored feed and the broker.

msgspec encodes and decodes the domain's frozen dataclasses directly, so the domain stays
free of serialisation code.
"""

from __future__ import annotations

from typing import Any

import msgspec

from messenger.domain.events import EVENT_TYPES, Event, Notification

_encoder = msgspec.json.Encoder()


class _Envelope(msgspec.Struct, frozen=True):
    type: str
    data: msgspec.Raw


class _NotificationEnvelope(msgspec.Struct, frozen=True, array_like=True):
    type: str
    data: msgspec.Raw
    recipients: list[int]
    position: int | None


_envelope_decoder = msgspec.json.Decoder(_Envelope)
_notification_decoder = msgspec.json.Decoder(_NotificationEnvelope)
_decoders: dict[str, msgspec.json.Decoder[Any]] = {
    name: msgspec.json.Decoder(cls) for name, cls in EVENT_TYPES.items()
}


def encode_event(event: Event) -> bytes:
    return _encoder.encode({"type": event.type, "data": event})


def decode_event(raw: bytes | str) -> Event:
    envelope = _envelope_decoder.decode(raw)
    return _event(envelope.type, envelope.data)


def _event(type_: str, data: msgspec.Raw) -> Event:
    decoder = _decoders.get(type_)
    if decoder is None:
        raise ValueError(f"unknown event type {type_!r}")
    event: Event = decoder.decode(data)
    return event


def encode_notification(notification: Notification) -> bytes:
    return _encoder.encode(
        (
            notification.event.type,
            notification.event,
            sorted(notification.recipients),
            notification.position,
        )
    )


def decode_notification(raw: bytes | str) -> Notification:
    envelope = _notification_decoder.decode(raw)
    return Notification(
        event=_event(envelope.type, envelope.data),
        recipients=frozenset(envelope.recipients),
        position=envelope.position,
    )
