"""The hub asks the presence registry whether a first or last socket on this process
changes whether the user is online anywhere (other processes may hold their sockets), and
reports the users of a process that died; the in-process registry keeps today's rules."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable

import pytest

import messenger
from messenger.adapters.memory import InProcessPresence
from messenger.contract import Wire
from messenger.entrypoints.ws import ConnectionHub, HubConfig, SessionConfig
from tests.unit.test_ws_hub import FakeSocket, Harness, settle


class OtherProcesses:
    """A registry where other processes hold sockets of the users in ``elsewhere``."""

    def __init__(self) -> None:
        self.here: set[int] = set()
        self.elsewhere: set[int] = set()
        self.dead: set[int] = set()

    async def came(self, user_id: int) -> bool:
        self.here.add(user_id)
        return user_id not in self.elsewhere

    async def left(self, user_id: int) -> bool:
        self.here.discard(user_id)
        return user_id not in self.elsewhere

    async def online_among(self, user_ids: Iterable[int]) -> set[int]:
        return (self.here | self.elsewhere).intersection(user_ids)

    async def orphans(self) -> set[int]:
        gone, self.dead = self.dead, set()
        return gone


@pytest.fixture
async def harness() -> AsyncIterator[tuple[Harness, OtherProcesses]]:
    registry = OtherProcesses()
    app = messenger.in_memory()
    assert app.events is not None
    hub = ConnectionHub(
        app, app.events, Wire(), HubConfig(head_poll_interval=0.05), presence=registry
    )
    await hub.start()
    h = Harness(app, hub, SessionConfig(auth_timeout=0.3, rate=1000, burst=1000))
    yield h, registry
    await hub.stop(grace=1.0)
    for task in h.tasks:
        task.cancel()
    await asyncio.gather(*h.tasks, return_exceptions=True)


def presence_of(sock: FakeSocket, user_id: int) -> list[bool]:
    return [
        f["data"]["online"] for f in sock.of_type("presence") if f["data"]["user_id"] == user_id
    ]


async def test_sockets_on_another_process_keep_the_user_online(
    harness: tuple[Harness, OtherProcesses],
) -> None:
    h, registry = harness
    alice, bob = await h.users("alice", "bob")
    await h.app.open_dialog(alice, bob)
    registry.elsewhere.add(alice)
    watcher = await h.connect(bob)
    await watcher.wait_for(lambda s: presence_of(s, alice) == [True])  # told at connect

    here = await h.connect(alice)
    here.incoming.put_nowait(None)  # her last socket here closes; another process has one
    await settle()
    await asyncio.sleep(0.05)
    assert presence_of(watcher, alice) == [True]

    registry.elsewhere.discard(alice)
    again = await h.connect(alice)
    again.incoming.put_nowait(None)
    await watcher.wait_for(lambda s: presence_of(s, alice) == [True, True, False])


async def test_the_users_of_a_dead_process_are_reported_offline(
    harness: tuple[Harness, OtherProcesses],
) -> None:
    h, registry = harness
    alice, bob = await h.users("alice", "bob")
    await h.app.open_dialog(alice, bob)
    registry.elsewhere.add(alice)
    watcher = await h.connect(bob)
    await watcher.wait_for(lambda s: presence_of(s, alice) == [True])

    registry.elsewhere.discard(alice)
    registry.dead.add(alice)  # the process that held her died; its TTL ran out

    await watcher.wait_for(lambda s: presence_of(s, alice) == [True, False])


async def test_one_process_alone_counts_its_own_sockets() -> None:
    presence = InProcessPresence()
    assert await presence.came(1)
    assert await presence.online_among({1, 2}) == {1}
    assert await presence.left(1)
    assert await presence.online_among({1}) == set()
    assert await presence.orphans() == set()
