"""The SQL preset of the composition root group-commits posts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from messenger.adapters.batching import BatchingCommitter
from messenger.adapters.memory import InMemorySessionTrust
from messenger.container import Container, running
from messenger.settings import Settings
from tests.integration.conftest import empty_mariadb

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("database", ["sqlite", "mariadb"])
async def test_sql_storage_group_commits_posts(
    database: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = request.getfixturevalue(f"{database}_url")
    if database == "mariadb":
        empty_mariadb(url)
    settings = Settings(
        secret_key="container-test-secret-key-0123456789abcdef",
        database_url=url,
        upload_dir=tmp_path / "uploads",
    )
    async with running(Container(settings=settings)) as (app, _):
        assert isinstance(app.ports.committer, BatchingCommitter)
        assert isinstance(app.ports.sessions, InMemorySessionTrust)
        alice = (await app.register("alice", "correct horse")).user.id
        bob = (await app.register("bob", "correct horse")).user.id
        chat = (await app.open_dialog(alice, bob))[0].chat.id
        results = await asyncio.gather(
            *(app.post_message(alice, chat, f"c{i}", "hi") for i in range(20))
        )
        ids = [r.message.id for r in results]
        assert ids == sorted(ids)
        page = await app.read_history(bob, chat, limit=50)
        assert [m.id for m in page.items] == ids
