"""The load generator: users, chats and sockets, an open-loop sender and the recipients' books.

Everything runs on one asyncio loop in one process (pinned to its own core by ``run.py``).
Sockets are picows clients when picows is installed (a few microseconds per frame, so the
generator is not what saturates), else ``websockets``.

Every message text is ``bm|<phase>|<sender>|<channel>|<seq>|<scheduled ns>|``: the scheduled
send time on the shared monotonic clock (open loop: latency counts from when the message was
*due*, so a server that falls behind cannot hide it), the sender's index and a per-sender,
per-channel sequence number. Each recipient socket other than the sender's records the
latency, and the books count lost, duplicated and out-of-order deliveries per phase.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec
from histogram import Histogram, new_histogram, summary_ms
from httpclient import HttpConnection, HttpError, HttpPool

PASSWORD = "bench-password-0123456789"
WS_PATH = "/api/v1/ws"
API = "/api/v1"


# --- the population -------------------------------------------------------------------------


@dataclass
class User:
    """An account of the run, with the token its sockets authenticate with."""

    index: int
    id: int
    username: str
    token: str
    chats: list[int] = field(default_factory=list)


@dataclass
class Chat:
    """A chat of the run; ``members`` are user indexes."""

    id: int
    kind: str  # "direct", "group10", "group50"
    members: list[int]


@dataclass
class Population:
    users: list[User]
    chats: list[Chat]


def topology(user_count: int) -> list[tuple[str, list[int]]]:
    """Every user is in one dialog, one group of 10 and one group of 50 (as far as counts allow)."""
    chats: list[tuple[str, list[int]]] = []
    chats += [("direct", [i, i + 1]) for i in range(0, user_count - 1, 2)]
    for size, kind in ((10, "group10"), (50, "group50")):
        chats += [
            (kind, list(range(start, start + size)))
            for start in range(0, user_count - size + 1, size)
        ]
    return chats


# Share of messages per kind of chat; with one socket per user a message costs
# 2 / 10 / 50 deliveries, so this mix averages 10 deliveries per message.
MIX = {"direct": 0.5, "group10": 0.4, "group50": 0.1}


def fanout(mix: dict[str, float] = MIX) -> float:
    """Average deliveries (every member's socket, the sender's too) per message."""
    return mix["direct"] * 2 + mix["group10"] * 10 + mix["group50"] * 50


class Target(Protocol):
    """Where the load goes: the real server or the raw relay."""

    name: str
    host: str
    port: int
    has_rest: bool

    async def populate(self, user_count: int, run_id: str) -> Population: ...

    def auth_frame(self, user: User) -> bytes: ...


_enc = msgspec.json.Encoder()


class ServerTarget:
    """The messenger server: accounts and chats through the REST API."""

    has_rest = True

    def __init__(self, name: str, host: str, port: int) -> None:
        self.name = name
        self.host = host
        self.port = port

    async def populate(self, user_count: int, run_id: str) -> Population:
        pool = HttpPool(self.host, self.port, 8)
        sem = asyncio.Semaphore(8)

        async def register(i: int) -> User:
            async with sem:
                name = f"b{run_id}u{i}"
                body = {"username": name, "password": PASSWORD, "display_name": f"Bench {i}"}
                out = await pool.get().json("POST", f"{API}/auth/register", body)
                return User(i, int(out["user"]["id"]), name, str(out["access_token"]))

        users = list(await asyncio.gather(*(register(i) for i in range(user_count))))
        chats: list[Chat] = []

        async def create(kind: str, members: list[int]) -> Chat:
            async with sem:
                owner = users[members[0]]
                if kind == "direct":
                    body: dict[str, Any] = {"kind": "direct", "user_id": users[members[1]].id}
                else:
                    body = {
                        "kind": "group",
                        "title": f"{kind} {members[0]}",
                        "member_ids": [users[m].id for m in members[1:]],
                    }
                out = await pool.get().json("POST", f"{API}/chats", body, owner.token)
                return Chat(int(out["id"]), kind, members)

        chats = list(await asyncio.gather(*(create(k, m) for k, m in topology(user_count))))
        for chat in chats:
            for m in chat.members:
                users[m].chats.append(chat.id)
        pool.close()
        return Population(users, chats)

    def auth_frame(self, user: User) -> bytes:
        return _enc.encode({"type": "auth", "data": {"token": user.token}})


class RelayTarget:
    """The raw relay: no accounts; ids are made up here and memberships sent with ``auth``."""

    has_rest = False

    def __init__(self, host: str, port: int) -> None:
        self.name = "relay"
        self.host = host
        self.port = port

    async def populate(self, user_count: int, run_id: str) -> Population:
        users = [User(i, i + 1, f"r{i}", f"relay-{i}") for i in range(user_count)]
        chats = [Chat(n + 1, k, m) for n, (k, m) in enumerate(topology(user_count))]
        for chat in chats:
            for m in chat.members:
                users[m].chats.append(chat.id)
        return Population(users, chats)

    def auth_frame(self, user: User) -> bytes:
        data = {"token": user.token, "user_id": user.id, "chats": user.chats}
        return _enc.encode({"type": "auth", "data": data})


# --- the books --------------------------------------------------------------------------------


@dataclass
class PhaseBook:
    """What one phase sent and what its recipients saw."""

    phase: int
    latency: Histogram = field(default_factory=new_histogram)
    ack_latency: Histogram = field(default_factory=new_histogram)
    sent: int = 0
    sent_rest: int = 0
    acked: int = 0
    deliveries: int = 0  # every new_message frame of this phase, the sender's own included
    duplicates: int = 0
    out_of_order: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    # (sender, channel, seq) -> [expected deliveries to others once acked, received so far]
    pending: dict[tuple[int, str, int], list[int]] = field(default_factory=dict)
    seen: set[tuple[int, int, str, int]] = field(default_factory=set)
    last_seq: dict[tuple[int, int, str], int] = field(default_factory=dict)
    first_send: float = 0.0
    last_send: float = 0.0

    def error(self, code: str) -> None:
        self.errors[code] = self.errors.get(code, 0) + 1

    def outstanding(self) -> int:
        """Deliveries to other members still missing for messages the server accepted."""
        return sum(max(0, exp - got) for exp, got in self.pending.values() if exp >= 0)

    def unacked(self) -> int:
        """Messages the server has not (yet) acknowledged."""
        return sum(1 for exp, _ in self.pending.values() if exp < 0)


class _Frame(msgspec.Struct):
    type: str
    data: msgspec.Raw = msgspec.Raw(b"{}")


class _Text(msgspec.Struct):
    text: str


class _Msg(msgspec.Struct):
    message: _Text


class _Sent(msgspec.Struct):
    client_id: str


class _Error(msgspec.Struct):
    code: str = "unknown"


_frame = msgspec.json.Decoder(_Frame)
_msg = msgspec.json.Decoder(_Msg)
_sent = msgspec.json.Decoder(_Sent)
_error = msgspec.json.Decoder(_Error)


class Books:
    """Routes received frames into the current phase's book."""

    def __init__(self) -> None:
        self.phases: dict[int, PhaseBook] = {}
        self.current: PhaseBook | None = None
        self.stray_frames = 0
        self.closes: dict[int, int] = {}

    def begin(self, phase: int) -> PhaseBook:
        book = PhaseBook(phase)
        self.phases[phase] = book
        self.current = book
        return book

    def on_frame(self, sock: BenchSocket, payload: bytes) -> None:
        now = time.monotonic_ns()
        frame = _frame.decode(payload)
        kind = frame.type
        if kind == "new_message":
            text = _msg.decode(frame.data).message.text
            self._delivered(sock, text, now)
        elif kind == "message_sent":
            client_id = _sent.decode(frame.data).client_id
            self._acked(client_id, now)
        elif kind == "error":
            book = self.current
            if book is not None:
                book.error("ws:" + _error.decode(frame.data).code)
        elif kind == "ready":
            sock.on_ready()
        # presence, typing, chat events: not part of the measurement

    def _delivered(self, sock: BenchSocket, text: str, now: int) -> None:
        parts = text.split("|", 6)
        if len(parts) < 6 or parts[0] != "bm":
            self.stray_frames += 1
            return
        book = self.phases.get(int(parts[1]))
        if book is None:
            self.stray_frames += 1
            return
        book.deliveries += 1
        sender = int(parts[2])
        if sender == sock.user_index:
            return
        channel = parts[3]
        seq = int(parts[4])
        key = (sock.number, sender, channel, seq)
        if key in book.seen:
            book.duplicates += 1
            return
        book.seen.add(key)
        book.latency.record((now - int(parts[5])) // 1000)
        entry = book.pending.get((sender, channel, seq))
        if entry is not None:
            entry[1] += 1
        if channel == "w":
            order_key = (sock.number, sender, channel)
            if seq < book.last_seq.get(order_key, -1):
                book.out_of_order += 1
            else:
                book.last_seq[order_key] = seq

    def _acked(self, client_id: str, now: int) -> None:
        # client_id is "<phase>.<sender>.w.<seq>.<scheduled ns>"
        phase, sender, channel, seq, scheduled = client_id.split(".")
        book = self.phases.get(int(phase))
        if book is None:
            return
        entry = book.pending.get((int(sender), channel, int(seq)))
        if entry is not None and entry[0] < 0:
            entry[0] = -entry[0] - 1
            book.acked += 1
            book.ack_latency.record((now - int(scheduled)) // 1000)


# --- sockets ------------------------------------------------------------------------------------


class BenchSocket:
    """One client socket: auth on connect, frames to the books."""

    def __init__(self, number: int, user_index: int, auth: bytes, books: Books) -> None:
        self.number = number
        self.user_index = user_index
        self.auth = auth
        self.books = books
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed_code: int | None = None
        self._send: Callable[[bytes], None] = lambda _: None
        self._close: Callable[[], None] = lambda: None

    def on_ready(self) -> None:
        if not self.ready.done():
            self.ready.set_result(None)

    def on_closed(self, code: int | None) -> None:
        self.closed_code = code if code is not None else -1
        self.books.closes[self.closed_code] = self.books.closes.get(self.closed_code, 0) + 1
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"closed before ready ({code})"))

    def send(self, data: bytes) -> None:
        self._send(data)

    def close(self) -> None:
        self._close()


