"""Engines for MySQL/MariaDB (aiomysql) and SQLite (aiosqlite), and storage-error mapping."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, NullPool, StaticPool

from messenger.domain.errors import ServiceUnavailable

# MySQL client/server error codes meaning "the database is not there (any more)" or "the
# request could not get its turn": connect failed (2003, 2002), server gone away (2006),
# lost connection (2013), server shutting down (1053), too many connections (1040),
# lock wait timeout (1205), deadlock (1213).
MYSQL_UNAVAILABLE = frozenset({1040, 1053, 1205, 1213, 2002, 2003, 2006, 2013, 2055})
# ... and "the database cannot take it right now": a statement timeout (MariaDB 1969, MySQL
# 3024, query interrupted 1317), a full disk or table (1021, 1114, 3 "error writing file"),
# a read-only server or table (1290, 1036, 1792), a storage engine error (1030).
MYSQL_OVERLOADED = frozenset({1969, 3024, 1317})
MYSQL_STORAGE_TROUBLE = frozenset({3, 1021, 1030, 1036, 1114, 1290, 1792})
_SQLITE_STORAGE_TROUBLE = (
    "database or disk is full",
    "readonly database",
    "disk i/o error",
    "unable to open database",
)
SQLITE_BUSY_TIMEOUT_MS = 5000
# A pooled MySQL connection is pinged before use only after resting this long. Pinging on
# every checkout (pool_pre_ping) cost a round trip per unit of work, a sixth of a post's
# server time; a connection used a moment ago is alive, and if the server dropped it in
# that moment the statement fails as a disconnect (503, read-only work is retried).
PING_AFTER_IDLE_S = 1.0


def is_mysql(url: str | URL) -> bool:
    return make_url(url).get_backend_name() in ("mysql", "mariadb")


def create_engine(url: str, **opts: Any) -> AsyncEngine:
    """An engine for ``url`` with the pool and connection settings this project relies on.

    MySQL/MariaDB: READ COMMITTED, so every statement after the feed_head lock sees the
    latest commits; SQLite: WAL, a busy timeout and foreign keys on every connection, and
    SQLAlchemy (not the sqlite3 module) emits BEGIN so reads are transactional too.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend in ("mysql", "mariadb"):
        if "charset" not in parsed.query:
            parsed = parsed.update_query_dict({"charset": "utf8mb4"})
        settings: dict[str, Any] = {
            "pool_recycle": 1800,
            "pool_size": 10,
            "max_overflow": 30,
            "pool_timeout": 10,
            "isolation_level": "READ COMMITTED",
            "connect_args": {"connect_timeout": 5},
        }
        settings.update(opts)
        engine = create_async_engine(parsed, **_pool_settings(settings))
        if not settings.get("pool_pre_ping"):
            _ping_after_rest(engine)
        return engine
    if backend == "sqlite":
        busy_timeout_ms = int(opts.pop("busy_timeout_ms", SQLITE_BUSY_TIMEOUT_MS))
        # No pre-ping: a file database does not drop connections, and each ping is a thread
        # hop in aiosqlite.
        settings = {"pool_timeout": 10, "pool_size": 5, "max_overflow": 10}
        settings.update(opts)
        engine = create_async_engine(parsed, **_pool_settings(settings))
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}")


def _pool_settings(settings: dict[str, Any]) -> dict[str, Any]:
    # A database error's text reaches the logs (a 503's warning, a 500's traceback): its
    # bound values (message text, password and token hashes) must not.
    settings.setdefault("hide_parameters", True)
    # Sizing options are invalid for pools that do not pool (migrations use NullPool).
    if settings.get("poolclass") in (NullPool, StaticPool):
        for name in ("pool_size", "max_overflow", "pool_timeout"):
            settings.pop(name, None)
    return settings


def _ping_after_rest(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _on_checkin(dbapi_conn: DBAPIConnection | None, record: ConnectionPoolEntry) -> None:
        record.info["messenger_checked_in"] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _on_checkout(dbapi_conn: DBAPIConnection, record: ConnectionPoolEntry, proxy: Any) -> None:
        rested_since = record.info.get("messenger_checked_in")
        if rested_since is None or time.monotonic() - rested_since < PING_AFTER_IDLE_S:
            return
        try:
            sync_engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            # The pool replaces the connection and tries again.
            raise sa.exc.DisconnectionError(str(exc)) from exc


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy emit BEGIN: the sqlite3 module would skip it for SELECTs.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent; fewer fsyncs
        cursor.close()
        # SQLite's own lower() folds ASCII only; user search folds like Python (Cyrillic).
        dbapi_conn.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # A write unit of work takes SQLite's write lock up front (IMMEDIATE): a deferred
        # transaction that upgrades from reading to writing can fail at once with
        # SQLITE_BUSY instead of waiting for the busy timeout.
        immediate = conn.get_execution_options().get("messenger_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _lower(value: str | None) -> str | None:
    return None if value is None else value.lower()


def unavailable_error(exc: BaseException) -> ServiceUnavailable | None:
    """The domain error for storage trouble, or None when ``exc`` is something else."""
    if isinstance(exc, ServiceUnavailable):
        return exc
    if isinstance(exc, sa.exc.TimeoutError):  # no pooled connection became free in time
        return ServiceUnavailable("The database is busy.", retry_after=1.0)
    if isinstance(exc, OSError | ConnectionError):
        return ServiceUnavailable("The database is unreachable.", retry_after=2.0)
    if not isinstance(exc, sa.exc.DBAPIError):
        return None
    if exc.connection_invalidated:
        return ServiceUnavailable("The database connection was lost.", retry_after=1.0)
    orig = exc.orig
    args = getattr(orig, "args", ())
    code = args[0] if args and isinstance(args[0], int) else None
    if code in MYSQL_UNAVAILABLE:
        return ServiceUnavailable("The database is unavailable.", retry_after=1.0)
    if code in MYSQL_OVERLOADED:
        return ServiceUnavailable("The database is too slow right now.", retry_after=2.0)
    if code in MYSQL_STORAGE_TROUBLE:
        return ServiceUnavailable("The database cannot store anything now.", retry_after=30.0)
    text = str(orig).lower()
    if isinstance(exc, sa.exc.OperationalError):
        if "database is locked" in text:
            return ServiceUnavailable("The database is busy.", retry_after=1.0)
        if any(trouble in text for trouble in _SQLITE_STORAGE_TROUBLE):
            return ServiceUnavailable("The database cannot store anything now.", retry_after=30.0)
    return None


def is_disconnect(exc: BaseException) -> bool:
    """Whether ``exc`` means the connection itself broke (the statement may be retried)."""
    if isinstance(exc, sa.exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        args: tuple[object, ...] = getattr(exc.orig, "args", ())
        return bool(args) and args[0] in (2006, 2013, 2055)
    return False


READY_WITHIN_S = 1.0  # readiness probes must answer promptly, whatever the database does


async def check_database(engine: AsyncEngine) -> None:
    """Raise ``ServiceUnavailable`` unless the database answers within ``READY_WITHIN_S``."""
    try:
        async with asyncio.timeout(READY_WITHIN_S), engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
    except TimeoutError as exc:
        raise ServiceUnavailable("The database does not answer.", retry_after=2.0) from exc
    except Exception as exc:
        raise (
            unavailable_error(exc) or ServiceUnavailable("The database is unavailable.")
        ) from exc
