"""``POST /auth/password`` and the common-password rule, over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.http.support import PASSWORD, Account, assert_problem, unique

pytestmark = pytest.mark.integration

NEW_PASSWORD = "violet kettle marathon"


def _login(http: httpx.Client, account: Account, password: str = PASSWORD) -> httpx.Response:
    return http.post("/auth/login", json={"login": account.username, "password": password})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_changing_the_password_answers_204_and_ends_every_other_session(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    other = _login(http, alice).json()

    changed = http.post(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=alice.headers,
    )

    assert changed.status_code == 204, changed.text
    assert not changed.content
    # The other device is logged out: its access and refresh tokens are dead.
    assert_problem(
        http.get("/users/me", headers=_bearer(other["access_token"])), 401, "invalid_token"
    )
    assert_problem(
        http.post("/auth/refresh", json={"refresh_token": other["refresh_token"]}),
        401,
        "invalid_token",
    )
    # The device that changed it stays logged in, tokens and all.
    assert http.get("/users/me", headers=alice.headers).status_code == 200
    sessions = http.get("/auth/sessions", headers=alice.headers).json()["items"]
    assert [s["id"] for s in sessions] == [alice.session_id]
    refreshed = http.post("/auth/refresh", json={"refresh_token": alice.refresh_token})
    assert refreshed.status_code == 200, refreshed.text
    # Only the new password logs in; nobody else was touched.
    assert_problem(_login(http, alice), 401, "invalid_credentials")
    assert _login(http, alice, NEW_PASSWORD).status_code == 200
    assert http.get("/users/me", headers=bob.headers).status_code == 200


def test_a_wrong_current_password_is_403_invalid_credentials_and_changes_nothing(
    http: httpx.Client, alice: Account
) -> None:
    other = _login(http, alice).json()

    wrong = http.post(
        "/auth/password",
        json={"current_password": "not my password", "new_password": NEW_PASSWORD},
        headers=alice.headers,
    )

    assert_problem(wrong, 403, "invalid_credentials")
    assert http.get("/users/me", headers=_bearer(other["access_token"])).status_code == 200
    assert _login(http, alice).status_code == 200


def test_a_common_new_password_is_422_password_too_common_on_new_password(
    http: httpx.Client, alice: Account
) -> None:
    refused = http.post(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": "Sunshine1"},
        headers=alice.headers,
    )

    body = assert_problem(refused, 422, "password_too_common")
    assert body["field"] == "new_password"
    assert _login(http, alice).status_code == 200


def test_registering_with_a_common_password_is_422_and_a_passphrase_is_fine(
    http: httpx.Client,
) -> None:
    refused = http.post("/auth/register", json={"username": unique(), "password": "Qwerty123"})
    body = assert_problem(refused, 422, "password_too_common")
    assert body["field"] == "password"

    passphrase = "dragon monkey football sunshine " * 3
    accepted = http.post("/auth/register", json={"username": unique(), "password": passphrase})
    assert accepted.status_code == 201, accepted.text


def test_wrong_current_passwords_are_throttled_like_logins(
    http: httpx.Client, alice: Account
) -> None:
    guess = {"current_password": "a wrong guess", "new_password": NEW_PASSWORD}
    for _ in range(5):
        assert_problem(
            http.post("/auth/password", json=guess, headers=alice.headers),
            403,
            "invalid_credentials",
        )

    right = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    locked = http.post("/auth/password", json=right, headers=alice.headers)
    assert_problem(locked, 429, "throttled")
    assert int(locked.headers["retry-after"]) >= 1
    # The guesses count for logging in from this address too.
    assert_problem(_login(http, alice), 429, "throttled")


@pytest.mark.parametrize(
    "body",
    [
        {"new_password": NEW_PASSWORD},
        {"current_password": PASSWORD},
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "extra": 1},
        {"current_password": 1, "new_password": NEW_PASSWORD},
    ],
)
def test_a_malformed_body_is_a_client_error(
    http: httpx.Client, alice: Account, body: dict[str, object]
) -> None:
    response = http.post("/auth/password", json=body, headers=alice.headers)

    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_changing_the_password_needs_a_token(http: httpx.Client) -> None:
    anonymous = http.post(
        "/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert anonymous.status_code == 401
