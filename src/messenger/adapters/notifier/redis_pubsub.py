"""Fan-out across server processes over Redis pub/sub.

Every process publishes the notifications of the changes it committed on one channel and
delivers every notification it reads from that channel to its own listeners (the socket
hub). What travels is what clients receive: each notification's frame, encoded once by the
process that published it, with its recipients and feed position; the other processes
pass the bytes on to their sockets without decoding them.

Publishing never holds up the caller (the group-commit writer settles posts only after it
returns): deliveries go to a bounded queue that one background task sends, each round
bounded in time, so a stalled Redis (paused, or a partition without a reset) costs other
processes their pushes, never a write its latency. When the queue is full, the newest
deliveries are dropped and counted.

Pub/sub is fire-and-forget: a process that is disconnected from Redis misses what is
published meanwhile, and a publish that fails is not retried. Nothing is lost for clients
though, because every feed event is also in the database: the socket hub notices the hole
in the (contiguous) feed positions and refills its connections from the feed, and clients
catch up with ``GET /api/v1/sync`` after a reconnect. Ephemeral events (typing, presence)
may be lost during a Redis outage, which is acceptable for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from messenger.adapters.codec import decode_delivery, encode_delivery
from messenger.adapters.fanout import DeliveryFanOut
from messenger.domain.events import Notification
from messenger.domain.ports import DeliveryEncoder, EventStream, Listener
from messenger.metrics import Metrics

log = logging.getLogger(__name__)

DEFAULT_CHANNEL = "messenger:notifications"  # MESSENGER_BROKER_URL may set ``?channel=``
_ORIGIN_LEN = 16  # bytes of the hex process tag in front of every payload
_PUBLISH_BATCH = 500  # deliveries sent in one pipeline at most
_LOG_EVERY = 30.0  # seconds between two warnings about the same trouble


def split_channel(url: str, default: str = DEFAULT_CHANNEL) -> tuple[str, str]:
    """``redis://host/0?channel=name`` -> (``redis://host/0``, ``name``): deployments that
    share one Redis keep apart by channel (pub/sub ignores the database number)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    channel = next((v for k, v in query if k == "channel" and v), default)
    rest = urlencode([(k, v) for k, v in query if k != "channel"])
    return urlunsplit(parts._replace(query=rest)), channel


