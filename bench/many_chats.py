"""Many chats per user (issue 18, scenario 4), on MariaDB through a real ``messenger serve``.

    python bench/many_chats.py            # make bench-many-chats: 2,000 chats, 1,000,000 messages
    python bench/many_chats.py --quick    # 2,000 chats, 100,000 messages in the big one (< 1 min)

A database of its own (``messenger_bench_many_chats_<random>``) on the server named by
MESSENGER_TEST_DATABASE_URL (default mysql+aiomysql://root@127.0.0.1:3306), dropped at the
end. The users are registered through the messenger (real password hashing: the reader logs
in over HTTP); the chats, memberships and messages are bulk-loaded (``LOAD DATA``): one
reader in ``--chats`` chats (dialogs with every other user, the rest groups of 3 to 6), 20
messages in each small chat and ``--messages`` in one big group, a few of them deleted, the
reader's read mark somewhere in each chat, 5 of its chats pinned and 300 archived (100 of
them since brought back by a message, 100 muted when it came). Then ``messenger serve``
starts on that database and, closed-loop over one keep-alive connection:

- ``GET /chats`` (the first page): p99 next to its target (20 ms); every answer's unread
  counts are compared with a SQL count of the same rule (messages above the reader's read
  mark, by others, not deleted), and any difference is reported and fails the run;
- ``GET /chats/{big}/messages?limit=50``: the newest page, and pages ``before`` random ids
  across the whole chat (cold ones included): p99 next to its target (10 ms).

The figures go to stdout and ``bench/results/many_chats.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402
from histogram import new_histogram, summary_ms  # noqa: E402
from httpclient import HttpConnection  # noqa: E402
from search import connect  # noqa: E402

from messenger.adapters.memory import FastHasher  # noqa: E402
from messenger.adapters.sqlalchemy import scratch_database, upgrade_database  # noqa: E402
from messenger.container import Container, running  # noqa: E402
from messenger.settings import Settings  # noqa: E402

SERVER = os.environ.get("MESSENGER_TEST_DATABASE_URL", "mysql+aiomysql://root@127.0.0.1:3306")
RESULTS = HERE / "results"
API = "/api/v1"
PASSWORD = "benchmark pw"
USERS = 50
PER_SMALL_CHAT = 20
PAGE = 50
PINNED = 5
ARCHIVED = 300
TARGET_CHATS_P99_MS = 20.0
TARGET_HISTORY_P99_MS = 10.0


async def register_users(url: str) -> list[int]:
    """Every user through the messenger, the reader first: its password hashed for real, as
    it logs in to the server; the others' with a fast fake (they never log in)."""
    settings = Settings(secret_key=secrets.token_urlsafe(48), database_url=url)
    async with running(Container(settings=settings)) as (app, _):
        users = [(await app.register("user0", PASSWORD)).user.id]
    async with running(Container(settings=settings, hasher=FastHasher())) as (app, _):
        users += [(await app.register(f"user{i}", PASSWORD)).user.id for i in range(1, USERS)]
    return users


def reader_prefs(
    reader: int, chat_ids: list[int], last: dict[int, tuple[int, datetime]], rng: random.Random
) -> list[tuple[Any, ...]]:
    """The reader's own choices, as a heavy user has them: a few chats pinned, some archived
    (a third of those brought back by a later message, a third muted when it came), so that
    the page is picked under the pins and the archive rule, not around them."""
    chosen = rng.sample(chat_ids, PINNED + ARCHIVED)
    prefs: list[tuple[Any, ...]] = [
        (chat_id, reader, None, n, None) for n, chat_id in enumerate(chosen[:PINNED])
    ]
    for n, chat_id in enumerate(chosen[PINNED:]):
        last_id, last_at = last[chat_id]
        muted = last_at + timedelta(days=1) if n % 3 == 1 else None
        prefs.append((chat_id, reader, muted, None, last_id - (n % 3 != 0)))
    return prefs


