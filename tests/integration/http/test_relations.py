"""Contacts, blocking and privacy through real HTTP, on SQLite and MariaDB: every path of
issue 14's "Contacts and blocking" and "Privacy" sections."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.http.support import Account, assert_problem, register, unique
from tests.pictures import picture

pytestmark = pytest.mark.integration

DEFAULT_PRIVACY = {
    "last_seen": "everybody",
    "online": "everybody",
    "avatar": "everybody",
    "bio": "everybody",
    "birthdate": "everybody",
    "email": "nobody",
    "groups_add": "everybody",
    "read_receipts": True,
}


def _with_profile(http: httpx.Client, account: Account) -> None:
    """Give the account an avatar and a bio (a last seen time needs a socket)."""
    avatar = http.post(
        "/users/me/avatar",
        files={"file": ("me.png", picture(16, 16), "image/png")},
        headers=account.headers,
    )
    assert avatar.status_code == 200, avatar.text
    patched = http.patch("/users/me", json={"bio": "Hello"}, headers=account.headers)
    assert patched.status_code == 200, patched.text


def _dialog(http: httpx.Client, a: Account, b: Account) -> int:
    response = http.post("/chats", json={"kind": "direct", "user_id": b.id}, headers=a.headers)
    assert response.status_code in (200, 201), response.text
    chat_id: int = response.json()["id"]
    return chat_id


def _post(http: httpx.Client, who: Account, chat_id: int) -> httpx.Response:
    return http.post(
        f"/chats/{chat_id}/messages",
        json={"client_id": unique("c"), "text": "hi"},
        headers=who.headers,
    )


# --- contacts ------------------------------------------------------------------------------


def test_adding_a_contact_is_201_then_200_and_shows_the_local_name_to_its_owner_only(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    added = http.put(f"/contacts/{bob.id}", json={"local_name": "Bobby"}, headers=alice.headers)
    assert added.status_code == 201, added.text
    body = added.json()
    assert (body["id"], body["is_contact"], body["local_name"], body["blocked"]) == (
        bob.id,
        True,
        "Bobby",
        False,
    )

    again = http.put(f"/contacts/{bob.id}", headers=alice.headers)
    assert again.status_code == 200
    assert again.json()["local_name"] == "Bobby"

    seen = http.get(f"/users/{bob.id}", headers=alice.headers).json()
    assert (seen["is_contact"], seen["local_name"]) == (True, "Bobby")
    found = http.get("/users", params={"q": bob.username}, headers=alice.headers).json()
    assert [(p["id"], p["local_name"]) for p in found["items"]] == [(bob.id, "Bobby")]
    themselves = http.get(f"/users/{bob.id}", headers=bob.headers).json()
    assert (themselves["is_contact"], themselves["local_name"]) == (False, None)


def test_local_names_are_set_and_cleared_on_their_own_path(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    assert_problem(
        http.put(f"/contacts/{bob.id}/local-name", json={"local_name": "B"}, headers=alice.headers),
        404,
        "not_found",
    )
    http.put(f"/contacts/{bob.id}", headers=alice.headers)

    named = http.put(
        f"/contacts/{bob.id}/local-name", json={"local_name": " B. "}, headers=alice.headers
    )
    assert named.status_code == 200, named.text
    assert named.json()["local_name"] == "B."
    cleared = http.delete(f"/contacts/{bob.id}/local-name", headers=alice.headers)
    assert cleared.status_code == 200
    assert cleared.json()["local_name"] is None
    assert_problem(
        http.put(
            f"/contacts/{bob.id}/local-name", json={"local_name": "x" * 101}, headers=alice.headers
        ),
        422,
        "validation_error",
    )


def test_contacts_list_pages_and_removing_is_204(http: httpx.Client, alice: Account) -> None:
    others = [register(http, "c") for _ in range(3)]
    for other in others:
        assert http.put(f"/contacts/{other.id}", headers=alice.headers).status_code == 201

    first = http.get("/contacts", params={"limit": 2}, headers=alice.headers).json()
    rest = http.get(
        "/contacts", params={"limit": 2, "cursor": first["next_cursor"]}, headers=alice.headers
    ).json()

    assert first["has_more"]
    assert not rest["has_more"]
    assert rest["next_cursor"] is None
    assert [p["id"] for p in first["items"] + rest["items"]] == sorted(o.id for o in others)
    assert all(p["is_contact"] for p in first["items"] + rest["items"])
    for _ in range(2):
        assert http.delete(f"/contacts/{others[0].id}", headers=alice.headers).status_code == 204
    after = http.get("/contacts", headers=alice.headers).json()
    assert [p["id"] for p in after["items"]] == sorted(o.id for o in others[1:])


def test_oneself_is_no_contact_and_an_unknown_user_is_not_found(
    http: httpx.Client, alice: Account
) -> None:
    assert_problem(
        http.put(f"/contacts/{alice.id}", headers=alice.headers), 422, "validation_error"
    )
    assert_problem(http.put("/contacts/999999999", headers=alice.headers), 404, "not_found")
    assert_problem(http.delete("/contacts/999999999", headers=alice.headers), 404, "not_found")


# --- blocking ------------------------------------------------------------------------------


def test_a_blocked_user_cannot_open_a_dialog_or_write_but_the_blocker_can(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    for _ in range(2):
        assert http.put(f"/users/{bob.id}/block", headers=alice.headers).status_code == 204
    listed = http.get("/users/me/blocked", headers=alice.headers).json()
    assert [(p["id"], p["blocked"]) for p in listed["items"]] == [(bob.id, True)]

    assert_problem(
        http.post("/chats", json={"kind": "direct", "user_id": alice.id}, headers=bob.headers),
        403,
        "blocked",
    )
    chat_id = _dialog(http, alice, bob)
    assert_problem(_post(http, bob, chat_id), 403, "blocked")
    assert _post(http, alice, chat_id).status_code == 201
    assert_problem(
        http.post(
            "/chats",
            json={"kind": "group", "title": "T", "member_ids": [alice.id]},
            headers=bob.headers,
        ),
        403,
        "blocked",
    )

    for _ in range(2):
        assert http.delete(f"/users/{bob.id}/block", headers=alice.headers).status_code == 204
    assert http.get("/users/me/blocked", headers=alice.headers).json()["items"] == []
    assert _post(http, bob, chat_id).status_code == 201


def test_a_blocked_user_sees_none_of_the_blockers_avatar_bio_and_last_seen(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    _with_profile(http, alice)
    group = http.post(
        "/chats",
        json={"kind": "group", "title": "T", "member_ids": [bob.id]},
        headers=alice.headers,
    ).json()
    http.put(f"/users/{bob.id}/block", headers=alice.headers)

    seen = http.get(f"/users/{alice.id}", headers=bob.headers).json()
    assert (seen["avatar_url"], seen["bio"], seen["last_seen_at"]) == (None, "", None)
    members = http.get(f"/chats/{group['id']}", headers=bob.headers).json()["members"]
    [mine] = [m["user"] for m in members if m["user_id"] == alice.id]
    assert (mine["avatar_url"], mine["bio"]) == (None, "")
    # The group stays shared: both still post in it.
    assert _post(http, bob, group["id"]).status_code == 201
    assert _post(http, alice, group["id"]).status_code == 201


def test_blocking_oneself_or_nobody_fails(http: httpx.Client, alice: Account) -> None:
    assert_problem(
        http.put(f"/users/{alice.id}/block", headers=alice.headers), 422, "validation_error"
    )
    assert_problem(http.put("/users/999999999/block", headers=alice.headers), 404, "not_found")


# --- privacy -------------------------------------------------------------------------------


def test_privacy_get_returns_exactly_what_put_accepts(http: httpx.Client, alice: Account) -> None:
    got = http.get("/users/me/privacy", headers=alice.headers)
    assert got.status_code == 200
    assert got.json() == DEFAULT_PRIVACY

    whole = http.put("/users/me/privacy", json=got.json(), headers=alice.headers)
    assert whole.status_code == 200, whole.text
    assert whole.json() == DEFAULT_PRIVACY

    part = http.put(
        "/users/me/privacy", json={"bio": "contacts", "read_receipts": False}, headers=alice.headers
    )
    assert part.json() == {**DEFAULT_PRIVACY, "bio": "contacts", "read_receipts": False}
    assert http.get("/users/me/privacy", headers=alice.headers).json() == part.json()


@pytest.mark.parametrize(
    "body",
    [
        {"bio": "friends"},
        {"groups_add": "nobody"},
        {"read_receipts": "no"},
        {"mood": "everybody"},
    ],
)
def test_privacy_refuses_what_it_does_not_take(
    http: httpx.Client, alice: Account, body: dict[str, Any]
) -> None:
    response = http.put("/users/me/privacy", json=body, headers=alice.headers)
    assert response.status_code in (400, 422), response.text
    assert response.json()["code"] in ("validation_error", "bad_request")


def test_profile_fields_follow_the_privacy_settings_for_contacts_and_strangers(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    carol = register(http, "carol")
    _with_profile(http, alice)
    http.put(f"/contacts/{bob.id}", headers=alice.headers)
    http.put(
        "/users/me/privacy", json={"bio": "contacts", "avatar": "nobody"}, headers=alice.headers
    )

    for viewer, bio in ((bob, "Hello"), (carol, "")):
        seen = http.get(f"/users/{alice.id}", headers=viewer.headers).json()
        assert (seen["bio"], seen["avatar_url"]) == (bio, None)
        [found] = http.get("/users", params={"q": alice.username}, headers=viewer.headers).json()[
            "items"
        ]
        assert found["bio"] == bio
    own = http.get("/users/me", headers=alice.headers).json()
    assert own["bio"] == "Hello"
    assert own["avatar_url"] is not None


def test_the_email_is_shown_to_others_only_as_its_setting_allows(
    http: httpx.Client, bob: Account
) -> None:
    dora = register(http, "dora", email=f"{unique('dora')}@example.com")
    carol = register(http, "carol")
    address = http.get("/users/me", headers=dora.headers).json()["email"]

    def seen_by(viewer: Account) -> object:
        return http.get(f"/users/{dora.id}", headers=viewer.headers).json().get("email")

    assert (seen_by(bob), seen_by(carol)) == (None, None)  # nobody, by default
    http.put(f"/contacts/{bob.id}", headers=dora.headers)
    http.put("/users/me/privacy", json={"email": "contacts"}, headers=dora.headers)
    assert (seen_by(bob), seen_by(carol)) == (address, None)
    http.put("/users/me/privacy", json={"email": "everybody"}, headers=dora.headers)
    assert (seen_by(bob), seen_by(carol)) == (address, address)


def test_groups_add_contacts_keeps_strangers_from_adding_one(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    carol = register(http, "carol")
    http.put("/users/me/privacy", json={"groups_add": "contacts"}, headers=alice.headers)
    http.put(f"/contacts/{carol.id}", headers=alice.headers)

    assert_problem(
        http.post(
            "/chats",
            json={"kind": "group", "title": "T", "member_ids": [alice.id]},
            headers=bob.headers,
        ),
        403,
        "privacy_restricted",
    )
    group = http.post("/chats", json={"kind": "group", "title": "T"}, headers=bob.headers).json()
    assert_problem(
        http.post(f"/chats/{group['id']}/members", json={"user_id": alice.id}, headers=bob.headers),
        403,
        "privacy_restricted",
    )
    by_contact = http.post(
        "/chats",
        json={"kind": "group", "title": "T", "member_ids": [alice.id]},
        headers=carol.headers,
    )
    assert by_contact.status_code == 201


def test_with_read_receipts_off_read_marks_are_not_exchanged(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = _dialog(http, alice, bob)
    message_id = _post(http, alice, chat_id).json()["id"]
    http.put("/users/me/privacy", json={"read_receipts": False}, headers=bob.headers)

    read = http.post(f"/chats/{chat_id}/read", json={"message_id": message_id}, headers=bob.headers)
    assert read.json()["read_message_id"] == message_id

    def marks(viewer: Account) -> dict[int, int]:
        chat = http.get(f"/chats/{chat_id}", headers=viewer.headers).json()
        listed = http.get("/chats", headers=viewer.headers).json()["items"]
        [summary] = [c for c in listed if c["id"] == chat_id]
        assert summary["members"] == chat["members"]
        return {m["user_id"]: m["read_message_id"] for m in chat["members"]}

    assert marks(alice)[bob.id] == 0
    assert marks(bob)[bob.id] == message_id
    synced = http.get("/sync", params={"since": 0}, headers=alice.headers).json()["events"]
    assert all(e["type"] != "messages_read" for e in synced)
    own = http.get("/sync", params={"since": 0}, headers=bob.headers).json()["events"]
    assert [e["data"]["message_id"] for e in own if e["type"] == "messages_read"] == [message_id]

    http.put("/users/me/privacy", json={"read_receipts": True}, headers=bob.headers)
    assert marks(alice)[bob.id] == message_id


def test_changes_of_ones_own_lists_and_settings_reach_ones_devices_through_sync(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    cursor = http.get("/sync", headers=alice.headers).json()["cursor"]
    http.put(f"/contacts/{bob.id}", json={"local_name": "B"}, headers=alice.headers)
    http.put(f"/users/{bob.id}/block", headers=alice.headers)
    http.put("/users/me/privacy", json={"online": "nobody"}, headers=alice.headers)

    events = http.get("/sync", params={"since": cursor}, headers=alice.headers).json()["events"]

    assert [(e["type"], e["data"]) for e in events] == [
        (
            "contacts_updated",
            {"user_id": bob.id, "contact": {"user_id": bob.id, "local_name": "B"}},
        ),
        ("blocks_updated", {"user_id": bob.id, "blocked": True}),
        ("privacy_updated", {"privacy": {**DEFAULT_PRIVACY, "online": "nobody"}}),
    ]
    theirs = http.get("/sync", params={"since": cursor}, headers=bob.headers).json()["events"]
    assert theirs == []


def test_the_new_refusals_are_documented_where_they_can_happen(http: httpx.Client) -> None:
    paths = http.get("/docs/openapi.json").json()["paths"]

    for path, method in (
        ("/api/v1/chats", "post"),
        ("/api/v1/chats/{chat_id}/messages", "post"),
        ("/api/v1/chats/{chat_id}/members", "post"),
    ):
        assert "403" in paths[path][method]["responses"], (path, method)
    for path, methods in (
        ("/api/v1/contacts", ("get",)),
        ("/api/v1/contacts/{user_id}", ("put", "delete")),
        ("/api/v1/contacts/{contact_id}/local-name", ("put", "delete")),
        ("/api/v1/users/{user_id}/block", ("put", "delete")),
        ("/api/v1/users/me/blocked", ("get",)),
        ("/api/v1/users/me/privacy", ("get", "put")),
    ):
        for method in methods:
            assert "401" in paths[path][method]["responses"], (path, method)


def test_the_avatar_image_is_served_only_to_whom_the_avatar_shows(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    carol = register(http, "carol")
    _with_profile(http, alice)
    http.put(f"/contacts/{bob.id}", headers=alice.headers)
    http.put("/users/me/privacy", json={"avatar": "contacts"}, headers=alice.headers)
    large = http.get(f"/users/{alice.id}", headers=bob.headers).json()["avatar"]["large"]
    path = large.removeprefix("/api/v1")

    assert http.get(path, headers=bob.headers).status_code == 200
    assert http.get(path, headers=alice.headers).status_code == 200
    assert_problem(http.get(path, headers=carol.headers), 404, "not_found")
    assert http.get(f"/users/{alice.id}", headers=carol.headers).json()["avatar"] is None
    http.put(f"/users/{bob.id}/block", headers=alice.headers)
    assert_problem(http.get(path, headers=bob.headers), 404, "not_found")
