"""The fault suite: faults injected under load, then counted against the database.

Simulated clients behave as the real one does (``client/renderer/lib/sync.js``): an outbox
of ``client_id``s, resent after every reconnect until acknowledged (or seen in the feed);
reconnects with backoff; on ``ready`` ``/sync`` paged from the last applied cursor while
pushes are held (a failed ``/sync`` is retried, the held pushes wait for it); feed events
applied by cursor; throttled and unavailable sends paused for ``retry_after``. While they
post, a fault is injected; after recovery every client drains its outbox, and once the
sockets are closed it catches up one last time. Then the database (the truth) is compared
with what each client saw:

- acknowledged but lost: a ``message_sent`` whose message is not stored;
- duplicated: one (sender, ``client_id``) stored twice, one ``client_id`` acknowledged as
  two messages, or one message applied twice by a client;
- missed after sync: a stored message of a client's chats that the client never saw.

All three must be zero. The counts are printed (``pytest -s``) and collected in
``<pytest basetemp>/fault-suite.json``. Run alone with ``make test-faults``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from tests.contract_check import check_server_frame
from tests.integration.conftest import pymysql_connect
from tests.integration.stall import StallingProxy
from tests.integration.ws import full_disk
from tests.integration.ws.conftest import (
    FAULT_COUNTS,
    ORIGIN,
    PrivateRedis,
    ServerProcess,
    User,
    open_dialog,
    register,
    server_env,
)

pytestmark = [pytest.mark.integration, pytest.mark.faults]

# Sends that cannot succeed by resending (as the real client's PERMANENT): a fault must
# never cause one.
PERMANENT = frozenset(
    {
        "validation_error",
        "message_too_long",
        "not_found",
        "not_a_member",
        "forbidden",
        "conflict",
        "bad_request",
        "too_large",
    }
)
# The real client's pacing: below the socket's 60 frames at once and 20 a second.
SEND_BURST = 50
SEND_RATE = 16.0
DEFAULT_RETRY = 2.0  # when an error names no retry_after
# Faults heal within seconds here; what must then happen, must happen within these.
RECOVERY = 60.0


def backoff(failures: int) -> float:
    """Reconnect and retry delays: 0.2 s doubling to 2 s, with jitter."""
    step = min(2.0, 0.2 * 2**failures)
    return step / 2 + random.random() * step / 2


class SyncFailed(Exception):
    """A catch-up ``/sync`` failed; it is retried after ``retry_after`` (or a backoff)."""

    def __init__(self, reason: str, retry_after: float = 0.0) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass
class Stats:
    """What a client went through (reported with the counts, asserted on where it says a
    fault really happened)."""

    connections: int = 0
    readies: int = 0
    failed_syncs: int = 0
    errors: Counter[str] = field(default_factory=Counter)


class SimClient:
    """One device of one user, speaking the protocol as the real client does."""

    def __init__(
        self,
        user: User,
        server: ServerProcess,
        chats: Sequence[int],
        *,
        send_burst: int = SEND_BURST,
        fail_first_sync: bool = False,
    ) -> None:
        self.user = user
        self.server = server
        self.chats = tuple(chats)
        self.send_burst = send_burst
        # Every catch-up's first /sync fails (as one does against a restarting database):
        # the catch-up must retry it and hold its pushes meanwhile.
        self.fail_first_sync = fail_first_sync
        self.outbox: dict[str, tuple[int, str]] = {}  # in the order the user wrote them
        self.in_flight: set[str] = set()
        self.sent: Counter[str] = Counter()  # client_id -> times sent
        self.acked: dict[str, int] = {}  # client_id -> the id message_sent named
        self.ack_conflicts = 0  # one client_id acknowledged as two different messages
        self.out_of_order = 0  # pushes of one socket not in ascending cursor order
        self.seen: Counter[int] = Counter()  # message id -> times applied from the feed
        self.seen_at: dict[tuple[int, str], float] = {}  # (sender, client_id) -> when
        self.arrived = asyncio.Event()  # set whenever a message is applied
        self.permanent_errors: list[dict[str, Any]] = []
        self.violations: list[str] = []
        self.stats = Stats()
        self.cursor = 0
        self.online = False
        self.syncing = False
        self._held: list[dict[str, Any]] = []
        self._written = 0
        self._tokens = float(send_burst)
        self._tokens_at = 0.0
        self._paused_until = 0.0
        self._acked_cursor = -1
        self._ack_at = 0.0
        self._stopped = False
        self._task: asyncio.Task[None] | None = None
        self._ws: ClientConnection | None = None
        self.http = httpx.AsyncClient(base_url=server.url, timeout=10)

    # --- the user ------------------------------------------------------------------------

    def write(self, chat_id: int | None = None) -> str:
        """The user writes a message (to each of their chats in turn): it joins the outbox."""
        n = self._written
        self._written += 1
        client_id = f"{self.user.username}-{n}"
        self.outbox[client_id] = (chat_id or self.chats[n % len(self.chats)], f"#{n}")
        return client_id

    # --- lifecycle -----------------------------------------------------------------------

    async def bootstrap(self) -> None:
        """A fresh client takes the feed's head as its cursor (and a snapshot, not needed
        here: the chats are known)."""
        response = await self.http.get("/api/v1/sync", headers=self.user.headers)
        assert response.status_code == 200, response.text
        self.cursor = response.json()["cursor"]

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def drop(self) -> None:
        """Close the socket (the network dropped it): the client reconnects and catches up."""
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 2)

    async def close(self) -> None:
        """Close the socket and stop reconnecting."""
        self._stopped = True
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 2)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        self.online = False

    async def final_sync(self) -> None:
        """The last catch-up, after every fault has healed, with the socket closed."""
        async with asyncio.timeout(RECOVERY):
            await self._catch_up(first_may_fail=False)
        await self.http.aclose()

    @property
    def settled(self) -> bool:
        """Connected, caught up, and every message the user wrote confirmed (acknowledged,
        or seen in the feed)."""
        return self.online and not self.syncing and not self.outbox

    # --- the socket ----------------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while not self._stopped:
            readies = self.stats.readies
            try:
                async with connect(
                    self.server.ws_url, origin=ORIGIN, open_timeout=5, close_timeout=1
                ) as ws:  # type: ignore[arg-type]
                    self.stats.connections += 1
                    self._ws = ws
                    await ws.send(json.dumps({"type": "auth", "data": {"token": self.user.token}}))
                    await self._serve(ws)
            except (OSError, TimeoutError, WebSocketException):
                pass
            self._disconnected()
            failures = 0 if self.stats.readies > readies else failures + 1
            await asyncio.sleep(backoff(failures))

    async def _serve(self, ws: ClientConnection) -> None:
        sender: asyncio.Task[None] | None = None
        catch_up: asyncio.Task[None] | None = None
        last_pushed: int | None = None
        try:
            async for raw in ws:
                frame = json.loads(raw)
                try:
                    check_server_frame(frame)
                except AssertionError as exc:
                    self.violations.append(str(exc))
                if frame["type"] == "ready":
                    self.stats.readies += 1
                    last_pushed = frame["data"]["cursor"]
                    self.online = True
                    self.syncing = True
                    self._held = []
                    self.in_flight.clear()
                    # A new socket has the server's whole budget again.
                    self._tokens = float(self.send_burst)
                    self._tokens_at = time.monotonic()
                    self._paused_until = 0.0
                    if catch_up is not None:
                        catch_up.cancel()
                    catch_up = asyncio.create_task(self._catch_up_then_apply_held())
                    if sender is None:
                        sender = asyncio.create_task(self._send_loop(ws))
                elif "cursor" in frame:
                    # After ready, a socket pushes every feed event above ready's cursor
                    # in ascending order.
                    if last_pushed is None or frame["cursor"] <= last_pushed:
                        self.out_of_order += 1
                    last_pushed = frame["cursor"]
                    if self.syncing:
                        self._held.append(frame)
                    else:
                        self._apply(frame)
                elif frame["type"] == "message_sent":
                    self._acknowledged(frame["data"])
                elif frame["type"] == "error":
                    self._error(frame["data"])
        except ConnectionClosed:
            pass
        finally:
            for task in (sender, catch_up):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task

    def _disconnected(self) -> None:
        self._ws = None
        self.online = False
        self.syncing = False
        self._held = []
        self.in_flight.clear()  # whatever was in flight goes again after the next ready
        self._acked_cursor = -1

    async def _catch_up_then_apply_held(self) -> None:
        await self._catch_up(first_may_fail=self.fail_first_sync)
        held = sorted(self._held, key=lambda f: f["cursor"])
        self._held = []
        self.syncing = False
        for frame in held:
            self._apply(frame)  # those at or below the synced cursor are skipped

    async def _catch_up(self, *, first_may_fail: bool) -> None:
        failures = 0
        while True:
            try:
                await self._page_since(fail=first_may_fail and failures == 0)
                return
            except SyncFailed as exc:
                self.stats.failed_syncs += 1
                await asyncio.sleep(max(backoff(failures), exc.retry_after))
                failures += 1

    async def _page_since(self, *, fail: bool = False) -> None:
        if fail:
            raise SyncFailed("503 (injected)", retry_after=0.3)
        while True:
            try:
                response = await self.http.get(
                    "/api/v1/sync",
                    params={"since": self.cursor, "limit": 500},
                    headers=self.user.headers,
                )
            except httpx.HTTPError as exc:
                raise SyncFailed(repr(exc)) from None
            if response.status_code != 200:
                if response.status_code not in (429, 503):
                    # A fault must make /sync unavailable for a while, nothing else (not a
                    # 500, nor a 410 resync_required: the cursor is recent).
                    self.violations.append(f"/sync: {response.status_code} {response.text}")
                retry = float(response.headers.get("Retry-After", DEFAULT_RETRY))
                raise SyncFailed(f"{response.status_code}", retry_after=retry)
            page = response.json()
            for event in page["events"]:
                self._apply(event)
            self.cursor = max(self.cursor, page["cursor"])
            if not page["has_more"] or not page["events"]:
                return

    def _apply(self, frame: dict[str, Any]) -> None:
        if frame["cursor"] <= self.cursor:
            return  # seen already
        self.cursor = frame["cursor"]
        if frame["type"] != "new_message":
            return
        message = frame["data"]["message"]
        self.seen[message["id"]] += 1
        self.seen_at.setdefault((message["sender_id"], message["client_id"]), time.monotonic())
        self.arrived.set()
        if message["sender_id"] == self.user.id:
            # Our own message, perhaps sent before a disconnect whose ack never came.
            self.outbox.pop(message["client_id"], None)
            self.in_flight.discard(message["client_id"])

    def _acknowledged(self, data: dict[str, Any]) -> None:
        client_id, message_id = data["client_id"], data["message"]["id"]
        if self.acked.get(client_id, message_id) != message_id:
            self.ack_conflicts += 1
        self.acked[client_id] = message_id
        self.outbox.pop(client_id, None)
        self.in_flight.discard(client_id)

    def _error(self, data: dict[str, Any]) -> None:
        code = data["code"]
        self.stats.errors[code] += 1
        client_id = data.get("client_id")
        if client_id in self.outbox:
            self.in_flight.discard(client_id)
            if code in PERMANENT:
                self.permanent_errors.append(data)
                self.outbox.pop(client_id)
                return
            self._pause(data.get("retry_after"))
        elif code == "throttled":
            self._pause(data.get("retry_after"))

    def _pause(self, retry_after: float | None) -> None:
        """Nothing goes out until ``retry_after``; then the budget restarts from one frame."""
        wait = retry_after if retry_after and retry_after > 0 else DEFAULT_RETRY
        self._paused_until = max(self._paused_until, time.monotonic() + min(wait, 60.0))
        self._tokens = 1.0
        self._tokens_at = self._paused_until

    async def _send_loop(self, ws: ClientConnection) -> None:
        """Sends what is due, paced like the real client (a token bucket of its own)."""
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(0.01)
                now = time.monotonic()
                if self.syncing or now < self._paused_until:
                    continue
                if now > self._tokens_at:
                    refill = (now - self._tokens_at) * SEND_RATE
                    self._tokens = min(float(self.send_burst), self._tokens + refill)
                    self._tokens_at = now
                for client_id, (chat_id, text) in list(self.outbox.items()):
                    if client_id in self.in_flight:
                        continue
                    if self._tokens < 1:
                        break
                    self._tokens -= 1
                    self.in_flight.add(client_id)
                    self.sent[client_id] += 1
                    frame = {"chat_id": chat_id, "client_id": client_id, "text": text}
                    await ws.send(json.dumps({"type": "send_message", "data": frame}))
                # Delivery acks, coalesced to one a second as the real client's are.
                if (
                    self.cursor != self._acked_cursor
                    and now - self._ack_at > 1
                    and self._tokens >= 1
                ):
                    self._tokens -= 1
                    self._ack_at = now
                    self._acked_cursor = self.cursor
                    await ws.send(json.dumps({"type": "ack", "data": {"cursor": self.cursor}}))


# --- a scenario ----------------------------------------------------------------------------


@dataclass
class Counts:
    """One scenario's result: the three counts that must be zero, and what they are of."""

    scenario: str
    acked_but_lost: int
    duplicated: int
    missed_after_sync: int
    out_of_order: int
    acknowledged: int
    stored: int
    resent: int  # messages sent more than once (after a reconnect, throttling, a 503)
    seconds: float
    reconnects: int
    failed_syncs: int
    errors: dict[str, int]


