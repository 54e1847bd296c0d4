"""uvicorn's sans-I/O WebSocket protocol, lighter on every open socket.

``messenger serve`` holds thousands of sockets that are idle most of the time, so what each
one keeps matters more than the speed of any one. uvicorn's protocol keeps, per socket, an
``asyncio.Queue`` for the ASGI ``receive`` (three deques and an ``Event``: ~3 KiB) and an
``Event`` for write flow control (a deque: ~0.8 KiB), and holds the handshake's parsed
request and response (each with its headers, ~2 KiB) for as long as the socket is open.
This subclass puts small single-purpose objects in place of the first two and drops the
handshake once it is answered. It also answers a handshake websockets refuses before it
is a request (uvicorn left those hanging), and refuses a text frame that is not UTF-8 as
uvicorn does but without a traceback in the log, and logs a socket's handshake only when the
access log is on (``QuietHandshakes``). Everything else, the frames on the wire
included, is uvicorn's own (pinned in ``pyproject.toml``): ``messenger serve`` passes the class as
``ws=``.

Sending one frame to thousands of sockets. ASGI's ``websocket.send`` carries a text frame as
``str``: the hub's frame, encoded once per event, would be decoded to text for each socket
and encoded again by uvicorn, then framed by websockets, per socket. The protocol offers the
ASGI extension ``SEND_UTF8`` instead: a ``websocket.send`` with the frame's UTF-8 bytes under
that key goes out as a TEXT frame whose wire form (header and payload; a server does not mask)
is built once per frame and the same bytes written to every socket it goes to. A socket that
negotiated an extension (permessage-deflate: each socket compresses with its own state) is
framed by websockets as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from asyncio import BaseTransport
from typing import Any

from uvicorn._types import ASGIReceiveEvent, ASGISendEvent
from uvicorn.config import Config
from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State

from messenger.entrypoints.ws.protocol import SEND_UTF8

# What the kernel may buffer for one socket's unread frames (it doubles it for its own
# bookkeeping): plenty for a chat's frames at any sane speed.
SEND_BUFFER_BYTES = 256 * 1024


class WireFrames:
    """The wire form of the last few frames sent, by the identity of their payload.

    The hub hands the same ``bytes`` object to every socket an event goes to, and the writers
    of those sockets run interleaved with those of the next few events: a handful of entries
    hold each event's frame for as long as it is being written. An entry keeps its payload
    alive, so an ``id`` is never reused while it is in here."""

    __slots__ = ("_entries", "_size")

    def __init__(self, size: int = 8) -> None:
        self._entries: dict[int, tuple[bytes, bytes]] = {}
        self._size = size

    def text(self, payload: bytes) -> bytes:
        """A final, unmasked TEXT frame carrying ``payload``."""
        entry = self._entries.get(id(payload))
        if entry is not None and entry[0] is payload:
            return entry[1]
        wire = Frame(Opcode.TEXT, payload).serialize(mask=False)
        entries = self._entries
        if len(entries) >= self._size:
            del entries[next(iter(entries))]
        entries[id(payload)] = (payload, wire)
        return wire


WIRE_FRAMES = WireFrames()
_QUIET: dict[int, QuietHandshakes] = {}


def _quiet(logger: logging.Logger) -> QuietHandshakes:
    """One wrapper per logger (it is the same ``uvicorn.error`` for every socket)."""
    quiet = _QUIET.get(id(logger))
    if quiet is None or quiet._logger is not logger:
        quiet = _QUIET[id(logger)] = QuietHandshakes(logger)
    return quiet


class ReceiveBuffer:
    """The ASGI events waiting for the app's ``receive``, and its one waiting call.

    Stands in for the ``asyncio.Queue`` (``put_nowait``, ``get``, ``empty``) the protocol
    uses: it pauses reading after every message, so only a handful ever wait here.
    """

    __slots__ = ("_events", "_waiter")

    def __init__(self) -> None:
        self._events: list[ASGIReceiveEvent] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, event: ASGIReceiveEvent) -> None:
        self._events.append(event)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def empty(self) -> bool:
        return not self._events

    async def get(self) -> ASGIReceiveEvent:
        while not self._events:
            if self._waiter is not None:
                # As websockets does: two readers of one socket would race for each frame.
                raise RuntimeError("receive() is already being awaited on this socket")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._events.pop(0)


class WritableFlag:
    """Whether the transport takes more data (the ``asyncio.Event`` the protocol uses),
    with its waiters' list only while someone waits."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = True
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        if self._set:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)
        return True


