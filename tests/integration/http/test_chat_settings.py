"""Chat settings and drafts over real HTTP, on SQLite and MariaDB: ``PATCH
/chats/{id}/settings``, ``PUT /chats/pinned-order``, ``PUT /chats/{id}/draft`` and what
``GET /chats`` then shows (the order, the archive, the settings and drafts of each item)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.contract_check import check_sync_event
from tests.integration.http.support import Account, assert_problem, open_group, posted_id, register

pytestmark = pytest.mark.integration


def _settings(http: httpx.Client, account: Account, chat_id: int, **body: Any) -> httpx.Response:
    return http.patch(f"/chats/{chat_id}/settings", json=body, headers=account.headers)


def _chats(http: httpx.Client, account: Account, **params: Any) -> list[dict[str, Any]]:
    """Every item of the list (or archive), page by page."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": 2, **params, **({"cursor": cursor} if cursor else {})}
        response = http.get("/chats", params=query, headers=account.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def _ids(items: list[dict[str, Any]]) -> list[int]:
    return [item["id"] for item in items]


def _synced(http: httpx.Client, account: Account) -> list[dict[str, Any]]:
    response = http.get("/sync", params={"since": 0}, headers=account.headers)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    for event in events:
        check_sync_event(event)
    return events


def test_pinned_chats_come_first_in_the_users_order_then_by_activity(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    first, second, third = (open_group(http, alice, bob, title=f"G{i}") for i in range(3))
    assert _ids(_chats(http, alice)) == [third, second, first]

    for chat_id in (first, second):
        response = _settings(http, alice, chat_id, pinned=True)
        assert response.status_code == 200, response.text
    assert response.json() == {
        "chat_id": second,
        "muted_until": None,
        "muted": False,
        "pinned": True,
        "archived": False,
        "pinned_chat_ids": [second, first],
    }
    assert _ids(_chats(http, alice)) == [second, first, third]

    reordered = http.put(
        "/chats/pinned-order", json={"chat_ids": [first, second]}, headers=alice.headers
    )
    assert reordered.status_code == 200, reordered.text
    assert reordered.json() == {"chat_ids": [first, second]}
    posted_id(http, bob, third, "news")
    items = _chats(http, alice)
    assert _ids(items) == [first, second, third]
    assert [i["pinned"] for i in items] == [True, True, False]
    assert _ids(_chats(http, bob)) == [third, second, first]


def test_a_pinned_order_that_is_not_exactly_the_pinned_chats_is_refused(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    first, second = open_group(http, alice, bob), open_group(http, alice, bob)
    _settings(http, alice, first, pinned=True)

    for wrong in ([], [first, second], [first, first]):
        response = http.put("/chats/pinned-order", json={"chat_ids": wrong}, headers=alice.headers)
        assert_problem(response, 422, "pinned_order_mismatch")


def test_pinning_beyond_the_cap_is_refused_with_its_code(
    http: httpx.Client, alice: Account
) -> None:
    groups = [open_group(http, alice, title=f"G{i}") for i in range(11)]
    for chat_id in groups[:10]:
        assert _settings(http, alice, chat_id, pinned=True).status_code == 200

    assert_problem(_settings(http, alice, groups[10], pinned=True), 409, "too_many_pinned_chats")


def test_archived_chats_are_apart_until_a_message_comes_unless_muted(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    quiet, loud = open_group(http, alice, bob), open_group(http, alice, bob)
    _settings(http, alice, quiet, archived=True, muted_until="forever")
    _settings(http, alice, loud, archived=True)
    assert _ids(_chats(http, alice)) == []
    assert _ids(_chats(http, alice, archived="true")) == [loud, quiet]

    posted_id(http, bob, quiet, "shh")
    posted_id(http, bob, loud, "hey")

    [item] = _chats(http, alice)
    assert item["id"] == loud
    assert not item["archived"]
    [muted] = _chats(http, alice, archived="true")
    assert muted["id"] == quiet
    assert muted["muted_until"] == "forever"
    assert muted["muted"]
    assert muted["archived"]
    assert muted["unread_count"] == 1


def test_a_timed_mute_reads_back_as_its_moment_and_patch_leaves_other_fields(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = open_group(http, alice, bob)
    _settings(http, alice, chat_id, pinned=True)

    response = _settings(http, alice, chat_id, muted_until="2999-01-02T03:04:05+00:00")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["muted_until"] == "2999-01-02T03:04:05Z"
    assert body["pinned"]
    cleared = _settings(http, alice, chat_id, muted_until=None).json()
    assert cleared["muted_until"] is None
    assert cleared["pinned"]


@pytest.mark.parametrize(
    "body",
    [
        {"muted_until": "tomorrow"},
        {"muted_until": "2999-01-02T03:04:05"},
        {"muted_until": "0001-01-01T00:00:00+14:00"},
        {"muted_until": "9999-12-31T23:00:00-14:00"},
        {"muted_until": 5},
        {"pinned": "yes"},
        {"pinned": True, "archived": True},
        {"colour": "red"},
    ],
)
def test_malformed_settings_are_refused_with_a_code(
    http: httpx.Client, alice: Account, body: dict[str, Any]
) -> None:
    chat_id = open_group(http, alice)
    response = _settings(http, alice, chat_id, **body)
    assert response.status_code in (400, 422), response.text
    assert response.json()["code"] in ("validation_error", "bad_request", "malformed_request")


def test_only_members_change_settings_and_drafts(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = open_group(http, alice)
    assert_problem(_settings(http, bob, chat_id, pinned=True), 404, "not_found")
    assert_problem(
        http.put(f"/chats/{chat_id}/draft", json={"text": "hi"}, headers=bob.headers),
        404,
        "not_found",
    )


def test_a_draft_shows_in_the_authors_list_and_goes_when_they_send(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = open_group(http, alice, bob)
    question = posted_id(http, bob, chat_id, "question")

    saved = http.put(
        f"/chats/{chat_id}/draft",
        json={"text": "my answer", "reply_to_id": question},
        headers=alice.headers,
    )

    assert saved.status_code == 200, saved.text
    draft = saved.json()["draft"]
    assert draft["text"] == "my answer"
    assert draft["reply_to_id"] == question
    [item] = _chats(http, alice)
    assert item["draft"] == draft
    [bobs] = _chats(http, bob)
    assert bobs["draft"] is None

    posted_id(http, alice, chat_id, "my answer")

    [item] = _chats(http, alice)
    assert item["draft"] is None
    drafts = [e["data"] for e in _synced(http, alice) if e["type"] == "draft_updated"]
    assert drafts == [
        {"chat_id": chat_id, "draft": draft},
        {"chat_id": chat_id, "draft": None},
    ]
    assert all(e["type"] != "draft_updated" for e in _synced(http, bob))


def test_a_draft_is_as_long_as_a_message_and_empty_clears_it(
    http: httpx.Client, alice: Account
) -> None:
    chat_id = open_group(http, alice)
    too_long = http.put(f"/chats/{chat_id}/draft", json={"text": "x" * 5001}, headers=alice.headers)
    assert_problem(too_long, 422, "message_too_long")
    http.put(f"/chats/{chat_id}/draft", json={"text": "keep"}, headers=alice.headers)

    cleared = http.put(f"/chats/{chat_id}/draft", json={"text": ""}, headers=alice.headers)

    assert cleared.json() == {"chat_id": chat_id, "draft": None}
    [item] = _chats(http, alice)
    assert item["draft"] is None


def test_settings_are_synced_to_the_users_devices_only(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = open_group(http, alice, bob)
    _settings(http, alice, chat_id, muted_until="forever")

    mine = [e for e in _synced(http, alice) if e["type"] == "chat_settings_updated"]
    assert [e["data"]["muted_until"] for e in mine] == ["forever"]
    assert all(e["type"] != "chat_settings_updated" for e in _synced(http, bob))


def test_leaving_a_group_forgets_its_settings(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = open_group(http, alice, bob)
    _settings(http, bob, chat_id, pinned=True, muted_until="forever")
    http.put(f"/chats/{chat_id}/draft", json={"text": "bye"}, headers=bob.headers)
    left = http.delete(f"/chats/{chat_id}/members/{bob.id}", headers=bob.headers)
    assert left.status_code == 204, left.text

    added = http.post(f"/chats/{chat_id}/members", json={"user_id": bob.id}, headers=alice.headers)

    assert added.status_code == 201, added.text
    [item] = _chats(http, bob)
    assert (item["pinned"], item["muted"], item["draft"]) == (False, False, None)


def test_the_chat_list_pages_stay_whole_with_pins_and_archive(http: httpx.Client) -> None:
    owner = register(http, "pager")
    groups = [open_group(http, owner, title=f"P{i}") for i in range(7)]
    _settings(http, owner, groups[1], pinned=True)
    _settings(http, owner, groups[4], pinned=True)
    _settings(http, owner, groups[2], archived=True)
    posted_id(http, owner, groups[0], "bump")

    for limit in (1, 2, 3, 100):
        items = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": limit}
            if cursor:
                params["cursor"] = cursor
            body = http.get("/chats", params=params, headers=owner.headers).json()
            items += body["items"]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert _ids(items) == [groups[4], groups[1], groups[0], groups[6], groups[5], groups[3]]
