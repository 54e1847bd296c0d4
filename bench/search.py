"""Message search latency on MariaDB with 1,000,000 messages over 1,000 chats.

    python bench/search.py                      # make bench-search
    python bench/search.py --messages 200000    # a quicker look

A database of its own (``messenger_bench_search_<random>``) on the server named by
MESSENGER_TEST_DATABASE_URL (default mysql+aiomysql://root@127.0.0.1:3306), dropped at
the end; ``--database NAME`` uses (and keeps) a database of that name instead, filled only
the first time, to try queries again without loading again. Users and chats are made through the
messenger itself; the messages and their index rows are bulk-loaded (multi-row INSERTs,
the FULLTEXT index built once after the load) with ``text_search``, the analyzer the
adapter indexes with. Then one user, a member of 50 of the chats, searches through the
real ``SearchMessages`` use case and SQL unit of work, closed-loop, over a mix of queries;
p50/p99 are printed per kind of query and for the whole mix (the target: p99 <= 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pymysql
from sqlalchemy.engine import make_url

from messenger.adapters import text_search
from messenger.adapters.memory import FastHasher
from messenger.adapters.sqlalchemy import scratch_database, upgrade_database
from messenger.container import Container, running
from messenger.domain.service import Messenger
from messenger.settings import Settings

SERVER = os.environ.get("MESSENGER_TEST_DATABASE_URL", "mysql+aiomysql://root@127.0.0.1:3306")
CHATS = 1000
SEARCHER_CHATS = 50
USERS = 200
MEMBERS_PER_CHAT = 5

# The searched words and how often each appears (share of messages carrying one of its forms).
COMMON = ("проект", "проекта", "проекту", "проектом", "проекты")  # ~8 %
PREFIXED = ("сообщение", "сообщения", "сообщениями", "сообщений")  # ~2 %
ENGLISH = ("run", "running", "runs", "runner")  # ~2 %
RARE = "кракозябра"  # ~0.01 %


def vocabulary(rng: random.Random, size: int = 30000) -> list[str]:
    """Made-up filler words in both alphabets, drawn Zipf-like (a few very common)."""
    ru = "абвгдежзиклмнопрстуфхцчшэюя"
    en = "abcdefghijklmnopqrstuvwxyz"
    words = set()
    while len(words) < size:
        letters = ru if rng.random() < 0.6 else en
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 10))))
    return sorted(words)


def texts(rng: random.Random, count: int) -> Iterator[str]:
    words = vocabulary(rng)
    weights = [1 / (i + 1) for i in range(len(words))]
    filler = rng.choices(words, weights, k=count * 9)
    for n in range(count):
        chosen = filler[n * 9 : n * 9 + rng.randint(3, 9)]
        roll = rng.random()
        if roll < 0.08:
            chosen.append(rng.choice(COMMON))
        if rng.random() < 0.02:
            chosen.append(rng.choice(PREFIXED))
        if rng.random() < 0.02:
            chosen.append(rng.choice(ENGLISH))
        if rng.random() < 0.0001:
            chosen.append(RARE)
        rng.shuffle(chosen)
        yield " ".join(chosen)


class Documents:
    """``text_search.document`` of space-separated words, with each word analysed once."""

    def __init__(self) -> None:
        self._terms: dict[str, set[str]] = {}

    def __call__(self, text: str) -> str:
        found: set[str] = set()
        for word in text.split():
            terms = self._terms.get(word)
            if terms is None:
                terms = self._terms[word] = text_search.terms(word)
            found |= terms
        return " ".join(sorted(text_search.TERM_MARK + t for t in found))


def connect(url: str) -> pymysql.connections.Connection[Any]:
    parsed = make_url(url)
    return pymysql.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 3306,
        user=parsed.username or "root",
        password=parsed.password or "",
        database=parsed.database,
        charset="utf8mb4",
        autocommit=False,
        local_infile=True,
    )


async def make_users(app: Messenger) -> list[int]:
    """Every user, through the messenger (the first one searches)."""
    return [(await app.register(f"user{i}", "benchmark pw")).user.id for i in range(USERS)]


def make_chats(cur: Any, users: list[int], rng: random.Random) -> list[int]:
    """CHATS groups of MEMBERS_PER_CHAT, bulk-inserted; the searcher owns the first
    SEARCHER_CHATS of them and is in no other."""
    now = datetime.now(UTC).replace(tzinfo=None)
    cur.execute("SELECT COALESCE(MAX(id), 0) FROM chats")
    first = int(cur.fetchone()[0]) + 1
    chats = list(range(first, first + CHATS))
    chat_rows, member_rows = [], []
    for n, chat_id in enumerate(chats):
        others = rng.sample(users[1:], MEMBERS_PER_CHAT)
        owner = users[0] if n < SEARCHER_CHATS else others.pop()
        chat_rows.append((chat_id, "group", f"chat {n}", owner, now, now))
        for user_id, role in [(owner, "owner"), *((u, "member") for u in others[:4])]:
            member_rows.append((chat_id, user_id, role, now, 0, 0, 0))
    cur.executemany(
        "INSERT INTO chats (id, kind, title, created_by, created_at, last_activity_at)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        chat_rows,
    )
    cur.executemany(
        "INSERT INTO memberships (chat_id, user_id, role, joined_at, joined_position,"
        " read_message_id, delivered_message_id) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        member_rows,
    )
    return chats


def load(url: str, total: int, users: list[int], rng: random.Random) -> list[int]:
    """Bulk-load the chats, ``total`` messages and their index rows; the chats."""
    started = time.perf_counter()
    documents = Documents()
    conn = connect(url)
    moment = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=365)
    step = timedelta(days=365) / total
    with conn.cursor() as cur, tempfile.TemporaryDirectory() as tmp:
        cur.execute("SET unique_checks = 0, foreign_key_checks = 0")
        chats = make_chats(cur, users, rng)
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM messages")
        first_id = int(cur.fetchone()[0]) + 1
        cur.execute("ALTER TABLE message_search DROP INDEX ft_message_search_terms")
        rows = Path(tmp) / "messages.tsv"
        terms = Path(tmp) / "terms.tsv"
        # Tab-separated files and LOAD DATA: far faster than any INSERT (the generated texts
        # hold no tab, newline or backslash).
        with rows.open("w", encoding="utf-8") as m_out, terms.open("w", encoding="utf-8") as t_out:
            for n, text in enumerate(texts(rng, total)):
                message_id = first_id + n
                chat_id = chats[rng.randrange(len(chats))]
                sender = users[rng.randrange(len(users))]
                at = (moment + step * n).isoformat(sep=" ")
                m_out.write(f"{message_id}\t{chat_id}\t{sender}\tb{n}\t{text}\t{at}\n")
                t_out.write(f"{message_id}\t{chat_id}\t{documents(text)}\n")
        print(f"  {total:,} rows written ({time.perf_counter() - started:.0f} s)", flush=True)
        for path, table, columns in (
            (rows, "messages", "id, chat_id, sender_id, client_id, text, created_at"),
            (terms, "message_search", "message_id, chat_id, terms"),
        ):
            cur.execute(
                f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE {table} CHARACTER SET utf8mb4"
                f" FIELDS TERMINATED BY '\\t' LINES TERMINATED BY '\\n' ({columns})"
            )
            conn.commit()
            print(f"  {table} loaded ({time.perf_counter() - started:.0f} s)", flush=True)
        cur.execute("ALTER TABLE message_search ADD FULLTEXT INDEX ft_message_search_terms (terms)")
        print(f"  FULLTEXT index built ({time.perf_counter() - started:.0f} s)", flush=True)
        cur.execute("ANALYZE TABLE chats, memberships, messages, message_search")
        cur.fetchall()
    conn.commit()
    conn.close()
    return chats


def queries(chats: list[int]) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, q, filters): the mix a user types."""
    one_chat = {"chat_id": chats[0]}
    return [
        ("common word", "проект", {}),
        ("common word, 2nd page", "проект", {"page": 2}),
        ("rare word", RARE, {}),
        ("prefix while typing", "сообщ", {}),
        ("russian inflection", "сообщениями", {}),
        ("english inflection", "running", {}),
        ("two words", "проект сообщение", {}),
        ("common word in one chat", "проекты", one_chat),
        ("rare word in one chat", RARE, one_chat),
        ("no match", "zzzqqq", {}),
    ]


