"""Reactions over real HTTP, on SQLite and MariaDB: ``PUT``/``DELETE
/messages/{id}/reactions/{emoji}``, ``GET .../users``, the counts in history with ``me``, and
``message_reactions`` in sync."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.contract_check import check_sync_event
from tests.integration.http.support import Account, assert_problem, open_group, posted_id, register

pytestmark = pytest.mark.integration


def _path(message_id: int, emoji: str) -> str:
    return f"/messages/{message_id}/reactions/{quote(emoji, safe='')}"


def _react(http: httpx.Client, account: Account, message_id: int, emoji: str) -> httpx.Response:
    return http.put(_path(message_id, emoji), headers=account.headers)


def _unreact(http: httpx.Client, account: Account, message_id: int, emoji: str) -> httpx.Response:
    return http.delete(_path(message_id, emoji), headers=account.headers)


def _history(http: httpx.Client, account: Account, chat_id: int) -> list[dict[str, Any]]:
    response = http.get(f"/chats/{chat_id}/messages", headers=account.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _reaction_events(http: httpx.Client, account: Account) -> list[dict[str, Any]]:
    response = http.get("/sync", params={"since": 0}, headers=account.headers)
    assert response.status_code == 200, response.text
    events = response.json()["events"]
    for event in events:
        check_sync_event(event)
    return [e for e in events if e["type"] == "message_reactions"]


def test_a_reaction_shows_in_history_with_me_for_each_reader_and_once_in_sync(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat = open_group(http, alice, bob)
    message = posted_id(http, alice, chat)

    first = _react(http, bob, message, "👍🏽")
    again = _react(http, bob, message, "👍🏽")
    _react(http, alice, message, "❤")  # unqualified: stored fully qualified

    assert first.status_code == again.status_code == 200, first.text
    assert first.json()["reactions"] == [{"emoji": "👍🏽", "count": 1, "me": True}]
    assert again.json() == first.json()
    [shown] = _history(http, alice, chat)
    assert shown["reactions"] == [
        {"emoji": "👍🏽", "count": 1, "me": False},
        {"emoji": "❤️", "count": 1, "me": True},
    ]
    [shown] = _history(http, bob, chat)
    assert [r["me"] for r in shown["reactions"]] == [True, False]
    events = _reaction_events(http, alice)
    assert [(e["data"]["user_id"], e["data"]["emoji"], e["data"]["added"]) for e in events] == [
        (bob.id, "👍🏽", True),
        (alice.id, "❤️", True),
    ]
    # Frames are the same for everyone: no "me" in them.
    assert events[-1]["data"]["reactions"] == [
        {"emoji": "👍🏽", "count": 1},
        {"emoji": "❤️", "count": 1},
    ]
    assert events == _reaction_events(http, bob)


def test_taking_a_reaction_back_is_idempotent_and_drops_the_emoji(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat = open_group(http, alice, bob)
    message = posted_id(http, alice, chat)
    _react(http, bob, message, "🎉")

    gone = _unreact(http, bob, message, "🎉")
    again = _unreact(http, bob, message, "🎉")

    assert gone.status_code == again.status_code == 200, gone.text
    assert gone.json()["reactions"] == again.json()["reactions"] == []
    assert [e["data"]["added"] for e in _reaction_events(http, bob)] == [True, False]


def test_who_reacted_pages_through_profiles(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    carol = register(http, "carol")
    chat = open_group(http, alice, bob, carol)
    message = posted_id(http, alice, chat)
    for account in (carol, alice, bob):
        _react(http, account, message, "👍")

    path = _path(message, "👍") + "/users"
    first = http.get(path, params={"limit": 2}, headers=carol.headers)
    assert first.status_code == 200, first.text
    body = first.json()
    second = http.get(
        path, params={"limit": 2, "cursor": body["next_cursor"]}, headers=carol.headers
    ).json()

    ids = [u["id"] for u in body["items"]] + [u["id"] for u in second["items"]]
    assert ids == sorted([alice.id, bob.id, carol.id])
    assert body["has_more"]
    assert not second["has_more"]
    assert "email" not in body["items"][0]


def test_strangers_get_not_found_and_deleted_messages_take_no_reaction(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    stranger = register(http, "stranger")
    chat = open_group(http, alice, bob)
    message = posted_id(http, alice, chat)
    _react(http, bob, message, "👍")

    assert_problem(_react(http, stranger, message, "👍"), 404, "not_found")
    assert_problem(_unreact(http, stranger, message, "👍"), 404, "not_found")
    users = http.get(_path(message, "👍") + "/users", headers=stranger.headers)
    assert_problem(users, 404, "not_found")
    assert_problem(_react(http, alice, 10**9, "👍"), 404, "not_found")
    assert _reaction_events(http, stranger) == []

    deleted = http.delete(f"/messages/{message}", headers=alice.headers)
    assert deleted.status_code == 200, deleted.text
    assert _history(http, bob, chat)[0]["reactions"] == []
    assert_problem(_react(http, bob, message, "👍"), 403, "forbidden")


def test_a_message_hidden_for_a_member_is_not_found_for_them(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat = open_group(http, alice, bob)
    message = posted_id(http, alice, chat)
    hidden = http.delete(f"/messages/{message}", params={"for": "me"}, headers=bob.headers)
    assert hidden.status_code == 204, hidden.text

    assert_problem(_react(http, bob, message, "👍"), 404, "not_found")
    assert _react(http, alice, message, "👍").status_code == 200
    assert _reaction_events(http, bob) == []


def test_a_twenty_first_different_emoji_is_refused_with_its_own_code(
    http: httpx.Client, alice: Account
) -> None:
    chat = open_group(http, alice)
    message = posted_id(http, alice, chat)
    emoji = ["😀", "😁", "😂", "🤣", "😃", "😄", "😅", "😆", "😉", "😊"]
    emoji += ["😋", "😎", "😍", "😘", "🥰", "😗", "😙", "🥲", "😚", "🙂", "🤗"]
    for e in emoji[:20]:
        assert _react(http, alice, message, e).status_code == 200

    body = assert_problem(_react(http, alice, message, emoji[20]), 409, "too_many_reactions")

    assert body["code"] == "too_many_reactions"
    assert len(_history(http, alice, chat)[0]["reactions"]) == 20


# Path segments a client (or an attacker) may send: none of them is one emoji.
HOSTILE = [
    "a",
    "%00",
    "%FF",
    "%F0%9F",
    "%F0%9F%91%8D%F0%9F%91%8D",
    "%2F",
    # (A literal ".." the client itself resolves away, so it never reaches the server.)
    "%2E%2E",
    "%25",
    "%20",
    "%F0%9F%8F%BB",
    "%E2%80%AE",
    "%ED%A0%BD",
    "x" * 300,
    "%F0%9F%91%8D" * 40,
    "%3Cscript%3E",
    "%0A",
    "%EF%BF%BD",
]


@pytest.mark.parametrize("segment", HOSTILE)
def test_hostile_emoji_path_segments_are_refused_never_a_server_error(
    http: httpx.Client, alice: Account, segment: str
) -> None:
    chat = open_group(http, alice)
    message = posted_id(http, alice, chat, f"h{abs(hash(segment))}")
    path = f"/messages/{message}/reactions/{segment}"

    for method in ("PUT", "DELETE", "GET"):
        url = path + "/users" if method == "GET" else path
        response = http.request(method, url, headers=alice.headers)
        assert 400 <= response.status_code < 500, (method, segment, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert _history(http, alice, chat)[0]["reactions"] == []
