"""Issue 18, scenario 3: the reconnect storm after a server restart.

    python bench/reconnect_storm.py --quick    # 1,000 users (well under a minute)
    python bench/reconnect_storm.py            # 10,000 users
    python bench/reconnect_storm.py --server-env MESSENGER_SYNC_CONCURRENCY=0   # no admission

Every user has one socket open on ``messenger serve`` (MariaDB, a database created and
dropped here; the server pinned to CPU 0, this load generator to CPU 1) and is in a dialog,
a group of 10 and a group of 50 (``loadgen.topology``). Messages are posted over REST at
``--rate`` per second (Poisson, retried with the same ``client_id`` until accepted, so
posts made while the server is down land once it is back). After ``--before`` seconds the
server gets SIGTERM (its sockets close with 1012) and a new ``messenger serve`` starts on
the same port and database once the old one has exited.

Each bench client behaves as the desktop client does (``client/renderer/lib``): it
reconnects after ``backoffDelay`` (base 500 ms, max 15 s, equal jitter; ``realtime.js``),
sends ``auth``, and on ``ready`` pages ``GET /sync?since=<cursor>&limit=500`` until
``has_more`` is false, holding the pushes back meanwhile and applying them after by cursor;
a failed page is retried after ``backoffDelay`` (base 1 s), and at least the server's
``Retry-After`` plus up to half as much again (``sync.js``).

Figures: the time from SIGTERM until every client has caught up (its first catch-up on the
new server ended), the spread of those times, ``/sync`` latency (p50, p99, peak) and
statuses, 5xx (other than admission control's 503s, counted apart), and lost and
duplicated events: every message accepted, before or during the restart, must be applied
exactly once by every member's client (from its socket or ``/sync``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import random
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import loadgen  # noqa: E402
import procstat  # noqa: E402
import run  # noqa: E402
from big_channel import OneHash  # noqa: E402
from histogram import new_histogram, summary_ms  # noqa: E402
from httpclient import HttpConnection  # noqa: E402

API = loadgen.API
# The desktop client's constants (client/renderer/lib/realtime.js, sync.js).
SOCKET_BACKOFF = (500, 15000)
SYNC_BACKOFF = (1000, 15000)
SYNC_PAGE = 500
MAX_HELD = 2000
MAX_RETRY_MS = 60000
# Admission control's 503 (``messenger.entrypoints.admission.BUSY_MESSAGE``).
BUSY = b"catching up at once"


# Tasks the bench starts and does not await: the loop keeps only weak references to them.
TASKS: set[asyncio.Task[None]] = set()


def spawn(coro: Any) -> None:
    task = asyncio.get_running_loop().create_task(coro)
    TASKS.add(task)
    task.add_done_callback(TASKS.discard)


def backoff_delay(attempt: int, base: int, cap: int, rng: random.Random) -> float:
    """``backoffDelay`` of client/renderer/lib/backoff.js, in ms."""
    step = min(cap, base * 2 ** max(0, attempt))
    return round(step / 2 + rng.random() * (step / 2))


def retry_delay(retry_after: float | None, attempt: int, rng: random.Random) -> float:
    """``SyncEngine._retryDelay``: the backoff, or at least Retry-After (+ up to half)."""
    delay = backoff_delay(attempt, *SYNC_BACKOFF, rng)
    if not retry_after or retry_after <= 0:
        return delay
    asked = min(retry_after * 1000, MAX_RETRY_MS)
    return max(delay, round(asked + rng.random() * asked / 2))


# --- wire ----------------------------------------------------------------------------------


class _Frame(msgspec.Struct):
    type: str
    data: msgspec.Raw = msgspec.Raw(b"{}")
    cursor: int | None = None


class _MsgRef(msgspec.Struct):
    id: int


class _MsgData(msgspec.Struct):
    message: _MsgRef


class _Ready(msgspec.Struct):
    cursor: int


class _Page(msgspec.Struct):
    events: list[_Frame]
    cursor: int
    has_more: bool


_frame = msgspec.json.Decoder(_Frame)
_msg = msgspec.json.Decoder(_MsgData)
_ready = msgspec.json.Decoder(_Ready)
_page = msgspec.json.Decoder(_Page)
_enc = msgspec.json.Encoder()


class SourceConnection(HttpConnection):
    """A keep-alive connection from a given local address, keeping ``Retry-After``."""

    def __init__(self, host: str, port: int, local: str) -> None:
        super().__init__(host, port)
        self.local = local
        self.retry_after: float | None = None

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(
                self.host, self.port, local_addr=(self.local, 0)
            )
        return self._reader, self._writer

    async def _read_response(self, reader: asyncio.StreamReader) -> tuple[int, bytes]:
        header = await reader.readuntil(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        close = False
        self.retry_after = None
        for line in lines[1:]:
            name, _, value = line.partition(":")
            key = name.strip().lower()
            if key == "content-length":
                length = int(value)
            elif key == "connection" and value.strip().lower() == "close":
                close = True
            elif key == "retry-after":
                self.retry_after = float(value)
        body = await reader.readexactly(length) if length else b""
        if close:
            self.close()
        return status, body


# --- the run's books --------------------------------------------------------------------------


class Storm:
    """What every client saw, and the restart's moments (monotonic seconds)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.term_at: float | None = None  # SIGTERM sent
        self.old_exited_at: float | None = None
        self.new_listening_at: float | None = None
        self.sync_latency = new_histogram()  # every /sync answer after SIGTERM
        self.sync_ok_latency = new_histogram()
        self.sync_status: Counter[str] = Counter()
        self.sync_busy = 0
        self.sync_requests = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.closes: Counter[int] = Counter()
        self.connect_failures = 0
        self.reconnects = 0
        self.post_status: Counter[str] = Counter()
        self.stray = 0

    def after_term(self) -> bool:
        return self.term_at is not None