async def measure(app: Messenger, searcher: int, chats: list[int], rounds: int) -> None:
    mix = queries(chats)
    timings: dict[str, list[float]] = {kind: [] for kind, _, _ in mix}
    counts: dict[str, int] = {}

    async def one(q: str, filters: dict[str, Any]) -> int:
        page = await app.search_messages(searcher, q, limit=20, **filters)
        return len(page.items)

    for kind, q, filters in mix:  # warm-up: the buffer pool and the chat cache
        if filters.pop("page", None) == 2:
            first = await app.search_messages(searcher, q, limit=20, **filters)
            filters["cursor"] = first.next_cursor
        counts[kind] = await one(q, filters)
    for _ in range(rounds):
        for kind, q, filters in mix:
            started = time.perf_counter()
            await one(q, filters)
            timings[kind].append((time.perf_counter() - started) * 1000)
    every = [t for ts in timings.values() for t in ts]
    print(f"\n{'query':<28} {'hits':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for kind, ts in timings.items():
        print(
            f"{kind:<28} {counts[kind]:>5} {pct(ts, 50):>8.1f} {pct(ts, 99):>8.1f} {max(ts):>8.1f}"
        )
    p50, p99 = pct(every, 50), pct(every, 99)
    print(f"{'whole mix':<28} {'':>5} {p50:>8.1f} {p99:>8.1f} {max(every):>8.1f}")
    print(
        f"\nsearch p50 {p50:.1f} ms, p99 {p99:.1f} ms over {len(every)} searches "
        f"(target p99 <= 50 ms: {'met' if p99 <= 50 else 'NOT met'})"
    )


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(p) - 1]


