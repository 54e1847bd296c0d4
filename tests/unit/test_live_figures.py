"""The admin console's live figures: what an administrator sees, and nobody else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from messenger.adapters.memory import TickingClock
from messenger.container import Container
from messenger.domain.errors import Forbidden
from messenger.domain.service import Messenger
from messenger.entrypoints.http import create_app
from messenger.settings import Settings
from tests.unit.conftest import store_of


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock(datetime(2026, 5, 4, 23, 0, tzinfo=UTC))


async def test_an_administrator_sees_accounts_and_todays_messages_with_the_live_counts(
    app: Messenger, clock: TickingClock
) -> None:
    admin = (await app.register("alice", "password-123")).user.id
    bob = (await app.register("bob", "password-123")).user.id
    carol = (await app.register("carol", "password-123")).user.id
    chat = (await app.open_dialog(admin, bob))[0].chat.id
    await app.post_message(bob, chat, "yesterday", "late at night")
    clock.advance(timedelta(hours=2))  # past midnight UTC
    await app.post_message(bob, chat, "today-1", "good morning")
    await app.post_message(admin, chat, "today-2", "morning")
    store_of(app).users[carol].deactivated_at = clock.now()

    figures = await app.show_live_figures(admin, users_online=2, sockets=3)

    assert (figures.users_total, figures.users_active) == (3, 2)
    assert (figures.users_online, figures.sockets) == (2, 3)
    assert figures.messages_today == 2


async def test_anyone_but_an_administrator_is_refused(app: Messenger) -> None:
    await app.register("alice", "password-123")
    bob = (await app.register("bob", "password-123")).user.id

    with pytest.raises(Forbidden):
        await app.show_live_figures(bob, users_online=0, sockets=0)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient[Litestar]]:
    settings = Settings(
        secret_key="figures-test-secret-key-0123456789abcdef",
        database_url="memory://",
        upload_dir=tmp_path / "uploads",
    )
    with TestClient(create_app(Container(settings=settings))) as test_client:
        yield test_client


def _register(client: TestClient[Litestar], name: str) -> str:
    answer = client.post(
        "/api/v1/auth/register",
        json={"username": name, "password": "tulip orbit 2931", "device_name": "test"},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["access_token"])


def test_get_admin_stats_answers_the_figures_to_an_administrator_only(
    client: TestClient[Litestar],
) -> None:
    admin = _register(client, "alice")
    member = _register(client, "bob")

    answer = client.get("/api/v1/admin/stats", headers={"Authorization": f"Bearer {admin}"})
    assert answer.status_code == 200
    assert answer.json() == {
        "users_total": 2,
        "users_active": 2,
        "users_online": 0,
        "sockets": 0,
        "messages_today": 0,
    }
    refused = client.get("/api/v1/admin/stats", headers={"Authorization": f"Bearer {member}"})
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert client.get("/api/v1/admin/stats").status_code == 401


def test_the_figures_count_the_sockets_of_this_process(client: TestClient[Litestar]) -> None:
    admin = _register(client, "alice")
    with client.websocket_connect("/api/v1/ws") as socket:
        socket.send_json({"type": "auth", "data": {"token": admin}})
        assert socket.receive_json()["type"] == "ready"
        answer = client.get("/api/v1/admin/stats", headers={"Authorization": f"Bearer {admin}"})
    assert (answer.json()["users_online"], answer.json()["sockets"]) == (1, 1)
