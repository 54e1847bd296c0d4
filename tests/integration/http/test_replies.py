"""Reply previews over real HTTP, on SQLite and MariaDB: ``reply_to`` on messages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.http.support import Account

pytestmark = pytest.mark.integration


def _group(http: httpx.Client, owner: Account, *members: Account) -> int:
    response = http.post(
        "/chats",
        json={"kind": "group", "title": "Team", "member_ids": [m.id for m in members]},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    chat_id: int = response.json()["id"]
    return chat_id


def _post(
    http: httpx.Client, account: Account, chat_id: int, text: str, **extra: Any
) -> dict[str, Any]:
    response = http.post(
        f"/chats/{chat_id}/messages",
        json={"client_id": f"c-{len(text)}-{text[:10]}", "text": text, **extra},
        headers=account.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _quote_of(http: httpx.Client, account: Account, chat_id: int, reply_id: int) -> Any:
    items = http.get(f"/chats/{chat_id}/messages", headers=account.headers).json()["items"]
    [reply] = [m for m in items if m["id"] == reply_id]
    return reply["reply_to"]


def test_a_reply_quotes_its_original_as_it_is_now(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat = _group(http, alice, bob)
    original = _post(http, alice, chat, "é" * 250)
    plain = _post(http, bob, chat, "plain")
    reply = _post(http, bob, chat, "agreed", reply_to_id=original["id"])

    expected = {"id": original["id"], "sender_id": alice.id, "text": "é" * 200, "deleted": False}
    assert reply["reply_to"] == expected
    assert plain["reply_to"] is None
    assert _quote_of(http, alice, chat, reply["id"]) == expected
    edited = http.patch(f"/messages/{original['id']}", json={"text": "new"}, headers=alice.headers)
    assert edited.status_code == 200
    assert _quote_of(http, bob, chat, reply["id"])["text"] == "new"
    assert http.delete(f"/messages/{original['id']}", headers=alice.headers).status_code == 200
    assert _quote_of(http, bob, chat, reply["id"]) == {
        "id": original["id"],
        "sender_id": alice.id,
        "text": "",
        "deleted": True,
    }


def test_an_original_the_reader_hid_reads_as_deleted_for_them_only(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat = _group(http, alice, bob)
    original = _post(http, alice, chat, "secret-ish")
    assert http.delete(f"/messages/{original['id']}?for=me", headers=bob.headers).status_code == 204
    reply = _post(http, alice, chat, "re", reply_to_id=original["id"])

    # The reply went to bob too: as of the moment, for everyone, its quote is withheld.
    assert reply["reply_to"]["deleted"] is True
    assert _quote_of(http, bob, chat, reply["id"])["deleted"] is True
    assert _quote_of(http, alice, chat, reply["id"])["text"] == "secret-ish"
