"""Replies, forwards and pins on real sockets: ``send_message`` forwards with ``forward_of``
(answered by ``message_sent``, resent idempotently), a reply's quote goes out as deleted to a
chat where a member cleared the original, and ``message_pinned`` / ``message_unpinned`` reach
the members who see the message, never one who cleared it."""

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
)

pytestmark = pytest.mark.integration


async def test_a_forward_over_the_socket_is_answered_and_resent_once(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice = await register(http, "alice")
    bob = await register(http, "bob")
    carol = await register(http, "carol")
    source_chat = await open_dialog(http, bob, alice)
    source = await post(http, bob, source_chat, "src", "pass it on")
    target = await open_dialog(http, alice, carol)
    async with socket_of(server, alice) as on_alice, socket_of(server, carol) as on_carol:
        frame = {"chat_id": target, "client_id": "fw-1", "forward_of": source["id"]}
        await on_alice.send("send_message", frame)
        sent = await on_alice.wait_type("message_sent")
        arrived = await on_carol.wait_type("new_message")
        await on_alice.send("send_message", frame)
        again = await on_alice.wait_type("message_sent", 2)
        await on_alice.send("send_message", {**frame, "client_id": "fw-2", "forward_of": 2**62})
        refused = await on_alice.wait_type("error")
        await settled(on_carol)

    message = sent["data"]["message"]
    assert message["text"] == "pass it on"
    assert message["forwarded_from"]["sender_id"] == bob.id
    assert "chat_id" not in message["forwarded_from"]
    assert arrived["data"]["message"] == message
    assert again["data"]["message"]["id"] == message["id"]
    assert len(on_carol.of_type("new_message")) == 1
    assert refused["data"]["code"] == "not_found"
    assert refused["data"]["client_id"] == "fw-2"


async def test_pins_and_quotes_reach_only_who_sees_the_message(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice = await register(http, "alice")
    bob = await register(http, "bob")
    carol = await register(http, "carol")
    created = await http.post(
        "/api/v1/chats",
        json={"kind": "group", "title": "Team", "member_ids": [bob.id, carol.id]},
        headers=alice.headers,
    )
    group = created.json()["id"]
    old = await post(http, alice, group, "old", "before carol cleared")
    cleared = await http.delete(f"/api/v1/chats/{group}/messages", headers=carol.headers)
    assert cleared.status_code == 204
    fresh = await post(http, alice, group, "fresh", "after")
    async with socket_of(server, bob) as on_bob, socket_of(server, carol) as on_carol:
        reply = await http.post(
            f"/api/v1/chats/{group}/messages",
            json={"client_id": "re", "text": "re", "reply_to_id": old["id"]},
            headers=bob.headers,
        )
        assert reply.status_code == 201
        for message in (old, fresh):
            pinned = await http.post(
                f"/api/v1/chats/{group}/pins",
                json={"message_id": message["id"]},
                headers=alice.headers,
            )
            assert pinned.status_code == 201, pinned.text
        await on_bob.wait_type("message_pinned", 2)
        unpinned = await http.delete(
            f"/api/v1/chats/{group}/pins/{fresh['id']}", headers=alice.headers
        )
        assert unpinned.status_code == 204
        await on_bob.wait_type("message_unpinned")
        await on_carol.wait_type("message_unpinned")
        await settled(on_bob, on_carol)

    quote = on_carol.of_type("new_message")[0]["data"]["message"]["reply_to"]
    assert quote == {"id": old["id"], "sender_id": alice.id, "text": "", "deleted": True}
    assert [f["data"]["message_id"] for f in on_bob.of_type("message_pinned")] == [
        old["id"],
        fresh["id"],
    ]
    assert [f["data"]["message_id"] for f in on_carol.of_type("message_pinned")] == [fresh["id"]]
    assert on_carol.of_type("message_pinned")[0]["data"]["pinned_by"] == alice.id
    assert [f["data"]["unpinned_by"] for f in on_carol.of_type("message_unpinned")] == [alice.id]
