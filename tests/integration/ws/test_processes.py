"""Several server processes on one MariaDB and one Redis; restarts; delivery latency."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.ws.conftest import (
    ServerProcess,
    feed_frames,
    open_dialog,
    post,
    redis_url,
    register,
    server_env,
    socket_of,
    sync_all,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pair(
    mariadb_ws_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two ``messenger serve`` processes on different ports, one database, one broker."""
    broker = redis_url()
    tmp = tmp_path_factory.mktemp("ws-pair")
    servers = []
    for name in ("a", "b"):
        env = server_env(mariadb_ws_url, broker) | {"MESSENGER_UPLOAD_DIR": str(tmp / "up")}
        servers.append(ServerProcess(env, tmp / f"server-{name}.log"))
    for s in servers:
        s.start()
    yield servers[0], servers[1]
    for s in servers:
        s.stop()


@pytest.fixture
async def http_a(pair: tuple[ServerProcess, ServerProcess]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=pair[0].url, timeout=30) as client:
        yield client


@pytest.fixture
async def http_b(pair: tuple[ServerProcess, ServerProcess]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=pair[1].url, timeout=30) as client:
        yield client


async def test_a_user_on_one_process_receives_what_is_posted_through_the_other(
    pair: tuple[ServerProcess, ServerProcess],
    http_a: httpx.AsyncClient,
    http_b: httpx.AsyncClient,
) -> None:
    a, b = pair
    alice, bob, eve = [await register(http_a, p) for p in ("alice", "bob", "eve")]
    chat = await open_dialog(http_a, alice, bob)
    async with (
        socket_of(a, bob) as bob_on_a,
        socket_of(b, bob) as bob_on_b,
        socket_of(b, alice) as alice_on_b,
        socket_of(a, eve) as eve_on_a,
    ):
        start = (await bob_on_a.wait_type("ready"))["data"]["cursor"]
        # Through process B's socket and through both processes' REST API, interleaved.
        await alice_on_b.send("send_message", {"chat_id": chat, "client_id": "w-0", "text": "0"})
        # Stored before the REST posts start, so that "0" is also first in commit order.
        await alice_on_b.wait_type("message_sent")
        for i in range(1, 60):
            via = http_a if i % 2 else http_b
            await post(via, alice, chat, f"w-{i}", str(i))
        for client in (bob_on_a, bob_on_b, alice_on_b):
            await client.wait_type("new_message", count=60)
        await eve_on_a.send("ping")
        await eve_on_a.wait_type("pong")
        assert eve_on_a.of_type("new_message") == []

        texts = [f["data"]["message"]["text"] for f in bob_on_a.of_type("new_message")]
        assert texts == [str(i) for i in range(60)]
        # Both processes pushed the same events in the same (feed) order, each once, and
        # that is exactly what sync returns.
        pushed_a = [f["cursor"] for f in feed_frames(bob_on_a.frames)]
        pushed_b = [f["cursor"] for f in feed_frames(bob_on_b.frames)]
        assert pushed_a == pushed_b == sorted(set(pushed_a))
        events, _ = await sync_all(http_b, bob, start)
        assert [e["cursor"] for e in events] == pushed_a


async def test_delivery_latency_across_processes(
    pair: tuple[ServerProcess, ServerProcess], http_a: httpx.AsyncClient
) -> None:
    a, b = pair
    alice, bob = await register(http_a, "alice"), await register(http_a, "bob")
    chat = await open_dialog(http_a, alice, bob)
    samples: dict[str, list[float]] = {"same process": [], "across processes": []}
    async with socket_of(a, alice) as sender, socket_of(a, bob) as near, socket_of(b, bob) as far:
        # Paced under the per-socket rate limit (20 frames/s).
        for i in range(200):
            sent_at = time.perf_counter()
            await sender.send("send_message", {"chat_id": chat, "client_id": f"l-{i}", "text": "x"})
            for key, client in (("same process", near), ("across processes", far)):
                frame = await client.wait_type("new_message", count=i + 1)
                arrived = client.stamps[next(n for n, f in enumerate(client.frames) if f is frame)]
                samples[key].append(arrived - sent_at)
            await asyncio.sleep(max(0.0, sent_at + 0.06 - time.perf_counter()))
    for key, values in samples.items():
        ms = sorted(v * 1000 for v in values)
        p50 = statistics.median(ms)
        p99 = ms[int(len(ms) * 0.99) - 1]
        print(f"delivery latency {key}: p50 {p50:.1f} ms, p99 {p99:.1f} ms (n={len(ms)})")
        assert p99 < 1000, f"{key}: p99 {p99:.0f} ms"


async def test_catch_up_after_a_server_restart_returns_every_missed_event_once(
    mariadb_ws_url: str, tmp_path: Path
) -> None:
    server = ServerProcess(
        server_env(mariadb_ws_url) | {"MESSENGER_UPLOAD_DIR": str(tmp_path)},
        tmp_path / "server.log",
    )
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            alice, bob = await register(http, "alice"), await register(http, "bob")
            chat = await open_dialog(http, alice, bob)
            async with socket_of(server, bob) as b:
                await post(http, alice, chat, "r-0", "live")
                last = (await b.wait_type("new_message"))["cursor"]
                stopping = asyncio.get_running_loop().run_in_executor(None, server.stop)
                assert await b.wait_closed(within=30) == 1012
                await stopping  # uvicorn re-raises SIGTERM after a graceful shutdown
            server.start()
            missed = [(await post(http, alice, chat, f"r-{i}", str(i)))["id"] for i in (1, 2, 3)]
            async with socket_of(server, bob) as b:
                ready = (await b.wait_type("ready"))["data"]["cursor"]
                events, cursor = await sync_all(http, bob, last)
                assert [e["data"]["message"]["id"] for e in events] == missed
                assert cursor >= ready
                await post(http, alice, chat, "r-4", "after")
                pushed = await b.wait_type("new_message")
                assert pushed["cursor"] > cursor
    finally:
        server.stop()


async def test_logging_out_through_one_process_closes_the_socket_held_by_the_other(
    pair: tuple[ServerProcess, ServerProcess],
    http_a: httpx.AsyncClient,
    http_b: httpx.AsyncClient,
) -> None:
    server_a, _ = pair
    alice = await register(http_a, "alice")
    async with socket_of(server_a, alice) as sock:
        started = time.monotonic()
        response = await http_b.post("/api/v1/auth/logout", headers=alice.headers)
        assert response.status_code == 204
        assert await sock.wait_closed(within=5) == 4001
        # At once through the broker, not after the other process's trust delay: REST
        # there refuses the token too.
        assert time.monotonic() - started < 2.0
        again = await http_a.get("/api/v1/users/me", headers=alice.headers)
        assert again.status_code == 401
        assert time.monotonic() - started < 4.0


async def test_new_chat_mates_on_different_processes_see_each_other_online_at_once(
    pair: tuple[ServerProcess, ServerProcess],
    http_a: httpx.AsyncClient,
    http_b: httpx.AsyncClient,
) -> None:
    server_a, server_b = pair
    alice, bob = await register(http_a, "alice"), await register(http_b, "bob")

    def online(client: Any) -> set[int]:
        return {f["data"]["user_id"] for f in client.of_type("presence") if f["data"]["online"]}

    async with socket_of(server_a, alice) as a, socket_of(server_b, bob) as b:
        await open_dialog(http_a, alice, bob)
        await a.until(lambda: bob.id in online(a), within=10)
        await b.until(lambda: alice.id in online(b), within=10)
