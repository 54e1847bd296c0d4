"""Moderation and the audit log over real HTTP, on SQLite and MariaDB: ``POST
/messages/{id}/report``, ``/admin/reports``, ``DELETE /admin/messages/{id}``, ``/admin/audit``.

A server of its own per backend: the first account registered there is its administrator.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.contract_check import check_sync_event
from tests.integration.http.conftest import LiveServer, start_server
from tests.integration.http.support import (
    PASSWORD,
    Account,
    assert_problem,
    open_group,
    posted_id,
    register,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def mod_server(request: pytest.FixtureRequest, backend: str) -> Iterator[LiveServer]:
    live = start_server(request, backend)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def admin(mod_server: LiveServer) -> Account:
    with httpx.Client(base_url=f"{mod_server.url}/api/v1", timeout=30) as client:
        account = register(client, "admin")
    assert account.body["user"]["is_admin"] is True
    return account


@pytest.fixture
def api(mod_server: LiveServer, admin: Account) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{mod_server.url}/api/v1", timeout=30) as client:
        yield client


def _report(http: httpx.Client, who: Account, message_id: int, reason: str) -> httpx.Response:
    return http.post(f"/messages/{message_id}/report", json={"reason": reason}, headers=who.headers)


def _history(http: httpx.Client, who: Account, chat_id: int) -> list[dict[str, Any]]:
    response = http.get(f"/chats/{chat_id}/messages", headers=who.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_member_reports_a_message_once_and_a_stranger_cannot(
    api: httpx.Client, admin: Account
) -> None:
    alice, bob, eve = register(api, "alice"), register(api, "bob"), register(api, "eve")
    chat = open_group(api, alice, bob)
    message = posted_id(api, alice, chat, "buy cheap watches")

    first = _report(api, bob, message, "  spam  ")
    again = _report(api, bob, message, "really spam")

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    report = first.json()
    assert again.json() == report
    assert report["status"] == "open"
    assert report["reason"] == "spam"
    assert report["reporter"] == {
        "id": bob.id,
        "username": bob.username,
        "display_name": bob.username,
    }
    assert report["message"]["id"] == message
    assert report["message"]["chat_id"] == chat
    assert report["message"]["text"] == "buy cheap watches"
    assert report["message"]["sender"]["id"] == alice.id
    assert report["message"]["deleted"] is False
    assert report["resolution"] is None
    assert report["resolved_by"] is None
    assert report["resolved_at"] is None
    # Someone who cannot see it learns nothing of it, not even that it exists.
    assert_problem(_report(api, eve, message, "spam"), 404, "not_found")
    assert_problem(_report(api, eve, 10**12, "spam"), 404, "not_found")
    assert_problem(_report(api, bob, message, "   "), 422, "validation_error")
    assert_problem(_report(api, bob, message, "x" * 1001), 422, "validation_error")
    # Hidden for bob: for him it does not exist any more.
    hidden = posted_id(api, alice, chat, "another")
    assert api.delete(f"/messages/{hidden}?for=me", headers=bob.headers).status_code == 204
    assert_problem(_report(api, bob, hidden, "spam"), 404, "not_found")


def test_admin_routes_need_a_token_and_an_administrator(api: httpx.Client, admin: Account) -> None:
    bob = register(api, "bob")
    routes = [
        ("GET", "/admin/reports"),
        ("POST", "/admin/reports/1/resolve"),
        ("DELETE", "/admin/messages/1"),
        ("GET", "/admin/audit"),
    ]
    for method, path in routes:
        body = {"action": "dismiss"} if method == "POST" else None
        assert api.request(method, path, json=body).status_code == 401, path
        forbidden = api.request(method, path, json=body, headers=bob.headers)
        assert_problem(forbidden, 403, "forbidden")


def test_the_admin_lists_and_resolves_reports(api: httpx.Client, admin: Account) -> None:
    alice, bob = register(api, "alice"), register(api, "bob")
    chat = open_group(api, alice, bob)
    kept = posted_id(api, alice, chat, "fine really")
    spam = posted_id(api, alice, chat, "spam spam")
    dismissed = _report(api, bob, kept, "rude").json()
    deleted = _report(api, bob, spam, "spam").json()

    listed = api.get("/admin/reports", params={"status": "open", "limit": 1}, headers=admin.headers)
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert [r["id"] for r in page["items"]] == [deleted["id"]]
    assert page["has_more"] is True

    first = api.post(
        f"/admin/reports/{dismissed['id']}/resolve",
        json={"action": "dismiss"},
        headers=admin.headers,
    )
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "resolved"
    assert first.json()["resolution"] == "dismiss"
    assert first.json()["resolved_by"] == admin.id
    again = api.post(
        f"/admin/reports/{dismissed['id']}/resolve",
        json={"action": "dismiss"},
        headers=admin.headers,
    )
    assert_problem(again, 409, "conflict")
    bad = api.post(
        f"/admin/reports/{deleted['id']}/resolve", json={"action": "ban"}, headers=admin.headers
    )
    assert bad.status_code in (400, 422), bad.text
    unknown = api.post(
        "/admin/reports/999999999/resolve", json={"action": "dismiss"}, headers=admin.headers
    )
    assert_problem(unknown, 404, "not_found")

    removed = api.post(
        f"/admin/reports/{deleted['id']}/resolve",
        json={"action": "delete_message"},
        headers=admin.headers,
    )
    assert removed.status_code == 200, removed.text
    assert removed.json()["message"]["deleted"] is True
    assert removed.json()["message"]["text"] == ""
    shown = {m["id"]: m for m in _history(api, bob, chat)}
    assert shown[spam]["deleted"] is True
    assert shown[spam]["removed_by_admin"] is True
    assert "removed_by_admin" not in shown[kept]

    resolved = api.get(
        "/admin/reports", params={"status": "resolved"}, headers=admin.headers
    ).json()["items"]
    assert {r["id"] for r in resolved} >= {dismissed["id"], deleted["id"]}


def test_resolving_by_deactivating_ends_the_senders_sessions(
    api: httpx.Client, admin: Account
) -> None:
    alice, bob = register(api, "alice"), register(api, "bob")
    chat = open_group(api, alice, bob)
    report = _report(api, bob, posted_id(api, alice, chat, "threat"), "threat").json()

    response = api.post(
        f"/admin/reports/{report['id']}/resolve",
        json={"action": "deactivate_user"},
        headers=admin.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["resolution"] == "deactivate_user"
    assert api.get("/users/me", headers=alice.headers).status_code == 401
    login = api.post("/auth/login", json={"login": alice.username, "password": PASSWORD})
    assert_problem(login, 403, "account_deactivated")


def test_an_admin_deletes_any_message_for_everyone(api: httpx.Client, admin: Account) -> None:
    alice, bob = register(api, "alice"), register(api, "bob")
    chat = open_group(api, alice, bob)
    message = posted_id(api, alice, chat, "something awful")
    cursor = api.get("/sync", params={"since": 0}, headers=bob.headers).json()["cursor"]

    response = api.delete(f"/admin/messages/{message}", headers=admin.headers)
    again = api.delete(f"/admin/messages/{message}", headers=admin.headers)

    assert response.status_code == again.status_code == 204, response.text
    assert_problem(api.delete("/admin/messages/999999999", headers=admin.headers), 404, "not_found")
    for reader in (alice, bob):
        [shown] = [m for m in _history(api, reader, chat) if m["id"] == message]
        assert shown["deleted"] is True
        assert shown["text"] == ""
        assert shown["removed_by_admin"] is True
    events = api.get("/sync", params={"since": cursor}, headers=bob.headers).json()["events"]
    for event in events:
        check_sync_event(event)
    [deleted] = [e for e in events if e["type"] == "message_deleted"]
    assert deleted["data"]["message"]["removed_by_admin"] is True
    assert deleted["data"]["message"]["text"] == ""
    found = api.get("/search/messages", params={"q": "awful"}, headers=bob.headers)
    assert found.status_code == 200, found.text
    assert found.json()["items"] == []


def test_the_audit_log_tells_who_did_what(api: httpx.Client, admin: Account) -> None:
    carol = register(api, "carol")
    for _ in range(2):
        bad = api.post("/auth/login", json={"login": carol.username, "password": "wrong one"})
        assert bad.status_code == 401
    nobody = api.post("/auth/login", json={"login": "no-such-user-x", "password": "whatever1"})
    assert nobody.status_code == 401
    changed = api.post(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        headers=carol.headers,
    )
    assert changed.status_code == 204, changed.text
    assert api.post("/auth/logout", headers=carol.headers).status_code == 204

    response = api.get("/admin/audit", params={"actor": carol.id}, headers=admin.headers)
    assert response.status_code == 200, response.text
    entries = response.json()["items"]
    assert [e["action"] for e in entries] == [
        "session_revoked",
        "password_changed",
        "user_registered",
    ]
    assert entries[0]["actor"] == {
        "id": carol.id,
        "username": carol.username,
        "display_name": carol.username,
    }
    assert entries[0]["address"] == "127.0.0.1"
    assert entries[2]["target_type"] == "user"
    assert entries[2]["target_id"] == str(carol.id)

    failed = api.get(
        "/admin/audit", params={"action": "login_failed", "limit": 2}, headers=admin.headers
    ).json()
    assert [e["actor"] for e in failed["items"]] == [None, None]
    assert "no-such-user-x" in failed["items"][0]["detail"]
    assert failed["items"][1]["target_id"] == str(carol.id)
    # The name tried is kept, never a password.
    assert all("whatever1" not in e["detail"] for e in failed["items"])
    assert failed["has_more"] is True
    assert_problem(
        api.get("/admin/audit", params={"action": "nonsense"}, headers=admin.headers),
        422,
        "validation_error",
    )
    second = api.get(
        "/admin/audit",
        params={"action": "login_failed", "cursor": failed["next_cursor"]},
        headers=admin.headers,
    )
    assert second.status_code == 200, second.text
    assert all(e["action"] == "login_failed" for e in second.json()["items"])
    assert second.json()["items"][0]["id"] < failed["items"][1]["id"]