class Client:
    """One desktop client: its socket, its reconnects and its catch-ups."""

    def __init__(self, storm: Storm, user: loadgen.User, local: str, seed: int) -> None:
        self.storm = storm
        self.user = user
        self.local = local
        self.rng = random.Random(seed)
        self.auth = _enc.encode({"type": "auth", "data": {"token": user.token}})
        self.cursor: int | None = None
        self.online = False
        self.syncing = False
        self.catching = False
        self.again = False
        self.held: list[tuple[int, str, bytes]] = []
        self.applied: set[int] = set()
        self.duplicates = 0
        self.attempt = 0
        self.transport: Any = None
        self.ready: asyncio.Future[None] | None = None
        self.closed_at: float | None = None  # by the old server (after SIGTERM)
        self.ready_at: float | None = None  # first ready after SIGTERM
        self.caught_up_at: float | None = None  # first catch-up ended after SIGTERM
        self.stopped = False

    # -- the socket (realtime.js) --

    async def connect(self) -> None:
        from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

        client = self

        class Listener(WSListener):  # type: ignore[misc]
            def on_ws_connected(self, transport: WSTransport) -> None:
                client.transport = transport
                transport.send(WSMsgType.TEXT, client.auth)

            def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
                if frame.msg_type == WSMsgType.TEXT:
                    if client.transport is transport:
                        client.on_frame(frame.get_payload_as_bytes())
                elif frame.msg_type == WSMsgType.CLOSE:
                    client.on_gone(transport, frame.get_close_code())
                    transport.send_close(frame.get_close_code())
                    transport.disconnect()

            def on_ws_disconnected(self, transport: WSTransport) -> None:
                client.on_gone(transport, None)

        url = f"ws://{self.storm.host}:{self.storm.port}{loadgen.WS_PATH}"
        try:
            await ws_connect(
                Listener, url, websocket_handshake_timeout=30, local_addr=(self.local, 0)
            )
        except Exception:
            self.storm.connect_failures += 1
            self.transport = None
            self.schedule_reconnect()

    def on_gone(self, transport: Any, code: int | None) -> None:
        if transport is not self.transport:
            return  # an earlier socket's late news
        self.transport = None
        self.online = False
        storm = self.storm
        storm.closes[code if code is not None else -1] += 1
        if storm.after_term() and self.closed_at is None:
            self.closed_at = time.monotonic()
        if self.ready is not None and not self.ready.done():
            self.ready.set_exception(ConnectionError(f"closed before ready ({code})"))
        self.schedule_reconnect()

    def schedule_reconnect(self) -> None:
        if self.stopped:
            return
        delay = backoff_delay(self.attempt, *SOCKET_BACKOFF, self.rng)
        self.attempt += 1
        loop = asyncio.get_running_loop()
        loop.call_later(delay / 1000, lambda: spawn(self._reconnect()))

    async def _reconnect(self) -> None:
        if self.stopped:
            return
        self.storm.reconnects += 1
        await self.connect()

    def on_frame(self, payload: bytes) -> None:
        frame = _frame.decode(payload)
        if frame.type == "ready":
            self.on_ready(_ready.decode(frame.data).cursor)
        elif frame.cursor is not None:
            if self.syncing:
                if len(self.held) >= MAX_HELD:
                    self.held = []
                    self.again = True
                self.held.append((frame.cursor, frame.type, bytes(frame.data)))
            else:
                self.apply(frame.cursor, frame.type, bytes(frame.data))
        # presence, typing, pong: not part of the measurement

    def on_ready(self, cursor: int) -> None:
        self.attempt = 0
        self.online = True
        if self.ready is not None and not self.ready.done():
            self.ready.set_result(None)
        if self.cursor is None:
            self.cursor = cursor  # a fresh client: the snapshot's cursor
            return
        if self.storm.after_term() and self.ready_at is None:
            self.ready_at = time.monotonic()
        self.syncing = True
        if self.catching:
            self.again = True
            return
        spawn(self.catch_up())

    def send(self, data: bytes) -> None:
        transport = self.transport
        if transport is not None:
            from picows import WSMsgType

            transport.send(WSMsgType.TEXT, data)

    def close(self) -> None:
        self.stopped = True
        transport = self.transport
        if transport is not None:
            transport.send_close()
            transport.disconnect()

    # -- the catch-up (sync.js) --

    async def catch_up(self) -> None:
        self.catching = True
        failures = 0
        conn = SourceConnection(self.storm.host, self.storm.port, self.local)
        try:
            while not self.stopped:
                self.again = False
                retry_after = await self.page_since(conn)
                if retry_after is None:
                    if not self.again:
                        break
                    continue
                conn.close()
                await asyncio.sleep(retry_delay(retry_after, failures, self.rng) / 1000)
                failures += 1
        finally:
            conn.close()
            self.catching = False
        held = sorted(self.held)
        self.held = []
        self.syncing = False
        for cursor, kind, data in held:
            self.apply(cursor, kind, data)
        if self.storm.after_term() and self.caught_up_at is None and self.ready_at is not None:
            self.caught_up_at = time.monotonic()

    async def page_since(self, conn: SourceConnection) -> float | None:
        """Pages until done: None, or the failure's Retry-After (0: none given)."""
        storm = self.storm
        while True:
            path = f"{API}/sync?since={self.cursor}&limit={SYNC_PAGE}"
            t = time.monotonic_ns()
            storm.sync_requests += 1
            storm.in_flight += 1
            storm.peak_in_flight = max(storm.peak_in_flight, storm.in_flight)
            try:
                status, body = await conn.request("GET", path, token=self.user.token)
            except (OSError, asyncio.IncompleteReadError):
                status, body = 0, b""
            finally:
                storm.in_flight -= 1
            took = (time.monotonic_ns() - t) // 1000
            storm.sync_latency.record(took)
            storm.sync_status[str(status)] += 1
            if status != 200:
                if status == 503 and BUSY in body:
                    storm.sync_busy += 1
                conn.close()
                return conn.retry_after or 0.0
            storm.sync_ok_latency.record(took)
            page = _page.decode(body)
            for ev in page.events:
                if ev.cursor is not None:
                    self.apply(ev.cursor, ev.type, bytes(ev.data))
            assert self.cursor is not None
            self.cursor = max(self.cursor, page.cursor)
            if not page.has_more or not page.events:
                return None

    def apply(self, cursor: int, kind: str, data: bytes) -> None:
        if self.cursor is not None and cursor <= self.cursor:
            return  # seen already
        self.cursor = cursor
        if kind == "new_message":
            mid = _msg.decode(data).message.id
            if mid in self.applied:
                self.duplicates += 1
            else:
                self.applied.add(mid)


