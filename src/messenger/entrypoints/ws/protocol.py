"""The socket protocol's frames: parsing what clients send, and the server's own frames.

Every frame is JSON ``{"type": ..., "data": {...}}``; feed events also carry ``"cursor"``.
The shapes are the contract's (``messenger.contract.shapes``, published as AsyncAPI);
event frames are built by a ``FrameEncoder`` (the contract's ``Wire``) so the socket shows
exactly the shapes the REST API and ``sync`` show.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, get_args

import msgspec

from messenger.contract import error_frame
from messenger.contract import shapes as s
from messenger.domain.errors import DomainError, ServiceUnavailable, Throttled, ValidationError
from messenger.domain.events import Event
from messenger.domain.model import Message, User

# Close codes (RFC 6455 section 7.4.1).
# An ASGI extension of ``messenger serve``'s socket protocol (``uvicorn_protocol``), offered
# in the scope's ``extensions``: a ``websocket.send`` whose bytes are under this key goes out
# as a TEXT frame, without a decode to ``str`` and an encode back for each socket.
SEND_UTF8 = "messenger.websocket.send_utf8"

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008  # not authenticated in time, bad token, forbidden origin
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011
CLOSE_RESTART = 1012  # server shutting down or restarting: reconnect with backoff
CLOSE_TRY_AGAIN = 1013  # too slow to keep up, or storage down: reconnect, then sync
# Application close codes (4000-4999).
CLOSE_SESSION_REVOKED = 4001  # the session was revoked (log out, password change, ...)
CLOSE_TOKEN_EXPIRED = 4002  # the access token expired and no fresh ``auth`` came in time


class FrameEncoder(Protocol):
    """Turns domain objects into the frames clients see (the wire shapes)."""

    def event(self, event: Event, cursor: int | None) -> bytes:
        """``{type, data, cursor?}`` for a domain event."""

    def ready(self, user: User, cursor: int) -> bytes:
        """``{type: "ready", data: {user, cursor, version}}``."""

    def message_sent(self, client_id: str, message: Message) -> bytes:
        """``{type: "message_sent", data: {client_id, message}}``."""

    def auth_ok(self, expires_at: datetime | None) -> bytes:
        """``{type: "auth_ok", data: {expires_at}}``: a fresh ``auth`` on an open socket."""


# --- client frames -------------------------------------------------------------------------


class _Envelope(msgspec.Struct, frozen=True):
    type: str
    data: msgspec.Raw = msgspec.Raw(b"{}")


# The data of each client frame type, read off the contract's client frames (so what is
# parsed here is what the AsyncAPI document describes).
DATA_TYPES: dict[str, type[msgspec.Struct]] = {
    frame.__struct_config__.tag: next(
        f.type for f in msgspec.structs.fields(frame) if f.name == "data"
    )
    for frame in get_args(s.ClientFrames)
}

_frame_decoder = msgspec.json.Decoder(_Envelope)
_data_decoders: dict[str, msgspec.json.Decoder[Any]] = {
    name: msgspec.json.Decoder(cls) for name, cls in DATA_TYPES.items()
}


class BadFrame(Exception):
    """A frame that is not JSON, not an object of the protocol, or of an unknown type."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _decodes(raw: str | bytes) -> bool:
    """Whether ``raw`` is JSON msgspec can decode at all (whatever its shape)."""
    try:
        msgspec.json.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return False
    return True


def _malformed() -> BadFrame:
    return BadFrame("malformed_request", "The frame is not valid JSON.")


def parse_frame(raw: str | bytes) -> tuple[str, msgspec.Struct]:
    """The frame's type and its validated ``data``; raises ``BadFrame``.

    A frame that does not decode is ``malformed_request``, whatever msgspec's reason
    (syntax, invalid UTF-8, nesting too deep, a number out of range); one that decodes
    but is not a protocol frame is ``bad_request``, and bad ``data`` ``validation_error``.
    """
    try:
        frame = _frame_decoder.decode(raw)
    except msgspec.ValidationError as exc:
        # A shape error, or an undecodable value (``1e400``) that msgspec reports alike.
        if not _decodes(raw):
            raise _malformed() from None
        raise BadFrame("bad_request", f"Not a protocol frame: {exc}") from None
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        raise _malformed() from None
    decoder = _data_decoders.get(frame.type)
    if decoder is None:
        # ``data`` was not decoded yet: undecodable is malformed_request whatever the type.
        if not _decodes(frame.data):
            raise _malformed()
        raise BadFrame("bad_request", f"Unknown frame type {frame.type!r}.")
    try:
        data: msgspec.Struct = decoder.decode(frame.data)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        if not _decodes(frame.data):
            raise _malformed() from None
        raise BadFrame("validation_error", f"Invalid {frame.type!r} data: {exc}") from None
    except (UnicodeDecodeError, RecursionError):
        raise _malformed() from None
    return frame.type, data


# --- server frames -------------------------------------------------------------------------


def domain_error_frame(
    exc: DomainError, *, client_id: str | None = None, chat_id: int | None = None
) -> bytes:
    """An ``error`` frame with the same ``code`` the HTTP API would answer with."""
    return error_frame(
        exc.code,
        exc.message,
        client_id=client_id,
        chat_id=chat_id,
        field=exc.field if isinstance(exc, ValidationError) else None,
        retry_after=exc.retry_after if isinstance(exc, Throttled | ServiceUnavailable) else None,
    )