@dataclass
class Population:
    """Users in a ring of dialogs (each user in two), one simulated client each."""

    clients: list[SimClient]
    chats: list[int]


async def populate(servers: Sequence[ServerProcess], n: int, **client_options: Any) -> Population:
    """``n`` users on ``servers`` in turn (so the ring's dialogs cross processes)."""
    async with httpx.AsyncClient(base_url=servers[0].url, timeout=30) as http:
        users = list(await asyncio.gather(*(register(http, f"f{i}_") for i in range(n))))
        chats = [await open_dialog(http, users[i], users[(i + 1) % n]) for i in range(n)]
    clients = [
        SimClient(user, servers[i % len(servers)], (chats[i - 1], chats[i]), **client_options)
        for i, user in enumerate(users)
    ]
    for client in clients:
        await client.bootstrap()
    return Population(clients, chats)


@contextlib.asynccontextmanager
async def load(clients: Sequence[SimClient], per_second: float = 5.0) -> AsyncIterator[None]:
    """Every client connected and its user writing ``per_second`` messages meanwhile."""

    async def write(client: SimClient) -> None:
        await asyncio.sleep(random.random() / per_second)
        while True:
            client.write()
            await asyncio.sleep(1 / per_second)

    for client in clients:
        client.start()
    writers = [asyncio.create_task(write(c)) for c in clients]
    try:
        yield
    finally:
        for task in writers:
            task.cancel()
        await asyncio.gather(*writers, return_exceptions=True)


