"""Mentions over the socket: the pushed message frame carries ``mentions``, the same for
every recipient, so a client may notify the mentioned user whatever their chat settings."""

from __future__ import annotations

import httpx
import pytest

from tests.contract_check import check_server_frame
from tests.integration.ws.conftest import ServerProcess, register, socket_of

pytestmark = pytest.mark.integration


async def test_the_pushed_message_names_whom_it_mentions_to_every_member(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice, bob, carol = [await register(http, p) for p in ("alice", "bob", "carol")]
    created = await http.post(
        "/api/v1/chats",
        json={"kind": "group", "title": "Team", "member_ids": [bob.id, carol.id]},
        headers=alice.headers,
    )
    assert created.status_code == 201, created.text
    chat = created.json()["id"]
    async with (
        socket_of(server, alice) as a,
        socket_of(server, bob) as b,
        socket_of(server, carol) as c,
    ):
        text = f"@{bob.username.upper()} look, not bob@example.com nor `@{carol.username}`"
        await a.send("send_message", {"chat_id": chat, "client_id": "m-1", "text": text})
        ack = await a.wait_type("message_sent")
        assert ack["data"]["message"]["mentions"] == [bob.id]
        for client in (a, b, c):
            pushed = await client.wait_type("new_message")
            check_server_frame(pushed)
            assert pushed["data"]["message"]["mentions"] == [bob.id]
        await a.send("send_message", {"chat_id": chat, "client_id": "m-2", "text": "plain"})
        pushed = await b.wait_type("new_message", count=2)
        assert pushed["data"]["message"]["mentions"] == []
