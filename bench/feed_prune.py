"""Feed pruning on MariaDB: how long one batch holds the feed's write lock, and what posting
latency looks like while a prune runs, next to posting alone.

    python bench/feed_prune.py                      # 1,000,000 old feed rows
    python bench/feed_prune.py --rows 200000        # a quicker look

A database of its own (``messenger_bench_prune_<random>``) on the server named by
MESSENGER_TEST_DATABASE_URL (default mysql+aiomysql://root@127.0.0.1:3306), dropped at the
end. The old rows are bulk-loaded (doubling ``INSERT ... SELECT``), forty days old; two
users and their dialog are made through the messenger after them. Then: posting alone
(closed loop, one post at a time, through the real use case and SQL unit of work), and the
same while a second process-like task (own engine, own thread and event loop) prunes in
batches exactly as ``PruneFeed`` does, each batch timed from taking the lock to its commit.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from multiprocessing import Queue
from multiprocessing.process import BaseProcess

import sqlalchemy as sa

from messenger.adapters.batching import BatchingCommitter
from messenger.adapters.memory import FastHasher
from messenger.adapters.sqlalchemy import (
    SqlAlchemyUnitOfWorkFactory,
    create_engine,
    scratch_database,
    upgrade_database,
)
from messenger.adapters.sqlalchemy.tables import feed, feed_head
from messenger.container import in_memory_container
from messenger.domain.model import Limits
from messenger.domain.service import Messenger

SERVER = os.environ.get("MESSENGER_TEST_DATABASE_URL", "mysql+aiomysql://root@127.0.0.1:3306")
PAYLOAD = '{"type":"new_message","data":{"message":{"text":"' + "x" * 300 + '"}}}'


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _line(name: str, values: list[float]) -> str:
    return (
        f"{name}: n={len(values)} p50={_pct(values, 0.5):.2f} ms p99={_pct(values, 0.99):.2f} ms"
        f" max={max(values) * 1000:.2f} ms mean={statistics.fmean(values) * 1000:.2f} ms"
    )


async def _seed(url: str, rows: int) -> None:
    engine = create_engine(url)
    old = datetime.now(UTC) - timedelta(days=40)
    async with engine.begin() as conn:
        first = [
            {
                "position": p,
                "chat_id": 1,
                "subject_user_id": None,
                "type": "new_message",
                "message_id": p,
                "sender_id": 1,
                "payload": PAYLOAD,
                "created_at": old,
            }
            for p in range(1, 1001)
        ]
        await conn.execute(feed.insert(), first)
        have = 1000
        cols = "chat_id, subject_user_id, type, message_id, sender_id, payload, created_at"
        while have < rows:
            add = min(have, rows - have)
            await conn.execute(
                sa.text(
                    f"INSERT INTO feed (position, {cols}) SELECT position + :have, {cols} "
                    "FROM feed WHERE position <= :add"
                ),
                {"have": have, "add": add},
            )
            have += add
        await conn.execute(feed_head.update().where(feed_head.c.id == 1).values(position=rows))
    await engine.dispose()


def _prune_in_process(url: str, batch: int, most: int, out: Queue[list[float]]) -> None:
    holds: list[float] = []

    async def run() -> None:
        engine = create_engine(url)
        factory = SqlAlchemyUnitOfWorkFactory(engine, cache=False)
        older_than = datetime.now(UTC) - timedelta(days=30)
        try:
            while True:
                started = time.perf_counter()
                async with factory(read_only=True) as uow:  # as PruneFeed does
                    gone = await uow.feed.prune(older_than, batch)
                holds.append(time.perf_counter() - started)
                if gone < batch or len(holds) >= most:
                    return
        finally:
            await engine.dispose()

    asyncio.run(run())
    out.put(holds)


async def _post_loop(
    app: Messenger, alice: int, chat: int, tag: str, until: BaseProcess | None, count: int
) -> list[float]:
    latencies: list[float] = []
    i = 0
    while (until is not None and until.is_alive()) or (until is None and i < count):
        started = time.perf_counter()
        await app.post_message(alice, chat, f"{tag}-{i}", "hello")
        latencies.append(time.perf_counter() - started)
        i += 1
    return latencies


async def main(rows: int, batch: int, posts: int, batches: int) -> None:
    with scratch_database(SERVER, "messenger_bench_prune") as url:
        upgrade_database(url)
        t0 = time.perf_counter()
        await _seed(url, rows)
        print(f"seeded {rows} old feed rows in {time.perf_counter() - t0:.1f} s")
        engine = create_engine(url)
        factory = SqlAlchemyUnitOfWorkFactory(engine)
        # No post rate limit: the loop posts as fast as the database lets it.
        app: Messenger = in_memory_container(
            uow=factory,
            hasher=FastHasher(),
            committer=BatchingCommitter(),
            limits=Limits(post_rate=0),
        ).messenger()
        alice = (await app.register("alice", "password-123")).user.id
        bob = (await app.register("bob", "password-123")).user.id
        chat = (await app.open_dialog(alice, bob))[0].chat.id

        alone = await _post_loop(app, alice, chat, "alone", None, posts)
        # Another process, as another server's housekeeping or ``messenger feed prune`` is.
        out: Queue[list[float]] = multiprocessing.Queue()
        t0 = time.perf_counter()
        pruner = multiprocessing.Process(target=_prune_in_process, args=(url, batch, batches, out))
        pruner.start()
        during = await _post_loop(app, alice, chat, "during", pruner, 0)
        holds = out.get()
        pruner.join()
        took = time.perf_counter() - t0
        sync_started = time.perf_counter()
        await app.get_changes_since(bob, rows + 1)
        sync_after = time.perf_counter() - sync_started
        oldest_started = time.perf_counter()
        async with factory(read_only=True) as uow:
            oldest = await uow.feed.oldest()
        oldest_took = time.perf_counter() - oldest_started
        await engine.dispose()

    print(f"pruned {len(holds)} batches of {batch} (of {rows} old rows) in {took:.1f} s")
    print(_line("prune batch (own transaction, no write lock)", holds))
    print(_line("post alone", alone))
    print(_line("post while pruning", during))
    print(
        f"oldest() right after: {oldest} in {oldest_took * 1000:.2f} ms; "
        f"a /sync read {sync_after * 1000:.2f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument(
        "--batches", type=int, default=1_000_000, help="stop the prune after this many batches"
    )
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.batch, args.posts, args.batches))
