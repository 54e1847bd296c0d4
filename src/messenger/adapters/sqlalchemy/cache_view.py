"""One unit of work's view of the process-wide ChatCache (see cache.py for why it is exact).

The view knows the head this unit read, what the unit changed of what the cache holds, and
does the bookkeeping around its commit: drop the changed entries before the commit is sent
and again once it has landed, then move the cache on to the new head if nothing else
committed in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncEngine

from messenger.adapters.sqlalchemy.cache import ChatCache
from messenger.adapters.sqlalchemy.session import READ_HEAD, SqlSession
from messenger.domain.events import (
    Event,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    MessageReactionsChanged,
)
from messenger.domain.model import Chat, Message

# The events that carry a message as it now is: what the cached newest pages are patched with.
_MESSAGE_EVENTS = (MessagePosted, MessageEdited, MessageDeleted)


class CacheView:
    """What one unit of work may take from the cache, and what it must give back."""

    def __init__(
        self, cache: ChatCache, session: SqlSession, *, heads: SharedHeadReads | None = None
    ) -> None:
        self._cache = cache
        self._session = session
        self._read_only = session.read_only
        self._heads = heads
        # The head read under the lock (or, by a reader, before its first cached answer),
        # and what this unit changed of what the cache holds (chat rows with their new
        # values; chats whose members changed; chats whose messages changed).
        self._start_head: int | None = None
        # The cache's mark taken with that head, before the unit's first query: a page it
        # reads may go in only if its chat's messages did not change since (cache.py).
        self._mark: tuple[int, int] | None = None
        self._touched_chats: dict[int, Chat] = {}
        self._touched_members: set[int] = set()
        self._touched_messages: set[int] = set()
        self._counted_as_writer = False

    def locked(self, head: int) -> None:
        """The unit took the write lock and read ``head`` under it."""
        self._start_head = head
        self._cache.sync(head)
        self._mark = self._cache.mark()
        if not self._counted_as_writer:
            self._cache.writers += 1
            self._counted_as_writer = True

    async def read_head(self) -> None:
        """A read-only unit reads the head once, before the cache may answer it."""
        if not self._read_only or self._start_head is not None:
            return
        head = await self._heads.read() if self._heads is not None else None
        if head is None:
            head = await self._session.read_head()
        self._start_head = head
        cache = self._cache
        if cache.writers == 0 and (cache.head is None or head > cache.head):
            # Nobody here is between lock and commit: a head that moved on is another
            # process's. (One behind the cache is a read that started before this
            # process's last commit was applied: never a reason to go back.)
            cache.sync(head)
        self._mark = cache.mark()

    def _usable(self, *, put: bool = False) -> ChatCache | None:
        # While the cache is for the head this unit read: under the lock the database is
        # exactly as of it; a reader's later statements see that or newer commits, so a
        # value it read may go in only while that head is still the cache's. A reader may
        # also be answered from a cache that is ahead of its head: those commits landed
        # before the answer, as they would have for a query.
        cache, start = self._cache, self._start_head
        if start is None or cache.head is None:
            return None
        if cache.head == start or (self._read_only and not put and cache.head > start):
            return cache
        return None

    # --- chats ---------------------------------------------------------------------------

    def chat(self, chat_id: int) -> Chat | None:
        cache = self._usable()
        if cache is None or chat_id in self._touched_chats:
            return None
        return cache.chat(chat_id)

    def put_chat(self, chat: Chat) -> None:
        cache = self._usable(put=True)
        if cache is not None and chat.id not in self._touched_chats:
            cache.put_chat(chat)

    def chat_changed(self, chat: Chat) -> None:
        self._touched_chats[chat.id] = dataclasses.replace(chat)

    # --- member ids ----------------------------------------------------------------------

    def member_ids(self, chat_id: int) -> frozenset[int] | None:
        cache = self._usable()
        if cache is None or chat_id in self._touched_members:
            return None
        return cache.member_ids(chat_id)

    def member_ids_with_drafts(self, chat_id: int) -> tuple[frozenset[int], frozenset[int]] | None:
        cache = self._usable()
        if cache is None or chat_id in self._touched_members:
            return None
        ids, drafters = cache.member_ids(chat_id), cache.drafters(chat_id)
        return None if ids is None or drafters is None else (ids, drafters)

    def put_member_ids(self, chat_id: int, ids: frozenset[int], drafters: frozenset[int]) -> None:
        cache = self._usable(put=True)
        if cache is not None and chat_id not in self._touched_members:
            cache.put_member_ids(chat_id, ids, drafters)

    def members_changed(self, chat_id: int) -> None:
        """The chat's members changed, or who of them keeps a draft there."""
        self._touched_members.add(chat_id)

    # --- newest pages --------------------------------------------------------------------

    def newest(self, chat_id: int, limit: int) -> list[Message] | None:
        cache = self._usable()
        if cache is None or chat_id in self._touched_messages:
            return None
        return cache.newest(chat_id, limit)

    def fill_token(self, chat_id: int) -> tuple[int, int] | None:
        """Asked before a page is read from the database; None: do not keep the page."""
        cache = self._usable()
        if cache is None or chat_id in self._touched_messages:
            return None
        return self._mark

    def put_newest(
        self, chat_id: int, messages: list[Message], limit: int, token: tuple[int, int]
    ) -> None:
        if chat_id not in self._touched_messages:
            self._cache.put_newest(chat_id, messages, limit, token)

    def messages_changed(self, chat_id: int) -> None:
        self._touched_messages.add(chat_id)

    # --- around the commit ---------------------------------------------------------------

    def before_commit(self, *, wrote_feed: bool) -> None:
        """Right before the commit is sent: once it lands, nobody may read the old values.

        Newest pages are patched after the commit instead: the head tells readers whether a
        page is from before or after it, and without feed events it cannot, so then they go
        too.
        """
        self._cache.forget(
            self._touched_chats,
            self._touched_members,
            () if wrote_feed else self._touched_messages,
        )

    def after_commit(self, head: int, events: Iterable[Event], *, wrote_feed: bool) -> None:
        """Bring the cache up to this unit's landed commit, ``head`` its last position."""
        cache, start = self._cache, self._start_head
        exact = wrote_feed and start is not None and cache.head == start
        events = list(events)
        messages = [e.message for e in events if isinstance(e, _MESSAGE_EVENTS)]
        reactions = [e for e in events if isinstance(e, MessageReactionsChanged)]
        patched = {m.chat_id for m in messages} | {e.chat for e in reactions} if exact else set()
        # Again now that the commit landed: a reader may have put in what it read before.
        cache.forget(self._touched_chats, self._touched_members, self._touched_messages - patched)
        if exact:
            # Nothing else committed since this unit's lock: the cache plus this unit's own
            # changes is exact as of the new head.
            for chat in self._touched_chats.values():
                cache.put_chat(chat)
            for message in messages:
                cache.apply_message(message)
            for event in reactions:
                cache.apply_reactions(event.chat, event.message_id, event.reactions)
            cache.head = head
        elif not wrote_feed and (
            self._touched_chats or self._touched_members or self._touched_messages
        ):
            # A change without a feed event cannot be told to other processes' caches (the
            # domain never does this); here, at least, start afresh.
            cache.head = None

    def reset(self) -> None:
        """The unit committed, rolled back or ended: it no longer holds the lock."""
        if self._counted_as_writer:
            self._cache.writers -= 1
        self._counted_as_writer = False
        self._start_head = None
        self._mark = None
        self._touched_chats.clear()
        self._touched_members.clear()
        self._touched_messages.clear()


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
                    head = int((await conn.execute(READ_HEAD)).scalar_one())
            waiting.set_result(head)
