"""``messenger cleanup-uploads`` deletes what nobody attached, rows and bytes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from messenger.adapters.memory import FastHasher, TickingClock
from messenger.container import Container, running
from messenger.entrypoints import cli
from messenger.settings import Settings

pytestmark = pytest.mark.integration


async def _one_byte() -> AsyncIterator[bytes]:
    yield b"x"


async def test_cleanup_uploads_deletes_old_unattached_uploads(
    shell_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = shell_settings
    # Uploaded two days ago, by a server whose clock said so.
    clock = TickingClock(start=datetime.now(UTC) - timedelta(days=2))
    container = Container(settings=settings, clock=clock, hasher=FastHasher())
    async with running(container) as (app, _):
        alice = (await app.register("alice", "password-123")).user.id
        old = await app.upload_file(alice, "old.txt", None, _one_byte())
    on_disk = settings.upload_dir / old.storage_key[:2] / old.storage_key
    assert on_disk.exists()

    with pytest.raises(SystemExit) as exited:
        # asyncio.run inside: from a worker thread, as this test already runs a loop.
        await asyncio.to_thread(cli.main, ["cleanup-uploads"])

    assert exited.value.code == 0
    assert "deleted 1 uploads" in capsys.readouterr().out
    assert not on_disk.exists()
