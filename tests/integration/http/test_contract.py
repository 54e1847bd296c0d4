"""The REST contract, end to end over real HTTP: each test reads as a client's story."""

from __future__ import annotations

import httpx
import pytest

from tests import pictures
from tests.integration.http.support import PASSWORD, Account, assert_problem, register, unique

pytestmark = pytest.mark.integration


def _dialog(http: httpx.Client, a: Account, b: Account) -> int:
    response = http.post("/chats", json={"kind": "direct", "user_id": b.id}, headers=a.headers)
    assert response.status_code in (200, 201), response.text
    chat_id: int = response.json()["id"]
    return chat_id


def _post(http: httpx.Client, who: Account, chat_id: int, text: str, **extra: object) -> dict:
    response = http.post(
        f"/chats/{chat_id}/messages",
        json={"client_id": unique("c"), "text": text, **extra},
        headers=who.headers,
    )
    assert response.status_code == 201, response.text
    body: dict = response.json()
    return body


def test_health_and_ready_answer_ok(http: httpx.Client) -> None:
    assert http.get("/health").json() == {"status": "ok"}
    ready = http.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok"}


def test_register_returns_the_user_and_a_token_pair(http: httpx.Client) -> None:
    name = unique("Reg")
    response = http.post(
        "/auth/register",
        json={
            "username": name,
            "password": PASSWORD,
            "email": f"{name}@Example.com",
            "display_name": "Регина 👋",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    assert body["access_token"]
    assert body["refresh_token"]
    assert body["user"]["username"] == name.lower()
    assert body["user"]["email"] == f"{name.lower()}@example.com"
    assert body["user"]["display_name"] == "Регина 👋"
    assert "password_hash" not in body["user"]


def test_login_by_username_or_email_opens_a_new_session(http: httpx.Client) -> None:
    account = register(http, "log", email=f"{unique('m')}@example.com")
    email = account.body["user"]["email"]
    by_name = http.post(
        "/auth/login",
        json={"login": account.username.upper(), "password": PASSWORD, "device_name": "laptop"},
    )
    by_email = http.post("/auth/login", json={"login": email, "password": PASSWORD})
    assert by_name.status_code == by_email.status_code == 200
    assert by_name.json()["user"]["id"] == by_email.json()["user"]["id"] == account.id
    sessions = http.get("/auth/sessions", headers=account.headers).json()["items"]
    assert len(sessions) == 3
    assert {s["device_name"] for s in sessions} >= {"laptop"}
    assert [s["current"] for s in sessions].count(True) == 1


def test_my_account_can_be_read_and_patched(http: httpx.Client, alice: Account) -> None:
    me = http.get("/users/me", headers=alice.headers).json()
    assert me["id"] == alice.id
    picture = http.post(
        "/files",
        files={"file": ("me.png", pictures.picture(32, 32), "image/png")},
        headers=alice.headers,
    ).json()
    patched = http.patch(
        "/users/me",
        json={"display_name": "Alice A.", "avatar_url": picture["url"], "bio": "hi"},
        headers=alice.headers,
    )
    assert patched.status_code == 200
    assert patched.json()["display_name"] == "Alice A."
    # The upload is made into the avatar's sizes: avatar_url is the large one's URL.
    assert patched.json()["avatar_url"] == patched.json()["avatar"]["large"]
    assert patched.json()["avatar_url"].startswith(f"/api/v1/users/{alice.id}/avatar?size=512")
    # Fields left out stay; null removes the avatar.
    cleared = http.patch("/users/me", json={"avatar_url": None}, headers=alice.headers).json()
    assert cleared["avatar_url"] is None
    assert cleared["bio"] == "hi"
    assert cleared["display_name"] == "Alice A."


def test_an_avatar_from_outside_or_of_someone_else_is_refused(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    bobs = http.post(
        "/files", files={"file": ("bob.png", b"\x89PNG", "image/png")}, headers=bob.headers
    ).json()
    for url in ("https://tracker.example/pixel.png", bobs["url"], "/api/v1/files/nope"):
        response = http.patch("/users/me", json={"avatar_url": url}, headers=alice.headers)
        assert assert_problem(response, 422, "validation_error")["field"] == "avatar_url"
    assert http.get("/users/me", headers=alice.headers).json()["avatar_url"] is None


def test_users_can_be_searched_and_looked_up_without_private_fields(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    found = http.get("/users", params={"q": bob.username[:10], "limit": 5}, headers=alice.headers)
    assert found.status_code == 200
    assert bob.id in [u["id"] for u in found.json()["items"]]
    profile = http.get(f"/users/{bob.id}", headers=alice.headers).json()
    assert profile["username"] == bob.username
    assert "email" not in profile
    assert_problem(http.get("/users/999999999", headers=alice.headers), 404, "not_found")


def test_opening_a_dialog_twice_returns_the_same_chat(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    first = http.post("/chats", json={"kind": "direct", "user_id": bob.id}, headers=alice.headers)
    again = http.post("/chats", json={"kind": "direct", "user_id": alice.id}, headers=bob.headers)
    assert first.status_code == 201
    assert again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["kind"] == "direct"
    assert {m["user_id"] for m in first.json()["members"]} == {alice.id, bob.id}


def test_a_group_can_be_created_renamed_and_managed(http: httpx.Client, alice: Account) -> None:
    bob, carol, dave = (register(http, n) for n in ("bob", "carol", "dave"))
    created = http.post(
        "/chats",
        json={"kind": "group", "title": "Team", "member_ids": [bob.id, carol.id]},
        headers=alice.headers,
    )
    assert created.status_code == 201
    chat = created.json()
    roles = {m["user_id"]: m["role"] for m in chat["members"]}
    assert roles == {alice.id: "owner", bob.id: "member", carol.id: "member"}

    renamed = http.patch(f"/chats/{chat['id']}", json={"title": "Team 2"}, headers=alice.headers)
    assert renamed.json()["title"] == "Team 2"

    added = http.post(
        f"/chats/{chat['id']}/members", json={"user_id": dave.id}, headers=alice.headers
    )
    assert added.status_code == 201
    assert added.json()["user_id"] == dave.id
    assert added.json()["role"] == "member"

    promoted = http.patch(
        f"/chats/{chat['id']}/members/{bob.id}", json={"role": "admin"}, headers=alice.headers
    )
    assert promoted.json()["role"] == "admin"

    removed = http.delete(f"/chats/{chat['id']}/members/{carol.id}", headers=bob.headers)
    assert removed.status_code == 204
    left = http.delete(f"/chats/{chat['id']}/members/{dave.id}", headers=dave.headers)
    assert left.status_code == 204
    members = http.get(f"/chats/{chat['id']}", headers=alice.headers).json()["members"]
    assert {m["user_id"] for m in members} == {alice.id, bob.id}
    assert_problem(http.get(f"/chats/{chat['id']}", headers=carol.headers), 404, "not_found")


def test_posting_is_idempotent_per_client_id(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = _dialog(http, alice, bob)
    body = {"client_id": unique("c"), "text": "Привет, Боб! 👋"}
    first = http.post(f"/chats/{chat_id}/messages", json=body, headers=alice.headers)
    again = http.post(f"/chats/{chat_id}/messages", json=body, headers=alice.headers)
    assert first.status_code == 201
    assert again.status_code in (200, 201)
    assert again.json() == first.json()
    message = first.json()
    assert set(message) >= {
        "id",
        "chat_id",
        "sender_id",
        "client_id",
        "text",
        "reply_to_id",
        "attachments",
        "created_at",
        "edited_at",
        "deleted",
    }
    assert message["text"] == "Привет, Боб! 👋"
    page = http.get(f"/chats/{chat_id}/messages", headers=bob.headers).json()
    assert [m["id"] for m in page["items"]] == [message["id"]]


def test_history_pages_ascend_and_follow_the_cursors(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = _dialog(http, alice, bob)
    ids = [_post(http, alice, chat_id, f"m{i}")["id"] for i in range(7)]
    newest = http.get(f"/chats/{chat_id}/messages", params={"limit": 3}, headers=bob.headers)
    assert [m["id"] for m in newest.json()["items"]] == ids[-3:]
    assert newest.json()["has_more"] is True
    older = http.get(
        f"/chats/{chat_id}/messages", params={"before": ids[-3], "limit": 3}, headers=bob.headers
    ).json()
    assert [m["id"] for m in older["items"]] == ids[1:4]
    newer = http.get(
        f"/chats/{chat_id}/messages", params={"after": ids[1], "limit": 2}, headers=bob.headers
    ).json()
    assert [m["id"] for m in newer["items"]] == ids[2:4]


def test_a_page_around_a_message_centres_it_and_says_what_lies_on_either_side(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = _dialog(http, alice, bob)
    ids = [_post(http, alice, chat_id, f"m{i}")["id"] for i in range(9)]
    path = f"/chats/{chat_id}/messages"

    middle = http.get(path, params={"around": ids[4], "limit": 4}, headers=bob.headers).json()
    assert [m["id"] for m in middle["items"]] == ids[2:6]
    assert (middle["has_more"], middle["has_newer"]) == (True, True)
    # Near the newest end the page fills up with older ones instead.
    end = http.get(path, params={"around": ids[8], "limit": 4}, headers=bob.headers).json()
    assert [m["id"] for m in end["items"]] == ids[5:]
    assert (end["has_more"], end["has_newer"]) == (True, False)
    newest = http.get(path, headers=bob.headers).json()
    assert newest["has_newer"] is False
    # The dialog path pages the same way.
    direct = http.get(
        f"/chats/direct/{alice.id}/messages",
        params={"around": ids[0], "limit": 3},
        headers=bob.headers,
    ).json()
    assert [m["id"] for m in direct["items"]] == ids[:3]
    assert (direct["has_more"], direct["has_newer"]) == (False, True)
    mixed = http.get(path, params={"around": ids[4], "before": ids[6]}, headers=bob.headers)
    assert_problem(mixed, 422, "validation_error")


def test_replies_edits_and_deletes(http: httpx.Client, alice: Account, bob: Account) -> None:
    chat_id = _dialog(http, alice, bob)
    original = _post(http, alice, chat_id, "first")
    reply = _post(http, bob, chat_id, "answer", reply_to_id=original["id"])
    assert reply["reply_to_id"] == original["id"]

    edited = http.patch(
        f"/messages/{original['id']}", json={"text": "first, edited"}, headers=alice.headers
    )
    assert edited.status_code == 200
    assert edited.json()["text"] == "first, edited"
    assert edited.json()["edited_at"] is not None
    edits = http.get(f"/messages/{original['id']}/edits", headers=bob.headers).json()["items"]
    assert [e["text"] for e in edits] == ["first"]

    deleted = http.delete(f"/messages/{original['id']}", headers=alice.headers)
    assert deleted.status_code == 200
    assert deleted.json()["deleted"] is True
    assert deleted.json()["text"] == ""
    page = http.get(f"/chats/{chat_id}/messages", headers=bob.headers).json()["items"]
    assert [m["deleted"] for m in page] == [True, False]


def test_chat_list_orders_by_activity_and_counts_unread(http: httpx.Client, alice: Account) -> None:
    bob, carol = register(http, "bob"), register(http, "carol")
    with_bob = _dialog(http, alice, bob)
    with_carol = _dialog(http, alice, carol)
    _post(http, carol, with_carol, "hi from carol")
    last = [_post(http, bob, with_bob, f"hi {i}") for i in range(3)][-1]

    items = http.get("/chats", headers=alice.headers).json()["items"]
    assert [c["id"] for c in items] == [with_bob, with_carol]
    assert items[0]["unread_count"] == 3
    assert items[0]["last_message"]["id"] == last["id"]
    assert items[1]["unread_count"] == 1

    read = http.post(
        f"/chats/{with_bob}/read", json={"message_id": last["id"]}, headers=alice.headers
    )
    assert read.status_code == 200
    assert read.json() == {
        "chat_id": with_bob,
        "read_message_id": last["id"],
        "unread_count": 0,
        "unread_mentions": 0,
    }
    # The watermark never moves back.
    first_id = last["id"] - 2
    back = http.post(
        f"/chats/{with_bob}/read", json={"message_id": first_id}, headers=alice.headers
    )
    assert back.json()["read_message_id"] == last["id"]
    items = http.get("/chats", headers=alice.headers).json()["items"]
    assert items[0]["unread_count"] == 0


def test_files_upload_attach_and_download(http: httpx.Client, alice: Account, bob: Account) -> None:
    content = "отчёт 📎".encode() * 1000
    uploaded = http.post(
        "/files",
        files={"file": ("../../etc/отчёт.txt", content, "text/html")},
        headers=alice.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    file = uploaded.json()
    assert file["name"] == "отчёт.txt"
    assert file["size"] == len(content)
    assert file["url"] == f"/api/v1/files/{file['id']}"

    # Before it is attached only the uploader can read it.
    assert_problem(http.get(f"/files/{file['id']}", headers=bob.headers), 404, "not_found")
    chat_id = _dialog(http, alice, bob)
    message = _post(http, alice, chat_id, "see attached", attachment_ids=[file["id"]])
    assert message["attachments"][0]["id"] == file["id"]

    downloaded = http.get(f"/files/{file['id']}", headers=bob.headers)
    assert downloaded.status_code == 200
    assert downloaded.content == content
    assert downloaded.headers["x-content-type-options"] == "nosniff"
    assert downloaded.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in downloaded.headers["content-disposition"]


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.mark.parametrize(
    ("name", "content", "content_type", "disposition"),
    [
        ("photo.png", PNG, "image/png", "inline"),
        ("plan.pdf", PDF, "application/pdf", "attachment"),
        # SVG is an image that can carry script: it is never shown inline.
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml", "attachment"),
    ],
)
def test_downloads_keep_the_stored_content_type(
    http: httpx.Client,
    alice: Account,
    name: str,
    content: bytes,
    content_type: str,
    disposition: str,
) -> None:
    uploaded = http.post(
        "/files", files={"file": (name, content, content_type)}, headers=alice.headers
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["content_type"] == content_type

    downloaded = http.get(f"/files/{uploaded.json()['id']}", headers=alice.headers)

    assert downloaded.status_code == 200
    assert downloaded.content == content
    assert downloaded.headers["content-type"] == content_type
    assert downloaded.headers["content-disposition"].startswith(f"{disposition}; filename=")
    assert downloaded.headers["x-content-type-options"] == "nosniff"
    assert downloaded.headers["content-security-policy"] == "sandbox; default-src 'none'"


def test_a_file_can_be_sent_without_a_caption_and_edited_back_to_none(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    uploaded = http.post(
        "/files", files={"file": ("photo.png", PNG, "image/png")}, headers=alice.headers
    )
    file_id = uploaded.json()["id"]
    chat_id = _dialog(http, alice, bob)

    message = _post(http, alice, chat_id, "", attachment_ids=[file_id])
    assert message["text"] == ""
    assert [a["id"] for a in message["attachments"]] == [file_id]
    assert_problem(
        http.post(
            f"/chats/{chat_id}/messages",
            json={"client_id": unique("c"), "text": "  "},
            headers=alice.headers,
        ),
        422,
        "validation_error",
    )

    captioned = http.patch(
        f"/messages/{message['id']}", json={"text": "look"}, headers=alice.headers
    )
    assert captioned.status_code == 200, captioned.text
    uncaptioned = http.patch(f"/messages/{message['id']}", json={"text": ""}, headers=alice.headers)
    assert uncaptioned.status_code == 200, uncaptioned.text
    assert uncaptioned.json()["text"] == ""
    plain = _post(http, alice, chat_id, "no files here")
    assert_problem(
        http.patch(f"/messages/{plain['id']}", json={"text": " "}, headers=alice.headers),
        422,
        "validation_error",
    )


def test_logout_ends_the_session_and_revoking_another_device_works(http: httpx.Client) -> None:
    account = register(http, "out")
    other = http.post("/auth/login", json={"login": account.username, "password": PASSWORD})
    other_headers = {"Authorization": f"Bearer {other.json()['access_token']}"}
    revoked = http.delete(f"/auth/sessions/{other.json()['session_id']}", headers=account.headers)
    assert revoked.status_code == 204
    assert_problem(http.get("/users/me", headers=other_headers), 401, "invalid_token")

    assert http.post("/auth/logout", headers=account.headers).status_code == 204
    assert_problem(http.get("/users/me", headers=account.headers), 401, "invalid_token")
    refresh = http.post("/auth/refresh", json={"refresh_token": account.refresh_token})
    assert_problem(refresh, 401, "invalid_token")


def test_openapi_and_docs_are_served(http: httpx.Client) -> None:
    schema = http.get("/docs/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/auth/register",
        "/api/v1/chats/{chat_id}/messages",
        "/api/v1/files",
        "/api/v1/ready",
    ):
        assert path in paths
    # The HTML pages (third-party scripts) are off unless MESSENGER_DOCS=1.
    assert "<script" not in http.get("/docs").text
    assert http.get("/docs/swagger").status_code == 404


def test_cors_allows_the_configured_front_end(http: httpx.Client) -> None:
    preflight = http.options(
        "/chats",
        headers={
            "Origin": "app://.",  # the Electron client, allowed by default
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["access-control-allow-origin"] == "app://."
    # Development origins are `make run`'s to add, not a production default.
    for origin in ("https://evil.example", "http://localhost:3000"):
        other = http.get("/health", headers={"Origin": origin})
        assert "access-control-allow-origin" not in other.headers
