"""Avatars, image attachments and the media gallery over real HTTP (SQLite and MariaDB)."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image

from tests import pictures
from tests.integration.http.support import Account, assert_problem, register, unique

pytestmark = pytest.mark.integration


def path(url: str) -> str:
    """A URL the server gave, relative to the client's base (``/api/v1``)."""
    return url.removeprefix("/api/v1")


def upload_avatar(http: httpx.Client, who: Account, data: bytes, name: str = "me.png") -> Any:
    return http.post(
        "/users/me/avatar", files={"file": (name, data, "image/png")}, headers=who.headers
    )


def image_of(response: httpx.Response) -> Image.Image:
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def test_an_uploaded_avatar_is_served_at_both_sizes_to_other_users(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    uploaded = upload_avatar(http, alice, pictures.picture(300, 200, "JPEG"), "me.txt")

    assert uploaded.status_code == 200, uploaded.text
    me = uploaded.json()
    assert me["avatar_url"] == me["avatar"]["large"]
    assert "size=96&v=" in me["avatar"]["small"]
    profile = http.get(f"/users/{alice.id}", headers=bob.headers).json()
    assert profile["avatar"] == me["avatar"]
    for size in (96, 512):
        served = http.get(
            path(me["avatar"]["small" if size == 96 else "large"]), headers=bob.headers
        )
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/webp"
        assert served.headers["cache-control"] == "private, max-age=31536000, immutable"
        assert image_of(served).size == (size, size)


def test_without_the_current_version_an_avatar_is_revalidated(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    upload_avatar(http, alice, pictures.picture(64, 64))

    fresh = http.get(f"/users/{alice.id}/avatar", params={"size": 96}, headers=bob.headers)
    stale = http.get(
        f"/users/{alice.id}/avatar", params={"size": 96, "v": "old"}, headers=bob.headers
    )
    again = http.get(
        f"/users/{alice.id}/avatar",
        params={"size": 96},
        headers={**bob.headers, "If-None-Match": fresh.headers["etag"]},
    )

    assert fresh.status_code == stale.status_code == 200
    assert fresh.headers["cache-control"] == stale.headers["cache-control"] == "private, no-cache"
    assert fresh.headers["etag"] == stale.headers["etag"]
    assert again.status_code == 304
    assert again.content == b""


def test_a_new_avatar_has_new_urls(http: httpx.Client, alice: Account) -> None:
    first = upload_avatar(http, alice, pictures.picture(64, 64)).json()["avatar"]
    second = upload_avatar(http, alice, pictures.picture(64, 64, "GIF")).json()["avatar"]

    assert first["large"] != second["large"]
    old = http.get(path(first["large"]), headers=alice.headers)
    assert old.headers["cache-control"] == "private, no-cache"


def test_what_is_not_an_image_is_refused_whatever_its_name(
    http: httpx.Client, alice: Account
) -> None:
    refused = upload_avatar(http, alice, b"<svg onload=alert(1)></svg>", "me.png")

    body = assert_problem(refused, 422, "unsupported_image")
    assert body["field"] == "file"
    assert http.get("/users/me", headers=alice.headers).json()["avatar"] is None


def test_a_decompression_bomb_is_refused(http: httpx.Client, alice: Account) -> None:
    assert_problem(upload_avatar(http, alice, pictures.png_bomb()), 422, "image_too_large")


def test_an_avatar_over_five_mebibytes_is_refused(http: httpx.Client, alice: Account) -> None:
    too_big = pictures.picture(10, 10) + b"\0" * (5 * 1024 * 1024)

    assert_problem(upload_avatar(http, alice, too_big), 413, "too_large")


def test_removing_the_avatar(http: httpx.Client, alice: Account, bob: Account) -> None:
    upload_avatar(http, alice, pictures.picture(64, 64))

    removed = http.delete("/users/me/avatar", headers=alice.headers)

    assert removed.status_code == 204
    assert http.get("/users/me", headers=alice.headers).json()["avatar"] is None
    gone = http.get(f"/users/{alice.id}/avatar", params={"size": 512}, headers=bob.headers)
    assert_problem(gone, 404, "not_found")


def test_avatars_need_a_signed_in_user_and_one_of_the_two_sizes(
    http: httpx.Client, alice: Account
) -> None:
    upload_avatar(http, alice, pictures.picture(64, 64))

    assert http.get(f"/users/{alice.id}/avatar").status_code == 401
    odd = http.get(f"/users/{alice.id}/avatar", params={"size": 100}, headers=alice.headers)
    assert_problem(odd, 422, "validation_error")


def test_clients_of_before_set_an_avatar_by_an_uploads_url(
    http: httpx.Client, alice: Account
) -> None:
    upload = http.post(
        "/files",
        files={"file": ("me.png", pictures.picture(80, 40), "image/png")},
        headers=alice.headers,
    ).json()

    patched = http.patch("/users/me", json={"avatar_url": upload["url"]}, headers=alice.headers)

    assert patched.status_code == 200, patched.text
    avatar = patched.json()["avatar"]
    assert avatar is not None
    assert image_of(http.get(path(avatar["small"]), headers=alice.headers)).size == (96, 96)


def _dialog(http: httpx.Client, a: Account, b: Account) -> int:
    chat = http.post("/chats", json={"kind": "direct", "user_id": b.id}, headers=a.headers)
    assert chat.status_code in (200, 201), chat.text
    chat_id: int = chat.json()["id"]
    return chat_id


def _upload(http: httpx.Client, who: Account, name: str, data: bytes) -> dict[str, Any]:
    response = http.post(
        "/files", files={"file": (name, data, "application/octet-stream")}, headers=who.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _post(http: httpx.Client, who: Account, chat_id: int, *files: dict[str, Any]) -> int:
    posted = http.post(
        f"/chats/{chat_id}/messages",
        json={"client_id": unique("c"), "text": "", "attachment_ids": [f["id"] for f in files]},
        headers=who.headers,
    )
    assert posted.status_code == 201, posted.text
    message_id: int = posted.json()["id"]
    return message_id


def test_an_image_attachment_has_its_size_and_a_thumbnail_for_the_chat(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    carol = register(http, "carol")
    photo = _upload(http, alice, "photo.bin", pictures.picture(800, 400, "WEBP"))
    notes = _upload(http, alice, "notes.png", b"not an image at all")
    assert (photo["width"], photo["height"]) == (800, 400)
    assert photo["thumbnail_url"].startswith("/api/v1/files/")
    assert (notes["width"], notes["height"], notes["thumbnail_url"]) == (None, None, None)
    chat_id = _dialog(http, alice, bob)

    _post(http, alice, chat_id, photo, notes)

    history = http.get(f"/chats/{chat_id}/messages", headers=bob.headers).json()
    attachments = history["items"][-1]["attachments"]
    assert [(a["width"], a["thumbnail_url"]) for a in attachments] == [
        (800, photo["thumbnail_url"]),
        (None, None),
    ]
    thumbnail = http.get(path(photo["thumbnail_url"]), headers=bob.headers)
    assert thumbnail.status_code == 200
    assert image_of(thumbnail).size == (320, 160)
    assert http.get(path(photo["thumbnail_url"]), headers=carol.headers).status_code == 404


def test_the_media_gallery_pages_a_chats_images_and_files(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = _dialog(http, alice, bob)
    photos = [_upload(http, alice, f"p{i}.png", pictures.picture(20 + i, 20)) for i in range(3)]
    doc = _upload(http, bob, "doc.txt", b"minutes")
    first = _post(http, alice, chat_id, photos[0])
    _post(http, bob, chat_id, doc)
    second = _post(http, alice, chat_id, photos[1], photos[2])
    deleted = _post(http, alice, chat_id, _upload(http, alice, "x.png", pictures.picture(9, 9)))
    assert http.delete(f"/messages/{deleted}", headers=alice.headers).status_code in (200, 204)

    pages = []
    cursor = None
    while True:
        params: dict[str, Any] = {"kind": "image", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = http.get(f"/chats/{chat_id}/media", params=params, headers=bob.headers)
        assert page.status_code == 200, page.text
        pages.append(page.json())
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    files = http.get(f"/chats/{chat_id}/media", params={"kind": "file"}, headers=alice.headers)

    items = [item for page in pages for item in page["items"]]
    assert [len(p["items"]) for p in pages] == [2, 1]
    assert [i["message_id"] for i in items] == [second, second, first]
    assert {i["file"]["id"] for i in items[:2]} == {photos[1]["id"], photos[2]["id"]}
    assert all(i["sender_id"] == alice.id and i["file"]["thumbnail_url"] for i in items)
    assert [i["file"]["id"] for i in files.json()["items"]] == [doc["id"]]
    assert files.json()["items"][0]["posted_at"]


def test_a_stranger_gets_the_gallery_as_for_no_chat(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    chat_id = _dialog(http, alice, bob)
    carol = register(http, "carol")

    stranger = http.get(f"/chats/{chat_id}/media", params={"kind": "image"}, headers=carol.headers)
    missing = http.get("/chats/999999999/media", params={"kind": "image"}, headers=carol.headers)

    assert_problem(stranger, 404, "not_found")
    assert stranger.json()["detail"] == assert_problem(missing, 404, "not_found")["detail"]
    bad_kind = http.get(f"/chats/{chat_id}/media", params={"kind": "video"}, headers=alice.headers)
    assert bad_kind.status_code in (400, 422)


def test_openapi_documents_the_image_routes(http: httpx.Client) -> None:
    paths = http.get("/docs/openapi.json").json()["paths"]

    assert {"post", "delete"} <= set(paths["/api/v1/users/me/avatar"])
    assert "get" in paths["/api/v1/users/{user_id}/avatar"]
    media = paths["/api/v1/chats/{chat_id}/media"]["get"]
    assert {p["name"] for p in media["parameters"]} >= {"kind", "limit", "cursor"}
    assert "422" in paths["/api/v1/users/me/avatar"]["post"]["responses"]