# --- setup --------------------------------------------------------------------------------------


async def populate(settings: dict[str, str], users: int, run_id: str, presence: bool) -> Any:
    """Accounts (one precomputed argon2 hash, as big_channel.py) and their chats, through
    the package's own use cases, before the server starts."""
    from messenger.adapters.security import Argon2Hasher
    from messenger.container import Container, running
    from messenger.domain.privacy import Audience
    from messenger.settings import Settings

    real = Argon2Hasher()
    hasher = OneHash(await real.hash(loadgen.PASSWORD), real)
    # The setup is no measurement: a busy shared MariaDB may take longer than a request may.
    setup = settings | {"MESSENGER_DB_TIMEOUT": "0"}
    container = Container(settings=Settings.from_env(setup), hasher=hasher)
    async with running(container) as (messenger, _):
        sem = asyncio.Semaphore(16)

        async def register(i: int) -> loadgen.User:
            async with sem:
                name = f"s{run_id}u{i}"
                out = await messenger.register(
                    name, loadgen.PASSWORD, display_name=f"S {i}", by_operator=True
                )
                if not presence:
                    await messenger.change_privacy(out.user.id, online=Audience.NOBODY)
                return loadgen.User(i, out.user.id, name, out.access_token)

        t = time.monotonic()
        people = list(await asyncio.gather(*(register(i) for i in range(users))))
        print(f"  {users} accounts in {time.monotonic() - t:.1f} s", flush=True)

        async def create(kind: str, members: list[int]) -> loadgen.Chat:
            async with sem:
                owner = people[members[0]].id
                if kind == "direct":
                    details, _ = await messenger.open_dialog(owner, people[members[1]].id)
                else:
                    others = [people[m].id for m in members[1:]]
                    details = await messenger.create_group(owner, f"{kind} {members[0]}", others)
                return loadgen.Chat(details.chat.id, kind, members)

        topology = loadgen.topology(users)
        chats = list(await asyncio.gather(*(create(k, m) for k, m in topology)))
    for chat in chats:
        for m in chat.members:
            people[m].chats.append(chat.id)
    return loadgen.Population(people, chats)


