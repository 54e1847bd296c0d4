"""Fixtures for integration tests: a real MariaDB, SQLite files, and the app over them.

The MariaDB database is created once per test session (``messenger_test_<random>``), migrated
once, emptied before every test that uses it and dropped at the end. Database setup runs in
sync session fixtures through PyMySQL, so no async fixture has to outlive its event loop.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pymysql
import pytest
from sqlalchemy.engine import URL, make_url

from messenger.adapters.batching import BatchingCommitter
from messenger.adapters.memory import InMemoryUnitOfWorkFactory, TickingClock
from messenger.adapters.sqlalchemy import (
    SqlAlchemyUnitOfWorkFactory,
    create_engine,
    scratch_database,
    upgrade_database,
)
from messenger.adapters.sqlalchemy.tables import DATA_TABLES
from messenger.container import in_memory_container
from messenger.domain.ports import Committer, UnitOfWorkFactory
from messenger.domain.service import Messenger
from messenger.settings import Settings

DEFAULT_SERVER_URL = "mysql+aiomysql://root@127.0.0.1:3306"
# "sqlite-uncached": the plain SQL repositories alone, without the chat cache wrapped around
# them; the storage contract must hold for both.
ADAPTERS = ["memory", "sqlite", "sqlite-uncached", "mariadb"]


def services_required() -> bool:
    """Under CI a missing service is a failure, never a skip."""
    return (
        os.environ.get("MESSENGER_REQUIRE_SERVICES") == "1"
        or os.environ.get("CI", "").lower() == "true"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)


def server_url() -> URL:
    return make_url(os.environ.get("MESSENGER_TEST_DATABASE_URL", DEFAULT_SERVER_URL))


def pymysql_connect(url: URL, database: str | None = None) -> pymysql.Connection:  # type: ignore[type-arg]
    """A plain sync connection for setup work (create, empty, drop databases)."""
    return pymysql.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        database=database,
        charset="utf8mb4",
        autocommit=True,
        connect_timeout=5,
    )


@contextmanager
def fresh_mariadb_database(prefix: str = "messenger_test") -> Iterator[str]:
    """Create an empty utf8mb4 database, yield its URL, drop it afterwards."""
    base = server_url()
    with ExitStack() as stack:
        try:
            url = stack.enter_context(
                scratch_database(base.render_as_string(hide_password=False), prefix)
            )
        except pymysql.err.OperationalError as exc:
            message = f"MariaDB is not reachable at {base.render_as_string()}: {exc}"
            if services_required():
                pytest.fail(message)
            pytest.skip(message)
        yield url


@pytest.fixture(scope="session")
def mariadb_url() -> Iterator[str]:
    """A migrated MariaDB database for this test session (URL with the database name)."""
    with fresh_mariadb_database() as url:
        upgrade_database(url)
        yield url


def empty_mariadb(url: str) -> None:
    """Delete every row and reset the feed head; far faster than migrating again."""
    parsed = make_url(url)
    conn = pymysql_connect(parsed, parsed.database)
    try:
        with conn.cursor() as cur:
            cur.execute("SET FOREIGN_KEY_CHECKS = 0")
            for table in DATA_TABLES:
                cur.execute(f"DELETE FROM `{table}`")
            cur.execute("UPDATE feed_head SET position = 0 WHERE id = 1")
    finally:
        conn.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test instead of migrating each time."""
    path = tmp_path_factory.mktemp("sqlite-template") / "messenger.db"
    upgrade_database(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh, migrated, empty SQLite database file for this test."""
    target = tmp_path / "messenger.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture(params=ADAPTERS)
async def uow_factory(request: pytest.FixtureRequest) -> AsyncIterator[UnitOfWorkFactory]:
    """A fresh, empty store per test, on each adapter set in turn."""
    kind = request.param
    if kind == "memory":
        yield InMemoryUnitOfWorkFactory()
        return
    if kind.startswith("sqlite"):
        url = request.getfixturevalue("sqlite_url")
    else:
        url = request.getfixturevalue("mariadb_url")
        empty_mariadb(url)
    engine = create_engine(url)
    try:
        yield SqlAlchemyUnitOfWorkFactory(engine, cache=kind != "sqlite-uncached")
    finally:
        await engine.dispose()


def build_messenger(
    uow: UnitOfWorkFactory, clock: TickingClock | None = None, committer: Committer | None = None
) -> Messenger:
    """The whole messenger over ``uow``, with in-process fakes for the other ports; posts
    are group-committed (as the SQL preset does) unless another ``committer`` is given."""
    container = in_memory_container(
        uow=uow, clock=clock or TickingClock(), committer=committer or BatchingCommitter()
    )
    messenger: Messenger = container.messenger()
    return messenger


@pytest.fixture
def messenger_app(uow_factory: UnitOfWorkFactory) -> Messenger:
    """The messenger over the parametrised storage."""
    return build_messenger(uow_factory)


@pytest.fixture
def shell_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The environment a ``messenger`` shell command reads (a migrated SQLite file, an upload
    folder), set for this test, and the settings it gives."""
    env = {
        "MESSENGER_SECRET_KEY": "shell-test-secret-key-0123456789abcdef",
        "MESSENGER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/m.db",
        "MESSENGER_UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    settings.upload_dir.mkdir()
    upgrade_database(settings.database_url)
    return settings
