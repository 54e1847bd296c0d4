"""The composition root: one container, two presets, every port a replaceable slot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import messenger
from messenger.adapters.memory import (
    FastHasher,
    InMemoryLoginThrottle,
    InMemoryUnitOfWorkFactory,
    InProcessNotifier,
    TickingClock,
)
from messenger.container import Container, in_memory_container, running
from messenger.domain.service import Messenger
from messenger.settings import Settings

SECRET = "x" * 40


def use_cases(app: Messenger) -> dict[str, type]:
    return {name: type(value) for name, value in vars(app).items() if name != "ports"}


def port_types(app: Messenger) -> dict[str, type]:
    return {name: type(getattr(app.ports, name)) for name in app.ports.__dataclass_fields__}


def test_in_memory_builds_the_facade_of_the_containers_in_memory_preset() -> None:
    embedded = messenger.in_memory()
    preset = in_memory_container().messenger()
    assert use_cases(embedded) == use_cases(preset)
    assert port_types(embedded) == port_types(preset)
    assert isinstance(embedded.ports.uow, InMemoryUnitOfWorkFactory)
    assert isinstance(embedded.ports.notifier, InProcessNotifier)


async def test_the_sql_preset_builds_the_same_facade_over_sql_storage(tmp_path: Path) -> None:
    from messenger.adapters.sqlalchemy import SqlAlchemyUnitOfWorkFactory, upgrade_database

    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    upgrade_database(url)
    container = Container(settings=Settings(secret_key=SECRET, database_url=url))
    async with running(container) as (app, ready):
        await ready()
        assert use_cases(app) == use_cases(messenger.in_memory())
        assert isinstance(app.ports.uow, SqlAlchemyUnitOfWorkFactory)
        user = (await app.register("alice", "password-123")).user
        assert (await app.get_my_account(user.id)).username == "alice"


async def test_the_memory_url_selects_the_in_memory_storage() -> None:
    container = Container(settings=Settings(secret_key=SECRET, database_url="memory://"))
    async with running(container) as (app, ready):
        await ready()
        assert isinstance(app.ports.uow, InMemoryUnitOfWorkFactory)


async def test_an_embedder_fills_any_slot_and_the_use_cases_get_it() -> None:
    clock = TickingClock()
    throttle = InMemoryLoginThrottle(free_attempts=1)
    app = in_memory_container(clock=clock, throttle=throttle).messenger()
    assert app.ports.clock is clock
    assert app.ports.throttle is throttle
    before = clock.now()
    registered = await app.register("bob", "password-123")
    assert registered.user.created_at > before  # the given clock ticked for it

    hasher = FastHasher()
    settings = Settings(secret_key=SECRET, database_url="memory://")
    async with running(Container(settings=settings, hasher=hasher)) as (overridden, _):
        assert overridden.ports.hasher is hasher


def test_an_unknown_slot_is_refused() -> None:
    with pytest.raises(TypeError, match="no such slot"):
        in_memory_container(hashr=FastHasher())


def test_an_in_memory_container_never_loads_sqlalchemy_or_redis() -> None:
    code = (
        "import sys, messenger\n"
        "messenger.in_memory()\n"
        "print(sorted(m for m in ('sqlalchemy', 'redis') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