def load(url: str, users: list[int], chats: int, big: int, rng: random.Random) -> dict[str, Any]:
    """Bulk-load the reader's chats and their messages; what the measurement needs."""
    reader, others = users[0], users[1:]
    now = datetime.now(UTC).replace(tzinfo=None)
    conn = connect(url)
    # Closed whatever happens: a connection left open mid-transaction holds the metadata
    # lock that dropping the database then waits for.
    with contextlib.closing(conn), conn.cursor() as cur, tempfile.TemporaryDirectory() as tmp:
        cur.execute("SET unique_checks = 0, foreign_key_checks = 0")
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM chats")
        first_chat = int(cur.fetchone()[0]) + 1
        chat_ids = list(range(first_chat, first_chat + chats))
        big_chat = chat_ids[rng.randrange(len(chat_ids))]
        members: dict[int, list[int]] = {}
        chat_rows = []
        for n, chat_id in enumerate(chat_ids):
            if n < len(others) and chat_id != big_chat:
                members[chat_id] = [reader, others[n]]
                low, high = sorted(members[chat_id])
                chat_rows.append((chat_id, "direct", None, reader, f"{low}:{high}"))
            else:
                members[chat_id] = [reader, *rng.sample(others, rng.randint(2, 5))]
                chat_rows.append((chat_id, "group", f"chat {n}", reader, None))
        messages = Path(tmp) / "messages.tsv"
        last: dict[int, tuple[int, datetime]] = {}
        read_marks: dict[int, int] = {}
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM messages")
        next_id = int(cur.fetchone()[0]) + 1
        started = now - timedelta(days=365)
        with messages.open("w", encoding="utf-8") as out:
            # The small chats' messages in turns (spread over the table as a real chat's
            # are), then the big chat's: the most recently active, on the first page.
            smalls = [c for c in chat_ids if c != big_chat]
            order = [c for _ in range(PER_SMALL_CHAT) for c in smalls] + [big_chat] * big
            step = timedelta(days=365) / len(order)
            ids_of: dict[int, list[int]] = {c: [] for c in chat_ids}
            for n, chat_id in enumerate(order):
                message_id = next_id + n
                sender = members[chat_id][rng.randrange(len(members[chat_id]))]
                at = started + step * n
                deleted = "\\N" if rng.random() >= 0.02 else at.isoformat(sep=" ")
                out.write(
                    f"{message_id}\t{chat_id}\t{sender}\tm{n}\tmessage {n} of chat {chat_id}"
                    f"\t{at.isoformat(sep=' ')}\t{deleted}\n"
                )
                ids_of[chat_id].append(message_id)
                last[chat_id] = (message_id, at)
        for chat_id, ids in ids_of.items():
            # Some chats read to the end, the others up to somewhere in their last 200 (a
            # small chat: anywhere, or not at all).
            back = rng.randint(1, min(200, len(ids) + 1))
            read_marks[chat_id] = 0 if back > len(ids) else ids[-1 if rng.random() < 0.3 else -back]
        cur.executemany(
            "INSERT INTO chats (id, kind, title, created_by, direct_key, created_at,"
            " last_activity_at, last_message_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [(*row, started, last[row[0]][1], last[row[0]][0]) for row in chat_rows],
        )
        cur.executemany(
            "INSERT INTO memberships (chat_id, user_id, role, joined_at, joined_position,"
            " read_message_id, delivered_message_id) VALUES (%s, %s, %s, %s, 0, %s, %s)",
            [
                (
                    chat_id,
                    user_id,
                    "owner" if user_id == reader and len(ms) > 2 else "member",
                    started,
                    read_marks[chat_id] if user_id == reader else 0,
                    read_marks[chat_id] if user_id == reader else 0,
                )
                for chat_id, ms in members.items()
                for user_id in ms
            ],
        )
        prefs = reader_prefs(reader, [c for c in chat_ids if c != big_chat], last, rng)
        cur.executemany(
            "INSERT INTO chat_prefs (chat_id, user_id, muted_until, pin_position, archived_up_to,"
            " draft_text) VALUES (%s, %s, %s, %s, %s, '')",
            prefs,
        )
        cur.execute(
            f"LOAD DATA LOCAL INFILE '{messages}' INTO TABLE messages CHARACTER SET utf8mb4"
            " FIELDS TERMINATED BY '\\t' LINES TERMINATED BY '\\n'"
            " (id, chat_id, sender_id, client_id, text, created_at, deleted_at)"
        )
        conn.commit()
        cur.execute("ANALYZE TABLE chats, memberships, messages, chat_prefs")
        cur.fetchall()
        conn.commit()
    return {"reader": reader, "big_chat": big_chat, "big_ids": ids_of[big_chat]}