async def run(url: str, total: int, rounds: int, seed: int) -> None:
    rng = random.Random(seed)
    settings = Settings(
        secret_key=secrets.token_urlsafe(48),
        database_url=url,
        limit_post_rate=0,
        limit_chats_per_hour=0,
        limit_member_adds_per_hour=0,
    )
    async with running(Container(settings=settings, hasher=FastHasher())) as (app, _):
        filled = existing(url)
        if filled is None:
            started = time.perf_counter()
            users = await make_users(app)
            searcher = users[0]
            chats = await asyncio.to_thread(load, url, total, users, rng)
            seconds = time.perf_counter() - started
            print(f"{CHATS} chats, {total:,} messages loaded and indexed in {seconds:.0f} s")
        else:
            searcher, chats = filled
            print("the database is filled already")
        await measure(app, searcher, chats, rounds)


def existing(url: str) -> tuple[int, list[int]] | None:
    """The searcher and the chats of a database filled before (None: an empty one)."""
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM message_search")
            if not cur.fetchone()[0]:
                return None
            cur.execute("SELECT MIN(id) FROM users")
            searcher = int(cur.fetchone()[0])
            cur.execute("SELECT id FROM chats ORDER BY id")
            return searcher, [int(r[0]) for r in cur.fetchall()]
    finally:
        conn.close()


@contextmanager
def kept_database(name: str) -> Iterator[str]:
    server = make_url(SERVER)
    conn = pymysql.connect(
        host=server.host or "127.0.0.1",
        port=server.port or 3306,
        user=server.username or "root",
        password=server.password or "",
        charset="utf8mb4",
        autocommit=True,
    )
    with conn.cursor() as cur:
        cur.execute(
            f"CREATE DATABASE IF NOT EXISTS `{name}`"
            " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
    conn.close()
    yield server.set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=30, help="passes over the query mix")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--database", help="use and keep this database (filled once)")
    args = parser.parse_args()
    database = (
        kept_database(args.database)
        if args.database
        else scratch_database(SERVER, "messenger_bench_search")
    )
    with database as url:
        upgrade_database(url)
        asyncio.run(run(url, args.messages, args.rounds, args.seed))


if __name__ == "__main__":
    main()
