"""Issue 18, scenario 1: one group of thousands of members, all online on one process.

    python bench/big_channel.py --quick     # 1,000 members, 10 s per rate (about a minute)
    python bench/big_channel.py             # 5,000 members, 30 s per rate
    python bench/big_channel.py --targets relay,mariadb --rates 2,5

Every member of the channel has one socket open on the server (``messenger serve`` pinned to
CPU 0, as in ``run.py``; the load generator on CPU 1). A few members post to the channel over
their socket on an open-loop Poisson schedule at each rate (posts/s), while the first
``--background-users`` members also chat in dialogs and small groups at
``--background`` deliveries/s (``run.py``'s mix), so the channel shares the process with
ordinary traffic. The relay (``bench/relay.py``) gets the same sockets, channel and load:
its CPU per delivery is the ceiling the server's is compared with.

Latency to the last member: for each channel post, from when it was due to be sent (open
loop, so it includes the socket hop in, the commit and the fan-out) to its arrival on the
last member's socket; p50/p99 over the posts. This bounds "commit to the last member" from
above: the commit itself is the few milliseconds of ``ack p50``. ``delivery p99`` is the
same over every single delivery. Lost: deliveries a member had not received 3 s after the
phase; duplicated: a post seen twice on one socket.

Members hide their online status unless ``--presence``: every member of a channel is a
chat-mate of every other, so connecting 5,000 of them would push 25,000,000 presence frames
(and close the sockets that fall behind) before the measurement starts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import loadgen  # noqa: E402
import procstat  # noqa: E402
import run  # noqa: E402
from histogram import new_histogram, summary_ms  # noqa: E402
from httpclient import HttpPool  # noqa: E402

POSTERS = 4  # members who post to the channel (any member may; a few is what channels see)
CHANNEL = "big"
SERVER_SETTINGS: dict[str, str] = {}  # the messenger server's settings, for ``register_directly``


class ChannelBooks(loadgen.Books):
    """The usual books, plus when each channel post reached its last member."""

    def __init__(self) -> None:
        super().__init__()
        # (phase, sender, seq) -> latest arrival (monotonic ns) among the members
        self.last: dict[tuple[int, int, int], int] = {}
        self.channel_phases: set[int] = set()
        self.due: dict[tuple[int, int, int], int] = {}  # when each post was due (monotonic ns)

    def _delivered(self, sock: loadgen.BenchSocket, text: str, now: int) -> None:
        super()._delivered(sock, text, now)
        parts = text.split("|", 6)
        if len(parts) >= 6 and parts[0] == "bm" and int(parts[1]) in self.channel_phases:
            key = (int(parts[1]), int(parts[2]), int(parts[4]))
            if now > self.last.get(key, 0):
                self.last[key] = now


class OneHash:
    """Registers every bench account with the same (real, argon2) hash of the bench password:
    the setup would otherwise spend minutes in argon2 for 5,000 accounts."""

    def __init__(self, stored: str, real: Any) -> None:
        self.stored = stored
        self.real = real

    async def hash(self, password: str) -> str:
        return self.stored

    async def verify(self, password_hash: str, password: str) -> bool:
        return bool(await self.real.verify(password_hash, password))

    def needs_rehash(self, password_hash: str) -> bool:
        return False

    async def dummy_verify(self, password: str) -> None:
        await self.real.dummy_verify(password)


async def register_directly(members: int, run_id: str, presence: bool) -> list[loadgen.User]:
    """The accounts, through the package's own use case on the server's database and secret
    (``SERVER_SETTINGS``), their access tokens as the server would issue them."""
    from messenger.adapters.security import Argon2Hasher
    from messenger.container import Container, running
    from messenger.domain.privacy import Audience
    from messenger.settings import Settings

    real = Argon2Hasher()
    hasher = OneHash(await real.hash(loadgen.PASSWORD), real)
    container = Container(settings=Settings.from_env(SERVER_SETTINGS), hasher=hasher)
    users: list[loadgen.User] = []
    async with running(container) as (messenger, _):
        sem = asyncio.Semaphore(8)

        async def one(i: int) -> loadgen.User:
            async with sem:
                name = f"c{run_id}u{i}"
                out = await messenger.register(
                    name, loadgen.PASSWORD, display_name=f"C {i}", by_operator=True
                )
                if not presence:
                    await messenger.change_privacy(out.user.id, online=Audience.NOBODY)
                return loadgen.User(i, out.user.id, name, out.access_token)

        users = list(await asyncio.gather(*(one(i) for i in range(members))))
    return users


@contextlib.contextmanager
def messenger_process(
    workdir: Path, members: int
) -> Iterator[tuple[subprocess.Popen[bytes], int, str]]:
    """``messenger serve`` on a fresh MariaDB database, its settings in ``SERVER_SETTINGS``
    for ``register_directly``."""
    with run.mariadb_database() as url:
        SERVER_SETTINGS.clear()
        SERVER_SETTINGS.update(
            {
                "MESSENGER_DATABASE_URL": url,
                "MESSENGER_SECRET_KEY": secrets.token_urlsafe(48),
                "MESSENGER_ACCESS_TOKEN_TTL": "7200",
                # A member list of 5,000 is over the default group size.
                "MESSENGER_LIMIT_GROUP_MEMBERS": str(max(members, 2)),
                "MESSENGER_LIMIT_MEMBER_ADDS_PER_HOUR": "0",
                "MESSENGER_LIMIT_CHATS_PER_HOUR": "0",
                # Creating the channel writes 5,000 member rows in one transaction: on a
                # shared machine's MariaDB that can pass the default 5 s (a 503 would end
                # the run before it measured anything).
                "MESSENGER_DB_TIMEOUT": "60",
            }
        )
        with run.server_process("mariadb", workdir, dict(SERVER_SETTINGS)) as started:
            yield started


async def populate(
    target: loadgen.Target, members: int, background: int, run_id: str, presence: bool
) -> Any:
    """``members`` users in one group, the first ``background`` also in dialogs and groups."""
    topology = loadgen.topology(background)
    if not target.has_rest:  # the relay: ids made up, memberships sent with ``auth``
        users = [loadgen.User(i, i + 1, f"r{i}", f"relay-{i}") for i in range(members)]
        channel = loadgen.Chat(1, CHANNEL, list(range(members)))
        chats = [channel] + [loadgen.Chat(n + 2, k, m) for n, (k, m) in enumerate(topology)]
    else:
        users = await register_directly(members, run_id, presence)
        pool = HttpPool(target.host, target.port, 8)
        sem = asyncio.Semaphore(8)
        body: dict[str, Any] = {
            "kind": "group",
            "title": "All hands",
            "member_ids": [u.id for u in users[1:]],
        }
        out = await pool.get().json("POST", f"{loadgen.API}/chats", body, users[0].token)
        channel = loadgen.Chat(int(out["id"]), CHANNEL, list(range(members)))

        async def create(kind: str, ids: list[int]) -> loadgen.Chat:
            async with sem:
                owner = users[ids[0]]
                if kind == "direct":
                    b: dict[str, Any] = {"kind": "direct", "user_id": users[ids[1]].id}
                else:
                    b = {
                        "kind": "group",
                        "title": kind,
                        "member_ids": [users[m].id for m in ids[1:]],
                    }
                o = await pool.get().json("POST", f"{loadgen.API}/chats", b, owner.token)
                return loadgen.Chat(int(o["id"]), kind, ids)

        chats = [channel, *await asyncio.gather(*(create(k, m) for k, m in topology))]
        pool.close()
    for chat in chats:
        for m in chat.members:
            users[m].chats.append(chat.id)
    return loadgen.Population(users, chats), channel


async def post_channel(
    books: ChannelBooks,
    sockets: dict[int, loadgen.BenchSocket],
    channel: loadgen.Chat,
    phase: int,
    rate: float,
    seconds: float,
) -> loadgen.PhaseBook:
    """Posts to the channel from ``POSTERS`` members on a Poisson schedule at ``rate``/s."""
    book = books.begin(phase)
    books.channel_phases.add(phase)
    rng = loadgen.random.Random(phase)
    posters = channel.members[1 : POSTERS + 1]
    others = sum(1 for m in channel.members if m in sockets) - 1
    seq = 0
    start = time.monotonic()
    due = book.first_send = start
    while True:
        due += rng.expovariate(rate)
        if due >= start + seconds:
            break
        delay = due - time.monotonic()
        if delay > 0.0005:
            await asyncio.sleep(delay)
        sender = rng.choice(posters)
        seq += 1
        scheduled = int(due * 1e9)
        text = f"bm|{phase}|{sender}|w|{seq}|{scheduled}|"
        client_id = f"{phase}.{sender}.w.{seq}.{scheduled}"
        book.pending[(sender, "w", seq)] = [-others - 1, 0]
        books.due[(phase, sender, seq)] = scheduled
        book.sent += 1
        frame = {
            "type": "send_message",
            "data": {"chat_id": channel.id, "client_id": client_id, "text": text},
        }
        sockets[sender].send(loadgen._enc.encode(frame))
    book.last_send = time.monotonic()
    return book


async def phase(
    target: loadgen.Target,
    books: ChannelBooks,
    sockets: dict[int, loadgen.BenchSocket],
    channel: loadgen.Chat,
    background: loadgen.Sender | None,
    number: int,
    rate: float,
    seconds: float,
    args: argparse.Namespace,
    pids: tuple[int, int | None],
) -> dict[str, Any]:
    pid, db_pid = pids
    with run.Meter(pid, db_pid) as meter:
        jobs = [post_channel(books, sockets, channel, number, rate, seconds)]
        if background is not None:
            load = loadgen.Load(args.background / loadgen.fanout(), seconds)
            jobs.append(background.run(number + 1, load))
        done = await asyncio.gather(*jobs)
        book = done[0]
        for b in done:
            await _drain(b, run.DRAIN_SECONDS)
    bg = done[1] if len(done) > 1 else None
    deliveries = book.deliveries + (bg.deliveries if bg is not None else 0)
    thousands = max(deliveries, 1) / 1000
    out: dict[str, Any] = {
        "posts_per_s": rate,
        "seconds": round(meter.elapsed, 2),
        "posts": book.sent,
        "posts_acked": book.acked,
        "channel_deliveries": book.deliveries,
        "channel_deliveries_per_s": round(book.deliveries / seconds, 1),
        "background_deliveries": bg.deliveries if bg is not None else 0,
        "last_member": last_member_figures(books, book),
        "delivery_latency": summary_ms(book.latency),
        "ack_latency": summary_ms(book.ack_latency),
        "lost": book.outstanding() + (bg.outstanding() if bg is not None else 0),
        "unacked": book.unacked(),
        "duplicates": book.duplicates + (bg.duplicates if bg is not None else 0),
        "errors": dict(book.errors) | (dict(bg.errors) if bg is not None else {}),
        "background_latency": summary_ms(bg.latency) if bg is not None else None,
        "server_cpu_s": round(meter.cpu, 3),
        "server_cpu_util": round(meter.cpu / meter.elapsed, 3),
        "server_cpu_ms_per_1k_deliveries": round(1000 * meter.cpu / thousands, 2),
        "loadgen_cpu_util": round(meter.loadgen / meter.elapsed, 3),
        "other_processes_cpu_util": round(meter.others / meter.elapsed, 3),
    }
    if db_pid:
        out["db_cpu_util"] = round(meter.db / meter.elapsed, 3)
    lm = out["last_member"]
    print(
        f"  [{target.name}] {rate:g} posts/s: last member p50 {lm['p50_ms']} "
        f"p99 {lm['p99_ms']} ms, "
        f"{out['channel_deliveries_per_s']} deliveries/s, cpu {out['server_cpu_util']}, "
        f"{out['server_cpu_ms_per_1k_deliveries']} ms/1k, lost {out['lost']}, "
        f"dup {out['duplicates']}",
        flush=True,
    )
    return out


def last_member_figures(books: ChannelBooks, book: loadgen.PhaseBook) -> dict[str, Any]:
    """Due time to the last member's socket, over the posts every member received."""
    h = new_histogram()
    incomplete = 0
    for (sender, _, seq), (expected, got) in book.pending.items():
        arrived = books.last.get((book.phase, sender, seq))
        if expected < 0 or got < expected or arrived is None:
            incomplete += 1
            continue
        h.record((arrived - books.due[(book.phase, sender, seq)]) // 1000)
    return {"incomplete_posts": incomplete, **summary_ms(h)}


PING = loadgen._enc.encode({"type": "ping", "data": {}})


async def keep_alive(sockets: list[loadgen.BenchSocket], every: float = 30.0) -> None:
    while True:
        await asyncio.sleep(every)
        for sock in list(sockets):
            if sock.closed_code is None:
                sock.send(PING)


async def _drain(book: loadgen.PhaseBook, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if book.outstanding() == 0 and book.unacked() == 0:
            return
        await asyncio.sleep(0.05)


async def run_target(kind: str, args: argparse.Namespace, workdir: Path, run_id: str) -> Any:
    result: dict[str, Any] = {"target": kind}
    server = (
        run.server_process(kind, workdir)
        if kind == "relay"
        else messenger_process(workdir, args.members)
    )
    with server as (proc, port, detail):
        await run.wait_port(port, proc)
        pid = proc.pid
        result["process"] = detail
        db_pid = None
        if kind == "mariadb":
            db_pid = procstat.pid_of("mariadbd") or procstat.pid_of("mysqld")
        target: loadgen.Target = (
            loadgen.RelayTarget("127.0.0.1", port)
            if kind == "relay"
            else loadgen.ServerTarget(kind, "127.0.0.1", port)
        )
        # Accounts with every core (argon2 dominates), then pinned for the measurements.
        procstat.pin(pid, set(range(os.cpu_count() or 1)))
        t = time.monotonic()
        background_users = min(args.background_users, args.members) if args.background else 0
        population, channel = await populate(
            target, args.members, background_users, run_id, args.presence
        )
        result["pinned"] = procstat.pin(pid, {run.SERVER_CPU})
        result["populate_seconds"] = round(time.monotonic() - t, 1)
        connecting = time.monotonic()
        books = ChannelBooks()
        sockets: list[loadgen.BenchSocket] = []
        # The server closes a socket silent for 2 minutes (1001), as a client pings: so do
        # these, from the first one opened, since opening thousands takes minutes.
        pinger = asyncio.create_task(keep_alive(sockets))
        missing = population.users
        for attempt in range(3):
            # A shared machine can delay a few of thousands of ``ready`` past the client's
            # timeout: those are opened again.
            first = attempt * 1_000_000  # socket numbers of a retry differ from those that failed
            for start in range(0, len(missing), 250):
                chunk = missing[start : start + 250]
                opened, _ = await loadgen.open_sockets(target, books, chunk, first + start, 50)
                sockets += opened
            have = {s.user_index for s in sockets}
            missing = [u for u in population.users if u.index not in have]
            if not missing:
                break
            print(f"  [{kind}] {len(missing)} sockets not ready (try {attempt + 1})", flush=True)
        if missing:
            raise RuntimeError(f"{len(missing)} of {args.members} sockets failed to get ready")
        result["setup_seconds"] = round(time.monotonic() - t, 1)
        # Opening every member's socket alone: each ``ready`` lists the online chat-mates.
        result["connect_seconds"] = round(time.monotonic() - connecting, 1)
        by_user = {s.user_index: s for s in sockets}
        background = None
        if background_users:
            bg_population = loadgen.Population(population.users, population.chats[1:])
            background = loadgen.Sender(target, bg_population, by_user, books)
        print(
            f"  [{kind}] channel of {args.members} members, all online, "
            f"ready in {result['setup_seconds']} s (sockets {result['connect_seconds']} s)",
            flush=True,
        )
        await asyncio.sleep(1.0)  # presence and the like settle
        result["phases"] = []
        for n, rate in enumerate(args.rates):
            figures = await phase(
                target, books, by_user, channel, background, 10 * (n + 1), rate, args.seconds,
                args, (pid, db_pid),
            )  # fmt: skip
            result["phases"].append(figures)
        pinger.cancel()
        result["socket_closes"] = {str(k): v for k, v in books.closes.items()}
        result["stray_frames"] = books.stray_frames
        if background is not None:
            background.close()
        for s in sockets:
            s.close()
    return result


def table(results: list[dict[str, Any]]) -> str:
    head = (
        f"{'target':<8} {'posts/s':>7} {'deliv/s':>8} {'last p50':>9} {'last p99':>9} "
        f"{'deliv p99':>9} {'ack p50':>8} {'cpu':>5} {'ms/1k':>7} {'x relay':>7} "
        f"{'lost':>5} {'dup':>4}"
    )
    relay = {p["posts_per_s"]: p for r in results if r["target"] == "relay" for p in r["phases"]}
    lines = [head, "-" * len(head)]
    for r in results:
        for p in r["phases"]:
            ref = relay.get(p["posts_per_s"])
            mine = p["server_cpu_ms_per_1k_deliveries"]
            theirs = ref["server_cpu_ms_per_1k_deliveries"] if ref else 0
            ratio = f"{mine / theirs:.2f}" if theirs else "-"
            p["cpu_per_delivery_vs_relay"] = None if ratio == "-" else float(ratio)
            lm = p["last_member"]
            lines.append(
                f"{r['target']:<8} {p['posts_per_s']:>7g} {p['channel_deliveries_per_s']:>8.0f} "
                f"{lm['p50_ms']:>9} {lm['p99_ms']:>9} {p['delivery_latency']['p99_ms']:>9} "
                f"{p['ack_latency']['p50_ms']:>8} {p['server_cpu_util']:>5} "
                f"{p['server_cpu_ms_per_1k_deliveries']:>7} {ratio:>7} {p['lost']:>5} "
                f"{p['duplicates']:>4}"
            )
    lines.append(
        "last p50/p99: ms from a post's due time to the last member's socket; ms/1k: server "
        "CPU-ms per 1,000 deliveries (channel + background); target: last p99 <= 100 ms at "
        "5 posts/s with 5,000 members, x relay <= 2"
    )
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="1,000 members, 10 s per rate")
    p.add_argument("--members", type=int, default=None)
    p.add_argument("--seconds", type=float, default=None, help="per rate")
    p.add_argument("--rates", default="2,5", help="channel posts/s, comma-separated")
    p.add_argument("--background", type=float, default=500, help="deliveries/s (0: none)")
    p.add_argument("--background-users", type=int, default=200)
    p.add_argument(
        "--presence",
        action="store_true",
        help="members show their online status (connecting N members costs N^2 presence frames)",
    )
    p.add_argument("--targets", default="relay,mariadb")
    p.add_argument(
        "--serve-cmd", default="", help="command instead of `messenger serve` (a baseline build)"
    )
    p.add_argument("--out", type=Path, default=run.RESULTS / "big_channel.json")
    args = p.parse_args()
    if args.members is None:
        args.members = 1000 if args.quick else 5000
    if args.seconds is None:
        args.seconds = 10.0 if args.quick else 30.0
    args.rates = [float(r) for r in args.rates.split(",") if r.strip()]
    return args


def main() -> None:
    args = parse_args()
    run.SERVE_CMD = args.serve_cmd.split()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run.raise_nofile()
    pinned_self = (
        procstat.pin(os.getpid(), {run.LOADGEN_CPU}) if (os.cpu_count() or 1) > 1 else False
    )
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    run_id = secrets.token_hex(3)
    started = time.monotonic()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="messenger-bigchan-") as tmp:
        for kind in [t.strip() for t in args.targets.split(",") if t.strip()]:
            print(f"== {kind} ({args.members} members)", flush=True)
            workdir = Path(tmp) / kind
            workdir.mkdir()
            try:
                results.append(runner(run_target(kind, args, workdir, run_id)))
            except Exception as exc:
                log = workdir / f"{kind}.log"
                tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
                print(f"  [{kind}] FAILED: {exc!r}\n{tail}", flush=True)
                results.append({"target": kind, "failed": repr(exc)})
    ok = [r for r in results if "failed" not in r]
    print()
    print(table(ok))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "scenario": "big channel (issue 18, scenario 1)",
        "members": args.members,
        "seconds_per_rate": args.seconds,
        "background_deliveries_per_s": args.background,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "server_cpu": run.SERVER_CPU,
            "loadgen_cpu": run.LOADGEN_CPU if pinned_self else None,
            "client": loadgen.client_library(),
            "loadavg_at_end": Path("/proc/loadavg").read_text().split()[:3],
        },
        "seconds": round(time.monotonic() - started, 1),
        "results": results,
    }
    args.out.write_text(json.dumps(doc, indent=2, default=str))
    print(f"\nresults written to {args.out}; total {doc['seconds']} s")
    if any("failed" in r for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
