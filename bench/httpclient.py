"""A minimal keep-alive HTTP/1.1 client on asyncio streams.

The load generator shares one core with everything else it does, and a general-purpose
client costs several times what a request to the server costs; this one only frames a
request and reads ``Content-Length`` bodies, which is all the API answers with.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

_json = msgspec.json.Encoder()


class HttpError(Exception):
    """A response that was not 2xx."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"HTTP {status}: {body[:200]!r}")
        self.status = status
        self.body = body


class HttpConnection:
    """One keep-alive connection; requests on it run one at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    async def request(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, bytes]:
        """Status and body; reconnects once if the server closed an idle connection."""
        payload = b"" if body is None else _json.encode(body)
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        if token is not None:
            head.append(f"Authorization: Bearer {token}")
        if body is not None:
            head.append("Content-Type: application/json")
        head.append(f"Content-Length: {len(payload)}")
        data = ("\r\n".join(head) + "\r\n\r\n").encode() + payload
        async with self._lock:
            for attempt in (0, 1):
                reader, writer = await self._connect()
                try:
                    writer.write(data)
                    return await self._read_response(reader)
                except (ConnectionError, asyncio.IncompleteReadError):
                    self.close()
                    if attempt:
                        raise
        raise AssertionError("unreachable")

    async def _read_response(self, reader: asyncio.StreamReader) -> tuple[int, bytes]:
        header = await reader.readuntil(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            key = name.strip().lower()
            if key == "content-length":
                length = int(value)
            elif key == "connection" and value.strip().lower() == "close":
                close = True
            elif key == "transfer-encoding" and "chunked" in value.lower():
                raise NotImplementedError("chunked responses are not expected from the API")
        body = await reader.readexactly(length) if length else b""
        if close:
            self.close()
        return status, body

    async def json(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """The decoded JSON body of a 2xx answer; raises ``HttpError`` otherwise."""
        status, raw = await self.request(method, path, body, token)
        if not 200 <= status < 300:
            raise HttpError(status, raw)
        return msgspec.json.decode(raw) if raw else None

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


class HttpPool:
    """A fixed number of connections handed out round-robin."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self._conns = [HttpConnection(host, port) for _ in range(size)]
        self._next = 0

    def get(self) -> HttpConnection:
        conn = self._conns[self._next]
        self._next = (self._next + 1) % len(self._conns)
        return conn

    def close(self) -> None:
        for conn in self._conns:
            conn.close()