class QuietHandshakes:
    """uvicorn's error logger without its one INFO line per socket handshake.

    uvicorn logs ``"WebSocket /api/v1/ws" [accepted]`` (or the status of a refusal) at INFO
    on ``uvicorn.error`` for every socket, whatever ``access_log`` says: a log record
    formatted and written per connect, a few percent of a connect's CPU in a storm of
    reconnects. Those lines are the sockets' access log, so they follow ``--access-log``;
    every other record (warnings, errors, the trace level) goes to the logger as before.
    """

    __slots__ = ("_logger",)

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    @property
    def level(self) -> int:
        return self._logger.level

    def info(self, *args: object, **kwargs: object) -> None:
        """Dropped: uvicorn's socket protocol logs only the handshake at INFO."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._logger, name)


class CompactWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's ``websockets-sansio`` protocol with less kept per open socket."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        # Only the methods these attributes are used through exist on the replacements.
        self.queue = ReceiveBuffer()  # type: ignore[assignment]
        self.writable = WritableFlag()  # type: ignore[assignment]
        if not config.access_log:
            self.logger = _quiet(self.logger)  # type: ignore[assignment]

    def connection_made(self, transport: BaseTransport) -> None:
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # The kernel would otherwise take megabytes (autotuned) for a client that stopped
            # reading, hiding it from the hub's per-connection bound until far too late.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)

    def handle_events(self) -> None:
        super().handle_events()
        if not self.handshake_initiated and self.conn.handshake_exc is not None:
            # websockets refused the handshake without a request to show for it (a request
            # line or header over 8 KiB: 414 / 431; or no valid request at all). uvicorn
            # acts only on a request, so the answer was never sent and the connection
            # stayed open for good: send it and close.
            self.handshake_complete = True
            self.close_sent = True
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.transport.close()

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        # The app's task is created but has not run yet: it sees the extension. (No scope:
        # the handshake was refused.)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope.setdefault("extensions", {})[SEND_UTF8] = {"send_now": self.send_utf8_now}

    def send_receive_event_to_app(self) -> None:
        if self.curr_msg_data_type == "text" and not self.close_sent:
            data = self.frames[0] if len(self.frames) == 1 else b"".join(self.frames)
            try:
                data.decode()
            except UnicodeDecodeError:
                # A client's fault, not the server's: uvicorn would log it as an ERROR with a
                # traceback, which any client could repeat to flood the log. The same close
                # (1007, RFC 6455 section 8.1) and a one-line warning, as for a bad HTTP request.
                self.frames = []
                self.logger.warning("Closing a socket with 1007: a text frame that is not UTF-8.")
                self.conn.send_close(1007)
                self.handle_parser_exception()
                return
        super().send_receive_event_to_app()

    def send_utf8_now(self, payload: bytes) -> bool:
        """Write ``payload`` as a TEXT frame now if nothing stands in the way (the socket is
        open, takes more data, and frames are not per socket): else False, and nothing was
        written. Offered to the app in the ``SEND_UTF8`` extension as ``send_now``: a frame
        for an idle socket goes out without a task and an ASGI ``send`` for it."""
        if (
            self.disconnected
            or not self.writable.is_set()
            or not self.handshake_complete
            or self.close_sent
            or self.initial_response is not None
            or self.conn.state is not State.OPEN
            or self.conn.extensions
        ):
            return False
        self.transport.write(WIRE_FRAMES.text(payload))
        return True

    async def send(self, message: ASGISendEvent) -> None:
        payload: bytes | None = message.get(SEND_UTF8)  # type: ignore[assignment]
        if payload is not None and message["type"] == "websocket.send":
            if not self.writable.is_set():
                await self.writable.wait()
            if self.disconnected:
                raise ClientDisconnected()
            if self.send_utf8_now(payload):
                return
            # Closing, or framed per socket (compression): uvicorn's own path decides.
            message = {"type": "websocket.send", "bytes": None, "text": payload.decode()}
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            # Answered: the parsed request and response are not read again. The request
            # also stays referenced by the websockets parser (a local of its suspended
            # generator), so its headers are emptied rather than just let go of.
            self.request.headers.clear()
            del self.request, self.response
