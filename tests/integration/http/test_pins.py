"""Pins over real HTTP, on SQLite and MariaDB: ``POST /chats/{id}/pins``,
``DELETE /chats/{id}/pins/{message_id}``, ``GET /chats/{id}/pins``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.contract_check import check_sync_event
from tests.integration.http.support import Account, assert_problem, open_group, posted_id, register

pytestmark = pytest.mark.integration


def _pin(http: httpx.Client, account: Account, chat_id: int, message_id: int) -> httpx.Response:
    return http.post(
        f"/chats/{chat_id}/pins", json={"message_id": message_id}, headers=account.headers
    )


def _pins(http: httpx.Client, account: Account, chat_id: int, **params: Any) -> dict[str, Any]:
    response = http.get(f"/chats/{chat_id}/pins", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _synced(http: httpx.Client, account: Account) -> list[dict[str, Any]]:
    response = http.get("/sync", params={"since": 0}, headers=account.headers)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    for event in events:
        check_sync_event(event)
    return events


def test_the_owner_pins_and_every_member_reads_the_pin_newest_first(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat = open_group(http, alice, bob)
    first = posted_id(http, bob, chat, "first")
    second = posted_id(http, bob, chat, "second")

    pinned = _pin(http, alice, chat, first)
    assert pinned.status_code == 201, pinned.text
    assert pinned.json()["message"]["text"] == "first"
    assert pinned.json()["pinned_by"] == alice.id
    assert _pin(http, alice, chat, second).status_code == 201
    again = _pin(http, alice, chat, first)
    assert again.status_code == 200
    assert again.json()["pinned_at"] == pinned.json()["pinned_at"]

    page = _pins(http, bob, chat, limit=1)
    assert [p["message_id"] for p in page["items"]] == [second]
    assert page["has_more"]
    rest = _pins(http, bob, chat, limit=1, cursor=page["next_cursor"])
    assert [p["message_id"] for p in rest["items"]] == [first]
    assert not rest["has_more"]
    pinned_frames = [e for e in _synced(http, bob) if e["type"] == "message_pinned"]
    assert [e["data"]["message_id"] for e in pinned_frames] == [first, second]


def test_plain_members_are_forbidden_and_strangers_do_not_find_the_chat(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat = open_group(http, alice, bob)
    message = posted_id(http, bob, chat, "hello")
    stranger = register(http, "eve")

    assert_problem(_pin(http, bob, chat, message), 403, "forbidden")
    assert_problem(
        http.delete(f"/chats/{chat}/pins/{message}", headers=bob.headers), 403, "forbidden"
    )
    assert_problem(_pin(http, stranger, chat, message), 404, "not_found")
    assert_problem(http.get(f"/chats/{chat}/pins", headers=stranger.headers), 404, "not_found")


def test_unpinning_is_idempotent_and_a_deleted_message_is_unpinned(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat = open_group(http, alice, bob)
    kept = posted_id(http, bob, chat, "kept")
    doomed = posted_id(http, bob, chat, "doomed")
    assert _pin(http, alice, chat, kept).status_code == 201
    assert _pin(http, alice, chat, doomed).status_code == 201

    for _ in range(2):
        response = http.delete(f"/chats/{chat}/pins/{kept}", headers=alice.headers)
        assert response.status_code == 204, response.text
    assert http.delete(f"/messages/{doomed}", headers=bob.headers).status_code == 200

    assert _pins(http, alice, chat)["items"] == []
    unpinned = [e["data"] for e in _synced(http, bob) if e["type"] == "message_unpinned"]
    assert [(u["message_id"], u["unpinned_by"]) for u in unpinned] == [
        (kept, alice.id),
        (doomed, bob.id),
    ]
    assert_problem(_pin(http, alice, chat, doomed), 404, "not_found")


def test_a_member_who_cleared_the_chat_sees_no_pin_of_what_they_cleared(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat = open_group(http, alice, bob)
    message = posted_id(http, alice, chat, "old news")
    assert http.delete(f"/chats/{chat}/messages", headers=bob.headers).status_code == 204

    assert _pin(http, alice, chat, message).status_code == 201

    assert _pins(http, bob, chat)["items"] == []
    assert [p["message_id"] for p in _pins(http, alice, chat)["items"]] == [message]
    assert not [e for e in _synced(http, bob) if e["type"] == "message_pinned"]


def test_malformed_pin_requests_are_refused_with_a_code(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat = open_group(http, alice, bob)
    for body in ({}, {"message_id": "x"}, {"message_id": 0}, {"message_id": 1, "extra": 1}):
        response = http.post(f"/chats/{chat}/pins", json=body, headers=alice.headers)
        assert response.status_code in (400, 422), response.text
        assert "code" in response.json()
    assert_problem(_pin(http, alice, chat, 2**62), 404, "not_found")
    assert (
        http.get(
            f"/chats/{chat}/pins", params={"cursor": "nope"}, headers=alice.headers
        ).status_code
        == 422
    )
