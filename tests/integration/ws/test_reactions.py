"""Reactions on real sockets (MariaDB): every member gets the very same ``message_reactions``
bytes, a member who hid the message gets none, a repeat pushes nothing, and sync replays
the frame as it was pushed."""

from __future__ import annotations

from urllib.parse import quote

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


async def test_both_members_get_the_same_frame_bytes_and_a_repeat_pushes_nothing(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice = await register(http, "alice")
    bob = await register(http, "bob")
    chat = await open_dialog(http, alice, bob)
    message = (await post(http, alice, chat, "c-1", "hello"))["id"]
    path = f"/api/v1/messages/{message}/reactions/{quote('👍🏽', safe='')}"
    async with socket_of(server, alice) as on_alice, socket_of(server, bob) as on_bob:
        response = await http.put(path, headers=bob.headers)
        assert response.status_code == 200, response.text
        again = await http.put(path, headers=bob.headers)
        assert again.status_code == 200, again.text

        frame = await on_alice.wait_type("message_reactions")
        await on_bob.wait_type("message_reactions")
        await settled(on_alice, on_bob)

        assert on_alice.raw_of_type("message_reactions") == on_bob.raw_of_type("message_reactions")
        assert len(on_alice.of_type("message_reactions")) == 1, "a repeat pushed a frame"
        assert frame["data"] == {
            "chat_id": chat,
            "message_id": message,
            "user_id": bob.id,
            "emoji": "👍🏽",
            "added": True,
            "reactions": [{"emoji": "👍🏽", "count": 1}],
        }
        events, _ = await sync_all(http, alice, 0)
        assert [e for e in events if e["type"] == "message_reactions"] == [frame]


async def test_a_member_who_hid_the_message_is_not_pushed_its_reactions(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice = await register(http, "alice")
    bob = await register(http, "bob")
    chat = await open_dialog(http, alice, bob)
    message = (await post(http, alice, chat, "c-1", "hello"))["id"]
    hidden = await http.delete(
        f"/api/v1/messages/{message}", params={"for": "me"}, headers=bob.headers
    )
    assert hidden.status_code == 204, hidden.text
    async with socket_of(server, alice) as on_alice, socket_of(server, bob) as on_bob:
        response = await http.put(
            f"/api/v1/messages/{message}/reactions/{quote('🎉', safe='')}", headers=alice.headers
        )
        assert response.status_code == 200, response.text

        await on_alice.wait_type("message_reactions")
        await settled(on_alice, on_bob)

        assert on_bob.of_type("message_reactions") == []