async def all_online(clients: Sequence[SimClient], within: float = RECOVERY) -> None:
    """Wait until every client has a socket that said ``ready`` (after a restart)."""
    deadline = time.monotonic() + within
    while not all(c.online for c in clients):
        if time.monotonic() > deadline:
            offline = [asdict(c.stats) for c in clients if not c.online]
            pytest.fail(f"clients did not reconnect within {within:.0f} s: {offline}")
        await asyncio.sleep(0.05)


async def delivery_time(sender: SimClient, recipient: SimClient) -> float:
    """Seconds from a message written by ``sender`` to ``recipient`` applying it."""
    (chat_id,) = set(sender.chats) & set(recipient.chats)
    key = (sender.user.id, sender.write(chat_id))
    started = time.monotonic()
    async with asyncio.timeout(RECOVERY):
        while key not in recipient.seen_at:
            recipient.arrived.clear()
            await recipient.arrived.wait()
    return recipient.seen_at[key] - started


async def settle(clients: Sequence[SimClient], within: float = RECOVERY) -> None:
    """Wait until every client is connected, caught up and has nothing left to send."""
    deadline = time.monotonic() + within
    while not all(c.settled for c in clients):
        if time.monotonic() > deadline:
            stuck = {
                c.user.username: {
                    "online": c.online,
                    "syncing": c.syncing,
                    "unsent": len(c.outbox),
                    "stats": asdict(c.stats),
                    "violations": c.violations[:1],
                }
                for c in clients
                if not c.settled
            }
            pytest.fail(f"clients did not recover within {within:.0f} s: {stuck}")
        await asyncio.sleep(0.1)


