"""Error answers: problem details with a stable code, and never a 500."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated

import httpx
import pytest
from litestar import get
from litestar.params import PathParameter

from tests.integration.http.conftest import LiveServer, start_server
from tests.integration.http.support import PASSWORD, Account, assert_problem, register, unique

pytestmark = pytest.mark.integration


def test_malformed_json_is_400_malformed_request(http: httpx.Client, alice: Account) -> None:
    for body in (b"{bad", b"", b"\xff\xfe", b'{"username": "x"'):
        response = http.post(
            "/auth/register", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code in (400, 422), response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert_problem(
        http.post(
            "/chats",
            content=b"{not json",
            headers={**alice.headers, "content-type": "application/json"},
        ),
        400,
        "malformed_request",
    )


def test_schema_violations_are_422_with_the_offending_field(
    http: httpx.Client, alice: Account
) -> None:
    body = assert_problem(
        http.post("/chats", json={"kind": "group", "title": 5}, headers=alice.headers),
        422,
        "validation_error",
    )
    assert body["errors"]
    assert_problem(
        http.get("/chats/1/messages", params={"limit": 0}, headers=alice.headers),
        422,
        "validation_error",
    )
    assert_problem(http.get("/chats/not-a-number", headers=alice.headers), 404, "not_found")


def test_domain_rule_violations_are_422_with_their_own_code(
    http: httpx.Client, alice: Account, bob: Account
) -> None:
    weak = http.post("/auth/register", json={"username": unique(), "password": "short"})
    assert assert_problem(weak, 422, "validation_error")["field"] == "password"
    dialog = http.post("/chats", json={"kind": "direct", "user_id": bob.id}, headers=alice.headers)
    long = http.post(
        f"/chats/{dialog.json()['id']}/messages",
        json={"client_id": "c1", "text": "x" * 5001},
        headers=alice.headers,
    )
    assert_problem(long, 422, "message_too_long")


def test_duplicates_are_409(http: httpx.Client, alice: Account) -> None:
    taken = http.post("/auth/register", json={"username": alice.username, "password": PASSWORD})
    assert_problem(taken, 409, "username_taken")
    email = f"{unique()}@example.com"
    register(http, email=email)
    again = http.post(
        "/auth/register", json={"username": unique(), "password": PASSWORD, "email": email}
    )
    assert_problem(again, 409, "email_taken")


def test_unknown_ids_routes_and_methods(http: httpx.Client, alice: Account) -> None:
    assert_problem(http.get("/chats/987654321", headers=alice.headers), 404, "not_found")
    assert_problem(
        http.patch("/messages/987654321", json={"text": "x"}, headers=alice.headers),
        404,
        "not_found",
    )
    assert_problem(http.get("/files/nope-nope-nope", headers=alice.headers), 404, "not_found")
    assert_problem(http.get("/no/such/route"), 404, "not_found")
    assert_problem(http.put("/users/me", headers=alice.headers), 405, "method_not_allowed")


def test_missing_or_bad_tokens_are_401(http: httpx.Client, alice: Account) -> None:
    missing = assert_problem(http.get("/users/me"), 401, "unauthorized")
    assert missing
    for header in (
        "Bearer",
        "Bearer not-a-jwt",
        "Basic Zm9vOmJhcg==",
        f"Token {alice.access_token}",
    ):
        response = http.get("/users/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["www-authenticate"].startswith("Bearer")
    # A refresh token is never an access token.
    refresh_as_access = http.get(
        "/users/me", headers={"Authorization": f"Bearer {alice.refresh_token}"}
    )
    assert_problem(refresh_as_access, 401, "invalid_token")
    tampered = alice.access_token[:-2] + ("AA" if alice.access_token[-2:] != "AA" else "BB")
    assert_problem(
        http.get("/users/me", headers={"Authorization": f"Bearer {tampered}"}), 401, "invalid_token"
    )


def test_unknown_user_and_wrong_password_look_the_same(http: httpx.Client, alice: Account) -> None:
    wrong = http.post("/auth/login", json={"login": alice.username, "password": "wrong password"})
    unknown = http.post("/auth/login", json={"login": unique(), "password": "wrong password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_an_oversized_upload_is_413_and_leaves_nothing(
    http: httpx.Client, server: LiveServer, alice: Account
) -> None:
    limit = server.settings.max_upload_bytes
    too_big = http.post(
        "/files", files={"file": ("big.bin", b"\0" * (limit + 1))}, headers=alice.headers
    )
    assert_problem(too_big, 413, "too_large")
    # Far above the limit: refused from Content-Length, before the body is read.
    huge = http.post(
        "/files", files={"file": ("huge.bin", b"\0" * (limit * 4))}, headers=alice.headers
    )
    assert_problem(huge, 413, "too_large")
    stored = (
        list(server.settings.upload_dir.rglob("*")) if server.settings.upload_dir.exists() else []
    )
    assert not [p for p in stored if p.is_file() and p.stat().st_size > limit]
    assert not [p for p in stored if p.name.endswith(".part")]


def test_non_multipart_uploads_are_400(http: httpx.Client, alice: Account) -> None:
    assert_problem(
        http.post(
            "/files", content=b"raw", headers={**alice.headers, "content-type": "text/plain"}
        ),
        400,
        "malformed_request",
    )
    assert_problem(
        http.post("/files", files={"other": ("a.txt", b"x")}, headers=alice.headers),
        400,
        "malformed_request",
    )


def test_too_large_json_bodies_are_413(http: httpx.Client, alice: Account) -> None:
    body = b'{"text": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = http.patch(
        "/messages/1", content=body, headers={**alice.headers, "content-type": "application/json"}
    )
    assert_problem(response, 413, "too_large")


def _post_raw(http: httpx.Client, path: str, body: bytes, account: Account) -> httpx.Response:
    return http.post(
        path, content=body, headers={**account.headers, "content-type": "application/json"}
    )


def test_invalid_utf8_in_a_json_string_is_malformed_request_not_500(
    http: httpx.Client, alice: Account
) -> None:
    response = _post_raw(
        http, "/chats", b'{"kind": "group", "title": "\xff\xfe", "member_ids": []}', alice
    )
    assert_problem(response, 400, "malformed_request")


def test_deeply_nested_bodies_are_malformed_request_not_500(
    http: httpx.Client, alice: Account
) -> None:
    assert_problem(_post_raw(http, "/chats", b"[" * 100_000, alice), 400, "malformed_request")
    in_a_field = b'{"kind": "group", "title": ' + b"[" * 5_000 + b"]" * 5_000 + b"}"
    assert_problem(_post_raw(http, "/chats", in_a_field, alice), 400, "malformed_request")


def test_every_body_that_cannot_be_decoded_is_malformed_request(
    http: httpx.Client, alice: Account
) -> None:
    for body in (b'{"kind": "group"', b'{"kind": 1e400}', b'{"kind": "\\ud800"}', b"{bad"):
        assert_problem(_post_raw(http, "/chats", body, alice), 400, "malformed_request")


def test_paths_with_a_null_byte_are_404_not_500(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as root:
        for path in ("/%00", "/index.html%00.js", "/locales/%00"):
            assert_problem(root.get(path), 404, "not_found")


@get("/boom/{rest:path}", sync_to_thread=False)
def _boom(rest: Annotated[str, PathParameter()]) -> None:
    raise RuntimeError("an unexpected failure")


@pytest.fixture
def failing_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    # Started before the test's log capture: the app's start configures logging afresh.
    server = start_server(request, "memory", route_handlers=[_boom])
    yield server
    server.stop()


def test_a_path_with_a_newline_is_logged_quoted_on_one_line(
    failing_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="messenger.http"):
        with httpx.Client(base_url=f"{failing_server.url}/api/v1", timeout=30) as client:
            response = client.get("/boom/x%0aERROR%20-%20forged%20line")
        assert_problem(response, 500, "internal_error")
    records = [r for r in caplog.records if r.name == "messenger.http"]
    assert len(records) == 1
    message = records[0].getMessage()
    assert "\n" not in message
    assert "x\\nERROR - forged line" in message


def test_unknown_pages_under_the_docs_are_problem_details(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as root:
        for path in ("/api/v1/docs/nope", "/api/v1/docs/%00", "/api/v1/docs/swagger"):
            assert_problem(root.get(path), 404, "not_found")
        assert root.get("/api/v1/docs/openapi.json").status_code == 200
