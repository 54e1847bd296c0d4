"""Issue 18, scenario 2: tens of thousands of idle authenticated sockets on one process.

    python bench/idle_sockets.py --quick    # 5,000 sockets of 1,000 users (about a minute)
    python bench/idle_sockets.py            # 50,000 sockets of 10,000 users
    python bench/idle_sockets.py --sockets 20000 --sockets-per-user 2

The company: every user is in the all-hands channel (one group of all of them, made before
anyone connects, as a company has it) and has ``--sockets-per-user`` sockets open (desktop,
phone, a few tabs); users hide their online status, as in ``big_channel.py`` (every member
of a channel is a chat-mate of every other: N^2 presence frames otherwise). One
``messenger serve`` on a fresh MariaDB database, pinned to CPU 0; the load generator is
this process and ``--workers`` processes of its own (one Python process can hardly open
tens of thousands of sockets quickly while it reads frames), all on CPU 1. Worker ``k``
binds its sockets to 127.0.0.(2 + k): one source address has about 28,000 ephemeral ports.

Figures:
- connect: authenticated sockets per second from the first connect to the last ``ready``
  (each socket: TCP connect, upgrade, ``auth``, ``ready``), and the time from connect to
  ``ready`` per socket (p50/p99);
- RSS per socket: the server's RSS growth over the sockets opened, everything included
  (uvicorn's protocol object and buffers, Litestar's ``WebSocket``, the session, the hub's
  ``Connection``, the kernel's socket buffers are not in RSS);
- broadcast: the company's announcement, one message posted (over REST, as an HR tool or a
  person at a desk would) to the all-hands channel: from the POST to the frame on the last
  socket, the POST's own answer time, and the server CPU it took. Repeated ``--posts`` times.

The server's and this process's open-files limits are lifted to the hard limit; where that
holds fewer than the sockets asked for (a container may not let it be raised), the run
takes as many as fit and says so. The per-address limit of unauthenticated sockets and
the group size limit are raised in the server's settings here, not in the defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import big_channel  # noqa: E402
import loadgen  # noqa: E402
import procstat  # noqa: E402
import run  # noqa: E402
from histogram import new_histogram, summary_ms  # noqa: E402
from httpclient import HttpPool  # noqa: E402

MARK = "idle-bench-broadcast"
PING = b'{"type":"ping","data":{}}'
PING_EVERY_S = 40.0  # the server closes a socket silent for 2 minutes
FD_MARGIN = 200  # the server's own files, its database connections, listening socket


# --- the workers (each a process of its own) ------------------------------------------------


def worker_main(
    pipe: Connection, number: int, port: int, tokens: list[str], concurrency: int
) -> None:
    """Open one socket per token from 127.0.0.(2 + number), then answer the parent's commands."""
    run.raise_nofile()
    try:
        import uvloop

        uvloop.run(_worker(pipe, number, port, tokens, concurrency))
    except ImportError:
        asyncio.run(_worker(pipe, number, port, tokens, concurrency))


class _Books:
    """What one worker's sockets saw of the broadcasts."""

    def __init__(self) -> None:
        self.arrivals: dict[str, list[int]] = {}  # post text -> arrival times (monotonic ns)
        self.closes: dict[int, int] = {}


