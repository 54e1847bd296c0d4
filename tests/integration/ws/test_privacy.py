"""Privacy and blocking on real sockets (a server process on MariaDB): no ``presence`` to
whom may not see it, not even when chat-mates are introduced or a socket says ``ready``; no
``typing`` of a blocked user to the blocker; read marks kept to the reader's own devices
when read receipts are off, pushed and synced alike; and one's own lists and settings
reach every device of one's own and nobody else's."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.ws.conftest import (
    Client,
    ServerProcess,
    User,
    open_dialog,
    post,
    register,
    socket_of,
    sync_all,
)

pytestmark = pytest.mark.integration


async def _group(http: httpx.AsyncClient, owner: User, members: list[User]) -> int:
    response = await http.post(
        "/api/v1/chats",
        json={"kind": "group", "title": "Team", "member_ids": [m.id for m in members]},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    chat_id: int = response.json()["id"]
    return chat_id


async def _privacy(http: httpx.AsyncClient, user: User, **settings: object) -> None:
    response = await http.put("/api/v1/users/me/privacy", json=settings, headers=user.headers)
    assert response.status_code == 200, response.text


def _presence_of(client: Client, user: User) -> list[bool]:
    # A socket getting ready may hear of someone twice (the snapshot of who is online, and
    # the news of their coming online meanwhile): the last one counts.
    return [
        f["data"]["online"] for f in client.of_type("presence") if f["data"]["user_id"] == user.id
    ]


async def test_no_presence_reaches_a_user_who_may_not_see_one_online(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice, bob, carol = [await register(http, p) for p in ("alice", "bob", "carol")]
    await _privacy(http, alice, online="contacts")
    await http.put(f"/api/v1/contacts/{carol.id}", headers=alice.headers)
    chat = await _group(http, alice, [bob, carol])
    async with socket_of(server, bob) as b, socket_of(server, carol) as c:
        async with socket_of(server, alice):
            await c.until(lambda: _presence_of(c, alice)[-1:] == [True])
            # Anything later reaches bob after a presence routed with carol's would have.
            await post(http, carol, chat, "after-online", "hi")
            await b.wait_type("new_message")
        await c.until(lambda: _presence_of(c, alice)[-1:] == [False])
        await post(http, carol, chat, "after-offline", "bye")
        await b.wait_type("new_message", count=2)
        assert _presence_of(b, alice) == []


async def test_neither_the_ready_snapshot_nor_an_introduction_tells_a_blocked_user(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice, bob, carol = [await register(http, p) for p in ("alice", "bob", "carol")]
    await http.put(f"/api/v1/users/{bob.id}/block", headers=alice.headers)
    async with socket_of(server, alice), socket_of(server, bob) as b, socket_of(server, carol) as c:
        # A new group introduces its members to each other: who of them is online.
        chat = await _group(http, alice, [bob, carol])
        await c.until(lambda: _presence_of(c, alice)[-1:] == [True])
        await post(http, carol, chat, "after-intro", "hi")
        await b.wait_type("new_message")
        assert _presence_of(b, alice) == []
        # A socket that connects now is told who of its chat-mates is online.
        async with socket_of(server, bob) as b2, socket_of(server, carol) as c2:
            await c2.until(lambda: _presence_of(c2, alice)[-1:] == [True])
            await post(http, carol, chat, "after-ready", "again")
            await b2.wait_type("new_message")
            assert _presence_of(b2, alice) == []


async def test_the_blocker_gets_no_typing_from_the_blocked_user(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice, bob, carol = [await register(http, p) for p in ("alice", "bob", "carol")]
    chat = await _group(http, alice, [bob, carol])
    await http.put(f"/api/v1/users/{bob.id}/block", headers=alice.headers)
    async with socket_of(server, alice) as a, socket_of(server, carol) as c:
        async with socket_of(server, bob) as b:
            await b.send("typing", {"chat_id": chat})
            typing = await c.wait_type("typing")
            assert typing["data"] == {"chat_id": chat, "user_id": bob.id}
        await post(http, carol, chat, "after-typing", "hi")
        await a.wait_type("new_message")
        assert a.of_type("typing") == []


@pytest.mark.parametrize("receipts_off", ["reader", "viewer"])
async def test_read_marks_stay_with_the_reader_when_receipts_are_off(
    server: ServerProcess, http: httpx.AsyncClient, receipts_off: str
) -> None:
    alice, bob = [await register(http, p) for p in ("alice", "bob")]
    await _privacy(http, bob if receipts_off == "reader" else alice, read_receipts=False)
    chat = await open_dialog(http, alice, bob)
    message = await post(http, alice, chat, "first", "hello")
    async with socket_of(server, alice) as a, socket_of(server, bob) as b:
        await b.send("mark_read", {"chat_id": chat, "message_id": message["id"]})
        read = await b.wait_type("messages_read")
        assert read["data"] == {"chat_id": chat, "user_id": bob.id, "message_id": message["id"]}
        await post(http, bob, chat, "after-read", "seen")
        await a.wait_type("new_message")
        assert a.of_type("messages_read") == []

    theirs, _ = await sync_all(http, alice, 0)
    assert [e for e in theirs if e["type"] == "messages_read"] == []
    mine, _ = await sync_all(http, bob, 0)
    assert [e["data"]["message_id"] for e in mine if e["type"] == "messages_read"] == [
        message["id"]
    ]


async def test_with_receipts_on_both_sides_read_marks_still_arrive(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice, bob = [await register(http, p) for p in ("alice", "bob")]
    chat = await open_dialog(http, alice, bob)
    message = await post(http, alice, chat, "first", "hello")
    async with socket_of(server, alice) as a, socket_of(server, bob) as b:
        await b.send("mark_read", {"chat_id": chat, "message_id": message["id"]})
        read = await a.wait_type("messages_read")
        assert read["data"]["user_id"] == bob.id


async def test_own_contacts_blocks_and_privacy_reach_every_own_device_only(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice, bob = [await register(http, p) for p in ("alice", "bob")]
    chat = await open_dialog(http, alice, bob)
    async with (
        socket_of(server, alice) as a1,
        socket_of(server, alice) as a2,
        socket_of(server, bob) as b,
    ):
        await http.put(
            f"/api/v1/contacts/{bob.id}", json={"local_name": "B"}, headers=alice.headers
        )
        await http.put(f"/api/v1/users/{bob.id}/block", headers=alice.headers)
        await _privacy(http, alice, bio="nobody")
        for device in (a1, a2):
            contact = await device.wait_type("contacts_updated")
            assert contact["data"] == {
                "user_id": bob.id,
                "contact": {"user_id": bob.id, "local_name": "B"},
            }
            blocked = await device.wait_type("blocks_updated")
            assert blocked["data"] == {"user_id": bob.id, "blocked": True}
            privacy = await device.wait_type("privacy_updated")
            assert privacy["data"]["privacy"]["bio"] == "nobody"
        await post(http, alice, chat, "after-all", "hi")
        await b.wait_type("new_message")
        assert {f["type"] for f in b.frames} <= {"ready", "presence", "new_message"}
