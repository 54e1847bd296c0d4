"""Property-based fuzzing of every operation of the app's own OpenAPI schema.

Positive and negative data, with a valid bearer token: whatever arrives, the server answers
without a 5xx, and as the document says it answers: a documented status code, the
documented content type and headers, a body of the documented schema (errors included).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests import pictures
from tests.integration.http.conftest import LiveServer
from tests.integration.http.support import PASSWORD, Account, register, unique

pytestmark = pytest.mark.integration

MAX_EXAMPLES = int(os.environ.get("MESSENGER_FUZZ_EXAMPLES", "25"))
# What every answer is checked for: not a server error, and conformance to the document.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# What an enum member's or object's str() looks like ("ParamType.QUERY", "<Foo object at"):
# clients are promised wire values, never Python's names for them.
PYTHON_REPR = re.compile(r"\b[A-Z][A-Za-z]+\.[A-Z][A-Z_]+\b|<[A-Za-z_.]+ object at ")


@pytest.fixture(scope="module")
def fuzz_user(server: LiveServer) -> Account:
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=30) as http:
        user = register(http, "fuzz")
        peer = register(http, "peer")
        # Some state, so that ids 1, 2, ... often name things that exist.
        dialog = http.post(
            "/chats", json={"kind": "direct", "user_id": peer.id}, headers=user.headers
        ).json()
        http.post(
            f"/chats/{dialog['id']}/messages",
            json={"client_id": unique("c"), "text": "seed"},
            headers=user.headers,
        )
        return user


# Per server: an account for fuzzing POST /auth/password, whose wrong current passwords
# throttle the account (its logins too).
_PASSWORD_FUZZ_USERS: dict[str, Account] = {}


def _headers(case: Any, server: LiveServer, user: Account) -> dict[str, str]:
    if case.path.endswith("/auth/password"):
        if server.url not in _PASSWORD_FUZZ_USERS:
            with httpx.Client(base_url=f"{server.url}/api/v1", timeout=30) as http:
                _PASSWORD_FUZZ_USERS[server.url] = register(http, "pw")
        return _PASSWORD_FUZZ_USERS[server.url].headers
    if case.path.endswith("/auth/logout"):
        # Logging out would revoke the shared token; give it a session of its own.
        with httpx.Client(base_url=f"{server.url}/api/v1", timeout=30) as http:
            login = http.post("/auth/login", json={"login": user.username, "password": PASSWORD})
            return {"Authorization": f"Bearer {login.json()['access_token']}"}
    return user.headers


def _fuzz(
    operation: Any,
    mode: GenerationMode,
    auth: Callable[[Any], dict[str, str]],
    calls: Counter[str],
    failures: dict[str, str],
) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def call(case: Any) -> None:
        headers = {**(case.headers or {}), **auth(case)}
        response = case.call(headers=headers)
        calls[f"{response.status_code // 100}xx"] += 1
        content_type = (response.headers.get("content-type") or [""])[0]
        problem = content_type.startswith("application/problem+json")
        # One line per operation, status and kind of failure, with one example each.
        label = f"{case.method} {case.path} [{mode.value}] -> {response.status_code}"
        if response.status_code >= 400 and not problem:
            failures.setdefault(f"{label}: not problem details", response.text[:300])
        if problem and (leak := PYTHON_REPR.search(response.text)):
            failures.setdefault(f"{label}: a Python repr in the problem", leak.group())
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                example = f"{case.formatted_path}: {failure.message[:300]}"
                failures.setdefault(f"{label}: {failure.title}", example)

    call()


def test_no_input_gets_a_server_error(server: LiveServer, fuzz_user: Account) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/docs/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    calls: Counter[str] = Counter()
    failures: dict[str, str] = {}
    skipped: list[str] = []

    for operation in operations:
        for mode in GenerationMode:
            try:
                _fuzz(
                    operation, mode, lambda case: _headers(case, server, fuzz_user), calls, failures
                )
            except Unsatisfiable:
                # No negative data exists for an operation without parameters or body.
                assert mode is GenerationMode.NEGATIVE, operation.label
                skipped.append(operation.label)

    print(
        f"schemathesis: {len(operations)} operations, {sum(calls.values())} calls, "
        f"{dict(calls)}; no negative data for {skipped}"
    )
    assert len(operations) >= 20
    assert not failures, "\n".join(f"{k}\n    {v}" for k, v in sorted(failures.items()))


def test_uploads_and_downloads_answer_as_the_document_says(server: LiveServer) -> None:
    # Fuzzing rarely reaches a download's success: file ids are random strings, and random
    # bytes are no avatar. Real exchanges, checked by the same checks.
    schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/docs/openapi.json")
    checked: list[str] = []

    def check(method: str, path: str, response: httpx.Response, **parts: Any) -> None:
        case = schema[f"/api/v1{path}"][method].Case(**parts)
        response.request.read()  # a multipart request streams; the check reads what it sent
        case.validate_response(response, checks=CHECKS)
        checked.append(
            f"{method} {path} -> {response.status_code} {response.headers.get('content-type')}"
        )

    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=30) as http:
        user = register(http, "docs")
        auth = user.headers
        png = pictures.picture(64, 48, "PNG")
        image = http.post("/files", files={"file": ("a.png", png, "image/png")}, headers=auth)
        text = http.post("/files", files={"file": ("a.txt", b"hi", "text/plain")}, headers=auth)
        for response in (image, text):
            assert response.status_code == 201, response.text
            check("POST", "/files", response, media_type="multipart/form-data", headers=auth)
        for url in (image.json()["url"], image.json()["thumbnail_url"], text.json()["url"]):
            file_id = url.rsplit("/", 1)[1]
            served = http.get(f"/files/{file_id}", headers=auth)
            assert served.status_code == 200
            check("GET", "/files/{file_id}", served, path_parameters={"file_id": file_id})

        avatar = http.post("/users/me/avatar", files={"file": ("me.png", png)}, headers=auth)
        assert avatar.status_code == 200, avatar.text
        check("POST", "/users/me/avatar", avatar, media_type="multipart/form-data", headers=auth)
        served = http.get(f"/users/{user.id}/avatar", params={"size": 96}, headers=auth)
        again = http.get(
            f"/users/{user.id}/avatar",
            params={"size": 96},
            headers={**auth, "If-None-Match": served.headers["etag"]},
        )
        assert (served.status_code, again.status_code) == (200, 304)
        for response in (served, again):
            check("GET", "/users/{user_id}/avatar", response, path_parameters={"user_id": user.id})

        peer = register(http, "peer")
        dialog = http.post("/chats", json={"kind": "direct", "user_id": peer.id}, headers=auth)
        message = http.post(
            f"/chats/{dialog.json()['id']}/messages",
            json={"client_id": unique("c"), "text": "files"},
            headers=auth,
        ).json()
        attached = http.post(
            f"/messages/{message['id']}/files",
            files=[("file", ("b.txt", b"b", "text/plain")), ("file", ("c.png", png))],
            headers=auth,
        )
        assert attached.status_code == 200, attached.text
        check(
            "POST",
            "/messages/{message_id}/files",
            attached,
            path_parameters={"message_id": message["id"]},
            media_type="multipart/form-data",
        )

        preset = http.get("/avatars/list").json()["items"][0]["url"].removeprefix("/api/v1")
        served = http.get(preset)
        assert served.status_code == 200
        check(
            "GET",
            "/avatars/presets/{file_name}",
            served,
            path_parameters={"file_name": preset.rsplit("/", 1)[1]},
        )

    print("checked:", *checked, sep="\n  ")
