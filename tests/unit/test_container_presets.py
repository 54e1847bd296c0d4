"""The composition root picks the committer for the storage: memory writes each post alone."""

from __future__ import annotations

import asyncio
from pathlib import Path

from messenger.adapters.memory import DirectCommitter, InMemorySessionTrust
from messenger.container import Container, running
from messenger.settings import Settings


async def test_memory_storage_writes_each_post_alone_and_trusts_sessions_per_process(
    tmp_path: Path,
) -> None:
    settings = Settings(
        secret_key="container-test-secret-key-0123456789abcdef",
        database_url="memory://",
        upload_dir=tmp_path / "uploads",
    )
    async with running(Container(settings=settings)) as (app, _):
        assert isinstance(app.ports.committer, DirectCommitter)
        assert isinstance(app.ports.sessions, InMemorySessionTrust)
        alice = (await app.register("alice", "correct horse")).user.id
        bob = (await app.register("bob", "correct horse")).user.id
        chat = (await app.open_dialog(alice, bob))[0].chat.id
        results = await asyncio.gather(
            *(app.post_message(alice, chat, f"c{i}", "hi") for i in range(10))
        )
        assert [r.message.id for r in results] == sorted(r.message.id for r in results)
