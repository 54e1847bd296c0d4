"""``GET /search/messages`` on SQLite (FTS5) and MariaDB (InnoDB FULLTEXT): inflections,
prefixes, what each user may see, filters, paging, highlights and bad requests."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from messenger.adapters.sqlalchemy.repositories import search as search_repository
from tests.integration.http.support import Account, assert_problem, register, unique

pytestmark = pytest.mark.integration


def _group(http: httpx.Client, owner: Account, members: list[int]) -> int:
    response = http.post(
        "/chats",
        json={"kind": "group", "title": "g", "member_ids": members},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    chat_id: int = response.json()["id"]
    return chat_id


def _post(http: httpx.Client, who: Account, chat_id: int, text: str, **extra: Any) -> int:
    response = http.post(
        f"/chats/{chat_id}/messages",
        json={"client_id": unique("c"), "text": text, **extra},
        headers=who.headers,
    )
    assert response.status_code == 201, response.text
    message_id: int = response.json()["id"]
    return message_id


def _search(http: httpx.Client, who: Account, q: str, **params: Any) -> dict[str, Any]:
    response = http.get("/search/messages", params={"q": q, **params}, headers=who.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"items", "has_more", "next_cursor"}
    return body


def _texts(http: httpx.Client, who: Account, q: str, **params: Any) -> list[str]:
    return [hit["message"]["text"] for hit in _search(http, who, q, **params)["items"]]


def test_words_match_across_inflections_and_the_last_one_as_a_prefix(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat = _group(http, alice, [bob.id])
    _post(http, bob, chat, "Пришли два сообщения")
    _post(http, bob, chat, "Завалили сообщениями 🎉")
    _post(http, bob, chat, "I was running")
    _post(http, bob, chat, "я the it <b>x</b>")

    assert _texts(http, alice, "сообщение") == ["Завалили сообщениями 🎉", "Пришли два сообщения"]
    assert _texts(http, alice, "сообщ") == ["Завалили сообщениями 🎉", "Пришли два сообщения"]
    assert _texts(http, alice, "run") == ["I was running"]
    assert _texts(http, alice, "runn") == ["I was running"]
    # InnoDB would drop words under three letters and its stopwords: the index keeps them.
    assert _texts(http, alice, "я the") == ["я the it <b>x</b>"]
    assert _texts(http, alice, "it") == ["я the it <b>x</b>"]


def test_a_hit_carries_its_message_chat_and_the_words_that_matched(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat = _group(http, alice, [bob.id])
    message_id = _post(http, bob, chat, "Сообщения, СООБЩЕНИЕ и ещё сообщениями!")

    [hit] = _search(http, alice, "сообщение")["items"]

    assert hit["chat_id"] == chat
    assert hit["message"]["id"] == message_id
    assert hit["highlights"] == ["Сообщения", "СООБЩЕНИЕ", "сообщениями"]


@pytest.mark.parametrize(
    "q", ["<script>alert(1)</script>", "🎉", "' OR 1=1 --", '"*"', "+-~<>()@*", "a*", "\\%_"]
)
def test_hostile_queries_are_harmless(
    http: httpx.Client, alice: Account, bob: Account, q: str
) -> None:
    chat = _group(http, alice, [bob.id])
    _post(http, bob, chat, "<script>alert(1)</script> 🎉")

    body = _search(http, alice, q)

    for hit in body["items"]:
        assert hit["chat_id"] == chat


def test_only_what_each_user_may_see_is_found(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    carol = register(http, "carol")
    word = unique("w").replace("-", "")
    private = _group(http, alice, [bob.id])
    shared = _group(http, alice, [bob.id, carol.id])
    _post(http, alice, private, f"{word} private")
    deleted = _post(http, alice, shared, f"{word} deleted")
    _post(http, alice, shared, f"{word} cleared")
    assert http.delete(f"/chats/{shared}/messages", headers=carol.headers).status_code == 204
    hidden = _post(http, alice, shared, f"{word} hidden")
    _post(http, alice, shared, f"{word} kept")
    assert http.delete(f"/messages/{deleted}", headers=alice.headers).status_code == 200
    gone = http.delete(f"/messages/{hidden}", params={"for": "me"}, headers=carol.headers)
    assert gone.status_code == 204

    assert _texts(http, carol, word) == [f"{word} kept"]
    assert _texts(http, bob, word) == [
        f"{word} kept",
        f"{word} hidden",
        f"{word} cleared",
        f"{word} private",
    ]
    response = http.get(
        "/search/messages", params={"q": word, "chat_id": private}, headers=carol.headers
    )
    assert_problem(response, 404, "not_found")


def test_an_edit_reindexes_and_filters_narrow_the_results(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat = _group(http, alice, [bob.id])
    other = _group(http, alice, [bob.id])
    first = _post(http, alice, chat, "draft wording")
    _post(http, bob, chat, "report from bob")
    _post(http, alice, other, "report elsewhere")

    edited = http.patch(f"/messages/{first}", json={"text": "final report"}, headers=alice.headers)
    assert edited.status_code == 200, edited.text

    assert _texts(http, bob, "draft") == []
    assert _texts(http, bob, "report") == ["report elsewhere", "report from bob", "final report"]
    assert _texts(http, bob, "report", chat_id=chat) == ["report from bob", "final report"]
    assert _texts(http, bob, "report", from_user_id=bob.id) == ["report from bob"]
    assert _texts(http, bob, "report", has="file") == []
    assert _texts(http, bob, "report", after="2000-01-01T00:00:00Z", before="2999-01-01") == [
        "report elsewhere",
        "report from bob",
        "final report",
    ]
    assert _texts(http, bob, "report", before="2000-01-01T00:00:00+03:00") == []


def test_results_page_newest_first_by_cursor(http: httpx.Client, alice: Account) -> None:
    bob = register(http, "bob")
    chat = _group(http, alice, [bob.id])
    for i in range(5):
        _post(http, alice, chat, f"entry {i}")
    seen: list[str] = []
    cursor = None
    while True:
        body = _search(http, alice, "entry", limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [hit["message"]["text"] for hit in body["items"]]
        if not body["has_more"]:
            assert body["next_cursor"] is None
            break
        cursor = body["next_cursor"]

    assert seen == [f"entry {i}" for i in reversed(range(5))]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": "ok", "has": "video"}, "has"),
        ({"q": "ok", "before": "yesterday"}, "before"),
        ({"q": "ok", "after": "2026-13-45"}, "after"),
        ({"q": "ok", "limit": 0}, "limit"),
        ({"q": "ok", "limit": 51}, "limit"),
        ({"q": "ok", "cursor": "bogus"}, "cursor"),
    ],
)
def test_bad_requests_are_validation_errors_naming_their_field(
    http: httpx.Client, alice: Account, params: dict[str, Any], field: str
) -> None:
    response = http.get("/search/messages", params=params, headers=alice.headers)

    assert assert_problem(response, 422, "validation_error")["field"] == field


def test_searching_needs_a_token(http: httpx.Client) -> None:
    assert_problem(http.get("/search/messages", params={"q": "x"}), 401, "unauthorized")


def test_matches_beyond_the_newest_window_come_from_the_full_text_index(
    http: httpx.Client, alice: Account, bob: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    # MariaDB reads the newest messages by LIKE first (repositories/search.py): with a
    # window of one id, every older match must come from the FULLTEXT index, in order.
    monkeypatch.setattr(search_repository, "PROBE_IDS", 1)
    monkeypatch.setattr(search_repository, "RECENT_ROWS", 1)
    monkeypatch.setattr(search_repository, "MAX_WIDENING", 1)
    chat = _group(http, alice, [bob.id])
    for i in range(6):
        _post(http, bob, chat, f"отчёты {i}" if i % 2 else f"running {i}")
        _post(http, alice, chat, f"filler {i}")

    assert _texts(http, alice, "отчет") == ["отчёты 5", "отчёты 3", "отчёты 1"]
    assert _texts(http, alice, "run", limit=2) == ["running 4", "running 2"]
    assert _texts(http, alice, "running filler") == []
