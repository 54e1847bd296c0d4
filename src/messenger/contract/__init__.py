"""The contract with clients: every shape and frame the server sends, versioned, in one
place, and the one conversion from the domain to it.

Neutral ground: the HTTP and socket entrypoints use it, the composition root hands its
encoder to the notifiers, and the domain never imports it. ``shapes`` holds the Structs,
``wire.Wire`` converts domain objects and events (and makes URLs), ``errors.ErrorCode``
lists the error codes, and ``asyncapi`` publishes the socket protocol.
"""

from messenger.contract.asyncapi import asyncapi_document
from messenger.contract.errors import ErrorCode
from messenger.contract.shapes import CONTRACT_VERSION
from messenger.contract.wire import API_PREFIX, FILES_PATH, PONG, Wire, error_frame

__all__ = [
    "API_PREFIX",
    "CONTRACT_VERSION",
    "FILES_PATH",
    "PONG",
    "ErrorCode",
    "Wire",
    "asyncapi_document",
    "error_frame",
]
