"""uvicorn's sans-I/O WebSocket protocol, lighter on every open socket.

``messenger serve`` holds thousands of sockets that are idle most of the time, so what each
one keeps matters more than the speed of any one. uvicorn's protocol keeps, per socket, an
``asyncio.Queue`` for the ASGI ``receive`` (three deques and an ``Event``: ~3 KiB) and an
``Event`` for write flow control (a deque: ~0.8 KiB), and holds the handshake's parsed
request and response (each with its headers, ~2 KiB) for as long as the socket is open.
This subclass puts small single-purpose objects in place of the first two and drops the
handshake once it is answered. It also answers a handshake websockets refuses before it
is a request (uvicorn left those hanging), and refuses a text frame that is not UTF-8 as
uvicorn does but without a traceback in the log. Everything else, the frames on the wire
included, is uvicorn's own (pinned in ``pyproject.toml``): ``messenger serve`` passes the class as
``ws=``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from asyncio import BaseTransport
from typing import Any

from uvicorn._types import ASGIReceiveEvent, ASGISendEvent
from uvicorn.config import Config
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState

# What the kernel may buffer for one socket's unread frames (it doubles it for its own
# bookkeeping): plenty for a chat's frames at any sane speed.
SEND_BUFFER_BYTES = 256 * 1024


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

    async def send(self, message: ASGISendEvent) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            # Answered: the parsed request and response are not read again. The request
            # also stays referenced by the websockets parser (a local of its suspended
            # generator), so its headers are emptied rather than just let go of.
            self.request.headers.clear()
            del self.request, self.response
