"""Reply previews over real HTTP, on SQLite and MariaDB: ``reply_to`` on messages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.http.support import Account, open_group, post_message

pytestmark = pytest.mark.integration


def _quote_of(http: httpx.Client, account: Account, chat_id: int, reply_id: int) -> Any:
    items = http.get(f"/chats/{chat_id}/messages", headers=account.headers).json()["items"]
    [reply] = [m for m in items if m["id"] == reply_id]
    return reply["reply_to"]


def test_a_reply_quotes_its_original_as_it_is_now(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat = open_group(http, alice, bob)
    original = post_message(http, alice, chat, "é" * 250)
    plain = post_message(http, bob, chat, "plain")
    reply = post_message(http, bob, chat, "agreed", reply_to_id=original["id"])

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
    chat = open_group(http, alice, bob)
    original = post_message(http, alice, chat, "secret-ish")
    assert http.delete(f"/messages/{original['id']}?for=me", headers=bob.headers).status_code == 204
    reply = post_message(http, alice, chat, "re", reply_to_id=original["id"])

    # The reply went to bob too: as of the moment, for everyone, its quote is withheld.
    assert reply["reply_to"]["deleted"] is True
    assert _quote_of(http, bob, chat, reply["id"])["deleted"] is True
    assert _quote_of(http, alice, chat, reply["id"])["text"] == "secret-ish"
