"""What ``messenger serve`` itself configures: uvicorn's frame limit and forwarded headers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import struct
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.ws.conftest import ServerProcess, server_env

pytestmark = pytest.mark.integration


def _handshake(port: int) -> bytes:
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    return (
        f"GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


def _text_frame_header(length: int) -> bytes:
    # FIN + text, masked (as every client frame must be), 64-bit length, a zero mask.
    return bytes([0x81, 0x80 | 127]) + struct.pack("!Q", length) + b"\0\0\0\0"


def _rss_peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc")


async def test_an_oversized_frame_before_auth_is_refused_before_it_is_read(
    server: ServerProcess,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(_handshake(server.port))
        response = await reader.readuntil(b"\r\n\r\n")
        assert response.startswith(b"HTTP/1.1 101")
        # A frame announcing 8 MiB, of which only the first 64 KiB arrive: the server must
        # not wait for (and buffer) the rest before refusing it.
        writer.write(_text_frame_header(8 * 1024 * 1024) + b"x" * (64 * 1024))
        await writer.drain()
        async with asyncio.timeout(5):
            head = await reader.readexactly(4)
        assert head[0] == 0x88  # a close frame
        assert struct.unpack("!H", head[2:4])[0] == 1009
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def _send_whole_frame(port: int, size: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(_handshake(port))
        await reader.readuntil(b"\r\n\r\n")
        # The server may close (and reset) while the frame is still going out.
        with contextlib.suppress(ConnectionError):
            writer.write(_text_frame_header(size) + b"x" * size)
            await writer.drain()
            async with asyncio.timeout(10):
                await reader.read()  # until the server closes
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def test_unauthenticated_big_frames_do_not_raise_the_servers_peak_memory(
    server: ServerProcess,
) -> None:
    assert server.proc is not None
    before = _rss_peak_kib(server.proc.pid)

    await asyncio.gather(*(_send_whole_frame(server.port, 4 * 1024 * 1024) for _ in range(10)))

    # 40 MiB sent; uvicorn's default limit (16 MiB) would have buffered all of it at once.
    assert _rss_peak_kib(server.proc.pid) - before < 8 * 1024


@pytest.fixture
def strict_server(
    mariadb_ws_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ServerProcess]:
    """A server allowing 3 auth requests a minute per address, with no proxy configured."""
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    env = server_env(mariadb_ws_url) | {
        "MESSENGER_UPLOAD_DIR": str(tmp_path / "uploads"),
        "MESSENGER_AUTH_RATE_LIMIT": "3",
    }
    assert "FORWARDED_ALLOW_IPS" not in os.environ
    proc = ServerProcess(env, tmp_path / "server.log")
    proc.start()
    yield proc
    proc.stop()


async def test_x_forwarded_for_does_not_buy_a_fresh_rate_limit_budget(
    strict_server: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=strict_server.url, timeout=30) as http:
        statuses = []
        for i in range(4):
            response = await http.post(
                "/api/v1/auth/login",
                # A different unknown login each time: only the per-address limit applies.
                json={"login": f"nobody{secrets.token_hex(4)}", "password": "wrong password"},
                headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
            )
            statuses.append(response.status_code)
    assert statuses == [401, 401, 401, 429]
