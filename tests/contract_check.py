"""Every frame a test receives must be described by the published AsyncAPI document.

The idea of Zulip's ``verify_action``: the socket and ``sync`` helpers of the tests pass
every frame they receive through ``check_server_frame`` / ``check_sync_event``, which
validate it against the schemas of the very document ``GET /api/v1/docs/asyncapi.json``
serves. A frame type the document does not list, a field it does not declare (checked
strictly here, although the published schemas let clients ignore unknown fields) or a
value of the wrong type fails the test that received it.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import jsonschema_rs

from messenger.contract import asyncapi_document


def _strict(schema: Any) -> Any:
    """The schema with ``additionalProperties: false`` on every object that lists its
    properties: the server must send nothing the document does not declare."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if out.get("type") == "object" and "properties" in out:
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


@cache
def _validators() -> tuple[Any, dict[str, Any]]:
    document = copy.deepcopy(asyncapi_document())
    channel = document["operations"]["sendServerFrames"]
    # The operation's messages, followed through the channel to their payload schemas.
    messages = [_resolve(document, m["$ref"]) for m in channel["messages"]]
    messages = [_resolve(document, m["$ref"]) if "$ref" in m else m for m in messages]
    components = {"schemas": _strict(document["components"]["schemas"])}

    def validator(payload: dict[str, Any]) -> Any:
        return jsonschema_rs.Draft202012Validator({**payload, "components": components})

    any_frame = validator({"anyOf": [m["payload"] for m in messages]})
    by_type = {m["name"]: validator(m["payload"]) for m in messages}
    return any_frame, by_type


def check_server_frame(frame: Any) -> None:
    """Fail unless ``frame`` (decoded JSON) is a server frame of the published document."""
    any_frame, by_type = _validators()
    kind = frame.get("type") if isinstance(frame, dict) else None
    validator = by_type.get(kind) if isinstance(kind, str) else None
    if validator is None:
        # Unknown type: the union's errors say that no message of the document matches.
        any_frame.validate(frame)
        raise AssertionError(f"frame type {kind!r} is not in the AsyncAPI document")
    # Per type for a readable error: which field of which frame is off.
    errors = [str(e) for e in validator.iter_errors(frame)]
    assert not errors, f"{kind} frame does not match the AsyncAPI document: {errors}: {frame}"


def check_sync_event(event: Any) -> None:
    """Fail unless ``event`` of a ``sync`` page is a feed frame of the published document."""
    check_server_frame(event)
    assert isinstance(event.get("cursor"), int), f"a sync event without a cursor: {event}"
