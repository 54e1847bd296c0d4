"""Programmatic Alembic: bring a database to the newest schema, or say how far it is."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

from messenger.adapters.sqlalchemy.engine import create_engine
from messenger.packaged import MIGRATIONS, data_dir

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/messenger.db"


def database_url() -> str:
    """The configured database URL (``MESSENGER_DATABASE_URL``)."""
    return os.environ.get("MESSENGER_DATABASE_URL", DEFAULT_DATABASE_URL)


def alembic_config(url: str) -> Config:
    """An Alembic config for ``url``, independent of the current directory and of
    ``alembic.ini`` (which only the developers' ``alembic`` command reads): the scripts
    come from the package (or the checkout), logging from whoever runs us."""
    scripts = data_dir(MIGRATIONS)
    if scripts is None:
        raise RuntimeError("The migrations are missing from this installation.")
    config = Config()
    config.set_main_option("script_location", str(scripts))
    config.set_main_option("path_separator", "os")
    # env.py prefers this over the environment, so tests can aim at their own database.
    config.attributes["url"] = url
    # Logging is the caller's (``messenger migrate`` configures it for the whole process);
    # alembic.ini's own format is for the ``alembic`` command only.
    config.attributes["configure_logger"] = False
    return config


def _ensure_sqlite_directory(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def _outside_event_loop(work: Callable[[], None]) -> None:
    # env.py runs its own event loop (asyncio.run), which cannot start inside a running
    # one; from async code the work goes to a thread (blocking the caller: migrations are
    # a startup step, not something to interleave with serving).
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        work()
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(work).result()


def upgrade_database(url: str, revision: str = "head") -> None:
    """Run the migrations up to ``revision`` (synchronous; safe to call from async code)."""
    _ensure_sqlite_directory(url)
    _outside_event_loop(lambda: command.upgrade(alembic_config(url), revision))


def downgrade_database(url: str, revision: str = "base") -> None:
    """Undo migrations down to ``revision``."""
    _outside_event_loop(lambda: command.downgrade(alembic_config(url), revision))


def head_revisions(url: str) -> tuple[str, ...]:
    """The revisions the newest schema of this code is at."""
    return tuple(ScriptDirectory.from_config(alembic_config(url)).get_heads())


def known_revisions(url: str) -> frozenset[str]:
    """Every revision this code has a migration for."""
    script = ScriptDirectory.from_config(alembic_config(url))
    return frozenset(rev.revision for rev in script.walk_revisions())


def _current(connection: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection).get_current_heads())


async def current_revisions(url: str) -> tuple[str, ...]:
    """The revisions the database is at (empty when it was never migrated); raises what
    the driver raises when the database cannot be reached."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current)
    finally:
        await engine.dispose()
