"""One client's socket session: authenticate, say ``ready``, then serve frames until the
socket closes.

Every client frame is handled by a use case that opens its own unit of work; the session
holds no database session (a socket lives for hours). Frames of one socket are handled in
the order they arrive, so a client's sends keep their order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime

import msgspec

from messenger.contract import PONG, ErrorCode, error_frame
from messenger.contract.shapes import (
    AckRequest,
    AuthRequest,
    JoinChatRequest,
    LeaveChatRequest,
    MarkReadRequest,
    SendMessageRequest,
    TypingRequest,
)
from messenger.domain.errors import DomainError, InvalidToken, ServiceUnavailable
from messenger.domain.events import PresenceChanged
from messenger.domain.model import AccessClaims
from messenger.entrypoints.ws.hub import Connection, ConnectionHub, Transport
from messenger.entrypoints.ws.protocol import (
    CLOSE_GOING_AWAY,
    CLOSE_POLICY,
    CLOSE_RESTART,
    CLOSE_SESSION_REVOKED,
    CLOSE_TOKEN_EXPIRED,
    CLOSE_TOO_BIG,
    CLOSE_TRY_AGAIN,
    BadFrame,
    domain_error_frame,
    parse_frame,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionConfig:
    """Limits of one socket."""

    auth_timeout: float = 5.0
    max_frame_bytes: int = 64 * 1024
    rate: float = 20.0  # frames per second, sustained
    burst: float = 60.0
    # A socket that sends nothing (not even ``ping``) for this long is closed; the ASGI
    # server's protocol pings catch dead peers sooner.
    idle_timeout: float | None = 120.0
    # Typing frames of one chat are forwarded at most this often; clients show a typing
    # indicator for ~5 s after the last ``typing`` frame and repeat theirs every ~3 s.
    typing_interval: float = 2.0
    # Requests read but not handled yet (the one in hand included); more are refused with
    # ``throttled`` until the storage catches up.
    max_waiting: int = 64
    # A request still in hand after this long has the socket read on meanwhile (pings
    # answered, further requests queued), so a slow database never stops it reading.
    read_meanwhile_after: float = 0.5


_EARLY_S = 0.05  # how much earlier than asked a timer may fire and still count


class _Closed(Exception):
    """The session must end (the socket was closed by us or by the peer)."""


class _TokenBucket:
    __slots__ = ("_at", "_burst", "_rate", "_tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self._rate = rate
        self._burst = burst
        self._tokens = burst
        self._at = time.monotonic()

    def take(self) -> float:
        """0 when a frame may pass, else the seconds until one may."""
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self._rate


class Session:
    """Drives the protocol over one transport.

    A session runs in the task the ASGI server gave the socket and starts none of its own
    while the socket is idle (the connection's writer runs only while frames wait): each
    task and each suspended coroutine costs memory on every one of thousands of sockets.
    """

    __slots__ = (
        "_bucket",
        "_expires",
        "_gone",
        "_meanwhile",
        "_typing_sent",
        "_waiting",
        "config",
        "hub",
        "messenger",
        "transport",
    )

    def __init__(
        self, hub: ConnectionHub, transport: Transport, config: SessionConfig | None = None
    ) -> None:
        self.hub = hub
        self.transport = transport
        self.config = config or SessionConfig()
        self.messenger = hub.messenger
        # Both made on first use: most sockets never send a frame after ``auth``. A bucket
        # made late starts full, as one made at connect would have refilled by then.
        self._bucket: _TokenBucket | None = None
        self._typing_sent: dict[int, float] | None = None
        # When the access token the socket last authenticated with expires, in event-loop
        # time (None: it does not): the read loop's wait ends there at the latest.
        self._expires: float | None = None
        # Requests are handled in the session's own task, one at a time (a task per request
        # cost a tenth more CPU per message). One that takes long gets a reader meanwhile,
        # which queues what arrives and answers pings, so the socket (and the ASGI server's
        # keepalive) goes on while a request waits for storage.
        self._waiting: deque[tuple[str, msgspec.Struct]] | None = None
        self._meanwhile: asyncio.Task[None] | None = None
        self._gone = False  # the reader meanwhile saw the peer go

    async def run(self) -> None:
        """Serve the socket until it closes; never raises for anything the client does."""
        if not self.hub.accepting:
            await self._close(CLOSE_RESTART, "server restarting")
            return
        try:
            claims = await self._authenticate()
        except _Closed:
            return
        self._expires = _loop_deadline(claims.expires_at)
        connection = self.hub.connect(claims.user_id, self.transport, claims.session_id)
        try:
            if await self._say_ready(connection):
                await self._read_loop(connection)
            if connection.close_code is not None:
                await connection.wait_closed()
        finally:
            await self._finish_requests()
            self.hub.disconnect(connection)
            connection.gone()

    async def _say_ready(self, connection: Connection) -> bool:
        """Send ``ready`` and who is online, then start the writer; False if that failed.

        A coroutine of its own so that what it reads does not stay referenced for the
        socket's lifetime.
        """
        try:
            user = await self.messenger.get_my_account(connection.user_id)
            cursor = await self.hub.make_ready(connection)
            # Sent before the writer starts: pushes that arrived meanwhile wait behind it.
            await self.transport.send(self.hub.frames.ready(user, cursor))
            # Presence frames report changes only; without this a client would show a
            # chat-mate who was online before it connected as offline. Asked with who is
            # online, so that only their privacy is read.
            online = await self.messenger.list_chat_mates(user.id, self.hub.online_anywhere)
            for uid in sorted(online):
                connection.push(
                    self.hub.frames.event(
                        PresenceChanged(uid, online=True, last_seen_at=None), None
                    )
                )
        except DomainError:
            connection.close(CLOSE_TRY_AGAIN, "service unavailable")
            return False
        except Exception:
            connection.gone()
            return False
        connection.start_writer()
        return True

    # --- authentication ----------------------------------------------------------------------

    async def _authenticate(self) -> AccessClaims:
        # Only the ``auth`` frame: a token in the URL would end up in proxy logs.
        token = await self._auth_frame()
        try:
            claims = await self.messenger.authorize(token)
        except InvalidToken as exc:
            await self._send_quietly(domain_error_frame(exc))
            await self._close(CLOSE_POLICY, "invalid token")
            raise _Closed from None
        except ServiceUnavailable:
            await self._close(CLOSE_TRY_AGAIN, "service unavailable")
            raise _Closed from None
        except DomainError as exc:
            await self._send_quietly(domain_error_frame(exc))
            await self._close(CLOSE_POLICY, "not authenticated")
            raise _Closed from None
        return claims

    async def _authenticate_again(self, connection: Connection, token: str) -> None:
        """A fresh token on the open socket: the session goes on until its expiry."""
        claims = await self.messenger.authorize(token)
        if claims.user_id != connection.user_id:
            connection.push(
                error_frame(ErrorCode.FORBIDDEN, "The token belongs to another account.")
            )
            return
        # A client that logged in again has a new session: revoking that one closes us now.
        connection.session_id = claims.session_id
        if self.hub.session_ended(claims.session_id):
            connection.close(CLOSE_SESSION_REVOKED, "session_revoked")
            return
        self._expires = _loop_deadline(claims.expires_at)
        reading = connection.reading
        if reading is not None and not reading.expired():
            # The read loop waits until the old expiry: have it look again.
            reading.reschedule(asyncio.get_running_loop().time())
        connection.push(self.hub.frames.auth_ok(claims.expires_at))

    async def _auth_frame(self) -> str:
        try:
            async with asyncio.timeout(self.config.auth_timeout):
                raw = await self.transport.receive()
        except TimeoutError:
            await self._close(CLOSE_POLICY, "authentication timeout")
            raise _Closed from None
        if raw is None:
            raise _Closed
        if len(raw) > self.config.max_frame_bytes:
            await self._close(CLOSE_TOO_BIG, "frame too large")
            raise _Closed
        try:
            kind, data = parse_frame(raw)
        except BadFrame as exc:
            # Say why before closing: the client learns more than "authentication required".
            await self._send_quietly(error_frame(exc.code, exc.message))
            kind, data = "", None
        if kind != "auth" or not isinstance(data, AuthRequest):
            await self._close(CLOSE_POLICY, "authentication required")
            raise _Closed
        return data.token

    # --- frames ------------------------------------------------------------------------------

    async def _read_loop(self, connection: Connection) -> None:
        loop = asyncio.get_running_loop()
        idle = self.config.idle_timeout
        while not connection.closed:
            queued = self._waiting
            if queued:
                # Read meanwhile, while the one before was in hand: in the order they came.
                kind, data = queued.popleft()
                await self._handle_in_turn(connection, kind, data, counted=True)
                continue
            if self._gone:
                connection.gone()
                return
            idle_at = None if idle is None else loop.time() + idle
            expires = self._expires
            deadline = idle_at
            if expires is not None and (deadline is None or expires < deadline):
                deadline = expires
            try:
                async with asyncio.timeout_at(deadline) as waiting:
                    connection.reading = waiting
                    try:
                        raw = await self.transport.receive()
                    finally:
                        connection.reading = None
            except TimeoutError:
                # Expired by ``connection.close``, by the token's expiry, by idleness, or
                # woken to look again (a fresh ``auth`` moved the expiry). A loop's timers
                # may fire a little early (uvloop's have millisecond steps).
                if connection.closed:
                    return
                now = loop.time() + _EARLY_S
                if self._expires is not None and now >= self._expires:
                    connection.close(CLOSE_TOKEN_EXPIRED, "token_expired")
                    return
                if idle_at is not None and now >= idle_at:
                    connection.close(CLOSE_GOING_AWAY, "idle timeout")
                    return
                continue
            if raw is None:
                connection.gone()
                return
            request = self._admit(connection, raw)
            if request is None:
                if connection.closed:
                    return
                continue
            await self._handle_in_turn(connection, *request)

    def _admit(self, connection: Connection, raw: str | bytes) -> tuple[str, msgspec.Struct] | None:
        """A frame just read, checked: the request to handle, or None (answered or refused
        here already; a frame too large closes the connection)."""
        size = len(raw.encode()) if isinstance(raw, str) else len(raw)
        if size > self.config.max_frame_bytes:
            connection.close(CLOSE_TOO_BIG, "frame too large")
            return None
        bucket = self._bucket
        if bucket is None:
            bucket = self._bucket = _TokenBucket(self.config.rate, self.config.burst)
        wait = bucket.take()
        if wait:
            # Say which request was refused, so a client resends exactly that one after
            # ``retry_after`` (a resend burst after a reconnect exceeds the burst).
            client_id, chat_id = _request_of(raw)
            connection.push(
                error_frame(
                    ErrorCode.THROTTLED,
                    "Too many frames; slow down.",
                    retry_after=wait,
                    client_id=client_id,
                    chat_id=chat_id,
                )
            )
            return None
        if not self.hub.accepting:
            # Shutting down: frames in hand finish, new ones wait for the next server (the
            # client resends what it did not see acknowledged).
            return None
        try:
            kind, data = parse_frame(raw)
        except BadFrame as exc:
            connection.push(error_frame(exc.code, exc.message))
            return None
        if kind == "ping":
            # At once, even while a request waits for storage: it says "alive".
            connection.push(PONG)
            return None
        return kind, data

    async def _handle_in_turn(
        self, connection: Connection, kind: str, data: msgspec.Struct, *, counted: bool = False
    ) -> None:
        """Handle one request here; if it takes long, read on meanwhile (see __init__)."""
        hub = self.hub
        if not counted:
            hub.handling += 1
        timer = asyncio.get_running_loop().call_later(
            self.config.read_meanwhile_after, self._read_meanwhile, connection
        )
        try:
            await self._handle(connection, kind, data)
        finally:
            timer.cancel()
            hub.frame_done()
            meanwhile, self._meanwhile = self._meanwhile, None
            if meanwhile is not None:
                # Cancelled between two frames or while waiting for one: nothing read is
                # lost (a frame is taken off the socket only once it is queued).
                meanwhile.cancel()
                with contextlib.suppress(BaseException):
                    await meanwhile

    def _read_meanwhile(self, connection: Connection) -> None:
        if self._meanwhile is None and not connection.closed and not self._gone:
            self._meanwhile = asyncio.create_task(self._queue_meanwhile(connection))

    async def _queue_meanwhile(self, connection: Connection) -> None:
        while not connection.closed:
            raw = await self.transport.receive()
            if raw is None:
                self._gone = True
                return
            request = self._admit(connection, raw)
            if request is None:
                continue
            waiting = self._waiting
            if waiting is None:
                waiting = self._waiting = deque()
            if len(waiting) + 1 >= self.config.max_waiting:
                client_id, chat_id = _ids_of(request[1])
                connection.push(
                    error_frame(
                        ErrorCode.THROTTLED,
                        "Too many requests waiting; slow down.",
                        retry_after=1.0,
                        client_id=client_id,
                        chat_id=chat_id,
                    )
                )
                continue
            waiting.append(request)
            self.hub.handling += 1

    async def _finish_requests(self) -> None:
        """The socket is gone: what was read but not started is dropped (the client resends
        what it did not see acknowledged)."""
        meanwhile, self._meanwhile = self._meanwhile, None
        if meanwhile is not None:
            meanwhile.cancel()
            with contextlib.suppress(BaseException):
                await meanwhile
        waiting, self._waiting = self._waiting, None
        for _ in waiting or ():
            self.hub.frame_done()

    async def _handle(self, connection: Connection, kind: str, data: msgspec.Struct) -> None:
        user_id = connection.user_id
        # The request an error frame answers, for the client to match it up.
        client_id: str | None = None
        chat_id: int | None = None
        try:
            if isinstance(data, SendMessageRequest):
                client_id, chat_id = data.client_id, data.chat_id
                result = await self.messenger.post_message(
                    user_id,
                    data.chat_id,
                    data.client_id,
                    data.text,
                    reply_to_id=data.reply_to_id,
                    attachment_ids=data.attachment_ids,
                    forward_of=data.forward_of,
                )
                connection.push(self.hub.frames.message_sent(data.client_id, result.message))
            elif isinstance(data, TypingRequest):
                chat_id = data.chat_id
                now = time.monotonic()
                sent = self._typing_sent
                if sent is None:
                    sent = self._typing_sent = {}
                if now - sent.get(data.chat_id, -1e9) >= self.config.typing_interval:
                    sent[data.chat_id] = now
                    await self.messenger.send_typing(user_id, data.chat_id)
            elif isinstance(data, MarkReadRequest):
                chat_id = data.chat_id
                # The ``messages_read`` event reaches this socket like every other member's.
                await self.messenger.mark_read(user_id, data.chat_id, data.message_id)
            elif isinstance(data, JoinChatRequest):
                chat_id = data.chat_id
                await self.messenger.open_chat(user_id, data.chat_id)
                connection.join(data.chat_id)
            elif isinstance(data, LeaveChatRequest):
                connection.leave(data.chat_id)
            elif isinstance(data, AckRequest):
                await self.messenger.acknowledge_delivery(user_id, data.cursor)
            elif isinstance(data, AuthRequest):
                await self._authenticate_again(connection, data.token)
        except DomainError as exc:
            connection.push(domain_error_frame(exc, client_id=client_id, chat_id=chat_id))
        except Exception:
            log.exception("Socket frame %r failed", kind)
            connection.push(
                error_frame(
                    ErrorCode.INTERNAL_ERROR,
                    "The request failed.",
                    client_id=client_id,
                    chat_id=chat_id,
                )
            )

    # --- helpers -----------------------------------------------------------------------------

    async def _send_quietly(self, data: bytes) -> None:
        with contextlib.suppress(Exception):
            await self.transport.send(data)

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.transport.close(code, reason), 1.0)


def _request_of(raw: str | bytes) -> tuple[str | None, int | None]:
    """The ``client_id`` and ``chat_id`` of a client frame, where it has them."""
    try:
        _, data = parse_frame(raw)
    except BadFrame:
        return None, None
    return _ids_of(data)


def _ids_of(data: msgspec.Struct) -> tuple[str | None, int | None]:
    if isinstance(data, SendMessageRequest):
        return data.client_id, data.chat_id
    if isinstance(data, TypingRequest | MarkReadRequest | JoinChatRequest | LeaveChatRequest):
        return None, data.chat_id
    return None, None


def _loop_deadline(expires_at: datetime | None) -> float | None:
    """A token's expiry as an event-loop time, to wait until."""
    if expires_at is None:
        return None
    return asyncio.get_running_loop().time() + (expires_at.timestamp() - time.time())
