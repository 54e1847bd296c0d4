"""Mentions over real HTTP, on SQLite and MariaDB: ``mentions`` on messages (post, edit,
delete, history, sync), ``unread_mentions`` in the chat list and read state, and
``GET /chats/{id}/messages?mentions=me``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.contract_check import check_sync_event
from tests.integration.http.support import (
    Account,
    assert_problem,
    open_group,
    post_message,
    register,
)

pytestmark = pytest.mark.integration


def _unread_mentions(http: httpx.Client, account: Account, chat_id: int) -> int:
    response = http.get("/chats", headers=account.headers)
    assert response.status_code == 200, response.text
    [item] = [c for c in response.json()["items"] if c["id"] == chat_id]
    count: int = item["unread_mentions"]
    return count


def _mentioning_me(
    http: httpx.Client, account: Account, chat_id: int, **params: Any
) -> dict[str, Any]:
    response = http.get(
        f"/chats/{chat_id}/messages",
        params={"mentions": "me", **params},
        headers=account.headers,
    )
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def test_a_post_carries_the_members_it_mentions_in_every_read(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    carol, outsider = register(http, "carol"), register(http, "out")
    chat_id = open_group(http, alice, bob, carol)

    text = f"@{bob.username.upper()} @{carol.username}, not @{outsider.username} nor me@x.io"
    posted = post_message(http, alice, chat_id, text)

    assert posted["mentions"] == sorted([bob.id, carol.id])
    history = http.get(f"/chats/{chat_id}/messages", headers=bob.headers).json()["items"]
    assert history[-1]["mentions"] == posted["mentions"]
    events = http.get("/sync", params={"since": 0}, headers=bob.headers).json()["events"]
    for event in events:
        check_sync_event(event)
    [pushed] = [e for e in events if e["type"] == "new_message"]
    assert pushed["data"]["message"]["mentions"] == posted["mentions"]
    plain = post_message(http, alice, chat_id, "no mention here")
    assert plain["mentions"] == []


def test_all_mentions_everyone_from_the_owner_and_nobody_from_a_member(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    carol = register(http, "carol")
    chat_id = open_group(http, alice, bob, carol)

    assert post_message(http, alice, chat_id, "@all standup")["mentions"] == sorted(
        [bob.id, carol.id]
    )
    assert post_message(http, bob, chat_id, "@all standup?")["mentions"] == []


def test_unread_mentions_count_fall_with_reading_editing_and_deleting(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = open_group(http, alice, bob)
    first = post_message(http, alice, chat_id, f"@{bob.username} one")
    second = post_message(http, alice, chat_id, f"@{bob.username} two")
    third = post_message(http, alice, chat_id, f"@{bob.username} three")
    assert _unread_mentions(http, bob, chat_id) == 3
    assert _unread_mentions(http, alice, chat_id) == 0

    read = http.post(
        f"/chats/{chat_id}/read", json={"message_id": first["id"]}, headers=bob.headers
    )
    assert read.status_code == 200, read.text
    assert read.json()["unread_mentions"] == 2
    edited = http.patch(
        f"/messages/{second['id']}", json={"text": "two, nobody"}, headers=alice.headers
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["mentions"] == []
    assert _unread_mentions(http, bob, chat_id) == 1
    assert http.delete(f"/messages/{third['id']}", headers=alice.headers).status_code == 200
    assert _unread_mentions(http, bob, chat_id) == 0


def test_history_of_mentions_pages_with_before_after_and_limit(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = open_group(http, alice, bob)
    ids = []
    for i in range(4):
        post_message(http, alice, chat_id, f"filler {i}")
        ids.append(post_message(http, alice, chat_id, f"@{bob.username} number {i}")["id"])

    newest = _mentioning_me(http, bob, chat_id, limit=2)
    older = _mentioning_me(http, bob, chat_id, before=ids[2], limit=2)
    after = _mentioning_me(http, bob, chat_id, after=ids[0], limit=2)

    assert [m["id"] for m in newest["items"]] == ids[2:]
    assert newest["has_more"] is True
    assert [m["id"] for m in older["items"]] == ids[:2]
    assert older["has_more"] is False
    assert [m["id"] for m in after["items"]] == ids[1:3]
    assert after["has_more"] is True
    assert _mentioning_me(http, alice, chat_id)["items"] == []


def test_mentions_history_is_for_members_only_and_knows_one_filter(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = open_group(http, alice)

    outsider = http.get(
        f"/chats/{chat_id}/messages", params={"mentions": "me"}, headers=bob.headers
    )
    other = http.get(
        f"/chats/{chat_id}/messages", params={"mentions": "everyone"}, headers=alice.headers
    )

    assert_problem(outsider, 404, "not_found")
    assert_problem(other, 422, "validation_error")