async def open_all(clients: list[Client], concurrency: int = 100) -> list[Client]:
    """Every client's socket, authenticated and ``ready``; those that failed (after three
    tries: a loaded machine delays a few ``ready`` past the timeout)."""
    sem = asyncio.Semaphore(concurrency)
    failed: list[Client] = []

    async def one(c: Client) -> None:
        async with sem:
            c.ready = asyncio.get_running_loop().create_future()
            c.stopped = True  # no reconnects while the run opens its sockets
            await c.connect()
            try:
                await asyncio.wait_for(c.ready, 30)
            except (TimeoutError, ConnectionError):
                failed.append(c)
                if c.transport is not None:
                    c.transport.disconnect()
                    c.transport = None
            c.stopped = False

    missing = clients
    for _ in range(3):
        failed = []
        await asyncio.gather(*(one(c) for c in missing))
        missing = failed
        if not missing:
            break
        print(f"  {len(missing)} sockets not ready, again", flush=True)
    return missing


# --- traffic ------------------------------------------------------------------------------------


class Poster:
    """Messages over REST on a Poisson schedule, each retried with its ``client_id`` until
    the server accepts it (through the restart)."""

    def __init__(self, storm: Storm, population: loadgen.Population, rate: float) -> None:
        self.storm = storm
        self.population = population
        self.rate = rate
        self.rng = random.Random(5)
        self.conns = [HttpConnection(storm.host, storm.port) for _ in range(32)]
        self.next = 0
        self.accepted: dict[int, loadgen.Chat] = {}  # message id -> chat
        self.tasks: set[asyncio.Task[None]] = set()
        self.sent = 0
        self.accepted_during_restart = 0
        by_kind: dict[str, list[loadgen.Chat]] = {}
        for chat in population.chats:
            by_kind.setdefault(chat.kind, []).append(chat)
        self.by_kind = by_kind
        self.kinds = [k for k in loadgen.MIX if by_kind.get(k)]
        self.weights = [loadgen.MIX[k] for k in self.kinds]
        self.stop = False

    async def run(self) -> None:
        due = time.monotonic()
        while not self.stop:
            due += self.rng.expovariate(self.rate)
            delay = due - time.monotonic()
            if delay > 0.0005:
                await asyncio.sleep(delay)
            kind = self.rng.choices(self.kinds, self.weights)[0]
            chat = self.rng.choice(self.by_kind[kind])
            sender = self.population.users[self.rng.choice(chat.members)]
            self.sent += 1
            task = asyncio.create_task(self.post(chat, sender, f"rs-{self.sent}"))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def post(self, chat: loadgen.Chat, sender: loadgen.User, client_id: str) -> None:
        body = {"client_id": client_id, "text": f"storm {client_id}"}
        path = f"{API}/chats/{chat.id}/messages"
        while True:
            conn = self.conns[self.next]
            self.next = (self.next + 1) % len(self.conns)
            try:
                status, raw = await conn.request("POST", path, body, sender.token)
            except (OSError, asyncio.IncompleteReadError):
                status, raw = 0, b""
                conn.close()
            self.storm.post_status[str(status)] += 1
            if 200 <= status < 300:
                mid = int(msgspec.json.decode(raw)["id"])
                self.accepted[mid] = chat
                if self.storm.term_at is not None and self.storm.new_listening_at is None:
                    self.accepted_during_restart += 1
                return
            await asyncio.sleep(0.2)

    def close(self) -> None:
        for c in self.conns:
            c.close()