async def _connect_picows(sock: BenchSocket, url: str) -> None:
    from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

    class Listener(WSListener):  # type: ignore[misc]
        def on_ws_connected(self, transport: WSTransport) -> None:
            sock._send = lambda data: transport.send(WSMsgType.TEXT, data)
            sock._close = lambda: transport.send_close() or transport.disconnect()
            transport.send(WSMsgType.TEXT, sock.auth)

        def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
            if frame.msg_type in (WSMsgType.TEXT, WSMsgType.BINARY):
                sock.books.on_frame(sock, frame.get_payload_as_bytes())
            elif frame.msg_type == WSMsgType.CLOSE:
                if sock.closed_code is None:
                    sock.on_closed(frame.get_close_code())
                transport.send_close(frame.get_close_code())
                transport.disconnect()

        def on_ws_disconnected(self, transport: WSTransport) -> None:
            if sock.closed_code is None:
                sock.on_closed(None)

    await ws_connect(Listener, url, websocket_handshake_timeout=30)


async def _connect_websockets(sock: BenchSocket, url: str) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    ws = await connect(url, compression=None, max_size=None, ping_interval=None)
    loop = asyncio.get_running_loop()
    sock._send = lambda data: loop.create_task(ws.send(data.decode()))  # type: ignore[func-returns-value]
    sock._close = lambda: loop.create_task(ws.close())  # type: ignore[func-returns-value]
    await ws.send(sock.auth.decode())

    async def reader() -> None:
        try:
            async for raw in ws:
                sock.books.on_frame(sock, raw if isinstance(raw, bytes) else raw.encode())
        except ConnectionClosed:
            pass
        sock.on_closed(ws.close_code)

    sock.reader_task = loop.create_task(reader())  # type: ignore[attr-defined]


