"""Chat settings and drafts on real sockets: a change on one device reaches the user's
other devices (``chat_settings_updated``, ``draft_updated``) and no other member; sending a
message drops the draft on every device of its sender."""

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


async def test_settings_reach_my_other_device_and_not_the_other_member(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice = await register(http, "alice")
    phone = (await log_in(http, alice)).user
    bob = await register(http, "bob")
    chat_id = await open_dialog(http, alice, bob)
    async with socket_of(server, phone) as on_phone, socket_of(server, bob) as on_bob:
        changed = await http.patch(
            f"/api/v1/chats/{chat_id}/settings",
            json={"muted_until": "forever", "pinned": True},
            headers=alice.headers,
        )
        assert changed.status_code == 200, changed.text

        frame = await on_phone.wait_type("chat_settings_updated")
        assert frame["data"] == {
            "chat_id": chat_id,
            "muted_until": "forever",
            "muted": True,
            "pinned": True,
            "archived": False,
            "pinned_chat_ids": [chat_id],
        }
        assert isinstance(frame["cursor"], int)
        await settled(on_bob)
        assert on_bob.of_type("chat_settings_updated") == []


async def test_a_draft_reaches_my_other_device_and_goes_everywhere_when_i_send(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice = await register(http, "alice")
    phone = (await log_in(http, alice)).user
    bob = await register(http, "bob")
    chat_id = await open_dialog(http, alice, bob)
    async with (
        socket_of(server, alice) as on_laptop,
        socket_of(server, phone) as on_phone,
        socket_of(server, bob) as on_bob,
    ):
        saved = await http.put(
            f"/api/v1/chats/{chat_id}/draft", json={"text": "see you at 5"}, headers=alice.headers
        )
        assert saved.status_code == 200, saved.text
        frame = await on_phone.wait_type("draft_updated")
        assert frame["data"]["chat_id"] == chat_id
        assert frame["data"]["draft"]["text"] == "see you at 5"
        assert frame["data"]["draft"]["reply_to_id"] is None

        await post(http, alice, chat_id, "c1", "see you at 5")

        for client in (on_laptop, on_phone):
            cleared = await client.wait_type("draft_updated", 2)
            assert cleared["data"] == {"chat_id": chat_id, "draft": None}
        await on_bob.wait_type("new_message")
        await settled(on_bob)
        assert on_bob.of_type("draft_updated") == []
