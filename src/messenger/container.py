"""The composition root: the only module that names concrete adapters.

``Container`` has one slot (a ``providers.Dependency``) per port. Each slot has a default
chosen by the settings, the *preset*: ``memory://`` storage gets the in-memory adapters,
any other database URL the SQL ones (``SqlStorage``: an engine resource, units of work,
a readiness check). ``in_memory_container()`` is the in-memory preset for tests, demos and
embedders: every port an in-process adapter. An embedding service (or a test) fills any
slot with its own adapter, either when building the container
(``Container(settings=s, hasher=MyHasher())``) or later
(``container.hasher.override(providers.Object(MyHasher()))``).

Resources (the database engine, the broker connection) start with
``await container.init_resources()`` and stop with ``shutdown_resources()``; ``running()``
does both.
"""

from __future__ import annotations

import asyncio
import inspect
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from dependency_injector import containers, providers

from messenger.adapters.batching import BatchingCommitter
from messenger.adapters.emoji import UnicodeEmoji
from messenger.adapters.files import LocalFileStore
from messenger.adapters.images import PillowImages
from messenger.adapters.memory import (
    DirectCommitter,
    FastHasher,
    InMemoryFileStore,
    InMemoryLoginThrottle,
    InMemoryRateLimiter,
    InMemorySessionTrust,
    InMemoryTokens,
    InMemoryUnitOfWorkFactory,
    InProcessNotifier,
    InProcessPresence,
    RandomIds,
    SystemClock,
)
from messenger.adapters.security import Argon2Hasher, BundledCommonPasswords, JwtTokenIssuer
from messenger.assets import bundled_catalog
from messenger.contract import Wire
from messenger.domain.administration import RegistrationMode
from messenger.domain.events import Delivery
from messenger.domain.model import AvatarCatalog, Limits
from messenger.domain.ports import (
    Clock,
    Committer,
    CommonPasswords,
    DeliveryEncoder,
    EmojiSet,
    EventStream,
    FileStore,
    IdSource,
    Images,
    LoginThrottle,
    Notifier,
    PasswordHasher,
    PresenceRegistry,
    RateLimiter,
    SessionTrust,
    TokenIssuer,
    UnitOfWorkFactory,
)
from messenger.domain.service import Messenger
from messenger.domain.usecases import Ports
from messenger.metrics import Metrics
from messenger.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from messenger.adapters.notifier import RedisNotifier, RedisPresence

MEMORY_URL_PREFIX = "memory:"

ReadinessCheck = Callable[[], Awaitable[None]]


def storage_kind(database_url: str) -> str:
    """``memory`` for ``memory://`` (tests, demos), else ``sql``."""
    return "memory" if database_url.startswith(MEMORY_URL_PREFIX) else "sql"


# --- the SQL preset's storage ---------------------------------------------------------------
# SQLAlchemy is imported inside these functions so that a memory-backed container never
# loads it.


async def _engine(database_url: str) -> AsyncIterator[AsyncEngine | None]:
    # Every resource of the container starts, the unused preset's too: that one has none.
    if storage_kind(database_url) == "memory":
        yield None
        return
    from messenger.adapters.sqlalchemy import create_engine

    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


def _sql_units_of_work(
    engine: AsyncEngine, timeout: float, metrics: Metrics | None, clock: Clock
) -> UnitOfWorkFactory:
    from messenger.adapters.sqlalchemy import SqlAlchemyUnitOfWorkFactory

    return SqlAlchemyUnitOfWorkFactory(
        engine, timeout=timeout or None, metrics=metrics, clock=clock
    )


def _sql_readiness(engine: AsyncEngine) -> ReadinessCheck:
    from messenger.adapters.sqlalchemy import check_database

    async def ready() -> None:
        await check_database(engine)

    return ready


async def _always_ready() -> None:
    return None


class SqlStorage(containers.DeclarativeContainer):
    """Storage of the SQL preset: one engine per process (a resource) and what uses it."""

    database_url = providers.Dependency(instance_of=str)
    db_timeout = providers.Dependency(instance_of=float)
    metrics: providers.Dependency[Metrics | None] = providers.Dependency()
    # What feed entries are stamped with (retention goes by it).
    clock: providers.Dependency[Clock] = providers.Dependency()
    engine = providers.Resource(_engine, database_url)
    uow = providers.Singleton(_sql_units_of_work, engine, db_timeout, metrics, clock)
    readiness = providers.Singleton(_sql_readiness, engine)
    # SQL writes pay a lock, a round trip and a commit each: concurrent posts share them
    # (group commit).
    committer = providers.Singleton(BatchingCommitter, metrics)


