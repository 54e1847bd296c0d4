"""Issue 18, scenario 5: 1, 2 and 4 ``messenger serve`` processes behind Redis on one MariaDB.

    python bench/processes.py --quick          # 1 and 2 processes, 100 users, short steps
    python bench/processes.py                  # 1, 2 and 4 processes, 400 users
    python bench/processes.py --counts 1,4 --server-cpus 0,1

For each count, the processes serve one fresh MariaDB database and fan events out through
one Redis channel of their own (``MESSENGER_BROKER_URL``, ``?channel=`` unique per run). The
users are spread over the processes (user ``i`` keeps its socket on process ``i % count``)
and chat in ``run.py``'s mix (dialogs, groups of 10 and 50) over their sockets, so most
deliveries of a count above 1 cross from the sender's process to another one.

- ``cross-process added p50``: at the steady rate, the p50 latency of deliveries to a
  socket on another process than the sender's, less that of deliveries on the sender's own
  process, in the same phase (target < 2 ms).
- ``persisted msgs/s at p99 <= 100 ms``: the highest rate step whose delivery p99 stayed
  within 100 ms, with nothing lost, in messages per second (every message is committed to
  MariaDB before it is delivered).

The servers are pinned to ``--server-cpus`` (default CPU 0, as in ``run.py``; the load
generator on CPU 1): on a 2-core machine the processes share one core, so the figures show
what several processes cost, not what they gain; give them more cores on a bigger machine.
Figures go to ``bench/results/processes.json``.
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
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import loadgen  # noqa: E402
import procstat  # noqa: E402
import run  # noqa: E402
from histogram import Histogram, new_histogram, summary_ms  # noqa: E402
from httpclient import HttpConnection  # noqa: E402

REDIS_URL = os.environ.get("MESSENGER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
STOP_P99_MS = 100.0


@dataclass(frozen=True)
class Form:
    name: str
    counts: tuple[int, ...]
    users: int
    steady_deliveries: int
    steady_seconds: float
    steps: tuple[int, ...]  # deliveries/s
    step_seconds: float


QUICK = Form("quick", (1, 2), 100, 2000, 4, (4000, 8000, 12000), 3)
FULL = Form("full", (1, 2, 4), 400, 2000, 15, (4000, 6000, 8000, 10000, 12000, 16000, 20000), 10)


class SplitBooks(loadgen.Books):
    """The usual books, plus each delivery's latency by whether it crossed processes."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count
        # phase -> {"same" | "cross": histogram of microseconds}
        self.split: dict[int, dict[str, Histogram]] = {}

    def _delivered(self, sock: loadgen.BenchSocket, text: str, now: int) -> None:
        super()._delivered(sock, text, now)
        parts = text.split("|", 6)
        if len(parts) < 6 or parts[0] != "bm":
            return
        sender = int(parts[2])
        if sender == sock.user_index:
            return
        where = "same" if sender % self.count == sock.user_index % self.count else "cross"
        by = self.split.setdefault(int(parts[1]), {})
        by.setdefault(where, new_histogram()).record((now - int(parts[5])) // 1000)


@dataclass
class Servers:
    procs: list[Any] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]


@contextlib.contextmanager
def servers(count: int, workdir: Path, run_id: str) -> Any:
    """``count`` servers on one fresh database and one Redis channel of their own."""
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(run.mariadb_database())
        settings = {
            "MESSENGER_DATABASE_URL": url,
            # One key for all: a token issued by one process is checked by the others.
            "MESSENGER_SECRET_KEY": secrets.token_urlsafe(48),
            "MESSENGER_METRICS": "1",  # the hubs' refills, the broker's drops (see ``hub_figures``)
            "MESSENGER_BROKER_URL": f"{REDIS_URL}?channel=messenger-bench-{run_id}-{count}",
        }
        out = Servers()
        for i in range(count):
            own = workdir / f"process{i}"
            own.mkdir(parents=True)
            proc, port, _ = stack.enter_context(run.server_process("mariadb", own, settings))
            out.procs.append(proc)
            out.ports.append(port)
        yield out


