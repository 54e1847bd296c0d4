"""Every list pages the same way over HTTP: ``?limit=&cursor=`` in, ``{items, has_more,
next_cursor}`` out, and a cursor that was never handed out is a ``validation_error``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.http.support import PASSWORD, Account, assert_problem, register, unique


def _follow(http: httpx.Client, path: str, account: Account, **params: Any) -> list[dict[str, Any]]:
    """Every page of a list, in order, checking each page's shape on the way."""
    pages: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor is not None else {})}
        response = http.get(path, params=query, headers=account.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"items", "has_more", "next_cursor"}
        pages.append(page)
        if not page["has_more"]:
            assert page["next_cursor"] is None
            return pages
        assert isinstance(page["next_cursor"], str)
        cursor = page["next_cursor"]


def _group(http: httpx.Client, owner: Account, title: str, members: list[int]) -> int:
    response = http.post(
        "/chats",
        json={"kind": "group", "title": title, "member_ids": members},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    chat_id: int = response.json()["id"]
    return chat_id


def test_the_chat_list_pages_by_cursor_most_recently_active_first(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    groups = [_group(http, alice, f"g{i}", [bob.id]) for i in range(5)]
    posted = http.post(
        f"/chats/{groups[1]}/messages",
        json={"client_id": unique("c"), "text": "up"},
        headers=bob.headers,
    )
    assert posted.status_code == 201, posted.text

    pages = _follow(http, "/chats", alice, limit=2)
    whole = http.get("/chats", headers=alice.headers).json()

    expected = [groups[1], groups[4], groups[3], groups[2], groups[0]]
    assert [[c["id"] for c in p["items"]] for p in pages] == [
        expected[0:2],
        expected[2:4],
        expected[4:5],
    ]
    assert pages[0]["items"][0]["last_message"]["text"] == "up"
    assert pages[0]["items"][0]["unread_count"] == 1
    assert [c["id"] for c in whole["items"]] == expected
    assert (whole["has_more"], whole["next_cursor"]) == (False, None)


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "%ff%fe",
        "%00",
        "W10",
        "WyJzZXNzaW9ucyIsMSwiYSJd",
        "x" * 4000,
        "WyJjaGF0cyIsMSwy",
    ],
)
def test_a_chat_cursor_that_was_never_handed_out_is_a_validation_error(
    http: httpx.Client, alice: Account, cursor: str
) -> None:
    # Sent as written (percent escapes included), not re-encoded by the client.
    response = http.get(f"/chats?cursor={cursor}", headers=alice.headers)

    body = assert_problem(response, 422, "validation_error")
    assert body["field"] == "cursor"


@pytest.mark.parametrize("limit", ["0", "101", "-1", "x"])
def test_a_chat_page_size_out_of_range_is_a_validation_error(
    http: httpx.Client, alice: Account, limit: str
) -> None:
    response = http.get("/chats", params={"limit": limit}, headers=alice.headers)

    assert_problem(response, 422, "validation_error")


def test_sessions_search_and_edits_page_the_same_way(http: httpx.Client) -> None:
    prefix = unique("pg")[:12]
    accounts = [register(http, prefix) for _ in range(3)]
    me = accounts[0]
    for _ in range(2):
        login = http.post("/auth/login", json={"login": me.username, "password": PASSWORD})
        assert login.status_code == 200, login.text
    dialog = http.post(
        "/chats", json={"kind": "direct", "user_id": accounts[1].id}, headers=me.headers
    ).json()["id"]
    message = http.post(
        f"/chats/{dialog}/messages",
        json={"client_id": unique("c"), "text": "v0"},
        headers=me.headers,
    ).json()
    for i in range(1, 4):
        edited = http.patch(
            f"/messages/{message['id']}", json={"text": f"v{i}"}, headers=me.headers
        )
        assert edited.status_code == 200, edited.text

    sessions = _follow(http, "/auth/sessions", me, limit=2)
    found = _follow(http, "/users", me, q=prefix, limit=2)
    edits = _follow(http, f"/messages/{message['id']}/edits", me, limit=2)

    assert [len(p["items"]) for p in sessions] == [2, 1]
    assert len({s["id"] for p in sessions for s in p["items"]}) == 3
    assert [u["username"] for p in found for u in p["items"]] == sorted(
        a.username for a in accounts
    )
    assert [[e["text"] for e in p["items"]] for p in edits] == [["v0", "v1"], ["v2"]]
    wrong_list = http.get(
        "/auth/sessions", params={"cursor": found[0]["next_cursor"]}, headers=me.headers
    )
    assert assert_problem(wrong_list, 422, "validation_error")["field"] == "cursor"