def stored_messages(database_url: str, chats: Sequence[int]) -> list[tuple[int, int, int, str]]:
    """(id, chat_id, sender_id, client_id) of every message in ``chats``, from the database."""
    url = make_url(database_url)
    conn = pymysql_connect(url, url.database)
    try:
        with conn.cursor() as cur:
            marks = ",".join(["%s"] * len(chats))
            cur.execute(
                "SELECT id, chat_id, sender_id, client_id FROM messages"
                f" WHERE chat_id IN ({marks})",
                list(chats),
            )
            return [tuple(row) for row in cur.fetchall()]  # type: ignore[misc]
    finally:
        conn.close()


def tally(scenario: str, database_url: str, population: Population, started: float) -> Counts:
    """The three counts, the database against what each client saw."""
    rows = stored_messages(database_url, population.chats)
    stored = {mid: (chat, sender, cid) for mid, chat, sender, cid in rows}
    by_request = Counter((sender, cid) for _, _, sender, cid in rows)
    lost = duplicated = missed = 0
    for client in population.clients:
        for cid, mid in client.acked.items():
            if stored.get(mid, (None, None, None))[1:] != (client.user.id, cid):
                lost += 1
        duplicated += client.ack_conflicts
        duplicated += sum(n - 1 for n in client.seen.values() if n > 1)
        mine = {mid for mid, (chat, _, _) in stored.items() if chat in client.chats}
        missed += len(mine - set(client.seen))
    duplicated += sum(n - 1 for n in by_request.values() if n > 1)
    errors: Counter[str] = Counter()
    for client in population.clients:
        errors.update(client.stats.errors)
    return Counts(
        scenario=scenario,
        acked_but_lost=lost,
        duplicated=duplicated,
        missed_after_sync=missed,
        out_of_order=sum(c.out_of_order for c in population.clients),
        acknowledged=sum(len(c.acked) for c in population.clients),
        stored=len(rows),
        resent=sum(1 for c in population.clients for n in c.sent.values() if n > 1),
        seconds=round(time.monotonic() - started, 1),
        reconnects=sum(max(0, c.stats.readies - 1) for c in population.clients),
        failed_syncs=sum(c.stats.failed_syncs for c in population.clients),
        errors=dict(errors),
    )