async def _worker(
    pipe: Connection, number: int, port: int, tokens: list[str], concurrency: int
) -> None:
    from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

    loop = asyncio.get_running_loop()
    address = f"127.0.0.{2 + number}"
    url = f"ws://127.0.0.1:{port}{loadgen.WS_PATH}"
    books = _Books()
    transports: list[WSTransport] = []
    latencies: list[int] = []  # connect to ``ready``, microseconds
    failures: dict[str, int] = {}

    class Listener(WSListener):  # type: ignore[misc]
        def __init__(self, auth: bytes, ready: asyncio.Future[None]) -> None:
            self.auth = auth
            self.ready = ready
            self.closed = False

        def on_ws_connected(self, transport: WSTransport) -> None:
            transport.send(WSMsgType.TEXT, self.auth)

        def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
            if frame.msg_type == WSMsgType.TEXT:
                payload = frame.get_payload_as_bytes()
                if not self.ready.done():
                    if loadgen._frame.decode(payload).type == "ready":
                        self.ready.set_result(None)
                    return
                if MARK.encode() in payload and b'"new_message"' in payload:
                    now = time.monotonic_ns()
                    text = loadgen._msg.decode(loadgen._frame.decode(payload).data).message.text
                    books.arrivals.setdefault(text, []).append(now)
            elif frame.msg_type == WSMsgType.CLOSE:
                code = frame.get_close_code()
                self.closed = True
                books.closes[int(code)] = books.closes.get(int(code), 0) + 1
                transport.send_close(code)
                transport.disconnect()

        def on_ws_disconnected(self, transport: WSTransport) -> None:
            if not self.ready.done():
                self.ready.set_exception(ConnectionError("closed before ready"))

    sem = asyncio.Semaphore(concurrency)

    async def one(token: str) -> None:
        async with sem:
            auth = loadgen._enc.encode({"type": "auth", "data": {"token": token}})
            ready: asyncio.Future[None] = loop.create_future()
            t = time.monotonic_ns()
            try:
                transport, _ = await ws_connect(
                    lambda: Listener(auth, ready),
                    url,
                    websocket_handshake_timeout=60,
                    local_addr=(address, 0),
                )
                await asyncio.wait_for(ready, 60)
            except Exception as exc:
                kind = type(exc).__name__
                failures[kind] = failures.get(kind, 0) + 1
                return
            latencies.append((time.monotonic_ns() - t) // 1000)
            transports.append(transport)

    async def keep_alive() -> None:
        # Spread over the interval: a ping per socket at once would be a burst of its own.
        while True:
            batch = max(1, len(transports) // 40)
            for start in range(0, max(len(transports), 1), batch):
                for transport in transports[start : start + batch]:
                    transport.send(WSMsgType.TEXT, PING)
                await asyncio.sleep(PING_EVERY_S / 40)

    pinger: asyncio.Task[None] | None = None
    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        kind = command[0]
        if kind == "open":
            # From the start: the first sockets would otherwise be silent for as long as the
            # others take to connect (the server closes a socket silent for 2 minutes).
            pinger = pinger or asyncio.create_task(keep_alive())
            start = time.monotonic_ns()
            await asyncio.gather(*(one(t) for t in tokens))
            end = time.monotonic_ns()
            pipe.send(("opened", len(transports), failures, start, end, latencies))
        elif kind == "arrivals":
            text = command[1]
            got = books.arrivals.get(text, [])
            pipe.send(("arrivals", len(got), min(got, default=0), max(got, default=0)))
        elif kind == "close":
            if pinger is not None:
                pinger.cancel()
            for transport in transports:
                transport.send_close()
                transport.disconnect()
            await asyncio.sleep(0.5)
            pipe.send(("closed", books.closes))
            return


class Workers:
    """The worker processes and their pipes."""

    def __init__(self, port: int, tokens: list[str], count: int, concurrency: int) -> None:
        ctx = mp.get_context("spawn")
        self.pipes: list[Connection] = []
        self.procs: list[Any] = []
        for n in range(count):
            mine, theirs = ctx.Pipe()
            share = tokens[n::count]
            proc = ctx.Process(
                target=worker_main, args=(theirs, n, port, share, concurrency), daemon=True
            )
            proc.start()
            self.pipes.append(mine)
            self.procs.append(proc)

    async def ask(self, command: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        for pipe in self.pipes:
            pipe.send(command)
        return [await asyncio.to_thread(pipe.recv) for pipe in self.pipes]

    def stop(self) -> None:
        for proc in self.procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()


# --- the run ----------------------------------------------------------------------------------


def socket_budget(asked: int) -> int:
    """How many sockets the server process can hold under the open-files hard limit."""
    hard = run.raise_nofile()
    return min(asked, hard - FD_MARGIN)


async def make_company(
    port: int, users: int, run_id: str, with_channel: bool
) -> tuple[list[loadgen.User], int]:
    """``users`` accounts (one precomputed argon2 hash), all in the all-hands channel unless
    ``with_channel`` is false (then the channel id is 0)."""
    people = await big_channel.register_directly(users, run_id, presence=False)
    if not with_channel:
        return people, 0
    pool = HttpPool("127.0.0.1", port, 2)
    body = {"kind": "group", "title": "All hands", "member_ids": [u.id for u in people[1:]]}
    out = await pool.get().json("POST", f"{loadgen.API}/chats", body, people[0].token)
    pool.close()
    return people, int(out["id"])


async def warm_up(port: int, people: list[loadgen.User], count: int) -> None:
    """Open and close a few sockets: what the first ones load once is not per socket."""
    books = loadgen.Books()
    target = loadgen.ServerTarget("mariadb", "127.0.0.1", port)
    sockets, _ = await loadgen.open_sockets(target, books, people[:count], 0, 50)
    for s in sockets:
        s.close()
    await asyncio.sleep(1.0)


async def broadcast(
    workers: Workers, pool: HttpPool, poster: loadgen.User, channel: int, n: int,
    opened: int, pid: int,
) -> dict[str, Any]:  # fmt: skip
    """One announcement to the channel; until every socket has it (or 60 s)."""
    text = f"{MARK} {n}: the office is closed on Friday"
    cpu0 = procstat.cpu_seconds(pid)
    t0 = time.monotonic_ns()
    await pool.get().json(
        "POST",
        f"{loadgen.API}/chats/{channel}/messages",
        {"client_id": f"idle-{n}-{secrets.token_hex(4)}", "text": text},
        poster.token,
    )
    acked = time.monotonic_ns()
    deadline = time.monotonic() + 30
    got = first = last = 0
    cpu = 0.0
    while time.monotonic() < deadline:
        answers = await workers.ask(("arrivals", text))
        reached = sum(a[1] for a in answers)
        if reached > got:
            # CPU up to the poll before the last socket was seen: with 50 ms polls, at most
            # that much idle time is counted.
            got, cpu = reached, procstat.cpu_seconds(pid) - cpu0
        first = min((a[2] for a in answers if a[1]), default=0)
        last = max((a[3] for a in answers), default=0)
        if got >= opened:
            break
        await asyncio.sleep(0.05)
    return {
        "sockets_reached": got,
        "post_answer_ms": round((acked - t0) / 1e6, 1),
        "first_socket_ms": round((first - t0) / 1e6, 1) if first else None,
        "last_socket_ms": round((last - t0) / 1e6, 1) if last else None,
        "server_cpu_s": round(cpu, 3),
        "server_cpu_us_per_socket": round(1e6 * cpu / max(got, 1), 2),
    }


def py_spy(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """Sample the server while the sockets connect (``--py-spy FILE``)."""
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    cmd = [exe, "record", "-p", str(pid), "-d", "3600", "-r", "200", "-f", "raw", "-o", str(out)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def open_all(
    workers: Workers, pid: int, profile: Path | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every worker opens its sockets at once: the connect figures and the RSS growth."""
    rss0 = procstat.rss_kib(pid)
    cpu0 = procstat.cpu_seconds(pid)
    spy = py_spy(pid, profile) if profile is not None else None
    answers = await workers.ask(("open",))
    cpu = procstat.cpu_seconds(pid) - cpu0
    if spy is not None:
        spy.send_signal(signal.SIGINT)  # py-spy writes what it sampled and ends
        await asyncio.to_thread(spy.wait)
    opened = sum(a[1] for a in answers)
    failures: dict[str, int] = {}
    for a in answers:
        for k, v in a[2].items():
            failures[k] = failures.get(k, 0) + v
    start = min(a[3] for a in answers)
    end = max(a[4] for a in answers)
    hist = new_histogram()
    for a in answers:
        for us in a[5]:
            hist.record(us)
    seconds = (end - start) / 1e9
    await asyncio.sleep(3.0)  # frames in flight settle
    rss1 = procstat.rss_kib(pid)
    connect = {
        "opened": opened,
        "failed": failures,
        "seconds": round(seconds, 2),
        "connects_per_s": round(opened / max(seconds, 1e-9), 1),
        "server_cpu_ms_per_connect": round(1000 * cpu / max(opened, 1), 3),
        "server_cpu_util": round(cpu / max(seconds, 1e-9), 3),
        "connect_to_ready": summary_ms(hist),
    }
    memory = {
        "rss_before_mib": round(rss0 / 1024, 1),
        "rss_after_mib": round(rss1 / 1024, 1),
        "rss_per_socket_kib": round((rss1 - rss0) / max(opened, 1), 2),
    }
    return connect, memory


async def run_bench(args: argparse.Namespace, workdir: Path, run_id: str) -> dict[str, Any]:
    sockets = socket_budget(args.sockets)
    users = max(1, min(args.users or sockets // args.sockets_per_user, sockets))
    per_user = -(-sockets // users)
    result: dict[str, Any] = {
        "sockets_asked": args.sockets,
        "sockets": sockets,
        "users": users,
        "sockets_per_user": per_user,
        "workers": args.workers,
    }
    if sockets < args.sockets:
        print(
            f"  open-files hard limit {run.raise_nofile()}: {sockets} sockets, not {args.sockets}",
            flush=True,
        )
    with big_channel.messenger_process(workdir, users) as (proc, port, detail):
        await run.wait_port(port, proc)
        pid = proc.pid
        result["process"] = detail
        procstat.pin(pid, set(range(os.cpu_count() or 1)))
        t = time.monotonic()
        people, channel = await make_company(port, users, run_id, args.channel == "first")
        result["setup_seconds"] = round(time.monotonic() - t, 1)
        result["pinned"] = procstat.pin(pid, {run.SERVER_CPU})
        where = "in the all-hands channel" if channel else "(no chats)"
        print(f"  {users} users {where} in {result['setup_seconds']} s", flush=True)
        await warm_up(port, people, min(200, users))
        tokens = [people[i % users].token for i in range(sockets)]
        workers = Workers(port, tokens, args.workers, args.concurrency)
        try:
            await asyncio.sleep(2.0)  # the workers' interpreters start
            result["connect"], result["memory"] = await open_all(workers, pid, args.py_spy)
            opened = result["connect"]["opened"]
            print(f"  connect {result['connect']}", flush=True)
            print(f"  memory {result['memory']}", flush=True)
            pool = HttpPool("127.0.0.1", port, 1)
            result["broadcasts"] = []
            for n in range(args.posts if channel else 0):
                b = await broadcast(workers, pool, people[0], channel, n, opened, pid)
                result["broadcasts"].append(b)
                print(f"  broadcast {b}", flush=True)
                await asyncio.sleep(1.0)
            pool.close()
            result["rss_end_mib"] = round(procstat.rss_kib(pid) / 1024, 1)
            closes = await workers.ask(("close",))
            merged: dict[str, int] = {}
            for c in closes:
                for k, v in c[1].items():
                    merged[str(k)] = merged.get(str(k), 0) + v
            result["socket_closes_by_server"] = merged
        finally:
            workers.stop()
    return result


def table(r: dict[str, Any]) -> str:
    c, m = r["connect"], r["memory"]
    ready = c["connect_to_ready"]
    last = [b["last_socket_ms"] for b in r["broadcasts"] if b["last_socket_ms"] is not None]
    cpu = [b["server_cpu_s"] for b in r["broadcasts"]]
    rows = [
        ("sockets open", f"{c['opened']} ({r['users']} users x {r['sockets_per_user']})"),
        ("RSS per socket KiB (target <= 16)", f"{m['rss_per_socket_kib']}"),
        ("connects/s (target >= 2,000)", f"{c['connects_per_s']}"),
        ("server CPU-ms per connect", f"{c['server_cpu_ms_per_connect']}"),
        ("connect to ready p50 / p99 ms", f"{ready['p50_ms']} / {ready['p99_ms']}"),
        ("broadcast: POST to last socket ms", ", ".join(str(x) for x in last) or "-"),
        ("broadcast: server CPU-s", ", ".join(str(x) for x in cpu)),
        ("failed connects", str(c["failed"] or 0)),
    ]  # fmt: skip
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="5,000 sockets")
    p.add_argument("--sockets", type=int, default=None)
    p.add_argument("--sockets-per-user", type=int, default=5)
    p.add_argument("--users", type=int, default=None, help="default: sockets / sockets-per-user")
    p.add_argument("--workers", type=int, default=4, help="load generator processes")
    p.add_argument("--concurrency", type=int, default=64, help="connects in flight per worker")
    p.add_argument("--posts", type=int, default=3, help="broadcasts to measure")
    p.add_argument(
        "--channel",
        choices=("first", "none"),
        default="first",
        help="first: every user in the all-hands channel before connecting (the broadcast "
        "goes there); none: no chats, connects and memory of the socket layer alone",
    )
    p.add_argument(
        "--py-spy", type=Path, metavar="FILE", help="sample the server while sockets connect"
    )
    p.add_argument("--serve-cmd", default="", help="command instead of `messenger serve`")
    p.add_argument("--out", type=Path, default=run.RESULTS / "idle_sockets.json")
    args = p.parse_args()
    if args.sockets is None:
        args.sockets = 5000 if args.quick else 50_000
    return args


def main() -> None:
    args = parse_args()
    run.SERVE_CMD = args.serve_cmd.split()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run.raise_nofile()
    pinned = procstat.pin(os.getpid(), {run.LOADGEN_CPU}) if (os.cpu_count() or 1) > 1 else False
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    started = time.monotonic()
    load0 = Path("/proc/loadavg").read_text().split()[:3]
    with tempfile.TemporaryDirectory(prefix="messenger-idle-") as tmp:
        workdir = Path(tmp)
        try:
            result = runner(run_bench(args, workdir, secrets.token_hex(3)))
        except Exception as exc:
            log = workdir / "mariadb.log"
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            print(f"FAILED: {exc!r}\n{tail}", flush=True)
            sys.exit(1)
    print()
    print(table(result))
    doc = {
        "scenario": "idle sockets (issue 18, scenario 2)",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "server_cpu": run.SERVER_CPU,
            "loadgen_cpu": run.LOADGEN_CPU if pinned else None,
            "loadavg_at_start": load0,
            "loadavg_at_end": Path("/proc/loadavg").read_text().split()[:3],
        },
        "seconds": round(time.monotonic() - started, 1),
        "result": result,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2, default=str))
    print(
        f"\nresults written to {args.out}; total {doc['seconds']} s; load {load0} -> "
        f"{doc['machine']['loadavg_at_end']}"
    )


if __name__ == "__main__":
    main()
