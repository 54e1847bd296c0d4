"""Refresh rotation and reuse detection, and login throttling (per account, per address)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.integration.http.conftest import LiveServer, start_server
from tests.integration.http.support import PASSWORD, Account, assert_problem, register, unique

pytestmark = pytest.mark.integration


def test_refresh_rotates_the_pair(http: httpx.Client, alice: Account) -> None:
    first = http.post("/auth/refresh", json={"refresh_token": alice.refresh_token})
    assert first.status_code == 200
    pair = first.json()
    assert pair["refresh_token"] != alice.refresh_token
    assert pair["session_id"] == alice.session_id
    assert (
        http.get(
            "/users/me", headers={"Authorization": f"Bearer {pair['access_token']}"}
        ).status_code
        == 200
    )
    second = http.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert second.status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_whole_session(
    http: httpx.Client, alice: Account
) -> None:
    rotated = http.post("/auth/refresh", json={"refresh_token": alice.refresh_token}).json()
    reuse = http.post("/auth/refresh", json={"refresh_token": alice.refresh_token})
    assert_problem(reuse, 401, "invalid_token")
    # The thief's copy and the client's newer token are both dead now.
    assert_problem(
        http.post("/auth/refresh", json={"refresh_token": rotated["refresh_token"]}),
        401,
        "invalid_token",
    )
    assert_problem(
        http.get("/users/me", headers={"Authorization": f"Bearer {rotated['access_token']}"}),
        401,
        "invalid_token",
    )


def test_an_unknown_refresh_token_is_401(http: httpx.Client) -> None:
    assert_problem(
        http.post("/auth/refresh", json={"refresh_token": "x" * 43}), 401, "invalid_token"
    )


def test_repeated_wrong_passwords_lock_the_account_with_retry_after(http: httpx.Client) -> None:
    account = register(http, "victim")
    for _ in range(5):
        wrong = http.post("/auth/login", json={"login": account.username, "password": "nope nope"})
        assert_problem(wrong, 401, "invalid_credentials")
    locked = http.post("/auth/login", json={"login": account.username, "password": PASSWORD})
    assert_problem(locked, 429, "throttled")
    assert int(locked.headers["retry-after"]) >= 1
    # Other accounts are unaffected.
    other = register(http, "other")
    ok = http.post("/auth/login", json={"login": other.username, "password": PASSWORD})
    assert ok.status_code == 200


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out_of_another(
    server: LiveServer, http: httpx.Client
) -> None:
    account = register(http, "owner")
    for _ in range(6):
        wrong = http.post("/auth/login", json={"login": account.username, "password": "nope nope"})
        assert wrong.status_code in (401, 429)
    locked = http.post("/auth/login", json={"login": account.username, "password": PASSWORD})
    assert_problem(locked, 429, "throttled")
    # The owner, from their own machine (127.0.0.2 on loopback), logs in at once.
    own_machine = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=f"{server.url}/api/v1", transport=own_machine, timeout=30) as owner:
        ok = owner.post("/auth/login", json={"login": account.username, "password": PASSWORD})
        assert ok.status_code == 200, ok.text


@pytest.fixture
def strict_server(request: pytest.FixtureRequest, backend: str) -> Iterator[LiveServer]:
    live = start_server(request, backend, auth_rate_limit=5)
    yield live
    live.stop()


def test_one_address_is_limited_on_the_auth_routes(strict_server: LiveServer) -> None:
    with httpx.Client(base_url=f"{strict_server.url}/api/v1", timeout=30) as http:
        statuses = [
            http.post("/auth/login", json={"login": unique(), "password": "whatever1"}).status_code
            for _ in range(5)
        ]
        assert statuses == [401] * 5
        limited = http.post("/auth/login", json={"login": unique(), "password": "whatever1"})
        assert_problem(limited, 429, "throttled")
        assert int(limited.headers["retry-after"]) >= 1
        # Only the credential-taking routes are limited.
        assert http.get("/health").status_code == 200
