"""Helpers for the HTTP tests: accounts, chats, posts and problem-details assertions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

PASSWORD = "correct horse battery"


def unique(prefix: str = "u") -> str:
    """A fresh username (3-32 chars, lower case)."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


@dataclass
class Account:
    """A registered user with a live session."""

    id: int
    username: str
    access_token: str
    refresh_token: str
    session_id: str
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def register(http: httpx.Client, prefix: str = "u", **extra: Any) -> Account:
    username = unique(prefix)
    response = http.post(
        "/auth/register", json={"username": username, "password": PASSWORD, **extra}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(
        id=body["user"]["id"],
        username=username,
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
        session_id=body["session_id"],
        body=body,
    )


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is RFC 9457 problem details with this status and ``code``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["title"]
    assert body["detail"]
    return body


def open_group(http: httpx.Client, owner: Account, *members: Account, title: str = "Team") -> int:
    """A new group of ``owner`` with ``members``: its id."""
    response = http.post(
        "/chats",
        json={"kind": "group", "title": title, "member_ids": [m.id for m in members]},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    chat_id: int = response.json()["id"]
    return chat_id


def post_message(
    http: httpx.Client, account: Account, chat_id: int, text: str = "hi", **extra: Any
) -> dict[str, Any]:
    """A new message (a fresh ``client_id`` each time, so the same text posts again)."""
    response = http.post(
        f"/chats/{chat_id}/messages",
        json={"client_id": unique("c"), "text": text, **extra},
        headers=account.headers,
    )
    assert response.status_code == 201, response.text
    message: dict[str, Any] = response.json()
    return message


def posted_id(http: httpx.Client, account: Account, chat_id: int, text: str = "hi") -> int:
    """The id of a new message (as ``post_message``)."""
    message_id: int = post_message(http, account, chat_id, text)["id"]
    return message_id
