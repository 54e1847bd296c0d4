"""Forwarding over real HTTP, on SQLite and MariaDB: ``forward_of`` on
``POST /chats/{id}/messages``; the files are shared and members of either chat download them."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.http.support import Account, assert_problem, register

pytestmark = pytest.mark.integration


def _dialog(http: httpx.Client, a: Account, b: Account) -> int:
    response = http.post("/chats", json={"kind": "direct", "user_id": b.id}, headers=a.headers)
    assert response.status_code in (200, 201), response.text
    chat_id: int = response.json()["id"]
    return chat_id


def _forward(
    http: httpx.Client, account: Account, chat_id: int, source: int, client_id: str = "fw-1"
) -> httpx.Response:
    return http.post(
        f"/chats/{chat_id}/messages",
        json={"client_id": client_id, "forward_of": source},
        headers=account.headers,
    )


def test_a_forward_carries_the_text_and_files_and_both_chats_download_them(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    carol = register(http, "carol")
    upload = http.post(
        "/files",
        files={"file": ("notes.txt", b"shared bytes", "text/plain")},
        headers=bob.headers,
    )
    assert upload.status_code == 201, upload.text
    file_id = upload.json()["id"]
    source_chat = _dialog(http, bob, alice)
    posted = http.post(
        f"/chats/{source_chat}/messages",
        json={"client_id": "src", "text": "see attached", "attachment_ids": [file_id]},
        headers=bob.headers,
    )
    assert posted.status_code == 201, posted.text
    target = _dialog(http, alice, carol)

    forwarded = _forward(http, alice, target, posted.json()["id"])

    assert forwarded.status_code == 201, forwarded.text
    message = forwarded.json()
    assert message["text"] == "see attached"
    assert [a["id"] for a in message["attachments"]] == [file_id]
    # Carol is not in bob's dialog with alice: its id is not hers to learn.
    assert message["forwarded_from"] == {
        "sender_id": bob.id,
        "sent_at": posted.json()["created_at"],
    }
    download = http.get(f"/files/{file_id}", headers=carol.headers)
    assert download.status_code == 200
    assert download.content == b"shared bytes"
    # A resend is the same message, even once the source is gone.
    assert http.delete(f"/messages/{posted.json()['id']}", headers=bob.headers).status_code == 200
    again = _forward(http, alice, target, posted.json()["id"])
    assert again.status_code == 200
    assert again.json()["id"] == message["id"]
    assert http.get(f"/files/{file_id}", headers=carol.headers).status_code == 200
    history = http.get(f"/chats/{target}/messages", headers=carol.headers).json()["items"]
    assert history[-1]["forwarded_from"]["sender_id"] == bob.id


def test_the_source_chat_is_named_to_an_audience_inside_it(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    group = http.post(
        "/chats",
        json={"kind": "group", "title": "Team", "member_ids": [bob.id]},
        headers=alice.headers,
    ).json()["id"]
    source = http.post(
        f"/chats/{group}/messages", json={"client_id": "g", "text": "plan"}, headers=bob.headers
    ).json()

    forwarded = _forward(http, alice, _dialog(http, alice, bob), source["id"])

    assert forwarded.status_code == 201, forwarded.text
    assert forwarded.json()["forwarded_from"]["chat_id"] == group


def test_what_the_sender_does_not_see_cannot_be_forwarded(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    carol = register(http, "carol")
    private = _dialog(http, alice, bob)
    source = http.post(
        f"/chats/{private}/messages", json={"client_id": "p", "text": "ours"}, headers=bob.headers
    ).json()["id"]
    target = _dialog(http, carol, alice)

    assert_problem(_forward(http, carol, target, source), 404, "not_found")
    assert http.delete(f"/messages/{source}?for=me", headers=alice.headers).status_code == 204
    assert_problem(_forward(http, alice, target, source), 404, "not_found")
    with_text = http.post(
        f"/chats/{private}/messages",
        json={"client_id": "t", "text": "comment", "forward_of": source},
        headers=bob.headers,
    )
    assert_problem(with_text, 422, "validation_error")
