"""Account and chat hygiene on real sockets: deleting an account closes its sockets (4001)
and tells chat-mates; clearing a chat and hiding a message reach only the user's own devices,
and neither the socket nor sync brings the hidden messages back."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.ws.conftest import (
    PASSWORD,
    ServerProcess,
    User,
    feed_frames,
    log_in,
    open_dialog,
    post,
    register,
    settled,
    socket_of,
    sync_all,
)

pytestmark = pytest.mark.integration


def _message_ids(frames: list[dict[str, Any]]) -> set[int]:
    return {
        f["data"]["message"]["id"]
        for f in frames
        if f["type"] in ("new_message", "message_updated", "message_deleted")
    }


async def test_deleting_the_account_closes_its_sockets_and_tells_chat_mates(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice = await register(http, "alice")
    phone = (await log_in(http, alice)).user
    bob = await register(http, "bob")
    carol = await register(http, "carol")
    await open_dialog(http, alice, bob)
    async with (
        socket_of(server, alice) as on_laptop,
        socket_of(server, phone) as on_phone,
        socket_of(server, bob) as on_bob,
        socket_of(server, carol) as on_carol,
    ):
        response = await http.request(
            "DELETE", "/api/v1/users/me", json={"password": PASSWORD}, headers=alice.headers
        )
        assert response.status_code == 204, response.text

        for client in (on_laptop, on_phone):
            assert await client.wait_closed() == 4001
            assert client.ws.close_reason == "session_revoked"
        told = await on_bob.wait_type("profile_updated")
        assert told["data"]["user"]["id"] == alice.id
        assert told["data"]["user"]["deleted"] is True
        assert told["data"]["user"]["display_name"] == "Deleted account"
        await settled(on_bob, on_carol)
        assert on_carol.of_type("profile_updated") == []
        # The deleted account's sockets closing is no presence news (no "last seen").
        assert not [
            f
            for f in on_bob.of_type("presence")
            if f["data"]["user_id"] == alice.id and not f["data"]["online"]
        ]

    login = await http.post(
        "/api/v1/auth/login", json={"login": alice.username, "password": PASSWORD}
    )
    assert login.status_code == 401, login.text
    again = await http.post(
        "/api/v1/auth/register", json={"username": alice.username, "password": PASSWORD}
    )
    assert again.status_code == 201, again.text
    newcomer = User(again.json()["user"]["id"], alice.username, again.json()["access_token"])
    assert newcomer.id != alice.id
    async with socket_of(server, newcomer) as on_newcomer:
        await settled(on_newcomer)


async def test_a_cleared_chat_reaches_my_other_device_and_not_the_other_member(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice = await register(http, "alice")
    phone = (await log_in(http, alice)).user
    bob = await register(http, "bob")
    chat_id = await open_dialog(http, alice, bob)
    old = [(await post(http, bob, chat_id, f"o{i}", f"old {i}"))["id"] for i in range(2)]
    since = (await http.get("/api/v1/sync", headers=alice.headers)).json()["cursor"]
    async with (
        socket_of(server, alice) as on_laptop,
        socket_of(server, phone) as on_phone,
        socket_of(server, bob) as on_bob,
    ):
        cleared = await http.delete(f"/api/v1/chats/{chat_id}/messages", headers=alice.headers)
        assert cleared.status_code == 204, cleared.text

        for client in (on_laptop, on_phone):
            frame = await client.wait_type("chat_cleared")
            assert frame["data"] == {"chat_id": chat_id, "up_to_message_id": old[-1]}
        # An edit of a cleared message reaches Bob, not Alice.
        edited = await http.patch(
            f"/api/v1/messages/{old[0]}", json={"text": "edited"}, headers=bob.headers
        )
        assert edited.status_code == 200, edited.text
        await on_bob.wait_type("message_updated")
        await settled(on_laptop, on_phone, on_bob)
        assert on_bob.of_type("chat_cleared") == []
        assert on_laptop.of_type("message_updated") == []

    events, _ = await sync_all(http, alice, 0)
    assert _message_ids(events).isdisjoint(old)
    assert [e["type"] for e in events if e["type"] == "chat_cleared"] == ["chat_cleared"]
    replay, _ = await sync_all(http, alice, since)
    assert [e["type"] for e in replay] == ["chat_cleared"]
    bobs, _ = await sync_all(http, bob, 0)
    assert set(old) <= _message_ids(bobs)


async def test_a_hidden_message_reaches_my_devices_only_and_stays_hidden_in_sync(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice = await register(http, "alice")
    phone = (await log_in(http, alice)).user
    bob = await register(http, "bob")
    chat_id = await open_dialog(http, alice, bob)
    kept = (await post(http, bob, chat_id, "k", "kept"))["id"]
    hidden = (await post(http, bob, chat_id, "h", "hidden"))["id"]
    async with (
        socket_of(server, alice) as on_laptop,
        socket_of(server, phone) as on_phone,
        socket_of(server, bob) as on_bob,
    ):
        response = await http.delete(
            f"/api/v1/messages/{hidden}", params={"for": "me"}, headers=alice.headers
        )
        assert response.status_code == 204, response.text

        for client in (on_laptop, on_phone):
            frame = await client.wait_type("message_hidden")
            assert frame["data"] == {"chat_id": chat_id, "message_id": hidden}
        deleted = await http.delete(f"/api/v1/messages/{hidden}", headers=bob.headers)
        assert deleted.status_code == 200, deleted.text
        await on_bob.wait_type("message_deleted")
        await settled(on_laptop, on_phone, on_bob)
        assert on_bob.of_type("message_hidden") == []
        assert hidden not in _message_ids(feed_frames(on_laptop.frames))

    events, _ = await sync_all(http, alice, 0)
    assert _message_ids(events) == {kept}
    page = await http.get(f"/api/v1/chats/{chat_id}/messages", headers=alice.headers)
    assert [m["id"] for m in page.json()["items"]] == [kept]