def client_library() -> str:
    try:
        import picows  # noqa: F401
    except ImportError:
        return "websockets"
    return "picows"


async def open_sockets(
    target: Target, books: Books, users: list[User], first_number: int, concurrency: int = 100
) -> tuple[list[BenchSocket], int]:
    """One socket per entry of ``users``, each authenticated and ``ready``; and the failures."""
    url = f"ws://{target.host}:{target.port}{WS_PATH}"
    connect = _connect_picows if client_library() == "picows" else _connect_websockets
    sem = asyncio.Semaphore(concurrency)
    sockets: list[BenchSocket] = []
    failures = 0

    async def one(n: int, user: User) -> None:
        nonlocal failures
        async with sem:
            sock = BenchSocket(n, user.index, target.auth_frame(user), books)
            try:
                await connect(sock, url)
                await asyncio.wait_for(sock.ready, 30)
                sockets.append(sock)
            except (OSError, TimeoutError, ConnectionError, Exception):
                failures += 1

    await asyncio.gather(*(one(first_number + i, u) for i, u in enumerate(users)))
    return sockets, failures


# --- the open-loop sender -------------------------------------------------------------------------


@dataclass
class Load:
    """One phase of sending: a message rate for a duration, a share of it over REST."""

    msgs_per_s: float
    seconds: float
    rest_share: float = 0.0


