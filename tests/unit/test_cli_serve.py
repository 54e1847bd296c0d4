"""``messenger serve`` configures uvicorn for many mostly idle sockets."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from messenger.adapters.sqlalchemy import upgrade_database
from messenger.entrypoints import cli
from messenger.entrypoints.ws import SessionConfig
from messenger.entrypoints.ws.uvicorn_protocol import CompactWebSocketProtocol
from messenger.settings import Settings


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database to copy: serve refuses one that is not."""
    path = tmp_path_factory.mktemp("migrated") / "m.db"
    upgrade_database(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def uvicorn_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, migrated_sqlite: Path
) -> dict[str, Any]:
    monkeypatch.setenv("MESSENGER_SECRET_KEY", "cli-test-secret-key-0123456789abcdef!")
    url = f"sqlite+aiosqlite:///{tmp_path}/m.db"
    shutil.copyfile(migrated_sqlite, tmp_path / "m.db")
    monkeypatch.setenv("MESSENGER_DATABASE_URL", url)
    monkeypatch.setenv("MESSENGER_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.delenv("MESSENGER_WS_COMPRESSION", raising=False)
    options: dict[str, Any] = {}

    def run(server: uvicorn.Server, sockets: Any = None) -> None:
        config = server.config
        options.update(
            server=server,
            ws=config.ws,
            ws_per_message_deflate=config.ws_per_message_deflate,
            ws_max_size=config.ws_max_size,
            proxy_headers=config.proxy_headers,
        )

    monkeypatch.setattr(uvicorn.Server, "run", run)
    return options


def test_serve_uses_the_compact_socket_protocol_without_compression(
    uvicorn_options: dict[str, Any],
) -> None:
    cli.serve("127.0.0.1", 8123)
    assert uvicorn_options["ws"] is CompactWebSocketProtocol
    assert uvicorn_options["ws_per_message_deflate"] is False


def test_serve_drains_the_sockets_before_uvicorn_closes_them(
    uvicorn_options: dict[str, Any],
) -> None:
    cli.serve("127.0.0.1", 8123)
    server = uvicorn_options["server"]
    assert type(server).shutdown is not uvicorn.Server.shutdown


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


def test_serve_gives_uvicorn_the_apps_frame_limit(uvicorn_options: dict[str, Any]) -> None:
    # uvicorn's own default (16 MiB) would buffer a frame 256 times the app's limit first.
    cli.serve("127.0.0.1", 8123)
    assert uvicorn_options["ws_max_size"] == SessionConfig().max_frame_bytes == 64 * 1024


def test_forwarded_headers_are_ignored_unless_the_proxies_are_named(
    uvicorn_options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    cli.serve("127.0.0.1", 8123)
    assert uvicorn_options["proxy_headers"] is False

    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.5")
    cli.serve("127.0.0.1", 8123)
    assert uvicorn_options["proxy_headers"] is True


def test_browser_origins_default_to_the_desktop_client_only() -> None:
    # The web client is served by the server itself (its own origin always passes); a dev
    # server on :3000 is `make run`'s to allow.
    assert Settings.from_env({"MESSENGER_SECRET_KEY": "x" * 32}).cors_origins == ("app://.",)