async def measure(count: int, form: Form, args: argparse.Namespace, workdir: Path) -> Any:
    run_id = secrets.token_hex(3)
    result: dict[str, Any] = {"processes": count}
    with servers(count, workdir, run_id) as srv:
        for proc, port in zip(srv.procs, srv.ports, strict=True):
            await run.wait_port(port, proc)
        db_pid = procstat.pid_of("mariadbd") or procstat.pid_of("mysqld")
        every_cpu = set(range(os.cpu_count() or 1))
        for pid in srv.pids:
            procstat.pin(pid, every_cpu)  # accounts first with every core (argon2)
        targets = [loadgen.ServerTarget("mariadb", "127.0.0.1", p) for p in srv.ports]
        t = time.monotonic()
        population = await targets[0].populate(form.users, run_id)
        result["setup_seconds"] = round(time.monotonic() - t, 1)
        for pid in srv.pids:
            procstat.pin(pid, args.server_cpus)
        books = SplitBooks(count)
        sockets: list[loadgen.BenchSocket] = []
        for i, target in enumerate(targets):
            mine = [u for u in population.users if u.index % count == i]
            opened, failures = await loadgen.open_sockets(target, books, mine, len(sockets))
            if failures:
                raise RuntimeError(f"{failures} sockets of process {i} failed to get ready")
            sockets += opened
        by_user = {s.user_index: s for s in sockets}
        sender = loadgen.Sender(targets[0], population, by_user, books)
        print(f"  [{count}] {form.users} users over {count} process(es) ready", flush=True)
        await asyncio.sleep(0.5)

        steady = await run.send_phase(
            sender, 1, form.steady_deliveries, form.steady_seconds, 0.0, srv.pids, db_pid
        )
        split = {k: summary_ms(h) for k, h in books.split.get(1, {}).items()}
        steady["by_process"] = split
        if "cross" in split and "same" in split:
            steady["cross_added_p50_ms"] = round(
                split["cross"]["p50_ms"] - split["same"]["p50_ms"], 2
            )
        result["steady"] = steady
        _progress(count, "steady", steady)

        result["steps"] = []
        for n, rate in enumerate(form.steps):
            step = await run.send_phase(
                sender, 2 + n, rate, form.step_seconds, 0.0, srv.pids, db_pid
            )
            result["steps"].append(step)
            _progress(count, f"step {rate}/s", step)
            if step["latency"]["p99_ms"] > STOP_P99_MS or step["unacked"] > step["msgs_sent"] / 2:
                break
        await asyncio.sleep(run.DRAIN_SECONDS)
        for figures in [steady, *result["steps"]]:
            book = books.phases.get(figures["phase"])
            if book is not None:
                figures["lost"] = book.outstanding()
        ok = [
            s
            for s in result["steps"]
            if s["latency"]["p99_ms"] <= STOP_P99_MS and s["lost"] == 0 and s["unacked"] == 0
        ]
        result["persisted_msgs_per_s_at_p99_100ms"] = max(
            (s["msgs_in_per_s"] for s in ok), default=None
        )
        result["socket_closes"] = {str(k): v for k, v in books.closes.items()}
        result["hubs"] = [await hub_figures(port) for port in srv.ports]
        print(f"  [{count}] hubs {result['hubs']}", flush=True)
        sender.close()
        for s in sockets:
            s.close()
    return result


# What each process's /metrics says about how deliveries crossed: a hub that did not get a
# feed position in time reads it from the database (a refill), which delays its sockets.
HUB_METRICS = (
    "messenger_hub_refills",
    "messenger_broker_dropped",
    "messenger_broker_publish_failures",
    "messenger_broker_reconnects",
)


async def hub_figures(port: int) -> dict[str, float]:
    conn = HttpConnection("127.0.0.1", port)
    try:
        status, body = await conn.request("GET", "/metrics")
    finally:
        conn.close()
    if status != 200:
        return {}
    out: dict[str, float] = {}
    for line in body.decode().splitlines():
        name, _, value = line.partition(" ")
        if name.removesuffix("_total") in HUB_METRICS:
            out[name.removesuffix("_total").removeprefix("messenger_")] = float(value)
    return out


def _progress(count: int, name: str, f: dict[str, Any]) -> None:
    lat = f["latency"]
    extra = f" cross-added p50 {f['cross_added_p50_ms']} ms" if "cross_added_p50_ms" in f else ""
    print(
        f"  [{count}] {name}: {f['msgs_in_per_s']} msg/s, {f['deliveries_per_s']} deliv/s, "
        f"p50 {lat['p50_ms']} p99 {lat['p99_ms']} ms, late {f['late_at_drain']}, "
        f"server CPU {f['server_cpu_util']}{extra}",
        flush=True,
    )


def table(results: list[dict[str, Any]]) -> str:
    rows = [
        "| processes | steady p50 / p99 ms | cross-process added p50 ms "
        "| persisted msgs/s at p99 <= 100 ms | lost |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        if "failed" in r:
            rows.append(f"| {r['processes']} | failed: {r['failed']} | | | |")
            continue
        lat = r["steady"]["latency"]
        lost = r["steady"]["lost"] + sum(s["lost"] for s in r["steps"])
        rows.append(
            f"| {r['processes']} | {lat['p50_ms']} / {lat['p99_ms']} "
            f"| {r['steady'].get('cross_added_p50_ms', '-')} "
            f"| {r['persisted_msgs_per_s_at_p99_100ms']} | {lost} |"
        )
    return "\n".join(rows)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 and 2 processes, short phases")
    parser.add_argument("--counts", help="process counts, comma-separated (default: the form's)")
    parser.add_argument(
        "--server-cpus",
        default=str(run.SERVER_CPU),
        help="CPUs the server processes share, comma-separated (default: %(default)s)",
    )
    parser.add_argument("--out", type=Path, default=run.RESULTS / "processes.json")
    args = parser.parse_args()
    args.server_cpus = {int(c) for c in args.server_cpus.split(",") if c.strip()}
    return args


def main() -> None:
    args = parse_args()
    form = QUICK if args.quick else FULL
    counts = (
        tuple(int(c) for c in args.counts.split(",") if c.strip()) if args.counts else form.counts
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run.raise_nofile()
    if (os.cpu_count() or 1) > 1:
        procstat.pin(os.getpid(), {run.LOADGEN_CPU})
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    started = time.monotonic()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="messenger-bench-processes-") as tmp:
        for count in counts:
            print(f"== {count} process(es) ({form.name})", flush=True)
            workdir = Path(tmp) / str(count)
            try:
                results.append(runner(measure(count, form, args, workdir)))
            except Exception as exc:
                logs = sorted(workdir.glob("process*/mariadb.log"))
                tail = logs[0].read_text(errors="replace")[-3000:] if logs else ""
                print(f"  [{count}] FAILED: {exc!r}\n{tail}", flush=True)
                results.append({"processes": count, "failed": repr(exc)})
    print()
    print(table(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "form": form.name,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "server_cpus": sorted(args.server_cpus),
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
