"""Seed 001's REST: files attached to a message already sent, and edits with ``PUT``."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.http.support import Account, assert_problem, register, unique

pytestmark = pytest.mark.integration


def _dialog_message(http: httpx.Client, a: Account, b: Account, text: str = "see below") -> dict:
    chat = http.post("/chats", json={"kind": "direct", "user_id": b.id}, headers=a.headers)
    assert chat.status_code in (200, 201), chat.text
    posted = http.post(
        f"/chats/{chat.json()['id']}/messages",
        json={"client_id": unique("c"), "text": text},
        headers=a.headers,
    )
    assert posted.status_code == 201, posted.text
    message: dict = posted.json()
    return message


def test_the_author_attaches_several_files_to_a_sent_message(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    message = _dialog_message(http, alice, bob)
    cursor = http.get("/sync", params={"since": 0}, headers=bob.headers).json()["cursor"]

    attached = http.post(
        f"/messages/{message['id']}/files",
        files=[
            ("file", ("отчёт.txt", "отчёт".encode(), "text/plain")),
            ("file", ("photo.png", b"\x89PNG" + b"\0" * 5000, "image/png")),
        ],
        headers=alice.headers,
    )

    assert attached.status_code == 200, attached.text
    body = attached.json()
    assert body["id"] == message["id"]
    assert body["text"] == "see below"
    assert [a["name"] for a in body["attachments"]] == ["отчёт.txt", "photo.png"]
    assert body["attachments"][1]["size"] == 5004
    # Bob is told, and can download what he is told about.
    events = http.get("/sync", params={"since": cursor}, headers=bob.headers).json()["events"]
    assert [e["type"] for e in events] == ["message_updated"]
    assert events[0]["data"]["message"]["attachments"] == body["attachments"]
    for attachment, content in zip(
        body["attachments"], ["отчёт".encode(), b"\x89PNG" + b"\0" * 5000], strict=True
    ):
        downloaded = http.get(attachment["url"].removeprefix("/api/v1"), headers=bob.headers)
        assert downloaded.status_code == 200
        assert downloaded.content == content
    history = http.get(f"/chats/{message['chat_id']}/messages", headers=bob.headers).json()
    assert history["items"][-1]["attachments"] == body["attachments"]


def test_attaching_files_refuses_others_bad_bodies_and_too_many(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    message = _dialog_message(http, alice, bob)
    url = f"/messages/{message['id']}/files"
    one = {"file": ("a.txt", b"a")}

    assert_problem(http.post(url, files=one, headers=bob.headers), 403, "forbidden")
    stranger = register(http, "carol")
    assert_problem(http.post(url, files=one, headers=stranger.headers), 404, "not_found")
    assert_problem(
        http.post("/messages/999999999/files", files=one, headers=alice.headers), 404, "not_found"
    )
    assert_problem(http.post(url, files=one), 401, "unauthorized")
    no_file = http.post(url, files={"other": ("a.txt", b"a")}, headers=alice.headers)
    assert_problem(no_file, 400, "malformed_request")
    assert_problem(
        http.post(url, json={"file": "a"}, headers=alice.headers), 400, "malformed_request"
    )
    eleven = [("file", (f"{i}.txt", b"x")) for i in range(11)]
    too_many = assert_problem(
        http.post(url, files=eleven, headers=alice.headers), 422, "validation_error"
    )
    assert too_many["field"] == "file"
    # Nothing of a refused request was attached.
    assert (
        http.get(f"/chats/{message['chat_id']}/messages", headers=alice.headers).json()["items"][
            -1
        ]["attachments"]
        == []
    )


def test_put_edits_a_message_like_patch(http: httpx.Client, alice: Account, bob: Account) -> None:
    message = _dialog_message(http, alice, bob, "first")

    edited = http.put(f"/messages/{message['id']}", json={"text": "second"}, headers=alice.headers)

    assert edited.status_code == 200, edited.text
    assert edited.json()["text"] == "second"
    assert edited.json()["edited_at"] is not None
    edits = http.get(f"/messages/{message['id']}/edits", headers=bob.headers).json()["items"]
    assert [e["text"] for e in edits] == ["first"]
    assert_problem(
        http.put(f"/messages/{message['id']}", json={"text": "x"}, headers=bob.headers),
        403,
        "forbidden",
    )


def test_cors_allows_put(http: httpx.Client) -> None:
    preflight = http.options(
        "/messages/1",
        headers={
            "Origin": "app://.",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code in (200, 204), preflight.text
    assert "PUT" in preflight.headers["access-control-allow-methods"]
