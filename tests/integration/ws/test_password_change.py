"""A password change closes the sockets of the user's other sessions (4001), on every
process, and leaves the socket of the session that changed it open."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.integration.ws.conftest import (
    PASSWORD,
    ServerProcess,
    User,
    log_in,
    redis_url,
    register,
    server_env,
    socket_of,
)

pytestmark = pytest.mark.integration

NEW_PASSWORD = "violet kettle marathon"


async def _change_password(http: httpx.AsyncClient, user: User) -> None:
    response = await http.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=user.headers,
    )
    assert response.status_code == 204, response.text


async def test_a_password_change_closes_the_sockets_of_the_other_sessions_with_4001(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    laptop = await register(http, "alice")
    phone = (await log_in(http, laptop)).user
    bob = await register(http, "bob")
    async with (
        socket_of(server, laptop) as on_laptop,
        socket_of(server, phone) as on_phone,
        socket_of(server, phone) as on_phone_too,
        socket_of(server, bob) as on_bob,
    ):
        await _change_password(http, laptop)

        for client in (on_phone, on_phone_too):
            assert await client.wait_closed() == 4001
            assert client.ws.close_reason == "session_revoked"
        # The session that changed the password, and other users, stay connected.
        for client in (on_laptop, on_bob):
            await client.send("ping")
            await client.wait_type("pong")
            assert client.close_code is None


@pytest.fixture(scope="module")
def pair(
    mariadb_ws_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two ``messenger serve`` processes on one database and one broker."""
    broker = redis_url()
    tmp = tmp_path_factory.mktemp("ws-password-pair")
    servers = [
        ServerProcess(
            server_env(mariadb_ws_url, broker) | {"MESSENGER_UPLOAD_DIR": str(tmp / "up")},
            tmp / f"server-{name}.log",
        )
        for name in ("a", "b")
    ]
    for s in servers:
        s.start()
    yield servers[0], servers[1]
    for s in servers:
        s.stop()


async def test_a_password_changed_through_one_process_closes_sockets_on_the_other(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = pair
    async with httpx.AsyncClient(base_url=a.url, timeout=30) as http_a:
        laptop = await register(http_a, "alice")
        phone = (await log_in(http_a, laptop)).user
        async with socket_of(b, phone) as on_phone, socket_of(b, laptop) as on_laptop:
            await _change_password(http_a, laptop)

            assert await on_phone.wait_closed() == 4001
            await on_laptop.send("ping")
            await on_laptop.wait_type("pong")
            assert on_laptop.close_code is None