@pytest.fixture
def report(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[Counts], None]:
    """Print a scenario's counts, add them to ``<basetemp>/fault-suite.json`` and to the
    summary at the end of the run."""

    def write(counts: Counts) -> None:
        print(f"\nfault suite: {json.dumps(asdict(counts))}")
        request.config.stash.setdefault(FAULT_COUNTS, []).append(asdict(counts))
        path = tmp_path_factory.getbasetemp() / "fault-suite.json"
        results = json.loads(path.read_text()) if path.exists() else {}
        results[counts.scenario] = asdict(counts)
        path.write_text(json.dumps(results, indent=2))

    return write


async def run_scenario(
    name: str,
    database_url: str,
    population: Population,
    fault: Callable[[], Awaitable[None]],
    report: Callable[[Counts], None],
    per_second: float = 5.0,
) -> Counts:
    """Load, the fault, recovery, the last catch-up, the counts (asserted zero)."""
    started = time.monotonic()
    clients = population.clients
    try:
        async with load(clients, per_second):
            await fault()
        await settle(clients)
    finally:
        for client in clients:
            await client.close()
    for client in clients:
        await client.final_sync()
    counts = tally(name, database_url, population, started)
    report(counts)
    for client in clients:
        assert not client.violations, client.violations[0]
        assert not client.permanent_errors, client.permanent_errors[0]
    assert counts.stored >= counts.acknowledged > 0
    assert (counts.acked_but_lost, counts.duplicated, counts.missed_after_sync) == (0, 0, 0), counts
    assert counts.out_of_order == 0, counts
    # Faults are answered with service_unavailable (or throttled), never a 500.
    assert "internal_error" not in counts.errors, counts
    return counts


def fault_env(database_url: str, uploads: Path, **extra: str) -> dict[str, str]:
    """A server that fails a stalled unit of work after 2 s (not 5)."""
    return server_env(database_url) | {
        "MESSENGER_UPLOAD_DIR": str(uploads),
        "MESSENGER_DB_TIMEOUT": "2",
        **extra,
    }


@contextlib.asynccontextmanager
async def serving(*servers: ServerProcess) -> AsyncIterator[None]:
    """Start ``servers`` (in threads: the event loop may be running a proxy they need)."""
    try:
        for server in servers:
            await asyncio.to_thread(server.start)
        yield
    finally:
        for server in servers:
            await asyncio.to_thread(server.stop)


# --- the scenarios -------------------------------------------------------------------------


