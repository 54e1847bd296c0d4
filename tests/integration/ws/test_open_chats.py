"""Seed 001's ``join_chat`` / ``leave_chat``: in big groups typing reaches only the sockets
where the chat is open; in small chats every member's socket, as before."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.integration.ws.conftest import (
    Client,
    ServerProcess,
    User,
    post,
    register,
    server_env,
    socket_of,
)

pytestmark = pytest.mark.integration

JOINED_ABOVE = 3  # a group of four is "big" here


@pytest.fixture(scope="module")
def server(
    mariadb_ws_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("ws-open-chats")
    env = server_env(mariadb_ws_url) | {
        "MESSENGER_UPLOAD_DIR": str(tmp / "uploads"),
        "MESSENGER_TYPING_JOINED_ABOVE": str(JOINED_ABOVE),
    }
    proc = ServerProcess(env, tmp / "server.log")
    proc.start()
    yield proc
    proc.stop()


async def _group(http: httpx.AsyncClient, owner: User, members: list[User]) -> int:
    response = await http.post(
        "/api/v1/chats",
        json={"kind": "group", "title": "All hands", "member_ids": [m.id for m in members]},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    chat_id: int = response.json()["id"]
    return chat_id


async def _join(client: Client, chat_id: int) -> None:
    """Join, and wait until the server has handled it: frames of a socket are handled in
    order, so the ``not_found`` of a chat that does not exist comes after the join."""
    errors = len(client.of_type("error"))
    await client.send("join_chat", {"chat_id": chat_id})
    await client.send("join_chat", {"chat_id": 2**53})
    error = await client.wait_type("error", count=errors + 1)
    assert error["data"]["chat_id"] == 2**53


async def test_in_a_big_group_only_the_socket_that_joined_it_gets_typing(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice, bob, carol, dave = [await register(http, p) for p in ("alice", "bob", "carol", "dave")]
    chat = await _group(http, alice, [bob, carol, dave])
    async with (
        socket_of(server, bob) as bob_open,
        socket_of(server, bob) as bob_elsewhere,
        socket_of(server, carol) as carol_socket,
        socket_of(server, alice) as a,
    ):
        await _join(bob_open, chat)
        await a.send("typing", {"chat_id": chat})
        typing = await bob_open.wait_type("typing")
        assert typing["data"] == {"chat_id": chat, "user_id": alice.id}
        # A message after the typing reaches everyone: by then any typing would have too.
        await post(http, alice, chat, "after-typing", "hello all")
        for client in (bob_open, bob_elsewhere, carol_socket):
            await client.wait_type("new_message")
        assert bob_elsewhere.of_type("typing") == []
        assert carol_socket.of_type("typing") == []

        # After leave_chat the socket is like the others.
        await bob_open.send("leave_chat", {"chat_id": chat})
        await _join(carol_socket, chat)
        async with socket_of(server, alice) as a_again:  # its own typing interval
            await a_again.send("typing", {"chat_id": chat})
            await carol_socket.wait_type("typing")
            await post(http, alice, chat, "after-leave", "again")
            await bob_open.wait_type("new_message", count=2)
        assert len(bob_open.of_type("typing")) == 1


async def test_in_a_group_at_the_threshold_typing_reaches_every_members_socket(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice, bob, carol = [await register(http, p) for p in ("alice", "bob", "carol")]
    chat = await _group(http, alice, [bob, carol])
    async with (
        socket_of(server, bob) as b,
        socket_of(server, carol) as c,
        socket_of(server, alice) as a,
    ):
        await a.send("typing", {"chat_id": chat})
        for client in (b, c):
            typing = await client.wait_type("typing")
            assert typing["data"] == {"chat_id": chat, "user_id": alice.id}


async def test_joining_a_chat_you_are_not_in_is_not_found(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice, bob, eve = [await register(http, p) for p in ("alice", "bob", "eve")]
    chat = await _group(http, alice, [bob])
    async with socket_of(server, eve) as e:
        await e.send("join_chat", {"chat_id": chat})
        error = await e.wait_type("error")
        assert error["data"]["code"] == "not_found"
        assert error["data"]["chat_id"] == chat
        await e.send("leave_chat", {"chat_id": chat})  # harmless: nothing to leave
        await e.send("join_chat", {"chat_id": "x"})
        invalid = await e.wait_type("error", count=2)
        assert invalid["data"]["code"] == "validation_error"