class MemoryStorage(containers.DeclarativeContainer):
    """Storage of the in-memory preset: everything in this process, nothing to start."""

    clock: providers.Dependency[Clock] = providers.Dependency()
    uow = providers.Singleton(InMemoryUnitOfWorkFactory, clock=clock)
    readiness = providers.Object(_always_ready)
    # Nothing to share in memory: each post is written alone.
    committer = providers.Singleton(DirectCommitter)


async def _notifier(
    broker_url: str | None, encode: DeliveryEncoder, metrics: Metrics | None = None
) -> AsyncIterator[InProcessNotifier | RedisNotifier]:
    if not broker_url:
        yield InProcessNotifier(encode)
        return
    # Imported on demand: a single-process server never loads the Redis client.
    from messenger.adapters.notifier import RedisNotifier

    notifier = RedisNotifier(broker_url, encode, metrics=metrics)
    await notifier.start()
    try:
        yield notifier
    finally:
        await notifier.stop()


async def _presence(broker_url: str | None) -> AsyncIterator[InProcessPresence | RedisPresence]:
    # With a broker there may be other processes: who is online is counted across them, in
    # the broker's Redis. Without one this process is the only one.
    if not broker_url:
        yield InProcessPresence()
        return
    from messenger.adapters.notifier import RedisPresence

    presence = RedisPresence(broker_url)
    await presence.start()
    try:
        yield presence
    finally:
        await presence.stop()


def _deliveries_of(notifier: InProcessNotifier | RedisNotifier) -> EventStream:
    # Both notifiers are the two halves of the port: what is published is delivered, encoded.
    return notifier.deliveries


def _trust_follows_revocations(
    broker_url: str | None, events: EventStream | None, sessions: SessionTrust
) -> Iterator[None]:
    # A session ended on another process reaches this one through the broker: stop trusting
    # it here at once too, rather than after the trust delay. Without a broker there is no
    # other process (and this process's revocations already took effect).
    if not broker_url or events is None:
        yield
        return

    def forget(delivery: Delivery) -> None:
        for session_id in delivery.ends_sessions:
            sessions.revoke(session_id)

    unsubscribe = events.subscribe(forget)
    try:
        yield
    finally:
        unsubscribe()


def _metrics(enabled: bool) -> Metrics | None:
    return Metrics() if enabled else None


def _all_ready(storage: ReadinessCheck, files: FileStore) -> ReadinessCheck:
    async def ready() -> None:
        await storage()
        await files.check()

    return ready


