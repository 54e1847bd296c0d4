"""The admin console is the web client's own page at ``/admin``, never in the API's way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from messenger.container import Container
from messenger.entrypoints.http import create_app
from messenger.entrypoints.webclient import CONTENT_SECURITY_POLICY, find_web_dir
from messenger.settings import Settings

pytestmark = pytest.mark.skipif(find_web_dir() is None, reason="no web client checked out")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient[Litestar]]:
    settings = Settings(
        secret_key="console-test-secret-key-0123456789abcdef",
        database_url="memory://",
        upload_dir=tmp_path / "uploads",
    )
    with TestClient(create_app(Container(settings=settings))) as test_client:
        yield test_client


@pytest.mark.parametrize("path", ["/admin", "/admin/", "/admin/users", "/admin/audit/42"])
def test_the_console_and_every_path_below_it_is_the_client_page(
    client: TestClient[Litestar], path: str
) -> None:
    index = client.get("/")
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text == index.text
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "no-cache" in response.headers["cache-control"]


def test_the_pages_relative_files_resolve_below_the_console_too(
    client: TestClient[Litestar],
) -> None:
    assert client.get("/admin/app.js").text == client.get("/app.js").text
    assert client.get("/admin/app.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/admin/locales/en.json").json() == client.get("/locales/en.json").json()


def test_no_file_outside_the_client_is_reachable_through_the_console(
    client: TestClient[Litestar],
) -> None:
    for path in ("/admin/%2e%2e/%2e%2e/pyproject.toml", "/admin/locales/%2e%2e/%2e%2e/README.md"):
        response = client.get(path)
        assert response.headers["content-type"].startswith("text/html"), path
        assert "[project]" not in response.text


def test_the_admin_api_is_not_the_console_page(client: TestClient[Litestar]) -> None:
    for path in ("/api/v1/admin", "/api/v1/admin/users", "/api/v1/nothing/admin"):
        response = client.get(path)
        assert response.status_code in (401, 404), path
        assert not response.headers["content-type"].startswith("text/html"), path
    assert client.get("/adminx").status_code == 404