class Sender:
    """Sends messages on a Poisson schedule, each from a random member of a random chat."""

    def __init__(
        self,
        target: Target,
        population: Population,
        sockets: dict[int, BenchSocket],
        books: Books,
        seed: int = 7,
    ) -> None:
        self.target = target
        self.population = population
        self.sockets = sockets
        self.books = books
        self.rng = random.Random(seed)
        self.seq: dict[tuple[int, str], int] = {}
        by_kind: dict[str, list[Chat]] = {}
        for chat in population.chats:
            by_kind.setdefault(chat.kind, []).append(chat)
        kinds = [k for k in MIX if by_kind.get(k)]
        self.kinds = kinds
        self.weights = [MIX[k] for k in kinds]
        self.by_kind = by_kind
        self.rest = HttpPool(target.host, target.port, 16) if target.has_rest else None
        self.rest_tasks: set[asyncio.Task[None]] = set()

    def _pick(self) -> tuple[Chat, int]:
        kind = self.rng.choices(self.kinds, self.weights)[0]
        chat = self.rng.choice(self.by_kind[kind])
        return chat, self.rng.choice(chat.members)

    async def run(self, phase: int, load: Load) -> PhaseBook:
        """Send for ``load.seconds`` on schedule (no waiting for answers)."""
        book = self.books.begin(phase)
        rate = load.msgs_per_s
        rng = self.rng
        start = time.monotonic()
        end = start + load.seconds
        due = start
        book.first_send = start
        while True:
            due += rng.expovariate(rate)
            if due >= end:
                break
            delay = due - time.monotonic()
            if delay > 0.0005:
                await asyncio.sleep(delay)
            chat, sender = self._pick()
            scheduled = int(due * 1e9)
            over_rest = self.rest is not None and rng.random() < load.rest_share
            channel = "r" if over_rest else "w"
            key = (sender, channel)
            seq = self.seq.get(key, 0) + 1
            self.seq[key] = seq
            text = f"bm|{phase}|{sender}|{channel}|{seq}|{scheduled}|"
            client_id = f"{phase}.{sender}.{channel}.{seq}.{scheduled}"
            others = sum(1 for m in chat.members if m != sender and m in self.sockets)
            # Negative until acknowledged: -(expected + 1).
            book.pending[(sender, channel, seq)] = [-others - 1, 0]
            book.sent += 1
            if over_rest:
                book.sent_rest += 1
                task = asyncio.create_task(self._post(book, chat, sender, text, client_id))
                self.rest_tasks.add(task)
                task.add_done_callback(self.rest_tasks.discard)
            else:
                frame = {
                    "type": "send_message",
                    "data": {"chat_id": chat.id, "client_id": client_id, "text": text},
                }
                self.sockets[sender].send(_enc.encode(frame))
        book.last_send = time.monotonic()
        return book

    async def _post(self, book: PhaseBook, chat: Chat, sender: int, text: str, cid: str) -> None:
        assert self.rest is not None
        user = self.population.users[sender]
        body = {"client_id": cid, "text": text}
        try:
            await self.rest.get().json("POST", f"{API}/chats/{chat.id}/messages", body, user.token)
        except HttpError as exc:
            book.error(f"rest:{exc.status}")
            return
        except OSError:
            book.error("rest:connection")
            return
        self.books._acked(cid, time.monotonic_ns())

    async def drain(self, book: PhaseBook, seconds: float) -> None:
        """Wait until every accepted message reached every other member, or ``seconds``."""
        if self.rest_tasks:
            await asyncio.wait(list(self.rest_tasks), timeout=seconds)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if book.outstanding() == 0 and book.unacked() == 0:
                return
            await asyncio.sleep(0.05)

    def close(self) -> None:
        if self.rest is not None:
            self.rest.close()


