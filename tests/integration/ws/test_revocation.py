"""Sockets obey the session they authenticated with: ending it (log out, revoking a device,
reusing a refresh token) closes them with 4001, on every process, and at the access token's
expiry they close with 4002 unless the client authenticated again on the open socket."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.ws.conftest import (
    ServerProcess,
    log_in,
    open_dialog,
    post,
    register,
    server_env,
    socket_of,
)

pytestmark = pytest.mark.integration


async def test_logging_out_closes_that_sessions_socket_with_4001_and_no_other(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice = await register(http, "alice")
    laptop = await log_in(http, alice)
    async with socket_of(server, alice) as phone_socket, socket_of(server, laptop.user) as lap:
        response = await http.post("/api/v1/auth/logout", headers=alice.headers)
        assert response.status_code == 204

        assert await phone_socket.wait_closed(within=5) == 4001
        assert phone_socket.ws.close_reason == "session_revoked"
        await lap.send("ping")
        await lap.wait_type("pong")
        assert lap.close_code is None


async def test_revoking_a_device_closes_its_socket_and_it_can_send_nothing_more(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    chat = await open_dialog(http, alice, bob)
    stolen = await log_in(http, alice)
    async with socket_of(server, stolen.user) as thief, socket_of(server, bob) as b:
        response = await http.delete(
            f"/api/v1/auth/sessions/{stolen.session_id}", headers=alice.headers
        )
        assert response.status_code == 204
        assert await thief.wait_closed(within=5) == 4001

        await post(http, alice, chat, "after", "only for bob")
        await b.wait_type("new_message")
        assert thief.of_type("new_message") == []


async def test_reusing_a_refresh_token_closes_the_sessions_socket(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice = await register(http, "alice")
    device = await log_in(http, alice)
    async with socket_of(server, device.user) as sock:
        first = await http.post(
            "/api/v1/auth/refresh", json={"refresh_token": device.refresh_token}
        )
        assert first.status_code == 200
        reused = await http.post(
            "/api/v1/auth/refresh", json={"refresh_token": device.refresh_token}
        )
        assert reused.status_code == 401
        assert await sock.wait_closed(within=5) == 4001


# --- expiry, on a server with 3-second access tokens --------------------------------------
# A token's `exp` is whole seconds, so a "3-second" token lives between 2 and 3 s.


@pytest.fixture(scope="module")
def short_token_server(
    mariadb_ws_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("ws-expiry")
    env = server_env(mariadb_ws_url) | {
        "MESSENGER_UPLOAD_DIR": str(tmp / "uploads"),
        "MESSENGER_ACCESS_TOKEN_TTL": "3",
    }
    proc = ServerProcess(env, tmp / "server.log")
    proc.start()
    yield proc
    proc.stop()


async def test_a_socket_closes_with_4002_at_its_tokens_expiry(
    short_token_server: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=short_token_server.url, timeout=30) as http:
        alice = await register(http, "alice")
        async with socket_of(short_token_server, alice) as sock:
            assert await sock.wait_closed(within=6) == 4002
            assert sock.ws.close_reason == "token_expired"


async def test_a_client_that_authenticates_again_in_place_stays_connected(
    short_token_server: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=short_token_server.url, timeout=30) as http:
        alice, bob = await register(http, "alice"), await register(http, "bob")
        chat = await open_dialog(http, alice, bob)
        device = await log_in(http, alice)
        refresh = device.refresh_token
        async with socket_of(short_token_server, device.user) as sock:
            # Renewed at once and then every second, each token with at least a second to
            # spare however slow the machine; 5 rounds outlive the first token's 3 s.
            for round_ in range(1, 6):
                if round_ > 1:
                    await asyncio.sleep(1.0)
                renewed = await http.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
                assert renewed.status_code == 200, renewed.text
                refresh = renewed.json()["refresh_token"]
                await sock.send("auth", {"token": renewed.json()["access_token"]})
                ok = await sock.wait_type("auth_ok", count=round_)
                assert ok["data"]["expires_at"]
            bob_token = (await log_in(http, bob)).user
            await post(http, bob_token, chat, "late", "still connected")
            frame = await sock.wait_type("new_message")
            assert frame["data"]["message"]["text"] == "still connected"
            assert sock.close_code is None
