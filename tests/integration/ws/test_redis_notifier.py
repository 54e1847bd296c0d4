"""The Redis notifier on a real Redis: fan-out, no echo, and recovery from a lost link."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio as aioredis

from messenger.adapters.notifier import RedisNotifier
from messenger.adapters.notifier.redis_pubsub import split_channel
from messenger.contract import Wire
from messenger.domain.events import Delivery, Notification, UserTyping
from tests.integration.ws.conftest import redis_url

pytestmark = pytest.mark.integration


@pytest.fixture
async def pair() -> AsyncIterator[tuple[RedisNotifier, RedisNotifier, str]]:
    url = redis_url()
    encode = Wire().delivery
    one = RedisNotifier(url, encode, reconnect_delay=0.05)
    two = RedisNotifier(url, encode, reconnect_delay=0.05)
    await one.start()
    await two.start()
    yield one, two, url
    await one.stop()
    await two.stop()


def typing(n: int) -> Notification:
    return Notification(UserTyping(chat=n, user_id=1), frozenset({1, 2}))


def chat_of(delivery: Delivery) -> int:
    chat_id: int = json.loads(delivery.frame)["data"]["chat_id"]
    return chat_id


async def until(check: Callable[[], bool], within: float = 5.0) -> None:
    """Poll: the notifier's state changes in its background reader, with no event to wait on."""
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_each_process_delivers_its_own_and_the_others_notifications_once(
    pair: tuple[RedisNotifier, RedisNotifier, str],
) -> None:
    one, two, _ = pair
    seen_one: list[Delivery] = []
    seen_two: list[Delivery] = []
    one.deliveries.subscribe(seen_one.append)
    two.deliveries.subscribe(seen_two.append)

    await one.publish([typing(1), typing(2)])
    await two.publish([typing(3)])

    await until(lambda: len(seen_one) == 3 and len(seen_two) == 3)
    await asyncio.sleep(0.1)
    assert [chat_of(d) for d in seen_one] == [1, 2, 3]
    assert sorted(chat_of(d) for d in seen_two) == [1, 2, 3]
    # What another process receives is the frame the publisher encoded, as it was.
    assert next(d for d in seen_two if chat_of(d) == 1) == Wire().delivery(typing(1))


async def test_the_reader_resubscribes_after_redis_drops_the_connection(
    pair: tuple[RedisNotifier, RedisNotifier, str],
) -> None:
    one, two, url = pair
    seen: list[Delivery] = []
    two.deliveries.subscribe(seen.append)
    bare, _ = split_channel(url)
    admin = aioredis.Redis.from_url(bare)
    try:
        await admin.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
    finally:
        await admin.aclose()

    await until(lambda: two.reconnects >= 1 and two.connected and one.connected)
    await one.publish([typing(7)])
    await until(lambda: [chat_of(d) for d in seen] == [7])
