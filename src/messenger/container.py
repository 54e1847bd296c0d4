"""The composition root: the only module that names concrete adapters.

``Container(settings=Settings.from_env())`` builds the ports and the ``Messenger`` facade.
Any provider can be overridden (``container.hasher.override(...)``), which is how tests
and embedding services swap an adapter. The database engine is a resource: start it with
``await container.init_resources()`` and dispose of it with ``shutdown_resources()``
(``running()`` does both).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from dependency_injector import containers, providers

from messenger.adapters.files import LocalFileStore
from messenger.adapters.memory import (
    InMemoryLoginThrottle,
    InMemoryUnitOfWorkFactory,
    InProcessNotifier,
    RandomIds,
    SystemClock,
)
from messenger.adapters.security import Argon2Hasher, JwtTokenIssuer
from messenger.contract import Wire
from messenger.domain.model import Limits
from messenger.domain.ports import DeliveryEncoder, EventStream
from messenger.domain.service import Messenger
from messenger.domain.usecases import Ports
from messenger.settings import Settings

MEMORY_URL_PREFIX = "memory:"

ReadinessCheck = Callable[[], Awaitable[None]]


def storage_kind(database_url: str) -> str:
    """``memory`` for ``memory://`` (tests, demos), else ``sql``."""
    return "memory" if database_url.startswith(MEMORY_URL_PREFIX) else "sql"


def _sql() -> Any:
    # Imported on demand so that a memory-backed container never loads SQLAlchemy.
    return importlib.import_module("messenger.adapters.sqlalchemy")


async def _engine(database_url: str) -> AsyncIterator[Any]:
    if storage_kind(database_url) == "memory":
        yield None
        return
    engine = _sql().create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


def _sql_uow_factory(engine: Any) -> Any:
    return _sql().SqlAlchemyUnitOfWorkFactory(engine)


async def _notifier(broker_url: str | None, encode: DeliveryEncoder) -> AsyncIterator[Any]:
    if not broker_url:
        yield InProcessNotifier(encode)
        return
    # Imported on demand: a single-process server never loads the Redis client.
    notifier = importlib.import_module("messenger.adapters.notifier").RedisNotifier(
        broker_url, encode
    )
    await notifier.start()
    try:
        yield notifier
    finally:
        await notifier.stop()


def _deliveries_of(notifier: Any) -> EventStream:
    deliveries: EventStream = notifier.deliveries
    return deliveries


async def _always_ready() -> None:
    return None


def _sql_readiness(engine: Any) -> ReadinessCheck:
    check = _sql().check_database

    async def ready() -> None:
        await check(engine)

    return ready


class Container(containers.DeclarativeContainer):
    """Ports, adapters and the ``Messenger`` facade, built from ``Settings``."""

    settings = providers.Dependency(instance_of=Settings)

    storage = providers.Callable(storage_kind, settings.provided.database_url)
    engine = providers.Resource(_engine, settings.provided.database_url)

    uow = providers.Selector(
        storage,
        memory=providers.Singleton(InMemoryUnitOfWorkFactory),
        sql=providers.Singleton(_sql_uow_factory, engine),
    )
    readiness = providers.Selector(
        storage,
        memory=providers.Object(_always_ready),
        sql=providers.Singleton(_sql_readiness, engine),
    )

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(RandomIds)
    # The contract's encoder, for everything clients receive (REST, socket frames, sync,
    # the broker): one instance, so all of them make the same URLs.
    wire_format = providers.Singleton(Wire, root_path=settings.provided.root_path)
    # Without MESSENGER_BROKER_URL events reach the sockets of this process only; with it
    # every process publishes to and reads from the broker (Redis pub/sub). Either way a
    # notification's frame is encoded once, by the process that publishes it.
    notifier = providers.Resource(
        _notifier, settings.provided.broker_url, wire_format.provided.delivery
    )
    events = providers.Callable(_deliveries_of, notifier)
    hasher = providers.Singleton(Argon2Hasher, concurrency=settings.provided.hash_concurrency)
    tokens = providers.Singleton(
        JwtTokenIssuer,
        settings.provided.secret_key,
        clock,
        lifetime=settings.provided.access_token_ttl,
        audience=settings.provided.token_audience,
    )
    files = providers.Singleton(LocalFileStore, settings.provided.upload_dir)
    throttle = providers.Singleton(InMemoryLoginThrottle)
    limits = providers.Singleton(Limits, max_upload_bytes=settings.provided.max_upload_bytes)

    ports = providers.Singleton(
        Ports,
        uow=uow,
        notifier=notifier,
        hasher=hasher,
        clock=clock,
        ids=ids,
        tokens=tokens,
        files=files,
        throttle=throttle,
        limits=limits,
    )
    messenger = providers.Singleton(Messenger, ports, events=events)


async def _resolve(value: Any) -> Any:
    # Providers that depend on an async resource return awaitables.
    return await value if inspect.isawaitable(value) else value


@asynccontextmanager
async def running(container: Container) -> AsyncIterator[tuple[Messenger, ReadinessCheck]]:
    """Start the container's resources; yield the messenger and its readiness check."""
    await _resolve(container.init_resources())
    try:
        messenger: Messenger = await _resolve(container.messenger())
        readiness: ReadinessCheck = await _resolve(container.readiness())
        yield messenger, readiness
    finally:
        await _resolve(container.shutdown_resources())


def upgrade_database(database_url: str) -> None:
    """Bring the schema up to date (nothing to do for in-memory storage)."""
    if storage_kind(database_url) == "sql":
        _sql().upgrade_database(database_url)
