"""Migrations: upgrade, downgrade and upgrade again on an empty database, and no drift
between the tables the code declares and the schema the migrations build."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from messenger.adapters.sqlalchemy import downgrade_database, metadata, upgrade_database
from messenger.adapters.sqlalchemy.tables import SEARCH_TABLE, in_declared_schema
from tests.integration.conftest import fresh_mariadb_database

pytestmark = pytest.mark.integration


def sync_url(url: str) -> sa.URL:
    """The same database through a sync driver (Alembic's comparison is synchronous)."""
    parsed = make_url(url)
    driver = "sqlite" if parsed.get_backend_name() == "sqlite" else "mysql+pymysql"
    return parsed.set(drivername=driver)


def _declared(obj: object, name: str | None, type_: str, reflected: bool, other: object) -> bool:
    return in_declared_schema(name, type_)


def differences(url: str) -> list[Any]:
    engine = sa.create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            opts = {"compare_type": True, "include_object": _declared}
            context = MigrationContext.configure(conn, opts=opts)
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = sa.create_engine(sync_url(url))
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def feed_head(url: str) -> list[tuple[int, int]]:
    engine = sa.create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id, position FROM feed_head")).all()
            return [(int(r[0]), int(r[1])) for r in rows]
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "mariadb"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    with fresh_mariadb_database("messenger_test_migrations") as url:
        yield url


def test_migrations_round_trip_and_match_the_declared_tables(empty_database: str) -> None:
    url = empty_database
    upgrade_database(url)
    assert set(metadata.tables) <= tables(url)
    assert differences(url) == []
    assert feed_head(url) == [(1, 0)]

    downgrade_database(url, "base")
    assert tables(url) <= {"alembic_version"}
    # The drift check can fail: against the empty schema it reports every table.
    assert len(differences(url)) >= len(metadata.tables)

    upgrade_database(url)
    assert differences(url) == []
    assert feed_head(url) == [(1, 0)]


def test_mariadb_tables_are_innodb_utf8mb4_with_microsecond_times(mariadb_url: str) -> None:
    engine = sa.create_engine(sync_url(mariadb_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT table_name, engine, table_collation FROM information_schema.tables"
                    " WHERE table_schema = DATABASE() AND table_name <> 'alembic_version'"
                )
            ).all()
            times = conn.execute(
                sa.text(
                    "SELECT DISTINCT datetime_precision FROM information_schema.columns"
                    " WHERE table_schema = DATABASE() AND data_type = 'datetime'"
                )
            ).all()
    finally:
        engine.dispose()
    assert {r[0] for r in rows} == set(metadata.tables) | {SEARCH_TABLE}
    assert {(r[1], r[2]) for r in rows} == {("InnoDB", "utf8mb4_unicode_ci")}
    assert [t[0] for t in times] == [6]


def test_avatars_that_were_the_users_own_files_survive_the_move_to_file_ids(
    empty_database: str,
) -> None:
    url = empty_database
    upgrade_database(url, "0001")
    engine = sa.create_engine(sync_url(url))
    t = "2026-01-01 00:00:00"
    try:
        with engine.begin() as conn:
            for uid, avatar in [
                (1, "/api/v1/files/own1"),
                (2, "https://tracker.example/p.png"),
                (3, "/chat/api/v1/files/own1"),  # alice's file, not carol's
                (4, None),
            ]:
                conn.execute(
                    sa.text(
                        "INSERT INTO users (id, username, password_hash, display_name, "
                        "avatar_url, bio, created_at, delivered_cursor) "
                        "VALUES (:id, :name, 'h', :name, :avatar, '', :t, 0)"
                    ),
                    {"id": uid, "name": f"user{uid}", "avatar": avatar, "t": t},
                )
            conn.execute(
                sa.text(
                    "INSERT INTO files (id, owner_id, name, content_type, size, storage_key, "
                    "created_at) VALUES ('own1', 1, 'a.png', 'image/png', 1, 'own1', :t)"
                ),
                {"t": t},
            )
        upgrade_database(url)
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id, avatar_file_id FROM users ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [(1, "own1"), (2, None), (3, None), (4, None)]

        downgrade_database(url, "0001")
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id, avatar_url FROM users ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [
            (1, "/api/v1/files/own1"),
            (2, None),
            (3, None),
            (4, None),
        ]
    finally:
        engine.dispose()


def test_old_feed_rows_of_edits_and_deletions_get_their_message_named(
    empty_database: str,
) -> None:
    url = empty_database
    upgrade_database(url, "0002")
    engine = sa.create_engine(sync_url(url))
    t = "2026-01-01 00:00:00"
    message = '{"id":7,"chat_id":3,"sender_id":2,"client_id":"c","text":"x","created_at":"%s"}'
    rows = [
        (1, "new_message", 7, 2),
        (2, "message_updated", None, None),
        (3, "message_deleted", None, None),
        (4, "messages_read", None, None),
    ]
    try:
        with engine.begin() as conn:
            for position, type_, message_id, sender_id in rows:
                data = '{"chat":3,"user_id":1,"message_id":7}'
                if type_ != "messages_read":
                    data = '{"message":' + message % "2026-01-01T00:00:00Z" + "}"
                conn.execute(
                    sa.text(
                        "INSERT INTO feed (position, chat_id, type, message_id, sender_id, "
                        "payload, created_at) VALUES (:p, 3, :type, :m, :s, :payload, :t)"
                    ),
                    {
                        "p": position,
                        "type": type_,
                        "m": message_id,
                        "s": sender_id,
                        "payload": '{"type":"' + type_ + '","data":' + data + "}",
                        "t": t,
                    },
                )
        upgrade_database(url)
        query = sa.text("SELECT position, message_id, sender_id FROM feed ORDER BY position")
        with engine.connect() as conn:
            named = [tuple(r) for r in conn.execute(query).all()]
        assert named == [(1, 7, 2), (2, 7, 2), (3, 7, 2), (4, None, None)]

        downgrade_database(url, "0002")
        with engine.connect() as conn:
            named = [tuple(r) for r in conn.execute(query).all()]
        assert named == [(1, 7, 2), (2, None, None), (3, None, None), (4, None, None)]
    finally:
        engine.dispose()
