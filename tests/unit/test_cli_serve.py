"""``messenger serve`` configures uvicorn for many mostly idle sockets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn

from messenger.entrypoints import cli
from messenger.entrypoints.ws.uvicorn_protocol import CompactWebSocketProtocol
from messenger.settings import Settings


@pytest.fixture
def uvicorn_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    monkeypatch.setenv("MESSENGER_SECRET_KEY", "cli-test-secret-key-0123456789abcdef!")
    monkeypatch.setenv("MESSENGER_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/m.db")
    monkeypatch.setenv("MESSENGER_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.delenv("MESSENGER_WS_COMPRESSION", raising=False)
    options: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: options.update(kwargs))
    return options


def test_serve_uses_the_compact_socket_protocol_without_compression(
    uvicorn_options: dict[str, Any],
) -> None:
    cli.serve("127.0.0.1", 8123)
    assert uvicorn_options["ws"] is CompactWebSocketProtocol
    assert uvicorn_options["ws_per_message_deflate"] is False


def test_socket_compression_can_be_turned_on(
    uvicorn_options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MESSENGER_WS_COMPRESSION", "1")
    cli.serve("127.0.0.1", 8123)
    assert uvicorn_options["ws_per_message_deflate"] is True


@pytest.mark.parametrize(
    ("raw", "on"), [("", False), ("0", False), ("no", False), ("1", True), ("true", True)]
)
def test_the_compression_setting_reads_the_usual_spellings(raw: str, on: bool) -> None:
    env = {"MESSENGER_SECRET_KEY": "x" * 32, "MESSENGER_WS_COMPRESSION": raw}
    assert Settings.from_env(env).ws_compression is on