async def test_kill_9_of_the_server_under_load_loses_and_repeats_nothing(
    mariadb_ws_url: str, tmp_path: Path, report: Callable[[Counts], None]
) -> None:
    server = ServerProcess(fault_env(mariadb_ws_url, tmp_path / "up"), tmp_path / "server.log")
    async with serving(server):
        # Every catch-up's first /sync fails too, as one does while a server restarts.
        population = await populate([server], 6, fail_first_sync=True)

        async def five_kills() -> None:
            for _ in range(5):
                # Each kill finds every client connected, with sends in flight.
                await all_online(population.clients)
                await asyncio.sleep(1.0)
                await asyncio.to_thread(server.kill)
                await asyncio.sleep(0.3)
                await asyncio.to_thread(server.start)
            await all_online(population.clients)
            await asyncio.sleep(1.0)

        counts = await run_scenario(
            "kill -9 of the server (x5)",
            mariadb_ws_url,
            population,
            five_kills,
            report,
            per_second=10.0,  # more sends in flight when the server dies
        )
    assert counts.reconnects >= 5 * len(population.clients)
    assert counts.failed_syncs >= counts.reconnects


@pytest.mark.parametrize("how", ["paused", "killed"])
async def test_a_database_fault_under_load_loses_and_repeats_nothing(
    how: str, mariadb_ws_url: str, tmp_path: Path, report: Callable[[Counts], None]
) -> None:
    real = make_url(mariadb_ws_url)
    proxy = StallingProxy(real.host or "127.0.0.1", real.port or 3306)
    await proxy.start()
    proxied = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    server = ServerProcess(fault_env(proxied, tmp_path / "up"), tmp_path / "server.log")
    try:
        async with serving(server):
            population = await populate([server], 6)

            async def database_fault() -> None:
                await asyncio.sleep(2.0)
                if how == "paused":
                    proxy.stall()
                    await asyncio.sleep(5.0)
                    proxy.resume()
                else:
                    await proxy.reset()
                    await asyncio.sleep(1.0)
                    # Clients that reconnect meanwhile: their ready and catch-up fail too.
                    for client in population.clients:
                        await client.drop()
                    await asyncio.sleep(3.0)
                    await proxy.restore()
                await asyncio.sleep(3.0)

            counts = await run_scenario(
                f"database {how}", mariadb_ws_url, population, database_fault, report
            )
    finally:
        await proxy.stop()
    # The fault was felt (sends refused with retry_after), and survived.
    assert counts.errors.get("service_unavailable", 0) > 0, counts


async def test_a_paused_then_killed_redis_with_two_processes_loses_and_repeats_nothing(
    mariadb_ws_url: str, tmp_path: Path, report: Callable[[Counts], None]
) -> None:
    broker = PrivateRedis(tmp_path / "redis.log")
    servers = [
        ServerProcess(
            fault_env(mariadb_ws_url, tmp_path / "up") | {"MESSENGER_BROKER_URL": broker.url},
            tmp_path / f"server-{name}.log",
        )
        for name in ("a", "b")
    ]
    try:
        async with serving(*servers):
            population = await populate(servers, 6)

            near, far = population.clients[0], population.clients[1]  # on A and on B
            delivery: dict[str, list[float]] = {}

            async def probe(phase: str, times: int = 5) -> None:
                """Messages from A to B, one after the other (~1 s each without Redis)."""
                for _ in range(times):
                    delivery.setdefault(phase, []).append(await delivery_time(near, far))

            async def broker_faults() -> None:
                await asyncio.sleep(2.0)
                broker.pause()
                await probe("paused")
                broker.resume()
                await asyncio.sleep(2.0)
                await asyncio.to_thread(broker.kill)
                await probe("killed")
                await asyncio.to_thread(broker.start)
                restarted = time.monotonic()
                # Both processes reconnect to Redis (their backoff reaches 5 s) and its
                # fan-out is used again: three deliveries in a row take milliseconds.
                while True:
                    await probe("restarted", 1)
                    recent = delivery["restarted"][-3:]
                    if len(recent) == 3 and max(recent) < 0.3:
                        break
                    assert time.monotonic() - restarted < 20, delivery

            await run_scenario(
                "redis paused, then killed (2 processes)",
                mariadb_ws_url,
                population,
                broker_faults,
                report,
            )
    finally:
        broker.stop()
    print("delivery A -> B (s):", {k: [round(t, 3) for t in v] for k, v in delivery.items()})
    # Without Redis the other process still delivers, from the feed: its hole timer (1 s)
    # or, at the latest, its look at the feed head (every 5 s).
    assert max(delivery["paused"] + delivery["killed"]) < 8.0, delivery


