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
  together with a REST snapshot. A 410 ``resync_required`` (the cursor is older than the
  feed keeps, ``MESSENGER_FEED_RETENTION_DAYS``) means: reload the snapshot.
- Close 1013 (too slow, the server lost track, or too many sockets of the client's address
  are still unauthenticated) and 1012 (restart): reconnect with backoff and sync as above.
  Close 1008: authenticate again (refresh the token) first.
- ``/sync`` answers 503 ``service_unavailable`` when too many clients catch up at once
  (``MESSENGER_SYNC_CONCURRENCY``, ``MESSENGER_SYNC_QUEUE``): retry after its
  ``Retry-After`` (seconds; add some jitter), as after any 503.
- A socket lives as long as its session and its access token. Before the token's expiry,
  send a fresh ``auth`` frame on the open socket (answered with ``auth_ok``); otherwise it
  closes with 4002 ``token_expired`` (refresh, reconnect, sync). 4001 ``session_revoked``:
  the session was ended (log out, revoked device, reused refresh token, new password);
  sign in again.
- ``typing`` frames are not repeated by the server: show the indicator for ~5 s after the
  last one; send your own ``typing`` at most every ~3 s while the user types.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any, cast
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
from messenger.entrypoints.admission import Admission
from messenger.entrypoints.ws.hub import ConnectionHub, HubConfig
from messenger.entrypoints.ws.protocol import (
    CLOSE_POLICY,
    CLOSE_RESTART,
    CLOSE_TRY_AGAIN,
    SEND_UTF8,
    FrameEncoder,
)
from messenger.entrypoints.ws.session import Session, SessionConfig
from messenger.metrics import Metrics

# The API's OpenAPI security scheme (declared by the app factory).
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
# Relative to the API router (``/api/v1``) that ``create_app`` mounts them on.
WS_PATH = "/ws"
SYNC_PATH = "/sync"
ASYNCAPI_PATH = "/docs/asyncapi.json"
# The close reason (with 1013) of a socket over ``MESSENGER_WS_UNAUTH_PER_ADDRESS``.
TOO_MANY_UNAUTHENTICATED = "too many unauthenticated sockets from this address"


class SyncPage(msgspec.Struct, kw_only=True):
    """Feed events after a cursor, exactly as the socket pushes them."""

    events: list[FeedFrame]
    cursor: int
    has_more: bool


