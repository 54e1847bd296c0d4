"""The socket endpoint in the real app on uvicorn (in-memory storage, loopback sockets)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from messenger.container import Container
from messenger.entrypoints.http import create_app
from messenger.entrypoints.ws.realtime import TOO_MANY_UNAUTHENTICATED
from messenger.entrypoints.ws.uvicorn_protocol import CompactWebSocketProtocol
from messenger.settings import Settings
from tests.unit.uvicorn_support import serving


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[uvicorn.Server, int]]:
    settings = Settings(
        secret_key="endpoint-test-secret-key-0123456789abcdef",
        database_url="memory://",
        upload_dir=tmp_path / "uploads",
        docs=False,
    )
    async with serving(create_app(Container(settings=settings))) as (running, port):
        yield running, port


async def test_an_open_socket_keeps_no_handshake_headers(
    server: tuple[uvicorn.Server, int],
) -> None:
    uvicorn_server, port = server
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        response = await http.post(
            "/api/v1/auth/register", json={"username": "alice", "password": "correct horse"}
        )
    token = response.json()["access_token"]
    cookie = {"Cookie": "analytics=" + "x" * 2000}

    async with connect(f"ws://127.0.0.1:{port}/api/v1/ws", additional_headers=cookie) as ws:
        await ws.send(json.dumps({"type": "auth", "data": {"token": token}}))
        ready = json.loads(await ws.recv())
        assert ready["type"] == "ready"

        [protocol] = [
            c
            for c in uvicorn_server.server_state.connections
            if isinstance(c, CompactWebSocketProtocol)
        ]
        # A browser's cookies and user agent would otherwise stay as long as the socket.
        assert protocol.scope["headers"] == []
        await ws.send(json.dumps({"type": "ping", "data": {}}))
        assert json.loads(await ws.recv())["type"] == "pong"


def _ws(port: int, source: str = "127.0.0.1") -> Any:
    return connect(f"ws://127.0.0.1:{port}/api/v1/ws", local_addr=(source, 0))


async def _close_code(ws: ClientConnection) -> int | None:
    with contextlib.suppress(ConnectionClosed):
        async with asyncio.timeout(5):
            await ws.recv()
    return ws.close_code


async def _admitted(stack: contextlib.AsyncExitStack, port: int) -> ClientConnection:
    """A socket from 127.0.0.1 once the server takes one more (it frees places as it
    notices closes, a moment after the client's)."""
    for _ in range(100):
        ws: ClientConnection = await stack.enter_async_context(_ws(port))
        try:
            async with asyncio.timeout(0.1):
                await ws.recv()
        except TimeoutError:
            return ws  # still open: waiting for its ``auth`` frame
        except ConnectionClosed:
            assert ws.close_code == 1013
    raise AssertionError("the server never took another socket")


async def test_unauthenticated_sockets_are_capped_per_client_address(tmp_path: Path) -> None:
    settings = Settings(
        secret_key="endpoint-test-secret-key-0123456789abcdef",
        database_url="memory://",
        upload_dir=tmp_path / "uploads",
        ws_unauth_per_address=3,
    )
    async with serving(create_app(Container(settings=settings))) as (_, port):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            response = await http.post(
                "/api/v1/auth/register", json={"username": "alice", "password": "correct horse"}
            )
        auth = json.dumps({"type": "auth", "data": {"token": response.json()["access_token"]}})
        async with contextlib.AsyncExitStack() as stack:
            waiting = [await stack.enter_async_context(_ws(port)) for _ in range(3)]

            # The fourth from the same address is refused, saying why.
            async with _ws(port) as refused:
                assert await _close_code(refused) == 1013
                assert refused.close_reason == TOO_MANY_UNAUTHENTICATED
            # Another address is not affected.
            async with _ws(port, source="127.0.0.2") as other:
                await other.send(auth)
                assert json.loads(await other.recv())["type"] == "ready"

            # Authenticating gives the place back (by the time ``ready`` arrives); the
            # authenticated socket stays open.
            await waiting[0].send(auth)
            assert json.loads(await waiting[0].recv())["type"] == "ready"
            fourth = await stack.enter_async_context(_ws(port))
            await waiting[0].send(json.dumps({"type": "ping", "data": {}}))
            assert json.loads(await waiting[0].recv())["type"] == "pong"
            # So does closing.
            await waiting[1].close()
            fifth = await _admitted(stack, port)
            async with _ws(port) as sixth:
                assert await _close_code(sixth) == 1013
            for ws in (fourth, fifth):  # neither was refused
                await ws.send(auth)
                assert json.loads(await ws.recv())["type"] == "ready"
