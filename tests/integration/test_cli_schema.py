"""``messenger serve`` refuses a database whose schema is not this code's, on SQLite and
MariaDB alike, with one line telling to run ``messenger migrate``; ``migrate --status`` and
``check`` agree with it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from messenger.adapters.sqlalchemy import upgrade_database
from messenger.entrypoints import cli
from tests.integration.conftest import fresh_mariadb_database

SECRET = "cli-schema-secret-key-0123456789abcdef!"
BEHIND = "0011_mentions"


@pytest.fixture(params=["sqlite", "mariadb"])
def empty_database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """An existing database with no schema, named by MESSENGER_DATABASE_URL."""
    monkeypatch.setenv("MESSENGER_SECRET_KEY", SECRET)
    monkeypatch.setenv("MESSENGER_UPLOAD_DIR", str(tmp_path / "uploads"))
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/m.db"
        monkeypatch.setenv("MESSENGER_DATABASE_URL", url)
        yield url
        return
    with fresh_mariadb_database("messenger_cli") as url:
        monkeypatch.setenv("MESSENGER_DATABASE_URL", url)
        yield url


def refusal() -> str:
    with pytest.raises(SystemExit) as refused:
        cli.serve("127.0.0.1", 8123)
    message = str(refused.value.code)
    assert "\n" not in message
    return message


def test_serve_refuses_a_database_that_was_never_migrated(empty_database: str) -> None:
    assert refusal() == "messenger: the database has no schema yet: run `messenger migrate`"


def test_serve_refuses_a_database_behind_the_code(empty_database: str) -> None:
    upgrade_database(empty_database, BEHIND)
    message = refusal()
    assert message.startswith(f"messenger: the database schema ({BEHIND}) is behind")
    assert message.endswith("run `messenger migrate`")
    assert cli.migrate_status() == 1
    assert cli.check() == 1


def test_after_migrating_status_and_check_pass(
    empty_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.migrate()
    assert cli.migrate_status() == 0
    assert cli.check() == 0
    assert "messenger: OK" in capsys.readouterr().out
