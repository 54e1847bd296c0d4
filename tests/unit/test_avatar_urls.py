"""An avatar is a file of the server's own: its URL in, the same URL out, nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from messenger.container import Container
from messenger.contract import Wire
from messenger.entrypoints.http import create_app
from messenger.settings import Settings
from tests import pictures


@pytest.mark.parametrize(
    ("root_path", "url", "file_id"),
    [
        ("", "/api/v1/files/abc_-1", "abc_-1"),
        ("/chat", "/chat/api/v1/files/abc", "abc"),
        ("/chat", "/api/v1/files/abc", None),  # not where this server's files are
        ("", "https://example.com/api/v1/files/abc", None),
        ("", "/api/v1/files/", None),
        ("", "/api/v1/files/abc/x", None),
        ("", "/api/v1/files/abc?x=1", None),
        ("", "/api/v1/files/abc#x", None),
        ("", "/api/v1/files/%2e%2e", None),
        ("", "/api/v1/files/" + "a" * 65, None),
    ],
)
def test_only_a_url_of_this_servers_files_names_a_file(
    root_path: str, url: str, file_id: str | None
) -> None:
    assert Wire(root_path).file_id_of(url) == file_id


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient[Litestar]]:
    settings = Settings(
        secret_key="avatar-test-secret-key-0123456789abcdef",
        database_url="memory://",
        upload_dir=tmp_path / "uploads",
        root_path="/chat",
    )
    with TestClient(create_app(Container(settings=settings))) as test_client:
        yield test_client


def test_an_uploaded_file_becomes_the_avatar_under_the_root_path(
    client: TestClient[Litestar],
) -> None:
    token = client.post(
        "/api/v1/auth/register", json={"username": "alice", "password": "correct horse"}
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    picture = client.post(
        "/api/v1/files",
        files={"file": ("me.png", pictures.picture(40, 30), "image/png")},
        headers=auth,
    ).json()
    assert picture["url"].startswith("/chat/api/v1/files/")

    refused = client.patch(
        "/api/v1/users/me", json={"avatar_url": f"/api/v1/files/{picture['id']}"}, headers=auth
    )
    assert (refused.status_code, refused.json()["field"]) == (422, "avatar_url")
    accepted = client.patch("/api/v1/users/me", json={"avatar_url": picture["url"]}, headers=auth)

    assert accepted.status_code == 200
    me = accepted.json()
    # Made into the avatar's two sizes, which are where the avatar is now.
    assert me["avatar_url"] == me["avatar"]["large"]
    assert me["avatar_url"].startswith(f"/chat/api/v1/users/{me['id']}/avatar?size=512&v=")
    assert client.get("/api/v1/users/me", headers=auth).json()["avatar_url"] == me["avatar_url"]
    # A client of before sends its profile back unchanged: the avatar stays.
    again = client.patch("/api/v1/users/me", json={"avatar_url": me["avatar_url"]}, headers=auth)
    assert again.json()["avatar"] == me["avatar"]
    removed = client.patch("/api/v1/users/me", json={"avatar_url": ""}, headers=auth)
    assert removed.json()["avatar_url"] is None
    assert removed.json()["avatar"] is None
