"""A real uvicorn server on a free port, per storage backend, and HTTP helpers.

The server runs the same ``create_app(Container(settings))`` that ``messenger serve`` runs,
in a background thread with its own event loop; tests talk to it over real sockets.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from litestar.types import ControllerRouterHandler

from messenger.container import Container, upgrade_database
from messenger.entrypoints.http import create_app
from messenger.settings import Settings
from tests.integration.conftest import fresh_mariadb_database
from tests.integration.http.support import Account, register

pytestmark = pytest.mark.integration

SECRET = "integration-test-secret-key-0123456789abcdef"


BACKENDS = ["sqlite", "mariadb"]


class LiveServer:
    """uvicorn serving the app in a thread; ``url`` is its base URL."""

    def __init__(
        self, settings: Settings, route_handlers: Sequence[ControllerRouterHandler] = ()
    ) -> None:
        self.settings = settings
        self.container = Container(settings=settings)
        # The server's administrator, where a fixture registered one.
        self.admin: Account | None = None
        app = create_app(self.container, extra_route_handlers=route_handlers)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        host, port = self._sock.getsockname()
        self.url = f"http://{host}:{port}"
        config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._sock.close()


def _database_url(request: pytest.FixtureRequest, backend: str, tmp: Path) -> str:
    if backend == "memory":
        return "memory://"
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp / 'messenger.db'}"
    # A database of its own: the storage suites empty the shared one between their tests.
    database = fresh_mariadb_database("messenger_http")
    url = database.__enter__()
    request.addfinalizer(lambda: database.__exit__(None, None, None))
    return url


def start_server(request: pytest.FixtureRequest, backend: str, **overrides: Any) -> LiveServer:
    """Migrate a fresh database of ``backend`` and serve it (with ``route_handlers``, extra
    routes under ``/api/v1``)."""
    route_handlers = overrides.pop("route_handlers", ())
    tmp = Path(request.getfixturevalue("tmp_path_factory").mktemp(f"http-{backend}"))
    url = _database_url(request, backend, tmp)
    upgrade_database(url)
    settings = Settings(
        secret_key=SECRET,
        database_url=url,
        upload_dir=tmp / "uploads",
        max_upload_bytes=overrides.pop("max_upload_bytes", 256 * 1024),
        auth_rate_limit=overrides.pop("auth_rate_limit", 100_000),
        # The suites share one server and post, open chats and upload as fast as they can;
        # the limits' own tests ask for them.
        limit_post_rate=overrides.pop("limit_post_rate", 0),
        limit_chats_per_hour=overrides.pop("limit_chats_per_hour", 0),
        limit_member_adds_per_hour=overrides.pop("limit_member_adds_per_hour", 0),
        limit_uploads_per_minute=overrides.pop("limit_uploads_per_minute", 0),
        **overrides,
    )
    server = LiveServer(settings, route_handlers)
    server.start()
    return server


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def server(request: pytest.FixtureRequest, backend: str) -> Iterator[LiveServer]:
    live = start_server(request, backend)
    # The first account of a fresh server is its administrator: taken here, so that no
    # suite's account (the fuzzer's least of all) may change the shared server's settings
    # or deactivate others' accounts.
    with httpx.Client(base_url=f"{live.url}/api/v1", timeout=30) as http:
        live.admin = register(http, "root")
    yield live
    live.stop()


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=30) as client:
        yield client


@pytest.fixture
def alice(http: httpx.Client) -> Account:
    return register(http, "alice")


@pytest.fixture
def bob(http: httpx.Client) -> Account:
    return register(http, "bob")
