"""Presence counted across server processes (one MariaDB, one Redis): a user online on two
processes stays online while either holds a socket, goes offline with the last one, and a
process killed without cleaning up stops counting within the presence TTL."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.integration.ws.conftest import (
    Client,
    ServerProcess,
    open_dialog,
    redis_url,
    register,
    server_env,
    settled,
    socket_of,
)

pytestmark = pytest.mark.integration

# A short TTL, so that a killed process stops counting within seconds.
SHORT_TTL = "import messenger.adapters.notifier.presence as _p; _p.DEFAULT_TTL = 2.0"


@pytest.fixture(scope="module")
def pair(
    mariadb_ws_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two ``messenger serve`` processes on one database and one broker (the last test
    kills the second)."""
    broker = redis_url()
    tmp = tmp_path_factory.mktemp("presence")
    env = server_env(mariadb_ws_url, broker) | {"MESSENGER_UPLOAD_DIR": str(tmp / "up")}
    servers = [ServerProcess(env, tmp / f"server-{n}.log", preamble=SHORT_TTL) for n in "ab"]
    for s in servers:
        s.start()
    yield servers[0], servers[1]
    for s in servers:
        s.stop()


@pytest.fixture
async def http(
    pair: tuple[ServerProcess, ServerProcess],
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=pair[0].url, timeout=30) as client:
        yield client


def presence_of(client: Client, user_id: int) -> list[bool]:
    return [
        f["data"]["online"] for f in client.of_type("presence") if f["data"]["user_id"] == user_id
    ]


async def initially_online(client: Client) -> set[int]:
    """Who the server said was online right after ``ready`` (sent before the writer
    starts, so before the answer to a ping)."""
    await settled(client)
    return {f["data"]["user_id"] for f in client.of_type("presence") if f["data"]["online"]}


async def test_a_user_on_two_processes_stays_online_until_the_last_socket_closes(
    pair: tuple[ServerProcess, ServerProcess], http: httpx.AsyncClient
) -> None:
    a, b = pair
    alice, bob = await register(http, "alice"), await register(http, "bob")
    await open_dialog(http, alice, bob)
    async with socket_of(a, bob) as bob_on_a, socket_of(b, bob) as bob_on_b:
        async with socket_of(b, alice):
            async with socket_of(a, alice):
                for watcher in (bob_on_a, bob_on_b):
                    await watcher.until(lambda w=watcher: presence_of(w, alice.id) == [True])
            # Alice's socket on A closed; her socket on B keeps her online, for watchers on
            # either process and for one connecting now.
            async with socket_of(a, bob) as late_on_a:
                assert alice.id in await initially_online(late_on_a)
            await settled(bob_on_a, bob_on_b)
        for watcher in (bob_on_a, bob_on_b):
            await watcher.until(lambda w=watcher: presence_of(w, alice.id)[-1:] == [False])
            # Online once, offline once: nothing in between said she had gone.
            assert presence_of(watcher, alice.id) == [True, False]
        async with socket_of(b, bob) as later_on_b:
            assert alice.id not in await initially_online(later_on_b)


async def test_a_killed_process_stops_counting_within_the_ttl(
    pair: tuple[ServerProcess, ServerProcess], http: httpx.AsyncClient
) -> None:
    a, c = pair
    alice, bob = await register(http, "alice"), await register(http, "bob")
    await open_dialog(http, alice, bob)
    async with socket_of(a, bob) as bob_on_a, contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(socket_of(c, alice))
        await bob_on_a.until(lambda: presence_of(bob_on_a, alice.id) == [True])
        c.kill()  # no clean-up: its Redis set stays behind until its heartbeat runs out
        # TTL (2 s) + the hub's look at the registry (every 5 s), with room for a slow box.
        await bob_on_a.until(lambda: presence_of(bob_on_a, alice.id) == [True, False], 30)
        with contextlib.suppress(Exception):
            await stack.aclose()
    async with socket_of(a, bob) as bob_again:
        assert alice.id not in await initially_online(bob_again)