async def test_a_resend_burst_over_the_rate_limit_is_throttled_and_completed(
    mariadb_ws_url: str, tmp_path: Path, report: Callable[[Counts], None]
) -> None:
    # The production post limit (20/s, 60 at once) as well as the socket's frame limit.
    env = fault_env(
        mariadb_ws_url,
        tmp_path / "up",
        MESSENGER_LIMIT_POST_RATE="20",
        MESSENGER_LIMIT_POST_BURST="60",
    )
    server = ServerProcess(env, tmp_path / "server.log")
    async with serving(server):
        population = await populate([server], 4)
        # A client that wrote 150 messages while offline sends them all at once when it
        # connects (a client not pacing its outbox, or one that paced to a larger burst).
        burst = population.clients[0]
        burst.send_burst = 1000
        for _ in range(150):
            burst.write()

        async def meanwhile() -> None:
            await asyncio.sleep(5.0)

        counts = await run_scenario(
            "resend burst of 150 over the rate limit",
            mariadb_ws_url,
            population,
            meanwhile,
            report,
            per_second=2.0,
        )
    # The burst went over the limit, was refused with retry_after, and was sent again.
    assert burst.stats.errors["throttled"] > 0, burst.stats
    assert all(f"{burst.user.username}-{n}" in burst.acked for n in range(150))
    assert counts.acknowledged >= 150


@contextlib.contextmanager
def small_disk(path: Path, size: int) -> Iterator[tuple[str, dict[str, str]]]:
    """An upload directory that holds ``size`` bytes: a tmpfs mounted there where the
    system lets us (root, and a kernel or container that allows it), else a fault injected
    into the server's file writes. Yields the server's preamble and environment for it."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
            capture_output=True,
            check=False,
        )
    except OSError:  # no mount command
        mounted = None
    if mounted is None or mounted.returncode != 0:
        print("no tmpfs could be mounted: the server's file writes fail instead")
        # The preamble imports this repository's tests package, wherever pytest runs.
        root = str(Path(__file__).resolve().parents[3])
        path_env = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
        env = {"MESSENGER_TEST_DISK_BYTES": str(size), "PYTHONPATH": path_env}
        yield full_disk.PREAMBLE, env
        return
    try:
        yield "", {}
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


async def test_a_full_upload_disk_refuses_uploads_and_posting_goes_on(
    mariadb_ws_url: str, tmp_path: Path, report: Callable[[Counts], None]
) -> None:
    uploads = tmp_path / "up"
    with small_disk(uploads, 1 << 20) as (preamble, disk_env):
        server = ServerProcess(
            fault_env(mariadb_ws_url, uploads) | disk_env,
            tmp_path / "server.log",
            preamble=preamble,
        )
        async with serving(server):
            population = await populate([server], 6)
            uploader = population.clients[0].user
            statuses: Counter[int] = Counter()
            refusals: list[httpx.Response] = []

            readiness: list[int] = []

            async def fill_the_disk() -> None:
                async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
                    readiness.append((await http.get("/api/v1/ready")).status_code)
                    for n in range(30):  # 30 x 64 KiB: twice what the disk holds
                        response = await http.post(
                            "/api/v1/files",
                            files={
                                "file": (f"f{n}.bin", bytes(64 * 1024), "application/octet-stream")
                            },
                            headers=uploader.headers,
                        )
                        statuses[response.status_code] += 1
                        if response.status_code != 201:
                            refusals.append(response)
                        await asyncio.sleep(0.15)
                    readiness.append((await http.get("/api/v1/ready")).status_code)
                    print(f"/ready before and with the upload disk full: {readiness}")
                await asyncio.sleep(1.0)

            await run_scenario(
                "full upload disk", mariadb_ws_url, population, fill_the_disk, report
            )
    print(f"uploads: {dict(statuses)}")
    if not preamble:  # a real (tmpfs) disk that fills up, which /ready can see
        assert readiness == [200, 503], readiness
    assert statuses[201] > 0, statuses
    assert refusals, "the disk never filled up"
    for response in refusals:
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "service_unavailable"
        assert float(response.headers["Retry-After"]) > 0
