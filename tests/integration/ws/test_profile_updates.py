"""``profile_updated`` over real sockets: the user's devices and chat-mates, nobody else."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.ws.conftest import (
    ServerProcess,
    open_dialog,
    register,
    socket_of,
    sync_all,
)

pytestmark = pytest.mark.integration


async def test_a_profile_change_reaches_the_users_devices_and_chat_mates_but_no_stranger(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice, bob, eve = [await register(http, p) for p in ("alice", "bob", "eve")]
    await open_dialog(http, alice, bob)
    before = (await http.get("/api/v1/sync", headers=alice.headers)).json()["cursor"]
    async with (
        socket_of(server, alice) as phone,
        socket_of(server, alice) as laptop,
        socket_of(server, bob) as b,
        socket_of(server, eve) as e,
    ):
        changed = await http.patch(
            "/api/v1/users/me",
            json={"bio": "Out hiking", "birthdate": "1990-02-03"},
            headers=alice.headers,
        )
        assert changed.status_code == 200, changed.text
        framed = await http.put(
            "/api/v1/users/me/avatar-frame", json={"frame": "leaves"}, headers=alice.headers
        )
        assert framed.status_code == 200, framed.text

        for device in (phone, laptop):
            first = await device.wait_type("profile_updated")
            last = await device.wait_type("profile_updated", count=2)
            # Alice's own devices: feed events, in order, with their cursors.
            assert before < first["cursor"] < last["cursor"]
            assert first["data"]["user"]["bio"] == "Out hiking"
            assert last["data"]["user"]["avatar_frame"] == "leaves"
        told = await b.wait_type("profile_updated", count=2)
        assert "cursor" not in told
        assert told["data"]["user"] == last["data"]["user"]
        assert told["data"]["user"]["birthdate"] == "1990-02-03"
        assert "email" not in told["data"]["user"]

        await e.send("ping")
        await e.wait_type("pong")
        await b.send("ping")
        await b.wait_type("pong", count=1)
        assert e.of_type("profile_updated") == []
        assert len(b.of_type("profile_updated")) == 2

    # A device that was away replays the change; the chat-mate's feed never held it.
    replayed, _ = await sync_all(http, alice, before)
    assert [e["type"] for e in replayed] == ["profile_updated", "profile_updated"]
    assert replayed[-1]["data"]["user"]["avatar_frame"] == "leaves"
    bobs, _ = await sync_all(http, bob, before)
    assert [e for e in bobs if e["type"] == "profile_updated"] == []