async def keep_alive(clients: list[Client], every: float = 20.0) -> None:
    ping = _enc.encode({"type": "ping", "data": {}})
    while True:
        await asyncio.sleep(every)
        for c in clients:
            if c.online:
                c.send(ping)


# --- the run ------------------------------------------------------------------------------------


def quantiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50_s": None, "p99_s": None, "max_s": None}
    v = sorted(values)
    return {
        "p50_s": round(v[len(v) // 2], 2),
        "p99_s": round(v[min(len(v) - 1, int(len(v) * 0.99))], 2),
        "max_s": round(v[-1], 2),
    }


def listening_port() -> int:
    """A free port below the ephemeral range, as a deployment's is. While no server listens
    on an ephemeral port, a client reconnecting from that very port connects to itself
    (TCP simultaneous open) and keeps it: the new server could not bind."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    rng = random.Random()
    for _ in range(100):
        port = rng.randrange(max(1024, low - 12000), low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


def pin(pid: int, alone: bool) -> bool:
    """The server on CPU 0 alone (``--pin``), else on every core (``run.server_process``
    starts it on CPU 0)."""
    cpus = {run.SERVER_CPU} if alone else set(range(os.cpu_count() or 1))
    return bool(procstat.pin(pid, cpus))


def server_settings(args: argparse.Namespace, url: str, workdir: Path) -> dict[str, str]:
    """The server's environment (over run.py's): the bench's limits raised, never defaults."""
    return {
        "MESSENGER_DATABASE_URL": url,
        "MESSENGER_SECRET_KEY": secrets.token_urlsafe(48),
        "MESSENGER_ACCESS_TOKEN_TTL": "7200",
        "MESSENGER_LIMIT_CHATS_PER_HOUR": "0",
        "MESSENGER_LIMIT_MEMBER_ADDS_PER_HOUR": "0",
        "MESSENGER_LIMIT_POST_RATE": "0",
        # Every client of the bench comes from a handful of addresses.
        "MESSENGER_WS_UNAUTH_PER_ADDRESS": "1000000",
        "MESSENGER_AUTH_RATE_LIMIT": "1000000",
        "MESSENGER_UPLOAD_DIR": str(workdir / "uploads"),
    } | dict(kv.split("=", 1) for kv in args.server_env)


async def storm_run(  # noqa: PLR0915 - one run, read top to bottom
    args: argparse.Namespace, workdir: Path, run_id: str, settings: dict[str, str]
) -> dict[str, Any]:
    """Populate, connect everyone, restart the server under traffic; the figures."""
    result: dict[str, Any] = {"users": args.users}
    t = time.monotonic()
    population = await populate(settings, args.users, run_id, not args.no_presence)
    result["setup_seconds"] = round(time.monotonic() - t, 1)
    print(
        f"  {args.users} users, {len(population.chats)} chats in {result['setup_seconds']} s",
        flush=True,
    )
    port = listening_port()
    storm = Storm("127.0.0.1", port)
    addresses = [f"127.0.0.{1 + i}" for i in range(args.addresses)]
    clients = [
        Client(storm, u, addresses[u.index % len(addresses)], u.index) for u in population.users
    ]
    with run.server_process("mariadb", workdir, settings, port=port) as (proc, _, detail):
        await run.wait_port(port, proc)
        result["process"] = detail
        result["pinned"] = pin(proc.pid, args.pin)
        t = time.monotonic()
        failed = await open_all(clients)
        if failed:
            raise RuntimeError(f"{len(failed)} of {len(clients)} sockets failed to get ready")
        result["connect_seconds"] = round(time.monotonic() - t, 1)
        result["connects_per_s"] = round(len(clients) / (time.monotonic() - t), 1)
        print(
            f"  {len(clients)} sockets ready in {result['connect_seconds']} s",
            flush=True,
        )
        pinger = asyncio.create_task(keep_alive(clients))
        poster = Poster(storm, population, args.rate)
        posting = asyncio.create_task(poster.run())
        await asyncio.sleep(args.before)
        rss_before = procstat.rss_kib(proc.pid)
        # The restart: SIGTERM (sockets get 1012), a new process on the same port once
        # the old one has gone, as a service manager restarts it.
        loop = asyncio.get_running_loop()
        storm.term_at = time.monotonic()
        print("  SIGTERM", flush=True)
        await loop.run_in_executor(None, run.stop, proc)
        storm.old_exited_at = time.monotonic()
    db_pid = procstat.pid_of("mariadbd") or procstat.pid_of("mysqld")
    # A restart, not a deploy: the schema is already there.
    restart = run.server_process("mariadb", workdir, settings, port=port, migrate=False)
    with restart as (proc, _, detail):
        await run.wait_port(port, proc, seconds=60)
        storm.new_listening_at = time.monotonic()
        pin(proc.pid, args.pin)
        print(
            f"  new server listening {storm.new_listening_at - storm.term_at:.1f} s after SIGTERM",
            flush=True,
        )
        with run.Meter(proc.pid, db_pid) as meter:
            await wait_until(lambda: all(c.caught_up_at is not None for c in clients), args.timeout)
        all_caught = time.monotonic()
        await asyncio.sleep(args.after)
        poster.stop = True
        await posting
        if poster.tasks:
            await asyncio.wait(list(poster.tasks), timeout=30)
        # Every accepted message to every member, or give up after 15 s.
        await wait_until(lambda: count_lost(poster, population, clients) == 0, 15)
        pinger.cancel()
        rss_after = procstat.rss_kib(proc.pid)
        for c in clients:
            c.close()
        poster.close()
    result |= figures(storm, clients, poster, population, meter, all_caught)
    result["rss_old_mib"] = round(rss_before / 1024, 1)
    result["rss_new_mib"] = round(rss_after / 1024, 1)
    return result


def figures(
    storm: Storm,
    clients: list[Client],
    poster: Poster,
    population: loadgen.Population,
    meter: run.Meter,
    all_caught: float,
) -> dict[str, Any]:
    """The storm's figures, in seconds after SIGTERM."""
    assert storm.term_at is not None
    assert storm.old_exited_at is not None
    assert storm.new_listening_at is not None
    term = storm.term_at
    caught = [c.caught_up_at - term for c in clients if c.caught_up_at is not None]
    readies = [c.ready_at - term for c in clients if c.ready_at is not None]
    five_xx = {k: v for k, v in storm.sync_status.items() if k.startswith("5")}
    other_5xx = sum(five_xx.values()) - storm.sync_busy
    return {
        "old_server_exit_s": round(storm.old_exited_at - term, 2),
        "new_server_listening_s": round(storm.new_listening_at - term, 2),
        "all_caught_up_s": round(all_caught - term, 2) if len(caught) == len(clients) else None,
        "caught_up": len(caught),
        "caught_up_after_sigterm": quantiles(caught),
        "ready_after_sigterm": quantiles(readies),
        "sync": {
            "requests": storm.sync_requests,
            "latency": summary_ms(storm.sync_latency),
            "ok_latency": summary_ms(storm.sync_ok_latency),
            "statuses": dict(storm.sync_status),
            "busy_503": storm.sync_busy,
            "other_5xx": other_5xx,
            "peak_in_flight": storm.peak_in_flight,
        },
        "socket_closes": {str(k): v for k, v in storm.closes.items()},
        "reconnect_attempts": storm.reconnects,
        "connect_failures": storm.connect_failures,
        "posts": {
            "sent": poster.sent,
            "accepted": len(poster.accepted),
            "accepted_while_down": poster.accepted_during_restart,
            "statuses": dict(storm.post_status),
            "5xx": sum(v for k, v in storm.post_status.items() if k.startswith("5")),
        },
        "lost": count_lost(poster, population, clients),
        "duplicates": sum(c.duplicates for c in clients),
        "storm_server_cpu_s": round(meter.cpu, 2),
        "storm_db_cpu_s": round(meter.db, 2),
        "storm_loadgen_cpu_s": round(meter.loadgen, 2),
        "storm_other_processes_cpu_s": round(meter.others, 2),
        "storm_seconds": round(meter.elapsed, 2),
    }


async def wait_until(done: Callable[[], bool], seconds: float) -> None:
    """Polls ``done`` (state spread over thousands of clients) every 0.1 s for ``seconds``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and not done():  # noqa: ASYNC110 - nothing to wait on
        await asyncio.sleep(0.1)


def count_lost(poster: Poster, population: loadgen.Population, clients: list[Client]) -> int:
    lost = 0
    for mid, chat in list(poster.accepted.items()):
        for m in chat.members:
            if mid not in clients[m].applied:
                lost += 1
    return lost


def report(r: dict[str, Any]) -> str:
    s = r["sync"]
    lat = s["latency"]
    c = r["caught_up_after_sigterm"]
    return "\n".join(
        [
            f"users {r['users']}: old server gone {r['old_server_exit_s']} s after SIGTERM, "
            f"new one listening at {r['new_server_listening_s']} s",
            f"every client caught up {r['all_caught_up_s']} s after SIGTERM "
            f"(p50 {c['p50_s']} s, p99 {c['p99_s']} s; {r['caught_up']} of {r['users']}; "
            "target <= 30 s)",
            f"/sync: {s['requests']} requests, p50 {lat['p50_ms']} ms, p99 {lat['p99_ms']} ms, "
            f"peak {lat['max_ms']} ms; 200s p99 {s['ok_latency']['p99_ms']} ms; "
            f"statuses {s['statuses']}; peak in flight {s['peak_in_flight']}",
            f"5xx other than admission's 503: {s['other_5xx']} (target 0); busy 503s: "
            f"{s['busy_503']}; POST /messages 5xx: {r['posts']['5xx']} (statuses "
            f"{r['posts']['statuses']}; 0: no server listening)",
            f"lost {r['lost']}, duplicated {r['duplicates']} (target 0) over "
            f"{r['posts']['accepted']} messages ({r['posts']['accepted_while_down']} accepted "
            "while the server restarted)",
            f"socket closes {r['socket_closes']}, reconnect attempts {r['reconnect_attempts']}, "
            f"connects refused/failed {r['connect_failures']}",
            f"storm CPU-s: server {r['storm_server_cpu_s']}, MariaDB {r['storm_db_cpu_s']}, "
            f"load generator {r['storm_loadgen_cpu_s']}, others {r['storm_other_processes_cpu_s']}"
            f" over {r['storm_seconds']} s",
        ]
    )


def raise_nofile_hard(want: int = 65536) -> int:
    """10,000 sockets and as many catch-up connections need more than the usual 20,000
    descriptors; the hard limit can be raised where the bench may (root)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < want:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
    return run.raise_nofile()


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="1,000 users")
    p.add_argument("--users", type=int, default=None)
    p.add_argument("--rate", type=float, default=50.0, help="messages per second (REST)")
    p.add_argument("--before", type=float, default=5.0, help="seconds of traffic before SIGTERM")
    p.add_argument("--after", type=float, default=3.0, help="seconds of traffic after catch-up")
    p.add_argument("--timeout", type=float, default=180.0, help="give up the storm after")
    p.add_argument("--addresses", type=int, default=None, help="source addresses 127.0.0.1..")
    p.add_argument("--no-presence", action="store_true", help="users hide their online status")
    p.add_argument(
        "--pin",
        action="store_true",
        help="server on CPU 0, load generator on CPU 1 (as run.py); default: both float",
    )
    p.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting of the server (repeatable), e.g. MESSENGER_SYNC_CONCURRENCY=0",
    )
    p.add_argument("--out", type=Path, default=run.RESULTS / "reconnect_storm.json")
    args = p.parse_args()
    if args.users is None:
        args.users = 1000 if args.quick else 10000
    if args.addresses is None:
        # About 28,000 ephemeral ports per address: a socket and a catch-up connection each.
        args.addresses = max(1, -(-2 * args.users // 20000))
    return args


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    raise_nofile_hard()
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    run_id = secrets.token_hex(3)
    started = time.monotonic()
    print(f"== reconnect storm ({args.users} users, {args.rate:g} messages/s)", flush=True)
    with tempfile.TemporaryDirectory(prefix="messenger-storm-") as tmp:
        workdir = Path(tmp)

        async def go(settings: dict[str, str]) -> dict[str, Any]:
            if args.pin and (os.cpu_count() or 1) > 1:
                procstat.pin(os.getpid(), {run.LOADGEN_CPU})
            return await storm_run(args, workdir, run_id, settings)

        try:
            with run.mariadb_database() as url:
                settings = server_settings(args, url, workdir)
                messenger = str(Path(sys.executable).with_name("messenger"))
                env = dict(os.environ) | settings
                subprocess.run([messenger, "migrate"], env=env, check=True, capture_output=True)
                result = runner(go(settings))
        except Exception as exc:
            log = workdir / "mariadb.log"
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            print(f"  FAILED: {exc!r}\n{tail}", flush=True)
            sys.exit(1)
    print()
    print(report(result))
    loadavg = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average at the end: {' '.join(loadavg)}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "scenario": "reconnect storm (issue 18, scenario 3)",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "args": {k: str(v) for k, v in vars(args).items()},
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_at_end": loadavg,
        },
        "seconds": round(time.monotonic() - started, 1),
        "result": result,
    }
    args.out.write_text(json.dumps(doc, indent=2, default=str))
    print(f"results written to {args.out}; total {doc['seconds']} s")
    ok = (
        result["lost"] == 0
        and result["duplicates"] == 0
        and result["sync"]["other_5xx"] == 0
        and result["all_caught_up_s"] is not None
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