def unread_by_sql(url: str, reader: int) -> dict[int, int]:
    """The reader's unread count of every chat, by the rule, straight from the tables."""
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT m.chat_id, COUNT(msg.id) FROM memberships m"
                " LEFT JOIN messages msg ON msg.chat_id = m.chat_id"
                "  AND msg.id > GREATEST(m.read_message_id, m.cleared_up_to)"
                "  AND msg.sender_id <> m.user_id AND msg.deleted_at IS NULL"
                "  AND NOT EXISTS (SELECT 1 FROM hidden_messages h"
                "   WHERE h.user_id = m.user_id AND h.message_id = msg.id)"
                " WHERE m.user_id = %s GROUP BY m.chat_id",
                (reader,),
            )
            return {int(c): int(n) for c, n in cur.fetchall()}
    finally:
        conn.close()


def filled(url: str) -> dict[str, Any] | None:
    """What ``load`` returned for a database filled before (None: an empty one)."""
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW TABLES LIKE 'chats'")
            if not cur.fetchall():
                return None
            cur.execute("SELECT chat_id FROM messages ORDER BY id DESC LIMIT 1")
            row = cur.fetchone()
            if row is None:
                return None
            cur.execute("SELECT id FROM messages WHERE chat_id = %s ORDER BY id", (row[0],))
            ids = [int(r[0]) for r in cur.fetchall()]
            cur.execute("SELECT MIN(id) FROM users")
            return {"reader": int(cur.fetchone()[0]), "big_chat": int(row[0]), "big_ids": ids}
    finally:
        conn.close()


