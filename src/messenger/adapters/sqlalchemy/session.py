"""One unit of work's connection: its statements, its write lock, its storage errors.

Every write unit of work starts by locking the single ``feed_head`` row (MySQL/MariaDB:
``SELECT ... FOR UPDATE``; SQLite: ``BEGIN IMMEDIATE`` takes the database write lock) and
holds it until commit or rollback. Writers therefore run one after another, so message ids
and feed positions become visible in the order they were handed out, and a reader that
reads the head and then the entries up to it never skips one.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.base import Executable

from messenger.adapters.sqlalchemy.engine import is_disconnect, unavailable_error
from messenger.adapters.sqlalchemy.tables import feed_head
from messenger.domain.errors import ServiceUnavailable

log = logging.getLogger(__name__)

AnyResult = CursorResult[*tuple[Any, ...]]

READ_HEAD = sa.select(feed_head.c.position).where(feed_head.c.id == 1)
_LOCK_MYSQL = READ_HEAD.with_for_update()


class SqlSession:
    """One transaction on its own pooled connection (never shared between units of work).

    ``on_lock`` is told the feed head each time the write lock is taken.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        read_only: bool = False,
        on_lock: Callable[[int], None] | None = None,
    ) -> None:
        self._engine = engine
        self.read_only = read_only
        self.is_mysql = engine.dialect.name in ("mysql", "mariadb")
        self._on_lock = on_lock
        self._conn: AsyncConnection | None = None
        self._retried = False
        # The feed head read under the lock; None while the lock is not held.
        self.head: int | None = None

    async def begin_writing(self) -> None:
        """Connect and take the write lock (a write unit of work's first statement)."""
        await self._connect()
        try:
            await self.lock()
        except BaseException:
            await self.close()
            raise

    async def _connect(self) -> AsyncConnection:
        try:
            self._conn = await self._engine.connect()
        except Exception as exc:
            _raise_unavailable(exc)
            raise
        return self._conn

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        self.head = None
        if conn is None:
            return
        # Closing returns the connection to the pool, which rolls back whatever was not
        # committed. A broken connection is invalidated by the pool; the caller's own error
        # (or result) matters more than the failed cleanup.
        with contextlib.suppress(Exception):
            await conn.close()

    async def discard(self) -> None:
        """Throw the connection away (it stopped mid-statement) instead of pooling it."""
        conn, self._conn = self._conn, None
        self.head = None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await conn.close()

    async def lock(self) -> int:
        """Take the write lock unless held; the feed head read under it."""
        if self.head is not None:
            return self.head
        conn = self._connection()
        if conn.in_transaction():
            # Reads after a commit run unlocked; end that transaction so the lock is the
            # first statement of the next one.
            await conn.commit()
        try:
            if self.is_mysql:
                head = (await conn.execute(_LOCK_MYSQL)).scalar_one()
            else:
                await conn.execution_options(messenger_write=True)
                head = (await conn.execute(READ_HEAD)).scalar_one()
        except Exception as exc:
            _raise_unavailable(exc)
            raise
        self.head = int(head)
        if self._on_lock is not None:
            self._on_lock(self.head)
        return self.head

    def _connection(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("The unit of work is not entered.")
        return self._conn

    async def read(self, stmt: Executable, params: dict[str, Any] | None = None) -> AnyResult:
        """Run a query; in a read-only unit of work a dropped connection is retried once."""
        conn = self._conn or await self._connect()
        try:
            return await conn.execute(stmt, params)
        except sa.exc.IntegrityError:
            raise
        except Exception as exc:
            if not (self.read_only and not self._retried and is_disconnect(exc)):
                _raise_unavailable(exc)
                raise
        # Idempotent work only: nothing was written, so a fresh connection can answer.
        self._retried = True
        await self.close()
        try:
            self._conn = await self._engine.connect()
            return await self._conn.execute(stmt, params)
        except Exception as exc:
            _raise_unavailable(exc)
            raise

    async def read_head(self) -> int:
        """The feed head as of now (no lock)."""
        return int((await self.read(READ_HEAD)).scalar_one())

    async def write(
        self, stmt: Executable, params: dict[str, Any] | Sequence[dict[str, Any]] | None = None
    ) -> AnyResult:
        """Run a change (``params``: one row's dict, or a list for executemany); only in a
        write unit of work, always under the feed_head lock."""
        if self.read_only:
            raise RuntimeError("This unit of work is read-only.")
        if self.head is None:
            await self.lock()
        try:
            if params is None or isinstance(params, dict):
                return await self._connection().execute(stmt, params)
            return await self._connection().execute(stmt, list(params))
        except sa.exc.IntegrityError:
            raise
        except Exception as exc:
            _raise_unavailable(exc)
            raise

    async def write_apart(
        self, stmt: Executable, params: dict[str, Any] | None = None
    ) -> AnyResult:
        """Run one change in a short transaction of its own, committed at once and without
        the write lock: for upkeep that touches no row a writer writes or numbers (feed
        pruning deletes the oldest rows; writers insert after the head). On SQLite the
        transaction still takes the database's write lock, as every write there does."""
        conn = self._conn or await self._connect()
        try:
            if conn.in_transaction():
                await conn.commit()  # the reads before it
            if not self.is_mysql:
                await conn.execution_options(messenger_write=True)
            try:
                result = await conn.execute(stmt, params)
                await conn.commit()
            finally:
                if not self.is_mysql:
                    await conn.execution_options(messenger_write=False)
        except Exception as exc:
            _raise_unavailable(exc)
            raise
        return result

    async def commit(self) -> None:
        """Commit what was written, which releases the lock."""
        conn = self._connection()
        try:
            if conn.in_transaction():
                await conn.commit()
            if not self.is_mysql:
                await conn.execution_options(messenger_write=False)
        except Exception as exc:
            _raise_unavailable(exc)
            raise
        self.head = None

    async def rollback(self) -> None:
        self.head = None
        if self._conn is not None and self._conn.in_transaction():
            try:
                await self._conn.rollback()
            except Exception as exc:
                _raise_unavailable(exc)
                raise


def _raise_unavailable(exc: BaseException) -> None:
    """Raise the domain's ServiceUnavailable if ``exc`` is storage trouble; else return."""
    found = unavailable_error(exc)
    if found is not None and found is not exc:
        report_trouble(found, exc)
        raise found from exc


_REPORT_EVERY = 30.0  # seconds: one log line per kind of storage trouble and incident
_reported_at: dict[str, float] = {}


def report_trouble(error: ServiceUnavailable, cause: BaseException) -> None:
    """Log storage trouble: one line per kind of trouble every 30 s."""
    # Under an outage every request fails the same way: a line per request (or a traceback
    # per socket frame) would flood the log and the disk that may be full already.
    now = time.monotonic()
    if now - _reported_at.get(error.message, -_REPORT_EVERY) >= _REPORT_EVERY:
        _reported_at[error.message] = now
        log.warning("Storage trouble: %s (%s)", error.message, _brief(cause))


def _brief(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return repr(orig if orig is not None else exc)[:300]
