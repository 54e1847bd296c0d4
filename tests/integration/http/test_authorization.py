"""The authorization matrix: every endpoint x anonymous / stranger / member / author /
admin / owner.

A chat the caller is not in answers exactly like a chat that does not exist (404), so the
stranger column is 404 wherever an id of someone else's chat or message is involved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.integration.http.conftest import LiveServer
from tests.integration.http.support import PASSWORD, Account, register, unique

pytestmark = pytest.mark.integration

ROLES = ("anonymous", "stranger", "member", "author", "admin", "owner")


@dataclass
class World:
    accounts: dict[str, Account]
    chat_id: int
    message_id: int
    file_id: str

    def headers(self, role: str) -> dict[str, str]:
        return {} if role == "anonymous" else self.accounts[role].headers

    def post_by_author(self, http: httpx.Client) -> int:
        response = http.post(
            f"/chats/{self.chat_id}/messages",
            json={"client_id": unique("c"), "text": "fresh"},
            headers=self.accounts["author"].headers,
        )
        assert response.status_code == 201
        message_id: int = response.json()["id"]
        return message_id

    def add_victim(self, http: httpx.Client) -> int:
        victim = register(http, "victim")
        added = http.post(
            f"/chats/{self.chat_id}/members",
            json={"user_id": victim.id},
            headers=self.accounts["owner"].headers,
        )
        assert added.status_code == 201
        return victim.id


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=30) as http:
        accounts = {role: register(http, role[:5]) for role in ROLES if role != "anonymous"}
        owner = accounts["owner"]
        group = http.post(
            "/chats",
            json={
                "kind": "group",
                "title": "Matrix",
                "member_ids": [accounts[r].id for r in ("member", "author", "admin")],
            },
            headers=owner.headers,
        ).json()
        promoted = http.patch(
            f"/chats/{group['id']}/members/{accounts['admin'].id}",
            json={"role": "admin"},
            headers=owner.headers,
        )
        assert promoted.status_code == 200
        author = accounts["author"]
        file = http.post(
            "/files", files={"file": ("note.txt", b"hello")}, headers=author.headers
        ).json()
        message = http.post(
            f"/chats/{group['id']}/messages",
            json={"client_id": unique("c"), "text": "by author", "attachment_ids": [file["id"]]},
            headers=author.headers,
        ).json()
        return World(accounts, group["id"], message["id"], file["id"])


Call = Callable[[httpx.Client, World, dict[str, str]], httpx.Response]


def _c(w: World) -> str:
    return f"/chats/{w.chat_id}"


def _extra_author_session(h: httpx.Client, w: World) -> str:
    login = h.post(
        "/auth/login", json={"login": w.accounts["author"].username, "password": PASSWORD}
    )
    session_id: str = login.json()["session_id"]
    return session_id


CASES: dict[str, tuple[Call, dict[str, int]]] = {}


def case(name: str, call: Call, **expected: int) -> None:
    CASES[name] = (call, {"anonymous": 401, **expected})


_ALL_200 = {"stranger": 200, "member": 200, "author": 200, "admin": 200, "owner": 200}
_MEMBERS_200 = {"stranger": 404, "member": 200, "author": 200, "admin": 200, "owner": 200}

case("GET /users/me", lambda h, w, a: h.get("/users/me", headers=a), **_ALL_200)
case(
    "PATCH /users/me",
    lambda h, w, a: h.patch("/users/me", json={"bio": "x"}, headers=a),
    **_ALL_200,
)
case("GET /users", lambda h, w, a: h.get("/users", params={"q": "a"}, headers=a), **_ALL_200)
case(
    "GET /users/{id}",
    lambda h, w, a: h.get(f"/users/{w.accounts['owner'].id}", headers=a),
    **_ALL_200,
)
case("GET /auth/sessions", lambda h, w, a: h.get("/auth/sessions", headers=a), **_ALL_200)
case(
    "DELETE /auth/sessions/{id}",
    lambda h, w, a: h.delete(f"/auth/sessions/{_extra_author_session(h, w)}", headers=a),
    stranger=404,
    member=404,
    author=204,
    admin=404,
    owner=404,
)
case("GET /chats", lambda h, w, a: h.get("/chats", headers=a), **_ALL_200)
case(
    "POST /chats (group)",
    lambda h, w, a: h.post("/chats", json={"kind": "group", "title": "x"}, headers=a),
    **dict.fromkeys(_ALL_200, 201),
)
case(
    "POST /files",
    lambda h, w, a: h.post("/files", files={"file": ("a.txt", b"a")}, headers=a),
    **dict.fromkeys(_ALL_200, 201),
)
case("GET /chats/{id}", lambda h, w, a: h.get(_c(w), headers=a), **_MEMBERS_200)
case(
    "PATCH /chats/{id}",
    lambda h, w, a: h.patch(_c(w), json={"title": "Renamed"}, headers=a),
    stranger=404,
    member=403,
    author=403,
    admin=200,
    owner=200,
)
case(
    "POST /chats/{id}/members",
    lambda h, w, a: h.post(f"{_c(w)}/members", json={"user_id": register(h, "new").id}, headers=a),
    stranger=404,
    member=403,
    author=403,
    admin=201,
    owner=201,
)
case(
    "PATCH /chats/{id}/members/{user_id}",
    lambda h, w, a: h.patch(
        f"{_c(w)}/members/{w.add_victim(h)}", json={"role": "admin"}, headers=a
    ),
    stranger=404,
    member=403,
    author=403,
    admin=403,
    owner=200,
)
case(
    "DELETE /chats/{id}/members/{user_id}",
    lambda h, w, a: h.delete(f"{_c(w)}/members/{w.add_victim(h)}", headers=a),
    stranger=404,
    member=403,
    author=403,
    admin=204,
    owner=204,
)
case(
    "GET /chats/{id}/messages",
    lambda h, w, a: h.get(f"{_c(w)}/messages", headers=a),
    **_MEMBERS_200,
)
case(
    "POST /chats/{id}/messages",
    lambda h, w, a: h.post(
        f"{_c(w)}/messages", json={"client_id": unique("c"), "text": "hi"}, headers=a
    ),
    **{r: (404 if r == "stranger" else 201) for r in _ALL_200},
)
case(
    "POST /chats/{id}/read",
    lambda h, w, a: h.post(f"{_c(w)}/read", json={"message_id": w.message_id}, headers=a),
    **_MEMBERS_200,
)
case(
    "PATCH /messages/{id}",
    lambda h, w, a: h.patch(f"/messages/{w.message_id}", json={"text": unique("t")}, headers=a),
    stranger=404,
    member=403,
    author=200,
    admin=403,
    owner=403,
)
case(
    "PUT /messages/{id}",
    lambda h, w, a: h.put(f"/messages/{w.message_id}", json={"text": unique("t")}, headers=a),
    stranger=404,
    member=403,
    author=200,
    admin=403,
    owner=403,
)
case(
    "POST /messages/{id}/files",
    lambda h, w, a: h.post(
        f"/messages/{w.post_by_author(h)}/files", files={"file": ("b.txt", b"b")}, headers=a
    ),
    stranger=404,
    member=403,
    author=200,
    admin=403,
    owner=403,
)
case(
    "DELETE /messages/{id}",
    lambda h, w, a: h.delete(f"/messages/{w.post_by_author(h)}", headers=a),
    stranger=404,
    member=403,
    author=200,
    admin=200,
    owner=200,
)
case(
    "GET /messages/{id}/edits",
    lambda h, w, a: h.get(f"/messages/{w.message_id}/edits", headers=a),
    **_MEMBERS_200,
)
case("GET /files/{id}", lambda h, w, a: h.get(f"/files/{w.file_id}", headers=a), **_MEMBERS_200)
case("POST /auth/logout", lambda h, w, a: h.post("/auth/logout", headers=a), stranger=204)


def _contact(h: httpx.Client, a: dict[str, str]) -> int:
    """A fresh user the caller (if any) has in their contacts."""
    other = register(h, "k").id
    h.put(f"/contacts/{other}", headers=a)
    return other


case("GET /contacts", lambda h, w, a: h.get("/contacts", headers=a), **_ALL_200)
case(
    "PUT /contacts/{id}",
    lambda h, w, a: h.put(f"/contacts/{register(h, 'k').id}", headers=a),
    **dict.fromkeys(_ALL_200, 201),
)
case(
    "DELETE /contacts/{id}",
    lambda h, w, a: h.delete(f"/contacts/{_contact(h, a)}", headers=a),
    **dict.fromkeys(_ALL_200, 204),
)
case(
    "PUT /contacts/{id}/local-name",
    lambda h, w, a: h.put(
        f"/contacts/{_contact(h, a)}/local-name", json={"local_name": "K"}, headers=a
    ),
    **_ALL_200,
)
case(
    "DELETE /contacts/{id}/local-name",
    lambda h, w, a: h.delete(f"/contacts/{_contact(h, a)}/local-name", headers=a),
    **_ALL_200,
)
case(
    "PUT /users/{id}/block",
    lambda h, w, a: h.put(f"/users/{register(h, 'k').id}/block", headers=a),
    **dict.fromkeys(_ALL_200, 204),
)
case(
    "DELETE /users/{id}/block",
    lambda h, w, a: h.delete(f"/users/{register(h, 'k').id}/block", headers=a),
    **dict.fromkeys(_ALL_200, 204),
)
case("GET /users/me/blocked", lambda h, w, a: h.get("/users/me/blocked", headers=a), **_ALL_200)
case("GET /users/me/privacy", lambda h, w, a: h.get("/users/me/privacy", headers=a), **_ALL_200)
case(
    "PUT /users/me/privacy",
    lambda h, w, a: h.put("/users/me/privacy", json={"bio": "everybody"}, headers=a),
    **_ALL_200,
)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(set(CASES) - {"POST /auth/logout"}))
def test_authorization_matrix(http: httpx.Client, world: World, endpoint: str, role: str) -> None:
    call, expected = CASES[endpoint]
    response = call(http, world, world.headers(role))
    assert response.status_code == expected[role], f"{endpoint} as {role}: {response.text}"
    if response.status_code >= 400:
        body: dict[str, Any] = response.json()
        assert body["code"] in ("unauthorized", "not_found", "forbidden"), body


def test_logout_needs_a_token(http: httpx.Client) -> None:
    assert http.post("/auth/logout").status_code == 401
    fresh = register(http, "bye")
    assert http.post("/auth/logout", headers=fresh.headers).status_code == 204
