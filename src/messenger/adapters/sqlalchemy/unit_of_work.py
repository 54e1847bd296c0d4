"""The SQL unit of work: one session, its feed writer and its repositories, composed.

The session (session.py) owns the connection and the write lock on ``feed_head``, taken
before anything is written, so writers run one after another; the feed writer
(feed_writer.py) numbers the recorded events from the head read under that lock and writes
them at commit. With a cache, the chat, member and message repositories are wrapped by
cached.py's, and the unit's CacheView (cache_view.py) keeps the cache exact around commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine

from messenger.adapters.sqlalchemy.cache import ChatCache
from messenger.adapters.sqlalchemy.cache_view import CacheView, SharedHeadReads
from messenger.adapters.sqlalchemy.feed_writer import FeedWriter
from messenger.adapters.sqlalchemy.repositories import (
    CachedChatPrefsRepository,
    CachedChatRepository,
    CachedMembershipRepository,
    CachedMessageRepository,
    SqlAlchemyAuditLog,
    SqlAlchemyBlockRepository,
    SqlAlchemyChatPrefsRepository,
    SqlAlchemyChatRepository,
    SqlAlchemyContactRepository,
    SqlAlchemyFeedRepository,
    SqlAlchemyFileRepository,
    SqlAlchemyInviteRepository,
    SqlAlchemyMembershipRepository,
    SqlAlchemyMessageRepository,
    SqlAlchemyPasswordResetRepository,
    SqlAlchemyPinRepository,
    SqlAlchemyPrivacyRepository,
    SqlAlchemyReactionRepository,
    SqlAlchemyReportRepository,
    SqlAlchemySearchIndex,
    SqlAlchemyServerSettings,
    SqlAlchemySessionRepository,
    SqlAlchemySettingsRepository,
    SqlAlchemyThemeRepository,
    SqlAlchemyUserRepository,
)
from messenger.adapters.sqlalchemy.session import SqlSession, report_trouble
from messenger.domain.errors import ServiceUnavailable
from messenger.domain.events import Event, Notification
from messenger.domain.ports import (
    ChatPrefsRepository,
    ChatRepository,
    Clock,
    MembershipRepository,
    MessageRepository,
)
from messenger.metrics import Metrics


class SqlAlchemyUnitOfWork:
    """One transaction on its own pooled connection (never shared between units of work).

    With a ``timeout`` the whole unit (waiting for a pooled connection and the write lock
    included) must finish within that many seconds, else it fails with
    ``ServiceUnavailable`` and its connection is discarded: a stalled database (paused, a
    partition without a reset) must fail requests in seconds, not hold them for minutes.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        read_only: bool = False,
        cache: ChatCache | None = None,
        heads: SharedHeadReads | None = None,
        timeout: float | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._read_only = read_only
        self._timeout = timeout
        # One timer for the whole unit, not one per statement.
        self._deadline: asyncio.Timeout | None = None
        self.session = SqlSession(engine, read_only=read_only, on_lock=self._locked)
        self._feed = FeedWriter(self.session, clock)
        self._view = CacheView(cache, self.session, heads=heads) if cache is not None else None
        self.users = SqlAlchemyUserRepository(self.session)
        self.chats: ChatRepository = SqlAlchemyChatRepository(self.session)
        self.members: MembershipRepository = SqlAlchemyMembershipRepository(self.session)
        self.messages: MessageRepository = SqlAlchemyMessageRepository(self.session)
        self.chat_prefs: ChatPrefsRepository = SqlAlchemyChatPrefsRepository(self.session)
        if self._view is not None:
            self.chats = CachedChatRepository(self.chats, self._view)
            self.members = CachedMembershipRepository(self.members, self._view)
            self.messages = CachedMessageRepository(self.messages, self._view)
            self.chat_prefs = CachedChatPrefsRepository(self.chat_prefs, self._view)
        self.feed = SqlAlchemyFeedRepository(self.session)
        self.reactions = SqlAlchemyReactionRepository(self.session)
        self.sessions = SqlAlchemySessionRepository(self.session)
        self.files = SqlAlchemyFileRepository(self.session)
        self.contacts = SqlAlchemyContactRepository(self.session)
        self.blocks = SqlAlchemyBlockRepository(self.session)
        self.privacy = SqlAlchemyPrivacyRepository(self.session)
        self.themes = SqlAlchemyThemeRepository(self.session)
        self.settings = SqlAlchemySettingsRepository(self.session)
        self.pins = SqlAlchemyPinRepository(self.session)
        self.search = SqlAlchemySearchIndex(self.session)
        self.audit = SqlAlchemyAuditLog(self.session)
        self.server_settings = SqlAlchemyServerSettings(self.session)
        self.invites = SqlAlchemyInviteRepository(self.session)
        self.password_resets = SqlAlchemyPasswordResetRepository(self.session)
        self.reports = SqlAlchemyReportRepository(self.session)

    def _locked(self, head: int) -> None:
        if self._view is not None:
            self._view.locked(head)

    def _forget(self) -> None:
        self._feed.clear()
        if self._view is not None:
            self._view.reset()

    def _writable(self) -> None:
        if self._read_only:
            raise RuntimeError("This unit of work is read-only.")

    async def __aenter__(self) -> Self:
        if self._timeout:
            self._deadline = asyncio.timeout(self._timeout)
            await self._deadline.__aenter__()
        # A reader connects on its first query: one answered from the cache needs none.
        if not self._read_only:
            try:
                await self.session.begin_writing()
            except BaseException as exc:
                await self.__aexit__(type(exc), exc, exc.__traceback__)
                raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._forget()
        deadline, self._deadline = self._deadline, None
        if deadline is None:
            await self.session.close()
            return
        try:
            await deadline.__aexit__(exc_type, exc, tb)
        except TimeoutError:
            # The connection stopped mid-statement: it cannot be used again.
            await self.session.discard()
            error = ServiceUnavailable("The database did not answer in time.", retry_after=2.0)
            report_trouble(error, TimeoutError(f"no answer within {self._timeout} s"))
            raise error from exc
        await self.session.close()

    def record(self, event: Event, recipients: Iterable[int]) -> None:
        self._writable()
        self._feed.record(event, recipients)

    async def position(self) -> int:
        self._writable()
        return await self._feed.position()

    async def commit(self) -> list[Notification]:
        self._writable()
        notifications = await self._feed.assign_positions()
        wrote_feed = self._feed.has_rows
        # The order is the cache's exactness (cache.py): drop what this unit changed before
        # the commit is sent, again once it has landed, and only then put the new values in.
        if self._view is not None:
            self._view.before_commit(wrote_feed=wrote_feed)
        await self._feed.write()
        await self.session.commit()
        if self._view is not None:
            self._view.after_commit(self._feed.head, self._feed.events, wrote_feed=wrote_feed)
        self._forget()
        return notifications

    async def rollback(self) -> None:
        self._forget()
        await self.session.rollback()


class SqlAlchemyUnitOfWorkFactory:
    """Hands out units of work over one engine (one engine per process)."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        cache: bool = True,
        timeout: float | None = None,
        metrics: Metrics | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.engine = engine
        # What feed rows are stamped with (pruning goes by it): the system's time unless a
        # test gives its own clock.
        self.clock = clock
        self.cache = ChatCache() if cache else None
        self.heads = SharedHeadReads(engine) if cache else None
        self.timeout = timeout
        if metrics is not None and self.cache is not None:
            chat_cache = self.cache
            for kind in chat_cache.hits:
                metrics.counter(
                    "messenger_cache_hits",
                    "Lookups the chat cache answered, by what was looked up",
                    lambda kind=kind: chat_cache.hits[kind],  # type: ignore[misc]
                    kind=kind,
                )
                metrics.counter(
                    "messenger_cache_misses",
                    "Lookups the chat cache could not answer, by what was looked up",
                    lambda kind=kind: chat_cache.misses[kind],  # type: ignore[misc]
                    kind=kind,
                )

    def __call__(self, *, read_only: bool = False) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(
            self.engine,
            read_only=read_only,
            cache=self.cache,
            heads=self.heads,
            timeout=self.timeout,
            clock=self.clock,
        )
