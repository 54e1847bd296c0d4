"""The socket endpoint in the real app on uvicorn (in-memory storage, loopback sockets)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import connect

from messenger.container import Container
from messenger.entrypoints.http import create_app
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