class UnauthenticatedSockets:
    """How many sockets of each client address have not authenticated yet, capped.

    Until its ``auth`` frame is accepted a socket costs the server memory and a task while
    proving nothing; one address may hold ``limit`` of them. Authenticated sockets are not
    counted (each belongs to an account and is limited by what the account may do).
    """

    __slots__ = ("_counts", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._counts: dict[str, int] = {}

    def enter(self, address: str) -> bool:
        """Count one more socket of ``address``; False (and not counted) when at the cap."""
        count = self._counts.get(address, 0)
        if count >= self.limit:
            return False
        self._counts[address] = count + 1
        return True

    def leave(self, address: str) -> None:
        """One socket of ``address`` authenticated or closed."""
        count = self._counts.get(address, 0) - 1
        if count > 0:
            self._counts[address] = count
        else:
            self._counts.pop(address, None)


class UnauthenticatedPlace:
    """One socket's place among the unauthenticated ones of its address."""

    __slots__ = ("address", "asked", "counter")

    def __init__(self, counter: UnauthenticatedSockets, address: str) -> None:
        self.counter = counter
        self.address = address
        self.asked = False  # the session has asked for its first (``auth``) frame


class FrameCounts:
    """Frames the sockets of one app received and sent (a plain increment per frame)."""

    __slots__ = ("received", "sent")

    def __init__(self) -> None:
        self.received = 0
        self.sent = 0


class SharedTexts:
    """The text of the last few frames sent, by the identity of their bytes: an event's frame
    is decoded once, not once per socket (the hub hands every socket the same ``bytes``; an
    entry keeps them alive, so an ``id`` is not reused while it is in here)."""

    __slots__ = ("_entries", "_size")

    def __init__(self, size: int = 8) -> None:
        self._entries: dict[int, tuple[bytes, str]] = {}
        self._size = size

    def text(self, data: bytes) -> str:
        entry = self._entries.get(id(data))
        if entry is not None and entry[0] is data:
            return entry[1]
        text = data.decode()
        entries = self._entries
        if len(entries) >= self._size:
            del entries[next(iter(entries))]
        entries[id(data)] = (data, text)
        return text


TEXTS = SharedTexts()


class LitestarTransport:
    """A Litestar ``WebSocket`` as the hub's ``Transport``.

    A socket's ``place`` among the unauthenticated ones is given back when the session sends
    its first frame (``ready``, before the client can see it) or asks for a second one. The
    session reads exactly one frame (``auth``) before it authenticates, and when that fails
    it closes the socket, after at most an ``error`` frame. Done here, an idle authenticated
    socket costs nothing more than this one empty slot (no task, no callback), and a frame
    sent one ``is not None`` test.

    A frame goes to the ASGI server as the UTF-8 bytes the hub holds (encoded once per event)
    when the server offers ``SEND_UTF8`` (``messenger serve``'s protocol: it writes the same
    wire bytes to every socket); elsewhere as text, decoded once per event (``TEXTS``).
    ``send_now`` writes a frame synchronously when that server can (the hub tries it for a
    socket with nothing queued, sparing a writer task per socket and frame).
    """

    __slots__ = ("_send_now", "_send_utf8", "_socket", "counts", "place")

    def __init__(
        self,
        socket: WebSocket[Any, Any, Any],
        place: UnauthenticatedPlace | None = None,
        counts: FrameCounts | None = None,
    ) -> None:
        self._socket = socket
        self.place = place
        self.counts = counts or FrameCounts()
        offered = (socket.scope.get("extensions") or {}).get(SEND_UTF8)
        self._send_utf8 = socket.send if offered is not None else None
        send_now = offered.get("send_now") if isinstance(offered, dict) else None
        self._send_now: Callable[[bytes], bool] | None = (
            cast("Callable[[bytes], bool]", send_now) if callable(send_now) else None
        )

    def release(self) -> None:
        """Give back the socket's place among the unauthenticated ones (idempotent)."""
        place = self.place
        if place is not None:
            self.place = None
            place.counter.leave(place.address)

    async def receive(self) -> str | bytes | None:
        place = self.place
        if place is not None:
            if place.asked:
                self.release()
            else:
                place.asked = True
        try:
            message = await self._socket.receive()
        except Exception:
            return None
        if message["type"] != "websocket.receive":
            return None
        self.counts.received += 1
        text = message.get("text")
        if text is not None:
            return str(text)
        data = message.get("bytes")
        return bytes(data) if data is not None else b""

    async def send(self, data: bytes) -> None:
        if self.place is not None:
            self.release()
        send = self._send_utf8
        if send is not None:
            # The app's own JSON: UTF-8 as the extension requires.
            await send({"type": "websocket.send", SEND_UTF8: data})  # type: ignore[arg-type]
        else:
            await self._socket.send_text(TEXTS.text(data))
        self.counts.sent += 1

    def send_now(self, data: bytes) -> bool:
        """Write the frame without waiting, if the server can at once (see ``send``)."""
        send_now = self._send_now
        if send_now is None or self.place is not None or not send_now(data):
            return False
        self.counts.sent += 1
        return True

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
        unauthenticated_per_address: int = 100,
        metrics: Metrics | None = None,
        sync_admission: Admission | None = None,
    ) -> None:
        self.allowed_origins = tuple(allowed_origins)
        self.unauthenticated = UnauthenticatedSockets(unauthenticated_per_address)
        self.frames = frames or Wire()
        self.hub_config = hub_config
        self.session_config = session_config or SessionConfig()
        self.hub: ConnectionHub | None = None
        self.metrics = metrics
        self.frame_counts = FrameCounts()
        self.sync_admission = sync_admission
        self._sync = sync_handler(sync_admission) if sync_admission is not None else sync
        if metrics is not None:
            counts = self.frame_counts
            metrics.counter(
                "messenger_socket_frames_received",
                "Frames received on sockets",
                lambda: counts.received,
            )
            metrics.counter(
                "messenger_socket_frames_sent", "Frames sent on sockets", lambda: counts.sent
            )

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
        hub = ConnectionHub(messenger, stream, self.frames, self.hub_config, metrics=self.metrics)
        await hub.start()
        self.hub = hub
        try:
            yield hub
        finally:
            self.hub = None
            await hub.stop()

    def live_counts(self) -> tuple[int, int]:
        """(users online, open sockets) on this process; (0, 0) while no hub runs. Each
        process counts its own sockets here (presence frames count across processes)."""
        hub = self.hub
        return (0, 0) if hub is None else (hub.online_count, hub.connection_count)

    async def drain(self, grace: float = 5.0) -> None:
        """Before the server shuts down: finish the frames in hand, acknowledge them, then
        close every socket with 1012 (see ``ConnectionHub.drain``)."""
        hub = self.hub
        if hub is not None:
            await hub.drain(grace)

    def origin_allowed(self, headers: Iterable[tuple[bytes, bytes]]) -> bool:
        """Whether a socket handshake with these headers may open (see ``origin_allowed``)."""
        return origin_allowed(
            handshake_header(headers, b"origin"),
            handshake_header(headers, b"host"),
            self.allowed_origins,
        )

    @property
    def route_handlers(self) -> list[BaseRouteHandler]:
        return [self._socket_handler(), self._sync]

    def docs_route_handler(self, root_path: str = "") -> BaseRouteHandler:
        """``GET /api/v1/docs/asyncapi.json``: the socket protocol (AsyncAPI 3), for a
        server reachable under ``root_path``."""
        document = msgspec.json.encode(asyncapi_document(f"{root_path}{API_PREFIX}{WS_PATH}"))

        @get(ASYNCAPI_PATH, name="asyncapi", include_in_schema=False, sync_to_thread=False)
        def asyncapi() -> Response[bytes]:
            """The AsyncAPI document of the socket protocol."""
            return Response(document, media_type="application/json")

        return asyncapi

    def admit(self, socket: WebSocket[Any, Any, Any]) -> LitestarTransport | None:
        """The socket's transport, holding a place among the unauthenticated sockets of its
        address; None when that address holds as many as allowed."""
        client = socket.scope.get("client")
        address = client[0] if client else ""
        if not self.unauthenticated.enter(address):
            return None
        return LitestarTransport(
            socket, UnauthenticatedPlace(self.unauthenticated, address), self.frame_counts
        )

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
            # Decided in a helper: its locals do not stay in this coroutine's frame for as
            # long as the socket is open.
            transport = realtime.admit(socket)
            if transport is None:
                # After accept, so the client sees a close code (a refused handshake is a
                # bare 403): 1013 tells it to retry later, unlike 1008 (get a new token).
                await socket.close(CLOSE_TRY_AGAIN, TOO_MANY_UNAUTHENTICATED)
                return
            # The scope lives as long as the socket, and nothing reads the handshake's
            # headers again: a browser's cookies and user agent would stay (1-4 KiB).
            socket.scope["headers"] = []
            try:
                await Session(hub, transport, realtime.session_config).run()
            finally:
                transport.release()

        return socket_endpoint


def sync_handler(admission: Admission | None = None) -> BaseRouteHandler:
    """``GET /api/v1/sync``, serving at most as many catch-ups at once as ``admission``
    admits (none: no limit); the rest get 503 ``service_unavailable`` with ``Retry-After``."""
    gate = admission if admission is not None else Admission(0, 0)

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
        answers 410 ``resync_required``: reload and start over. When too many clients catch
        up at once (after a restart), 503 ``service_unavailable``: retry after ``Retry-After``
        seconds."""
        async with gate.admit():
            changes = await messenger.get_changes_since(claims.user_id, since, limit)
            # Built inside the place: a page of 500 events is much of the cost.
            return SyncPage(
                events=[wire.feed_frame(e.event, e.position) for e in changes.entries],
                cursor=changes.cursor,
                has_more=changes.has_more,
            )

    return sync


# Without admission control, for embedders that mount it themselves.
sync = sync_handler()
