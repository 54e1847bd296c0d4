"""Property-based fuzzing of every operation of the app's own OpenAPI schema.

Positive and negative data, with a valid bearer token: whatever arrives, the server answers
without a 5xx, and as the document says it answers: a documented status code, the
documented content type and headers, a body of the documented schema (errors included).
"""

from __future__ import annotations

import os
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
