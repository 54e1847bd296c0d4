"""An administrator deactivating an account closes its open sockets at once (4001), and
a password reset does the same; the rest of the chat goes on."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.ws.conftest import (
    ServerProcess,
    log_in,
    open_dialog,
    post,
    register,
    settled,
    socket_of,
)

pytestmark = pytest.mark.integration


async def test_deactivating_an_account_closes_its_sockets_and_a_reset_link_closes_them_again(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    # The module's server is fresh: its first account is the administrator.
    root = await register(http, "root")
    me = (await http.get("/api/v1/users/me", headers=root.headers)).json()
    assert me["is_admin"] is True
    bob = await register(http, "bob")
    chat = await open_dialog(http, root, bob)
    laptop = await log_in(http, bob)

    async with (
        socket_of(server, bob) as phone,
        socket_of(server, laptop.user) as lap,
        socket_of(server, root) as admin_socket,
    ):
        response = await http.post(f"/api/v1/admin/users/{bob.id}/deactivate", headers=root.headers)
        assert response.status_code == 200, response.text

        for sock in (phone, lap):
            assert await sock.wait_closed(within=5) == 4001
        await post(http, root, chat, "after", "bob is gone")
        await admin_socket.wait_type("new_message")
        await settled(admin_socket)
        assert phone.of_type("new_message") == lap.of_type("new_message") == []

    await http.post(f"/api/v1/admin/users/{bob.id}/reactivate", headers=root.headers)
    again = await log_in(http, bob)
    async with socket_of(server, again.user) as sock:
        issued = await http.post(
            f"/api/v1/admin/users/{bob.id}/password-reset", headers=root.headers
        )
        token = issued.json()["token"]
        done = await http.post(
            "/api/v1/auth/password-reset",
            json={"token": token, "new_password": "a brand new passphrase"},
        )
        assert done.status_code == 204, done.text
        assert await sock.wait_closed(within=5) == 4001
