"""``messenger serve`` configures uvicorn for many mostly idle sockets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn

from messenger.entrypoints import cli
from messenger.entrypoints.ws.uvicorn_protocol import CompactWebSocketProtocol


@pytest.fixture
def uvicorn_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    monkeypatch.setenv("MESSENGER_SECRET_KEY", "cli-test-secret-key-0123456789abcdef!")
    monkeypatch.setenv("MESSENGER_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/m.db")
    monkeypatch.setenv("MESSENGER_UPLOAD_DIR", str(tmp_path / "uploads"))
    options: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: options.update(kwargs))
    return options


def test_serve_uses_the_compact_socket_protocol(uvicorn_options: dict[str, Any]) -> None:
    cli.serve("127.0.0.1", 8123)
    assert uvicorn_options["ws"] is CompactWebSocketProtocol