@contextlib.contextmanager
def kept_database(name: str) -> Iterator[str]:
    """A database of that name, created if missing and kept afterwards."""
    server = make_url(SERVER)
    conn = connect(server.render_as_string(hide_password=False))
    with contextlib.closing(conn), conn.cursor() as cur:
        cur.execute(
            f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4"
            " COLLATE utf8mb4_unicode_ci"
        )
    yield server.set(database=name).render_as_string(hide_password=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(url: str, workdir: Path) -> Iterator[int]:
    """``messenger serve`` on the loaded database: its port."""
    port = free_port()
    env = dict(os.environ) | {
        "MESSENGER_DATABASE_URL": url,
        "MESSENGER_SECRET_KEY": secrets.token_urlsafe(48),
        "MESSENGER_UPLOAD_DIR": str(workdir / "uploads"),
        "MESSENGER_DOCS": "0",
    }
    messenger = str(Path(sys.executable).with_name("messenger"))
    with (workdir / "server.log").open("wb") as log:
        proc = subprocess.Popen(
            [messenger, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield port
        finally:
            run.stop(proc)


async def wait_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            _, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def measure(port: int, loaded: dict[str, Any], expected: dict[int, int], rounds: int) -> Any:
    http = HttpConnection("127.0.0.1", port)
    login = {"login": "user0", "password": PASSWORD}
    token = str((await http.json("POST", f"{API}/auth/login", login))["access_token"])
    wrong: list[str] = []
    checked = 0

    async def chat_list() -> None:
        nonlocal checked
        page = await http.json("GET", f"{API}/chats", token=token)
        for item in page["items"]:
            chat_id, shown = item["id"], item["unread_count"]
            checked += 1
            if shown != expected[chat_id] and len(wrong) < 10:
                wrong.append(f"chat {chat_id}: {shown} shown, {expected[chat_id]} by SQL")

    big, ids = loaded["big_chat"], loaded["big_ids"]
    rng = random.Random(7)
    newest = f"{API}/chats/{big}/messages?limit={PAGE}"

    def deep() -> str:
        return f"{newest}&before={ids[rng.randrange(PAGE, len(ids))]}"

    for _ in range(5):  # warm-up: connections, the server's caches
        await chat_list()
        await http.json("GET", newest, token=token)
    figures: dict[str, Any] = {}
    for name, request in (
        ("GET /chats (first page)", chat_list),
        ("history: newest page", lambda: http.json("GET", newest, token=token)),
        ("history: page before a random id", lambda: http.json("GET", deep(), token=token)),
    ):
        hist = new_histogram()
        for _ in range(rounds):
            started = time.perf_counter_ns()
            await request()
            hist.record((time.perf_counter_ns() - started) // 1000)
        figures[name] = summary_ms(hist)
    http.close()
    return figures, checked, wrong


def report(figures: dict[str, Any], checked: int, wrong: list[str], setup: dict[str, Any]) -> None:
    print(f"\n{'request':<36} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  target")
    for name, f in figures.items():
        target = TARGET_CHATS_P99_MS if name.startswith("GET /chats") else TARGET_HISTORY_P99_MS
        verdict = "met" if f["p99_ms"] <= target else "NOT met"
        f["target_p99_ms"] = target
        print(
            f"{name:<36} {f['count']:>5} {f['p50_ms']:>8.2f} {f['p99_ms']:>8.2f}"
            f" {f['max_ms']:>8.2f}  p99 <= {target:g} ms: {verdict}"
        )
    exact = "exact" if not wrong else f"WRONG in {len(wrong)}+ chats"
    print(f"unread counts: {checked} checked against SQL, {exact}")
    for line in wrong:
        print(f"  {line}")
    print(
        f"({setup['chats']:,} chats, {setup['big_chat_messages']:,} messages in the big one;"
        " the machine may be shared: figures are noisy)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 messages, fewer rounds")
    parser.add_argument("--chats", type=int, default=2000)
    parser.add_argument("--messages", type=int, help="in the big chat (1,000,000; quick 100,000)")
    parser.add_argument("--rounds", type=int, help="requests of each kind (1,000; quick 100)")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--out", type=Path, default=RESULTS / "many_chats.json")
    parser.add_argument("--database", help="use and keep this database (filled once)")
    args = parser.parse_args()
    big = args.messages or (100_000 if args.quick else 1_000_000)
    rounds = args.rounds or (100 if args.quick else 1000)
    rng = random.Random(args.seed)
    began = time.perf_counter()
    database = (
        kept_database(args.database)
        if args.database
        else scratch_database(SERVER, "messenger_bench_many_chats")
    )
    with database as url:
        loaded = filled(url)
        if loaded is None:
            upgrade_database(url)
            users = asyncio.run(register_users(url))
            loaded = load(url, users, args.chats, big, rng)
            print(
                f"{args.chats:,} chats, {big:,} + {PER_SMALL_CHAT * (args.chats - 1):,} messages"
                f" loaded in {time.perf_counter() - began:.0f} s"
            )
        else:
            print("the database is filled already")
        expected = unread_by_sql(url, loaded["reader"])
        with tempfile.TemporaryDirectory() as tmp, serve(url, Path(tmp)) as port:
            asyncio.run(wait_port(port))
            figures, checked, wrong = asyncio.run(measure(port, loaded, expected, rounds))
    setup = {"chats": args.chats, "big_chat_messages": big, "rounds": rounds, "quick": args.quick}
    report(figures, checked, wrong, setup)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "scenario": "many chats per user (issue 18, 4)",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "setup": setup,
        "figures": figures,
        "unread_counts": {"checked": checked, "wrong": wrong},
        "seconds": round(time.perf_counter() - began, 1),
    }
    args.out.write_text(json.dumps(doc, indent=2))
    print(f"written to {args.out} ({doc['seconds']:.0f} s in all)")
    if wrong:
        sys.exit(1)


if __name__ == "__main__":
    main()
