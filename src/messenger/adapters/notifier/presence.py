"""Presence across server processes, in Redis.

Each process keeps the set of users it holds sockets of (``<prefix>:users:<process>``) and
a heartbeat key with a TTL (``<prefix>:alive:<process>``, refreshed every third of it);
``<prefix>:procs`` lists the processes. A user is online while the set of some *live*
process (heartbeat present) holds them: the union of live processes' sets. So a process
killed without cleaning up stops counting when its heartbeat expires, without anyone
having to notice first; the first process that does (``orphans``, polled by each hub)
claims the dead one's set and reports offline those of its users no live process holds.

Why per-process sets and not a counter per user: a counter cannot tell whose increments a
dead process leaves behind, and would count a user online forever. Why Lua: "add myself,
then look whether another live process holds the user" must be one step, or two processes
gaining or losing a user's sockets at once could both decide "someone else has them" and
nobody would report the change. Duplicate reports (both decide "only me") are harmless:
presence frames set a state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Iterable

import redis.asyncio as aioredis

from messenger.adapters.notifier.redis_pubsub import DEFAULT_CHANNEL, split_channel

log = logging.getLogger(__name__)

# Seconds a process that stopped heartbeating still counts: its sockets' users show online
# that long after a crash (a clean stop says so at once). Refreshed every third of it.
DEFAULT_TTL = 15.0

# Shared part of the scripts: the live processes other than ARGV[2] that hold user ``u``.
_HELD_ELSEWHERE = """
local function held_elsewhere(p, me, u)
  for _, pid in ipairs(redis.call('SMEMBERS', p .. ':procs')) do
    if pid ~= me and redis.call('EXISTS', p .. ':alive:' .. pid) == 1
        and redis.call('SISMEMBER', p .. ':users:' .. pid, u) == 1 then
      return true
    end
  end
  return false
end
"""
_CAME = (
    _HELD_ELSEWHERE
    + """
redis.call('SADD', ARGV[1] .. ':users:' .. ARGV[2], ARGV[3])
if held_elsewhere(ARGV[1], ARGV[2], ARGV[3]) then return 0 end
return 1
"""
)
_LEFT = (
    _HELD_ELSEWHERE
    + """
redis.call('SREM', ARGV[1] .. ':users:' .. ARGV[2], ARGV[3])
if held_elsewhere(ARGV[1], ARGV[2], ARGV[3]) then return 0 end
return 1
"""
)
_ONLINE_AMONG = """
local p = ARGV[1]
local live = {}
for _, pid in ipairs(redis.call('SMEMBERS', p .. ':procs')) do
  if redis.call('EXISTS', p .. ':alive:' .. pid) == 1 then table.insert(live, pid) end
end
local found = {}
for i = 2, #ARGV do
  for _, pid in ipairs(live) do
    if redis.call('SISMEMBER', p .. ':users:' .. pid, ARGV[i]) == 1 then
      table.insert(found, ARGV[i])
      break
    end
  end
end
return found
"""
_ORPHANS = (
    _HELD_ELSEWHERE
    + """
local p, me = ARGV[1], ARGV[2]
local gone = {}
for _, pid in ipairs(redis.call('SMEMBERS', p .. ':procs')) do
  if pid ~= me and redis.call('EXISTS', p .. ':alive:' .. pid) == 0 then
    redis.call('SREM', p .. ':procs', pid)
    local users = redis.call('SMEMBERS', p .. ':users:' .. pid)
    redis.call('DEL', p .. ':users:' .. pid)
    for _, u in ipairs(users) do
      if not held_elsewhere(p, me, u) and redis.call('SISMEMBER', p .. ':users:' .. me, u) == 0 then
        table.insert(gone, u)
      end
    end
  end
end
return gone
"""
)


class RedisPresence:
    """The ``PresenceRegistry`` port over Redis, for several server processes sharing a
    broker (``MESSENGER_BROKER_URL``). ``start()`` before serving, ``stop()`` at shutdown.

    ``ttl``: how long a process that stopped heartbeating still counts (seconds).
    """

    def __init__(
        self, url: str, *, channel: str = DEFAULT_CHANNEL, ttl: float | None = None
    ) -> None:
        url, channel = split_channel(url, channel)
        self._client = aioredis.Redis.from_url(url)
        self._prefix = f"{channel}:presence"
        self.process = secrets.token_hex(8)
        self._ttl_ms = int((DEFAULT_TTL if ttl is None else ttl) * 1000)
        self._came = self._client.register_script(_CAME)
        self._left = self._client.register_script(_LEFT)
        self._online_among = self._client.register_script(_ONLINE_AMONG)
        self._orphans = self._client.register_script(_ORPHANS)
        self._heart: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._beat()
        self._heart = asyncio.create_task(self._beat_forever(), name="presence-heartbeat")

    async def stop(self) -> None:
        if self._heart is not None:
            self._heart.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heart
            self._heart = None
        # Leaving cleanly: this process's users are no longer held here (the hub reported
        # their sockets closing already).
        with contextlib.suppress(Exception):
            p = self._prefix
            await self._client.delete(f"{p}:alive:{self.process}", f"{p}:users:{self.process}")
            await self._client.srem(f"{p}:procs", self.process)
        await self._client.aclose()

    async def _beat(self) -> None:
        p = self._prefix
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.sadd(f"{p}:procs", self.process)
            pipe.set(f"{p}:alive:{self.process}", b"1", px=self._ttl_ms)
            await pipe.execute()

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self._ttl_ms / 3000)
            try:
                await self._beat()
            except Exception:  # the next beat may reach Redis again
                log.warning("presence heartbeat failed", exc_info=True)

    async def came(self, user_id: int) -> bool:
        return bool(await self._came(args=[self._prefix, self.process, user_id]))

    async def left(self, user_id: int) -> bool:
        return bool(await self._left(args=[self._prefix, self.process, user_id]))

    async def online_among(self, user_ids: Iterable[int]) -> set[int]:
        wanted = list(user_ids)
        if not wanted:
            return set()
        found = await self._online_among(args=[self._prefix, *wanted])
        return {int(u) for u in found}

    async def orphans(self) -> set[int]:
        return {int(u) for u in await self._orphans(args=[self._prefix, self.process])}
