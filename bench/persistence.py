"""Persisted messages per second through the real PostMessage use case and unit of work.

    python bench/persistence.py [--messages 2000] [--backends mariadb,sqlite]

MariaDB: a database of its own (``messenger_bench_<random>``) on the server named by
MESSENGER_TEST_DATABASE_URL (default mysql+aiomysql://root@127.0.0.1:3306), dropped at the
end. SQLite: a file in a temporary directory. Each run posts the messages with 1 writer and
with 32 concurrent writers, then counts the rows that really landed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from messenger.adapters.memory import FastHasher
from messenger.adapters.sqlalchemy import create_engine, scratch_database, upgrade_database
from messenger.adapters.sqlalchemy.tables import messages
from messenger.container import Container, running
from messenger.settings import Settings

WRITER_COUNTS = (1, 32)


@dataclass
class Result:
    backend: str
    writers: int
    messages: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


@contextmanager
def mariadb_database() -> Iterator[str]:
    server = os.environ.get("MESSENGER_TEST_DATABASE_URL", "mysql+aiomysql://root@127.0.0.1:3306")
    with scratch_database(server, "messenger_bench") as url:
        yield url


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as directory:
        yield f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"


def container(url: str) -> Container:
    """The server's own SQL preset; only the password hasher is a fast fake."""
    # Each writer posts as fast as the storage allows: no per-user post budget.
    settings = Settings(secret_key=secrets.token_urlsafe(48), database_url=url, limit_post_rate=0)
    return Container(settings=settings, hasher=FastHasher())


async def run_backend(backend: str, url: str, total: int) -> list[Result]:
    # A second engine only to count the rows that landed, outside the messenger.
    engine = create_engine(url)
    async with running(container(url)) as (app, _):
        users = [(await app.register(f"user{i}", "benchmark pw")).user.id for i in range(33)]
        # Eight groups of five people: realistic fan-out for the feed's recipients.
        chats = []
        for g in range(8):
            members = users[g * 4 : g * 4 + 5]
            chats.append((await app.create_group(members[0], f"group {g}", members[1:])).chat.id)
        results = []
        for writers in WRITER_COUNTS:
            per_writer = total // writers

            async def write(w: int, run: int = writers, count: int = per_writer) -> None:
                chat_id = chats[w % len(chats)]
                sender = users[(w % len(chats)) * 4]
                for n in range(count):
                    await app.post_message(sender, chat_id, f"r{run}-w{w}-n{n}", f"сообщение {n} ✓")

            async with engine.connect() as conn:
                before = (
                    await conn.execute(sa.select(sa.func.count()).select_from(messages))
                ).scalar_one()
            started = time.perf_counter()
            await asyncio.gather(*(write(w) for w in range(writers)))
            seconds = time.perf_counter() - started
            async with engine.connect() as conn:
                after = (
                    await conn.execute(sa.select(sa.func.count()).select_from(messages))
                ).scalar_one()
            assert after - before == per_writer * writers, (before, after)
            results.append(Result(backend, writers, after - before, seconds))
    await engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--backends", default="mariadb,sqlite")
    args = parser.parse_args()
    databases = {"mariadb": mariadb_database, "sqlite": sqlite_database}
    results: list[Result] = []
    for backend in args.backends.split(","):
        with databases[backend]() as url:
            upgrade_database(url)
            results.extend(asyncio.run(run_backend(backend, url, args.messages)))
    print(f"{'backend':<8} {'writers':>7} {'messages':>8} {'seconds':>8} {'msg/s':>8}")
    for r in results:
        print(f"{r.backend:<8} {r.writers:>7} {r.messages:>8} {r.seconds:>8.2f} {r.rate:>8.0f}")


if __name__ == "__main__":
    main()
