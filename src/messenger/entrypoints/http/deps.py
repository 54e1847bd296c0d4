"""Dependencies shared by the handlers: the messenger and the caller's identity."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException

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


def bearer_token(request: Request[Any, Any, Any]) -> str:
    """The token of an ``Authorization: Bearer <token>`` header."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorizedException("A bearer access token is required.")
    return token


async def provide_claims(
    request: Request[Any, Any, Any], messenger: NamedDependency[Messenger]
) -> AccessClaims:
    """The authenticated caller; 401 for a missing, invalid, expired or revoked token."""
    return await messenger.authorize(bearer_token(request))
