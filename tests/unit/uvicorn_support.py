"""uvicorn in this test's event loop on a free loopback port, with the project's socket protocol."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

from messenger.entrypoints.ws.uvicorn_protocol import CompactWebSocketProtocol


@contextlib.asynccontextmanager
async def serving(app: Any, **options: Any) -> AsyncIterator[tuple[uvicorn.Server, int]]:
    """Serve ``app`` until the block ends; yields the server and its port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        ws=CompactWebSocketProtocol,
        log_level="warning",
        **options,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    else:
        raise TimeoutError("uvicorn did not start")
    try:
        yield server, port
    finally:
        server.should_exit = True
        await task
