"""Dependencies shared by the handlers: the messenger and the caller's identity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException

from messenger.contract import Wire
from messenger.domain.errors import ServiceUnavailable
from messenger.domain.model import AccessClaims
from messenger.domain.service import Messenger

BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


class Runtime:
    """What the app holds while it runs: filled in by the lifespan, read by dependencies."""

    def __init__(self) -> None:
        self.messenger: Messenger | None = None

    def provide_messenger(self) -> Messenger:
        if self.messenger is None:
            raise ServiceUnavailable("The server is starting or stopping.")
        return self.messenger


def provide_wire_after(wire: Wire) -> Callable[..., Wire]:
    """A dependency that gives ``wire`` once the messenger is resolved.

    ``messenger`` only orders the dependencies: Litestar resolves the dependencies of one
    level concurrently, in an anyio task group per request, and that cost about a tenth of a
    history request (``make bench``, SQLite history 367 -> 233 req/s). The chain
    messenger -> wire -> claims keeps every level at one dependency, resolved inline.
    """

    def provide_wire(messenger: NamedDependency[Messenger]) -> Wire:
        return wire

    return provide_wire


def client_address(request: Request[Any, Any, Any]) -> str | None:
    """The peer as uvicorn reports it (a trusted proxy's X-Forwarded-For already applied):
    what per-account throttles of wrong passwords are counted by, with the account."""
    return request.client.host if request.client is not None else None


def bearer_token(request: Request[Any, Any, Any]) -> str:
    """The token of an ``Authorization: Bearer <token>`` header."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorizedException("A bearer access token is required.")
    return token


async def provide_claims(
    request: Request[Any, Any, Any],
    messenger: NamedDependency[Messenger],
    wire: NamedDependency[Wire],
) -> AccessClaims:
    """The authenticated caller; 401 for a missing, invalid, expired or revoked token.

    (``wire`` is unused: it orders the dependencies, see ``provide_wire_after``.)
    """
    return await messenger.authorize(bearer_token(request))
