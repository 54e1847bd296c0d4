"""Faults under load: the server degrades, it never hangs or skips.

Each test starts what it breaks itself (a Redis of its own, paused with SIGSTOP) so that
nothing shared with the other tests is harmed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket as pysocket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.integration.ws.conftest import (
    PrivateRedis,
    ServerProcess,
    log_in,
    open_dialog,
    post,
    register,
    server_env,
    socket_of,
    sync_all,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stalling_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRedis]:
    broker = PrivateRedis(tmp_path_factory.mktemp("redis") / "redis.log")
    yield broker
    broker.stop()


@pytest.fixture(scope="module")
def brokered_server(
    mariadb_ws_url: str, stalling_broker: PrivateRedis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("ws-stall")
    env = server_env(mariadb_ws_url, stalling_broker.url) | {
        "MESSENGER_UPLOAD_DIR": str(tmp / "uploads")
    }
    proc = ServerProcess(env, tmp / "server.log")
    proc.start()
    yield proc
    proc.stop()


async def test_a_paused_redis_holds_up_no_post_and_no_push_of_this_process(
    brokered_server: ServerProcess, stalling_broker: PrivateRedis
) -> None:
    async with httpx.AsyncClient(base_url=brokered_server.url, timeout=30) as http:
        alice, bob = await register(http, "alice"), await register(http, "bob")
        chat = await open_dialog(http, alice, bob)
        async with socket_of(brokered_server, bob) as b:
            stalling_broker.pause()
            try:
                slowest = 0.0
                for n in range(20):
                    started = time.monotonic()
                    response = await http.post(
                        f"/api/v1/chats/{chat}/messages",
                        json={"client_id": f"stall-{n}", "text": f"#{n}"},
                        headers=alice.headers,
                    )
                    slowest = max(slowest, time.monotonic() - started)
                    assert response.status_code == 201, response.text
                # Before: every post waited for Redis (10 s paused, 10 s held).
                assert slowest < 1.0, f"a post took {slowest:.1f} s while Redis was paused"
                await b.until(lambda: len(b.of_type("new_message")) == 20, within=5)
            finally:
                stalling_broker.resume()
            # Nothing skipped: the feed has every post once, in order.
            events, _ = await sync_all(http, bob, 0)
            texts = [e["data"]["message"]["text"] for e in events if e["type"] == "new_message"]
            assert texts == [f"#{n}" for n in range(20)]


async def test_a_graceful_shutdown_acknowledges_every_send_it_stored(
    mariadb_ws_url: str, tmp_path: Path
) -> None:
    env = server_env(mariadb_ws_url) | {"MESSENGER_UPLOAD_DIR": str(tmp_path / "uploads")}
    server = ServerProcess(env, tmp_path / "server.log")
    server.start()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        users = [await register(http, f"s{n}") for n in range(24)]
        chats = [await open_dialog(http, users[n], users[n + 1]) for n in range(0, 24, 2)]
    # Each socket handles one send at a time: a dozen of them keep a dozen in hand.
    senders = [(users[n], chats[n // 2]) for n in range(0, 24, 2)]
    acked: set[str] = set()
    sent: set[str] = set()
    async with contextlib.AsyncExitStack() as stack:
        sockets = [await stack.enter_async_context(socket_of(server, u)) for u, _ in senders]
        for round_ in range(40):
            for (user, chat), sock in zip(senders, sockets, strict=True):
                client_id = f"{user.username}-{round_}"
                sent.add(client_id)
                await sock.send(
                    "send_message", {"chat_id": chat, "client_id": client_id, "text": "x"}
                )
        await asyncio.sleep(0.2)  # the server is in the middle of them
        stopping = asyncio.get_running_loop().run_in_executor(None, server.stop)
        for sock in sockets:
            assert await sock.wait_closed(within=15) == 1012
            acked |= {f["data"]["client_id"] for f in sock.of_type("message_sent")}
        # Graceful: uvicorn re-raises SIGTERM once it has shut down cleanly.
        assert await stopping in (0, -signal.SIGTERM)

    server = ServerProcess(env, tmp_path / "server-again.log")
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            stored: set[str] = set()
            for user, chat in senders:
                page = await http.get(
                    f"/api/v1/chats/{chat}/messages",
                    params={"limit": 100},
                    headers=(await log_in(http, user)).user.headers,
                )
                stored |= {m["client_id"] for m in page.json()["items"]}
    finally:
        server.stop()
    assert stored <= sent
    assert stored, "the shutdown came before any send was stored"
    # Before: sends stored in the last moments were never acknowledged (117 of 827).
    assert stored - acked == set()


async def test_a_client_that_stops_reading_is_closed_with_1013(
    server: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        alice, bob = await register(http, "alice"), await register(http, "bob")
        chat = await open_dialog(http, alice, bob)
        # A client that reads nothing: a small receive buffer, and the websockets library
        # stops reading the TCP socket once one frame waits unread.
        raw = pysocket.create_connection(("127.0.0.1", server.port))
        raw.setsockopt(pysocket.SOL_SOCKET, pysocket.SO_RCVBUF, 32 * 1024)
        async with connect(server.ws_url, sock=raw, max_queue=1) as ws:
            await ws.send(json.dumps({"type": "auth", "data": {"token": alice.token}}))
            assert json.loads(await ws.recv())["type"] == "ready"
            text = "ы" * 5000  # ~10 KiB a frame
            for n in range(400):  # ~4 MiB in all: past the bound of 1 MiB + the buffers
                await post(http, bob, chat, f"flood-{n}", text)
            received = 0
            with contextlib.suppress(ConnectionClosed):
                async with asyncio.timeout(20):
                    async for _ in ws:
                        received += 1
            # Before: the kernel's buffers took it all, the socket stayed open and 400
            # frames arrived late (or the socket died with 1006 / 1011 much later).
            assert ws.close_code == 1013
            assert received < 400
