"""An administrator's removal on real sockets (MariaDB): every member who sees the message
gets ``message_deleted`` with ``removed_by_admin``, the same bytes for all, and sync replays
it; the administrator needs no place in the chat. (The module's server is its own: the first
account registered there is the administrator.)"""

from __future__ import annotations

import httpx
import pytest

from tests.integration.ws.conftest import (
    ServerProcess,
    open_dialog,
    post,
    register,
    settled,
    socket_of,
    sync_all,
)

pytestmark = pytest.mark.integration


async def test_members_get_the_admins_deletion_as_message_deleted_removed_by_admin(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    admin = await register(http, "root")
    alice = await register(http, "alice")
    bob = await register(http, "bob")
    chat = await open_dialog(http, alice, bob)
    message = (await post(http, alice, chat, "c-1", "something awful"))["id"]
    own = (await post(http, alice, chat, "c-2", "oops"))["id"]
    async with socket_of(server, alice) as on_alice, socket_of(server, bob) as on_bob:
        response = await http.delete(f"/api/v1/admin/messages/{message}", headers=admin.headers)
        assert response.status_code == 204, response.text
        mine = await http.delete(f"/api/v1/messages/{own}", headers=alice.headers)
        assert mine.status_code == 200, mine.text

        frame = await on_bob.wait_type("message_deleted", count=2)
        await on_alice.wait_type("message_deleted", count=2)
        await settled(on_alice, on_bob)

        assert on_alice.raw_of_type("message_deleted") == on_bob.raw_of_type("message_deleted")
        removed, deleted = on_bob.of_type("message_deleted")
        assert removed["data"]["message"]["id"] == message
        assert removed["data"]["message"]["removed_by_admin"] is True
        assert removed["data"]["message"]["deleted"] is True
        assert removed["data"]["message"]["text"] == ""
        # A sender's own deletion keeps the frame as it always was.
        assert deleted["data"]["message"]["id"] == own
        assert "removed_by_admin" not in deleted["data"]["message"]
        assert frame == deleted
        events, _ = await sync_all(http, bob, 0)
        assert [e for e in events if e["type"] == "message_deleted"] == [removed, deleted]
