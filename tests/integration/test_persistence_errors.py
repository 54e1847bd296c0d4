"""Storage trouble becomes ServiceUnavailable; only read-only work is retried."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from messenger.adapters.sqlalchemy import (
    SqlAlchemyUnitOfWorkFactory,
    check_database,
    create_engine,
)
from messenger.domain.errors import ServiceUnavailable
from tests.integration.conftest import build_messenger, empty_mariadb, pymysql_connect
from tests.integration.stall import StallingProxy

pytestmark = pytest.mark.integration


async def test_an_unreachable_server_is_service_unavailable() -> None:
    # Port 1 on the loopback refuses connections (MySQL error 2003).
    engine = create_engine("mysql+aiomysql://root@127.0.0.1:1/nothing")
    try:
        with pytest.raises(ServiceUnavailable):
            await check_database(engine)
        uow = SqlAlchemyUnitOfWorkFactory(engine)
        with pytest.raises(ServiceUnavailable):
            async with uow(read_only=True) as work:
                await work.feed.head()
        with pytest.raises(ServiceUnavailable):
            async with uow():
                pass
    finally:
        await engine.dispose()


async def test_check_database_passes_on_a_live_database(mariadb_url: str, sqlite_url: str) -> None:
    for url in (mariadb_url, sqlite_url):
        engine = create_engine(url)
        try:
            await check_database(engine)
        finally:
            await engine.dispose()


async def test_a_locked_sqlite_database_is_service_unavailable(sqlite_url: str) -> None:
    path = make_url(sqlite_url).database
    assert path is not None
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    engine = create_engine(sqlite_url, busy_timeout_ms=100)
    try:
        with pytest.raises(ServiceUnavailable):
            async with SqlAlchemyUnitOfWorkFactory(engine)():
                pass
        # Readers are not blocked by a writer in WAL mode.
        async with SqlAlchemyUnitOfWorkFactory(engine)(read_only=True) as uow:
            assert await uow.feed.head() == 0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        await engine.dispose()


def kill(url: str, connection_id: int) -> None:
    parsed = make_url(url)
    conn = pymysql_connect(parsed, parsed.database)
    try:
        with conn.cursor() as cur:
            cur.execute(f"KILL CONNECTION {int(connection_id)}")
    finally:
        conn.close()


async def test_a_dropped_connection_is_retried_only_by_read_only_work(mariadb_url: str) -> None:
    empty_mariadb(mariadb_url)
    engine = create_engine(mariadb_url)
    factory = SqlAlchemyUnitOfWorkFactory(engine)
    try:
        async with factory(read_only=True) as uow:
            connection_id = (await uow.session.read(sa.text("SELECT CONNECTION_ID()"))).scalar_one()
            kill(mariadb_url, connection_id)
            assert await uow.feed.head() == 0  # answered over a fresh connection

        async with factory() as uow:
            connection_id = (await uow.session.read(sa.text("SELECT CONNECTION_ID()"))).scalar_one()
            kill(mariadb_url, connection_id)
            # A write unit of work lost its lock and its changes: it must not carry on.
            with pytest.raises(ServiceUnavailable):
                await uow.users.get(1)

        # The pool recovers: the next unit of work gets a healthy connection.
        async with factory() as uow:
            assert await uow.position() == 1
    finally:
        await engine.dispose()


async def test_a_pooled_connection_killed_while_resting_is_replaced_on_checkout(
    mariadb_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Connections are pinged only after resting (not on every checkout); a rested one the
    # server dropped must be replaced before a write unit of work gets it.
    from messenger.adapters.sqlalchemy import engine as engine_module

    empty_mariadb(mariadb_url)
    engine = create_engine(mariadb_url, pool_size=1, max_overflow=0)
    factory = SqlAlchemyUnitOfWorkFactory(engine)
    try:
        async with factory(read_only=True) as uow:
            first = (await uow.session.read(sa.text("SELECT CONNECTION_ID()"))).scalar_one()
        kill(mariadb_url, first)
        monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_S", 0.0)
        async with factory() as uow:
            second = (await uow.session.read(sa.text("SELECT CONNECTION_ID()"))).scalar_one()
            assert await uow.position() == 1
            await uow.commit()
        assert second != first
    finally:
        await engine.dispose()


async def test_a_full_sqlite_database_is_service_unavailable_not_an_error(
    sqlite_url: str,
) -> None:
    engine = create_engine(sqlite_url)

    @sa.event.listens_for(engine.sync_engine, "connect")
    def _no_room(dbapi_conn: Any, _: Any) -> None:
        # SQLite's own "database or disk is full" (SQLITE_FULL) once the file would grow.
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages + 2}")
        cursor.close()

    app = build_messenger(SqlAlchemyUnitOfWorkFactory(engine))

    async def fill() -> None:
        alice = await app.register("alice", "password-123")
        bob = await app.register("bob", "password-123")
        dialog, _ = await app.open_dialog(alice.user.id, bob.user.id)
        for n in range(200):
            await app.post_message(alice.user.id, dialog.chat.id, f"c-{n}", "x" * 3000)

    try:
        with pytest.raises(ServiceUnavailable) as caught:
            await fill()
        assert caught.value.retry_after is not None
        assert caught.value.retry_after >= 1
    finally:
        await engine.dispose()


async def test_a_statement_timeout_is_service_unavailable(mariadb_url: str) -> None:
    empty_mariadb(mariadb_url)
    engine = create_engine(mariadb_url)

    @sa.event.listens_for(engine.sync_engine, "connect")
    def _impatient(dbapi_conn: Any, _: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("SET SESSION max_statement_time = 0.01")
        cursor.close()

    try:
        with pytest.raises(ServiceUnavailable):  # MariaDB error 1969
            async with SqlAlchemyUnitOfWorkFactory(engine)(read_only=True) as uow:
                await uow.session.read(sa.text("SELECT SLEEP(1)"))
    finally:
        await engine.dispose()


async def test_a_stalled_database_fails_work_within_the_timeout_and_recovers(
    mariadb_url: str,
) -> None:
    empty_mariadb(mariadb_url)
    parsed = make_url(mariadb_url)
    proxy = StallingProxy(parsed.host or "127.0.0.1", parsed.port or 3306)
    port = await proxy.start()
    engine = create_engine(parsed.set(host="127.0.0.1", port=port))
    app = build_messenger(SqlAlchemyUnitOfWorkFactory(engine, timeout=1.0))
    try:
        alice = await app.register("alice", "password-123")
        bob = await app.register("bob", "password-123")
        dialog, _ = await app.open_dialog(alice.user.id, bob.user.id)

        proxy.stall()
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable):
            await app.post_message(alice.user.id, dialog.chat.id, "c-1", "into the void")
        assert time.monotonic() - started < 3.0
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable):
            await app.read_history(bob.user.id, dialog.chat.id, limit=50)
        assert time.monotonic() - started < 3.0
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable):
            await check_database(engine)  # what /ready asks: an answer within a second
        assert time.monotonic() - started < 2.0

        proxy.resume()
        sent = await app.post_message(alice.user.id, dialog.chat.id, "c-1", "once more")
        page = await app.read_history(bob.user.id, dialog.chat.id, limit=50)
        # The stalled post either never landed or landed once: the resend found it.
        assert [m.id for m in page.items] == [sent.message.id]
    finally:
        await proxy.stop()
        await engine.dispose()
