"""``settings_updated`` over real sockets: every device of the user learns of a change to
their settings or themes, nobody else does, and ``sync`` replays it."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.ws.conftest import (
    ServerProcess,
    log_in,
    open_dialog,
    register,
    socket_of,
    sync_all,
)

pytestmark = pytest.mark.integration


async def test_a_theme_chosen_on_one_device_reaches_the_users_other_devices_only(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    # Bob shares a chat with Alice: he gets her chat's events, but not her settings.
    await open_dialog(http, alice, bob)
    laptop = (await log_in(http, alice)).user
    async with socket_of(server, laptop) as other_device, socket_of(server, bob) as b:
        made = await http.post(
            "/api/v1/users/me/themes",
            json={"name": "Night", "colors": {"accent": "#FF8800"}},
            headers=alice.headers,
        )
        assert made.status_code == 201, made.text
        theme = made.json()
        chosen = await http.put(
            "/api/v1/users/me/settings",
            json={"theme_id": theme["id"], "language": "ru"},
            headers=alice.headers,
        )
        assert chosen.status_code == 200, chosen.text

        first = await other_device.wait_type("settings_updated")
        second = await other_device.wait_type("settings_updated", count=2)

        assert first["data"] == {
            "settings": {"theme_id": "system", "language": "system"},
            "themes": [theme],
        }
        assert second["data"] == {
            "settings": {"theme_id": theme["id"], "language": "ru"},
            "themes": [theme],
        }
        assert second["cursor"] > first["cursor"]
        await b.send("ping")
        await b.wait_type("pong")
        assert b.of_type("settings_updated") == []


async def test_sync_replays_settings_updated_to_a_device_that_was_offline(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    start = (await http.get("/api/v1/sync", headers=alice.headers)).json()["cursor"]
    made = await http.post(
        "/api/v1/users/me/themes",
        json={"name": "Sky", "colors": {}, "background": "#87ceeb"},
        headers=alice.headers,
    )
    theme_id = made.json()["id"]
    await http.put("/api/v1/users/me/settings", json={"theme_id": theme_id}, headers=alice.headers)
    deleted = await http.delete(f"/api/v1/users/me/themes/{theme_id}", headers=alice.headers)
    assert deleted.status_code == 204

    events, _ = await sync_all(http, alice, start)
    others, _ = await sync_all(http, bob, start)

    assert [e["type"] for e in events] == ["settings_updated"] * 3
    assert [e["data"]["settings"]["theme_id"] for e in events] == ["system", theme_id, "system"]
    assert [len(e["data"]["themes"]) for e in events] == [1, 1, 0]
    assert others == []
