"""The lighter uvicorn socket protocol: what uvicorn's own does, with less kept per socket.

The end-to-end tests run uvicorn in this process on a loopback port with a small ASGI app.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from messenger.entrypoints.ws.protocol import SEND_UTF8
from messenger.entrypoints.ws.uvicorn_protocol import (
    CompactWebSocketProtocol,
    ReceiveBuffer,
    WireFrames,
    WritableFlag,
)
from tests.unit.uvicorn_support import serving

CONNECT: Any = {"type": "websocket.connect"}


def text(value: str) -> Any:
    return {"type": "websocket.receive", "text": value}


async def test_events_come_out_in_order_and_a_waiting_receive_wakes_on_the_first() -> None:
    buffer = ReceiveBuffer()
    waiting = asyncio.create_task(buffer.get())
    await asyncio.sleep(0)
    assert not waiting.done()

    buffer.put_nowait(CONNECT)
    buffer.put_nowait(text("a"))

    assert await waiting == CONNECT
    assert not buffer.empty()
    assert await buffer.get() == text("a")
    assert buffer.empty()


async def test_a_cancelled_receive_loses_nothing_and_two_at_once_are_refused() -> None:
    buffer = ReceiveBuffer()
    first = asyncio.create_task(buffer.get())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError):
        await buffer.get()
    first.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await first

    buffer.put_nowait(text("kept"))
    assert await buffer.get() == text("kept")


async def test_senders_wait_while_writing_is_paused_and_all_resume_together() -> None:
    flag = WritableFlag()
    assert flag.is_set()
    assert await flag.wait()
    flag.clear()
    waiters = [asyncio.create_task(flag.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)

    flag.set()

    assert await asyncio.gather(*waiters) == [True, True, True]


# --- through a real uvicorn ----------------------------------------------------------------


async def echo_app(scope: Any, receive: Any, send: Any) -> None:
    """Echoes text; ``close`` closes with 1013; ``flood N`` sends N frames of 64 KiB;
    ``utf8 <text>`` echoes ``<text>`` through the ``SEND_UTF8`` extension (times N with
    ``utf8*N <text>``); every socket's ``shared`` sends the same bytes object."""
    assert scope["type"] == "websocket"
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        data = message["text"]
        if data == "close":
            await send({"type": "websocket.close", "code": 1013, "reason": "bye"})
            return
        if data.startswith("utf8"):
            head, _, rest = data.partition(" ")
            payload = rest.encode() * int(head[5:] or 1)
            if data == "utf8 shared":
                payload = SHARED
            assert SEND_UTF8 in scope["extensions"]
            await send({"type": "websocket.send", SEND_UTF8: payload})
            continue
        if data.startswith("flood "):
            for i in range(int(data.split()[1])):
                await send({"type": "websocket.send", "text": f"{i:08d}" + "x" * 65_528})
            continue
        await send({"type": "websocket.send", "text": data})


SHARED = "ein gemeinsamer Rahmen für alle: ✓".encode()


@pytest.fixture
async def server() -> AsyncIterator[tuple[uvicorn.Server, str]]:
    options = {"ws_per_message_deflate": False, "lifespan": "off"}
    async with serving(echo_app, **options) as (running, port):
        yield running, f"ws://127.0.0.1:{port}/"


async def test_frames_echo_and_the_handshake_is_not_kept_after_accept(
    server: tuple[uvicorn.Server, str],
) -> None:
    uvicorn_server, url = server
    async with connect(url) as ws:
        await ws.send("hi")
        assert await ws.recv() == "hi"
        [protocol] = uvicorn_server.server_state.connections
        assert isinstance(protocol, CompactWebSocketProtocol)
        assert not hasattr(protocol, "request")
        assert not hasattr(protocol, "response")
        assert protocol.scope["headers"]  # the app's copy stays
        assert ws.response is not None
        assert "permessage-deflate" not in ws.response.headers.get("Sec-WebSocket-Extensions", "")

        await ws.send("close")
        with pytest.raises(ConnectionClosed):
            await ws.recv()
    assert ws.close_code == 1013
    assert ws.close_reason == "bye"