class RedisNotifier:
    """The ``Notifier`` port over Redis pub/sub, and (``deliveries``) its ``EventStream``.

    ``encode`` makes each notification's delivery once, when it is published. Deliveries
    go to this process's ``deliveries`` listeners at once (no round trip through Redis) and
    to Redis for the other processes; a process skips its own messages when they come back.
    ``subscribe``d listeners get this process's notifications as they are (domain events).
    Call ``start()`` before serving and ``stop()`` at shutdown.
    """

    def __init__(
        self,
        url: str,
        encode: DeliveryEncoder,
        *,
        channel: str = DEFAULT_CHANNEL,
        reconnect_delay: float = 0.2,
        max_reconnect_delay: float = 5.0,
        publish_timeout: float = 2.0,
        max_pending: int = 50_000,
        metrics: Metrics | None = None,
    ) -> None:
        self._url, self._channel = split_channel(url, channel)
        self._reconnect_delay = reconnect_delay
        self._max_reconnect_delay = max_reconnect_delay
        # Tags this process's own messages so it does not deliver them twice.
        self._origin = secrets.token_hex(_ORIGIN_LEN // 2).encode()
        self._encode = encode
        self._listeners: list[Listener] = []
        self._deliveries = DeliveryFanOut(on_error=self._listener_failed)
        self._client: aioredis.Redis | None = None
        self._reader: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._publish_timeout = publish_timeout
        self._pending: asyncio.Queue[bytes] = asyncio.Queue(max_pending)
        self._publisher: asyncio.Task[None] | None = None
        self._warned_at: dict[str, float] = {}
        self.errors = 0  # listener failures, for tests and metrics
        self.publish_failures = 0
        self.dropped = 0  # deliveries never sent because the queue was full
        self.reconnects = 0
        if metrics is not None:
            self._register(metrics)

    def _register(self, metrics: Metrics) -> None:
        metrics.counter(
            "messenger_broker_reconnects",
            "Times the broker subscription was lost and retried",
            lambda: self.reconnects,
        )
        metrics.gauge(
            "messenger_broker_connected",
            "1 while the broker subscription is live",
            lambda: 1 if self.connected else 0,
        )
        metrics.gauge(
            "messenger_broker_queue_length",
            "Deliveries waiting to be published to the broker",
            self._pending.qsize,
        )
        metrics.counter(
            "messenger_broker_dropped",
            "Deliveries never published because the broker queue was full",
            lambda: self.dropped,
        )
        metrics.counter(
            "messenger_broker_publish_failures",
            "Publishes to the broker that failed",
            lambda: self.publish_failures,
        )

    # --- lifecycle ---------------------------------------------------------------------------

    def _listener_failed(self) -> None:
        self.errors += 1

    async def start(self, wait: float = 5.0) -> None:
        """Connect and subscribe; waits up to ``wait`` seconds for the subscription, then goes on
        (the reader keeps retrying in the background)."""
        if self._reader is not None:
            return
        self._client = aioredis.Redis.from_url(
            self._url,
            socket_connect_timeout=2.0,
            socket_keepalive=True,
            # Makes a pub/sub connection that silently died raise instead of hanging.
            health_check_interval=15,
        )
        self._reader = asyncio.create_task(self._read_forever(), name="redis-notifier-reader")
        self._publisher = asyncio.create_task(
            self._publish_forever(), name="redis-notifier-publisher"
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), wait)
        if not self._subscribed.is_set():
            log.warning("Redis notifier: not subscribed yet; retrying in the background")

    async def stop(self, drain: float = 1.0) -> None:
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            # What is queued still goes out if Redis answers within ``drain`` seconds.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(drain):
                    await self._pending.join()
            publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await publisher
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
        self._subscribed.clear()

    @property
    def connected(self) -> bool:
        """Whether the subscription is live right now."""
        return self._subscribed.is_set()

    # --- ports -------------------------------------------------------------------------------

    @property
    def deliveries(self) -> EventStream:
        """Every process's notifications, encoded by the process that published them."""
        return self._deliveries

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    async def publish(self, notifications: Sequence[Notification]) -> None:
        if not notifications:
            return
        for notification in notifications:
            self._notify(notification)
        deliveries = []
        for notification in notifications:
            try:
                deliveries.append(self._encode(notification))
            except Exception:
                # The change is committed: failing the caller would only make it retry.
                self.errors += 1
                log.exception("Redis notifier: a notification could not be encoded")
        for delivery in deliveries:
            self._deliveries.dispatch(delivery)
        if self._publisher is None:
            return
        pending = self._pending
        for delivery in deliveries:
            try:
                pending.put_nowait(self._origin + encode_delivery(delivery))
            except asyncio.QueueFull:
                # Redis has not taken anything for a while. The change is committed and in
                # the feed: other processes fill the hole from there.
                self.dropped += 1
                self._warn("full", "Redis notifier: queue full; deliveries dropped")

    async def _publish_forever(self) -> None:
        pending = self._pending
        while True:
            batch = [await pending.get()]
            while len(batch) < _PUBLISH_BATCH and not pending.empty():
                batch.append(pending.get_nowait())
            try:
                await self._send(batch)
            finally:
                for _ in batch:
                    pending.task_done()

    async def _send(self, payloads: list[bytes]) -> None:
        client = self._client
        if client is None:
            return
        try:
            # Bounded: a stalled Redis must not hold what is queued behind forever.
            async with asyncio.timeout(self._publish_timeout):
                async with client.pipeline(transaction=False) as pipe:
                    for payload in payloads:
                        pipe.publish(self._channel, payload)
                    await pipe.execute()
        except (RedisError, OSError, TimeoutError):
            # The changes are committed and in the feed; other processes fill the hole from
            # there. Failing the caller's request would only have made a client resend.
            self.publish_failures += 1
            self._warn("publish", "Redis notifier: publish failed; others catch up from the feed")

    def _warn(self, key: str, message: str) -> None:
        # One line per incident, not one per delivery.
        now = time.monotonic()
        if now - self._warned_at.get(key, -_LOG_EVERY) >= _LOG_EVERY:
            self._warned_at[key] = now
            log.warning(message)

    async def flushed(self) -> None:
        """Until every delivery queued so far was sent (or given up on)."""
        await self._pending.join()

    def _notify(self, notification: Notification) -> None:
        for listener in list(self._listeners):
            try:
                listener(notification)
            except Exception:
                self.errors += 1
                log.exception("Notification listener failed")

    # --- reading -----------------------------------------------------------------------------

    async def _read_forever(self) -> None:
        delay = self._reconnect_delay
        while True:
            client = self._client
            if client is None:
                return
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                self._subscribed.set()
                delay = self._reconnect_delay
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        self._receive(message["data"])
            except (RedisError, OSError) as exc:
                self._subscribed.clear()
                self.reconnects += 1
                log.warning("Redis notifier: connection lost (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_reconnect_delay)
            finally:
                self._subscribed.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _receive(self, data: bytes) -> None:
        if data[:_ORIGIN_LEN] == self._origin:
            return
        try:
            delivery = decode_delivery(data[_ORIGIN_LEN:])
        except Exception:
            # A message from a newer or foreign publisher must not kill the reader.
            log.exception("Redis notifier: undecodable message skipped")
            return
        self._deliveries.dispatch(delivery)
