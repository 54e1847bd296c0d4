"""The admin API of accounts, invites and the registration mode over real HTTP, on SQLite
and MariaDB: a server of its own per backend, started with ``MESSENGER_REGISTRATION=invite``
so that its fresh state (the first account registers anyway) is tested too."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.integration.http.conftest import BACKENDS, LiveServer, start_server
from tests.integration.http.support import PASSWORD, Account, assert_problem, register, unique

pytestmark = pytest.mark.integration

NEW_PASSWORD = "a brand new passphrase"


@dataclass
class AdminServer:
    server: LiveServer
    http: httpx.Client
    admin: Account

    def as_admin(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return self.http.request(method, path, headers=self.admin.headers, **kw)

    def invite(self, **body: Any) -> dict[str, Any]:
        response = self.as_admin("POST", "/admin/invites", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def member(self) -> Account:
        """A new account, registered with an invite of its own."""
        return register(self.http, "m", invite_token=self.invite()["token"])


@pytest.fixture(scope="module", params=BACKENDS)
def site(request: pytest.FixtureRequest) -> Iterator[AdminServer]:
    live = start_server(request, request.param, registration="invite")
    try:
        with httpx.Client(base_url=f"{live.url}/api/v1", timeout=30) as http:
            # A fresh server takes its first account whatever the mode: its administrator.
            assert http.get("/auth/registration").json() == {"mode": "open"}
            admin = register(http, "root")
            assert admin.body["user"]["is_admin"] is True
            assert http.get("/auth/registration").json() == {"mode": "invite"}
            yield AdminServer(live, http, admin)
    finally:
        live.stop()


ADMIN_ROUTES = [
    ("GET", "/admin/users"),
    ("PATCH", "/admin/users/1"),
    ("POST", "/admin/users/1/deactivate"),
    ("POST", "/admin/users/1/reactivate"),
    ("POST", "/admin/users/1/password-reset"),
    ("GET", "/admin/settings"),
    ("PATCH", "/admin/settings"),
    ("POST", "/admin/invites"),
    ("GET", "/admin/invites"),
    ("GET", "/admin/invites/x"),
    ("DELETE", "/admin/invites/x"),
]
BODIES = {"PATCH /admin/users/1": {"is_admin": True}, "PATCH /admin/settings": {}}


def test_every_admin_route_refuses_a_stranger_and_a_non_administrator(site: AdminServer) -> None:
    member = site.member()
    for method, path in ADMIN_ROUTES:
        body = BODIES.get(f"{method} {path}", {} if method in ("POST", "PATCH") else None)
        anonymous = site.http.request(method, path, json=body)
        assert anonymous.status_code == 401, (method, path)
        refused = site.http.request(method, path, json=body, headers=member.headers)
        assert_problem(refused, 403, "forbidden")


def test_registration_follows_the_mode_an_administrator_sets(site: AdminServer) -> None:
    http = site.http
    name = unique("r")
    refused = http.post("/auth/register", json={"username": name, "password": PASSWORD})
    assert_problem(refused, 403, "invite_required")
    assert site.as_admin("GET", "/admin/settings").json() == {"registration": "invite"}

    closed = site.as_admin("PATCH", "/admin/settings", json={"registration": "closed"})
    try:
        assert closed.json() == {"registration": "closed"}
        assert http.get("/auth/registration").json() == {"mode": "closed"}
        token = site.invite()["token"]
        refused = http.post(
            "/auth/register",
            json={"username": name, "password": PASSWORD, "invite_token": token},
        )
        assert_problem(refused, 403, "registration_closed")

        opened = site.as_admin("PATCH", "/admin/settings", json={"registration": "open"})
        assert opened.json() == {"registration": "open"}
        register(http, "r")
        # Fields left out stay.
        assert site.as_admin("PATCH", "/admin/settings", json={}).json() == {"registration": "open"}
        bad = site.as_admin("PATCH", "/admin/settings", json={"registration": "sometimes"})
        assert_problem(bad, 422, "validation_error")
    finally:
        site.as_admin("PATCH", "/admin/settings", json={"registration": "invite"})


def test_an_invite_link_admits_its_uses_and_is_revoked(site: AdminServer) -> None:
    created = site.invite(uses=2, expires_in=3600)
    assert created["url"] == f"{site.server.url}/?invite={created['token']}"
    assert created["uses"] == 2
    assert created["used"] == 0
    assert created["active"] is True
    assert created["revoked"] is False
    assert created["created_by"] == site.admin.id

    register(site.http, "i", invite_token=created["token"])
    shown = site.as_admin("GET", f"/admin/invites/{created['id']}").json()
    assert shown["used"] == 1
    assert "token" not in shown
    page = site.as_admin("GET", "/admin/invites", params={"limit": 1}).json()
    assert [i["id"] for i in page["items"]] == [created["id"]]
    assert page["has_more"] is True
    following = site.as_admin("GET", "/admin/invites", params={"cursor": page["next_cursor"]})
    assert created["id"] not in [i["id"] for i in following.json()["items"]]

    assert site.as_admin("DELETE", f"/admin/invites/{created['id']}").status_code == 204
    shown = site.as_admin("GET", f"/admin/invites/{created['id']}").json()
    assert (shown["revoked"], shown["active"]) == (True, False)
    refused = site.http.post(
        "/auth/register",
        json={"username": unique(), "password": PASSWORD, "invite_token": created["token"]},
    )
    assert_problem(refused, 403, "invite_required")
    assert_problem(site.as_admin("DELETE", "/admin/invites/nope"), 404, "not_found")
    assert_problem(site.as_admin("GET", "/admin/invites/nope"), 404, "not_found")


def test_an_invite_for_an_email_and_one_without_limits(site: AdminServer) -> None:
    email = f"{unique()}@example.com"
    bound = site.invite(email=email, uses=None)
    assert (bound["email"], bound["uses"]) == (email, None)
    refused = site.http.post(
        "/auth/register",
        json={"username": unique(), "password": PASSWORD, "invite_token": bound["token"]},
    )
    assert_problem(refused, 403, "invite_required")
    register(site.http, "e", email=email, invite_token=bound["token"])

    for body, field in (({"expires_in": 91 * 86400}, "expires_in"), ({"uses": 0}, "uses")):
        problem = assert_problem(
            site.as_admin("POST", "/admin/invites", json=body), 422, "validation_error"
        )
        assert problem["field"] == field


def test_an_administrator_lists_deactivates_and_reactivates_accounts(site: AdminServer) -> None:
    member = site.member()
    found = site.as_admin("GET", "/admin/users", params={"q": member.username}).json()
    [shown] = found["items"]
    assert shown["id"] == member.id
    assert (shown["status"], shown["is_admin"], shown["deactivated_at"]) == ("active", False, None)
    assert set(shown) == {
        "id",
        "username",
        "display_name",
        "email",
        "is_admin",
        "status",
        "created_at",
        "last_seen_at",
        "deactivated_at",
    }

    off = site.as_admin("POST", f"/admin/users/{member.id}/deactivate")
    assert off.status_code == 200, off.text
    assert off.json()["status"] == "deactivated"
    assert site.http.get("/users/me", headers=member.headers).status_code == 401
    login = site.http.post("/auth/login", json={"login": member.username, "password": PASSWORD})
    assert_problem(login, 403, "account_deactivated")
    listed = site.as_admin("GET", "/admin/users", params={"status": "deactivated"}).json()
    assert member.id in [u["id"] for u in listed["items"]]

    on = site.as_admin("POST", f"/admin/users/{member.id}/reactivate")
    assert on.json()["status"] == "active"
    login = site.http.post("/auth/login", json={"login": member.username, "password": PASSWORD})
    assert login.status_code == 200

    assert_problem(
        site.as_admin("POST", f"/admin/users/{site.admin.id}/deactivate"), 409, "conflict"
    )
    assert_problem(site.as_admin("POST", "/admin/users/999999999/deactivate"), 404, "not_found")
    bad = site.as_admin("GET", "/admin/users", params={"status": "sleepy"})
    assert_problem(bad, 422, "validation_error")


def test_the_admin_user_list_pages_by_username(site: AdminServer) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = site.as_admin("GET", "/admin/users", params=params).json()
        seen += [u["username"] for u in page["items"]]
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) >= 2


def test_an_administrator_grants_the_role_and_cannot_drop_their_own(site: AdminServer) -> None:
    member = site.member()
    granted = site.as_admin("PATCH", f"/admin/users/{member.id}", json={"is_admin": True})
    assert granted.json()["is_admin"] is True
    assert site.http.get("/admin/settings", headers=member.headers).status_code == 200
    assert site.http.get("/users/me", headers=member.headers).json()["is_admin"] is True
    admins = site.as_admin("GET", "/admin/users", params={"status": "admin"}).json()
    assert member.id in [u["id"] for u in admins["items"]]

    dropped = site.as_admin("PATCH", f"/admin/users/{member.id}", json={"is_admin": False})
    assert dropped.json()["is_admin"] is False
    assert_problem(site.http.get("/admin/settings", headers=member.headers), 403, "forbidden")
    own = site.as_admin("PATCH", f"/admin/users/{site.admin.id}", json={"is_admin": False})
    assert_problem(own, 409, "conflict")


def test_a_password_reset_link_sets_a_new_password_once(site: AdminServer) -> None:
    member = site.member()
    issued = site.as_admin("POST", f"/admin/users/{member.id}/password-reset")
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["url"] == f"{site.server.url}/?reset={body['token']}"
    assert body["expires_at"]

    weak = site.http.post(
        "/auth/password-reset", json={"token": body["token"], "new_password": "password"}
    )
    assert_problem(weak, 422, "password_too_common")
    done = site.http.post(
        "/auth/password-reset", json={"token": body["token"], "new_password": NEW_PASSWORD}
    )
    assert done.status_code == 204, done.text

    assert site.http.get("/users/me", headers=member.headers).status_code == 401
    old = site.http.post("/auth/login", json={"login": member.username, "password": PASSWORD})
    assert_problem(old, 401, "invalid_credentials")
    new = site.http.post("/auth/login", json={"login": member.username, "password": NEW_PASSWORD})
    assert new.status_code == 200
    again = site.http.post(
        "/auth/password-reset", json={"token": body["token"], "new_password": NEW_PASSWORD}
    )
    assert assert_problem(again, 422, "reset_link_invalid")["field"] == "token"
    unknown = site.http.post(
        "/auth/password-reset", json={"token": "made-up", "new_password": NEW_PASSWORD}
    )
    assert_problem(unknown, 422, "reset_link_invalid")
