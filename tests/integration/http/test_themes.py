"""``/users/me/themes`` and ``/users/me/settings`` over real HTTP, on SQLite and MariaDB."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.http.support import Account, assert_problem, register

pytestmark = pytest.mark.integration

COLORS = {
    "background": "#101820",
    "surface": "#1b2733",
    "text": "#F2F2F2",
    "accent": "#ff8800",
    "bubble_in": "#223344",
    "bubble_out": "#335577",
}


def create(http: httpx.Client, user: Account, **body: Any) -> dict[str, Any]:
    response = http.post(
        "/users/me/themes", json={"name": "Night", "colors": COLORS, **body}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    theme: dict[str, Any] = response.json()
    return theme


def upload(http: httpx.Client, user: Account, name: str, content_type: str) -> str:
    response = http.post(
        "/files", files={"file": (name, b"\x89PNG\r\n", content_type)}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    file_id: str = response.json()["id"]
    return file_id


def test_a_theme_is_made_with_an_id_and_listed(http: httpx.Client, alice: Account) -> None:
    theme = create(http, alice, background="#000000")

    assert isinstance(theme["id"], str)
    assert theme["id"]
    assert theme["name"] == "Night"
    assert theme["colors"]["text"] == "#f2f2f2"
    assert (theme["background"], theme["background_url"]) == ("#000000", None)
    listed = http.get("/users/me/themes", headers=alice.headers)
    assert listed.status_code == 200
    assert listed.json() == {"items": [theme], "has_more": False, "next_cursor": None}


def test_themes_are_each_users_own(http: httpx.Client, alice: Account, bob: Account) -> None:
    theme = create(http, alice)

    assert http.get("/users/me/themes", headers=bob.headers).json()["items"] == []
    edit = {"name": "Mine now", "colors": {}}
    assert_problem(
        http.put(f"/users/me/themes/{theme['id']}", json=edit, headers=bob.headers),
        404,
        "not_found",
    )
    assert_problem(
        http.delete(f"/users/me/themes/{theme['id']}", headers=bob.headers), 404, "not_found"
    )
    assert_problem(
        http.put("/users/me/settings", json={"theme_id": theme["id"]}, headers=bob.headers),
        422,
        "validation_error",
    )
    assert http.get("/users/me/themes", headers=alice.headers).json()["items"] == [theme]
    assert http.get("/users/me/themes").status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "colors": {"shadow": "#000000"}}, "colors.shadow"),
        ({"name": "X", "colors": {"accent": "orange"}}, "colors.accent"),
        ({"name": "X", "colors": {"accent": "#fff"}}, "colors.accent"),
        ({"name": "", "colors": {}}, "name"),
        ({"name": "x" * 65, "colors": {}}, "name"),
        ({"name": "X", "colors": {}, "background": "not-my-file"}, "background"),
    ],
)
def test_bad_themes_are_refused_naming_the_field(
    http: httpx.Client, alice: Account, body: dict[str, Any], field: str
) -> None:
    response = http.post("/users/me/themes", json=body, headers=alice.headers)

    assert assert_problem(response, 422, "validation_error")["field"] == field


def test_the_background_is_an_image_of_the_callers_own(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    image = upload(http, alice, "sky.png", "image/png")
    text = upload(http, alice, "notes.txt", "text/plain")
    bobs = upload(http, bob, "b.png", "image/png")

    theme = create(http, alice, background=image)

    assert theme["background"] == image
    assert theme["background_url"].endswith(f"/api/v1/files/{image}")
    assert http.get(theme["background_url"].removeprefix("/api/v1"), headers=alice.headers).content
    for other in (text, bobs):
        response = http.post(
            "/users/me/themes",
            json={"name": "X", "colors": {}, "background": other},
            headers=alice.headers,
        )
        assert assert_problem(response, 422, "validation_error")["field"] == "background"


def test_put_replaces_the_theme(http: httpx.Client, alice: Account) -> None:
    theme = create(http, alice, background="#000000")

    response = http.put(
        f"/users/me/themes/{theme['id']}",
        json={"name": "Dawn", "colors": {"accent": "#00AA00"}},
        headers=alice.headers,
    )

    assert response.status_code == 200, response.text
    edited = response.json()
    assert (edited["id"], edited["name"]) == (theme["id"], "Dawn")
    assert (edited["colors"], edited["background"]) == ({"accent": "#00aa00"}, None)
    unknown = http.put("/users/me/themes/nope", json={"name": "X"}, headers=alice.headers)
    assert_problem(unknown, 404, "not_found")


def test_settings_default_change_partially_and_fall_back_when_the_theme_goes(
    http: httpx.Client, alice: Account
) -> None:
    assert http.get("/users/me/settings", headers=alice.headers).json() == {
        "theme_id": "system",
        "language": "system",
    }
    theme = create(http, alice)

    chosen = http.put(
        "/users/me/settings",
        json={"theme_id": theme["id"], "language": "ru"},
        headers=alice.headers,
    )
    assert chosen.json() == {"theme_id": theme["id"], "language": "ru"}
    partial = http.put("/users/me/settings", json={"language": "en"}, headers=alice.headers)
    assert partial.json() == {"theme_id": theme["id"], "language": "en"}
    dark = http.put("/users/me/settings", json={"theme_id": "dark"}, headers=alice.headers)
    assert dark.json() == {"theme_id": "dark", "language": "en"}
    unchanged = http.put("/users/me/settings", json={}, headers=alice.headers)
    assert unchanged.json() == {"theme_id": "dark", "language": "en"}
    http.put("/users/me/settings", json={"theme_id": theme["id"]}, headers=alice.headers)

    deleted = http.delete(f"/users/me/themes/{theme['id']}", headers=alice.headers)

    assert deleted.status_code == 204
    assert http.get("/users/me/settings", headers=alice.headers).json() == {
        "theme_id": "system",
        "language": "en",
    }
    assert http.get("/users/me/themes", headers=alice.headers).json()["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [({"theme_id": "sepia"}, "theme_id"), ({"language": "de"}, "language")],
)
def test_bad_settings_are_refused_naming_the_field(
    http: httpx.Client, alice: Account, body: dict[str, str], field: str
) -> None:
    response = http.put("/users/me/settings", json=body, headers=alice.headers)

    assert assert_problem(response, 422, "validation_error")["field"] == field


def test_a_user_keeps_at_most_50_themes(http: httpx.Client) -> None:
    carol = register(http, "carol")
    for i in range(50):
        create(http, carol, name=f"T{i}")

    response = http.post("/users/me/themes", json={"name": "One too many"}, headers=carol.headers)

    assert_problem(response, 409, "too_many_themes")
    page = http.get("/users/me/themes", headers=carol.headers).json()
    assert len(page["items"]) == 50
    assert not page["has_more"]
