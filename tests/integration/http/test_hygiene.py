"""Account and chat hygiene over real HTTP, on SQLite and MariaDB: ``DELETE /users/me``,
``DELETE /chats/{id}/messages``, ``DELETE /messages/{id}?for=me`` and the dialog routes by
the other user (``/chats/direct/{user_id}/messages``, ``/chats/direct/{user_id}/read``)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.contract_check import check_sync_event
from tests.integration.http.support import PASSWORD, Account, assert_problem, register

pytestmark = pytest.mark.integration


def _dialog(http: httpx.Client, a: Account, b: Account) -> int:
    response = http.post("/chats", json={"kind": "direct", "user_id": b.id}, headers=a.headers)
    assert response.status_code in (200, 201), response.text
    chat_id: int = response.json()["id"]
    return chat_id


def _post(http: httpx.Client, account: Account, chat_id: int, text: str) -> int:
    response = http.post(
        f"/chats/{chat_id}/messages",
        json={"client_id": f"c-{text}", "text": text},
        headers=account.headers,
    )
    assert response.status_code == 201, response.text
    message_id: int = response.json()["id"]
    return message_id


def _history(http: httpx.Client, account: Account, chat_id: int, **params: Any) -> list[int]:
    response = http.get(f"/chats/{chat_id}/messages", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    return [m["id"] for m in response.json()["items"]]


def _synced(http: httpx.Client, account: Account) -> list[dict[str, Any]]:
    response = http.get("/sync", params={"since": 0}, headers=account.headers)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    for event in events:
        check_sync_event(event)
    return events


def _delete_account(
    http: httpx.Client, account: Account, password: str = PASSWORD, **params: Any
) -> httpx.Response:
    return http.request(
        "DELETE", "/users/me", json={"password": password}, params=params, headers=account.headers
    )


def _login(http: httpx.Client, username: str) -> httpx.Response:
    return http.post("/auth/login", json={"login": username, "password": PASSWORD})


# --- DELETE /users/me ----------------------------------------------------------------------


def test_deleting_the_account_ends_it_at_once_and_frees_the_username(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = _dialog(http, alice, bob)
    message_id = _post(http, alice, chat_id, "hello")

    deleted = _delete_account(http, alice)

    assert deleted.status_code == 204, deleted.text
    assert_problem(http.get("/users/me", headers=alice.headers), 401, "invalid_token")
    assert_problem(
        http.post("/auth/refresh", json={"refresh_token": alice.refresh_token}),
        401,
        "invalid_token",
    )
    assert_problem(_login(http, alice.username), 401, "invalid_credentials")
    profile = http.get(f"/users/{alice.id}", headers=bob.headers).json()
    assert profile["deleted"] is True
    assert profile["display_name"] == "Deleted account"
    assert profile["username"] == f"deleted-{alice.id}"
    [kept] = http.get(f"/chats/{chat_id}/messages", headers=bob.headers).json()["items"]
    assert (kept["id"], kept["sender_id"], kept["text"]) == (message_id, alice.id, "hello")
    found = http.get("/users", params={"q": alice.username}, headers=bob.headers).json()
    assert found["items"] == []
    again = http.post("/auth/register", json={"username": alice.username, "password": PASSWORD})
    assert again.status_code == 201, again.text
    assert again.json()["user"]["id"] != alice.id
    assert _login(http, alice.username).json()["user"]["id"] == again.json()["user"]["id"]


def test_a_wrong_password_is_403_and_counts_against_the_login_throttle(
    http: httpx.Client, alice: Account
) -> None:
    for _ in range(5):
        assert_problem(_delete_account(http, alice, "a wrong guess"), 403, "invalid_credentials")

    assert_problem(_delete_account(http, alice), 429, "throttled")
    assert_problem(_login(http, alice.username), 429, "throttled")
    assert http.get("/users/me", headers=alice.headers).status_code == 200


def test_erase_messages_deletes_them_for_everyone(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = _dialog(http, alice, bob)
    mine = [_post(http, alice, chat_id, f"m{i}") for i in range(3)]
    bobs = _post(http, bob, chat_id, "bob's")

    assert _delete_account(http, alice, erase_messages="true").status_code == 204

    items = http.get(f"/chats/{chat_id}/messages", headers=bob.headers).json()["items"]
    assert [(m["id"], m["deleted"], m["text"]) for m in items] == [
        *((i, True, "") for i in mine),
        (bobs, False, "bob's"),
    ]
    deleted = [e for e in _synced(http, bob) if e["type"] == "message_deleted"]
    assert [e["data"]["message"]["id"] for e in deleted] == mine


def test_nobody_can_open_write_to_or_add_a_deleted_account(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = _dialog(http, bob, alice)
    group = http.post(
        "/chats", json={"kind": "group", "title": "Team", "member_ids": []}, headers=bob.headers
    )
    assert _delete_account(http, alice).status_code == 204

    for response in (
        http.post("/chats", json={"kind": "direct", "user_id": alice.id}, headers=bob.headers),
        http.post(
            f"/chats/{chat_id}/messages",
            json={"client_id": "x", "text": "still there?"},
            headers=bob.headers,
        ),
        http.post(
            f"/chats/{group.json()['id']}/members", json={"user_id": alice.id}, headers=bob.headers
        ),
        http.post(
            "/chats",
            json={"kind": "group", "title": "New", "member_ids": [alice.id]},
            headers=bob.headers,
        ),
    ):
        assert_problem(response, 403, "user_deleted")


def test_deleting_the_account_needs_a_token_and_a_password(
    http: httpx.Client, alice: Account
) -> None:
    assert_problem(
        http.request("DELETE", "/users/me", json={"password": PASSWORD}), 401, "unauthorized"
    )
    response = http.request("DELETE", "/users/me", json={}, headers=alice.headers)
    assert 400 <= response.status_code < 500
    assert http.get("/users/me", headers=alice.headers).status_code == 200


# --- DELETE /chats/{id}/messages -----------------------------------------------------------


def test_clearing_a_chat_hides_it_for_me_only(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = _dialog(http, alice, bob)
    old = [_post(http, bob, chat_id, f"old{i}") for i in range(2)]

    cleared = http.delete(f"/chats/{chat_id}/messages", headers=alice.headers)

    assert cleared.status_code == 204, cleared.text
    assert _history(http, alice, chat_id) == []
    assert _history(http, bob, chat_id) == old
    [row] = http.get("/chats", headers=alice.headers).json()["items"]
    assert (row["last_message"], row["unread_count"]) == (None, 0)
    new = _post(http, bob, chat_id, "new")
    assert _history(http, alice, chat_id) == [new]
    events = _synced(http, alice)
    assert {"chat_id": chat_id, "up_to_message_id": old[-1]} in [
        e["data"] for e in events if e["type"] == "chat_cleared"
    ]
    posted = [e["data"]["message"]["id"] for e in events if e["type"] == "new_message"]
    assert posted == [new]
    assert all(e["type"] != "chat_cleared" for e in _synced(http, bob))
    assert_problem(http.get(f"/messages/{old[0]}/edits", headers=alice.headers), 404, "not_found")


def test_clearing_a_chat_of_others_is_404(http: httpx.Client, alice: Account, bob: Account) -> None:
    chat_id = _dialog(http, alice, bob)
    stranger = register(http, "carol")
    assert_problem(
        http.delete(f"/chats/{chat_id}/messages", headers=stranger.headers), 404, "not_found"
    )
    assert_problem(
        http.delete("/chats/999999999/messages", headers=alice.headers), 404, "not_found"
    )


# --- DELETE /messages/{id}?for=me ------------------------------------------------------------


def test_deleting_for_me_hides_a_message_from_me_only(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = _dialog(http, alice, bob)
    first = _post(http, bob, chat_id, "first")
    second = _post(http, bob, chat_id, "second")

    hidden = http.delete(f"/messages/{second}", params={"for": "me"}, headers=alice.headers)

    assert hidden.status_code == 204, hidden.text
    assert not hidden.content
    assert _history(http, alice, chat_id) == [first]
    assert _history(http, bob, chat_id) == [first, second]
    [row] = http.get("/chats", headers=alice.headers).json()["items"]
    assert (row["last_message"]["id"], row["unread_count"]) == (first, 1)
    events = _synced(http, alice)
    assert {"chat_id": chat_id, "message_id": second} in [
        e["data"] for e in events if e["type"] == "message_hidden"
    ]
    assert second not in [e["data"]["message"]["id"] for e in events if e["type"] == "new_message"]
    # Hidden: the same answer as a message that does not exist.
    assert_problem(
        http.delete(f"/messages/{second}", params={"for": "me"}, headers=alice.headers),
        404,
        "not_found",
    )


def test_deleting_for_everyone_stays_as_it_was(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = _dialog(http, alice, bob)
    message_id = _post(http, alice, chat_id, "oops")
    other = _post(http, alice, chat_id, "oops again")

    for params in ({}, {"for": "everyone"}):
        target = message_id if not params else other
        response = http.delete(f"/messages/{target}", params=params, headers=alice.headers)
        assert response.status_code == 200, response.text
        assert response.json()["deleted"] is True
    items = http.get(f"/chats/{chat_id}/messages", headers=bob.headers).json()["items"]
    assert [m["deleted"] for m in items] == [True, True]
    bad = http.delete(f"/messages/{message_id}", params={"for": "nobody"}, headers=alice.headers)
    assert 400 <= bad.status_code < 500


def test_hiding_a_message_of_a_chat_i_am_not_in_is_404(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = _dialog(http, alice, bob)
    message_id = _post(http, alice, chat_id, "private")
    stranger = register(http, "carol")
    assert_problem(
        http.delete(f"/messages/{message_id}", params={"for": "me"}, headers=stranger.headers),
        404,
        "not_found",
    )


# --- the dialog by the other user --------------------------------------------------------------


def test_the_dialog_routes_by_user_answer_as_the_chat_routes(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = _dialog(http, alice, bob)
    ids = [_post(http, bob, chat_id, f"m{i}") for i in range(3)]
    ids.append(_post(http, bob, chat_id, f"@{alice.username} look"))

    for params in (
        {},
        {"limit": 2},
        {"before": ids[2]},
        {"after": ids[0], "limit": 1},
        {"mentions": "me"},
    ):
        by_user = http.get(f"/chats/direct/{bob.id}/messages", params=params, headers=alice.headers)
        by_chat = http.get(f"/chats/{chat_id}/messages", params=params, headers=alice.headers)
        assert by_user.status_code == 200, by_user.text
        assert by_user.json() == by_chat.json()

    read = http.post(
        f"/chats/direct/{bob.id}/read", json={"message_id": ids[1]}, headers=alice.headers
    )
    assert read.status_code == 200, read.text
    assert read.json() == {
        "chat_id": chat_id,
        "read_message_id": ids[1],
        "unread_count": 2,
        "unread_mentions": 1,
    }


def test_the_dialog_routes_by_user_never_create_a_dialog(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    assert_problem(
        http.get(f"/chats/direct/{bob.id}/messages", headers=alice.headers), 404, "not_found"
    )
    assert_problem(
        http.post(f"/chats/direct/{bob.id}/read", json={"message_id": 1}, headers=alice.headers),
        404,
        "not_found",
    )
    assert http.get("/chats", headers=alice.headers).json()["items"] == []
    assert http.get("/chats", headers=bob.headers).json()["items"] == []
