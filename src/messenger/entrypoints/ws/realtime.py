"""Litestar glue: the socket endpoint ``/api/v1/ws``, ``GET /api/v1/sync`` and the hub's
lifecycle, bundled for the app factory.

``create_app`` mounts ``Realtime.route_handlers`` on its ``/api/v1`` router and enters
``Realtime.running(messenger)`` in its lifespan once the container is up.

Client rules (the protocol's delivery guarantees):

- After ``ready`` (``{user, cursor, version}``) the socket pushes every feed event after
  ``cursor`` in ascending cursor order, without holes. Keep the cursor of the last feed
  event applied. The frames are published as AsyncAPI at ``/api/v1/docs/asyncapi.json``.
- On (re)connect: wait for ``ready``, then page ``GET /api/v1/sync?since=<your cursor>``
  until ``has_more`` is false, holding back pushes meanwhile; then apply the held pushes
  whose cursor is above the synced one. Applying by cursor is idempotent: ignore any feed
  event whose cursor is not above the one you hold. A fresh client takes ``ready.cursor``
  together with a REST snapshot. A 410 ``resync_required`` means: reload the snapshot.
- Close 1013 (too slow, or the server lost track) and 1012 (restart): reconnect with
  backoff and sync as above. Close 1008: authenticate again (refresh the token) first.
- ``typing`` frames are not repeated by the server: show the indicator for ~5 s after the
  last one; send your own ``typing`` at most every ~3 s while the user types.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any
from urllib.parse import urlsplit

import msgspec
from litestar import Response, WebSocket, get, websocket
from litestar.di import NamedDependency
from litestar.handlers import BaseRouteHandler
from litestar.params import QueryParameter

from messenger.contract import API_PREFIX, Wire, asyncapi_document
from messenger.contract.shapes import FeedFrame
from messenger.domain.model import AccessClaims
from messenger.domain.ports import EventStream
from messenger.domain.service import Messenger
from messenger.entrypoints.ws.hub import ConnectionHub, HubConfig
from messenger.entrypoints.ws.protocol import CLOSE_POLICY, CLOSE_RESTART, FrameEncoder
from messenger.entrypoints.ws.session import Session, SessionConfig

# The API's OpenAPI security scheme (declared by the app factory).
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
# Relative to the API router (``/api/v1``) that ``create_app`` mounts them on.
WS_PATH = "/ws"
SYNC_PATH = "/sync"
ASYNCAPI_PATH = "/docs/asyncapi.json"


class SyncPage(msgspec.Struct, kw_only=True):
    """Feed events after a cursor, exactly as the socket pushes them."""

    events: list[FeedFrame]
    cursor: int
    has_more: bool


class LitestarTransport:
    """A Litestar ``WebSocket`` as the hub's ``Transport``."""

    __slots__ = ("_socket",)

    def __init__(self, socket: WebSocket[Any, Any, Any]) -> None:
        self._socket = socket

    async def receive(self) -> str | bytes | None:
        try:
            message = await self._socket.receive()
        except Exception:
            return None
        if message["type"] != "websocket.receive":
            return None
        text = message.get("text")
        if text is not None:
            return str(text)
        data = message.get("bytes")
        return bytes(data) if data is not None else b""

    async def send(self, data: bytes) -> None:
        await self._socket.send_text(data.decode())

    async def close(self, code: int, reason: str = "") -> None:
        await self._socket.close(code, reason)


def origin_allowed(origin: str | None, host: str | None, allowed: Sequence[str]) -> bool:
    """Browsers must come from an allowed origin or the server's own; clients that send
    no ``Origin`` (native apps, services) are not browsers and are let through."""
    if origin is None:
        return True
    if origin in allowed:
        return True
    netloc = urlsplit(origin).netloc
    return bool(netloc) and host is not None and netloc.lower() == host.lower()


# Read straight from the scope: ``socket.headers`` and ``socket.query_params`` would be
# parsed into objects cached on the scope, kept (~1 KiB) for as long as the socket is open.
def handshake_header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    """The first value of the handshake header ``name`` (lower case)."""
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


# The socket takes its token only from the ``auth`` frame: a token in a URL ends up in
# proxy and server logs. An old or careless client may still put one there, so the ASGI
# server's log lines about socket paths are blanked, whatever the parameter's case.
_TOKEN_IN_URL = re.compile(r"([?&]token=)[^&\s\"]*", re.IGNORECASE)