class Container(containers.DeclarativeContainer):
    """Ports, adapters and the ``Messenger`` facade, built from ``Settings``."""

    settings = providers.Dependency(instance_of=Settings)
    # What the parts count for /metrics: built only when MESSENGER_METRICS is on (each part
    # given None counts nothing, or only plain integers it keeps anyway).
    metrics = providers.Singleton(_metrics, settings.provided.metrics)

    clock: providers.Dependency[Clock] = providers.Dependency(
        default=providers.Singleton(SystemClock)
    )

    # The presets' parts, picked by the database URL.
    storage = providers.Callable(storage_kind, settings.provided.database_url)
    sql = providers.Container(
        SqlStorage,
        database_url=settings.provided.database_url,
        db_timeout=settings.provided.db_timeout,
        metrics=metrics,
        clock=clock,
    )
    memory = providers.Container(MemoryStorage, clock=clock)

    # --- one slot per port -----------------------------------------------------------------
    uow: providers.Dependency[UnitOfWorkFactory] = providers.Dependency(
        default=providers.Selector(storage, memory=memory.uow, sql=sql.uow)
    )
    readiness: providers.Dependency[ReadinessCheck] = providers.Dependency(
        default=providers.Selector(storage, memory=memory.readiness, sql=sql.readiness)
    )
    committer: providers.Dependency[Committer] = providers.Dependency(
        default=providers.Selector(storage, memory=memory.committer, sql=sql.committer)
    )
    ids: providers.Dependency[IdSource] = providers.Dependency(
        default=providers.Singleton(RandomIds)
    )
    # The contract's encoder, for everything clients receive (REST, socket frames, sync,
    # the broker): one instance, so all of them make the same URLs.
    wire_format = providers.Singleton(Wire, root_path=settings.provided.root_path)
    # Without MESSENGER_BROKER_URL events reach the sockets of this process only; with it
    # every process publishes to and reads from the broker (Redis pub/sub). Either way a
    # notification's frame is encoded once, by the process that publishes it.
    notifier: providers.Dependency[Notifier] = providers.Dependency(
        default=providers.Resource(
            _notifier, settings.provided.broker_url, wire_format.provided.delivery, metrics
        )
    )
    # Who is online on any process (the socket hub tells it of its first and last sockets).
    presence: providers.Dependency[PresenceRegistry] = providers.Dependency(
        default=providers.Resource(_presence, settings.provided.broker_url)
    )
    # The receiving side of the notifier: what delivery (the socket hub) listens to.
    events: providers.Dependency[EventStream] = providers.Dependency(
        default=providers.Callable(_deliveries_of, notifier)
    )
    hasher: providers.Dependency[PasswordHasher] = providers.Dependency(
        default=providers.Singleton(
            Argon2Hasher, concurrency=settings.provided.hash_concurrency, metrics=metrics
        )
    )
    # The presets share the bundled list (read on first use, once per process).
    common_passwords: providers.Dependency[CommonPasswords] = providers.Dependency(
        default=providers.Singleton(BundledCommonPasswords)
    )
    tokens: providers.Dependency[TokenIssuer] = providers.Dependency(
        default=providers.Singleton(
            JwtTokenIssuer,
            settings.provided.secret_key,
            clock,
            lifetime=settings.provided.access_token_ttl,
            audience=settings.provided.token_audience,
        )
    )
    files: providers.Dependency[FileStore] = providers.Dependency(
        default=providers.Singleton(LocalFileStore, settings.provided.upload_dir)
    )
    throttle: providers.Dependency[LoginThrottle] = providers.Dependency(
        default=providers.Singleton(InMemoryLoginThrottle)
    )
    # Per process by nature: a revocation made here is trusted no more at once.
    sessions: providers.Dependency[SessionTrust] = providers.Dependency(
        default=providers.Singleton(InMemorySessionTrust)
    )
    # Per process too: each process keeps its own budgets (a user's is per process).
    rates: providers.Dependency[RateLimiter] = providers.Dependency(
        default=providers.Singleton(InMemoryRateLimiter)
    )
    # In-process either way (Pillow in worker threads); tests of the rules use a fake.
    images: providers.Dependency[Images] = providers.Dependency(
        default=providers.Singleton(PillowImages)
    )
    # Pure data (the pinned emoji package) for both presets: there is nothing to fake.
    emoji: providers.Dependency[EmojiSet] = providers.Dependency(
        default=providers.Singleton(UnicodeEmoji)
    )
    limits: providers.Dependency[Limits] = providers.Dependency(
        default=providers.Singleton(
            Limits,
            max_upload_bytes=settings.provided.max_upload_bytes,
            post_rate=settings.provided.limit_post_rate,
            post_burst=settings.provided.limit_post_burst,
            chats_per_hour=settings.provided.limit_chats_per_hour,
            member_adds_per_hour=settings.provided.limit_member_adds_per_hour,
            uploads_per_minute=settings.provided.limit_uploads_per_minute,
            max_group_members=settings.provided.limit_group_members,
            upload_quota_bytes=settings.provided.limit_upload_quota_bytes,
            unattached_upload_hours=settings.provided.limit_unattached_upload_hours,
            typing_joined_above=settings.provided.typing_joined_above,
            session_idle=providers.Factory(timedelta, days=settings.provided.session_idle_days),
            session_lifetime=providers.Factory(timedelta, days=settings.provided.session_max_days),
            registration=providers.Factory(RegistrationMode, settings.provided.registration),
            password_reset_valid=providers.Factory(
                timedelta, hours=settings.provided.password_reset_hours
            ),
            audit_retention_days=settings.provided.audit_retention_days,
            feed_retention_days=settings.provided.feed_retention_days,
        )
    )

    # The ids of the preset avatars and frames the package ships (their images are served
    # from the same files).
    avatars: providers.Dependency[AvatarCatalog] = providers.Dependency(
        default=providers.Singleton(bundled_catalog)
    )

    # What /ready asks: the database answers and files can be stored.
    ready = providers.Callable(_all_ready, readiness, files)

    revocations = providers.Resource(
        _trust_follows_revocations, settings.provided.broker_url, events, sessions
    )

    ports = providers.Singleton(
        Ports,
        uow=uow,
        notifier=notifier,
        hasher=hasher,
        common_passwords=common_passwords,
        clock=clock,
        ids=ids,
        tokens=tokens,
        files=files,
        throttle=throttle,
        committer=committer,
        sessions=sessions,
        rates=rates,
        images=images,
        emoji=emoji,
        limits=limits,
        avatars=avatars,
    )
    messenger = providers.Singleton(Messenger, ports, events=events, presence=presence)


