"""``GET /sync`` under admission control, on a real server process: too many catch-ups at
once are refused with 503 + Retry-After (never another 5xx), and a refused client that
comes back gets its events."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.ws.conftest import ServerProcess, open_dialog, post, register, server_env

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def narrow_server(
    mariadb_ws_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A server that serves one ``/sync`` at a time and queues none."""
    tmp = tmp_path_factory.mktemp("ws-admission")
    env = server_env(mariadb_ws_url) | {
        "MESSENGER_UPLOAD_DIR": str(tmp / "uploads"),
        "MESSENGER_SYNC_CONCURRENCY": "1",
        "MESSENGER_SYNC_QUEUE": "0",
    }
    proc = ServerProcess(env, tmp / "server.log")
    proc.start()
    yield proc
    proc.stop()


async def test_catch_ups_beyond_the_limit_get_503_with_retry_after_and_a_retry_gets_the_events(
    narrow_server: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=narrow_server.url, timeout=30) as http:
        alice = await register(http, "adm")
        bob = await register(http, "adm")
        chat = await open_dialog(http, alice, bob)
        posted = [
            (await post(http, alice, chat, f"adm-{i}", f"hello {i}"))["id"] for i in range(20)
        ]

    # Every client on a connection of its own, all at once, as after a restart.
    clients = [httpx.AsyncClient(base_url=narrow_server.url, timeout=30) for _ in range(40)]
    try:
        answers = await asyncio.gather(
            *(
                c.get("/api/v1/sync", params={"since": 0, "limit": 1000}, headers=bob.headers)
                for c in clients
            )
        )
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))

    statuses = sorted({a.status_code for a in answers})
    assert statuses == [200, 503], statuses
    for refused in (a for a in answers if a.status_code == 503):
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "service_unavailable"
    for served in (a for a in answers if a.status_code == 200):
        events = served.json()["events"]
        got = [e["data"]["message"]["id"] for e in events if e["type"] == "new_message"]
        assert got == posted

    # A refused client comes back after its Retry-After (nobody else is catching up now).
    async with httpx.AsyncClient(base_url=narrow_server.url, timeout=30) as http:
        again = await http.get(
            "/api/v1/sync", params={"since": 0, "limit": 1000}, headers=bob.headers
        )
    assert again.status_code == 200
    events = again.json()["events"]
    got = [e["data"]["message"]["id"] for e in events if e["type"] == "new_message"]
    assert got == posted