class RedactTokens(logging.Filter):
    """Blanks ``token=`` query values (any case) in log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_URL.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args
            )
        if isinstance(record.msg, str) and "token=" in record.msg.lower():
            record.msg = _TOKEN_IN_URL.sub(r"\1***", record.msg)
        return True


def redact_tokens_in_server_logs() -> None:
    """Install ``RedactTokens`` on uvicorn's loggers (idempotent)."""
    for name in ("uvicorn.error", "uvicorn.access", "uvicorn"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())


class Realtime:
    """The real-time entrypoint of one app: its route handlers and its hub's lifecycle.

    The handlers rely on the API router's ``messenger`` and ``claims`` dependencies; the
    hub runs while ``running(messenger)`` is entered (inside the app's lifespan).
    """

    def __init__(
        self,
        *,
        allowed_origins: Sequence[str] = (),
        frames: FrameEncoder | None = None,
        hub_config: HubConfig | None = None,
        session_config: SessionConfig | None = None,
    ) -> None:
        self.allowed_origins = tuple(allowed_origins)
        self.frames = frames or Wire()
        self.hub_config = hub_config
        self.session_config = session_config or SessionConfig()
        self.hub: ConnectionHub | None = None

    @asynccontextmanager
    async def running(
        self, messenger: Messenger, events: EventStream | None = None
    ) -> AsyncIterator[ConnectionHub]:
        """Run the hub on ``events`` (default: the messenger's event stream); on exit
        close every socket with 1012."""
        stream = events if events is not None else messenger.events
        if stream is None:
            raise TypeError("The messenger has no event stream; pass one explicitly.")
        redact_tokens_in_server_logs()
        hub = ConnectionHub(messenger, stream, self.frames, self.hub_config)
        await hub.start()
        self.hub = hub
        try:
            yield hub
        finally:
            self.hub = None
            await hub.stop()

    def origin_allowed(self, headers: Iterable[tuple[bytes, bytes]]) -> bool:
        """Whether a socket handshake with these headers may open (see ``origin_allowed``)."""
        return origin_allowed(
            handshake_header(headers, b"origin"),
            handshake_header(headers, b"host"),
            self.allowed_origins,
        )

    @property
    def route_handlers(self) -> list[BaseRouteHandler]:
        return [self._socket_handler(), sync]

    def docs_route_handler(self, root_path: str = "") -> BaseRouteHandler:
        """``GET /api/v1/docs/asyncapi.json``: the socket protocol (AsyncAPI 3), for a
        server reachable under ``root_path``."""
        document = msgspec.json.encode(asyncapi_document(f"{root_path}{API_PREFIX}{WS_PATH}"))

        @get(ASYNCAPI_PATH, name="asyncapi", include_in_schema=False, sync_to_thread=False)
        def asyncapi() -> Response[bytes]:
            """The AsyncAPI document of the socket protocol."""
            return Response(document, media_type="application/json")

        return asyncapi

    def _socket_handler(self) -> BaseRouteHandler:
        realtime = self

        @websocket(WS_PATH, name="realtime_socket")
        async def socket_endpoint(socket: WebSocket[Any, Any, Any]) -> None:
            """The real-time socket (see the module docs for the protocol)."""
            if not realtime.origin_allowed(socket.scope["headers"]):
                # Before accept: the ASGI server answers the handshake with 403.
                await socket.close(CLOSE_POLICY, "origin not allowed")
                return
            hub = realtime.hub
            await socket.accept()
            if hub is None:
                await socket.close(CLOSE_RESTART, "server starting or stopping")
                return
            # The scope lives as long as the socket, and nothing reads the handshake's
            # headers again: a browser's cookies and user agent would stay (1-4 KiB).
            socket.scope["headers"] = []
            await Session(hub, LitestarTransport(socket), realtime.session_config).run()

        return socket_endpoint


@get(SYNC_PATH, name="sync", tags=["realtime"], security=BEARER, opt={"problems": (410,)})
async def sync(
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
    # No bounds on ``since``: a negative or future cursor is the domain's 410, not a 400.
    since: Annotated[int | None, QueryParameter()] = None,
    limit: Annotated[int | None, QueryParameter(ge=1, le=1000)] = None,
) -> SyncPage:
    """Feed events after ``since`` (a socket cursor), in order, as the socket pushes them;
    without ``since`` only the current cursor. A cursor that cannot be continued from
    answers 410 ``resync_required``: reload and start over."""
    changes = await messenger.get_changes_since(claims.user_id, since, limit)
    return SyncPage(
        events=[wire.feed_frame(e.event, e.position) for e in changes.entries],
        cursor=changes.cursor,
        has_more=changes.has_more,
    )