def in_memory_container(
    *,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
    settings: Settings | None = None,
    **slots: object,
) -> Container:
    """The in-memory preset: every port an in-process adapter, nothing to start.

    The hasher is fast and not for real passwords unless one is given. Any other slot can be
    filled by name (``uow=...`` puts the in-process services over other storage: the storage
    contract tests run the whole messenger over SQL this way; ``limits=Limits(...)``).
    """
    clock = clock or SystemClock()
    settings = settings or Settings(secret_key=secrets.token_urlsafe(48), database_url="memory://")
    unknown = set(slots) - set(Container.providers)
    if unknown:
        raise TypeError(f"no such slot in the container: {', '.join(sorted(unknown))}")
    given = {name: value for name, value in slots.items() if value is not None}
    if "notifier" not in given:
        notifier = InProcessNotifier(Wire(root_path=settings.root_path).delivery)
        given["notifier"] = notifier
        given.setdefault("events", notifier.deliveries)
    else:
        # A notifier of the caller's own: its receiving side, if any, is theirs to give.
        given.setdefault("events", None)
    filled: dict[str, object] = {
        "clock": clock,
        "hasher": hasher or FastHasher(),
        "tokens": InMemoryTokens(clock),
        "files": InMemoryFileStore(),
        "presence": InProcessPresence(),
        **given,
    }
    return Container(settings=settings, **filled)


async def _resolve(value: Any) -> Any:
    # Providers that depend on an async resource return awaitables.
    return await value if inspect.isawaitable(value) else value


@asynccontextmanager
async def running(container: Container) -> AsyncIterator[tuple[Messenger, ReadinessCheck]]:
    """Start the container's resources; yield the messenger and its readiness check."""
    await _resolve(container.init_resources())
    try:
        messenger: Messenger = await _resolve(container.messenger())
        readiness: ReadinessCheck = await _resolve(container.ready())
        yield messenger, readiness
    finally:
        await _resolve(container.shutdown_resources())


def upgrade_database(database_url: str) -> None:
    """Bring the schema up to date (nothing to do for in-memory storage)."""
    if storage_kind(database_url) == "sql":
        from messenger.adapters.sqlalchemy import upgrade_database as upgrade

        upgrade(database_url)


class DatabaseUnreachable(Exception):
    """The database did not answer (wrong URL, server down, no permission)."""


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database's schema is against the migrations this code ships."""

    current: tuple[str, ...]
    head: tuple[str, ...]
    known: frozenset[str]

    @property
    def is_current(self) -> bool:
        """The database is at this code's newest schema."""
        return set(self.current) == set(self.head)

    def problem(self) -> str | None:
        """One line saying what is wrong and what to do, or None when it is current."""
        if self.is_current:
            return None
        if not self.current:
            return "the database has no schema yet: run `messenger migrate`"
        unknown = sorted(set(self.current) - self.known)
        if unknown:
            # A newer server migrated it; migrating cannot help, only a newer server can.
            return (
                f"the database schema ({', '.join(unknown)}) is newer than this server's "
                f"({', '.join(self.head)}): upgrade the server"
            )
        return (
            f"the database schema ({', '.join(self.current)}) is behind this server's "
            f"({', '.join(self.head)}): run `messenger migrate`"
        )


def schema_status(database_url: str, timeout: float = 5.0) -> SchemaStatus | None:
    """The schema's revision against the code's newest (None for in-memory storage, which
    has no schema); raises ``DatabaseUnreachable`` when the database does not answer
    within ``timeout`` seconds."""
    if storage_kind(database_url) == "memory":
        return None
    from messenger.adapters.sqlalchemy import current_revisions, head_revisions, known_revisions

    try:
        # A stalled server accepts the connection and then says nothing: bound the wait.
        current = asyncio.run(asyncio.wait_for(current_revisions(database_url), timeout))
    # Whatever the driver raises (OSError, OperationalError, a bad URL): the caller shows
    # one line, never a traceback.
    except TimeoutError as exc:
        raise DatabaseUnreachable(f"no answer within {timeout:g} s") from exc
    except Exception as exc:
        raise DatabaseUnreachable(_first_line(exc)) from exc
    return SchemaStatus(
        current=current, head=head_revisions(database_url), known=known_revisions(database_url)
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
