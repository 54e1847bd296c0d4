"""The connection hub: which sockets this process holds, and what each must be sent.

Encoding. What the hub receives from its event stream are deliveries: each notification's
frame, already encoded (once, by the process that published it, see ``EventStream``), with
its recipients and feed position. The hub pushes those bytes to the sockets of the
recipients it holds and encodes nothing itself, except frames it reads from the feed to
fill a hole.

Ordering. Feed positions are contiguous and every committed feed event is published, but
notifications can arrive out of position order (two writers publish independently, across
processes through the broker) or not at all (a process died between commit and publish, the
broker connection dropped). The hub therefore releases feed notifications strictly in
position order: a notification ahead of the next expected position waits in a reorder
buffer; if the missing position does not arrive within ``gap_timeout`` (or the periodic
look at the feed head shows positions that were never announced), the hub reads what its
connections missed from the feed itself and continues after the head. So every socket sees
its feed events in ascending cursor order without holes, and a client's last seen cursor is
always a safe point to ``sync`` from after a reconnect.

Each connection has a bounded outbound queue and its own writer task, both existing only
while frames wait to go out (most sockets are idle most of the time, and a writer task
waiting on an empty queue, or an empty queue, cost memory on each): a slow or stuck client
only fills its own queue, and when that overflows the socket is closed with 1013 so the
client reconnects and catches up with ``sync``.

Open chats. A socket may say which chats are open on it (``join_chat``, ``leave_chat``):
``Connection.joined``, ``None`` on the many sockets that open none. A delivery with an
``open_chat`` (typing in a chat bigger than ``Limits.typing_joined_above``, decided by the
domain when it publishes) goes only to its recipients' sockets that have that chat open;
every other delivery goes to all of their sockets, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from messenger.domain.errors import DomainError, ResyncRequired
from messenger.domain.events import ChatCreated, Delivery, MemberAdded
from messenger.domain.ports import EventStream, PresenceRegistry
from messenger.domain.service import Messenger
from messenger.entrypoints.ws.protocol import (
    CLOSE_RESTART,
    CLOSE_SESSION_REVOKED,
    CLOSE_TRY_AGAIN,
    FrameEncoder,
)
from messenger.metrics import LATENCY_BUCKETS, Histogram, Metrics

log = logging.getLogger(__name__)


class Transport(Protocol):
    """The socket as the hub and the session need it (a Litestar ``WebSocket`` adapter in
    production, a fake in unit tests)."""

    async def receive(self) -> str | bytes | None:
        """The next frame; ``None`` once the peer has gone."""

    async def send(self, data: bytes) -> None: ...

    # Optional (looked up once per connection): ``send_now(data) -> bool`` writes a frame
    # synchronously when the socket can take it at once, False (nothing written) otherwise.

    async def close(self, code: int, reason: str = "") -> None: ...


@dataclass(frozen=True)
class HubConfig:
    """Tuning of the hub; the defaults suit a company-sized deployment."""

    queue_size: int = 1000  # frames a connection may lag behind before it is dropped
    # ... and bytes: with the socket's send buffer kept small (``CompactWebSocketProtocol``)
    # this bounds what a client that stopped reading holds on the server.
    queue_bytes: int = 1 << 20
    gap_timeout: float = 1.0  # how long a missing feed position is waited for
    head_poll_interval: float = 5.0  # how often the feed head is compared with what we saw
    # How long a close frame may take to go out; a stuck client never takes it, and its
    # buffers are held meanwhile.
    close_timeout: float = 5.0
    max_reorder_buffer: int = 10_000
    # How long an ended session is remembered, for a socket that authenticated with it just
    # before the news arrived (another process may trust a session a few seconds longer).
    ended_memory: float = 60.0
    # A new chat's members are introduced to each other (who is online) up to this size:
    # beyond it the frames grow with the square of the members.
    introduce_max_members: int = 100
    # How long a socket's ``ready`` waits for the presence registry (Redis) to say which
    # chat-mates are online elsewhere; a stalled registry must not hold up its pushes.
    registry_timeout: float = 0.5


# (feed position, frame, when its delivery reached the hub: 0.0 when nobody measures it)
_Item = tuple[int | None, bytes, float]
_WARN_EVERY_S = 30.0

# Chats one socket may have open at once (``join_chat``): a client that never sends
# ``leave_chat`` cannot grow a socket's memory without bound.
MAX_JOINED_CHATS = 32


class Connection:
    """One authenticated socket: its outbound queue, its writer task and its cursor."""

    # Thousands of these live for hours, most of them idle: no instance dict, and the
    # queue and the writer task exist only while there is something to send.
    __slots__ = (
        "_close_timeout",
        "_closing",
        "_floor",
        "_latency",
        "_queue",
        "_queue_bytes",
        "_queue_size",
        "_queued_bytes",
        "_send_now",
        "_writer",
        "_writing",
        "close_code",
        "closed",
        "cursor",
        "joined",
        "reading",
        "ready",
        "session_id",
        "transport",
        "user_id",
    )

    def __init__(
        self,
        user_id: int,
        transport: Transport,
        queue_size: int,
        close_timeout: float = 5.0,
        session_id: str = "",
        queue_bytes: int = 0,
        latency: Histogram | None = None,
    ) -> None:
        self.user_id = user_id
        # The session the socket authenticated with (it may change when the client
        # authenticates again on the open socket): revoking it closes the socket.
        self.session_id = session_id
        self.transport = transport
        send_now = getattr(transport, "send_now", None)
        self._send_now: Callable[[bytes], bool] | None = send_now
        self._queue: deque[_Item] | None = None
        self._queue_size = queue_size
        self._queue_bytes = queue_bytes
        self._queued_bytes = 0
        # The highest feed position handed to this connection (or known to be covered by
        # the ``ready`` cursor or a refill from the feed): later arrivals at or below it
        # are duplicates.
        self.cursor = 0
        self.ready = False
        self._floor = 0  # feed frames queued before ``ready`` at or below this are stale
        self.closed = False
        self.close_code: int | None = None
        # The session's wait for the next frame, while it waits: ``close`` expires it, so
        # the session stops reading at once without a task of its own watching for it.
        self.reading: asyncio.Timeout | None = None
        self._writer: asyncio.Task[None] | None = None
        self._writing = False  # the session said the ``ready`` frame is out
        self._closing: asyncio.Task[None] | None = None
        self._close_timeout = close_timeout
        # The chats open on this socket (``join_chat``), in the order they were opened;
        # ``None`` for the many sockets that open none (an empty dict costs ~64 bytes).
        self.joined: dict[int, None] | None = None
        # Where the time from a delivery's arrival to its frame's write goes (metrics on).
        self._latency = latency

    def join(self, chat_id: int) -> None:
        """The chat is open on this socket; the oldest of too many is taken as closed."""
        joined = self.joined
        if joined is None:
            joined = self.joined = {}
        joined.pop(chat_id, None)
        joined[chat_id] = None
        if len(joined) > MAX_JOINED_CHATS:
            del joined[next(iter(joined))]

    def leave(self, chat_id: int) -> None:
        """The chat is no longer open on this socket."""
        joined = self.joined
        if joined is not None:
            joined.pop(chat_id, None)
            if not joined:
                self.joined = None

    def push(self, data: bytes, position: int | None = None, stamp: float = 0.0) -> None:
        """Queue a frame; never blocks. Overflow closes the connection (1013).

        ``stamp``: when the frame's delivery reached the hub (``time.monotonic()``), to
        measure delivery latency; 0.0 for frames nobody measures."""
        if self.closed:
            return
        if position is not None:
            if self.ready and position <= self.cursor:
                return
            self.cursor = max(self.cursor, position)
        queue = self._queue
        if not queue and self._writing and self._writer is None and self._send_now is not None:
            # Nothing waits before this frame: written at once where the socket takes it,
            # without a writer task (a frame to thousands of idle sockets is thousands of
            # tasks otherwise). The writer's own checks, in the same order.
            if position is not None and position <= self._floor:
                return
            try:
                sent = self._send_now(data)
            except Exception:
                self.close(CLOSE_TRY_AGAIN, "send failed")
                return
            if sent:
                if stamp and self._latency is not None:
                    self._latency.observe(time.monotonic() - stamp)
                return
        if queue is None:
            queue = self._queue = deque()
        if len(queue) >= self._queue_size > 0 or self._queued_bytes > self._queue_bytes > 0:
            self.close(CLOSE_TRY_AGAIN, "too slow; reconnect and sync")
            return
        queue.append((position, data, stamp))
        self._queued_bytes += len(data)
        if self._writing and self._writer is None:
            self._start_task()

    def mark_ready(self, cursor: int) -> None:
        """From now on the client holds everything up to ``cursor`` (it syncs to it)."""
        self._floor = cursor
        self.cursor = max(self.cursor, cursor)
        self.ready = True

    def start_writer(self) -> None:
        """Frames queued from now on go out (those queued meanwhile first)."""
        self._writing = True
        if self._queue and self._writer is None and not self.closed:
            self._start_task()

    def _start_task(self) -> None:
        self._writer = asyncio.create_task(self._write_loop(), name=f"ws-writer-{self.user_id}")

    async def _write_loop(self) -> None:
        queue = self._queue
        assert queue is not None
        try:
            while queue:
                position, data, stamp = queue.popleft()
                self._queued_bytes -= len(data)
                if position is not None and position <= self._floor:
                    continue
                await self.transport.send(data)
                if stamp:
                    latency = self._latency
                    if latency is not None:
                        latency.observe(time.monotonic() - stamp)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The peer is gone; the session stops reading when the connection closes.
            self.close(CLOSE_TRY_AGAIN, "send failed")
        finally:
            # No await between the empty check and here: a push cannot slip in between.
            if self._writer is asyncio.current_task():
                self._writer = None
                if not queue:
                    # An empty deque still holds a ~1 KiB block: an idle socket keeps none.
                    self._queue = None

    def close(self, code: int, reason: str = "") -> None:
        """Close once, without waiting for a writer that may be stuck on a full socket."""
        if self.closed:
            return
        self.close_code = code
        self.closed = True
        reading = self.reading
        if reading is not None and not reading.expired():
            reading.reschedule(asyncio.get_running_loop().time())
        self._closing = asyncio.create_task(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        writer = self._writer
        if writer is not None and writer is not asyncio.current_task():
            writer.cancel()
            with contextlib.suppress(BaseException):
                await writer
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self._close_timeout):
                await self.transport.close(code, reason)

    def gone(self) -> None:
        """The peer disconnected on its own: stop writing, nothing to send."""
        if not self.closed:
            self.closed = True
            if self._writer is not None:
                self._writer.cancel()

    async def wait_closed(self) -> None:
        """Until the close frame went out (or gave up) and the writer stopped."""
        if self._closing is not None:
            with contextlib.suppress(BaseException):
                await self._closing
        if self._writer is not None:
            with contextlib.suppress(BaseException):
                await self._writer

    @property
    def backlog(self) -> int:
        return len(self._queue) if self._queue is not None else 0

    async def flushed(self) -> None:
        """Until what is queued now has been written (or the connection closed)."""
        while self._writer is not None and not self.closed:
            with contextlib.suppress(BaseException):
                await asyncio.shield(self._writer)


class ConnectionHub:
    """Routes every delivery to the sockets of its recipients held by this process."""

    def __init__(
        self,
        messenger: Messenger,
        events: EventStream,
        frames: FrameEncoder,
        config: HubConfig | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        metrics: Metrics | None = None,
        presence: PresenceRegistry | None = None,
    ) -> None:
        self.messenger = messenger
        # Who is online on any process (default: the messenger's); None: this process's
        # sockets alone decide, as with a single process.
        self.registry = presence if presence is not None else messenger.presence
        self.frames = frames
        self.config = config or HubConfig()
        self._events = events
        self._now = monotonic
        self._users: dict[int, set[Connection]] = {}
        # Each delivery with when it arrived (0.0 unless metrics are on).
        self._inbox: asyncio.Queue[tuple[Delivery, float]] = asyncio.Queue()
        self._unsubscribe: Callable[[], None] | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._presence: dict[int, asyncio.Task[None]] = {}
        self.accepting = False
        # Reorder state: the next feed position to release and what arrived ahead of it.
        self._next = 1
        self._ahead: dict[int, tuple[Delivery, float]] = {}
        self._waiting_since: float | None = None
        self._seen_head = 0
        # A refill from the feed excludes connections that are getting ready at that moment
        # (they read their ``ready`` cursor after it instead).
        self._readying = 0
        self._no_refill = asyncio.Event()
        self._no_refill.set()
        self._idle_readies = asyncio.Condition()
        # The next shared read of the feed head for ``ready`` (not started yet), and the
        # task that does those reads while sockets wait for them.
        self._next_head_read: asyncio.Future[int] | None = None
        self._head_reader: asyncio.Task[None] | None = None
        self.refills = 0
        self.dispatcher_failures = 0
        # Client frames being handled now, and what ``drain`` waits on until they are done.
        self.handling = 0
        self._handled: asyncio.Event | None = None
        # Sessions ended lately (session id -> when we heard), oldest first.
        self._ended: dict[str, float] = {}
        self._warned: dict[str, float] = {}
        self._latency: Histogram | None = None
        if metrics is not None:
            self._register(metrics)

    def _register(self, metrics: Metrics) -> None:
        self._latency = metrics.histogram(
            "messenger_delivery_latency_seconds",
            "From a delivery reaching this process's hub (right after its commit, or off the "
            "broker) to its frame written to a socket",
            LATENCY_BUCKETS,
        )
        metrics.gauge(
            "messenger_sockets_open", "Authenticated sockets open", lambda: self.connection_count
        )
        metrics.gauge(
            "messenger_socket_users", "Users with a socket open", lambda: len(self._users)
        )
        metrics.gauge(
            "messenger_feed_head", "Newest feed position the hub knows of", self.known_head
        )
        metrics.gauge(
            "messenger_hub_lag",
            "Feed positions the hub knows of but has not released to sockets yet",
            lambda: max(self.known_head() - (self._next - 1), 0),
        )
        metrics.counter(
            "messenger_hub_refills",
            "Times the hub read missed events from the feed",
            lambda: self.refills,
        )
        metrics.counter(
            "messenger_hub_dispatcher_failures",
            "Times the hub's dispatcher failed and resumed",
            lambda: self.dispatcher_failures,
        )

    def known_head(self) -> int:
        """The newest feed position the hub has seen (announced, or read by its last look
        at the feed)."""
        return max(self._seen_head, max(self._ahead, default=0))

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe to the event stream and start releasing notifications."""
        if self._dispatcher is not None:
            return
        put = self._inbox.put_nowait
        if self._latency is None:
            self._unsubscribe = self._events.subscribe(lambda delivery: put((delivery, 0.0)))
        else:
            now = time.monotonic
            self._unsubscribe = self._events.subscribe(lambda delivery: put((delivery, now())))
        try:
            head = await self.head()
        except DomainError:
            head = 0  # storage down at start: the first refill sets things right
            log.warning("Socket hub: feed head unknown at start")
        self._next = head + 1
        self._seen_head = head
        self._dispatcher = asyncio.create_task(self._supervise(), name="ws-hub-dispatcher")
        self.accepting = True

    def frame_done(self) -> None:
        """A session finished handling a client frame (its answer is queued)."""
        self.handling -= 1
        if self.handling == 0 and self._handled is not None:
            self._handled.set()

    async def drain(self, grace: float = 5.0) -> None:
        """Before a shutdown: take no new sockets or frames, let the frames being handled
        finish and their answers (``message_sent``) go out, then close every socket with
        1012, all within ``grace`` seconds. A send that committed is acknowledged, so the
        client does not have to find out by resending it."""
        self.accepting = False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        if self.handling:
            self._handled = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(deadline):
                    await self._handled.wait()
        connections = [c for conns in self._users.values() for c in conns]
        flushes = [asyncio.ensure_future(c.flushed()) for c in connections if c.backlog]
        if flushes:
            await asyncio.wait(flushes, timeout=max(deadline - loop.time(), 0.0))
            for flush in flushes:
                flush.cancel()
        for connection in connections:
            connection.close(CLOSE_RESTART, "server restarting")

    async def stop(self, code: int = CLOSE_RESTART, grace: float = 5.0) -> None:
        """Close every socket (1012 by default) and stop dispatching."""
        self.accepting = False
        connections = [c for conns in self._users.values() for c in conns]
        for connection in connections:
            connection.close(code, "server restarting")
        waits = [c.wait_closed() for c in connections]
        if waits:
            await asyncio.wait([asyncio.ensure_future(w) for w in waits], timeout=grace)
        pending = [t for t in (*self._tasks, *self._presence.values()) if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=grace)
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
            self._dispatcher = None

    async def head(self) -> int:
        """The newest committed feed position."""
        # ``since=None`` reads only the head; the user does not matter for it.
        return (await self.messenger.get_changes_since(0, None)).cursor

    # --- connections -------------------------------------------------------------------------

    def connect(self, user_id: int, transport: Transport, session_id: str = "") -> Connection:
        """Register a socket; it receives pushes from now on (queued until it is ready)."""
        config = self.config
        connection = Connection(
            user_id,
            transport,
            config.queue_size,
            config.close_timeout,
            session_id,
            config.queue_bytes,
            self._latency,
        )
        conns = self._users.setdefault(user_id, set())
        conns.add(connection)
        if len(conns) == 1:
            self._report_presence(user_id, online=True)
        if self.session_ended(session_id):
            connection.close(CLOSE_SESSION_REVOKED, "session_revoked")
        return connection

    def session_ended(self, session_id: str) -> bool:
        """Whether this process heard lately that the session was revoked."""
        return session_id in self._ended

    async def make_ready(self, connection: Connection) -> int:
        """Read the cursor for the ``ready`` frame and start the connection's writer."""
        await self._no_refill.wait()
        self._readying += 1
        try:
            cursor = await self._head_for_ready()
            connection.mark_ready(cursor)
        finally:
            self._readying -= 1
            async with self._idle_readies:
                self._idle_readies.notify_all()
        return cursor

    async def _head_for_ready(self) -> int:
        """The feed head, read after this call began: sockets getting ready at once share
        one read (a storm of connects is otherwise a storm of head reads).

        After this call began is what makes the cursor safe: the connection is registered
        by then, so every event released after the read started reaches it, and every one
        released before is at or below the head read. A read already under way may have
        started before the registration: callers wait for the next one instead."""
        waiting = self._next_head_read
        if waiting is None:
            waiting = self._next_head_read = asyncio.get_running_loop().create_future()
            if self._head_reader is None:
                self._head_reader = asyncio.create_task(self._read_heads())
        # Shielded: a cancelled caller must not cancel the read the others wait for.
        return await asyncio.shield(waiting)

    async def _read_heads(self) -> None:
        try:
            while (waiting := self._next_head_read) is not None:
                self._next_head_read = None  # who comes from now on waits for the next read
                try:
                    head = await self.head()
                except Exception as exc:
                    if not waiting.done():
                        waiting.set_exception(exc)
                    # Retrieved here, so a future nobody awaits any more is not logged.
                    waiting.exception()
                else:
                    if not waiting.done():
                        waiting.set_result(head)
        finally:
            self._head_reader = None

    def disconnect(self, connection: Connection) -> None:
        conns = self._users.get(connection.user_id)
        if conns is None or connection not in conns:
            return
        conns.discard(connection)
        if not conns:
            del self._users[connection.user_id]
            self._report_presence(connection.user_id, online=False)

    def online_among(self, user_ids: set[int]) -> set[int]:
        """Which of these users have a socket on this process."""
        return {uid for uid in user_ids if uid in self._users}

    async def online_anywhere(self, user_ids: set[int]) -> set[int]:
        """Which of these users have a socket on any process (this one's alone if the
        registry cannot be asked)."""
        here = self.online_among(user_ids)
        registry, elsewhere = self.registry, user_ids - here
        if registry is None or not elsewhere:
            return here
        try:
            async with asyncio.timeout(self.config.registry_timeout):
                return here | await registry.online_among(elsewhere)
        except Exception as exc:
            self._warn("presence-registry", "Presence registry unreachable: %r", exc)
            return here

    def connections_of(self, user_id: int) -> frozenset[Connection]:
        return frozenset(self._users.get(user_id, ()))

    @property
    def connection_count(self) -> int:
        return sum(len(c) for c in self._users.values())

    @property
    def online_count(self) -> int:
        """Users with at least one socket on this process."""
        return len(self._users)

    def _report_presence(self, user_id: int, *, online: bool) -> None:
        # Reports for one user run one after the other so that a quick reconnect cannot
        # end as "offline" because the two reports overtook each other.
        previous = self._presence.get(user_id)

        async def report() -> None:
            if previous is not None:
                with contextlib.suppress(BaseException):
                    await previous
            try:
                if await self._changed_everywhere(user_id, online=online):
                    await self.messenger.report_presence(user_id, online)
            except DomainError as exc:
                # Storage down: every connect and disconnect fails alike; say it once.
                self._warn("presence", "Presence reports fail: %s", exc.message)
            except Exception:
                log.exception("Presence report for user %s failed", user_id)

        task = asyncio.create_task(report())
        self._presence[user_id] = task
        task.add_done_callback(
            lambda t: (
                self._presence.pop(user_id, None) if self._presence.get(user_id) is t else None
            )
        )

    async def _changed_everywhere(self, user_id: int, *, online: bool) -> bool:
        """Whether this process's first (or last) socket of the user changes whether the
        user is online at all: sockets on other processes may keep them online."""
        registry = self.registry
        if registry is None:
            return True
        try:
            return await (registry.came(user_id) if online else registry.left(user_id))
        except Exception as exc:
            # Unreachable registry: report as a single process would; a duplicate or a
            # premature "offline" is less harm than presence frozen.
            self._warn("presence-registry", "Presence registry unreachable: %r", exc)
            return True

    async def _report_orphans(self) -> None:
        """Report offline the users whose sockets were on a process that stopped without
        saying (the registry hands each to one process)."""
        registry = self.registry
        if registry is None:
            return
        try:
            gone = await registry.orphans()
        except Exception as exc:
            self._warn("presence-registry", "Presence registry unreachable: %r", exc)
            return
        for user_id in sorted(gone - set(self._users)):
            try:
                await self.messenger.report_presence(user_id, False)
            except Exception:
                log.exception("Presence report for user %s failed", user_id)

    def spawn(self, work: Awaitable[None]) -> None:
        """Run background work the hub waits for at shutdown."""

        async def run() -> None:
            await work

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- dispatching -------------------------------------------------------------------------

    async def _supervise(self) -> None:
        """Run the dispatcher; if it fails (a bug, an unexpected storage error), log it,
        back off, and go on from the feed: sockets must never stay open without pushes."""
        delay = 0.1
        while True:
            started = self._now()
            try:
                await self._dispatch_forever()
            except Exception:
                self.dispatcher_failures += 1
                if self._now() - started > 60:
                    delay = 0.1  # a failure long after the last one starts over
                log.exception("Socket hub: dispatcher failed; resuming in %.1f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                # What was in hand when it failed is refilled from the feed at once.
                self._waiting_since = self._now() - self.config.gap_timeout

    async def _dispatch_forever(self) -> None:
        next_poll = self._now() + self.config.head_poll_interval
        while True:
            timeout = next_poll - self._now()
            if self._waiting_since is not None:
                timeout = min(timeout, self._waiting_since + self.config.gap_timeout - self._now())
            # asyncio.timeout rather than wait_for: 3.11's wait_for can swallow a cancel.
            try:
                async with asyncio.timeout(max(timeout, 0.0)):
                    arrived = await self._inbox.get()
            except TimeoutError:
                pass
            else:
                self._accept(*arrived)
                while not self._inbox.empty():
                    self._accept(*self._inbox.get_nowait())
            now = self._now()
            if now >= next_poll:
                next_poll = now + self.config.head_poll_interval
                await self._poll_head()
                if self.registry is not None:
                    self.spawn(self._report_orphans())
            if self._waiting_since is not None and (
                now - self._waiting_since >= self.config.gap_timeout
                or len(self._ahead) > self.config.max_reorder_buffer
            ):
                await self._refill()

    def _accept(self, delivery: Delivery, stamp: float) -> None:
        position = delivery.position
        if position is None:
            self._route(delivery, stamp)
            return
        if position < self._next:
            # Older than what was released (arrived after its gap was refilled from the
            # feed, or was committed before the hub started): connections drop what they
            # already have.
            self._route(delivery, stamp)
            return
        self._ahead[position] = (delivery, stamp)
        self._advance()

    def _advance(self) -> None:
        """Release the buffered notifications that are next in line."""
        released = False
        while self._next in self._ahead:
            self._route(*self._ahead.pop(self._next))
            self._next += 1
            released = True
        self._seen_head = max(self._seen_head, self._next - 1)
        if not self._ahead and self._seen_head < self._next:
            self._waiting_since = None
        elif released or self._waiting_since is None:
            self._waiting_since = self._now()

    def _route(self, delivery: Delivery, stamp: float = 0.0) -> None:
        if delivery.ends_sessions:
            self._end_sessions(delivery)
            return
        frame, position, users = delivery.frame, delivery.position, self._users
        open_chat = delivery.open_chat
        if open_chat is not None:
            # Typing in a big chat: only the sockets where the chat is open.
            for user_id in delivery.recipients:
                for connection in users.get(user_id, ()):
                    joined = connection.joined
                    if joined is not None and open_chat in joined:
                        connection.push(frame, position, stamp)
            return
        if frame:  # a frameless delivery only introduces (PresenceRevealed)
            for user_id in delivery.recipients:
                for connection in users.get(user_id, ()):
                    connection.push(frame, position, stamp)
        if delivery.introduces:
            self._introduce(delivery.introduces, delivery.recipients)

    def _introduce(self, newcomers: frozenset[int], recipients: frozenset[int]) -> None:
        """New chat-mates learn which of each other are online, from the process that holds
        their sockets (every process does this for the users it holds).

        Each newcomer online here is announced to every other recipient; each other
        recipient online here to the newcomers only (members of a group already know of
        each other).
        """
        if len(newcomers) > 1 and len(recipients) > self.config.introduce_max_members:
            return
        users = self._users
        for user_id in recipients:
            if user_id not in users:
                continue
            audience = recipients if user_id in newcomers else newcomers
            to = audience - {user_id}
            if to:
                self.spawn(self._announce(user_id, to))

    async def _announce(self, user_id: int, to: frozenset[int]) -> None:
        try:
            await self.messenger.announce_presence(user_id, to)
        except DomainError as exc:
            self._warn("presence", "Presence reports fail: %s", exc.message)
        except Exception:
            log.exception("Presence announcement for user %s failed", user_id)

    def _warn(self, kind: str, message: str, *args: object) -> None:
        """One warning line per kind of trouble every 30 s, not one per socket."""
        now = self._now()
        if now - self._warned.get(kind, -_WARN_EVERY_S) >= _WARN_EVERY_S:
            self._warned[kind] = now
            log.warning(message, *args)

    def _end_sessions(self, delivery: Delivery) -> None:
        """Close every socket of the ended sessions (4001), and remember them for a while
        for a socket that is authenticating with one of them right now."""
        ended, now = delivery.ends_sessions, self._now()
        for session_id in ended:
            self._ended.pop(session_id, None)
            self._ended[session_id] = now
        horizon = now - self.config.ended_memory
        for session_id, heard in list(self._ended.items()):
            if heard > horizon:
                break
            del self._ended[session_id]
        for user_id in delivery.recipients:
            for connection in list(self._users.get(user_id, ())):
                if connection.session_id in ended:
                    connection.close(CLOSE_SESSION_REVOKED, "session_revoked")

    async def _poll_head(self) -> None:
        try:
            head = await self.head()
        except DomainError:
            return
        if head >= self._next and self._waiting_since is None:
            # Positions exist that nobody announced to this process (yet): give them the
            # usual time to arrive, then refill.
            self._waiting_since = self._now()
        self._seen_head = max(self._seen_head, head)

    async def _refill(self) -> None:
        """Bring every ready connection up to the feed head from storage, then go on."""
        self.refills += 1
        self._no_refill.clear()
        try:
            async with self._idle_readies:
                await self._idle_readies.wait_for(lambda: self._readying == 0)
            try:
                head = await self.head()
            except DomainError:
                log.warning("Socket hub: feed unreadable; asking clients to resync")
                self._release_ahead()
                for conns in list(self._users.values()):
                    for connection in list(conns):
                        connection.close(CLOSE_TRY_AGAIN, "resync")
                return
            log.info("Socket hub: refilling connections up to %s from the feed", head)
            introduced: dict[int, tuple[frozenset[int], frozenset[int]]] = {}
            for user_id, conns in list(self._users.items()):
                ready = [c for c in conns if c.ready and not c.closed]
                if ready:
                    await self._refill_user(user_id, ready, head, introduced)
            for newcomers, members in introduced.values():
                self._introduce(newcomers, members)
            # Everything up to ``head`` came from the feed; what is still on its way is
            # older and connections drop it.
            self._ahead = {p: n for p, n in self._ahead.items() if p > head}
            self._next = max(self._next, head + 1)
            self._seen_head = max(self._seen_head, head)
            self._waiting_since = None
            self._advance()
        finally:
            self._no_refill.set()

    def _release_ahead(self) -> None:
        for position in sorted(self._ahead):
            self._route(*self._ahead[position])
            self._next = max(self._next, position + 1)
        self._ahead.clear()
        self._waiting_since = None

    async def _refill_user(
        self,
        user_id: int,
        conns: list[Connection],
        head: int,
        introduced: dict[int, tuple[frozenset[int], frozenset[int]]],
    ) -> None:
        since = min(c.cursor for c in conns)
        try:
            changes = await self.messenger.get_changes_since(user_id, since)
        except (ResyncRequired, DomainError):
            for connection in conns:
                connection.close(CLOSE_TRY_AGAIN, "resync")
            return
        if changes.has_more:
            # Too far behind for a push: the client pages through ``sync`` itself.
            for connection in conns:
                connection.close(CLOSE_TRY_AGAIN, "resync")
            return
        for entry in changes.entries:
            data = self.frames.event(entry.event, entry.position)
            for connection in conns:
                connection.push(data, entry.position)
            event = entry.event
            if event.introduces and isinstance(event, ChatCreated | MemberAdded):
                # Its delivery was not routed here (it came from the feed): introduce now.
                introduced[entry.position] = (
                    event.introduces,
                    frozenset(m.membership.user_id for m in event.members),
                )
        for connection in conns:
            connection.cursor = max(connection.cursor, changes.cursor, head)
