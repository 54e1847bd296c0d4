"""Profiles over HTTP: username and birthdate, seed 002's aliases, preset avatars and frames."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.integration.http.support import PASSWORD, Account, assert_problem, register, unique
from tests.pictures import picture

pytestmark = pytest.mark.integration

SVG_HEADERS = {
    "content-type": "image/svg+xml",
    "cache-control": "public, max-age=86400",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
}


def me(http: httpx.Client, account: Account) -> dict[str, Any]:
    response = http.get("/users/me", headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# --- PATCH /users/me and PUT /users/me/profile ---------------------------------------------


@pytest.mark.parametrize(("method", "path"), [("PATCH", "/users/me"), ("PUT", "/users/me/profile")])
def test_username_and_birthdate_change_and_fields_left_out_stay(
    http: httpx.Client, alice: Account, method: str, path: str
) -> None:
    new_name = unique("Renamed")
    changed = http.request(
        method,
        path,
        json={"username": f" {new_name} ", "birthdate": "1990-02-03", "bio": "Hi"},
        headers=alice.headers,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["username"], body["birthdate"], body["bio"]) == (
        new_name.lower(),
        "1990-02-03",
        "Hi",
    )

    kept = http.request(method, path, json={"display_name": "Al"}, headers=alice.headers).json()
    assert (kept["username"], kept["birthdate"], kept["bio"]) == (
        new_name.lower(),
        "1990-02-03",
        "Hi",
    )
    cleared = http.request(method, path, json={"birthdate": None}, headers=alice.headers).json()
    assert cleared["birthdate"] is None
    assert me(http, alice)["birthdate"] is None
    login = http.post("/auth/login", json={"login": new_name, "password": PASSWORD})
    assert login.status_code == 200, login.text


@pytest.mark.parametrize(("method", "path"), [("PATCH", "/users/me"), ("PUT", "/users/me/profile")])
def test_a_taken_username_is_409_and_a_malformed_one_422(
    http: httpx.Client, alice: Account, bob: Account, method: str, path: str
) -> None:
    taken = http.request(
        method, path, json={"username": bob.username.upper()}, headers=alice.headers
    )
    assert_problem(taken, 409, "username_taken")
    bad = http.request(method, path, json={"username": "no spaces"}, headers=alice.headers)
    assert assert_problem(bad, 422, "validation_error")["field"] == "username"
    assert me(http, alice)["username"] == alice.username


@pytest.mark.parametrize(
    "birthdate", ["1990-2-3", "03.02.1990", "1990-02-30", "", 19900203, "1899-12-31", "tomorrow"]
)
def test_a_birthdate_that_is_no_date_or_out_of_range_is_422(
    http: httpx.Client, alice: Account, birthdate: object
) -> None:
    refused = http.patch("/users/me", json={"birthdate": birthdate}, headers=alice.headers)
    assert_problem(refused, 422, "validation_error")
    assert me(http, alice)["birthdate"] is None


def test_a_birthdate_in_the_future_is_422_on_birthdate(http: httpx.Client, alice: Account) -> None:
    next_week = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    refused = http.put("/users/me/birthdate", json={"birthdate": next_week}, headers=alice.headers)
    assert assert_problem(refused, 422, "validation_error")["field"] == "birthdate"


# --- PUT /users/me/username, /bio, /birthdate ----------------------------------------------


def test_the_single_field_paths_change_their_field_and_answer_with_the_account(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    name = unique("solo")
    renamed = http.put("/users/me/username", json={"username": name}, headers=alice.headers)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["username"] == name
    assert renamed.json()["id"] == alice.id
    assert_problem(
        http.put("/users/me/username", json={"username": bob.username}, headers=alice.headers),
        409,
        "username_taken",
    )

    bio = http.put("/users/me/bio", json={"bio": "  Привет 👋 "}, headers=alice.headers)
    assert bio.json()["bio"] == "Привет 👋"

    born = http.put("/users/me/birthdate", json={"birthdate": "2000-01-01"}, headers=alice.headers)
    assert born.json()["birthdate"] == "2000-01-01"
    cleared = http.put("/users/me/birthdate", json={"birthdate": None}, headers=alice.headers)
    assert cleared.json()["birthdate"] is None
    # The field is required: an empty body says nothing about the birthdate.
    assert_problem(
        http.put("/users/me/birthdate", json={}, headers=alice.headers), 422, "validation_error"
    )
    assert me(http, alice)["username"] == name


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/users/me/username", {"username": "x"}),
        ("/users/me/profile", {}),
        ("/users/me/bio", {"bio": ""}),
        ("/users/me/birthdate", {"birthdate": None}),
        ("/users/me/preset-avatar", {"preset": "cat"}),
        ("/users/me/avatar-frame", {"frame": None}),
    ],
)
def test_changing_a_profile_needs_a_token(http: httpx.Client, path: str, body: object) -> None:
    assert http.put(path, json=body).status_code == 401


# --- GET /users/{id}/profile and /users/search ---------------------------------------------


def test_a_profile_reads_the_same_by_both_paths(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    http.put("/users/me/birthdate", json={"birthdate": "1985-05-05"}, headers=bob.headers)
    plain = http.get(f"/users/{bob.id}", headers=alice.headers)
    alias = http.get(f"/users/{bob.id}/profile", headers=alice.headers)
    assert plain.status_code == alias.status_code == 200
    assert alias.json() == plain.json()
    assert alias.json()["birthdate"] == "1985-05-05"
    assert "email" not in alias.json()
    assert_problem(http.get("/users/999999999/profile", headers=alice.headers), 404, "not_found")
    assert http.get(f"/users/{bob.id}/profile").status_code == 401


def test_search_answers_the_same_pages_by_both_paths(http: httpx.Client, alice: Account) -> None:
    prefix = unique("find")
    for _ in range(3):
        register(http, prefix)
    query = {"q": prefix, "limit": 2}
    plain = http.get("/users/", params=query, headers=alice.headers).json()
    alias = http.get("/users/search", params=query, headers=alice.headers).json()
    assert alias == plain
    assert (len(alias["items"]), alias["has_more"]) == (2, True)
    rest = http.get(
        "/users/search", params={**query, "cursor": alias["next_cursor"]}, headers=alice.headers
    ).json()
    assert [p["username"] for p in alias["items"] + rest["items"]] == sorted(
        p["username"] for p in alias["items"] + rest["items"]
    )
    assert len(alias["items"] + rest["items"]) == 3
    assert http.get("/users/search", params=query).status_code == 401


# --- preset avatars and frames -------------------------------------------------------------


@pytest.mark.parametrize(("path", "at_least"), [("/avatars/list", 12), ("/avatar-frames/list", 6)])
def test_the_lists_are_public_and_every_image_in_them_loads_as_a_safe_svg(
    http: httpx.Client, path: str, at_least: int
) -> None:
    listed = http.get(path)
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert (page["has_more"], page["next_cursor"]) == (False, None)
    assert len(page["items"]) >= at_least
    for item in page["items"]:
        assert item["url"].startswith("/api/v1/")
        assert item["url"].endswith(f"/{item['id']}.svg")
        image = http.get(item["url"].removeprefix("/api/v1"))
        assert image.status_code == 200
        assert {k: image.headers[k] for k in SVG_HEADERS} == SVG_HEADERS
        assert image.content.lstrip().startswith(b"<svg")


@pytest.mark.parametrize(
    "path",
    [
        "/avatars/presets/unicorn.svg",
        "/avatars/presets/cat.png",
        "/avatars/presets/cat",
        "/avatars/presets/CAT.svg",
        "/avatars/presets/..%2F..%2Fsettings.py",
        "/avatar-frames/cat.svg",  # a preset avatar, not a frame
        "/avatar-frames/gold.svg.svg",
    ],
)
def test_an_image_that_is_not_shipped_is_404(http: httpx.Client, path: str) -> None:
    assert_problem(http.get(path), 404, "not_found")


def test_a_preset_avatar_becomes_the_avatar_and_a_frame_goes_around_it(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    assert me(http, alice)["avatar"] is None
    chosen = http.put("/users/me/preset-avatar", json={"preset": "owl"}, headers=alice.headers)
    assert chosen.status_code == 200, chosen.text
    url = "/api/v1/avatars/presets/owl.svg"
    assert chosen.json()["avatar"] == {"small": url, "large": url}
    assert (chosen.json()["avatar_url"], chosen.json()["avatar_preset"]) == (url, "owl")

    framed = http.put("/users/me/avatar-frame", json={"frame": "gold"}, headers=alice.headers)
    assert framed.json()["avatar_frame"] == "gold"
    seen = http.get(f"/users/{alice.id}", headers=bob.headers).json()
    assert (seen["avatar_preset"], seen["avatar_frame"], seen["avatar"]["large"]) == (
        "owl",
        "gold",
        url,
    )
    unframed = http.put("/users/me/avatar-frame", json={"frame": None}, headers=alice.headers)
    assert unframed.json()["avatar_frame"] is None


def test_an_uploaded_avatar_gives_way_to_a_preset(http: httpx.Client, alice: Account) -> None:
    uploaded = http.post(
        "/users/me/avatar", files={"file": ("me.png", picture(64, 64))}, headers=alice.headers
    )
    assert uploaded.status_code == 200
    assert me(http, alice)["avatar"] == uploaded.json()["avatar"] is not None

    chosen = http.put("/users/me/preset-avatar", json={"preset": "fox"}, headers=alice.headers)

    assert chosen.json()["avatar_url"] == "/api/v1/avatars/presets/fox.svg"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/users/me/preset-avatar", {"preset": "unicorn"}, "preset"),
        ("/users/me/preset-avatar", {"preset": "gold"}, "preset"),
        ("/users/me/avatar-frame", {"frame": "cat"}, "frame"),
        ("/users/me/avatar-frame", {"frame": "../gold"}, "frame"),
    ],
)
def test_an_unknown_preset_or_frame_is_422_on_its_field(
    http: httpx.Client, alice: Account, path: str, body: object, field: str
) -> None:
    refused = http.put(path, json=body, headers=alice.headers)
    assert assert_problem(refused, 422, "validation_error")["field"] == field
    assert (me(http, alice)["avatar_preset"], me(http, alice)["avatar_frame"]) == (None, None)


# --- the published document ----------------------------------------------------------------


def test_openapi_documents_every_profile_path_with_its_body(http: httpx.Client) -> None:
    document = http.get("/docs/openapi.json").json()
    paths = document["paths"]
    expected = {
        "/api/v1/users/me": {"get", "patch"},
        "/api/v1/users/me/profile": {"put"},
        "/api/v1/users/me/username": {"put"},
        "/api/v1/users/me/bio": {"put"},
        "/api/v1/users/me/birthdate": {"put"},
        "/api/v1/users/me/preset-avatar": {"put"},
        "/api/v1/users/me/avatar-frame": {"put"},
        "/api/v1/users/search": {"get"},
        "/api/v1/users/{user_id}/profile": {"get"},
        "/api/v1/avatars/list": {"get"},
        "/api/v1/avatar-frames/list": {"get"},
        "/api/v1/avatars/presets/{file_name}": {"get"},
        "/api/v1/avatar-frames/{file_name}": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    schemas = document["components"]["schemas"]
    patch = schemas["ProfilePatch"]["properties"]
    assert {"username", "birthdate"} <= set(patch)
    assert {"username"} <= set(schemas["UsernameIn"]["properties"])
    assert schemas["BirthdateIn"]["required"] == ["birthdate"]
    assert set(schemas["PresetAvatarIn"]["properties"]) == {"preset"}
    assert set(schemas["AvatarFrameIn"]["properties"]) == {"frame"}
    profile = schemas["PublicProfile"]["properties"]
    assert {"birthdate", "avatar", "avatar_preset", "avatar_frame"} <= set(profile)
    image = paths["/api/v1/avatars/presets/{file_name}"]["get"]
    assert "image/svg+xml" in image["responses"]["200"]["content"]
    assert "security" not in paths["/api/v1/avatars/list"]["get"]