class Records(logging.Handler):
    """Every record of the logger it is added to (uvicorn's do not reach the root's)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.parametrize("access_log", [False, True])
async def test_a_handshake_is_logged_only_with_the_access_log(access_log: bool) -> None:
    # uvicorn logs every socket's handshake at INFO whatever ``access_log`` says: a record
    # per connect, a few percent of a connect's CPU in a reconnect storm.
    options = {"ws_per_message_deflate": False, "lifespan": "off", "access_log": access_log}
    logger, handler = logging.getLogger("uvicorn.error"), Records()
    async with serving(echo_app, **options) as (_, port):
        # Set here: starting uvicorn sets its loggers' levels (to warning, in ``serving``).
        level = logger.level
        logger.setLevel(logging.INFO)  # setLevel: the logger caches its decisions
        logger.addHandler(handler)
        try:
            async with connect(f"ws://127.0.0.1:{port}/") as ws:
                await ws.send("hi")
                assert await ws.recv() == "hi"
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)
    accepted = [r for r in handler.records if "[accepted]" in r.getMessage()]
    assert bool(accepted) is access_log


async def test_warnings_still_reach_the_log_without_the_access_log() -> None:
    options = {"ws_per_message_deflate": False, "lifespan": "off", "access_log": False}
    logger, handler = logging.getLogger("uvicorn.error"), Records()
    async with contextlib.AsyncExitStack() as stack:
        _, port = await stack.enter_async_context(serving(echo_app, **options))
        level = logger.level
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        stack.callback(logger.setLevel, level)
        stack.callback(logger.removeHandler, handler)
        async with connect(f"ws://127.0.0.1:{port}/") as bad:
            await bad.send(b'{"type": "ping", "data": "\xff"}', text=True)
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(bad.recv(), 10)
    messages = [(r.levelno, r.getMessage()) for r in handler.records]
    assert not [m for _, m in messages if "[accepted]" in m]
    assert [m for n, m in messages if n == logging.WARNING and "UTF-8" in m]


async def test_a_client_that_reads_slowly_gets_every_frame_in_order(
    server: tuple[uvicorn.Server, str],
) -> None:
    _, url = server
    async with connect(url, max_queue=1, max_size=None) as ws:
        await ws.send("flood 200")  # ~13 MB: more than the socket buffers take at once
        await asyncio.sleep(0.2)  # the server's writes pause meanwhile
        received = [int((await ws.recv())[:8]) for _ in range(200)]
        await ws.send("still there?")
        assert await ws.recv() == "still there?"
    assert received == list(range(200))


async def test_stopping_the_server_closes_open_sockets_with_1012(
    server: tuple[uvicorn.Server, str],
) -> None:
    uvicorn_server, url = server
    async with connect(url) as ws:
        await ws.send("hi")
        await ws.recv()
        uvicorn_server.should_exit = True
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
    assert ws.close_code == 1012


async def test_a_text_frame_that_is_not_utf8_closes_with_1007_and_logs_no_traceback(
    server: tuple[uvicorn.Server, str], caplog: pytest.LogCaptureFixture
) -> None:
    # Found by the hostile-input suite: uvicorn logs every such frame as an ERROR with a
    # full traceback, which any client can repeat to flood the log.
    _, url = server
    with caplog.at_level(logging.DEBUG):
        async with connect(url) as bad:
            await bad.send(b'{"type": "ping", "data": "\xff"}', text=True)
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(bad.recv(), 10)
        async with connect(url) as good:
            await good.send("still serving")
            assert await good.recv() == "still serving"
    assert bad.close_code == 1007
    records = [r for r in caplog.records if "UTF-8" in r.getMessage()]
    assert records, "the refusal is logged"
    assert all(r.levelno < logging.ERROR and r.exc_info is None for r in records), records


async def test_a_handshake_over_8_kib_is_refused_at_once_not_left_hanging(
    server: tuple[uvicorn.Server, str],
) -> None:
    # Found by the hostile-input suite: websockets refuses a request line or header over
    # 8 KiB with 414 / 431, but uvicorn never sent that answer and kept the connection open.
    uvicorn_server, url = server
    for target, headers, status in (
        (f"{url}?q={'x' * 9000}", {}, 414),
        (url, {"Cookie": "c=" + "x" * 9000}, 431),
    ):
        with pytest.raises(InvalidStatus) as refused:
            await connect(target, additional_headers=headers, open_timeout=5)
        assert refused.value.response.status_code == status
    await asyncio.sleep(0.05)
    assert not uvicorn_server.server_state.connections


@pytest.mark.parametrize("size", [1, 50, 200, 70_000])
async def test_bytes_sent_through_the_extension_arrive_as_a_text_frame_of_any_length(
    server: tuple[uvicorn.Server, str], size: int
) -> None:
    _, url = server
    async with connect(url, max_size=None) as ws:
        await ws.send(f"utf8*{size} é")
        received = await ws.recv()
        # A ``str``: the client got a TEXT frame (a browser's ``event.data`` is a string).
        assert received == "é" * size
        await ws.send("still framed right?")
        assert await ws.recv() == "still framed right?"


async def test_one_frame_sent_to_many_sockets_is_framed_once_and_reaches_each(
    server: tuple[uvicorn.Server, str],
) -> None:
    _, url = server
    sockets = [await connect(url) for _ in range(3)]
    try:
        for ws in sockets:
            await ws.send("utf8 shared")
        assert [await ws.recv() for ws in sockets] == [SHARED.decode()] * 3
    finally:
        for ws in sockets:
            await ws.close()


async def test_a_compressed_socket_gets_extension_frames_compressed_by_websockets() -> None:
    options = {"ws_per_message_deflate": True, "lifespan": "off"}
    async with (
        serving(echo_app, **options) as (running, port),
        connect(f"ws://127.0.0.1:{port}/") as ws,
    ):
        assert ws.response is not None
        assert "permessage-deflate" in ws.response.headers["Sec-WebSocket-Extensions"]
        await ws.send("utf8*500 ab")
        assert await ws.recv() == "ab" * 500
        [protocol] = running.server_state.connections
        assert isinstance(protocol, CompactWebSocketProtocol)
        # Each socket compresses with its own state: no shared wire bytes for it.
        assert protocol.send_utf8_now(b"{}") is False


def test_wire_frames_are_built_once_per_payload_and_forget_the_oldest() -> None:
    frames = WireFrames(size=2)
    first, second, third = b"one", b"two", b"three"

    wire = frames.text(first)
    assert wire == b"\x81\x03one"
    assert frames.text(first) is wire
    frames.text(second)
    frames.text(third)
    assert frames.text(first) is not wire  # forgotten, built again
    assert frames.text(b"x" * 300)[:4] == b"\x81\x7e\x01\x2c"
