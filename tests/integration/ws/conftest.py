"""Real server processes (``messenger serve``), real WebSocket clients, MariaDB and Redis.

Each server is a child process started exactly as an operator starts it (the CLI, with
``MESSENGER_*`` environment variables), so SIGTERM, restarts and two processes sharing one
database and one broker are tested for real.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from messenger.container import upgrade_database
from tests.contract_check import check_server_frame, check_sync_event
from tests.integration.conftest import fresh_mariadb_database, services_required

pytestmark = pytest.mark.integration

SECRET = "ws-integration-secret-key-0123456789abcdef!"
PASSWORD = "correct horse battery"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
ORIGIN = "http://localhost:3000"  # a development origin, allowed as `make run` allows it


# The fault suite's counts (test_fault_suite.py), shown at the end of the run.
FAULT_COUNTS = pytest.StashKey[list[dict[str, Any]]]()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    counts = config.stash.get(FAULT_COUNTS, [])
    if not counts:
        return
    terminalreporter.section("fault suite: acknowledged-but-lost / duplicated / missed")
    for c in counts:
        terminalreporter.write_line(
            f"{c['scenario']}: {c['acked_but_lost']} / {c['duplicated']} / "
            f"{c['missed_after_sync']} of {c['acknowledged']} acknowledged "
            f"({c['resent']} resent, {c['reconnects']} reconnects, errors {c['errors']}, "
            f"{c['seconds']} s)"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ServerProcess:
    """``messenger serve`` in a child process (after ``preamble``, Python code that may
    put a fault in place)."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        port: int | None = None,
        preamble: str = "",
        args: tuple[str, ...] = (),
    ) -> None:
        self.env = env
        self.args = args
        self.port = port or free_port()
        self.log_path = log_path
        self.preamble = preamble
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/ws"

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"{self.preamble}\nfrom messenger.entrypoints.cli import main; main()",
                "serve",
                "--port",
                str(self.port),
                *self.args,
            ],
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {self.log_path.read_text()[-3000:]}")
            time.sleep(0.05)

    def stop(self) -> int | None:
        """SIGTERM, as a process manager stops it; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        return code

    def kill(self) -> None:
        """SIGKILL: the process dies mid-work, as in a crash or an OOM kill."""
        if self.proc is None:
            return
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def redis_url() -> str:
    """The test Redis, checked; a missing Redis fails under CI and skips elsewhere."""
    url = os.environ.get("MESSENGER_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
        client.close()
    except redis.RedisError as exc:
        message = f"Redis is not reachable at {url}: {exc}"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)
    # A channel of our own: pub/sub channels are shared by every database number.
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}channel=messenger-test-{secrets.token_hex(4)}"


def server_env(database_url: str, broker_url: str | None = None) -> dict[str, str]:
    env = {
        "MESSENGER_DATABASE_URL": database_url,
        "MESSENGER_SECRET_KEY": SECRET,
        "MESSENGER_AUTH_RATE_LIMIT": "100000",
        # The tests post over REST far faster than a person (0: no limit).
        "MESSENGER_LIMIT_POST_RATE": "0",
        "MESSENGER_LIMIT_CHATS_PER_HOUR": "0",
        "MESSENGER_LIMIT_MEMBER_ADDS_PER_HOUR": "0",
        "MESSENGER_LIMIT_UPLOADS_PER_MINUTE": "0",
        "MESSENGER_HASH_CONCURRENCY": "4",
        "MESSENGER_DOCS": "0",
        "MESSENGER_CORS_ORIGINS": ORIGIN,
    }
    if broker_url:
        env["MESSENGER_BROKER_URL"] = broker_url
    return env


class PrivateRedis:
    """A ``redis-server`` of the test's own, which it may pause, resume, kill and start
    again on the same port (what a broker restart looks like to its clients)."""

    def __init__(self, log_path: Path) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not os.path.exists(binary):
            message = "redis-server is not installed (scripts/services.sh installs it)"
            if services_required():
                pytest.fail(message)
            pytest.skip(message)
        self.binary = binary
        self.log_path = log_path
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        """Start (again) on this broker's port and wait until it answers."""
        self.proc = subprocess.Popen(
            [
                *(self.binary, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--logfile", str(self.log_path)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(redis.RedisError):
                client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
                client.ping()
                client.close()
                return
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def pause(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL: every connection to it drops at once."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        self.resume()
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture(scope="module")
def mariadb_ws_url() -> Iterator[str]:
    """A migrated MariaDB database of this module's own."""
    with fresh_mariadb_database("messenger_ws") as url:
        upgrade_database(url)
        yield url


@pytest.fixture(scope="module")
def server(
    mariadb_ws_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """One server process on MariaDB (in-process notifier)."""
    tmp = tmp_path_factory.mktemp("ws-server")
    env = server_env(mariadb_ws_url) | {"MESSENGER_UPLOAD_DIR": str(tmp / "uploads")}
    proc = ServerProcess(env, tmp / "server.log")
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
async def http(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the module's server."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield client


# --- clients -------------------------------------------------------------------------------


@dataclass
class User:
    id: int
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def register(http: httpx.AsyncClient, prefix: str) -> User:
    username = f"{prefix}{secrets.token_hex(5)}"
    response = await http.post(
        "/api/v1/auth/register", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return User(id=body["user"]["id"], username=username, token=body["access_token"])


@dataclass
class Login:
    """Another device of a user: its session's tokens and id."""

    user: User
    refresh_token: str
    session_id: str


async def log_in(http: httpx.AsyncClient, user: User) -> Login:
    """Log ``user`` in once more (a new session, as another device does)."""
    response = await http.post(
        "/api/v1/auth/login", json={"login": user.username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return Login(
        User(user.id, user.username, body["access_token"]),
        body["refresh_token"],
        body["session_id"],
    )


async def open_dialog(http: httpx.AsyncClient, a: User, b: User) -> int:
    response = await http.post(
        "/api/v1/chats", json={"kind": "direct", "user_id": b.id}, headers=a.headers
    )
    assert response.status_code in (200, 201), response.text
    chat_id: int = response.json()["id"]
    return chat_id


async def post(http: httpx.AsyncClient, user: User, chat_id: int, client_id: str, text: str) -> Any:
    response = await http.post(
        f"/api/v1/chats/{chat_id}/messages",
        json={"client_id": client_id, "text": text},
        headers=user.headers,
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


async def sync_all(http: httpx.AsyncClient, user: User, since: int) -> tuple[list[Any], int]:
    """Every event after ``since``, paging until done; and the final cursor."""
    events: list[Any] = []
    cursor = since
    while True:
        response = await http.get(
            "/api/v1/sync", params={"since": cursor, "limit": 500}, headers=user.headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        for event in page["events"]:
            check_sync_event(event)
        events.extend(page["events"])
        cursor = page["cursor"]
        if not page["has_more"]:
            return events, cursor


@dataclass
class Client:
    """A WebSocket client that records every frame it receives in the background."""

    ws: ClientConnection
    frames: list[dict[str, Any]] = field(default_factory=list)
    # Each frame as it came, for tests that compare bytes across recipients.
    raw: list[str | bytes] = field(default_factory=list)
    close_code: int | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None
    stamps: list[float] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def start(self) -> None:
        self.reader = asyncio.create_task(self._read())

    def raw_of_type(self, type_: str) -> list[str | bytes]:
        """The frames of one type as they came, to compare bytes across recipients."""
        return [raw for raw, f in zip(self.raw, self.frames, strict=True) if f["type"] == type_]

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                try:
                    check_server_frame(frame)
                except AssertionError as exc:
                    # A frame the published contract does not describe fails the test.
                    self.violations.append(str(exc))
                self.frames.append(frame)
                self.raw.append(raw)
                self.stamps.append(time.perf_counter())
                self.arrived.set()
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code or 1006
            self.arrived.set()

    async def send(self, type_: str, data: dict[str, Any] | None = None) -> None:
        await self.ws.send(json.dumps({"type": type_, "data": data or {}}))

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f["type"] == type_]

    async def until(self, check: Any, within: float = 10.0) -> None:
        async with asyncio.timeout(within):
            while not check():
                assert not self.violations, self.violations[0]
                self.arrived.clear()
                if check():
                    return
                await self.arrived.wait()

    async def wait_type(self, type_: str, count: int = 1, within: float = 10.0) -> dict[str, Any]:
        await self.until(lambda: len(self.of_type(type_)) >= count, within)
        return self.of_type(type_)[count - 1]

    async def wait_closed(self, within: float = 10.0) -> int:
        await self.until(lambda: self.close_code is not None, within)
        assert self.close_code is not None
        return self.close_code

    async def close(self) -> None:
        await self.ws.close()
        if self.reader is not None:
            with contextlib.suppress(BaseException):
                await self.reader


@contextlib.asynccontextmanager
async def socket_of(server: ServerProcess, user: User, **kwargs: Any) -> AsyncIterator[Client]:
    """An authenticated socket that has seen ``ready``."""
    async with connect(server.ws_url, origin=ORIGIN, **kwargs) as ws:  # type: ignore[arg-type]
        client = Client(ws)
        client.start()
        await client.send("auth", {"token": user.token})
        await client.wait_type("ready")
        try:
            yield client
        finally:
            await client.close()
        assert not client.violations, client.violations[0]


def feed_frames(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in frames if "cursor" in f]


async def settled(*clients: Client) -> None:
    """Every frame sent to these sockets before now has arrived (pong follows them)."""
    for client in clients:
        count = len(client.of_type("pong"))
        await client.send("ping")
        await client.wait_type("pong", count + 1)
