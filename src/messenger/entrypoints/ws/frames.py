"""Socket frames in the wire shapes of ``messenger.entrypoints.wire`` (the REST shapes)."""

from __future__ import annotations

import msgspec

from messenger.domain.events import Event
from messenger.domain.model import Message, User
from messenger.entrypoints import wire

_encoder = msgspec.json.Encoder()


class WireFrames:
    """The production ``FrameEncoder``."""

    def event(self, event: Event, cursor: int | None) -> bytes:
        return _encoder.encode(wire.event_frame(event, cursor))

    def ready(self, user: User, cursor: int) -> bytes:
        return _encoder.encode(
            {"type": "ready", "data": {"user": wire.user(user), "cursor": cursor}}
        )

    def message_sent(self, client_id: str, message: Message) -> bytes:
        return _encoder.encode(
            {
                "type": "message_sent",
                "data": {"client_id": client_id, "message": wire.message(message)},
            }
        )
