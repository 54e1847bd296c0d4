"""Per-user budgets over real HTTP: posting like the socket does, new chats, the upload
quota."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.integration.http.conftest import LiveServer, start_server
from tests.integration.http.support import Account, assert_problem, register

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def limited_server(request: pytest.FixtureRequest, backend: str) -> Iterator[LiveServer]:
    live = start_server(
        request,
        backend,
        limit_post_rate=1,
        limit_post_burst=3,
        limit_chats_per_hour=2,
        limit_upload_quota_bytes=1000,
        max_upload_bytes=800,
    )
    yield live
    live.stop()


@pytest.fixture
def client(limited_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{limited_server.url}/api/v1", timeout=30) as http:
        yield http


def _dialog(http: httpx.Client, user: Account, peer: Account) -> int:
    response = http.post(
        "/chats", json={"kind": "direct", "user_id": peer.id}, headers=user.headers
    )
    assert response.status_code in (200, 201), response.text
    chat_id: int = response.json()["id"]
    return chat_id


def _post(http: httpx.Client, user: Account, chat_id: int, client_id: str) -> httpx.Response:
    return http.post(
        f"/chats/{chat_id}/messages",
        json={"client_id": client_id, "text": f"text {client_id}"},
        headers=user.headers,
    )


def test_rest_posts_beyond_the_burst_get_429_with_retry_after(client: httpx.Client) -> None:
    alice, bob = register(client, "alice"), register(client, "bob")
    chat = _dialog(client, alice, bob)
    first = _post(client, alice, chat, "m-1")
    assert first.status_code == 201, first.text
    assert [_post(client, alice, chat, f"m-{i}").status_code for i in (2, 3)] == [201, 201]

    refused = _post(client, alice, chat, "m-4")

    assert_problem(refused, 429, "throttled")
    assert int(refused.headers["retry-after"]) >= 1
    # A client retrying a message whose answer it lost gets it, budget or not.
    again = _post(client, alice, chat, "m-1")
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    history = client.get(f"/chats/{chat}/messages", headers=bob.headers).json()
    assert [m["client_id"] for m in history["items"]] == ["m-1", "m-2", "m-3"]
    # Bob's budget is his own.
    assert _post(client, bob, chat, "b-1").status_code == 201


def test_new_chats_beyond_the_hourly_budget_get_429(client: httpx.Client) -> None:
    alice, bob, carol = (register(client, n) for n in ("alice", "bob", "carol"))
    _dialog(client, alice, bob)
    group = client.post(
        "/chats", json={"kind": "group", "title": "Team", "member_ids": []}, headers=alice.headers
    )
    assert group.status_code == 201, group.text

    refused = client.post(
        "/chats", json={"kind": "direct", "user_id": carol.id}, headers=alice.headers
    )

    assert_problem(refused, 429, "throttled")
    assert int(refused.headers["retry-after"]) > 60
    # Opening the existing dialog again creates nothing and costs nothing.
    _dialog(client, alice, bob)


def test_uploads_beyond_the_quota_get_413_quota_exceeded(client: httpx.Client) -> None:
    alice = register(client, "alice")

    def upload(size: int) -> httpx.Response:
        return client.post(
            "/files",
            files={"file": ("data.bin", b"x" * size, "application/octet-stream")},
            headers=alice.headers,
        )

    assert upload(600).status_code == 201

    over = upload(600)

    assert_problem(over, 413, "quota_exceeded")
    # Over the size limit stays "too large"; what fits in the quota is stored.
    assert_problem(upload(900), 413, "too_large")
    assert upload(400).status_code == 201
    assert_problem(upload(1), 413, "quota_exceeded")
