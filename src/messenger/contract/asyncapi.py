"""The socket protocol as an AsyncAPI 3 document, generated from the frame Structs.

Served at ``GET /api/v1/docs/asyncapi.json`` (next to ``openapi.json``). The integration
tests validate every frame a socket receives and every ``sync`` event against this very
document, so a frame the document does not describe fails them.
"""

from __future__ import annotations

from functools import cache
from typing import Any, get_args

import msgspec

from messenger.contract import shapes as s

CHANNEL = "socket"
_REF = "#/components/schemas/{name}"

_DESCRIPTION = """\
One socket per client session. Every frame is JSON `{"type": ..., "data": {...}}`; frames of
the change feed also carry `cursor`, their feed position.

Authenticate first: an `auth` frame within 5 s, the only way (a `?token=` on the URL is
ignored: tokens in URLs end up in logs). The server answers
`ready` with the feed cursor the socket continues from and the contract `version`; from then
on it pushes every feed frame after that cursor in ascending cursor order, without holes.
`GET /api/v1/sync?since=<cursor>` (OpenAPI) returns the same feed frames after a cursor;
a client that reconnects syncs from the last cursor it applied. Applying by cursor is
idempotent: ignore feed frames whose cursor is not above the one you hold.

Requests are handled one at a time, in the order sent; `ping` is answered with `pong` at
once, even while requests before it wait for storage (it says the link is alive).

The session stays authenticated until the access token's expiry: before then, send a fresh
`auth` frame on the open socket (answered with `auth_ok` and the new `expires_at`; no
reconnect).

Close codes: 1008 authenticate again; 1009 a frame over 64 KiB; 1012 server restart and 1013
too slow, storage down or too many unauthenticated sockets from the client's address:
reconnect with backoff, then sync. 4001 `session_revoked`: the session was ended (log out,
device revoked, refresh token reused, password changed, account deactivated): log in again,
do not reconnect with the same tokens. 4002 `token_expired`: the access token expired
without a fresh `auth`: refresh the token, reconnect and sync. `error` frames carry a `code`
of `ErrorCode`, the same codes as the HTTP API's problem details.

Versioning: `info.version` (and `ready.data.version`). A new frame type or field raises the
minor version: clients ignore frame types and fields they do not know.
"""


def _summary(cls: type[msgspec.Struct]) -> str:
    """The first line of the docstring of a frame's ``data`` Struct."""
    data = next(f.type for f in msgspec.structs.fields(cls) if f.name == "data")
    doc = getattr(data, "__doc__", None) or ""
    return " ".join(doc.strip().split("\n\n")[0].split())


def _strip_discriminators(schema: Any) -> Any:
    # msgspec adds OpenAPI's ``discriminator`` object to tagged unions; in AsyncAPI's schema
    # dialect ``discriminator`` is a plain property name, so leave it out (every frame's
    # schema pins its ``type`` anyway).
    if isinstance(schema, dict):
        return {k: _strip_discriminators(v) for k, v in schema.items() if k != "discriminator"}
    if isinstance(schema, list):
        return [_strip_discriminators(v) for v in schema]
    return schema


def _messages(frames: tuple[type[msgspec.Struct], ...], direction: str) -> dict[str, Any]:
    messages: dict[str, Any] = {}
    for cls in frames:
        tag = cls.__struct_config__.tag
        message: dict[str, Any] = {
            "name": tag,
            "title": f"{tag} ({direction})",
            "contentType": "application/json",
            "payload": {"$ref": _REF.format(name=cls.__name__)},
        }
        summary = _summary(cls)
        if summary:
            message["summary"] = summary
        messages[cls.__name__] = message
    return messages


@cache
def _document(address: str) -> dict[str, Any]:
    server_frames: tuple[type[msgspec.Struct], ...] = get_args(s.ServerFrame)
    client_frames: tuple[type[msgspec.Struct], ...] = get_args(s.ClientFrames)
    (server_union, client_union), components = msgspec.json.schema_components(
        [s.ServerFrame, s.ClientFrames], ref_template=_REF
    )
    schemas = {
        **components,
        "ServerFrame": {"title": "ServerFrame", **server_union},
        "ClientFrame": {"title": "ClientFrame", **client_union},
    }
    server_messages = _messages(server_frames, "server")
    client_messages = _messages(client_frames, "client")
    channel_ref = {"$ref": f"#/channels/{CHANNEL}"}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Messenger real-time API",
            "version": s.CONTRACT_VERSION,
            "description": _DESCRIPTION,
        },
        "defaultContentType": "application/json",
        "channels": {
            CHANNEL: {
                "address": address,
                "title": "The real-time socket",
                "messages": {
                    name: {"$ref": f"#/components/messages/{name}"}
                    for name in (*server_messages, *client_messages)
                },
            }
        },
        "operations": {
            "sendServerFrames": {
                "action": "send",
                "title": "Frames the server sends",
                "channel": channel_ref,
                "messages": [
                    {"$ref": f"#/channels/{CHANNEL}/messages/{name}"} for name in server_messages
                ],
            },
            "receiveClientFrames": {
                "action": "receive",
                "title": "Frames a client sends",
                "channel": channel_ref,
                "messages": [
                    {"$ref": f"#/channels/{CHANNEL}/messages/{name}"} for name in client_messages
                ],
            },
        },
        "components": {
            "messages": {**server_messages, **client_messages},
            "schemas": _strip_discriminators(schemas),
        },
    }


def asyncapi_document(address: str = "/api/v1/ws") -> dict[str, Any]:
    """The AsyncAPI 3 document of the socket protocol at ``address`` (its URL path)."""
    return _document(address)
