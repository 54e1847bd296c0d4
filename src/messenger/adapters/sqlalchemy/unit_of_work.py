"""The SQL unit of work: one connection and transaction per unit, writers serialised.

Every write unit of work starts by locking the single ``feed_head`` row (MySQL/MariaDB:
``SELECT ... FOR UPDATE``; SQLite: ``BEGIN IMMEDIATE`` takes the database write lock) and
holds it until commit or rollback. Writers therefore run one after another, so message ids
and feed positions become visible in the order they were handed out, and a reader that
reads the head and then the entries up to it never skips one.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.base import Executable

from messenger.adapters.codec import encode_event
from messenger.adapters.sqlalchemy.cache import ChatCache
from messenger.adapters.sqlalchemy.engine import is_disconnect, unavailable_error
from messenger.adapters.sqlalchemy.repositories import (
    AnyResult,
    SqlAlchemyChatRepository,
    SqlAlchemyFeedRepository,
    SqlAlchemyFileRepository,
    SqlAlchemyMembershipRepository,
    SqlAlchemyMessageRepository,
    SqlAlchemySessionRepository,
    SqlAlchemyUserRepository,
)
from messenger.adapters.sqlalchemy.tables import feed, feed_head
from messenger.domain.events import (
    FEED_EVENTS,
    Event,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    Notification,
)
from messenger.domain.model import Chat, Message

# The events that carry a message as it now is: what the cached newest pages are patched with.
_MESSAGE_EVENTS = (MessagePosted, MessageEdited, MessageDeleted)

_LOCK_MYSQL = sa.select(feed_head.c.position).where(feed_head.c.id == 1).with_for_update()
_READ_HEAD = sa.select(feed_head.c.position).where(feed_head.c.id == 1)


class SqlAlchemyUnitOfWork:
    """One transaction on its own pooled connection (never shared between units of work)."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        read_only: bool = False,
        cache: ChatCache | None = None,
        heads: SharedHeadReads | None = None,
    ) -> None:
        self._engine = engine
        self._read_only = read_only
        self._cache = cache
        self._heads = heads
        # The head read under the lock, and what this unit changed of what the cache holds
        # (chat rows with their new values; chats whose members changed).
        self._start_head: int | None = None
        self._touched_chats: dict[int, Chat] = {}
        self._touched_members: set[int] = set()
        self._touched_messages: set[int] = set()
        self._counted_as_writer = False
        self.is_mysql = engine.dialect.name in ("mysql", "mariadb")
        self._conn: AsyncConnection | None = None
        # The feed head read under the lock; None while the lock is not held.
        self._head: int | None = None
        self._recorded: list[tuple[Event, frozenset[int]]] = []
        self._retried = False
        self.users = SqlAlchemyUserRepository(self)
        self.chats = SqlAlchemyChatRepository(self)
        self.members = SqlAlchemyMembershipRepository(self)
        self.messages = SqlAlchemyMessageRepository(self)
        self.feed = SqlAlchemyFeedRepository(self)
        self.sessions = SqlAlchemySessionRepository(self)
        self.files = SqlAlchemyFileRepository(self)

    # --- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._read_only:
            # Connected on the first query: a reader answered from the cache needs none.
            return self
        await self._connect()
        try:
            await self._lock()
        except BaseException:
            await self._close()
            raise
        return self

    async def _connect(self) -> AsyncConnection:
        try:
            self._conn = await self._engine.connect()
        except Exception as exc:
            _raise_unavailable(exc)
            raise
        return self._conn

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        self._recorded.clear()
        self._forget_changes()
        if conn is None:
            return
        # Closing returns the connection to the pool, which rolls back whatever was not
        # committed. A broken connection is invalidated by the pool; the caller's own error
        # (or result) matters more than the failed cleanup.
        with contextlib.suppress(Exception):
            await conn.close()

    async def _lock(self) -> None:
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
                head = (await conn.execute(_READ_HEAD)).scalar_one()
        except Exception as exc:
            _raise_unavailable(exc)
            raise
        self._head = self._start_head = int(head)
        if self._cache is not None:
            self._cache.sync(self._head)
            if not self._counted_as_writer:
                self._cache.writers += 1
                self._counted_as_writer = True

    def _connection(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("The unit of work is not entered.")
        return self._conn

    # --- the chat cache (see cache.py) --------------------------------------------------------

    def _cache_usable(self, *, put: bool = False) -> ChatCache | None:
        # While the cache is for the head this unit read: under the lock the database is
        # exactly as of it; a reader's later statements see that or newer commits, so a
        # value it read may go in only while that head is still the cache's. A reader may
        # also be answered from a cache that is ahead of its head: those commits landed
        # before the answer, as they would have for a query.
        cache, start = self._cache, self._start_head
        if cache is None or start is None or cache.head is None:
            return None
        if cache.head == start or (self._read_only and not put and cache.head > start):
            return cache
        return None

    async def cache_view(self) -> ChatCache | None:
        """The cache if it may answer this unit; a read-only unit reads the head for it once."""
        cache = self._cache
        if self._read_only and self._start_head is None and cache is not None:
            head = await self._heads.read() if self._heads is not None else None
            if head is None:
                head = int((await self.read(_READ_HEAD)).scalar_one())
            self._start_head = head
            if cache.writers == 0 and (cache.head is None or head > cache.head):
                # Nobody here is between lock and commit: a head that moved on is another
                # process's. (One behind the cache is a read that started before this
                # process's last commit was applied: never a reason to go back.)
                cache.sync(head)
        return self._cache_usable()

    def cached_chat(self, chat_id: int) -> Chat | None:
        cache = self._cache_usable()
        if cache is None or chat_id in self._touched_chats:
            return None
        return cache.chat(chat_id)

    def remember_chat(self, chat: Chat) -> None:
        cache = self._cache_usable(put=True)
        if cache is not None and chat.id not in self._touched_chats:
            cache.put_chat(chat)

    def cached_member_ids(self, chat_id: int) -> frozenset[int] | None:
        cache = self._cache_usable()
        if cache is None or chat_id in self._touched_members:
            return None
        return cache.member_ids(chat_id)

    def remember_member_ids(self, chat_id: int, ids: frozenset[int]) -> None:
        cache = self._cache_usable(put=True)
        if cache is not None and chat_id not in self._touched_members:
            cache.put_member_ids(chat_id, ids)

    def chat_changed(self, chat: Chat) -> None:
        self._touched_chats[chat.id] = dataclasses.replace(chat)

    def members_changed(self, chat_id: int) -> None:
        self._touched_members.add(chat_id)

    def cached_newest(self, chat_id: int, limit: int) -> list[Message] | None:
        cache = self._cache_usable()
        if cache is None or chat_id in self._touched_messages:
            return None
        return cache.newest(chat_id, limit)

    def newest_fill_token(self, chat_id: int) -> tuple[int, int] | None:
        cache = self._cache_usable()
        if cache is None or chat_id in self._touched_messages:
            return None
        return cache.fill_token(chat_id)

    def remember_newest(
        self, chat_id: int, messages: list[Message], limit: int, token: tuple[int, int]
    ) -> None:
        if self._cache is not None and chat_id not in self._touched_messages:
            self._cache.put_newest(chat_id, messages, limit, token)

    def messages_changed(self, chat_id: int) -> None:
        self._touched_messages.add(chat_id)

    def _forget_changes(self) -> None:
        if self._counted_as_writer and self._cache is not None:
            self._cache.writers -= 1
        self._counted_as_writer = False
        self._head = self._start_head = None
        self._touched_chats.clear()
        self._touched_members.clear()
        self._touched_messages.clear()

    # --- statements --------------------------------------------------------------------------

    async def read(self, stmt: Executable, params: dict[str, Any] | None = None) -> AnyResult:
        """Run a query; in a read-only unit of work a dropped connection is retried once."""
        conn = self._conn or await self._connect()
        try:
            return await conn.execute(stmt, params)
        except sa.exc.IntegrityError:
            raise
        except Exception as exc:
            if not (self._read_only and not self._retried and is_disconnect(exc)):
                _raise_unavailable(exc)
                raise
        # Idempotent work only: nothing was written, so a fresh connection can answer.
        self._retried = True
        await self._close()
        try:
            self._conn = await self._engine.connect()
            return await self._conn.execute(stmt, params)
        except Exception as exc:
            _raise_unavailable(exc)
            raise

    async def write(
        self, stmt: Executable, params: dict[str, Any] | Sequence[dict[str, Any]] | None = None
    ) -> AnyResult:
        """Run a change (``params``: one row's dict, or a list for executemany); only in a
        write unit of work, always under the feed_head lock."""
        if self._read_only:
            raise RuntimeError("This unit of work is read-only.")
        if self._head is None:
            await self._lock()
        try:
            if params is None or isinstance(params, dict):
                return await self._connection().execute(stmt, params)
            return await self._connection().execute(stmt, list(params))
        except sa.exc.IntegrityError:
            raise
        except Exception as exc:
            _raise_unavailable(exc)
            raise

    # --- events and commit -------------------------------------------------------------------

    def record(self, event: Event, recipients: Iterable[int]) -> None:
        if self._read_only:
            raise RuntimeError("This unit of work is read-only.")
        self._recorded.append((event, frozenset(recipients)))

    async def position(self) -> int:
        if self._read_only:
            raise RuntimeError("This unit of work is read-only.")
        if self._head is None:
            await self._lock()
        assert self._head is not None
        pending = sum(1 for event, _ in self._recorded if isinstance(event, FEED_EVENTS))
        return self._head + pending + 1

    async def commit(self) -> list[Notification]:
        if self._read_only:
            raise RuntimeError("This unit of work is read-only.")
        if self._head is None and self._recorded:
            await self._lock()
        conn = self._connection()
        notifications: list[Notification] = []
        rows: list[dict[str, Any]] = []
        head = self._head or 0
        now = datetime.now(UTC)
        for event, recipients in self._recorded:
            position = None
            if isinstance(event, FEED_EVENTS):
                head += 1
                position = head
                posted = event.message if isinstance(event, MessagePosted) else None
                rows.append(
                    {
                        "position": position,
                        "chat_id": event.chat_id,
                        "subject_user_id": event.subject_user_id,
                        "type": event.type,
                        "message_id": posted.id if posted else None,
                        "sender_id": posted.sender_id if posted else None,
                        "payload": encode_event(event).decode(),
                        "created_at": now,
                    }
                )
            notifications.append(Notification(event, recipients, position))
        cache, start = self._cache, self._start_head
        if cache is not None:
            # Before the commit is sent: once it lands, nobody may read the old values.
            # Newest pages are patched after the commit instead: the head tells readers
            # whether a page is from before or after it, and without feed events (below) it
            # cannot, so then they go too.
            cache.forget(
                self._touched_chats,
                self._touched_members,
                () if rows else self._touched_messages,
            )
        try:
            if rows:
                # One multi-row INSERT for all of this unit's events.
                await conn.execute(feed.insert(), rows)
                await conn.execute(
                    feed_head.update().where(feed_head.c.id == 1).values(position=head)
                )
            if conn.in_transaction():
                await conn.commit()
            if not self.is_mysql:
                await conn.execution_options(messenger_write=False)
        except Exception as exc:
            _raise_unavailable(exc)
            raise
        if cache is not None:
            self._after_commit(cache, start, head, wrote_feed=bool(rows))
        self._recorded.clear()
        self._forget_changes()
        return notifications

    def _after_commit(
        self, cache: ChatCache, start: int | None, head: int, *, wrote_feed: bool
    ) -> None:
        """Bring the cache up to this unit's landed commit (see cache.py)."""
        exact = wrote_feed and start is not None and cache.head == start
        messages = [e.message for e, _ in self._recorded if isinstance(e, _MESSAGE_EVENTS)]
        patched = {m.chat_id for m in messages} if exact else set()
        # Again now that the commit landed: a reader may have put in what it read before.
        cache.forget(self._touched_chats, self._touched_members, self._touched_messages - patched)
        if exact:
            # Nothing else committed since this unit's lock: the cache plus this unit's own
            # changes is exact as of the new head.
            for chat in self._touched_chats.values():
                cache.put_chat(chat)
            for message in messages:
                cache.apply_message(message)
            cache.head = head
        elif not wrote_feed and (
            self._touched_chats or self._touched_members or self._touched_messages
        ):
            # A change without a feed event cannot be told to other processes' caches (the
            # domain never does this); here, at least, start afresh.
            cache.head = None

    async def rollback(self) -> None:
        self._recorded.clear()
        self._forget_changes()
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
        raise found from exc


class SharedHeadReads:
    """Feed-head reads shared by concurrent readers.

    A reader answered from the cache needs only the current head. Each caller gets the result
    of a read that *started after it asked* (so it sees every commit that landed before), but
    all callers that ask while one read is on its way share the next one: one connection
    checkout and query per round trip instead of per request.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next: asyncio.Future[int | None] | None = None
        self._reader: asyncio.Task[None] | None = None

    async def read(self) -> int | None:
        """The head, or None if the shared read failed (the caller reads it itself)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._next, self._reader = loop, None, None
        if self._next is None:
            self._next = loop.create_future()
        waiting = self._next
        if self._reader is None or self._reader.done():
            self._reader = loop.create_task(self._read_while_asked())
        return await asyncio.shield(waiting)

    async def _read_while_asked(self) -> None:
        while self._next is not None:
            # Who asks from now on waits for the next read: this one may have started before.
            waiting, self._next = self._next, None
            head: int | None = None
            with contextlib.suppress(Exception):
                async with self._engine.connect() as conn:
                    head = int((await conn.execute(_READ_HEAD)).scalar_one())
            waiting.set_result(head)


class SqlAlchemyUnitOfWorkFactory:
    """Hands out units of work over one engine (one engine per process)."""

    def __init__(self, engine: AsyncEngine, *, cache: bool = True) -> None:
        self.engine = engine
        self.cache = ChatCache() if cache else None
        self.heads = SharedHeadReads(engine) if cache else None

    def __call__(self, *, read_only: bool = False) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(
            self.engine, read_only=read_only, cache=self.cache, heads=self.heads
        )