# --- request/response scenarios ------------------------------------------------------------


async def closed_loop(
    workers: int, seconds: float, request: Callable[[int], Awaitable[bool]]
) -> dict[str, Any]:
    """``workers`` loops of ``request`` for ``seconds``: req/s, latency and failures."""
    hist = new_histogram()
    failures = 0
    done = 0
    end = time.monotonic() + seconds

    async def worker(w: int) -> None:
        nonlocal failures, done
        while time.monotonic() < end:
            t = time.monotonic_ns()
            ok = await request(w)
            hist.record((time.monotonic_ns() - t) // 1000)
            done += 1
            if not ok:
                failures += 1

    start = time.monotonic()
    await asyncio.gather(*(worker(w) for w in range(workers)))
    elapsed = time.monotonic() - start
    return {"requests": done, "req_per_s": round(done / elapsed, 1), "errors": failures} | {
        k: v for k, v in summary_ms(hist).items() if k != "count"
    }


async def history_pages(
    target: Target, population: Population, workers: int, seconds: float
) -> dict[str, Any]:
    """``GET /chats/{id}/messages?limit=50`` by members of the busiest chats, closed loop."""
    conns = [HttpConnection(target.host, target.port) for _ in range(workers)]
    rng = random.Random(11)
    groups = [c for c in population.chats if c.kind != "direct"] or population.chats
    pages = 0
    short_pages = 0

    async def request(w: int) -> bool:
        nonlocal pages, short_pages
        chat = rng.choice(groups)
        user = population.users[rng.choice(chat.members)]
        status, body = await conns[w].request(
            "GET", f"{API}/chats/{chat.id}/messages?limit=50", token=user.token
        )
        if status == 200:
            pages += 1
            if body.count(b'"client_id"') < 50:
                short_pages += 1
        return status == 200

    try:
        out = await closed_loop(workers, seconds, request)
    finally:
        for c in conns:
            c.close()
    out["pages_shorter_than_50"] = short_pages
    return out


async def login_storm(target: Target, population: Population, count: int) -> dict[str, Any]:
    """``count`` different users log in at the same moment, each on its own connection."""
    users = population.users[:count]
    conns = [HttpConnection(target.host, target.port) for _ in users]
    hist = new_histogram()
    statuses: dict[str, int] = {}

    async def login(conn: HttpConnection, user: User) -> None:
        t = time.monotonic_ns()
        try:
            status, _ = await conn.request(
                "POST", f"{API}/auth/login", {"login": user.username, "password": PASSWORD}
            )
        except OSError:
            status = 0
        hist.record((time.monotonic_ns() - t) // 1000)
        statuses[str(status)] = statuses.get(str(status), 0) + 1

    start = time.monotonic()
    await asyncio.gather(*(login(c, u) for c, u in zip(conns, users, strict=True)))
    elapsed = time.monotonic() - start
    for c in conns:
        c.close()
    ok = statuses.get("200", 0)
    return {
        "logins": len(users),
        "ok": ok,
        "logins_per_s": round(ok / elapsed, 1),
        "seconds": round(elapsed, 2),
        "statuses": statuses,
    } | {k: v for k, v in summary_ms(hist).items() if k != "count"}
