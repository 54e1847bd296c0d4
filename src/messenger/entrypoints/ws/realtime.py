"""Litestar glue: the socket endpoint ``/api/v1/ws``, ``GET /api/v1/sync`` and the hub's
lifecycle, bundled for the app factory.

``create_app`` plugs it in with two lines::

    realtime = Realtime(messenger, messenger.ports.notifier, allowed_origins=settings.cors_origins)
    Litestar(route_handlers=[..., *realtime.route_handlers], lifespan=[..., realtime.lifespan])

Client rules (the protocol's delivery guarantees):

- After ``ready`` (``{user, cursor}``) the socket pushes every feed event after ``cursor``
  in ascending cursor order, without holes. Keep the cursor of the last feed event applied.
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
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import msgspec
from litestar import Litestar, Request, WebSocket, get, websocket
from litestar.handlers import BaseRouteHandler

from messenger.domain.errors import InvalidToken
from messenger.domain.ports import EventStream
from messenger.domain.service import Messenger
from messenger.entrypoints import wire
from messenger.entrypoints.ws.frames import WireFrames
from messenger.entrypoints.ws.hub import ConnectionHub, HubConfig
from messenger.entrypoints.ws.protocol import CLOSE_POLICY, FrameEncoder
from messenger.entrypoints.ws.session import Session, SessionConfig

WS_PATH = "/api/v1/ws"
SYNC_PATH = "/api/v1/sync"
HUB_STATE_KEY = "messenger_realtime"


class SyncPage(msgspec.Struct, kw_only=True):
    """Feed events after a cursor, exactly as the socket pushes them."""

    events: list[wire.EventFrame]
    cursor: int
    has_more: bool


class LitestarTransport:
    """A Litestar ``WebSocket`` as the hub's ``Transport``."""

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


_TOKEN_IN_URL = re.compile(r"([?&]token=)[^&\s\"]*")


class RedactTokens(logging.Filter):
    """Blanks ``token=`` query values in log records (the ASGI server logs socket paths)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_URL.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args
            )
        if isinstance(record.msg, str) and "token=" in record.msg:
            record.msg = _TOKEN_IN_URL.sub(r"\1***", record.msg)
        return True


def redact_tokens_in_server_logs() -> None:
    """Install ``RedactTokens`` on uvicorn's loggers (idempotent)."""
    for name in ("uvicorn.error", "uvicorn.access", "uvicorn"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())


def _bearer(request: Request[Any, Any, Any]) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("A bearer access token is required.")
    return token.strip()


class Realtime:
    """The real-time entrypoint: hub, route handlers and lifespan for one app."""

    def __init__(
        self,
        messenger: Messenger,
        events: EventStream,
        *,
        allowed_origins: Sequence[str] = (),
        frames: FrameEncoder | None = None,
        hub_config: HubConfig | None = None,
        session_config: SessionConfig | None = None,
    ) -> None:
        self.messenger = messenger
        self.hub = ConnectionHub(messenger, events, frames or WireFrames(), hub_config)
        self.allowed_origins = tuple(allowed_origins)
        self.session_config = session_config or SessionConfig()

    @property
    def route_handlers(self) -> list[BaseRouteHandler]:
        return [self._socket_handler(), self._sync_handler()]

    @asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        """Start the hub with the app; close every socket with 1012 when it stops."""
        redact_tokens_in_server_logs()
        app.state[HUB_STATE_KEY] = self
        await self.hub.start()
        try:
            yield
        finally:
            await self.hub.stop()

    def _socket_handler(self) -> BaseRouteHandler:
        realtime = self

        @websocket(WS_PATH, opt={"exclude_from_auth": True}, name="realtime_socket")
        async def socket_endpoint(socket: WebSocket[Any, Any, Any]) -> None:
            """The real-time socket (see the module docs for the protocol)."""
            if not origin_allowed(
                socket.headers.get("origin"), socket.headers.get("host"), realtime.allowed_origins
            ):
                # Before accept: the ASGI server answers the handshake with 403.
                await socket.close(CLOSE_POLICY, "origin not allowed")
                return
            await socket.accept()
            token = socket.query_params.get("token")
            session = Session(realtime.hub, LitestarTransport(socket), realtime.session_config)
            await session.run(token)

        return socket_endpoint

    def _sync_handler(self) -> BaseRouteHandler:
        realtime = self

        @get(SYNC_PATH, opt={"exclude_from_auth": True}, name="sync", tags=["realtime"])
        async def sync(
            request: Request[Any, Any, Any], since: int | None = None, limit: int | None = None
        ) -> SyncPage:
            """Feed events after ``since`` (the socket's cursor), in order; without ``since``
            only the current cursor. A cursor that cannot be continued answers 410
            ``resync_required``."""
            # Domain errors (invalid token, 410 resync_required) go to the app's one handler.
            claims = await realtime.messenger.authorize(_bearer(request))
            changes = await realtime.messenger.get_changes_since(claims.user_id, since, limit)
            return SyncPage(
                events=[wire.event_frame(e.event, e.position) for e in changes.entries],
                cursor=changes.cursor,
                has_more=changes.has_more,
            )

        return sync
